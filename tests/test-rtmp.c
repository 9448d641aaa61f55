/* test-rtmp.c - the RTMP publishing client against a real nginx-rtmp ingest:
 * publishing, refusals, connection failures and RTMPS. The chunk stream parser
 * is tested in test-rtmp-chunk.c, a scripted peer in test-rtmp-peer.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/rtmp.h"
#include "tests/support/ingest.h"
#include "tests/support/rtmp-fixture.h"
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

static ScRtmp *
connect_ok(const ScRtmpParams *p)
{
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(p, NULL, &error);
  if (rtmp == NULL)
    fail_msg("connect to %s failed: %s", p->url, error->message);
  return rtmp;
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
  ScRtmpParams p = sc_test_rtmp_params(url, key);
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
  ScRtmpParams p = sc_test_rtmp_params(url, "options-key-77d1e0");
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
  ScRtmpParams p = sc_test_rtmp_params(url, "bound-key-1a2b3c");
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
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  p.local_address = "192.0.2.1"; /* TEST-NET-1: on no interface here */
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_CONNECT, "cannot use the local address 192.0.2.1",
                           key);
  g_clear_error(&error);
  p.local_address = "not-an-address";
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_CONNECT, "is not an IP address", key);
  g_clear_error(&error);
  p.local_address = NULL;
  p.bind_interface = "nosuchif0";
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_CONNECT, "cannot bind to the interface 'nosuchif0'",
                           key);
}

/* ---- refusals ---- */

static void
test_wrong_key_rejected_good_key_works(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = sc_test_ingest_url(f->own, FALSE);
  const char *wrong = "wrongkey-SECRET-4242";
  ScRtmpParams p = sc_test_rtmp_params(url, wrong);
  gint64 start = g_get_monotonic_time();
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  assert_true(sc_test_rtmp_elapsed_ms(start) < 3000);
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_REJECTED, "stream key refused?", wrong);
  g_autofree char *port = g_strdup_printf("127.0.0.1:%u", sc_test_ingest_port(f->own));
  assert_non_null(strstr(error->message, port));
  ScRtmpParams good = sc_test_rtmp_params(url, "goodkey");
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
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  g_autoptr(ScRtmp) first = connect_ok(&p);
  g_autoptr(GError) error = NULL;
  assert_true(publish_paced(f, first, 0, 100, NULL, &error));
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_REJECTED, "NetStream.Publish.BadName", key);
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
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_REJECTED,
                           "when asked to connect (wrong application path?)", key);
}

static void
test_bad_url_and_key(void **state)
{
  g_autoptr(GError) error = NULL;
  ScRtmpParams p = sc_test_rtmp_params("http://127.0.0.1/live", "key-SECRET-5566");
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_URL, "unsupported scheme 'http'",
                           "key-SECRET-5566");
  g_clear_error(&error);
  p = sc_test_rtmp_params("rtmp://127.0.0.1/live", "");
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_URL, "stream key is empty", NULL);
}

/* ---- connection failures ---- */

static void
test_connection_refused(void **state)
{
  guint16 port = sc_test_free_port(); /* nothing listens there */
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  g_autofree char *where = g_strdup_printf("cannot connect to 127.0.0.1:%u", port);
  const char *key = "refused-key-SECRET-8899";
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  assert_true(sc_test_rtmp_elapsed_ms(start) < 1000);
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_CONNECT, where, key);
  assert_non_null(strstr(error->message, "refused"));
}

/* A listening socket nobody accepts on: TCP connects, RTMP never answers. */
static int
silent_listener(guint16 *port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sc_test_rtmp_listen_loopback(fd, port);
  return fd;
}

static void
test_silent_peer_times_out(void **state)
{
  guint16 port;
  int fd = silent_listener(&port);
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", port);
  const char *key = "silent-key-SECRET-1357";
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  p.connect_timeout_ms = 800;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  gint64 took = sc_test_rtmp_elapsed_ms(start);
  close(fd);
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_HANDSHAKE,
                           "did not answer the RTMP handshake within 800 ms", key);
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
  ScRtmpParams p = sc_test_rtmp_params(url, "cancel-key-2468");
  p.connect_timeout_ms = 10000;
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  GThread *thread = g_thread_new("canceller", cancel_later, cancellable);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  ScRtmp *rtmp = sc_rtmp_connect(&p, cancellable, &error);
  gint64 took = sc_test_rtmp_elapsed_ms(start);
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
  ScRtmpParams p = sc_test_rtmp_params(url, "http-key-SECRET-99");
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(&p, NULL, &error);
  g_thread_join(thread);
  close(server.fd);
  assert_null(rtmp);
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_HANDSHAKE, "with version 72, not 3",
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
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  g_autoptr(ScRtmp) rtmp = connect_ok(&p);
  assert_true(publish_paced(f, rtmp, 0, 600, NULL, &error));
  /* timed from when the ingest is gone: its own shutdown is not the box's to notice */
  gint64 stopping = g_get_monotonic_time();
  g_clear_pointer(&f->own, sc_test_ingest_stop);
  gint64 start = g_get_monotonic_time();
  g_print("the ingest took %" G_GINT64_FORMAT " ms to stop\n", (start - stopping) / 1000);
  assert_false(publish_paced(f, rtmp, 700, 5000, NULL, &error));
  gint64 took = sc_test_rtmp_elapsed_ms(start);
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_IO, "the connection to 127.0.0.1:", key);
  if (took > 1000)
    fail_msg("the dead ingest was noticed after %" G_GINT64_FORMAT " ms", took);
  g_clear_error(&error);
  guint8 body[] = {0xaf, 0x01, 0x00};
  assert_false(sc_rtmp_send(rtmp, 8, 6000, body, sizeof body, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_IO, "failed earlier", key);
}

/* ---- RTMPS ---- */

static void
test_rtmps_with_ca(void **state)
{
  Fixture *f = *state;
  g_autofree char *url = sc_test_ingest_url(f->ingest, TRUE);
  ScRtmpParams p = sc_test_rtmp_params(url, "tls-key-0c0ffee");
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
  ScRtmpParams p = sc_test_rtmp_params(url, key);
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_CONNECT, "not trusted", key);
}

static void
test_rtmp_to_a_tls_port(void **state)
{
  Fixture *f = *state;
  g_autofree char *url =
      g_strdup_printf("rtmp://127.0.0.1:%u/live", sc_test_ingest_tls_port(f->ingest));
  ScRtmpParams p = sc_test_rtmp_params(url, "plain-key-SECRET-42");
  g_autoptr(GError) error = NULL;
  assert_null(sc_rtmp_connect(&p, NULL, &error));
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_HANDSHAKE, "RTMP handshake", "plain-key-SECRET-42");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
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
      cmocka_unit_test(test_rtmps_with_ca),
      cmocka_unit_test(test_rtmps_untrusted_certificate),
      cmocka_unit_test(test_rtmp_to_a_tls_port),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}