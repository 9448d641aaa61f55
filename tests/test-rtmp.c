/* test-rtmp.c - the RTMP publishing client against a real nginx-rtmp ingest,
 * and its chunk stream parser on crafted and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/amf.h"
#include "pipeline/rtmp-chunk.h"
#include "pipeline/rtmp.h"
#include "tests/support/ingest.h"
#include "tests/support/testutil.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the stream we publish: a real FLV made by GStreamer at test time ---- */

typedef struct {
  guint8 type;
  guint32 timestamp;
  GBytes *body;
} Tag;

typedef struct {
  char *dir;
  GPtrArray *tags;      /* Tag * */
  guint32 duration_ms;  /* timestamp of the last tag */
  ScTestIngest *ingest; /* shared: any key, with a TLS front */
  ScTestIngest *own;    /* one test's own, stopped by teardown even if the test fails */
} Fixture;

static void
tag_free(Tag *tag)
{
  g_bytes_unref(tag->body);
  g_free(tag);
}

static guint32
be24(const guint8 *p)
{
  return (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
}

/* FLV: a header, then tags of 11 header bytes, the body, and a 4-byte back pointer. */
static gboolean
parse_flv(Fixture *f, const guint8 *data, gsize len)
{
  if (len < 13 || memcmp(data, "FLV", 3) != 0)
    return FALSE;
  gsize off = ((gsize)data[5] << 24 | be24(data + 6)) + 4;
  while (off + 11 <= len) { /* each pass moves past one tag */
    guint32 size = be24(data + off + 1);
    if (off + 11 + size > len)
      break;
    Tag *tag = g_new0(Tag, 1);
    tag->type = data[off] & 0x1f;
    tag->timestamp = be24(data + off + 4) | (guint32)data[off + 7] << 24;
    tag->body = g_bytes_new(data + off + 11, size);
    g_ptr_array_add(f->tags, tag);
    f->duration_ms = MAX(f->duration_ms, tag->timestamp);
    off += 11 + size + 4;
  }
  return f->tags->len > 10;
}

/* A short H.264 + AAC stream: synthesizing an AVC sequence header by hand
 * would test our guesswork, not the client. */
static gboolean
make_flv(Fixture *f)
{
  g_autofree char *path = g_build_filename(f->dir, "test.flv", NULL);
  g_autofree char *quoted = g_shell_quote(path);
  g_autofree char *command =
      g_strdup_printf("gst-launch-1.0 -q videotestsrc num-buffers=60"
                      " ! video/x-raw,format=I420,width=320,height=240,framerate=30/1"
                      " ! x264enc tune=zerolatency key-int-max=30 ! h264parse"
                      " ! flvmux name=m streamable=true ! filesink location=%s"
                      " audiotestsrc num-buffers=60 ! avenc_aac ! aacparse ! m.",
                      quoted);
  g_auto(GStrv) argv = NULL;
  g_autofree char *err = NULL;
  if (!g_shell_parse_argv(command, NULL, &argv, NULL) || sc_test_run(argv, 60, NULL, &err) != 0) {
    g_printerr("gst-launch-1.0 failed: %s\n", err ? err : "");
    return FALSE;
  }
  g_autofree char *data = NULL;
  gsize len = 0;
  return g_file_get_contents(path, &data, &len, NULL) && parse_flv(f, (guint8 *)data, len);
}

static int
group_setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  *state = f;
  f->dir = sc_test_tmpdir();
  f->tags = g_ptr_array_new_with_free_func((GDestroyNotify)tag_free);
  if (!make_flv(f))
    return -1;
  g_autoptr(GError) error = NULL;
  ScTestIngestOptions options = {.tls = TRUE};
  f->ingest = sc_test_ingest_start(&options, &error);
  if (f->ingest == NULL) {
    g_printerr("cannot start the ingest: %s\n", error->message);
    return -1;
  }
  return 0;
}

static int
group_teardown(void **state)
{
  Fixture *f = *state;
  sc_test_ingest_stop(f->ingest);
  g_ptr_array_unref(f->tags);
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static int
start_own_ingest(void **state, const char *key)
{
  Fixture *f = *state;
  ScTestIngestOptions options = {.key = key};
  g_autoptr(GError) error = NULL;
  f->own = sc_test_ingest_start(&options, &error);
  if (f->own == NULL)
    g_printerr("cannot start the ingest: %s\n", error->message);
  return f->own ? 0 : -1;
}

static int
setup_open_ingest(void **state)
{
  return start_own_ingest(state, NULL);
}

static int
setup_keyed_ingest(void **state)
{
  return start_own_ingest(state, "goodkey");
}

static int
teardown_own_ingest(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->own, sc_test_ingest_stop);
  return 0;
}

/* ---- helpers ---- */

static ScRtmpParams
params(const char *url, const char *key)
{
  return (ScRtmpParams){
      .url = url, .stream_key = key, .connect_timeout_ms = 5000, .send_timeout_ms = 3000};
}

static ScRtmp *
connect_ok(const ScRtmpParams *p)
{
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(p, NULL, &error);
  if (rtmp == NULL)
    fail_msg("connect to %s failed: %s", p->url, error->message);
  return rtmp;
}

/* The error a user sees must carry the code, and never the key. */
static void
check_error(const GError *error, ScRtmpError code, const char *fragment, const char *key)
{
  if (error == NULL)
    fail_msg("no error");
  if (!g_error_matches(error, SC_RTMP_ERROR, (gint)code))
    fail_msg("error %s/%d (%s), expected code %d", g_quark_to_string(error->domain), error->code,
             error->message, code);
  if (fragment && strstr(error->message, fragment) == NULL)
    fail_msg("message '%s' lacks '%s'", error->message, fragment);
  if (key && strstr(error->message, key))
    fail_msg("message '%s' shows the stream key", error->message);
}

