/* The control API as a client on the studio LAN meets it: shopcastd runs
 * with its panel on a loopback port, and every endpoint is called without a
 * login, with the wrong role, with the right one, with malformed and with
 * oversize bodies; the first start, the lockout, CSRF and Origin checks, the
 * static files, the metrics, the WebSocket feed and its preview, and
 * shopcastctl over the network. */
#include "tests/support/api-fixture.h"
#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <libsoup/soup.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void
test_first_start_and_sessions(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  Reply r = call(f, "GET", "/api/v1/session", NULL, &tech);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"role\":\"technician\""));
  reply_clear(&r);
  /* the operator's password, set by the technician */
  r = call(f, "PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", &tech);
  assert_int_equal(r.status, 200);
  reply_clear(&r);
  Login oper = login_as(f, "operator", OPER_PASS);
  r = call(f, "GET", "/api/v1/status", NULL, &oper);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"live\":true"));
  assert_null(strstr(r.body, TEST_KEY));
  /* the encoder's rate (adaptive by default) and each destination's controller */
  assert_non_null(strstr(r.body, "\"bitrate\":{\"mode\":\"adaptive\",\"target_kbps\":"));
  assert_non_null(strstr(r.body, "\"current_kbps\":"));
  assert_non_null(strstr(r.body, "\"rate\":{\"adaptive\":true,\"state\":"));
  reply_clear(&r);
  /* logging out ends the session */
  r = call(f, "DELETE", "/api/v1/session", "{}", &oper);
  assert_int_equal(r.status, 200);
  reply_clear(&r);
  r = call(f, "GET", "/api/v1/status", NULL, &oper);
  assert_int_equal(r.status, 401);
  reply_clear(&r);
  login_clear(&tech);
  login_clear(&oper);
}

typedef struct {
  const char *method, *path, *body;
  gboolean technician; /* technician only */
} Endpoint;

/* Every endpoint with a harmless body. */
static const Endpoint endpoints[] = {
    {"GET", "/api/v1/status", NULL, FALSE},
    {"GET", "/api/v1/events?count=5", NULL, FALSE},
    {"GET", "/api/v1/show", NULL, FALSE},
    {"POST", "/api/v1/show/goto", "{\"product\":\"1\"}", FALSE},
    {"POST", "/api/v1/show/stock", "{\"count\":120}", FALSE},
    {"POST", "/api/v1/show/coupon", "{\"on\":false}", FALSE},
    {"POST", "/api/v1/show/lower-third", "{\"name\":\"小雨\"}", FALSE},
    {"DELETE", "/api/v1/show/lower-third", NULL, FALSE},
    {"POST", "/api/v1/show/opening", "{\"on\":false}", FALSE},
    {"POST", "/api/v1/show/closing", "{\"on\":false}", FALSE},
    {"POST", "/api/v1/show/flash", "{\"action\":\"reset\"}", FALSE},
    {"POST", "/api/v1/show/price", "{\"price\":\"9999\"}", FALSE}, /* refused: not below */
    {"POST", "/api/v1/show/move", "{\"product\":\"down-jacket\",\"position\":1}", FALSE},
    {"POST", "/api/v1/show/next", NULL, FALSE},
    {"POST", "/api/v1/show/previous", NULL, FALSE},
    {"POST", "/api/v1/show/reload", NULL, FALSE},
    {"GET", "/api/v1/audio", NULL, FALSE},
    {"POST", "/api/v1/audio/gain", "{\"db\":0}", FALSE},
    {"POST", "/api/v1/audio/mute", "{\"on\":false}", FALSE},
    {"POST", "/api/v1/audio/sync", "{\"ms\":0}", TRUE},
    {"POST", "/api/v1/audio/drill", "{\"mode\":\"on\"}", TRUE},
    {"GET", "/api/v1/cameras", NULL, FALSE},
    {"POST", "/api/v1/cameras/switch", "{\"camera\":\"main\"}", FALSE},
    {"GET", "/api/v1/cameras/main", NULL, TRUE},
    {"POST", "/api/v1/cameras/main/controls", "{\"control\":\"focus\",\"value\":\"auto\"}", TRUE},
    {"POST", "/api/v1/cameras/nosuch/drill", "{\"mode\":\"on\"}", TRUE},
    {"GET", "/api/v1/studio", NULL, FALSE},
    {"POST", "/api/v1/studio/scene", "{\"scene\":\"nosuch\"}", FALSE},
    {"POST", "/api/v1/studio/press", "{\"button\":\"nosuch\"}", TRUE},
    {"POST", "/api/v1/destinations/reconnect", "{\"destination\":\"local\"}", FALSE},
    {"POST", "/api/v1/uplinks/wired/drill", "{\"seconds\":0}", TRUE},
    {"POST", "/api/v1/pipeline/drill", "{\"seconds\":0}", TRUE},
    {"POST", "/api/v1/preflight", NULL, TRUE},
    {"GET", "/api/v1/board", NULL, TRUE},
    {"GET", "/api/v1/logs", NULL, TRUE},
    {"GET", "/api/v1/config", NULL, TRUE},
    {"PUT", "/api/v1/config", "{\"groups\":{}}", TRUE},
    {"GET", "/api/v1/firmware", NULL, TRUE},
    {"GET", "/api/v1/recording", NULL, FALSE},
    {"GET", "/api/v1/reports", NULL, FALSE},
    {"GET", "/api/v1/report", NULL, FALSE},
    {"GET", "/api/v1/report/path", NULL, FALSE},
    {"POST", "/api/v1/report/figures", "{\"key\":\"viewers\",\"value\":1200}", FALSE},
    {"POST", "/api/v1/report/generate", NULL, FALSE},
    {"GET", "/api/v1/report.html", NULL, FALSE},
    {"GET", "/api/v1/report.csv", NULL, FALSE},
    {"GET", "/api/v1/preview.jpg", NULL, FALSE},
    {"GET", "/metrics", NULL, FALSE},
    {"POST", "/api/v1/live", "{\"on\":true}", FALSE},
    /* last: a new operator password ends the operator's sessions */
    {"PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", TRUE},
};

