/* test-amf.c - AMF0 encoding, decoding, and the decoder's behaviour on hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/amf.h"

#include <string.h>

static GPtrArray *
decode_ok(const GByteArray *bytes)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *values = sc_amf_decode_all(bytes->data, bytes->len, &error);
  if (values == NULL)
    fail_msg("decode failed: %s", error->message);
  return values;
}

static void
test_scalars_round_trip(void **state)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  sc_amf_write_number(out, 3.5);
  sc_amf_write_number(out, -1e300);
  sc_amf_write_boolean(out, TRUE);
  sc_amf_write_boolean(out, FALSE);
  sc_amf_write_string(out, "héllo");
  sc_amf_write_string(out, "");
  sc_amf_write_null(out);
  g_autoptr(GPtrArray) v = decode_ok(out);
  assert_int_equal(v->len, 7);
  assert_int_equal(sc_amf_value_get_type(v->pdata[0]), SC_AMF_NUMBER);
  assert_true(sc_amf_value_get_number(v->pdata[0]) == 3.5);
  assert_true(sc_amf_value_get_number(v->pdata[1]) == -1e300);
  assert_true(sc_amf_value_get_boolean(v->pdata[2]));
  assert_int_equal(sc_amf_value_get_type(v->pdata[3]), SC_AMF_BOOLEAN);
  assert_false(sc_amf_value_get_boolean(v->pdata[3]));
  assert_string_equal(sc_amf_value_get_string(v->pdata[4]), "héllo");
  assert_string_equal(sc_amf_value_get_string(v->pdata[5]), "");
  assert_int_equal(sc_amf_value_get_type(v->pdata[6]), SC_AMF_NULL);
  /* typed getters refuse other types */
  assert_null(sc_amf_value_get_string(v->pdata[0]));
  assert_true(sc_amf_value_get_number(v->pdata[4]) == 0);
}

static void
test_wire_format(void **state)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  sc_amf_write_number(out, 1.0);
  sc_amf_write_string(out, "ab");
  sc_amf_write_object_begin(out);
  sc_amf_write_property(out, "x");
  sc_amf_write_null(out);
  sc_amf_write_object_end(out);
  sc_amf_write_ecma_array_begin(out, 2);
  sc_amf_write_object_end(out);
  static const guint8 expected[] = {
      0x00, 0x3f, 0xf0, 0,   0,    0, 0, 0,    0, /* number 1.0, big-endian double */
      0x02, 0x00, 0x02, 'a', 'b',                 /* string */
      0x03, 0x00, 0x01, 'x', 0x05, 0, 0, 0x09,    /* object {x: null} */
      0x08, 0,    0,    0,   2,    0, 0, 0x09,    /* ECMA array, count 2, empty */
  };
  assert_int_equal(out->len, sizeof expected);
  assert_memory_equal(out->data, expected, sizeof expected);
}

static void
test_object_round_trip(void **state)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  sc_amf_write_object_begin(out);
  sc_amf_write_property(out, "level");
  sc_amf_write_string(out, "status");
  sc_amf_write_property(out, "code");
  sc_amf_write_string(out, "NetStream.Publish.Start");
  sc_amf_write_property(out, "n");
  sc_amf_write_number(out, 42);
  sc_amf_write_property(out, "nested");
  sc_amf_write_object_begin(out);
  sc_amf_write_property(out, "flag");
  sc_amf_write_boolean(out, TRUE);
  sc_amf_write_object_end(out);
  sc_amf_write_object_end(out);
  g_autoptr(GPtrArray) v = decode_ok(out);
  assert_int_equal(v->len, 1);
  const ScAmfValue *obj = v->pdata[0];
  assert_int_equal(sc_amf_value_get_type(obj), SC_AMF_OBJECT);
  assert_int_equal(sc_amf_value_get_n_properties(obj), 4);
  assert_string_equal(sc_amf_value_get_property_name(obj, 1), "code");
  assert_string_equal(sc_amf_value_lookup_string(obj, "code"), "NetStream.Publish.Start");
  assert_true(sc_amf_value_get_number(sc_amf_value_lookup(obj, "n")) == 42);
  const ScAmfValue *nested = sc_amf_value_lookup(obj, "nested");
  assert_true(sc_amf_value_get_boolean(sc_amf_value_lookup(nested, "flag")));
  assert_null(sc_amf_value_lookup(obj, "missing"));
  assert_null(sc_amf_value_lookup_string(obj, "n")); /* not a string */
  assert_null(sc_amf_value_get_property(obj, 4));
  assert_null(sc_amf_value_lookup(NULL, "code"));
}

