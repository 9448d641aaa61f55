/* The HTTP server's connections: accepted here, handed to libsoup, followed to
 * their end, and closed once their client has left (see the header for why). */
#define G_LOG_DOMAIN "shopcast-http"

#include "firmware/http-connections.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* Counts that outlive the handle: sockets and messages may be freed after it
 * (a g_rc_box, one reference for the handle and one for each socket and
 * message that counts in it). */
typedef struct {
  guint alive;     /* sockets accepted and not yet freed */
  guint answering; /* requests read and not yet answered */
} Tally;

struct _ScHttpConnections {
  SoupServer *server;  /* borrowed */
  GPtrArray *services; /* GSocketService*: one for each listening socket */
  GPtrArray *open;     /* GSocketConnection*: handed to libsoup, not yet closed */
  Tally *tally;
  guint sweep; /* the timer that ends connections their client left */
};

/* Marks a request read and not yet answered; its data is the Tally. */
static GQuark
answering_quark(void)
{
  static GQuark q;
  if (q == 0)
    q = g_quark_from_static_string("sc-http-answering");
  return q;
}

static void
socket_freed(gpointer data, GObject *where_the_socket_was)
{
  Tally *tally = data;
  tally->alive--;
  g_rc_box_release(tally);
}

static void
answered(gpointer data)
{
  Tally *tally = data;
  tally->answering--;
  g_rc_box_release(tally);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  ScHttpConnections *self = data;
  GSocket *socket = g_socket_connection_get_socket(connection);
  if (g_socket_get_family(socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, &error);
  g_autoptr(GSocketAddress) remote =
      local ? g_socket_connection_get_remote_address(connection, &error) : NULL;
  if (remote == NULL) { /* gone already; the service's reference was the last */
    g_debug("a client left before its connection was accepted: %s", error->message);
    return TRUE;
  }
  /* libsoup takes the local address for an IP one (an HTTP/1.0 request
   * without Host is named after it); on the Unix socket it is loopback */
  if (G_IS_UNIX_SOCKET_ADDRESS(local)) {
    g_object_unref(local);
    local = g_inet_socket_address_new_from_string("127.0.0.1", 0);
  }
  self->tally->alive++;
  g_object_weak_ref(G_OBJECT(socket), socket_freed, g_rc_box_acquire(self->tally));
  if (!soup_server_accept_iostream(self->server, G_IO_STREAM(connection), local, remote, &error)) {
    g_warning("a client's connection was refused by the HTTP server: %s", error->message);
    return TRUE;
  }
  g_ptr_array_add(self->open, g_object_ref(connection));
  return TRUE;
}

/* libsoup keeps a connection it did not accept for one request only: the
 * answer says so, so that no client sends a second request on it. */
static void
on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                               "close");
}

static void
on_request_read(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  ScHttpConnections *self = data;
  self->tally->answering++;
  g_object_set_qdata_full(G_OBJECT(msg), answering_quark(), g_rc_box_acquire(self->tally),
                          answered);
}

static void
on_request_done(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  g_object_set_qdata(G_OBJECT(msg), answering_quark(), NULL); /* answered(), once */
}

/* Whether the client closed its end (or reset the connection). */
static gboolean
client_left(GSocket *socket)
{
  char byte;
  ssize_t n = recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static gboolean
sweep_connections(gpointer data)
{
  ScHttpConnections *self = data;
  for (guint i = self->open->len; i-- > 0;) {
    GSocket *socket = g_socket_connection_get_socket(g_ptr_array_index(self->open, i));
    if (!g_socket_is_closed(socket)) {
      if (self->tally->answering > 0 || !client_left(socket))
        continue;
      g_socket_close(socket, NULL); /* libsoup's next read fails and lets it go */
    }
    g_ptr_array_remove_index_fast(self->open, i);
  }
  return G_SOURCE_CONTINUE;
}

ScHttpConnections *
sc_http_connections_new(SoupServer *server)
{
  ScHttpConnections *self = g_new0(ScHttpConnections, 1);
  self->server = server;
  self->tally = g_rc_box_new0(Tally);
  self->open = g_ptr_array_new_with_free_func(g_object_unref);
  self->services = g_ptr_array_new();
  g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), self);
  g_signal_connect(server, "request-read", G_CALLBACK(on_request_read), self);
  g_signal_connect(server, "request-finished", G_CALLBACK(on_request_done), self);
  g_signal_connect(server, "request-aborted", G_CALLBACK(on_request_done), self);
  self->sweep = g_timeout_add_seconds(1, sweep_connections, self);
  return self;
}

void
sc_http_connections_free(ScHttpConnections *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->sweep, g_source_remove);
  g_signal_handlers_disconnect_by_data(self->server, self);
  for (guint i = 0; i < self->services->len; i++) {
    GSocketService *service = g_ptr_array_index(self->services, i);
    g_signal_handlers_disconnect_by_data(service, self);
    g_socket_service_stop(service);
    g_socket_listener_close(G_SOCKET_LISTENER(service));
    g_object_unref(service);
  }
  g_ptr_array_unref(self->services);
  g_ptr_array_unref(self->open);
  g_rc_box_release(self->tally);
  g_free(self);
}

gboolean
sc_http_connections_listen(ScHttpConnections *self, GSocket *socket, GError **error)
{
  /* a service of its own: one GLib 2.74 service with two sockets leaves a
   * connection unaccepted when several wait on them at once */
  g_autoptr(GSocketService) service = g_socket_service_new();
  if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(service), socket, NULL, error))
    return FALSE;
  g_signal_connect(service, "incoming", G_CALLBACK(on_incoming), self);
  g_ptr_array_add(self->services, g_steal_pointer(&service));
  return TRUE;
}

void
sc_http_connections_upgraded(ScHttpConnections *self, SoupServerMessage *msg)
{
  g_object_set_qdata(G_OBJECT(msg), answering_quark(), NULL);
}

guint
sc_http_connections_count(ScHttpConnections *self)
{
  sweep_connections(self);
  return self->tally->alive;
}