static gboolean
changes_state(const Endpoint *e)
{
  return !g_str_equal(e->method, "GET");
}

static void
test_every_endpoint_checks_role_csrf_and_origin(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  Reply r = call(f, "PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", &tech);
  reply_clear(&r);
  Login oper = login_as(f, "operator", OPER_PASS);
  for (guint i = 0; i < G_N_ELEMENTS(endpoints); i++) {
    const Endpoint *e = &endpoints[i];
    g_print("%s %s\n", e->method, e->path);
    r = call(f, e->method, e->path, e->body, NULL); /* not logged in */
    assert_int_equal(r.status, 401);
    reply_clear(&r);
    r = call(f, e->method, e->path, e->body, &oper);
    if (e->technician) {
      assert_int_equal(r.status, 403); /* the wrong role */
      assert_non_null(strstr(r.body, "technician"));
    } else {
      assert_true(r.status != 401 && r.status != 403);
    }
    reply_clear(&r);
    r = call(f, e->method, e->path, e->body, &tech);
    /* allowed; the action may still be refused for its own reasons (4xx),
     * and the preview may be starting (503) */
    assert_true(r.status != 401 && r.status != 403 && (r.status < 500 || r.status == 503));
    assert_null(strstr(r.body, TEST_KEY));
    reply_clear(&r);
    if (!changes_state(e))
      continue;
    r = call_full(f, e->method, e->path, e->body, &tech, FALSE, NULL); /* no CSRF token */
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "CSRF"));
    reply_clear(&r);
    r = call_full(f, e->method, e->path, e->body, &tech, TRUE, "http://evil.example");
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "cross-site"));
    reply_clear(&r);
  }
  login_clear(&tech);
  login_clear(&oper);
}

