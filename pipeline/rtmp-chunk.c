/* rtmp-chunk.c - RTMP chunk stream framing. */
#include "pipeline/rtmp-chunk.h"

#include "pipeline/rtmp.h"

typedef struct {
  guint32 csid;
  guint32 timestamp;
  guint32 delta; /* applied to a new message that arrives with a type 3 header */
  guint32 length;
  guint32 stream_id;
  guint8 type;
  gboolean extended; /* the last header had an extended timestamp: type 3 chunks repeat it */
  GByteArray *body;  /* the message being assembled; NULL between messages */
} ChunkStream;

struct _ScRtmpChunkReader {
  GByteArray *in;
  gsize pos; /* parsed up to here */
  guint32 chunk_size;
  guint64 bytes_in;
  ChunkStream streams[SC_RTMP_MAX_CHUNK_STREAMS];
  guint n_streams;
  gboolean failed;
};

typedef enum {
  CHUNK_NEED_MORE,
  CHUNK_DONE,
  CHUNK_ERROR,
} ChunkResult;

/* ---- writing ---- */

static void
put_be(GByteArray *out, guint32 v, guint n)
{
  guint8 b[4];
  for (guint i = 0; i < n; i++)
    b[i] = (v >> (8 * (n - 1 - i))) & 0xff;
  g_byte_array_append(out, b, n);
}

static void
put_basic_header(GByteArray *out, guint fmt, guint32 csid)
{
  if (csid < 64) {
    put_be(out, fmt << 6 | csid, 1);
  } else if (csid < 320) {
    put_be(out, fmt << 6, 1);
    put_be(out, csid - 64, 1);
  } else { /* the 3-byte form stores csid - 64 little-endian */
    put_be(out, fmt << 6 | 1, 1);
    put_be(out, (csid - 64) & 0xff, 1);
    put_be(out, (csid - 64) >> 8, 1);
  }
}

void
sc_rtmp_chunk_write(GByteArray *out, guint32 chunk_size, guint32 csid, guint8 type,
                    guint32 stream_id, guint32 timestamp, const guint8 *body, gsize len)
{
  g_return_if_fail(csid >= 2 && csid <= 65599 && len < (1u << 24) && chunk_size > 0);
  gboolean extended = timestamp >= 0xffffff;
  put_basic_header(out, 0, csid);
  put_be(out, extended ? 0xffffff : timestamp, 3);
  put_be(out, (guint32)len, 3);
  put_be(out, type, 1);
  put_be(out, GUINT32_SWAP_LE_BE(stream_id), 4); /* the one little-endian field */
  if (extended)
    put_be(out, timestamp, 4);
  gsize off = 0;
  do {
    if (off > 0) {
      put_basic_header(out, 3, csid);
      /* continuation chunks repeat the extended timestamp, as Flash did and
       * nginx-rtmp (publish_time_fix) and FFmpeg expect */
      if (extended)
        put_be(out, timestamp, 4);
    }
    gsize n = MIN(chunk_size, len - off);
    g_byte_array_append(out, body + off, (guint)n);
    off += n;
  } while (off < len);
}

/* ---- reading ---- */

void
sc_rtmp_message_free(ScRtmpMessage *message)
{
  if (message == NULL)
    return;
  g_bytes_unref(message->body);
  g_free(message);
}

ScRtmpChunkReader *
sc_rtmp_chunk_reader_new(void)
{
  ScRtmpChunkReader *reader = g_new0(ScRtmpChunkReader, 1);
  reader->in = g_byte_array_new();
  reader->chunk_size = SC_RTMP_DEFAULT_CHUNK_SIZE;
  return reader;
}

void
sc_rtmp_chunk_reader_free(ScRtmpChunkReader *reader)
{
  if (reader == NULL)
    return;
  for (guint i = 0; i < reader->n_streams; i++) {
    if (reader->streams[i].body)
      g_byte_array_unref(reader->streams[i].body);
  }
  g_byte_array_unref(reader->in);
  g_free(reader);
}

void
sc_rtmp_chunk_reader_push(ScRtmpChunkReader *reader, const guint8 *data, gsize len)
{
  g_byte_array_append(reader->in, data, (guint)len);
  reader->bytes_in += len;
}

guint64
sc_rtmp_chunk_reader_get_bytes_in(ScRtmpChunkReader *reader)
{
  return reader->bytes_in;
}