static gint64
elapsed_ms(gint64 start_us)
{
  return (g_get_monotonic_time() - start_us) / 1000;
}

/* Sends the file's tags paced in real time, looping the file, shifted by
 * @base_ms, up to stream time @until_ms or until *@stop. */
static gboolean
publish_paced(Fixture *f, ScRtmp *rtmp, guint32 base_ms, guint32 until_ms, gint *stop,
              GError **error)
{
  gint64 start = g_get_monotonic_time();
  guint32 offset = 0;
  for (guint loop = 0; loop < 1000; loop++) {
    for (guint i = 0; i < f->tags->len; i++) {
      Tag *tag = f->tags->pdata[i];
      guint32 ts = tag->timestamp + offset;
      if (ts > until_ms || (stop && g_atomic_int_get(stop)))
        return TRUE;
      gint64 wait = start + (gint64)ts * 1000 - g_get_monotonic_time();
      if (wait > 0)
        g_usleep(wait);
      gsize len;
      const guint8 *body = g_bytes_get_data(tag->body, &len);
      if (!sc_rtmp_send(rtmp, tag->type, base_ms + ts, body, len, NULL, error))
        return FALSE;
    }
    offset += f->duration_ms + 33;
  }
  return TRUE;
}

typedef struct {
  Fixture *f;
  ScRtmp *rtmp;
  guint32 until_ms;
  gint stop;
  GError *error;
} Publisher;

static gpointer
publisher_thread(gpointer data)
{
  Publisher *p = data; /* no cmocka asserts off the main thread */
  publish_paced(p->f, p->rtmp, 0, p->until_ms, &p->stop, &p->error);
  return NULL;
}

/* ---- publishing ---- */

/* What a viewer gets: ffprobe plays the stream back while we publish it. */
static void
test_publish_and_play_back(void **state)
{
  Fixture *f = *state;
  const char *key = "probe-key-5f2a9c";
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  ScRtmpParams p = params(url, key);
  Publisher pub = {.f = f, .rtmp = connect_ok(&p), .until_ms = 15000};
  GThread *thread = g_thread_new("publisher", publisher_thread, &pub);
  g_usleep(300 * 1000);
  g_autofree char *command = g_strdup_printf(
      "ffprobe -v error -rw_timeout 5000000 -show_entries stream=codec_name,width,height"
      " -of json rtmp://127.0.0.1:%u/live/%s",
      sc_test_ingest_port(f->ingest), key);
  g_auto(GStrv) argv = g_strsplit(command, " ", -1);
  g_autofree char *out = NULL, *err = NULL;
  int status = sc_test_run(argv, 20, &out, &err); /* it reads about 2 s of stream */
  g_atomic_int_set(&pub.stop, 1);
  g_thread_join(thread);
  g_autoptr(GError) pub_error = pub.error;
  sc_rtmp_close(pub.rtmp);
  if (pub_error)
    fail_msg("publishing failed: %s", pub_error->message);
  if (status != 0)
    fail_msg("ffprobe exited with %d: %s", status, err ? err : "");
  assert_non_null(strstr(out, "\"codec_name\": \"h264\""));
  assert_non_null(strstr(out, "\"width\": 320"));
  assert_non_null(strstr(out, "\"height\": 240"));
  assert_non_null(strstr(out, "\"codec_name\": \"aac\""));
}

static void
test_bytes_sent_and_socket_options(void **state)
{
  Fixture *f = *state;
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  ScRtmpParams p = params(url, "options-key-77d1e0");
  p.send_timeout_ms = 2500;
  p.send_buffer_bytes = 256 * 1024;
  g_autoptr(ScRtmp) rtmp = connect_ok(&p);
  int fd = sc_rtmp_get_fd(rtmp);
  assert_true(fd >= 0);
  unsigned int user_timeout = 0;
  int sndbuf = 0, nodelay = 0;
  socklen_t len = sizeof user_timeout;
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, &len), 0);
  assert_int_equal(user_timeout, 2500);
  len = sizeof sndbuf;
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
  assert_true(sndbuf >= 256 * 1024); /* the kernel doubles it for its bookkeeping */
  len = sizeof nodelay;
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  assert_true(nodelay);
  g_autoptr(GError) error = NULL;
  assert_true(publish_paced(f, rtmp, 0, 300, NULL, &error));
  guint64 expected = 0;
  for (guint i = 0; i < f->tags->len; i++) {
    Tag *tag = f->tags->pdata[i];
    expected += tag->timestamp <= 300 ? g_bytes_get_size(tag->body) : 0;
  }
  assert_int_equal(sc_rtmp_get_bytes_sent(rtmp), expected);
}

static void
test_bind_source_and_interface(void **state)
{
  Fixture *f = *state;
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  ScRtmpParams p = params(url, "bound-key-1a2b3c");
  p.local_address = "127.0.0.1";
  p.bind_interface = "lo";
  g_autoptr(ScRtmp) rtmp = connect_ok(&p);
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  assert_int_equal(getsockname(sc_rtmp_get_fd(rtmp), (struct sockaddr *)&local, &len), 0);
  assert_int_equal(ntohl(local.sin_addr.s_addr), INADDR_LOOPBACK);
  char device[32] = "";
  len = sizeof device;
  assert_int_equal(getsockopt(sc_rtmp_get_fd(rtmp), SOL_SOCKET, SO_BINDTODEVICE, device, &len), 0);
  assert_string_equal(device, "lo");
}