static void
test_bad_bodies_are_refused_with_reasons(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  static const struct {
    const char *path, *body, *says;
  } bad[] = {
      {"/api/v1/show/stock", "{\"count\":", "malformed JSON"},
      {"/api/v1/show/stock", "[1,2]", "must be a JSON object"},
      {"/api/v1/show/stock", "{\"count\":1,\"colour\":\"red\"}", "unknown field 'colour'"},
      {"/api/v1/show/coupon", "{\"on\":\"yes\"}", "'on' must be true or false"},
      {"/api/v1/show/goto", "{}", "missing field 'product'"},
      {"/api/v1/show/price", "{\"price\":[1]}", "'price' must be a string"},
      {"/api/v1/live", "{\"on\":null}", "missing field 'on'"},
      {"/api/v1/session", "{\"password\":5}", "send {"},
      {"/api/v1/show/stock", "{\"count\":\"lots\"}", "not a count"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    Reply r = call(f, "POST", bad[i].path, bad[i].body, &tech);
    g_print("%s %s -> %u %s", bad[i].path, bad[i].body, r.status, r.body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, bad[i].says));
    reply_clear(&r);
  }
  /* config changes are checked as the box checks its config; nothing is saved */
  g_autofree char *before = NULL;
  g_autofree char *config = g_build_filename(f->dir, "shopcast.ini", NULL);
  g_file_get_contents(config, &before, NULL, NULL);
  Reply r =
      call(f, "PUT", "/api/v1/config", "{\"groups\":{\"video\":{\"bitrat\":\"3000\"}}}", &tech);
  assert_int_equal(r.status, 400);
  assert_non_null(strstr(r.body, "did you mean 'bitrate'"));
  assert_non_null(strstr(r.body, "shopcast.ini"));
  reply_clear(&r);
  g_autofree char *after = NULL;
  g_file_get_contents(config, &after, NULL, NULL);
  assert_string_equal(before, after);
  /* names the file cannot hold are refused by name, with what to fix; nothing is saved */
  static const struct {
    const char *body, *says;
  } names[] = {
      {"{\"groups\":{\"video\\tx\":{\"bitrate\":\"900\"}}}", "a control character"},
      {"{\"groups\":{\"video\":{\" bitrate\":\"900\"}}}", "cannot start or end with a space"},
      {"{\"groups\":{\"video\":{\"#bitrate\":\"900\"}}}", "is a comment"},
      {"{\"groups\":{\"video\":{\"bit\\u0001rate\":\"900\"}}}", "a control character"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    r = call(f, "PUT", "/api/v1/config", names[i].body, &tech);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, names[i].says));
    reply_clear(&r);
  }
  g_free(after);
  after = NULL;
  g_file_get_contents(config, &after, NULL, NULL);
  assert_string_equal(before, after);
  /* a good change is saved; the stream key stays write-only */
  r = call(f, "PUT", "/api/v1/config", "{\"groups\":{\"video\":{\"bitrate\":\"900\"}}}", &tech);
  assert_int_equal(r.status, 200);
  reply_clear(&r);
  r = call(f, "GET", "/api/v1/config", NULL, &tech);
  assert_non_null(strstr(r.body, "\"bitrate\":\"900\""));
  assert_non_null(strstr(r.body, "\"key\":\"****"));
  assert_null(strstr(r.body, TEST_KEY));
  reply_clear(&r);
  g_free(after);
  after = NULL;
  g_file_get_contents(config, &after, NULL, NULL);
  assert_non_null(strstr(after, "key=" TEST_KEY)); /* sent back masked: unchanged */
  login_clear(&tech);
}

static void
test_oversize_and_chunked_bodies(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  GString *big = g_string_new("{\"name\":\"");
  while (big->len < 70 * 1024)
    g_string_append(big, "xxxxxxxxxxxxxxxx");
  g_string_append(big, "\"}");
  Reply r = call(f, "POST", "/api/v1/show/lower-third", big->str, &tech);
  assert_int_equal(r.status, 413);
  assert_non_null(strstr(r.body, "too large"));
  reply_clear(&r);
  g_string_free(big, TRUE);
  /* a body without a length is refused before it is read */
  g_autofree char *uri = g_strconcat(f->base, "/api/v1/show/stock", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new("POST", uri);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data("{\"count\":3}", 11, NULL);
  soup_message_set_request_body(msg, "application/json", in, -1);
  soup_message_headers_replace(soup_message_get_request_headers(msg), "Cookie", tech.cookie);
  g_autoptr(GBytes) got = soup_session_send_and_read(f->http, msg, NULL, NULL);
  assert_int_equal(soup_message_get_status(msg), 411);
  login_clear(&tech);
}

static guint
count_fds(GPid pid)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  assert_non_null(dir);
  guint n = 0;
  while (g_dir_read_name(dir))
    n++;
  return n;
}

