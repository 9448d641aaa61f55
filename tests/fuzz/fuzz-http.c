/* fuzz-http.c - what a client on the studio LAN (or shopcastctl on the
 * Unix socket) can send the panel's HTTP server: request lines, headers,
 * cookies, bodies of every API endpoint, WebSocket upgrades. A real ScHttp
 * and ScApi in this process's main loop, each input one connection.
 *
 * The first byte picks the way in (bit 0: the Unix socket, else loopback
 * TCP). In the rest, @T@ and @O@ become the technician's and the operator's
 * session tokens, @C@ and @P@ their CSRF tokens, @H@ the server's host:port,
 * so that inputs get past the login to the endpoints themselves.
 *
 * The daemon behind the API is a recorder of the commands it is asked to
 * run: the parsers of the request and of its JSON body are what is fuzzed;
 * each command's own checks have their unit tests. */
#include "firmware/api.h"
#include "firmware/http.h"
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>

static struct {
  ScAuth *auth;
  ScHttp *http;
  ScApi *api;
  ScEventLog *events;
  char *unix_path;
  guint port;
  /* the sessions' tokens and CSRF tokens; an input may end them (a new
   * password does), the next one opens them again */
  char *tokens[SC_ROLE_TECHNICIAN + 1], *csrf[SC_ROLE_TECHNICIAN + 1];
} box;

static char *
command(const char *const *argv, const char *who, gpointer user_data, GError **error)
{
  g_assert(argv != NULL && argv[0] != NULL && who != NULL);
  g_autoptr(GString) words = g_string_new(NULL);
  for (guint i = 0; argv[i]; i++) {
    g_assert(g_utf8_validate(argv[i], -1, NULL));
    g_string_append_printf(words, "%s%s", i ? " " : "", argv[i]);
  }
  if (g_str_equal(argv[0], "fail")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "refused: %s", words->str);
    return NULL;
  }
  if (g_str_equal(argv[0], "status") || g_str_equal(argv[0], "board"))
    return g_strdup("{\"live\":false,\"uplinks\":[],\"destinations\":[]}");
  return g_string_free(g_steal_pointer(&words), FALSE);
}

static char *
metrics(gpointer user_data)
{
  return g_strdup("# TYPE shopcast_live gauge\nshopcast_live 0\n");
}

static void
want_preview(gboolean want, gpointer user_data)
{
}

static GBytes *
preview_frame(guint64 *sequence, gpointer user_data)
{
  *sequence = 0;
  return NULL;
}

static char *
log_text(gpointer user_data)
{
  return g_strdup("shopcastd: fuzzing\n");
}

static void
open_box(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *passwords = g_build_filename(sc_fuzz_dir(), "passwords", NULL);
  g_autofree char *config = g_build_filename(sc_fuzz_dir(), "shopcast.ini", NULL);
  g_assert(g_file_set_contents(config, "[box]\nboard = sim\n", -1, NULL));
  box.auth = sc_auth_new(passwords, NULL, &error);
  g_assert_no_error(error);
  g_autofree char *tech = sc_auth_hash_password("fuzz-technician-1", &error);
  g_autofree char *oper = sc_auth_hash_password("fuzz-operator-22", &error);
  g_assert_no_error(error);
  g_assert(sc_auth_store_hash(box.auth, SC_ROLE_TECHNICIAN, tech, &error));
  g_assert(sc_auth_store_hash(box.auth, SC_ROLE_OPERATOR, oper, &error));
  box.http = sc_http_new(box.auth, NULL);
  box.events = sc_event_log_new(100);
  ScApiHost host = {
      .command = command,
      .metrics = metrics,
      .want_preview = want_preview,
      .preview_frame = preview_frame,
      .log_text = log_text,
      .events = box.events,
      .config_path = config,
      .max_login_failures = 5,
      .lockout_s = 60,
  };
  box.api = sc_api_new(box.http, &host);
  box.unix_path = g_build_filename(sc_fuzz_dir(), "control", NULL);
  g_assert(sc_http_listen_unix(box.http, box.unix_path, &error));
  g_assert(sc_http_listen_tcp(box.http, "127.0.0.1", 0, &error));
  g_assert_no_error(error);
  box.port = sc_http_get_port(box.http);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  sc_fuzz_fatal_logs(G_LOG_LEVEL_CRITICAL);
  open_box();
  return 0;
}