static void
test_ecma_array_round_trip(void **state)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  sc_amf_write_ecma_array_begin(out, 2);
  sc_amf_write_property(out, "width");
  sc_amf_write_number(out, 1280);
  sc_amf_write_property(out, "encoder");
  sc_amf_write_string(out, "shopcast");
  sc_amf_write_object_end(out);
  g_autoptr(GPtrArray) v = decode_ok(out);
  assert_int_equal(sc_amf_value_get_type(v->pdata[0]), SC_AMF_ECMA_ARRAY);
  assert_int_equal(sc_amf_value_get_n_properties(v->pdata[0]), 2);
  assert_true(sc_amf_value_get_number(sc_amf_value_get_property(v->pdata[0], 0)) == 1280);
  assert_string_equal(sc_amf_value_lookup_string(v->pdata[0], "encoder"), "shopcast");
}

static void
test_long_string(void **state)
{
  g_autofree char *text = g_strnfill(70000, 'k');
  g_autoptr(GByteArray) out = g_byte_array_new();
  sc_amf_write_string(out, text);
  assert_int_equal(out->data[0], 0x0c); /* a long string: the length needs 4 bytes */
  assert_int_equal(out->len, 1 + 4 + 70000);
  gsize consumed = 0;
  g_autoptr(ScAmfValue) v = sc_amf_decode(out->data, out->len, &consumed, NULL);
  assert_non_null(v);
  assert_int_equal(consumed, out->len);
  assert_string_equal(sc_amf_value_get_string(v), text);
}

/* An onStatus as nginx-rtmp sends it, written out by hand (not by our encoder). */
static void
test_server_on_status(void **state)
{
  static const guint8 wire[] = {
      0x02, 0x00, 0x08, 'o',  'n',  'S', 't', 'a',  't',  'u',  's', /* "onStatus" */
      0x00, 0,    0,    0,    0,    0,   0,   0,    0,               /* 0 */
      0x05,                                                          /* null */
      0x03,                                                          /* { */
      0x00, 0x05, 'l',  'e',  'v',  'e', 'l', 0x02, 0x00, 0x05, 'e',  'r',  'r', 'o',
      'r',  0x00, 0x04, 'c',  'o',  'd', 'e', 0x02, 0x00, 0x07, 'B',  'a',  'd', 'N',
      'a',  'm',  'e',  0x00, 0x0b, 'd', 'e', 's',  'c',  'r',  'i',  'p',  't', 'i',
      'o',  'n',  0x02, 0x00, 0x12, 'A', 'l', 'r',  'e',  'a',  'd',  'y',  ' ', 'p',
      'u',  'b',  'l',  'i',  's',  'h', 'i', 'n',  'g',  0x00, 0x00, 0x09, /* } */
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) v = sc_amf_decode_all(wire, sizeof wire, &error);
  assert_non_null(v);
  assert_int_equal(v->len, 4);
  assert_string_equal(sc_amf_value_get_string(v->pdata[0]), "onStatus");
  assert_int_equal(sc_amf_value_get_type(v->pdata[2]), SC_AMF_NULL);
  assert_string_equal(sc_amf_value_lookup_string(v->pdata[3], "level"), "error");
  assert_string_equal(sc_amf_value_lookup_string(v->pdata[3], "description"), "Already publishing");
}

static void
expect_error(const guint8 *data, gsize len, ScAmfError code, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) v = sc_amf_decode_all(data, len, &error);
  if (v != NULL)
    fail_msg("%s: accepted", name);
  if (!g_error_matches(error, SC_AMF_ERROR, (gint)code))
    fail_msg("%s: error %d (%s), expected %d", name, error->code, error->message, code);
  assert_true(strlen(error->message) > 10);
}