static void
test_bad_source_address_or_interface(void **state)
{
  Fixture *f = *state;
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  const char *key = "bindfail-key-9c8d7e";
  ScRtmpParams p = params(url, key);
  p.local_address = "192.0.2.1"; /* TEST-NET-1: on no interface here */
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_CONNECT, "cannot use the local address 192.0.2.1", key);
  g_clear_error(&error);
  p.local_address = "not-an-address";
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_CONNECT, "is not an IP address", key);
  g_clear_error(&error);
  p.local_address = NULL;
  p.bind_interface = "nosuchif0";
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_CONNECT, "cannot bind to the interface 'nosuchif0'", key);
}

/* ---- refusals ---- */

static void
test_wrong_key_rejected_good_key_works(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = sc_test_ingest_url(f->own, FALSE);
  const char *wrong = "wrongkey-SECRET-4242";
  ScRtmpParams p = params(url, wrong);
  gint64 start = g_get_monotonic_time();
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  assert_true(elapsed_ms(start) < 3000);
  check_error(error, SC_RTMP_ERROR_REJECTED, "stream key refused?", wrong);
  g_autofree char *port = g_strdup_printf("127.0.0.1:%u", sc_test_ingest_port(f->own));
  assert_non_null(strstr(error->message, port));
  ScRtmpParams good = params(url, "goodkey");
  g_autoptr(ScRtmp) rtmp = connect_ok(&good);
  g_clear_error(&error);
  assert_true(publish_paced(f, rtmp, 0, 200, NULL, &error));
}

static void
test_second_publisher_rejected(void **state)
{
  Fixture *f = *state;
  const char *key = "dup-key-SECRET-0b1c2d";
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  ScRtmpParams p = params(url, key);
  g_autoptr(ScRtmp) first = connect_ok(&p);
  g_autoptr(GError) error = NULL;
  assert_true(publish_paced(f, first, 0, 100, NULL, &error));
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_REJECTED, "NetStream.Publish.BadName", key);
  assert_non_null(strstr(error->message, "Already publishing"));
  g_clear_error(&error);
  assert_true(publish_paced(f, first, 200, 100, NULL, &error)); /* the first goes on */
}

static void
test_wrong_application_rejected(void **state)
{
  Fixture *f = *state;
  g_autofree char *url =
      g_strdup_printf("rtmp://127.0.0.1:%u/nosuchapp", sc_test_ingest_port(f->ingest));
  const char *key = "app-key-SECRET-3e4f";
  ScRtmpParams p = params(url, key);
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_REJECTED, "when asked to connect (wrong application path?)",
              key);
}

static void
test_bad_url_and_key(void **state)
{
  g_autoptr(GError) error = NULL;
  ScRtmpParams p = params("http://127.0.0.1/live", "key-SECRET-5566");
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_URL, "unsupported scheme 'http'", "key-SECRET-5566");
  g_clear_error(&error);
  p = params("rtmp://127.0.0.1/live", "");
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_URL, "stream key is empty", NULL);
}

/* ---- connection failures ---- */

static void
test_connection_refused(void **state)
{
  guint16 port = sc_test_free_port(); /* nothing listens there */
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  g_autofree char *where = g_strdup_printf("cannot connect to 127.0.0.1:%u", port);
  const char *key = "refused-key-SECRET-8899";
  ScRtmpParams p = params(url, key);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  assert_true(elapsed_ms(start) < 1000);
  check_error(error, SC_RTMP_ERROR_CONNECT, where, key);
  assert_non_null(strstr(error->message, "refused"));
}