/* A client that connects and leaves (a browser's preconnect, a closed tab, a
 * phone off the Wi-Fi) costs the box nothing once it has gone. */
static void
test_connections_clients_left_are_closed(void **state)
{
  Fixture *f = *state;
  GPid pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(f->daemon), NULL, 10);
  g_usleep(1500 * 1000); /* the connections of the fixture's start are gone */
  guint before = count_fds(pid);
  const char *requests[] = {
      "",                                              /* connects and leaves */
      "GET /api/v1/setup HTTP/1.1\r\nHost: x\r\n\r\n", /* our answer */
      "GET /api/v1/setup HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
      "GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n", /* libsoup's own 400 */
      "GET /api/v1/sta",                                         /* half a request */
  };
  for (guint round = 0; round < 8; round++)
    for (guint i = 0; i < G_N_ELEMENTS(requests); i++) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(f->port)};
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
      gsize len = strlen(requests[i]);
      assert_int_equal(send(fd, requests[i], len, MSG_NOSIGNAL), (ssize_t)len);
      if (len > 0 && strstr(requests[i], "\r\n\r\n")) {
        char reply[4096];
        struct timeval wait = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        assert_true(recv(fd, reply, sizeof reply, 0) > 0); /* answered */
      }
      close(fd);
    }
  guint after = count_fds(pid);
  for (guint i = 0; i < 50 && after > before; i++) { /* swept once a second */
    g_usleep(100 * 1000);
    after = count_fds(pid);
  }
  g_print("shopcastd's descriptors: %u before 40 clients came and left, %u after\n", before, after);
  assert_true(after <= before);
}

static void
test_static_files_cannot_escape(void **state)
{
  Fixture *f = *state;
  Reply r = call(f, "GET", "/", NULL, NULL);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "<html"));
  assert_non_null(r.csp);
  assert_non_null(strstr(r.csp, "default-src 'self'"));
  reply_clear(&r);
  static const char *const escapes[] = {
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/app.js/../../etc/passwd",
      "/.%2e/shopcast.ini",
      "/%2fetc%2fpasswd",
      "/panel.gresource.xml",
      "/etc/passwd",
      "/\\..\\..\\etc\\passwd",
      "/..%2f..%2fetc%2fpasswd",
  };
  for (guint i = 0; i < G_N_ELEMENTS(escapes); i++) {
    r = call(f, "GET", escapes[i], NULL, NULL);
    g_print("%s -> %u\n", escapes[i], r.status);
    assert_true(r.status == 404 || r.status == 400);
    assert_null(strstr(r.body, "root:"));
    assert_null(strstr(r.body, TEST_KEY));
    reply_clear(&r);
  }
  r = call(f, "POST", "/index.html", "{}", NULL);
  assert_int_equal(r.status, 405);
  reply_clear(&r);
  r = call(f, "GET", "/api/v1/nosuch", NULL, NULL);
  assert_int_equal(r.status, 404);
  reply_clear(&r);
  r = call(f, "PATCH", "/api/v1/status", "{}", NULL);
  assert_int_equal(r.status, 405);
  reply_clear(&r);
  r = call(f, "HEAD", "/api/v1/status", NULL, NULL); /* a GET route: asks for a login */
  assert_int_equal(r.status, 401);
  assert_string_equal(r.body, "");
  reply_clear(&r);
}

static void
test_wrong_passwords_lock_out(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f); /* its login before the setup was the first wrong password */
  for (guint i = 0; i < 2; i++) {
    Reply r = call(f, "POST", "/api/v1/session",
                   "{\"role\":\"technician\",\"password\":\"not-the-password\"}", NULL);
    assert_int_equal(r.status, 401);
    reply_clear(&r);
  }
  /* the right password, too late: locked out for a while */
  Reply r = call(f, "POST", "/api/v1/session",
                 "{\"role\":\"technician\",\"password\":\"" TECH_PASS "\"}", NULL);
  assert_int_equal(r.status, 429);
  assert_non_null(strstr(r.body, "try again in"));
  reply_clear(&r);
  /* the session already open goes on */
  r = call(f, "GET", "/api/v1/status", NULL, &tech);
  assert_int_equal(r.status, 200);
  reply_clear(&r);
  login_clear(&tech);
}

