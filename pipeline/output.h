/* output.h - one destination's push: a thread, a bounded queue and an RTMP
 * connection (rtmp.h).
 *
 * An output receives the program's FLV tags (sc_output_push, an ScProgramFunc)
 * and never blocks the caller: while it is not publishing it takes nothing,
 * and when the network falls behind by more than queue_ms of media it drops
 * what is queued and resumes at the next keyframe, counting every dropped tag.
 * With drop_queue_ms set, frames are dropped as a last resort well before
 * that: when the video waiting (in the output's queue and in the socket) spans
 * more than drop_queue_ms of media, disposable frames go first, then the rest
 * of the oldest group of pictures up to the next keyframe; audio is never
 * dropped this way, and every dropped frame is counted.
 * On any failure it reconnects by itself with capped, jittered backoff
 * (first retry within retry_first_ms, then doubling up to retry_max_ms),
 * sending the stream headers and asking for a keyframe on every new
 * connection, so a platform decodes at once. When the destination has a
 * backup ingest, every failed attempt or lost connection moves the next
 * attempt to the other ingest, so a refusing or dead ingest is left at once.
 *
 * Threading: create, start, finish and free on the main thread. State changes
 * are reported on the main context of the thread that created the output.
 * sc_output_push runs on the streaming thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  SC_OUTPUT_STATE_IDLE,       /* created, not started */
  SC_OUTPUT_STATE_CONNECTING, /* opening a connection to the ingest */
  SC_OUTPUT_STATE_LIVE,       /* publishing */
  SC_OUTPUT_STATE_RETRYING,   /* the last attempt failed; waiting to try again */
  SC_OUTPUT_STATE_STOPPED,    /* finished */
} ScOutputState;

typedef struct {
  const char *name;
  const char *url;
  const char *backup_url; /* NULL, or the platform's backup ingest (same key) */
  const char *stream_key; /* secret: never logged */
  const char *tls_ca_file;
  guint queue_ms;             /* media that may wait for the network; 0 = 2000 */
  guint retry_first_ms;       /* 0 = 500 */
  guint retry_max_ms;         /* 0 = 30000 */
  guint connect_timeout_ms;   /* 0 = 5000 */
  guint send_timeout_ms;      /* how long sent data may stay unacknowledged; 0 = 3000 */
  guint send_buffer_bytes;    /* SO_SNDBUF; 0 leaves the kernel's default */
  const char *bind_interface; /* the uplink to start on; NULL: the system's routing */
  guint drop_queue_ms;        /* video waiting longer than this is dropped; 0: never */
} ScOutputParams;

typedef struct {
  guint64 tags_sent;
  guint64 bytes_sent;
  guint64 tags_dropped; /* overflow while publishing, and the frames below */
  guint64 connections;  /* successful publishes since start */
  guint64 failures;     /* failed attempts and lost connections */
  guint64 moves;        /* connections left for another uplink */

  /* the last resort, past drop_queue_ms (also counted in tags_dropped) */
  guint64 frames_dropped;     /* video frames */
  guint64 disposable_dropped; /* ... of which disposable (no other frame refers to them) */
  guint64 gops_dropped;       /* runs of frames dropped up to the next keyframe */
} ScOutputStats;

typedef enum {
  SC_OUTPUT_INGEST_PRIMARY,
  SC_OUTPUT_INGEST_BACKUP,
} ScOutputIngest;

typedef struct _ScOutput ScOutput;

/* A state change, with what it is about as it was at that moment. */
typedef struct {
  ScOutputState state;
  const GError *reason;  /* why, for RETRYING; NULL otherwise */
  ScOutputIngest ingest; /* the ingest connected to or tried */
  const char *interface; /* the uplink it went by; NULL: the system's routing */
} ScOutputReport;

typedef void (*ScOutputStateFunc)(ScOutput *output, const ScOutputReport *report,
                                  gpointer user_data);
/* Asks the encoder for a keyframe; called from the output's thread. */
typedef void (*ScKeyframeFunc)(gpointer user_data);

ScOutput *sc_output_new(const ScOutputParams *params, ScOutputStateFunc on_state,
                        gpointer user_data);
void sc_output_set_keyframe_func(ScOutput *self, ScKeyframeFunc func, gpointer user_data);
void sc_output_start(ScOutput *self);

/* An ScProgramFunc: @user_data is the ScOutput. NULL @tag ends the stream:
 * the output sends what it has queued and closes the publication. */
void sc_output_push(GstBuffer *tag, GstCaps *caps, gpointer user_data);

/* Puts later connections on @interface (NULL: the system's routing). If the
 * connection in use or being opened leaves by another interface, the output
 * leaves it and opens the next one at once, without backoff. With
 * @path_failed (the old uplink is dead) it drops the old connection abruptly
 * and goes to the destination's backup ingest when there is one, since the
 * platform may still hold the lost path's publication for a while; without
 * it (a planned fail-back) it closes the old publication politely first. */
void sc_output_set_interface(ScOutput *self, const char *interface, gboolean path_failed);
/* The interface of the connection in use or last tried (NULL: routing). */
char *sc_output_dup_interface(ScOutput *self);

/* How far the network is behind, for the rate controller. */
typedef struct {
  gboolean live;          /* publishing; the figures below are meaningful */
  gboolean socket_read;   /* the socket's figures could be read */
  guint64 connection;     /* changes with every new connection (bytes_acked restarts) */
  guint32 queue_ms;       /* media waiting in the output's queue (timestamps) */
  guint64 queue_bytes;    /* ... its size */
  guint32 outq_bytes;     /* in the socket: written, not yet acknowledged */
  guint32 notsent_bytes;  /* ... of which not yet sent */
  guint32 rtt_us;         /* smoothed round-trip time */
  guint32 min_rtt_us;     /* the connection's lowest */
  guint64 bytes_acked;    /* acknowledged by the ingest since connect */
  guint32 media_rate_bps; /* the media's rate as it reaches the output (bytes of tags / s) */
} ScOutputCongestion;

/* Reads the figures now (socket included). Any thread; cheap (two syscalls). */
void sc_output_get_congestion(ScOutput *self, ScOutputCongestion *congestion);

/* Reconnect now: cuts a backoff wait short, abandons a connection attempt in
 * progress, and closes a live connection politely to open a new one. */
void sc_output_reconnect_now(ScOutput *self);

/* Waits, at most @timeout_ms, for the output to send what it has after the end
 * of stream and close; then stops it regardless. TRUE if it closed cleanly. */
gboolean sc_output_finish(ScOutput *self, guint timeout_ms);

/* Stops (if running) and frees. NULL-safe. */
void sc_output_free(ScOutput *self);

const char *sc_output_get_name(ScOutput *self);
/* The URL of the ingest in use, with the key masked (sc_rtmp_url_describe):
 * safe to log and show. Any thread; the string lives as long as the output. */
const char *sc_output_describe(ScOutput *self);
/* The same for a given ingest (a report's). */
const char *sc_output_describe_ingest(ScOutput *self, ScOutputIngest ingest);
/* Which ingest the output uses (or will try next). Any thread. */
ScOutputIngest sc_output_get_ingest(ScOutput *self);
ScOutputState sc_output_get_state(ScOutput *self);
void sc_output_get_stats(ScOutput *self, ScOutputStats *stats);
const char *sc_output_state_name(ScOutputState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScOutput, sc_output_free)

G_END_DECLS