static void
listen_on_loopback(int fd, guint16 *port)
{
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(listen(fd, 8), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  *port = ntohs(addr.sin_port);
}

/* A listening socket nobody accepts on: TCP connects, RTMP never answers. */
static int
silent_listener(guint16 *port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  listen_on_loopback(fd, port);
  return fd;
}

static void
test_silent_peer_times_out(void **state)
{
  guint16 port;
  int fd = silent_listener(&port);
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  const char *key = "silent-key-SECRET-1357";
  ScRtmpParams p = params(url, key);
  p.connect_timeout_ms = 800;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  gint64 took = elapsed_ms(start);
  close(fd);
  check_error(error, SC_RTMP_ERROR_HANDSHAKE, "did not answer the RTMP handshake within 800 ms",
              key);
  if (took < 780 || took > 1500)
    fail_msg("gave up after %" G_GINT64_FORMAT " ms, expected about 800", took);
}

static gpointer
cancel_later(gpointer data)
{
  g_usleep(200 * 1000);
  g_cancellable_cancel(data);
  return NULL;
}

static void
test_cancel_while_connecting(void **state)
{
  guint16 port;
  int fd = silent_listener(&port);
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  ScRtmpParams p = params(url, "cancel-key-2468");
  p.connect_timeout_ms = 10000;
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  GThread *thread = g_thread_new("canceller", cancel_later, cancellable);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  ScRtmp *rtmp = sc_rtmp_connect(&p, cancellable, &error);
  gint64 took = elapsed_ms(start);
  g_thread_join(thread);
  close(fd);
  assert_null(rtmp);
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  assert_true(took >= 150 && took < 1500);
}

typedef struct {
  int fd;
  const char *reply;
} FakeServer;

/* Accepts one connection, answers like a web server, and closes. */
static gpointer
http_server_thread(gpointer data)
{
  FakeServer *s = data;
  struct timeval tv = {.tv_sec = 5};
  setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* bounds accept() */
  int conn = accept(s->fd, NULL, NULL);
  if (conn >= 0) {
    char buf[2048];
    (void)!recv(conn, buf, sizeof buf, 0);
    (void)!send(conn, s->reply, strlen(s->reply), MSG_NOSIGNAL);
    close(conn);
  }
  return NULL;
}

static void
test_not_an_rtmp_server(void **state)
{
  guint16 port;
  FakeServer server = {.fd = silent_listener(&port), .reply = "HTTP/1.1 400 Bad Request\r\n\r\n"};
  GThread *thread = g_thread_new("http", http_server_thread, &server);
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  ScRtmpParams p = params(url, "http-key-SECRET-99");
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(&p, NULL, &error);
  g_thread_join(thread);
  close(server.fd);
  assert_null(rtmp);
  check_error(error, SC_RTMP_ERROR_HANDSHAKE, "answered with RTMP version 72, not 3",
              "http-key-SECRET-99");
}

/* The box must notice a dead ingest at once, and survive it (no SIGPIPE). */
static void
test_ingest_killed_mid_stream(void **state)
{
  Fixture *f = *state;
  signal(SIGPIPE, SIG_DFL); /* so that a SIGPIPE would end this test */
  g_autoptr(GError) error = NULL;
  g_autofree char *url = sc_test_ingest_url(f->own, FALSE);
  const char *key = "killed-key-SECRET-7531";
  ScRtmpParams p = params(url, key);
  g_autoptr(ScRtmp) rtmp = connect_ok(&p);
  assert_true(publish_paced(f, rtmp, 0, 600, NULL, &error));
  gint64 start = g_get_monotonic_time();
  g_clear_pointer(&f->own, sc_test_ingest_stop);
  assert_false(publish_paced(f, rtmp, 700, 5000, NULL, &error));
  gint64 took = elapsed_ms(start);
  check_error(error, SC_RTMP_ERROR_IO, "the connection to 127.0.0.1:", key);
  if (took > 1000)
    fail_msg("the dead ingest was noticed after %" G_GINT64_FORMAT " ms", took);
  g_clear_error(&error);
  guint8 body[] = {0xaf, 0x01, 0x00};
  assert_false(sc_rtmp_send(rtmp, 8, 6000, body, sizeof body, NULL, &error));
  check_error(error, SC_RTMP_ERROR_IO, "failed earlier", key);
}

/* ---- RTMPS ---- */

static void
test_rtmps_with_ca(void **state)
{
  Fixture *f = *state;
  g_autofree char *url = sc_test_ingest_url(f->ingest, TRUE);
  ScRtmpParams p = params(url, "tls-key-0c0ffee");
  p.tls_ca_file = sc_test_ingest_ca_file(f->ingest);
  g_autoptr(ScRtmp) rtmp = connect_ok(&p);
  g_autoptr(GError) error = NULL;
  if (!publish_paced(f, rtmp, 0, 500, NULL, &error))
    fail_msg("publishing over TLS failed: %s", error->message);
  g_autofree char *log = sc_test_ingest_read_log(f->ingest);
  assert_non_null(strstr(log, "publish: name='tls-key-0c0ffee'"));
}

static void
test_rtmps_untrusted_certificate(void **state)
{
  Fixture *f = *state;
  g_autofree char *url = sc_test_ingest_url(f->ingest, TRUE);
  const char *key = "tls-key-SECRET-badca";
  ScRtmpParams p = params(url, key);
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_CONNECT, "not trusted", key);
}

static void
test_rtmp_to_a_tls_port(void **state)
{
  Fixture *f = *state;
  g_autofree char *url =
      g_strdup_printf("rtmp://127.0.0.1:%u/live", sc_test_ingest_tls_port(f->ingest));
  ScRtmpParams p = params(url, "plain-key-SECRET-42");
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  check_error(error, SC_RTMP_ERROR_HANDSHAKE, "RTMP handshake", "plain-key-SECRET-42");
}

/* ---- the chunk stream parser ---- */

typedef struct {
  guint32 csid;
  guint8 type;
  guint32 stream_id;
  guint32 timestamp;
  gsize len;
} MessageSpec;

static const MessageSpec messages[] = {
    {3, 20, 0, 0, 0},
    {3, 20, 0, 0, 1},
    {4, 8, 1, 33, 128},
    {6, 9, 1, 66, 129},
    {64, 9, 1, 0xfffffe, 700},
    {319, 8, 7, 0xffffff, 300},
    {320, 18, 1, 0x12345678, 1000},
    {65599, 9, 2, 0xffffffff, 257},
};

static guint8 *
pattern(gsize len, guint seed)
{
  guint8 *body = g_malloc(MAX(len, 1));
  for (gsize i = 0; i < len; i++)
    body[i] = (guint8)(i * 7 + seed);
  return body;
}

static GByteArray *
write_messages(guint n)
{
  GByteArray *out = g_byte_array_new();
  for (guint i = 0; i < n; i++) {
    const MessageSpec *m = &messages[i];
    g_autofree guint8 *body = pattern(m->len, i);
    sc_rtmp_chunk_write(out, SC_RTMP_DEFAULT_CHUNK_SIZE, m->csid, m->type, m->stream_id,
                        m->timestamp, body, m->len);
  }
  return out;
}

/* Feeds @len bytes in pieces of @step and collects the messages; NULL on error. */
static GPtrArray *
read_messages(ScRtmpChunkReader *reader, const guint8 *data, gsize len, gsize step, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)sc_rtmp_message_free);
  for (gsize off = 0; off < len; off += step) {
    sc_rtmp_chunk_reader_push(reader, data + off, MIN(step, len - off));
    for (guint i = 0; i < 100000; i++) {
      GError *local = NULL;
      ScRtmpMessage *m = sc_rtmp_chunk_reader_pop(reader, &local);
      if (local) {
        g_propagate_error(error, local);
        return NULL;
      }
      if (m == NULL)
        break;
      g_ptr_array_add(out, m);
    }
  }
  return g_steal_pointer(&out);
}

static void
check_message(const ScRtmpMessage *got, guint index)
{
  const MessageSpec *m = &messages[index];
  assert_int_equal(got->csid, m->csid);
  assert_int_equal(got->type, m->type);
  assert_int_equal(got->stream_id, m->stream_id);
  assert_int_equal(got->timestamp, m->timestamp);
  g_autofree guint8 *body = pattern(m->len, index);
  assert_int_equal(g_bytes_get_size(got->body), m->len);
  if (m->len)
    assert_memory_equal(g_bytes_get_data(got->body, NULL), body, m->len);
}

