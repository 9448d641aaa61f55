/* The HTTP server's connections (firmware/http-connections.c), on TCP and on
 * the Unix socket: however a client's connection ends (it closes after its
 * answer, asks the server to close, connects and leaves, leaves in the middle
 * of a request, or half-closes and waits for its answer), every one is let go
 * of entirely: the count of sockets not yet freed is back to zero within a
 * few seconds, so a long show with a panel and a monitoring script polling
 * does not grow. A client that half-closes while its answer is still being
 * worked on gets it. An HTTP/1.0 request without Host is answered on both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/http.h"
#include "tests/support/testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
  char *dir;
  ScAuth *auth;
  ScHttp *http;
  char *unix_path;
  guint port;
} Fixture;

static void
on_ping(ScHttpRequest *req, gpointer data)
{
  sc_http_reply_json(req, 200, "{\"pong\":true}");
}

static gboolean
answer_slowly(gpointer data)
{
  ScHttpRequest *req = data;
  sc_http_reply_json(req, 200, "{\"pong\":\"slowly\"}");
  sc_http_request_release(req);
  return G_SOURCE_REMOVE;
}

/* Answers after 2.5 s: two sweeps of the connections pass meanwhile. */
static void
on_slow(ScHttpRequest *req, gpointer data)
{
  g_timeout_add(2500, answer_slowly, sc_http_request_hold(req));
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  f->dir = sc_test_tmpdir();
  g_autofree char *passwords = g_build_filename(f->dir, "passwords", NULL);
  f->auth = sc_auth_new(passwords, NULL, &error);
  g_assert_no_error(error);
  f->http = sc_http_new(f->auth, NULL);
  static const ScHttpRoute routes[] = {
      {"GET", "/api/v1/ping", SC_ROLE_NONE, on_ping, 0, NULL},
      {"GET", "/api/v1/slow", SC_ROLE_NONE, on_slow, 0, NULL},
  };
  sc_http_add_routes(f->http, routes, G_N_ELEMENTS(routes), f);
  f->unix_path = g_build_filename(f->dir, "control", NULL);
  assert_true(sc_http_listen_unix(f->http, f->unix_path, &error));
  assert_true(sc_http_listen_tcp(f->http, "127.0.0.1", 0, &error));
  g_assert_no_error(error);
  f->port = sc_http_get_port(f->http);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  sc_http_free(f->http);
  sc_auth_free(f->auth);
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->unix_path);
  g_free(f);
  return 0;
}

/* ---- a client, with blocking sockets (on a thread of its own) ---- */

