/* fuzz-rtmp.c - what an RTMP server sends the box: the chunk stream (types
 * 0-3, extended timestamps, Set Chunk Size, Abort), the AMF0 commands and
 * data in its messages, and FLV tags as the box parses them; plus the RTMP
 * URL as a technician types it. */
#include "pipeline/amf.h"
#include "pipeline/flv.h"
#include "pipeline/rtmp-chunk.h"
#include "pipeline/rtmp-url.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  sc_fuzz_fatal_logs(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
amf_walk(const ScAmfValue *v, guint depth)
{
  if (v == NULL || depth > 64)
    return;
  (void)sc_amf_value_get_type(v);
  guint n = sc_amf_value_get_n_properties(v);
  for (guint i = 0; i < n; i++) {
    (void)sc_amf_value_get_property_name(v, i);
    amf_walk(sc_amf_value_get_property(v, i), depth + 1);
  }
  (void)sc_amf_value_lookup_string(v, "code");
}

static void
amf_decode(const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *values = sc_amf_decode_all(data, len, &error);
  if (values == NULL)
    return;
  for (guint i = 0; i < values->len; i++)
    amf_walk(g_ptr_array_index(values, i), 0);
  g_ptr_array_unref(values);
}

static void
chunk_stream(const uint8_t *data, size_t size)
{
  g_autoptr(ScRtmpChunkReader) reader = sc_rtmp_chunk_reader_new();
  /* in pieces, as TCP delivers it: the first byte says how big */
  gsize piece = size > 0 ? 1 + data[0] % 64 : 1;
  for (gsize at = 0; at < size; at += piece) {
    sc_rtmp_chunk_reader_push(reader, data + at, MIN(piece, size - at));
    for (guint n = 0; n < 1000; n++) {
      g_autoptr(GError) error = NULL;
      g_autoptr(ScRtmpMessage) m = sc_rtmp_chunk_reader_pop(reader, &error);
      if (error != NULL)
        return;
      if (m == NULL)
        break;
      gsize len;
      const guint8 *body = g_bytes_get_data(m->body, &len);
      if (m->type == SC_RTMP_MSG_COMMAND_AMF0 || m->type == SC_RTMP_MSG_DATA_AMF0)
        amf_decode(body, len);
    }
  }
}

static void
flv_tags(const uint8_t *data, size_t size)
{
  gsize at = sc_flv_is_file_header(data, size) ? MIN(size, 13) : 0;
  while (at < size) {
    ScFlvTag tag;
    g_autoptr(GError) error = NULL;
    gsize used = sc_flv_parse_tag(data + at, size - at, &tag, &error);
    if (used == 0)
      return;
    g_assert(used <= size - at && tag.body_len <= used);
    (void)sc_flv_tag_is_keyframe(&tag);
    (void)sc_flv_tag_is_sequence_header(&tag);
    at += used;
  }
}

static void
url(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, MIN(size, 512));
  g_autoptr(GError) error = NULL;
  ScRtmpUrl *u = sc_rtmp_url_parse(text, &error);
  g_assert((u == NULL) == (error != NULL));
  if (u != NULL) {
    g_free(sc_rtmp_url_describe(u, text));
    sc_rtmp_url_free(u);
  }
  g_free(sc_rtmp_url_mask_key(text));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  chunk_stream(data, size);
  amf_decode(data, size);
  flv_tags(data, size);
  url(data, size);
  return 0;
}