static void
open_sessions(void)
{
  const ScRole roles[] = {SC_ROLE_OPERATOR, SC_ROLE_TECHNICIAN};
  for (guint i = 0; i < G_N_ELEMENTS(roles); i++) {
    ScRole r = roles[i];
    if (box.tokens[r] != NULL && sc_auth_lookup(box.auth, box.tokens[r]) != NULL)
      continue;
    const ScSession *s = sc_auth_open_session(box.auth, r);
    g_free(box.tokens[r]);
    g_free(box.csrf[r]);
    box.tokens[r] = g_strdup(s->token);
    box.csrf[r] = g_strdup(s->csrf);
  }
}

static GByteArray *
expand(const uint8_t *data, size_t size)
{
  g_autofree char *host = g_strdup_printf("127.0.0.1:%u", box.port);
  const struct {
    const char *mark, *value;
  } marks[] = {{"@T@", box.tokens[SC_ROLE_TECHNICIAN]},
               {"@O@", box.tokens[SC_ROLE_OPERATOR]},
               {"@C@", box.csrf[SC_ROLE_TECHNICIAN]},
               {"@P@", box.csrf[SC_ROLE_OPERATOR]},
               {"@H@", host}};
  GByteArray *out = g_byte_array_sized_new((guint)size + 256);
  for (size_t i = 0; i < size;) {
    gboolean replaced = FALSE;
    for (guint m = 0; m < G_N_ELEMENTS(marks) && !replaced; m++)
      if (size - i >= 3 && memcmp(data + i, marks[m].mark, 3) == 0) {
        g_byte_array_append(out, (const guint8 *)marks[m].value, (guint)strlen(marks[m].value));
        i += 3;
        replaced = TRUE;
      }
    if (!replaced)
      g_byte_array_append(out, data + i++, 1);
  }
  return out;
}

typedef struct {
  gboolean done;
  gsize received;
  guint watch, deadline;
} Exchange;

static gboolean
on_reply(gint fd, GIOCondition condition, gpointer user_data)
{
  Exchange *x = user_data;
  char buf[16384];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n > 0) {
    x->received += (gsize)n;
    return G_SOURCE_CONTINUE;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  x->done = TRUE;
  x->watch = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
on_deadline(gpointer user_data)
{
  Exchange *x = user_data;
  x->done = TRUE;
  x->deadline = 0;
  return G_SOURCE_REMOVE;
}

/* Connections the client left are closed once a second; here at once, so a
 * request libsoup answers by itself does not cost a second. */
static gboolean
sweep_now(gpointer user_data)
{
  (void)sc_http_count_connections(box.http);
  return G_SOURCE_CONTINUE;
}

static GSocket *
connect_to_box(gboolean via_unix)
{
  g_autoptr(GSocketAddress) address =
      via_unix ? g_unix_socket_address_new(box.unix_path)
               : g_inet_socket_address_new_from_string("127.0.0.1", box.port);
  g_autoptr(GError) error = NULL;
  GSocket *s = g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error(error);
  /* blocking connect: the listener's backlog takes it before the loop runs */
  g_assert(g_socket_connect(s, address, NULL, &error));
  g_socket_set_blocking(s, FALSE);
  return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  open_sessions();
  g_autoptr(GByteArray) request = expand(data + 1, size - 1);
  g_autoptr(GSocket) s = connect_to_box(data[0] & 1);
  int fd = g_socket_get_fd(s);
  Exchange x = {0};
  x.watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_reply, &x);
  x.deadline = g_timeout_add(2000, on_deadline, &x);
  guint sweep = g_timeout_add(20, sweep_now, NULL);
  gsize sent = 0;
  gboolean all_sent = FALSE;
  for (guint turns = 0; !x.done && turns < 100000; turns++) {
    if (!all_sent) {
      ssize_t n = send(fd, request->data + sent, request->len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0)
        sent += (gsize)n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        break; /* the server closed on us, as it may */
      if (sent == request->len) {
        shutdown(fd, SHUT_WR); /* the client is done: the server must close too */
        all_sent = TRUE;
      }
    }
    g_main_context_iteration(NULL, all_sent);
  }
  g_clear_handle_id(&x.watch, g_source_remove);
  g_clear_handle_id(&x.deadline, g_source_remove);
  g_source_remove(sweep);
  g_socket_close(s, NULL);
  /* let the server see the end of the connection */
  for (guint turns = 0; turns < 10 && g_main_context_iteration(NULL, FALSE); turns++)
    ;
  return 0;
}