static int
connect_to(Fixture *f, gboolean on_unix)
{
  int fd;
  int rc;
  if (on_unix) {
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    g_strlcpy(to.sun_path, f->unix_path, sizeof to.sun_path);
    rc = connect(fd, (struct sockaddr *)&to, sizeof to);
  } else {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(f->port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&to, sizeof to);
  }
  struct timeval wait = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static gboolean
send_text(int fd, const char *text)
{
  gsize len = strlen(text);
  return send(fd, text, len, MSG_NOSIGNAL) == (ssize_t)len;
}

/* Reads until the answer's body holds @word (or, with @to_end, until the
 * server closes); whether it was a 200 that does. */
static gboolean
read_answer(int fd, const char *word, gboolean to_end)
{
  GString *got = g_string_new(NULL);
  char buf[2048];
  ssize_t n;
  while (got->len < 65536 && (n = recv(fd, buf, sizeof buf, 0)) > 0) {
    g_string_append_len(got, buf, n);
    if (!to_end && strstr(got->str, word))
      break;
  }
  gboolean ok =
      (g_str_has_prefix(got->str, "HTTP/1.1 200") || g_str_has_prefix(got->str, "HTTP/1.0 200")) &&
      strstr(got->str, word);
  g_string_free(got, TRUE);
  return ok;
}

typedef enum {
  ENDS_AFTER_ANSWER, /* keep-alive; the client closes first */
  ENDS_BY_SERVER,    /* Connection: close */
  ENDS_AT_ONCE,      /* connects and leaves (a browser's preconnect) */
  ENDS_MID_REQUEST,  /* half a request */
  ENDS_HALF_CLOSED,  /* the request, its write side shut, then the answer */
  N_ENDINGS,
} Ending;

static gboolean
one_client(Fixture *f, gboolean on_unix, Ending how)
{
  int fd = connect_to(f, on_unix);
  if (fd < 0)
    return FALSE;
  const char *ping = "GET /api/v1/ping HTTP/1.1\r\nHost: box\r\n\r\n";
  gboolean ok = TRUE;
  switch (how) {
  case ENDS_AFTER_ANSWER:
    ok = send_text(fd, ping) && read_answer(fd, "pong", FALSE);
    break;
  case ENDS_BY_SERVER:
    ok = send_text(fd, "GET /api/v1/ping HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n") &&
         read_answer(fd, "pong", TRUE);
    break;
  case ENDS_AT_ONCE:
    break;
  case ENDS_MID_REQUEST:
    ok = send_text(fd, "GET /api/v1/pi");
    break;
  case ENDS_HALF_CLOSED:
    ok = send_text(fd, ping) && shutdown(fd, SHUT_WR) == 0 && read_answer(fd, "pong", FALSE);
    break;
  default:
    g_assert_not_reached();
  }
  close(fd);
  return ok;
}

/* Clients on a thread of their own, beside the server's main loop. */
typedef struct {
  Fixture *f;
  guint rounds; /* run_clients() */
  int fds[4];   /* finish_requests(): connections in the middle of a request */
  gint failed;  /* atomic */
  gint done;    /* atomic */
} Clients;

static void
clients_done(Clients *c)
{
  g_atomic_int_set(&c->done, 1);
  g_main_context_wakeup(NULL);
}

/* Runs @func(@c) on a thread while the main loop runs, at most @max_s; then
 * every client must have got its answer. */
static void
run_beside(GThreadFunc func, Clients *c, guint max_s)
{
  GThread *thread = g_thread_new("clients", func, c);
  gint64 start = g_get_monotonic_time();
  while (!g_atomic_int_get(&c->done) && g_get_monotonic_time() - start < max_s * G_USEC_PER_SEC)
    g_main_context_iteration(NULL, TRUE);
  assert_true(g_atomic_int_get(&c->done)); /* else a client blocks in a recv (10 s at most) */
  g_thread_join(thread);
  assert_int_equal(g_atomic_int_get(&c->failed), 0);
}

static gpointer
run_clients(gpointer data)
{
  Clients *c = data;
  for (guint r = 0; r < c->rounds; r++)
    for (Ending how = 0; how < N_ENDINGS; how++)
      for (int on_unix = 0; on_unix < 2; on_unix++)
        if (!one_client(c->f, on_unix, how)) {
          g_printerr("client %u (%s, ending %d) did not get its answer: %s\n", r,
                     on_unix ? "Unix socket" : "TCP", how, g_strerror(errno));
          g_atomic_int_inc(&c->failed);
        }
  clients_done(c);
  return NULL;
}

/* Sends the rest of each request of @fds, then reads each answer to its end:
 * it must say "Connection: close", and the server must close. */
static gpointer
finish_requests(gpointer data)
{
  Clients *c = data;
  for (guint i = 0; i < G_N_ELEMENTS(c->fds); i++) {
    if (!send_text(c->fds[i], "Host: box\r\n\r\n") ||
        !read_answer(c->fds[i], "Connection: close", TRUE))
      g_atomic_int_inc(&c->failed);
    close(c->fds[i]);
  }
  clients_done(c);
  return NULL;
}

/* One client asks for the slow answer, shuts its write side, and waits. */
static gpointer
run_slow_client(gpointer data)
{
  Clients *c = data;
  int fd = connect_to(c->f, FALSE);
  if (!(fd >= 0 && send_text(fd, "GET /api/v1/slow HTTP/1.1\r\nHost: box\r\n\r\n") &&
        shutdown(fd, SHUT_WR) == 0 && read_answer(fd, "slowly", FALSE)))
    g_atomic_int_inc(&c->failed);
  if (fd >= 0)
    close(fd);
  clients_done(c);
  return NULL;
}

/* HTTP/1.0 without Host, on TCP and on the Unix socket. */
static gpointer
run_http10_clients(gpointer data)
{
  Clients *c = data;
  for (int on_unix = 0; on_unix < 2; on_unix++) {
    int fd = connect_to(c->f, on_unix);
    if (!(fd >= 0 && send_text(fd, "GET /api/v1/ping HTTP/1.0\r\n\r\n") &&
          read_answer(fd, "pong", TRUE))) {
      g_printerr("HTTP/1.0 on %s: no answer\n", on_unix ? "the Unix socket" : "TCP");
      g_atomic_int_inc(&c->failed);
    }
    if (fd >= 0)
      close(fd);
  }
  clients_done(c);
  return NULL;
}

/* Runs the main loop until the count of connections not let go is @want, at
 * most @max_ms; returns the ms it took, or -1. */
static gint64
wait_for_count(Fixture *f, guint want, guint max_ms)
{
  gint64 start = g_get_monotonic_time();
  while (g_get_monotonic_time() - start < (gint64)max_ms * 1000) {
    if (sc_http_count_connections(f->http) == want)
      return (g_get_monotonic_time() - start) / 1000;
    g_main_context_iteration(NULL, FALSE);
    g_usleep(2000);
  }
  return -1;
}

static void
test_every_connection_is_let_go(void **state)
{
  Fixture *f = *state;
  Clients c = {.f = f, .rounds = 60};
  run_beside(run_clients, &c, 120);
  guint total = c.rounds * N_ENDINGS * 2;
  gint64 ms = wait_for_count(f, 0, 5000);
  if (ms < 0)
    fail_msg("%u of %u connections are still held 5 s after their clients left",
             sc_http_count_connections(f->http), total);
  print_message("%u connections (TCP and Unix, 5 ways of ending): all let go %" G_GINT64_FORMAT
                " ms after the last one\n",
                total, ms);
}

/* The count is of connections still there: clients that stay (in the middle
 * of a request) are counted until they leave. Each answer says the server
 * closes the connection, and it does. */
static void
test_connections_that_stay_are_counted(void **state)
{
  Fixture *f = *state;
  Clients c = {.f = f};
  for (guint i = 0; i < G_N_ELEMENTS(c.fds); i++) {
    c.fds[i] = connect_to(f, i % 2);
    assert_true(c.fds[i] >= 0);
    assert_true(send_text(c.fds[i], "GET /api/v1/ping HTTP/1.1\r\n"));
  }
  if (wait_for_count(f, G_N_ELEMENTS(c.fds), 5000) < 0)
    fail_msg("%u connections counted, %u open", sc_http_count_connections(f->http),
             (guint)G_N_ELEMENTS(c.fds));
  for (guint i = 0; i < 25; i++) { /* 2.5 s: sweeps pass; they stay */
    g_main_context_iteration(NULL, FALSE);
    g_usleep(100 * 1000);
  }
  assert_int_equal(sc_http_count_connections(f->http), G_N_ELEMENTS(c.fds));
  run_beside(finish_requests, &c, 30);
  assert_true(wait_for_count(f, 0, 5000) >= 0);
}

static void
test_half_closed_client_gets_a_slow_answer(void **state)
{
  Fixture *f = *state;
  Clients c = {.f = f};
  run_beside(run_slow_client, &c, 20);
  assert_true(wait_for_count(f, 0, 5000) >= 0);
}

/* An HTTP/1.0 request without Host is answered on the Unix socket as on TCP,
 * and nothing is logged for it: libsoup names such a request after the local
 * address, which it takes for an IP one (found by fuzz-http). */
static void
test_http10_without_host(void **state)
{
  Fixture *f = *state;
  GLogLevelFlags before = g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  Clients c = {.f = f};
  run_beside(run_http10_clients, &c, 30);
  g_log_set_always_fatal(before);
  assert_true(wait_for_count(f, 0, 5000) >= 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_every_connection_is_let_go, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connections_that_stay_are_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_half_closed_client_gets_a_slow_answer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http10_without_host, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
