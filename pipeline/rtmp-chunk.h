/* rtmp-chunk.h - RTMP chunk stream framing (private to the RTMP client).
 *
 * The writer cuts one message into chunks (a type 0 header, then type 3
 * continuation chunks). The reader is a push parser for what a server sends:
 * chunk types 0-3, extended timestamps, per-chunk-stream state, and the two
 * protocol control messages that change the framing itself (Set Chunk Size,
 * Abort), which it applies and does not return. It faces the network: sizes
 * are capped and malformed input is an SC_RTMP_ERROR_PROTOCOL error.
 * Pure data structures; one thread at a time.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_RTMP_MAX_MESSAGE_SIZE   (1024 * 1024) /* largest message accepted from a server */
#define SC_RTMP_MAX_CHUNK_SIZE     (1024 * 1024) /* largest chunk size a server may set */
#define SC_RTMP_MAX_CHUNK_STREAMS  32            /* distinct chunk stream ids from a server */
#define SC_RTMP_DEFAULT_CHUNK_SIZE 128

enum {
  SC_RTMP_MSG_SET_CHUNK_SIZE = 1,
  SC_RTMP_MSG_ABORT = 2,
  SC_RTMP_MSG_ACK = 3,
  SC_RTMP_MSG_USER_CONTROL = 4,
  SC_RTMP_MSG_WINDOW_ACK_SIZE = 5,
  SC_RTMP_MSG_SET_PEER_BANDWIDTH = 6,
  SC_RTMP_MSG_AUDIO = 8,
  SC_RTMP_MSG_VIDEO = 9,
  SC_RTMP_MSG_COMMAND_AMF3 = 17,
  SC_RTMP_MSG_DATA_AMF0 = 18,
  SC_RTMP_MSG_COMMAND_AMF0 = 20,
};

typedef struct {
  guint32 csid; /* chunk stream id it arrived on */
  guint8 type;
  guint32 stream_id;
  guint32 timestamp;
  GBytes *body;
} ScRtmpMessage;

void sc_rtmp_message_free(ScRtmpMessage *message);

/* Appends @body as one message of @type on chunk stream @csid (2..65599),
 * cut into chunks of @chunk_size bytes. @len must be below 2^24. */
void sc_rtmp_chunk_write(GByteArray *out, guint32 chunk_size, guint32 csid, guint8 type,
                         guint32 stream_id, guint32 timestamp, const guint8 *body, gsize len);

typedef struct _ScRtmpChunkReader ScRtmpChunkReader;

ScRtmpChunkReader *sc_rtmp_chunk_reader_new(void);
void sc_rtmp_chunk_reader_free(ScRtmpChunkReader *reader);
/* Queues received bytes (copied). */
void sc_rtmp_chunk_reader_push(ScRtmpChunkReader *reader, const guint8 *data, gsize len);
/* The next complete message, or NULL: with @error set when the input is
 * malformed (the reader is then unusable), else when more bytes are needed. */
ScRtmpMessage *sc_rtmp_chunk_reader_pop(ScRtmpChunkReader *reader,
                                        GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* All bytes pushed so far (for acknowledgements). */
guint64 sc_rtmp_chunk_reader_get_bytes_in(ScRtmpChunkReader *reader);
/* The chunk size the server announced (128 until it sets one). */
guint32 sc_rtmp_chunk_reader_get_chunk_size(ScRtmpChunkReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRtmpMessage, sc_rtmp_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRtmpChunkReader, sc_rtmp_chunk_reader_free)

G_END_DECLS
