/* recording.h - the box's record of each show: from go-live to the end of the
 * show, a folder on the data partition ([recording] folder, see
 * recording-config.h) named by the show's start (UTC), e.g.
 *
 *   recordings/2026-11-23T101502Z/
 *     segment-001.mkv ...   the program as streamed (pipeline/recorder.h), unless disabled
 *     show.json             the show: title, start, end, the recording's segments and totals
 *     audit.jsonl           the show's lines of the on-air audit log
 *     events.jsonl          the show's event journal (as `shopcastctl events` prints it)
 *     samples.jsonl         once a second: each destination's state, bytes sent, tags dropped;
 *                           the mic's clipping count
 *     chapters.json         products, flash sales, coupons, corrections (chapters.h)
 *     chapters.ffmeta       the same as chapter marks, for ffmpeg
 *     report.html, .csv     the post-show report (report.h), made when the show ends
 *     figures.json          the operator's figures (`shopcastctl report set`)
 *
 * The recording takes the program's FLV tags (sc_recording_push, a program
 * sink) and never slows the stream. It goes on through every uplink or
 * destination fault. The chapter marks are embedded in the segments as
 * they close. Retention: at the start of a show and every 10 s while live,
 * while the disk has less than keep-free, or there are more than keep-shows
 * shows, the oldest show's folder is deleted; never the show on air. A disk
 * that fills anyway stops the recording cleanly, with an alert; the stream
 * goes on. Every start, segment, stop, disk-full and deletion is an event.
 *
 * Main thread only, except sc_recording_push (the streaming thread).
 */
#pragma once

#include "firmware/events.h"
#include "firmware/recording-config.h"
#include "pipeline/pipeline.h"

G_BEGIN_DECLS

typedef struct _ScRecording ScRecording;

/* One destination in a sample, as the daemon reports it. */
typedef struct {
  const char *name, *state;
  guint64 bytes, dropped;
} ScRecordingDest;

/* Fills @dests (ScRecordingDest; the strings must live until the call returns). */
typedef void (*ScRecordingSampleFunc)(GArray *dests, gpointer user_data);

/* Borrows @config, @media, @events and @pipeline; they outlive the recording.
 * @audit_log: the on-air audit log's path, or NULL. */
ScRecording *sc_recording_new(const ScRecordingConfig *config, const ScMediaSpec *media,
                              const char *audit_log, ScEventLog *events, ScPipeline *pipeline,
                              ScRecordingSampleFunc sample, gpointer user_data);
/* Ends a show in progress (as sc_recording_show_end, without the report). NULL-safe. */
void sc_recording_free(ScRecording *self);

/* An ScProgramFunc: @user_data is the ScRecording. */
void sc_recording_push(GstBuffer *tag, GstCaps *caps, gpointer user_data);

/* The show goes live: a new folder, a new recording. @title: the run of
 * show's title, or NULL; @product_id, @product_name: the product on air now,
 * or NULL. */
void sc_recording_show_start(ScRecording *self, const char *title, const char *product_id,
                             const char *product_name);
/* The show ended: the recording is closed, the chapters written, and the
 * report made on a worker thread (an event says when it is ready). */
void sc_recording_show_end(ScRecording *self);

/* {"enabled":true,"state":"recording","show":"2026-11-23T101502Z",...} and a
 * newline. "show" is the show on air or the latest one; "report_ready" says
 * whether that show's report.html exists. */
char *sc_recording_status_json(ScRecording *self);

/* What the recordings have done since shopcastd started (the metrics). */
typedef struct {
  gboolean active;      /* a show is on air and its recording goes on */
  guint64 bytes;        /* written to segments, all shows */
  guint64 dropped_tags; /* tags the disk could not take in time, all shows */
  guint64 segments;     /* segments opened, all shows */
  guint64 stops;        /* recordings stopped before their show ended (disk full, failed write) */
  guint64 free_bytes;   /* free space on the recordings' file system now (0: unknown) */
} ScRecordingTotals;

void sc_recording_get_totals(ScRecording *self, ScRecordingTotals *totals);

/* The folder of show @id, or of the latest show when @id is NULL; NULL and
 * @error when there is none. */
char *sc_recording_find_show(ScRecording *self, const char *id,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Where the shows are (the [recording] folder). */
const char *sc_recording_get_folder(ScRecording *self);
/* Makes the report of the show in @show_dir again, on a worker thread (as at the end of a show). */
void sc_recording_report(ScRecording *self, const char *show_dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRecording, sc_recording_free)

G_END_DECLS