static void
test_malformed(void **state)
{
#define BAD(n, c, ...)                                                                             \
  do {                                                                                             \
    static const guint8 d[] = {__VA_ARGS__};                                                       \
    expect_error(d, sizeof d, c, n);                                                               \
  } while (0)
  BAD("object end at top level", SC_AMF_ERROR_MALFORMED, 0x09);
  BAD("empty name then a value", SC_AMF_ERROR_MALFORMED, 0x03, 0x00, 0x00, 0x05);
  BAD("date", SC_AMF_ERROR_UNSUPPORTED, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  BAD("strict array", SC_AMF_ERROR_UNSUPPORTED, 0x0a, 0, 0, 0, 0);
  BAD("reference", SC_AMF_ERROR_UNSUPPORTED, 0x07, 0, 1);
  BAD("AMF3 switch", SC_AMF_ERROR_UNSUPPORTED, 0x11, 0x01);
  BAD("unknown marker", SC_AMF_ERROR_UNSUPPORTED, 0xff);
  BAD("string past the end", SC_AMF_ERROR_TRUNCATED, 0x02, 0x00, 0x10, 'a');
  BAD("huge long string", SC_AMF_ERROR_TRUNCATED, 0x0c, 0xff, 0xff, 0xff, 0xff, 'a');
  BAD("number cut", SC_AMF_ERROR_TRUNCATED, 0x00, 0x3f, 0xf0);
  BAD("boolean cut", SC_AMF_ERROR_TRUNCATED, 0x01);
  BAD("object without end", SC_AMF_ERROR_TRUNCATED, 0x03, 0x00, 0x01, 'a', 0x05);
  BAD("end marker cut", SC_AMF_ERROR_TRUNCATED, 0x03, 0x00, 0x00);
  BAD("ECMA count cut", SC_AMF_ERROR_TRUNCATED, 0x08, 0x00, 0x00);
  BAD("good value then junk", SC_AMF_ERROR_UNSUPPORTED, 0x05, 0x0d);
#undef BAD
}

static void
test_nesting_limit(void **state)
{
  for (guint depth = SC_AMF_MAX_DEPTH; depth <= SC_AMF_MAX_DEPTH + 1; depth++) {
    g_autoptr(GByteArray) out = g_byte_array_new();
    for (guint i = 0; i < depth; i++) {
      sc_amf_write_object_begin(out);
      sc_amf_write_property(out, "o");
    }
    sc_amf_write_null(out);
    for (guint i = 0; i < depth; i++)
      sc_amf_write_object_end(out);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) v = sc_amf_decode_all(out->data, out->len, &error);
    if (depth == SC_AMF_MAX_DEPTH)
      assert_non_null(v);
    else
      assert_true(g_error_matches(error, SC_AMF_ERROR, SC_AMF_ERROR_LIMIT));
  }
}

static void
test_size_limits(void **state)
{
  for (guint n = SC_AMF_MAX_PROPERTIES; n <= SC_AMF_MAX_PROPERTIES + 1; n++) {
    g_autoptr(GByteArray) out = g_byte_array_new();
    sc_amf_write_object_begin(out);
    for (guint i = 0; i < n; i++) {
      sc_amf_write_property(out, "p");
      sc_amf_write_null(out);
    }
    sc_amf_write_object_end(out);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) v = sc_amf_decode_all(out->data, out->len, &error);
    assert_true(n == SC_AMF_MAX_PROPERTIES
                    ? v != NULL
                    : g_error_matches(error, SC_AMF_ERROR, SC_AMF_ERROR_LIMIT));
  }
  guint8 nulls[SC_AMF_MAX_VALUES + 1];
  memset(nulls, 0x05, sizeof nulls);
  g_autoptr(GPtrArray) ok = sc_amf_decode_all(nulls, SC_AMF_MAX_VALUES, NULL);
  assert_non_null(ok);
  expect_error(nulls, sizeof nulls, SC_AMF_ERROR_LIMIT, "too many values");
}

/* A _result as servers send it, with every type the decoder knows. */
static GByteArray *
rich_message(void)
{
  GByteArray *out = g_byte_array_new();
  sc_amf_write_string(out, "_result");
  sc_amf_write_number(out, 1);
  sc_amf_write_object_begin(out);
  sc_amf_write_property(out, "fmsVer");
  sc_amf_write_string(out, "FMS/3,0,1,123");
  sc_amf_write_property(out, "capabilities");
  sc_amf_write_number(out, 31);
  sc_amf_write_object_end(out);
  sc_amf_write_object_begin(out);
  sc_amf_write_property(out, "code");
  sc_amf_write_string(out, "NetConnection.Connect.Success");
  sc_amf_write_property(out, "data");
  sc_amf_write_ecma_array_begin(out, 1);
  sc_amf_write_property(out, "version");
  sc_amf_write_string(out, "3,5,7,7009");
  sc_amf_write_object_end(out);
  sc_amf_write_property(out, "secure");
  sc_amf_write_boolean(out, FALSE);
  sc_amf_write_object_end(out);
  sc_amf_write_null(out);
  guint8 undefined = 0x06;
  g_byte_array_append(out, &undefined, 1);
  return out;
}