static void
test_metrics_for_prometheus(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  login_clear(&tech);
  g_autofree char *basic =
      g_base64_encode((const guchar *)"technician:" TECH_PASS, strlen("technician:" TECH_PASS));
  g_autofree char *header = g_strconcat("Basic ", basic, NULL);
  g_autofree char *uri = g_strconcat(f->base, "/metrics", NULL);
  g_autofree char *text = NULL;
  /* the mic's meter reports every 100 ms once the pipeline plays (slowly
   * under the sanitizers) */
  for (guint attempt = 0; attempt < 200; attempt++) {
    g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
    soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", header);
    g_autoptr(GBytes) got = soup_session_send_and_read(f->http, msg, NULL, NULL);
    assert_int_equal(soup_message_get_status(msg), 200);
    g_free(text);
    text = g_strndup(g_bytes_get_data(got, NULL), g_bytes_get_size(got));
    if (strstr(text, "shopcast_audio_peak_dbfs{point=\"mic\""))
      break;
    g_usleep(100 * 1000);
  }
  assert_non_null(strstr(text, "# TYPE shopcast_frames_encoded_total counter\n"));
  assert_non_null(strstr(text, "shopcast_live 1\n"));
  assert_non_null(strstr(text, "shopcast_output_bytes_sent_total{destination=\"local\"}"));
  assert_non_null(strstr(text, "shopcast_audio_peak_dbfs{point=\"mic\",channel=\"0\"}"));
  assert_non_null(strstr(text, "shopcast_process_cpu_seconds_total"));
  assert_non_null(strstr(text, "# TYPE shopcast_video_bitrate_bps gauge\n"));
  assert_non_null(strstr(text, "# TYPE shopcast_video_bitrate_current_bps gauge\n"));
  assert_non_null(strstr(text, "# TYPE shopcast_video_bitrate_changes_total counter\n"));
  assert_non_null(strstr(text, "shopcast_output_frames_dropped_total{destination=\"local\"} 0\n"));
  assert_non_null(strstr(text, "shopcast_output_gops_dropped_total{destination=\"local\"} 0\n"));
  const char *target = strstr(text, "\nshopcast_video_bitrate_bps ");
  assert_non_null(target);
  assert_true(g_ascii_strtod(target + strlen("\nshopcast_video_bitrate_bps "), NULL) >= 500000);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) /* every sample is shopcast's */
    assert_true(lines[i][0] == '\0' || lines[i][0] == '#' ||
                g_str_has_prefix(lines[i], "shopcast_"));
  Reply r = call(f, "GET", "/metrics", NULL, NULL);
  assert_int_equal(r.status, 401);
  reply_clear(&r);
}

typedef struct {
  GMainLoop *loop;
  SoupWebsocketConnection *ws;
  GError *error;
  guint texts, binaries;
  gboolean status_seen, hello_seen;
  GBytes *jpeg;
} Feed;

static void
on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
  Feed *feed = data;
  feed->ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &feed->error);
  g_main_loop_quit(feed->loop);
}

static void
on_feed_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Feed *feed = data;
  gsize len = 0;
  const char *bytes = g_bytes_get_data(message, &len);
  if (type == SOUP_WEBSOCKET_DATA_BINARY) {
    feed->binaries++;
    if (feed->jpeg == NULL)
      feed->jpeg = g_bytes_ref(message);
    soup_websocket_connection_send_text(ws, "{\"ack\":1}");
  } else {
    feed->texts++;
    g_autofree char *text = g_strndup(bytes, len);
    feed->hello_seen |= g_str_has_prefix(text, "{\"type\":\"hello\",\"role\":\"operator\"");
    feed->status_seen |= g_str_has_prefix(text, "{\"type\":\"status\",\"status\":{\"live\":");
  }
}