static void
test_chunk_round_trip(void **state)
{
  g_autoptr(GByteArray) wire = write_messages(G_N_ELEMENTS(messages));
  static const gsize steps[] = {1, 7, 128, 100000};
  for (guint s = 0; s < G_N_ELEMENTS(steps); s++) {
    g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) got = read_messages(reader, wire->data, wire->len, steps[s], &error);
    assert_non_null(got);
    assert_int_equal(got->len, G_N_ELEMENTS(messages));
    for (guint i = 0; i < got->len; i++)
      check_message(got->pdata[i], i);
    assert_int_equal(sc_rtmp_chunk_reader_get_bytes_in(reader), wire->len);
  }
}

static void
test_chunk_wire_format(void **state)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint8 body[130];
  memset(body, 0xab, sizeof body);
  sc_rtmp_chunk_write(out, 128, 4, 8, 1, 0x01000000, body, sizeof body);
  static const guint8 header[] = {0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x82, 0x08,
                                  0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  static const guint8 continuation[] = {0xc4, 0x01, 0x00, 0x00, 0x00};
  assert_int_equal(out->len, sizeof header + 128 + sizeof continuation + 2);
  assert_memory_equal(out->data, header, sizeof header);
  assert_memory_equal(out->data + sizeof header + 128, continuation, sizeof continuation);
}

static void
test_chunk_server_chunk_size(void **state)
{
  g_autoptr(GByteArray) wire = g_byte_array_new();
  guint8 size[4] = {0, 0, 0x10, 0}; /* 4096 */
  sc_rtmp_chunk_write(wire, 128, 2, SC_RTMP_MSG_SET_CHUNK_SIZE, 0, 0, size, 4);
  g_autofree guint8 *body = pattern(10000, 9);
  sc_rtmp_chunk_write(wire, 4096, 3, 20, 0, 5, body, 10000);
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  g_autoptr(GPtrArray) got = read_messages(reader, wire->data, wire->len, 3, NULL);
  assert_non_null(got);
  assert_int_equal(got->len, 1); /* Set Chunk Size is applied, not returned */
  assert_int_equal(sc_rtmp_chunk_reader_get_chunk_size(reader), 4096);
  ScRtmpMessage *m = got->pdata[0];
  assert_int_equal(g_bytes_get_size(m->body), 10000);
  assert_memory_equal(g_bytes_get_data(m->body, NULL), body, 10000);
}

/* Header types 1, 2 and 3 reuse what the chunk stream's last header said. */
static void
test_chunk_compressed_headers(void **state)
{
  static const guint8 wire[] = {
      0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x04, 0x14, 0x01, 0x00, 0x00, 0x00, 'a', 'b',
      'c',  'd',  0x43, 0x00, 0x00, 0x28, 0x00, 0x00, 0x02, 0x08, 'e',  'f', /* type 1: +40 ms, 2
                                                                                bytes */
      0x83, 0x00, 0x00, 0x0a, 'g',  'h',                                     /* type 2: +10 ms */
      0xc3, 'i',  'j', /* type 3: +10 ms again */
  };
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  g_autoptr(GPtrArray) got = read_messages(reader, wire, sizeof wire, 1, NULL);
  assert_non_null(got);
  assert_int_equal(got->len, 4);
  static const guint32 times[] = {1000, 1040, 1050, 1060};
  static const guint8 types[] = {20, 8, 8, 8};
  for (guint i = 0; i < 4; i++) {
    ScRtmpMessage *m = got->pdata[i];
    assert_int_equal(m->timestamp, times[i]);
    assert_int_equal(m->type, types[i]);
    assert_int_equal(m->stream_id, 1);
    assert_int_equal(g_bytes_get_size(m->body), i == 0 ? 4 : 2);
  }
}

static void
test_chunk_abort(void **state)
{
  g_autoptr(GByteArray) wire = g_byte_array_new();
  g_autofree guint8 *big = pattern(300, 1);
  sc_rtmp_chunk_write(wire, 128, 5, 20, 0, 0, big, 300);
  g_byte_array_set_size(wire, 12 + 128); /* only the first chunk of it */
  guint8 csid[4] = {0, 0, 0, 5};
  sc_rtmp_chunk_write(wire, 128, 2, SC_RTMP_MSG_ABORT, 0, 0, csid, 4);
  sc_rtmp_chunk_write(wire, 128, 5, 20, 0, 7, (const guint8 *)"fresh", 5);
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) got = read_messages(reader, wire->data, wire->len, 5, &error);
  assert_non_null(got);
  assert_int_equal(got->len, 1);
  ScRtmpMessage *m = got->pdata[0];
  assert_int_equal(m->timestamp, 7);
  assert_memory_equal(g_bytes_get_data(m->body, NULL), "fresh", 5);
}

static void
expect_chunk_error(const guint8 *data, gsize len, const char *fragment)
{
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) got = read_messages(reader, data, len, len, &error);
  if (got != NULL)
    fail_msg("accepted input that should fail with '%s'", fragment);
  assert_true(g_error_matches(error, SC_RTMP_ERROR, SC_RTMP_ERROR_PROTOCOL));
  if (strstr(error->message, fragment) == NULL)
    fail_msg("'%s' lacks '%s'", error->message, fragment);
  g_clear_error(&error);
  assert_null(sc_rtmp_chunk_reader_pop(reader, &error)); /* stays failed */
  assert_non_null(error);
}

