/* test-rtmp-peer.c - the RTMP publishing client against a scripted peer, for
 * what nginx-rtmp cannot be made to do: ping, a small acknowledgement window,
 * the platform stopping the stream, a peer that stops reading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/amf.h"
#include "pipeline/rtmp-chunk.h"
#include "pipeline/rtmp.h"
#include "tests/support/rtmp-fixture.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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
  sc_test_rtmp_listen_loopback(p->listen_fd, &port);
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
  ScRtmpParams p = sc_test_rtmp_params(url, peer.key);
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
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_REJECTED, "NetStream.Publish.Failed", peer.key);
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
  ScRtmpParams p = sc_test_rtmp_params(url, peer.key);
  p.send_timeout_ms = 500;
  p.send_buffer_bytes = 4096;
  g_autoptr(GError) error = NULL;
  ScRtmp *rtmp = sc_rtmp_connect(&p, NULL, &error); /* no asserts while the peer runs */
  gboolean connected = rtmp != NULL;
  g_autofree guint8 *body = sc_test_rtmp_pattern(64 * 1024, 3);
  gint64 took = 0;
  for (guint i = 0; i < 100 && rtmp && error == NULL; i++) {
    gint64 start = g_get_monotonic_time();
    if (!sc_rtmp_send(rtmp, SC_RTMP_MSG_VIDEO, i * 33, body, 64 * 1024, NULL, &error))
      took = sc_test_rtmp_elapsed_ms(start);
  }
  sc_rtmp_close(rtmp);
  peer_finish(&peer, thread);
  if (!connected)
    fail_msg("connect failed: %s", error->message);
  sc_test_rtmp_check_error(error, SC_RTMP_ERROR_TIMEOUT, "took no data for 500 ms", peer.key);
  if (took < 450 || took > 1500)
    fail_msg("a stalled send ended after %" G_GINT64_FORMAT " ms, expected about 500", took);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ping_ack_and_stream_stopped),
      cmocka_unit_test(test_stalled_peer_times_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
