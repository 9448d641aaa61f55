/* recorder.h - the local recording of one show: the program's own encoded
 * H.264/AAC (the FLV tags every destination receives, no second encode)
 * remuxed by libavformat into Matroska segments in the show's folder:
 *
 *   FOLDER/segment-001.mkv, segment-002.mkv, ...
 *
 * Every segment starts at a keyframe, a new one at the first keyframe after
 * segment_s. Timestamps are the show's time (0 at the first keyframe
 * recorded) and continue from one segment to the next, so segments play
 * alone and in sequence. Matroska needs no index to play: a segment cut
 * short by a power cut or SIGKILL plays up to its last cluster (clusters
 * close every second and are written out at once; the file is fdatasync'd
 * every few seconds). A segment closed normally also has its cues (seeking)
 * and the chapters that fall in it (sc_recorder_set_chapters).
 *
 * The streaming thread never waits for the disk: sc_recorder_push queues a
 * reference to the tag and returns; the recorder's own thread writes. When
 * the disk falls behind by more than queue_ms of media, what is queued is
 * dropped (counted) and recording resumes at the next keyframe.
 *
 * Disk full: when the file system has less than min_free_bytes left, the
 * recorder closes its segment properly and stops (SC_RECORDER_STOP_DISK_FULL);
 * when a write fails for lack of room (ENOSPC, EDQUOT: another writer, a
 * quota), it stops at once, the segment playable up to that point. Either
 * way the program and the destinations are untouched.
 *
 * Threading: new, start, set_chapters, finish and free on one thread (the
 * main thread); events are delivered on that thread's default main context.
 * sc_recorder_push runs on the streaming thread. get_stats: any thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SC_RECORDER_ERROR (sc_recorder_error_quark())
GQuark sc_recorder_error_quark(void);

typedef enum {
  SC_RECORDER_ERROR_OPEN,  /* a segment could not be created */
  SC_RECORDER_ERROR_WRITE, /* a write failed (not for lack of room) */
  SC_RECORDER_ERROR_FULL,  /* the disk or the quota is full */
} ScRecorderError;

typedef struct {
  const char *folder;     /* exists; the segments are created in it */
  guint segment_s;        /* a new segment at the first keyframe after this long; 0 = 300 */
  guint64 min_free_bytes; /* stop cleanly below this free space; 0: only on a failed write */
  guint queue_ms;         /* media that may wait for the disk; 0 = 10000 */
  /* what the program is (the tags carry the codecs' own configuration) */
  guint width, height, framerate;
  guint audio_rate, audio_channels;
} ScRecorderParams;

typedef enum {
  SC_RECORDER_STATE_WAITING,   /* started, waiting for the first keyframe */
  SC_RECORDER_STATE_RECORDING, /* writing a segment */
  SC_RECORDER_STATE_STOPPED,   /* finished, or stopped by the disk (see stop) */
} ScRecorderState;

typedef enum {
  SC_RECORDER_STOP_NONE,      /* still recording */
  SC_RECORDER_STOP_ENDED,     /* the show ended (or the stream): closed properly */
  SC_RECORDER_STOP_DISK_FULL, /* min_free_bytes reached, or a write found no room */
  SC_RECORDER_STOP_FAILED,    /* another write or open error */
} ScRecorderStop;

typedef struct {
  ScRecorderState state;
  ScRecorderStop stop;
  guint segments;         /* opened so far */
  guint64 video_frames;   /* written */
  guint64 audio_frames;   /* written */
  guint64 bytes;          /* written to the segments */
  guint64 dropped_tags;   /* tags the disk could not take in time */
  guint64 duration_ms;    /* show time of the latest video frame written */
  gint64 first_stream_ms; /* program stream time (FLV ts) of show time 0; -1: none yet */
} ScRecorderStats;

typedef enum {
  SC_RECORDER_EVENT_SEGMENT, /* a segment was opened */
  SC_RECORDER_EVENT_STOPPED, /* the recorder stopped: @stop says why */
} ScRecorderEventKind;

typedef struct {
  ScRecorderEventKind kind;
  const char *path;    /* SEGMENT: the new file */
  guint index;         /* SEGMENT: its number, from 1 */
  guint64 start_ms;    /* SEGMENT: its first frame's show time */
  ScRecorderStop stop; /* STOPPED */
  const GError *error; /* STOPPED by the disk or a failure: what happened */
} ScRecorderEvent;

typedef struct _ScRecorder ScRecorder;

typedef void (*ScRecorderEventFunc)(ScRecorder *recorder, const ScRecorderEvent *event,
                                    gpointer user_data);

ScRecorder *sc_recorder_new(const ScRecorderParams *params, ScRecorderEventFunc on_event,
                            gpointer user_data);
/* Starts the writer thread: tags are taken from now on. */
void sc_recorder_start(ScRecorder *self);

/* An ScProgramFunc (@user_data: the recorder). NULL @tag ends the stream:
 * the segment is closed as by sc_recorder_finish. Streaming thread; never blocks. */
void sc_recorder_push(GstBuffer *tag, GstCaps *caps, gpointer user_data);

/* A chapter mark: from @start_ms (show time) until the next mark. */
typedef struct {
  guint64 start_ms;
  const char *title;
} ScRecorderChapter;

/* Replaces the chapter marks (@n, sorted by start; copied). Each segment,
 * when it closes, embeds the marks that overlap it, clipped to it. */
void sc_recorder_set_chapters(ScRecorder *self, const ScRecorderChapter *chapters, guint n);

/* Closes the segment (cues, chapters) and stops the thread, waiting at most
 * @timeout_ms; TRUE if it closed in time (else it finishes on its own). */
gboolean sc_recorder_finish(ScRecorder *self, guint timeout_ms);

/* Finishes (without waiting) if running, and frees. NULL-safe. */
void sc_recorder_free(ScRecorder *self);

void sc_recorder_get_stats(ScRecorder *self, ScRecorderStats *stats);
const char *sc_recorder_state_name(ScRecorderState state);
const char *sc_recorder_stop_name(ScRecorderStop stop);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRecorder, sc_recorder_free)

G_END_DECLS