static gboolean
quit_loop(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

static SoupWebsocketConnection *
open_feed(Fixture *f, Feed *feed, const Login *login, const char *origin)
{
  g_autofree char *uri = g_strdup_printf("ws://127.0.0.1:%u/api/v1/ws", f->port);
  g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
  if (login)
    soup_message_headers_replace(soup_message_get_request_headers(msg), "Cookie", login->cookie);
  feed->loop = g_main_loop_new(NULL, FALSE);
  soup_session_websocket_connect_async(f->http, msg, origin, NULL, G_PRIORITY_DEFAULT, NULL,
                                       on_connected, feed);
  guint guard = g_timeout_add_seconds(10, quit_loop, feed->loop);
  g_main_loop_run(feed->loop);
  g_source_remove(guard);
  return feed->ws;
}

static void
test_feed_and_preview(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  Reply r = call(f, "PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", &tech);
  reply_clear(&r);
  Login oper = login_as(f, "operator", OPER_PASS);
  g_autofree char *origin = g_strdup(f->base);
  /* refused: no login, and a foreign page */
  Feed none = {0};
  assert_null(open_feed(f, &none, NULL, origin));
  g_clear_error(&none.error);
  g_main_loop_unref(none.loop);
  Feed foreign = {0};
  assert_null(open_feed(f, &foreign, &oper, "http://evil.example"));
  g_clear_error(&foreign.error);
  g_main_loop_unref(foreign.loop);
  /* the operator's feed: hello, status, then the preview when asked */
  Feed feed = {0};
  assert_non_null(open_feed(f, &feed, &oper, origin));
  g_signal_connect(feed.ws, "message", G_CALLBACK(on_feed_message), &feed);
  soup_websocket_connection_send_text(feed.ws, "{\"preview\":true}");
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (feed.binaries < 5 && g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);
  assert_true(feed.hello_seen);
  assert_true(feed.status_seen);
  assert_true(feed.binaries >= 5);
  const guint8 *jpeg = g_bytes_get_data(feed.jpeg, NULL);
  assert_true(g_bytes_get_size(feed.jpeg) > 2000);
  assert_int_equal(jpeg[0], 0xFF);
  assert_int_equal(jpeg[1], 0xD8);
  soup_websocket_connection_close(feed.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
  while (soup_websocket_connection_get_state(feed.ws) != SOUP_WEBSOCKET_STATE_CLOSED &&
         g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, TRUE);
  g_object_unref(feed.ws);
  g_bytes_unref(feed.jpeg);
  g_main_loop_unref(feed.loop);
  login_clear(&tech);
  login_clear(&oper);
}

static void
test_shopcastctl_over_the_network(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  login_clear(&tech);
  g_autofree char *out = NULL, *err = NULL;
  g_setenv("SHOPCAST_PASSWORD", TECH_PASS, TRUE);
  char *status[] = {f->ctl, "--url", f->base, "show", "goto", "1", NULL};
  assert_int_equal(sc_test_run(status, 20, &out, &err), 0);
  assert_non_null(strstr(out, "\"product\":\"down-jacket\""));
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_setenv("SHOPCAST_PASSWORD", "not-the-password", TRUE);
  assert_int_equal(sc_test_run(status, 20, &out, &err), 77);
  assert_non_null(strstr(err, "wrong password"));
  g_unsetenv("SHOPCAST_PASSWORD");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  /* on the box, the Unix socket is the technician */
  char *board[] = {f->ctl, "--socket", f->control, "board", NULL};
  assert_int_equal(sc_test_run(board, 20, &out, &err), 0);
  assert_non_null(strstr(out, "\"board\":\"sim\""));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_first_start_and_sessions, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_every_endpoint_checks_role_csrf_and_origin, api_setup,
                                      api_teardown),
      cmocka_unit_test_setup_teardown(test_bad_bodies_are_refused_with_reasons, api_setup,
                                      api_teardown),
      cmocka_unit_test_setup_teardown(test_oversize_and_chunked_bodies, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_static_files_cannot_escape, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_connections_clients_left_are_closed, api_setup,
                                      api_teardown),
      cmocka_unit_test_setup_teardown(test_wrong_passwords_lock_out, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_metrics_for_prometheus, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_feed_and_preview, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_shopcastctl_over_the_network, api_setup, api_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
