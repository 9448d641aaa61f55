/* Tests for pipeline/flv.c: reading FLV tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pipeline/flv.h"

#include <string.h>

/* A video keyframe tag: AVC NALU, timestamp 0x01020304 (extended byte 0x01). */
static const guint8 keyframe_tag[] = {
    0x09, 0x00, 0x00, 0x05,       /* video, body of 5 bytes */
    0x02, 0x03, 0x04, 0x01,       /* timestamp 0x020304, extended 0x01 */
    0x00, 0x00, 0x00,             /* stream id */
    0x17, 0x01, 0x00, 0x00, 0x00, /* keyframe | AVC, NALU, composition time 0 */
    0x00, 0x00, 0x00, 0x10,       /* previous tag size */
};

static void
test_parse_keyframe(void **state)
{
  ScFlvTag tag;
  g_autoptr(GError) error = NULL;
  gsize used = sc_flv_parse_tag(keyframe_tag, sizeof keyframe_tag, &tag, &error);
  assert_int_equal(used, sizeof keyframe_tag);
  assert_int_equal(tag.type, SC_FLV_TAG_VIDEO);
  assert_int_equal(tag.timestamp_ms, 0x01020304);
  assert_int_equal(tag.body_len, 5);
  assert_ptr_equal(tag.body, keyframe_tag + 11);
  assert_true(sc_flv_tag_is_keyframe(&tag));
  assert_false(sc_flv_tag_is_sequence_header(&tag));
}

static void
test_sequence_headers(void **state)
{
  guint8 avc_config[] = {0x09, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x17, 0x00};
  guint8 aac_config[] = {0x08, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0xaf, 0x00};
  guint8 aac_frame[] = {0x08, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0xaf, 0x01};
  guint8 inter_frame[] = {0x09, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x27, 0x01};
  ScFlvTag tag;
  assert_int_equal(sc_flv_parse_tag(avc_config, sizeof avc_config, &tag, NULL), sizeof avc_config);
  assert_true(sc_flv_tag_is_sequence_header(&tag));
  assert_false(sc_flv_tag_is_keyframe(&tag)); /* configuration, not a picture */
  assert_int_equal(sc_flv_parse_tag(aac_config, sizeof aac_config, &tag, NULL), sizeof aac_config);
  assert_true(sc_flv_tag_is_sequence_header(&tag));
  assert_int_equal(sc_flv_parse_tag(aac_frame, sizeof aac_frame, &tag, NULL), sizeof aac_frame);
  assert_false(sc_flv_tag_is_sequence_header(&tag));
  assert_int_equal(sc_flv_parse_tag(inter_frame, sizeof inter_frame, &tag, NULL),
                   sizeof inter_frame);
  assert_false(sc_flv_tag_is_keyframe(&tag));
}

/* Every prefix shorter than the tag's header+body is refused without reading
 * past it (ASan watches the heap copies). */
static void
test_every_truncation_refused(void **state)
{
  for (gsize len = 0; len < 16; len++) {
    guint8 *copy = g_memdup2(keyframe_tag, len);
    ScFlvTag tag;
    g_autoptr(GError) error = NULL;
    assert_int_equal(sc_flv_parse_tag(copy, len, &tag, &error), 0);
    assert_true(g_error_matches(error, SC_FLV_ERROR, SC_FLV_ERROR_TRUNCATED));
    g_free(copy);
  }
  /* header and body complete, trailer partly there: the tag is usable */
  ScFlvTag tag;
  assert_int_equal(sc_flv_parse_tag(keyframe_tag, 18, &tag, NULL), 16);
}

static void
test_invalid_type(void **state)
{
  guint8 bad[sizeof keyframe_tag];
  memcpy(bad, keyframe_tag, sizeof bad);
  bad[0] = 0x07;
  ScFlvTag tag;
  g_autoptr(GError) error = NULL;
  assert_int_equal(sc_flv_parse_tag(bad, sizeof bad, &tag, &error), 0);
  assert_true(g_error_matches(error, SC_FLV_ERROR, SC_FLV_ERROR_INVALID));
}

static void
test_file_header(void **state)
{
  const guint8 header[] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0};
  assert_true(sc_flv_is_file_header(header, sizeof header));
  assert_false(sc_flv_is_file_header(header, 5));
  assert_false(sc_flv_is_file_header(keyframe_tag, sizeof keyframe_tag));
}

/* An inter frame's tag body with one slice NAL unit of @nal_header. */
static ScFlvTag
inter_frame(guint8 *body, guint8 frame_type, guint8 nal_header)
{
  const guint8 b[] = {(guint8)(frame_type << 4 | 7),
                      0x01,
                      0,
                      0,
                      0, /* AVC NALU */
                      0,
                      0,
                      0,
                      3,
                      nal_header,
                      0x9a,
                      0x21}; /* one NAL unit */
  memcpy(body, b, sizeof b);
  return (ScFlvTag){.type = SC_FLV_TAG_VIDEO, .body = body, .body_len = sizeof b};
}

/* A frame no other refers to may be dropped alone: FLV's disposable type, or
 * every slice with nal_ref_idc 0 (a non-reference B-frame); a reference P
 * slice, a keyframe or a broken NAL length is never disposable. */
static void
test_disposable_frames(void **state)
{
  guint8 body[16];
  ScFlvTag tag = inter_frame(body, 2, 0x01); /* non-IDR slice, nal_ref_idc 0 */
  assert_true(sc_flv_tag_is_disposable(&tag));
  tag = inter_frame(body, 2, 0x41); /* the same, nal_ref_idc 2: a reference */
  assert_false(sc_flv_tag_is_disposable(&tag));
  tag = inter_frame(body, 3, 0x41); /* FLV says disposable */
  assert_true(sc_flv_tag_is_disposable(&tag));
  tag = inter_frame(body, 2, 0x06); /* SEI only: no slice */
  assert_false(sc_flv_tag_is_disposable(&tag));
  tag = inter_frame(body, 2, 0x01);
  body[8] = 200; /* a NAL length past the end */
  assert_false(sc_flv_tag_is_disposable(&tag));
  ScFlvTag key;
  assert_true(sc_flv_parse_tag(keyframe_tag, sizeof keyframe_tag, &key, NULL) > 0);
  assert_false(sc_flv_tag_is_disposable(&key));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_keyframe),
      cmocka_unit_test(test_sequence_headers),
      cmocka_unit_test(test_every_truncation_refused),
      cmocka_unit_test(test_invalid_type),
      cmocka_unit_test(test_file_header),
      cmocka_unit_test(test_disposable_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
