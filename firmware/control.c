#define G_LOG_DOMAIN "shopcast-control"

#include "firmware/control.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#define MAX_LINE       1024
#define CLIENT_TIMEOUT 5 /* seconds a client may take to send its line */

struct _ScControl {
  char *path;
  GSocketService *service;
  ScControlFunc func;
  gpointer user_data;
  GList *clients; /* Client*, being served */
};

typedef struct {
  ScControl *control;
  GSocketConnection *connection;
  GDataInputStream *in;
  GCancellable *cancel;
  guint timer;
} Client;

static void
client_free(Client *c)
{
  if (c->control)
    c->control->clients = g_list_remove(c->control->clients, c);
  g_clear_handle_id(&c->timer, g_source_remove);
  g_io_stream_close(G_IO_STREAM(c->connection), NULL, NULL);
  g_object_unref(c->connection);
  g_object_unref(c->in);
  g_object_unref(c->cancel);
  g_free(c);
}

static gboolean
on_client_timeout(gpointer data)
{
  Client *c = data;
  c->timer = 0;
  g_cancellable_cancel(c->cancel); /* the pending read ends, and with it the client */
  return G_SOURCE_REMOVE;
}

static char *
run_line(ScControl *self, const char *line, gboolean *ok)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  if (!g_shell_parse_argv(line, NULL, &words, &error)) {
    *ok = FALSE;
    return g_strdup("an empty or malformed command; try: status, events, drill UPLINK SECONDS, "
                    "reconnect [DESTINATION]");
  }
  char *output = self->func((const char *const *)words, self->user_data, &error);
  *ok = output != NULL;
  return output ? output : g_strdup(error->message);
}

static void
on_line(GObject *source, GAsyncResult *result, gpointer data)
{
  Client *c = data;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *line =
      g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source), result, &len, &error);
  if (line == NULL || c->control == NULL) { /* closed, timed out, or shopcastd is stopping */
    if (error && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_debug("control client: %s", error->message);
    client_free(c);
    return;
  }
  g_autoptr(GString) reply = g_string_new(NULL);
  if (len > MAX_LINE) {
    g_string_append_printf(reply, "error: the command is longer than %d bytes\n", MAX_LINE);
  } else {
    gboolean ok = FALSE;
    g_autofree char *output = run_line(c->control, line, &ok);
    if (ok)
      g_string_append_printf(reply, "ok\n%s", output);
    else
      g_string_append_printf(reply, "error: %s\n", output);
  }
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->connection));
  /* replies are small and the peer is local: a short blocking write, bounded by the socket's
   * timeout */
  g_socket_set_timeout(g_socket_connection_get_socket(c->connection), CLIENT_TIMEOUT);
  if (!g_output_stream_write_all(out, reply->str, reply->len, NULL, NULL, &error))
    g_debug("control client: %s", error->message);
  client_free(c);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  Client *c = g_new0(Client, 1);
  c->control = data;
  c->connection = g_object_ref(connection);
  c->cancel = g_cancellable_new();
  c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
  g_buffered_input_stream_set_buffer_size(G_BUFFERED_INPUT_STREAM(c->in), MAX_LINE + 2);
  c->timer = g_timeout_add_seconds(CLIENT_TIMEOUT, on_client_timeout, c);
  c->control->clients = g_list_prepend(c->control->clients, c);
  g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, c->cancel, on_line, c);
  return TRUE;
}

/* A socket file nobody listens on is left over from a crash: remove it. */
static gboolean
clear_stale(const char *path, GError **error)
{
  GStatBuf st;
  if (g_lstat(path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK(st.st_mode)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                "%s exists and is not a socket; remove it or set [box] control-socket", path);
    return FALSE;
  }
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  g_autoptr(GSocketConnection) live =
      g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
  if (live) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                "another shopcastd is listening on %s; stop it or set [box] control-socket", path);
    return FALSE;
  }
  g_unlink(path);
  return TRUE;
}

ScControl *
sc_control_new(const char *path, ScControlFunc func, gpointer user_data, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot create %s: %s", dir,
                g_strerror(saved));
    return NULL;
  }
  if (!clear_stale(path, error))
    return NULL;
  ScControl *self = g_new0(ScControl, 1);
  self->path = g_strdup(path);
  self->func = func;
  self->user_data = user_data;
  self->service = g_socket_service_new();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  mode_t old_mask = umask(0117); /* the socket: rw for owner and group only */
  gboolean ok =
      g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), address, G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
  umask(old_mask);
  if (!ok) {
    g_prefix_error(error, "cannot listen on %s: ", path);
    g_object_unref(self->service);
    g_free(self->path);
    g_free(self);
    return NULL;
  }
  g_signal_connect(self->service, "incoming", G_CALLBACK(on_incoming), self);
  g_socket_service_start(self->service);
  return self;
}

void
sc_control_free(ScControl *self)
{
  if (self == NULL)
    return;
  /* clients still being served end with their pending read, without us */
  for (GList *l = self->clients; l; l = l->next) {
    Client *c = l->data;
    c->control = NULL;
    g_cancellable_cancel(c->cancel);
  }
  g_clear_pointer(&self->clients, g_list_free);
  g_socket_service_stop(self->service);
  g_socket_listener_close(G_SOCKET_LISTENER(self->service));
  g_object_unref(self->service);
  g_unlink(self->path);
  g_free(self->path);
  g_free(self);
}