static void
test_chunk_malformed(void **state)
{
  static const guint8 no_full_header[] = {0x43, 0, 0, 0, 0, 0, 1, 8, 'x'};
  expect_chunk_error(no_full_header, sizeof no_full_header, "before any full header");
  static const guint8 too_big[] = {0x03, 0, 0, 0, 0x10, 0x00, 0x01, 9, 0, 0, 0, 0};
  expect_chunk_error(too_big, sizeof too_big, "a message of 1048577 bytes");
  g_autoptr(GByteArray) wire = g_byte_array_new();
  guint8 zero[4] = {0, 0, 0, 0}, huge[4] = {0x00, 0x10, 0x00, 0x01};
  sc_rtmp_chunk_write(wire, 128, 2, SC_RTMP_MSG_SET_CHUNK_SIZE, 0, 0, zero, 4);
  expect_chunk_error(wire->data, wire->len, "a chunk size of 0");
  g_byte_array_set_size(wire, 0);
  sc_rtmp_chunk_write(wire, 128, 2, SC_RTMP_MSG_SET_CHUNK_SIZE, 0, 0, huge, 4);
  expect_chunk_error(wire->data, wire->len, "a chunk size of 1048577");
  g_byte_array_set_size(wire, 0);
  sc_rtmp_chunk_write(wire, 128, 2, SC_RTMP_MSG_SET_CHUNK_SIZE, 0, 0, zero, 2);
  expect_chunk_error(wire->data, wire->len, "with 2 bytes");
  g_byte_array_set_size(wire, 0);
  g_autofree guint8 *body = pattern(200, 0);
  sc_rtmp_chunk_write(wire, 128, 3, 20, 0, 0, body, 200);
  g_byte_array_set_size(wire, 12 + 128);
  sc_rtmp_chunk_write(wire, 128, 3, 20, 0, 0, body, 10);
  expect_chunk_error(wire->data, wire->len, "before the last ended");
}

static void
test_chunk_stream_limit(void **state)
{
  g_autoptr(GByteArray) wire = g_byte_array_new();
  g_autofree guint8 *body = pattern(200, 0);
  for (guint csid = 10; csid < 10 + SC_RTMP_MAX_CHUNK_STREAMS + 1; csid++) {
    gsize start = wire->len;
    sc_rtmp_chunk_write(wire, 128, csid, 9, 1, 0, body, 200);
    g_byte_array_set_size(wire, start + 12 + 128); /* each left unfinished */
  }
  expect_chunk_error(wire->data, wire->len, "more than 32 chunk streams");
}

/* Every prefix of a valid stream parses cleanly into a prefix of its messages. */
static void
test_chunk_every_truncation(void **state)
{
  g_autoptr(GByteArray) wire = write_messages(5);
  for (gsize len = 0; len <= wire->len; len++) {
    g_autofree guint8 *copy = g_memdup2(wire->data, MAX(len, 1));
    g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) got = read_messages(reader, copy, len, MAX(len, 1), &error);
    if (got == NULL)
      fail_msg("a cut at %" G_GSIZE_FORMAT ": %s", len, error->message);
    for (guint i = 0; i < got->len; i++)
      check_message(got->pdata[i], i);
    if (len == wire->len)
      assert_int_equal(got->len, 5);
  }
}

static void
feed_clean(const guint8 *data, gsize len)
{
  g_autofree guint8 *copy = g_memdup2(data, MAX(len, 1));
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) got = read_messages(reader, copy, len, 1 + len % 61, &error);
  if (got == NULL && !g_error_matches(error, SC_RTMP_ERROR, SC_RTMP_ERROR_PROTOCOL))
    fail_msg("a failure that is not a protocol error");
}

static void
test_chunk_hostile_input(void **state)
{
  g_autoptr(GByteArray) wire = write_messages(4);
  static const guint8 replacements[] = {0x00, 0x01, 0x02, 0x3f, 0x40, 0x41,
                                        0x80, 0xc0, 0xc3, 0x7f, 0xfe, 0xff};
  g_autofree guint8 *mutated = g_memdup2(wire->data, wire->len);
  for (guint i = 0; i < wire->len; i++) {
    for (guint r = 0; r < G_N_ELEMENTS(replacements); r++) {
      mutated[i] = replacements[r];
      feed_clean(mutated, wire->len);
    }
    mutated[i] = wire->data[i];
  }
  g_autoptr(GRand) rand = g_rand_new_with_seed(1935);
  guint8 buf[512];
  for (guint round = 0; round < 5000; round++) {
    gsize len = g_rand_int_range(rand, 0, sizeof buf + 1);
    for (gsize i = 0; i < len; i++)
      buf[i] = (guint8)g_rand_int_range(rand, 0, 256);
    feed_clean(buf, len);
  }
}

/* ---- a scripted RTMP peer, for what nginx-rtmp cannot be made to do ---- */

typedef struct {
  int listen_fd;
  gboolean stall; /* stop reading once the publish started */
  const char *key;
  gint done; /* set by the test: the script may end */
  gboolean saw_pong, saw_ack;
  guint media;
} Peer;

static gboolean
peer_send(int fd, guint8 type, guint32 stream_id, const GByteArray *body)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  sc_rtmp_chunk_write(out, 4096, type < 8 ? 2 : 3, type, stream_id, 0, body->data, body->len);
  return send(fd, out->data, out->len, MSG_NOSIGNAL) == (ssize_t)out->len;
}

static gboolean
peer_send_control(int fd, guint8 type, const guint8 *body, gsize len)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new();
  g_byte_array_append(bytes, body, (guint)len);
  return peer_send(fd, type, 0, bytes);
}

/* name, txn, then an info object {level, code, description} or, with
 * @code NULL, null and the number @number. */
