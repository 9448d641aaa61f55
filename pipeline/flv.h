/* flv.h - reading FLV tags, as flvmux produces them and RTMP carries them.
 * Pure functions over caller-owned memory; any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_FLV_ERROR (sc_flv_error_quark())
GQuark sc_flv_error_quark(void);

typedef enum {
  SC_FLV_ERROR_TRUNCATED, /* fewer bytes than the tag says it has */
  SC_FLV_ERROR_INVALID,   /* not an FLV tag */
} ScFlvError;

#define SC_FLV_HEADER_SIZE     13 /* "FLV", version, flags, header size, PreviousTagSize0 */
#define SC_FLV_TAG_HEADER_SIZE 11

typedef enum {
  SC_FLV_TAG_AUDIO = 8,
  SC_FLV_TAG_VIDEO = 9,
  SC_FLV_TAG_SCRIPT = 18,
} ScFlvTagType;

typedef struct {
  ScFlvTagType type;
  guint32 timestamp_ms;
  const guint8 *body; /* points into the parsed memory */
  gsize body_len;
} ScFlvTag;

/* TRUE when @data starts with an FLV file header. */
gboolean sc_flv_is_file_header(const guint8 *data, gsize len);

/* Parses the tag at the start of @data (tag header, body and, when present,
 * the 4-byte trailer). Returns the number of bytes it spans, or 0 with @error. */
gsize sc_flv_parse_tag(const guint8 *data, gsize len, ScFlvTag *tag, GError **error);

/* An H.264 keyframe (not the sequence header). */
gboolean sc_flv_tag_is_keyframe(const ScFlvTag *tag);
/* An H.264 frame no other frame refers to: FLV's "disposable inter frame", or
 * every slice of it has nal_ref_idc 0 (a non-reference B-frame). Dropping it
 * harms no other frame. Expects 4-byte NAL lengths, as flvmux writes. */
gboolean sc_flv_tag_is_disposable(const ScFlvTag *tag);
/* AVCDecoderConfigurationRecord or AAC AudioSpecificConfig. */
gboolean sc_flv_tag_is_sequence_header(const ScFlvTag *tag);

G_END_DECLS