guint32
sc_rtmp_chunk_reader_get_chunk_size(ScRtmpChunkReader *reader)
{
  return reader->chunk_size;
}

static ChunkResult protocol_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static ChunkResult
protocol_error(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, SC_RTMP_ERROR, SC_RTMP_ERROR_PROTOCOL, message);
  return CHUNK_ERROR;
}

typedef struct {
  const guint8 *p;
  gsize left;
} Cursor;

static gboolean
take(Cursor *c, gsize n, const guint8 **out)
{
  if (c->left < n)
    return FALSE;
  *out = c->p;
  c->p += n;
  c->left -= n;
  return TRUE;
}

static guint32
get_be(const guint8 *p, guint n)
{
  guint32 v = 0;
  for (guint i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

static gboolean
parse_basic_header(Cursor *c, guint *fmt, guint32 *csid)
{
  const guint8 *b, *x;
  if (!take(c, 1, &b))
    return FALSE;
  *fmt = b[0] >> 6;
  guint id = b[0] & 0x3f;
  if (id >= 2) {
    *csid = id;
    return TRUE;
  }
  if (!take(c, id == 0 ? 1 : 2, &x))
    return FALSE;
  *csid = 64 + x[0] + (id == 1 ? x[1] * 256u : 0);
  return TRUE;
}

/* The type 0/1/2 header fields; sets *ts_field (a timestamp or delta). */
static gboolean
parse_header_fields(Cursor *c, guint fmt, ChunkStream *h, guint32 *ts_field)
{
  static const guint sizes[] = {11, 7, 3, 0};
  const guint8 *f;
  if (!take(c, sizes[fmt], &f))
    return FALSE;
  if (fmt == 3)
    return TRUE;
  *ts_field = get_be(f, 3);
  h->extended = *ts_field == 0xffffff;
  if (fmt <= 1) {
    h->length = get_be(f + 3, 3);
    h->type = f[6];
  }
  if (fmt == 0)
    h->stream_id = GUINT32_SWAP_LE_BE(get_be(f + 7, 4));
  return TRUE;
}

static ChunkResult
parse_message_header(Cursor *c, guint fmt, gboolean known, ChunkStream *h, GError **error)
{
  if (fmt != 0 && !known)
    return protocol_error(error, "chunk type %u on chunk stream %u before any full header", fmt,
                          h->csid);
  if (fmt != 3 && h->body != NULL)
    return protocol_error(error, "a new message header on chunk stream %u before the last ended",
                          h->csid);
  guint32 ts_field = 0;
  const guint8 *ext;
  if (!parse_header_fields(c, fmt, h, &ts_field))
    return CHUNK_NEED_MORE;
  if (h->extended) {
    if (!take(c, 4, &ext))
      return CHUNK_NEED_MORE;
    ts_field = get_be(ext, 4);
  }
  /* A type 3 header that starts a message repeats the last delta; after a
   * type 0 header that delta is 0 (nginx-rtmp reads it so). A publisher only
   * receives commands, so their timestamps matter little. */
  if (fmt == 0) {
    h->timestamp = ts_field;
    h->delta = 0;
  } else if (fmt != 3) {
    h->delta = ts_field;
    h->timestamp += ts_field;
  } else if (h->body == NULL) {
    h->timestamp += h->delta;
  }
  if (h->length > SC_RTMP_MAX_MESSAGE_SIZE)
    return protocol_error(error, "a message of %u bytes (the limit is %d)", h->length,
                          SC_RTMP_MAX_MESSAGE_SIZE);
  return CHUNK_DONE;
}

static ChunkStream *
find_stream(ScRtmpChunkReader *reader, guint32 csid)
{
  for (guint i = 0; i < reader->n_streams; i++) {
    if (reader->streams[i].csid == csid)
      return &reader->streams[i];
  }
  return NULL;
}

static ScRtmpMessage *
finish_message(ChunkStream *s)
{
  ScRtmpMessage *m = g_new0(ScRtmpMessage, 1);
  m->csid = s->csid;
  m->type = s->type;
  m->stream_id = s->stream_id;
  m->timestamp = s->timestamp;
  m->body = g_byte_array_free_to_bytes(g_steal_pointer(&s->body));
  return m;
}

/* Parses one whole chunk, or consumes nothing. */
static ChunkResult
parse_chunk(ScRtmpChunkReader *reader, ScRtmpMessage **done, GError **error)
{
  Cursor c = {reader->in->data + reader->pos, reader->in->len - reader->pos};
  guint fmt;
  guint32 csid;
  if (!parse_basic_header(&c, &fmt, &csid))
    return CHUNK_NEED_MORE;
  ChunkStream *slot = find_stream(reader, csid);
  ChunkStream h = slot ? *slot : (ChunkStream){.csid = csid};
  ChunkResult r = parse_message_header(&c, fmt, slot != NULL, &h, error);
  if (r != CHUNK_DONE)
    return r;
  gsize n = MIN(reader->chunk_size, h.length - (h.body ? h.body->len : 0));
  const guint8 *payload;
  if (!take(&c, n, &payload))
    return CHUNK_NEED_MORE;
  if (slot == NULL) {
    if (reader->n_streams == SC_RTMP_MAX_CHUNK_STREAMS)
      return protocol_error(error, "more than %d chunk streams", SC_RTMP_MAX_CHUNK_STREAMS);
    slot = &reader->streams[reader->n_streams++];
  }
  *slot = h;
  reader->pos = c.p - reader->in->data;
  if (slot->body == NULL)
    slot->body = g_byte_array_new();
  g_byte_array_append(slot->body, payload, (guint)n);
  if (slot->body->len == slot->length)
    *done = finish_message(slot);
  return CHUNK_DONE;
}

static guint32
body_u32(ScRtmpMessage *m)
{
  return get_be(g_bytes_get_data(m->body, NULL), 4);
}

/* Set Chunk Size and Abort change the framing, so the reader applies them. */
static ChunkResult
apply_control(ScRtmpChunkReader *reader, ScRtmpMessage *m, GError **error)
{
  if (g_bytes_get_size(m->body) < 4)
    return protocol_error(error, "a control message of type %u with %" G_GSIZE_FORMAT " bytes",
                          m->type, g_bytes_get_size(m->body));
  guint32 value = body_u32(m);
  if (m->type == SC_RTMP_MSG_SET_CHUNK_SIZE) {
    value &= 0x7fffffff; /* the top bit is reserved */
    if (value == 0 || value > SC_RTMP_MAX_CHUNK_SIZE)
      return protocol_error(error, "a chunk size of %u (allowed: 1 to %d)", value,
                            SC_RTMP_MAX_CHUNK_SIZE);
    reader->chunk_size = value;
  } else {
    ChunkStream *s = find_stream(reader, value);
    if (s && s->body)
      g_clear_pointer(&s->body, g_byte_array_unref);
  }
  return CHUNK_DONE;
}

static void
compact(ScRtmpChunkReader *reader)
{
  if (reader->pos == reader->in->len) {
    g_byte_array_set_size(reader->in, 0);
    reader->pos = 0;
  } else if (reader->pos >= 4096) {
    g_byte_array_remove_range(reader->in, 0, (guint)reader->pos);
    reader->pos = 0;
  }
}

static gboolean
is_framing_control(const ScRtmpMessage *m)
{
  return m && (m->type == SC_RTMP_MSG_SET_CHUNK_SIZE || m->type == SC_RTMP_MSG_ABORT);
}

ScRtmpMessage *
sc_rtmp_chunk_reader_pop(ScRtmpChunkReader *reader, GError **error)
{
  if (reader->failed) {
    protocol_error(error, "the chunk stream is unusable after an error");
    return NULL;
  }
  /* every chunk consumes at least one byte, which bounds the loop */
  gsize budget = reader->in->len - reader->pos + 1;
  for (gsize i = 0; i < budget; i++) {
    g_autoptr(ScRtmpMessage) m = NULL;
    ChunkResult r = parse_chunk(reader, &m, error);
    if (r == CHUNK_DONE && is_framing_control(m)) {
      r = apply_control(reader, m, error);
      g_clear_pointer(&m, sc_rtmp_message_free);
    }
    if (r == CHUNK_ERROR) {
      reader->failed = TRUE;
      return NULL;
    }
    if (r == CHUNK_NEED_MORE)
      break;
    if (m) {
      compact(reader);
      return g_steal_pointer(&m);
    }
  }
  compact(reader);
  return NULL;
}