static gboolean
peer_command(int fd, const char *name, double txn, const char *level, const char *code,
             const char *description, double number)
{
  g_autoptr(GByteArray) b = g_byte_array_new();
  sc_amf_write_string(b, name);
  sc_amf_write_number(b, txn);
  sc_amf_write_null(b);
  if (code == NULL) {
    sc_amf_write_number(b, number);
    return peer_send(fd, SC_RTMP_MSG_COMMAND_AMF0, 0, b);
  }
  sc_amf_write_object_begin(b);
  sc_amf_write_property(b, "level");
  sc_amf_write_string(b, level);
  sc_amf_write_property(b, "code");
  sc_amf_write_string(b, code);
  sc_amf_write_property(b, "description");
  sc_amf_write_string(b, description);
  sc_amf_write_object_end(b);
  return peer_send(fd, SC_RTMP_MSG_COMMAND_AMF0, g_str_equal(name, "onStatus") ? 1 : 0, b);
}

static gboolean
peer_handshake(int fd)
{
  guint8 c0c1[1537], s0s1s2[1 + 2 * 1536], c2[1536];
  if (recv(fd, c0c1, sizeof c0c1, MSG_WAITALL) != sizeof c0c1 || c0c1[0] != 3)
    return FALSE;
  memset(s0s1s2, 0x5a, sizeof s0s1s2);
  s0s1s2[0] = 3;
  memcpy(s0s1s2 + 1 + 1536, c0c1 + 1, 1536); /* S2 echoes C1 */
  if (send(fd, s0s1s2, sizeof s0s1s2, MSG_NOSIGNAL) != sizeof s0s1s2 ||
      recv(fd, c2, sizeof c2, MSG_WAITALL) != sizeof c2)
    return FALSE;
  return memcmp(c2, s0s1s2 + 1, 1536) == 0; /* C2 must echo S1 */
}

static ScRtmpMessage *
peer_next(int fd, ScRtmpChunkReader *reader)
{
  for (guint i = 0; i < 10000; i++) {
    ScRtmpMessage *m = sc_rtmp_chunk_reader_pop(reader, NULL);
    if (m)
      return m;
    guint8 buf[8192];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      return NULL;
    sc_rtmp_chunk_reader_push(reader, buf, n);
  }
  return NULL;
}

/* Answers one client command; TRUE once the publish started. */
static gboolean
peer_answer(int fd, const guint8 *data, gsize len, const char *key)
{
  g_autoptr(GPtrArray) v = sc_amf_decode_all(data, len, NULL);
  if (v == NULL || v->len < 2)
    return FALSE;
  const char *name = sc_amf_value_get_string(v->pdata[0]);
  double txn = sc_amf_value_get_number(v->pdata[1]);
  g_autofree char *published = g_strdup_printf("%s is now published", key);
  if (g_strcmp0(name, "connect") == 0)
    peer_command(fd, "_result", txn, "status", "NetConnection.Connect.Success", "ok", 0);
  else if (g_strcmp0(name, "releaseStream") == 0) /* servers often say this: not fatal */
    peer_command(fd, "_error", txn, "error", "NetConnection.Call.Failed", "no stream", 0);
  else if (g_strcmp0(name, "createStream") == 0)
    peer_command(fd, "_result", txn, NULL, NULL, NULL, 1);
  else if (g_strcmp0(name, "publish") == 0)
    return peer_command(fd, "onStatus", 0, "status", "NetStream.Publish.Start", published, 0);
  return FALSE;
}

static void
peer_note(Peer *p, const ScRtmpMessage *m)
{
  gsize len;
  const guint8 *d = g_bytes_get_data(m->body, &len);
  static const guint8 pong[] = {0, 7, 1, 2, 3, 4};
  if (m->type == SC_RTMP_MSG_ACK)
    p->saw_ack = TRUE;
  if (m->type == SC_RTMP_MSG_USER_CONTROL && len == 6 && memcmp(d, pong, 6) == 0)
    p->saw_pong = TRUE;
  if (m->type == SC_RTMP_MSG_AUDIO || m->type == SC_RTMP_MSG_VIDEO)
    p->media++;
}

/* Up to the publish: a small acknowledgement window, a bigger chunk size
 * and a ping come first, so the client has to handle them while it waits. */
static gboolean
peer_publish(Peer *p, int fd, ScRtmpChunkReader *reader)
{
  static const guint8 window[] = {0, 0, 0, 100}, chunk[] = {0, 0, 0x10, 0},
                      ping[] = {0, 6, 1, 2, 3, 4};
  if (!peer_send_control(fd, SC_RTMP_MSG_WINDOW_ACK_SIZE, window, 4) ||
      !peer_send_control(fd, SC_RTMP_MSG_SET_CHUNK_SIZE, chunk, 4) ||
      !peer_send_control(fd, SC_RTMP_MSG_USER_CONTROL, ping, 6))
    return FALSE;
  for (guint i = 0; i < 100; i++) {
    g_autoptr(ScRtmpMessage) m = peer_next(fd, reader);
    if (m == NULL)
      return FALSE;
    peer_note(p, m);
    if (m->type == SC_RTMP_MSG_COMMAND_AMF0 &&
        peer_answer(fd, g_bytes_get_data(m->body, NULL), g_bytes_get_size(m->body), p->key))
      return TRUE;
  }
  return FALSE;
}

/* After the first media message, the platform stops the stream. */
static void
peer_stop_stream(Peer *p, int fd, ScRtmpChunkReader *reader)
{
  g_autofree char *why = g_strdup_printf("%s was stopped by the platform", p->key);
  for (guint i = 0; i < 1000 && !g_atomic_int_get(&p->done); i++) {
    g_autoptr(ScRtmpMessage) m = peer_next(fd, reader);
    if (m == NULL)
      return;
    peer_note(p, m);
    if (p->media == 1 && m->type >= SC_RTMP_MSG_AUDIO)
      peer_command(fd, "onStatus", 0, "error", "NetStream.Publish.Failed", why, 0);
  }
}

