/* test-rtmp-chunk.c - the RTMP chunk stream (pipeline/rtmp-chunk.c): what the
 * writer puts on the wire, and the parser on crafted, truncated and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/rtmp-chunk.h"
#include "pipeline/rtmp.h"
#include "tests/support/rtmp-fixture.h"

#include <string.h>

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

static GByteArray *
write_messages(guint n)
{
  GByteArray *out = g_byte_array_new();
  for (guint i = 0; i < n; i++) {
    const MessageSpec *m = &messages[i];
    g_autofree guint8 *body = sc_test_rtmp_pattern(m->len, i);
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
  g_autofree guint8 *body = sc_test_rtmp_pattern(m->len, index);
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
  g_autofree guint8 *body = sc_test_rtmp_pattern(10000, 9);
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
  g_autofree guint8 *big = sc_test_rtmp_pattern(300, 1);
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
  g_autofree guint8 *body = sc_test_rtmp_pattern(200, 0);
  sc_rtmp_chunk_write(wire, 128, 3, 20, 0, 0, body, 200);
  g_byte_array_set_size(wire, 12 + 128);
  sc_rtmp_chunk_write(wire, 128, 3, 20, 0, 0, body, 10);
  expect_chunk_error(wire->data, wire->len, "before the last ended");
}

static void
test_chunk_stream_limit(void **state)
{
  g_autoptr(GByteArray) wire = g_byte_array_new();
  g_autofree guint8 *body = sc_test_rtmp_pattern(200, 0);
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