/* Decodes a private, exactly sized copy, so that AddressSanitizer sees any
 * read past the end. */
static GPtrArray *
decode_copy(const guint8 *data, gsize len, GError **error)
{
  g_autofree guint8 *copy = g_malloc(MAX(len, 1));
  memcpy(copy, data, len);
  return sc_amf_decode_all(len ? copy : NULL, len, error);
}

static void
test_every_truncation(void **state)
{
  g_autoptr(GByteArray) full = rich_message();
  /* the offsets where a top-level value ends: a cut there is still valid */
  g_autoptr(GArray) ends = g_array_new(FALSE, FALSE, sizeof(gsize));
  for (gsize off = 0; off < full->len;) {
    gsize used = 0;
    g_autoptr(ScAmfValue) v = sc_amf_decode(full->data + off, full->len - off, &used, NULL);
    assert_non_null(v);
    off += used;
    g_array_append_val(ends, off);
  }
  guint boundary = 0;
  for (gsize len = 0; len < full->len; len++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) v = decode_copy(full->data, len, &error);
    gboolean at_boundary =
        len == 0 || (boundary < ends->len && len == g_array_index(ends, gsize, boundary));
    if (len > 0 && at_boundary)
      boundary++;
    if (at_boundary) {
      assert_non_null(v);
      assert_int_equal(v->len, len == 0 ? 0 : boundary);
    } else if (v != NULL || !g_error_matches(error, SC_AMF_ERROR, SC_AMF_ERROR_TRUNCATED)) {
      fail_msg("a cut at %" G_GSIZE_FORMAT " of %u bytes was not reported as truncated", len,
               full->len);
    }
  }
}

static void
check_clean(const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) v = decode_copy(data, len, &error);
  if (v == NULL && (error == NULL || error->domain != SC_AMF_ERROR))
    fail_msg("a failure without an AMF error");
}

/* Every byte replaced by values that are markers, lengths or garbage. */
static void
test_every_mutation(void **state)
{
  static const guint8 replacements[] = {0x00, 0x01, 0x02, 0x03, 0x05, 0x08, 0x09,
                                        0x0c, 0x10, 0x7f, 0x80, 0xfe, 0xff};
  g_autoptr(GByteArray) full = rich_message();
  g_autofree guint8 *mutated = g_memdup2(full->data, full->len);
  for (guint i = 0; i < full->len; i++) {
    for (guint r = 0; r < G_N_ELEMENTS(replacements); r++) {
      mutated[i] = replacements[r];
      check_clean(mutated, full->len);
    }
    mutated[i] = full->data[i];
  }
}

/* Random input from a fixed seed, biased towards AMF markers so that it gets
 * past the first byte. */
static void
test_random_input(void **state)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(20261123);
  guint8 buf[96];
  for (guint round = 0; round < 20000; round++) {
    gsize len = g_rand_int_range(rand, 0, sizeof buf + 1);
    for (gsize i = 0; i < len; i++)
      buf[i] = g_rand_boolean(rand) ? (guint8)g_rand_int_range(rand, 0, 13)
                                    : (guint8)g_rand_int_range(rand, 0, 256);
    check_clean(buf, len);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalars_round_trip), cmocka_unit_test(test_wire_format),
      cmocka_unit_test(test_object_round_trip),  cmocka_unit_test(test_ecma_array_round_trip),
      cmocka_unit_test(test_long_string),        cmocka_unit_test(test_server_on_status),
      cmocka_unit_test(test_malformed),          cmocka_unit_test(test_nesting_limit),
      cmocka_unit_test(test_size_limits),        cmocka_unit_test(test_every_truncation),
      cmocka_unit_test(test_every_mutation),     cmocka_unit_test(test_random_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