static gpointer
peer_thread(gpointer data)
{
  Peer *p = data;
  struct timeval tv = {.tv_sec = 5};
  setsockopt(p->listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* bounds accept() */
  int fd = accept(p->listen_fd, NULL, NULL);
  if (fd < 0)
    return NULL;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  if (peer_handshake(fd) && peer_publish(p, fd, reader)) {
    if (p->stall) { /* read nothing more, until the test is done */
      for (guint i = 0; i < 1000 && !g_atomic_int_get(&p->done); i++)
        g_usleep(10 * 1000);
    } else {
      peer_stop_stream(p, fd, reader);
    }
  }
  close(fd);
  return NULL;
}

static GThread *
peer_start(Peer *p, int rcvbuf, char **url)
{
  guint16 port;
  p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf) /* set before listen(): accepted sockets inherit it */
    setsockopt(p->listen_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  listen_on_loopback(p->listen_fd, &port);
  *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  return g_thread_new("rtmp-peer", peer_thread, p);
}

static void
peer_finish(Peer *p, GThread *thread)
{
  g_atomic_int_set(&p->done, 1);
  g_thread_join(thread);
  close(p->listen_fd);
}

static void
test_ping_ack_and_stream_stopped(void **state)
{
  Peer peer = {.key = "peer-key-SECRET-6060"};
  g_autofree char *url = NULL;
  GThread *thread = peer_start(&peer, 0, &url);
  ScRtmpParams p = params(url, peer.key);
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(&p, NULL, &error); /* no asserts while the peer runs */
  gboolean connected = rtmp != NULL, ok = connected;
  guint8 body[] = {0x17, 0x01, 0, 0, 0, 0xaa, 0xbb};
  for (guint i = 0; i < 100 && ok; i++) { /* the stop arrives after the first frame */
    ok = sc_rtmp_send(rtmp, SC_RTMP_MSG_VIDEO, i * 33, body, sizeof body, NULL, &error);
    g_usleep(10 * 1000);
  }
  sc_rtmp_close(rtmp);
  peer_finish(&peer, thread);
  if (!connected)
    fail_msg("connect failed: %s", error->message);
  assert_false(ok);
  check_error(error, SC_RTMP_ERROR_REJECTED, "NetStream.Publish.Failed", peer.key);
  assert_non_null(strstr(error->message, "****6060 was stopped by the platform"));
  assert_true(peer.saw_pong);
  assert_true(peer.saw_ack);
  assert_true(peer.media >= 1);
}

/* A peer that stops reading: the send must give up after send_timeout_ms. */
static void
test_stalled_peer_times_out(void **state)
{
  Peer peer = {.key = "stall-key-SECRET-5050", .stall = TRUE};
  g_autofree char *url = NULL;
  GThread *thread = peer_start(&peer, 4096, &url);
  ScRtmpParams p = params(url, peer.key);
  p.send_timeout_ms = 500;
  p.send_buffer_bytes = 4096;
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(&p, NULL, &error); /* no asserts while the peer runs */
  gboolean connected = rtmp != NULL;
  g_autofree guint8 *body = pattern(64 * 1024, 3);
  gint64 took = 0;
  for (guint i = 0; i < 100 && rtmp && error == NULL; i++) {
    gint64 start = g_get_monotonic_time();
    if (!sc_rtmp_send(rtmp, SC_RTMP_MSG_VIDEO, i * 33, body, 64 * 1024, NULL, &error))
      took = elapsed_ms(start);
  }
  sc_rtmp_close(rtmp);
  peer_finish(&peer, thread);
  if (!connected)
    fail_msg("connect failed: %s", error->message);
  check_error(error, SC_RTMP_ERROR_TIMEOUT, "took no data for 500 ms", peer.key);
  if (took < 450 || took > 1500)
    fail_msg("a stalled send ended after %" G_GINT64_FORMAT " ms, expected about 500", took);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chunk_round_trip),
      cmocka_unit_test(test_chunk_wire_format),
      cmocka_unit_test(test_chunk_server_chunk_size),
      cmocka_unit_test(test_chunk_compressed_headers),
      cmocka_unit_test(test_chunk_abort),
      cmocka_unit_test(test_chunk_malformed),
      cmocka_unit_test(test_chunk_stream_limit),
      cmocka_unit_test(test_chunk_every_truncation),
      cmocka_unit_test(test_chunk_hostile_input),
      cmocka_unit_test(test_bad_url_and_key),
      cmocka_unit_test(test_connection_refused),
      cmocka_unit_test(test_silent_peer_times_out),
      cmocka_unit_test(test_cancel_while_connecting),
      cmocka_unit_test(test_not_an_rtmp_server),
      cmocka_unit_test(test_publish_and_play_back),
      cmocka_unit_test(test_bytes_sent_and_socket_options),
      cmocka_unit_test(test_bind_source_and_interface),
      cmocka_unit_test(test_bad_source_address_or_interface),
      cmocka_unit_test_setup_teardown(test_wrong_key_rejected_good_key_works, setup_keyed_ingest,
                                      teardown_own_ingest),
      cmocka_unit_test(test_second_publisher_rejected),
      cmocka_unit_test(test_wrong_application_rejected),
      cmocka_unit_test_setup_teardown(test_ingest_killed_mid_stream, setup_open_ingest,
                                      teardown_own_ingest),
      cmocka_unit_test(test_ping_ack_and_stream_stopped),
      cmocka_unit_test(test_stalled_peer_times_out),
      cmocka_unit_test(test_rtmps_with_ca),
      cmocka_unit_test(test_rtmps_untrusted_certificate),
      cmocka_unit_test(test_rtmp_to_a_tls_port),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
