#include "pipeline/flv.h"

G_DEFINE_QUARK(sc - flv - error - quark, sc_flv_error)

#define FLV_CODEC_AVC 7
#define FLV_SOUND_AAC 10

static guint32
read_u24(const guint8 *p)
{
  return (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
}

gboolean
sc_flv_is_file_header(const guint8 *data, gsize len)
{
  return len >= 9 && data[0] == 'F' && data[1] == 'L' && data[2] == 'V' && data[3] == 1;
}

gsize
sc_flv_parse_tag(const guint8 *data, gsize len, ScFlvTag *tag, GError **error)
{
  if (len < SC_FLV_TAG_HEADER_SIZE) {
    g_set_error(error, SC_FLV_ERROR, SC_FLV_ERROR_TRUNCATED,
                "FLV tag header needs 11 bytes, have %zu", len);
    return 0;
  }
  guint8 type = data[0] & 0x1f; /* the top bits are reserved/filter flags */
  if (type != SC_FLV_TAG_AUDIO && type != SC_FLV_TAG_VIDEO && type != SC_FLV_TAG_SCRIPT) {
    g_set_error(error, SC_FLV_ERROR, SC_FLV_ERROR_INVALID, "unknown FLV tag type %u", type);
    return 0;
  }
  gsize body_len = read_u24(data + 1);
  if (body_len > len - SC_FLV_TAG_HEADER_SIZE) {
    g_set_error(error, SC_FLV_ERROR, SC_FLV_ERROR_TRUNCATED, "FLV tag body of %zu bytes, have %zu",
                body_len, len - SC_FLV_TAG_HEADER_SIZE);
    return 0;
  }
  tag->type = type;
  /* 24 low bits, then the extension byte holding bits 24-31 */
  tag->timestamp_ms = read_u24(data + 4) | (guint32)data[7] << 24;
  tag->body = data + SC_FLV_TAG_HEADER_SIZE;
  tag->body_len = body_len;
  gsize used = SC_FLV_TAG_HEADER_SIZE + body_len;
  return len - used >= 4 ? used + 4 : used;
}

gboolean
sc_flv_tag_is_keyframe(const ScFlvTag *tag)
{
  return tag->type == SC_FLV_TAG_VIDEO && tag->body_len >= 2 && (tag->body[0] >> 4) == 1 &&
         !((tag->body[0] & 0x0f) == FLV_CODEC_AVC && tag->body[1] == 0);
}

#define FLV_FRAME_DISPOSABLE 3
#define AVC_NALU             1 /* AVCPacketType: NAL units */
#define AVC_BODY_OFFSET      5 /* frame type/codec, packet type, composition time */

gboolean
sc_flv_tag_is_disposable(const ScFlvTag *tag)
{
  if (tag->type != SC_FLV_TAG_VIDEO || tag->body_len < AVC_BODY_OFFSET)
    return FALSE;
  if ((tag->body[0] >> 4) == FLV_FRAME_DISPOSABLE)
    return TRUE;
  if ((tag->body[0] & 0x0f) != FLV_CODEC_AVC || tag->body[1] != AVC_NALU)
    return FALSE;
  gboolean slices = FALSE;
  for (gsize at = AVC_BODY_OFFSET; at + 5 <= tag->body_len;) {
    const guint8 *p = tag->body + at;
    gsize len = (gsize)p[0] << 24 | (gsize)p[1] << 16 | (gsize)p[2] << 8 | p[3];
    if (len == 0 || len > tag->body_len - at - 4)
      return FALSE; /* malformed: keep it */
    guint type = p[4] & 0x1f, ref_idc = (p[4] >> 5) & 3;
    if (type == 1 || type == 5) { /* a coded slice */
      if (ref_idc != 0)
        return FALSE;
      slices = TRUE;
    }
    at += 4 + len;
  }
  return slices;
}

gboolean
sc_flv_tag_is_sequence_header(const ScFlvTag *tag)
{
  if (tag->body_len < 2)
    return FALSE;
  if (tag->type == SC_FLV_TAG_VIDEO)
    return (tag->body[0] & 0x0f) == FLV_CODEC_AVC && tag->body[1] == 0;
  if (tag->type == SC_FLV_TAG_AUDIO)
    return (tag->body[0] >> 4) == FLV_SOUND_AAC && tag->body[1] == 0;
  return FALSE;
}
