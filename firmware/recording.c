#define G_LOG_DOMAIN "shopcast-recording"

#include "firmware/recording.h"

#include "firmware/background-save.h"
#include "firmware/chapters.h"
#include "firmware/json.h"
#include "firmware/report.h"
#include "firmware/retention.h"
#include "pipeline/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#define TICK_MS              1000
#define RETENTION_EVERY      10   /* ticks */
#define FINISH_TIMEOUT_MS    3000 /* closing the last segment at the end of a show */
#define FLOOR_SECONDS        10   /* the recorder stops with this much media's room left */
#define FLOOR_MIN_BYTES      (4u << 20)
#define AUDIT_READ_MAX_BYTES (1 << 20) /* per tick */
#define REPORT_WATCH_MS      100

typedef struct {
  char *id, *dir, *title, *product_id, *product_name;
  gint64 start_us, end_us;
  int samples_fd, events_fd, audit_fd;
  ScBackgroundSave *show_json; /* show.json, written off the main loop */
  ScChapterLog *chapters;      /* from the show's audit lines so far */
  gint64 first_stream_ms;      /* as the marks were last made with */
  GArray *segments;            /* Segment */
} Show;

typedef struct {
  char *file;
  guint64 start_ms;
} Segment;

struct _ScRecording {
  const ScRecordingConfig *config;
  const ScMediaSpec *media;
  char *audit_log;
  ScEventLog *events;
  ScPipeline *pipeline;
  ScRecordingSampleFunc sample;
  gpointer user_data;

  GMutex lock; /* @recorder, read by the streaming thread */
  ScRecorder *recorder;

  Show *show; /* the show on air, or NULL */
  guint64 events_seen;
  goffset audit_offset;
  guint tick, ticks;
  ScRecorderStats last;   /* the latest recording's, after it ended */
  ScRecordingTotals done; /* the recordings that ended, added up; stops */
  char *last_show;        /* its id */
  char *last_error;       /* why it stopped, if not with the show */
  GThread *report_thread; /* the report being made, or NULL */
  struct _ReportJob *report_job;
  guint report_watch;
};

static void
segment_clear(gpointer p)
{
  g_free(((Segment *)p)->file);
}

static void
close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void
show_free(Show *s)
{
  if (s == NULL)
    return;
  g_free(s->id);
  g_free(s->dir);
  g_free(s->title);
  g_free(s->product_id);
  g_free(s->product_name);
  close_fd(&s->samples_fd);
  close_fd(&s->events_fd);
  close_fd(&s->audit_fd);
  sc_background_save_free(s->show_json); /* writes what is waiting */
  sc_chapter_log_free(s->chapters);
  g_array_unref(s->segments);
  g_free(s);
}

static void event(ScRecording *self, gboolean warning, const char *state, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static void
event(ScRecording *self, gboolean warning, const char *state, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *detail = g_strdup_vprintf(format, args);
  va_end(args);
  const char *subject = self->show ? self->show->id : self->last_show ? self->last_show : "-";
  sc_event_log_add(self->events, g_get_real_time(), warning, "recording", subject, state, detail);
}

ScRecording *
sc_recording_new(const ScRecordingConfig *config, const ScMediaSpec *media, const char *audit_log,
                 ScEventLog *events, ScPipeline *pipeline, ScRecordingSampleFunc sample,
                 gpointer user_data)
{
  ScRecording *self = g_new0(ScRecording, 1);
  self->config = config;
  self->media = media;
  self->audit_log = g_strdup(audit_log);
  self->events = events;
  self->pipeline = pipeline;
  self->sample = sample;
  self->user_data = user_data;
  self->last.first_stream_ms = -1;
  g_mutex_init(&self->lock);
  return self;
}

void
sc_recording_push(GstBuffer *tag, GstCaps *caps, gpointer user_data)
{
  ScRecording *self = user_data;
  g_mutex_lock(&self->lock);
  if (self->recorder)
    sc_recorder_push(tag, caps, self->recorder);
  g_mutex_unlock(&self->lock);
}

/* ---- the show's files ---- */

static int
open_append(Show *s, const char *name)
{
  g_autofree char *path = g_build_filename(s->dir, name, NULL);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    g_warning("%s: %s", path, g_strerror(errno));
  return fd;
}

static void
append(int fd, const char *text, gsize len)
{
  while (fd >= 0 && len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* a full disk: the show's files are best effort, the stream goes on */
    text += n;
    len -= (gsize)n;
  }
}

static char *
iso_time(gint64 us)
{
  g_autoptr(GDateTime) whole = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) t = whole ? g_date_time_add(whole, us % G_USEC_PER_SEC) : NULL;
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("");
}

static void
append_member(GString *out, const char *name, const char *value)
{
  g_string_append_printf(out, ",\"%s\":", name);
  if (value)
    sc_json_append_string(out, value);
  else
    g_string_append(out, "null");
}

static void
append_recording(ScRecording *self, GString *out, const ScRecorderStats *st)
{
  Show *s = self->show;
  g_string_append_printf(out, ",\"recording\":{\"enabled\":%s,\"state\":\"%s\",\"stop\":\"%s\"",
                         self->config->enabled ? "true" : "false",
                         sc_recorder_state_name(st->state), sc_recorder_stop_name(st->stop));
  g_string_append(out, ",\"segments\":[");
  for (guint i = 0; i < s->segments->len; i++) {
    const Segment *seg = &g_array_index(s->segments, Segment, i);
    g_string_append(out, i ? ",{\"file\":" : "{\"file\":");
    sc_json_append_string(out, seg->file);
    g_string_append_printf(out, ",\"start_ms\":%" G_GUINT64_FORMAT "}", seg->start_ms);
  }
  g_string_append_printf(
      out,
      "],\"video_frames\":%" G_GUINT64_FORMAT ",\"audio_frames\":%" G_GUINT64_FORMAT
      ",\"duration_ms\":%" G_GUINT64_FORMAT ",\"bytes\":%" G_GUINT64_FORMAT
      ",\"dropped_tags\":%" G_GUINT64_FORMAT "}",
      st->video_frames, st->audio_frames, st->duration_ms, st->bytes, st->dropped_tags);
}

static void
write_show_json(ScRecording *self, const ScRecorderStats *st)
{
  Show *s = self->show;
  g_autofree char *started = iso_time(s->start_us);
  g_autofree char *ended = s->end_us ? iso_time(s->end_us) : NULL;
  g_autoptr(GString) out = g_string_new("{\"id\":");
  sc_json_append_string(out, s->id);
  append_member(out, "title", s->title);
  append_member(out, "started", started);
  append_member(out, "ended", ended);
  g_string_append_printf(
      out, ",\"duration_ms\":%" G_GINT64_FORMAT ",\"first_stream_ms\":%" G_GINT64_FORMAT,
      s->end_us ? (s->end_us - s->start_us) / 1000 : 0, st->first_stream_ms);
  g_string_append(out, ",\"product_at_start\":");
  if (s->product_id) {
    g_string_append(out, "{\"id\":");
    sc_json_append_string(out, s->product_id);
    append_member(out, "name", s->product_name);
    g_string_append(out, "}");
  } else {
    g_string_append(out, "null");
  }
  append_recording(self, out, st);
  g_string_append(out, "}\n");
  sc_background_save_put(s->show_json, g_string_free(g_steal_pointer(&out), FALSE));
}

/* The show's last show.json on disk, for its report; a failure is said. */
static void
sync_show_json(ScRecording *self)
{
  g_autoptr(GError) error = NULL;
  if (!sc_background_save_flush(self->show->show_json, &error))
    g_warning("%s", error->message);
}

static void
on_show_json_saved(const GError *error, gpointer data)
{
  Show *s = data;
  if (error)
    g_warning("%s", error->message);
  else
    g_message("%s: show.json written again", s->dir);
}

static void
recorder_stats(ScRecording *self, ScRecorderStats *st)
{
  g_mutex_lock(&self->lock);
  if (self->recorder)
    sc_recorder_get_stats(self->recorder, st);
  else
    *st = self->last;
  g_mutex_unlock(&self->lock);
}

/* ---- chapters, while live ---- */

static ScChapterShow
chapter_show(Show *s, gint64 first_stream_ms, gint64 end_us)
{
  ScChapterShow cs = {
      .start_us = s->start_us,
      .first_stream_ms = first_stream_ms,
      .duration_ms = (guint64)MAX(0, (end_us - s->start_us) / 1000),
      .product_id = s->product_id,
      .product_name = s->product_name,
  };
  return cs;
}

/* The chapter marks the segments embed, made again from the audit lines so far. */
static void
update_marks(ScRecording *self, gint64 first_stream_ms)
{
  Show *s = self->show;
  s->first_stream_ms = first_stream_ms;
  ScChapterShow cs = chapter_show(s, first_stream_ms, G_MAXINT64 / 2);
  g_autoptr(GPtrArray) chapters = sc_chapter_log_get_chapters(s->chapters, &cs);
  g_autoptr(GArray) marks = sc_chapters_marks(chapters);
  g_autofree ScRecorderChapter *rc = g_new0(ScRecorderChapter, marks->len + 1);
  for (guint i = 0; i < marks->len; i++) {
    const ScChapterMark *m = &g_array_index(marks, ScChapterMark, i);
    rc[i] = (ScRecorderChapter){m->start_ms, m->title};
  }
  g_mutex_lock(&self->lock);
  if (self->recorder)
    sc_recorder_set_chapters(self->recorder, rc, marks->len);
  g_mutex_unlock(&self->lock);
}

/* The audit log's new complete lines belong to the show. */
static gboolean
read_audit(ScRecording *self)
{
  if (self->audit_log == NULL)
    return FALSE;
  g_autoptr(GFile) file = g_file_new_for_path(self->audit_log);
  g_autoptr(GFileInputStream) in = g_file_read(file, NULL, NULL);
  if (in == NULL || !g_seekable_seek(G_SEEKABLE(in), self->audit_offset, G_SEEK_SET, NULL, NULL))
    return FALSE;
  g_autofree char *buffer = g_malloc(AUDIT_READ_MAX_BYTES);
  gssize n = g_input_stream_read(G_INPUT_STREAM(in), buffer, AUDIT_READ_MAX_BYTES, NULL, NULL);
  const char *end = n > 0 ? g_strrstr_len(buffer, n, "\n") : NULL;
  if (end == NULL)
    return FALSE;
  gsize len = (gsize)(end - buffer) + 1;
  sc_chapter_log_add(self->show->chapters, buffer, len);
  append(self->show->audit_fd, buffer, len);
  self->audit_offset += (goffset)len;
  return TRUE;
}

static goffset
file_size(const char *path)
{
  GStatBuf st;
  return path && g_stat(path, &st) == 0 ? st.st_size : 0;
}

/* ---- the show's journal and samples, once a second ---- */

/* The uplink in use when the show starts: its latest "uplink-choice" event,
 * so that the report can tell a change of uplink (a failover) from the first
 * choice. */
static void
copy_uplink_choice(ScRecording *self)
{
  g_autofree char *all = sc_event_log_to_json_lines(self->events, 0);
  const char *line = g_strrstr(all, "\"kind\":\"uplink-choice\"");
  if (line == NULL)
    return;
  while (line > all && line[-1] != '\n')
    line--;
  append(self->show->events_fd, line, strcspn(line, "\n") + 1);
}

static void
flush_events(ScRecording *self)
{
  guint64 total = sc_event_log_get_total(self->events);
  guint64 fresh = total - self->events_seen;
  if (fresh == 0)
    return;
  guint n = (guint)MIN(fresh, (guint64)sc_event_log_get_count(self->events));
  g_autofree char *lines = sc_event_log_to_json_lines(self->events, n);
  append(self->show->events_fd, lines, strlen(lines));
  self->events_seen = total;
}

static void
write_sample(ScRecording *self)
{
  Show *s = self->show;
  g_autoptr(GArray) dests = g_array_new(FALSE, TRUE, sizeof(ScRecordingDest));
  if (self->sample)
    self->sample(dests, self->user_data);
  ScAudioStatus audio;
  sc_audio_get_status(sc_pipeline_get_audio(self->pipeline), &audio);
  g_autoptr(GString) out = g_string_new(NULL);
  g_string_append_printf(out,
                         "{\"t_ms\":%" G_GINT64_FORMAT ",\"frames\":%" G_GUINT64_FORMAT
                         ",\"clipped\":%" G_GUINT64_FORMAT ",\"dest\":[",
                         (g_get_real_time() - s->start_us) / 1000,
                         sc_pipeline_get_frame_count(self->pipeline), audio.mic.clipped_intervals);
  for (guint i = 0; i < dests->len; i++) {
    const ScRecordingDest *d = &g_array_index(dests, ScRecordingDest, i);
    g_string_append(out, i ? ",{\"name\":" : "{\"name\":");
    sc_json_append_string(out, d->name);
    g_string_append(out, ",\"state\":");
    sc_json_append_string(out, d->state);
    g_string_append_printf(out,
                           ",\"bytes\":%" G_GUINT64_FORMAT ",\"dropped\":%" G_GUINT64_FORMAT "}",
                           d->bytes, d->dropped);
  }
  g_string_append(out, "]}\n");
  append(s->samples_fd, out->str, out->len);
}

static void
on_deleted(const char *show, guint64 free_bytes, gpointer data)
{
  ScRecording *self = data;
  sc_event_log_add(self->events, g_get_real_time(), FALSE, "recording", show, "deleted",
                   "retention: the oldest show, to keep the disk's free space");
  g_info("retention: deleted show %s; %" G_GUINT64_FORMAT " MB free", show, free_bytes >> 20);
}

static void
retention(ScRecording *self)
{
  sc_retention_apply(self->config->folder, self->show ? self->show->id : NULL,
                     (guint64)self->config->keep_free_mb << 20, self->config->keep_shows,
                     on_deleted, self);
}

static gboolean
on_tick(gpointer data)
{
  ScRecording *self = data;
  if (self->show == NULL)
    return G_SOURCE_REMOVE;
  ScRecorderStats st;
  recorder_stats(self, &st);
  if (read_audit(self) || st.first_stream_ms != self->show->first_stream_ms)
    update_marks(self, st.first_stream_ms);
  flush_events(self);
  write_sample(self);
  if (++self->ticks % RETENTION_EVERY == 0)
    retention(self);
  return G_SOURCE_CONTINUE;
}

/* ---- the recorder's events ---- */

static void
on_recorder_event(ScRecorder *recorder, const ScRecorderEvent *ev, gpointer data)
{
  ScRecording *self = data;
  if (self->show == NULL)
    return;
  if (ev->kind == SC_RECORDER_EVENT_SEGMENT) {
    g_autofree char *file = g_path_get_basename(ev->path);
    Segment seg = {g_strdup(file), ev->start_ms};
    g_array_append_val(self->show->segments, seg);
    ScRecorderStats st;
    recorder_stats(self, &st);
    write_show_json(self, &st);
    event(self, FALSE, "segment", "%s from %" G_GUINT64_FORMAT " s", file, ev->start_ms / 1000);
    return;
  }
  if (ev->stop == SC_RECORDER_STOP_ENDED)
    return;
  self->done.stops++;
  g_free(self->last_error);
  self->last_error = g_strdup(ev->error ? ev->error->message : sc_recorder_stop_name(ev->stop));
  gboolean full = ev->stop == SC_RECORDER_STOP_DISK_FULL;
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "EVENT",
                   full ? "recording-disk-full" : "recording-failed", "MESSAGE",
                   "recording stopped, the stream goes on: %s", self->last_error);
  event(self, TRUE, full ? "disk-full" : "failed", "recording stopped, the stream goes on: %s",
        self->last_error);
  retention(self); /* room for the next show */
}

/* ---- a show starts and ends ---- */

static char *
new_show_id(const char *folder, gint64 now_us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now_us / G_USEC_PER_SEC);
  g_autofree char *base = g_date_time_format(t, "%Y-%m-%dT%H%M%SZ");
  char *id = g_strdup(base);
  for (guint n = 2; n < 1000; n++) { /* two shows in one second */
    g_autofree char *path = g_build_filename(folder, id, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
      break;
    g_free(id);
    id = g_strdup_printf("%s-%u", base, n);
  }
  return id;
}

static Show *
show_new(ScRecording *self, const char *title, const char *product_id, const char *product_name,
         GError **error)
{
  gint64 now = g_get_real_time();
  if (g_mkdir_with_parents(self->config->folder, 0755) != 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot create %s: %s",
                self->config->folder, g_strerror(saved));
    return NULL;
  }
  Show *s = g_new0(Show, 1);
  s->id = new_show_id(self->config->folder, now);
  s->dir = g_build_filename(self->config->folder, s->id, NULL);
  s->title = g_strdup(title);
  s->product_id = g_strdup(product_id);
  s->product_name = g_strdup(product_name);
  s->start_us = now;
  s->first_stream_ms = -1;
  s->chapters = sc_chapter_log_new();
  s->segments = g_array_new(FALSE, TRUE, sizeof(Segment));
  g_array_set_clear_func(s->segments, segment_clear);
  s->samples_fd = s->events_fd = s->audit_fd = -1;
  g_autofree char *show_json = g_build_filename(s->dir, "show.json", NULL);
  s->show_json = sc_background_save_new(show_json, 0644, on_show_json_saved, s);
  if (g_mkdir(s->dir, 0755) != 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot create %s: %s", s->dir,
                g_strerror(saved));
    show_free(s);
    return NULL;
  }
  s->samples_fd = open_append(s, "samples.jsonl");
  s->events_fd = open_append(s, "events.jsonl");
  s->audit_fd = open_append(s, "audit.jsonl");
  return s;
}

static void
start_recorder(ScRecording *self)
{
  const ScMediaSpec *m = self->media;
  guint64 bytes_per_s = (guint64)(m->video_bitrate_kbps + m->audio_bitrate_kbps) * 1000 / 8;
  ScRecorderParams p = {
      .folder = self->show->dir,
      .segment_s = self->config->segment_s,
      .min_free_bytes = MAX(bytes_per_s * FLOOR_SECONDS, FLOOR_MIN_BYTES),
      .width = m->width,
      .height = m->height,
      .framerate = m->framerate,
      .audio_rate = m->audio_rate,
      .audio_channels = m->audio_channels,
  };
  ScRecorder *recorder = sc_recorder_new(&p, on_recorder_event, self);
  sc_recorder_start(recorder);
  g_mutex_lock(&self->lock);
  self->recorder = recorder;
  g_mutex_unlock(&self->lock);
  sc_pipeline_request_keyframe(self->pipeline); /* the recording starts at one */
}

void
sc_recording_show_start(ScRecording *self, const char *title, const char *product_id,
                        const char *product_name)
{
  if (self->show)
    return;
  g_autoptr(GError) error = NULL;
  self->events_seen = sc_event_log_get_total(self->events);
  self->show = show_new(self, title, product_id, product_name, &error);
  if (self->show == NULL) {
    event(self, TRUE, "failed", "no show folder, no recording or report: %s", error->message);
    return;
  }
  self->audit_offset = file_size(self->audit_log);
  copy_uplink_choice(self);
  g_clear_pointer(&self->last_error, g_free);
  g_free(self->last_show);
  self->last_show = g_strdup(self->show->id);
  self->last = (ScRecorderStats){.first_stream_ms = -1};
  retention(self);
  if (self->config->enabled)
    start_recorder(self);
  write_show_json(self, &self->last);
  self->ticks = 0;
  self->tick = g_timeout_add(TICK_MS, on_tick, self);
  event(self, FALSE, self->config->enabled ? "started" : "not recording", "%s%s", self->show->dir,
        self->config->enabled ? "" : " ([recording] enabled = false): the report only");
}

/* chapters.json and chapters.ffmeta, next to the segments. */
static void
write_chapters(ScRecording *self, gint64 first_stream_ms)
{
  Show *s = self->show;
  ScChapterShow cs = chapter_show(s, first_stream_ms, s->end_us);
  g_autoptr(GPtrArray) chapters = sc_chapter_log_get_chapters(s->chapters, &cs);
  g_autoptr(GArray) marks = sc_chapters_marks(chapters);
  g_autofree char *json = sc_chapters_to_json(chapters);
  g_autofree char *ffmeta = sc_chapters_to_ffmetadata(marks, cs.duration_ms);
  g_autofree char *json_path = g_build_filename(s->dir, "chapters.json", NULL);
  g_autofree char *ffmeta_path = g_build_filename(s->dir, "chapters.ffmeta", NULL);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(json_path, json, -1, &error) ||
      !g_file_set_contents(ffmeta_path, ffmeta, -1, &error))
    g_warning("chapters: %s", error->message);
}

static void
finish_recorder(ScRecording *self)
{
  g_mutex_lock(&self->lock);
  ScRecorder *recorder = g_steal_pointer(&self->recorder);
  g_mutex_unlock(&self->lock);
  if (recorder == NULL)
    return;
  if (!sc_recorder_finish(recorder, FINISH_TIMEOUT_MS))
    g_warning("recording: the last segment did not close within %d ms", FINISH_TIMEOUT_MS);
  sc_recorder_get_stats(recorder, &self->last);
  sc_recorder_free(recorder);
  self->done.bytes += self->last.bytes;
  self->done.dropped_tags += self->last.dropped_tags;
  self->done.segments += self->last.segments;
}

void
sc_recording_show_end(ScRecording *self)
{
  if (self->show == NULL)
    return;
  g_clear_handle_id(&self->tick, g_source_remove);
  read_audit(self);
  finish_recorder(self);
  Show *s = self->show;
  s->end_us = g_get_real_time();
  if (self->config->enabled)
    event(self, FALSE, "stopped",
          "%u segment(s), %" G_GUINT64_FORMAT " video frames, %.1f s, %" G_GUINT64_FORMAT
          " dropped; %s",
          self->last.segments, self->last.video_frames, self->last.duration_ms / 1000.0,
          self->last.dropped_tags, sc_recorder_stop_name(self->last.stop));
  flush_events(self); /* the show's last events, "off air" and "stopped" among them */
  write_sample(self);
  write_show_json(self, &self->last);
  write_chapters(self, self->last.first_stream_ms);
  sync_show_json(self); /* the report reads it */
  g_autofree char *dir = g_strdup(s->dir);
  g_clear_pointer(&self->show, show_free);
  sc_recording_report(self, dir);
}

/* ---- the report, on a worker thread ---- */

typedef struct _ReportJob {
  char *dir;
  GError *error;
  gint done;
} ReportJob;

static gpointer
report_thread(gpointer data)
{
  ReportJob *job = data;
  gboolean made = sc_report_generate(job->dir, &job->error);
  g_atomic_int_set(&job->done, made ? 1 : 2); /* the main thread says how it went */
  return NULL;
}

/* Waits for the report being made, and says how it went. */
static void
finish_report(ScRecording *self)
{
  if (self->report_thread == NULL)
    return;
  g_thread_join(g_steal_pointer(&self->report_thread));
  g_clear_handle_id(&self->report_watch, g_source_remove);
  ReportJob *job = g_steal_pointer(&self->report_job);
  g_autofree char *id = g_path_get_basename(job->dir);
  g_autofree char *path = g_build_filename(job->dir, "report.html", NULL);
  sc_event_log_add(self->events, g_get_real_time(), job->error != NULL, "report", id,
                   job->error ? "failed" : "ready", job->error ? job->error->message : path);
  g_clear_error(&job->error);
  g_free(job->dir);
  g_free(job);
}

static gboolean
on_report_watch(gpointer data)
{
  ScRecording *self = data;
  if (!g_atomic_int_get(&self->report_job->done))
    return G_SOURCE_CONTINUE;
  self->report_watch = 0;
  finish_report(self);
  return G_SOURCE_REMOVE;
}

void
sc_recording_report(ScRecording *self, const char *show_dir)
{
  finish_report(self); /* one at a time */
  self->report_job = g_new0(ReportJob, 1);
  self->report_job->dir = g_strdup(show_dir);
  self->report_thread = g_thread_new("report", report_thread, self->report_job);
  self->report_watch = g_timeout_add(REPORT_WATCH_MS, on_report_watch, self);
}

/* ---- status and look-ups ---- */

char *
sc_recording_find_show(ScRecording *self, const char *id, GError **error)
{
  g_autoptr(GPtrArray) shows = sc_retention_list(self->config->folder);
  for (guint i = shows->len; i > 0; i--) {
    const char *name = g_ptr_array_index(shows, i - 1);
    if (id == NULL || g_str_equal(id, name))
      return g_build_filename(self->config->folder, name, NULL);
  }
  if (id)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no show '%s' in %s", id,
                self->config->folder);
  else
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no show recorded yet in %s",
                self->config->folder);
  return NULL;
}

const char *
sc_recording_get_folder(ScRecording *self)
{
  return self->config->folder;
}

/* Whether the latest show's report is there to download (not while it is on air). */
static gboolean
report_ready(ScRecording *self)
{
  if (self->show || self->last_show == NULL)
    return FALSE;
  g_autofree char *path =
      g_build_filename(self->config->folder, self->last_show, "report.html", NULL);
  return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

char *
sc_recording_status_json(ScRecording *self)
{
  ScRecorderStats st;
  recorder_stats(self, &st);
  gboolean running = self->show && self->recorder;
  const char *state = running           ? sc_recorder_state_name(st.state)
                      : self->last_show ? "stopped"
                                        : "idle";
  g_autoptr(GString) out = g_string_new(NULL);
  g_string_append_printf(out, "{\"enabled\":%s,\"state\":\"%s\",\"live\":%s",
                         self->config->enabled ? "true" : "false", state,
                         self->show ? "true" : "false");
  append_member(out, "show", self->show ? self->show->id : self->last_show);
  g_string_append_printf(out, ",\"report_ready\":%s", report_ready(self) ? "true" : "false");
  append_member(out, "folder", self->config->folder);
  append_member(out, "error", self->last_error);
  g_string_append_printf(
      out,
      ",\"stop\":\"%s\",\"segments\":%u,\"video_frames\":%" G_GUINT64_FORMAT
      ",\"audio_frames\":%" G_GUINT64_FORMAT ",\"duration_ms\":%" G_GUINT64_FORMAT
      ",\"bytes\":%" G_GUINT64_FORMAT ",\"dropped_tags\":%" G_GUINT64_FORMAT
      ",\"free_mb\":%" G_GUINT64_FORMAT ",\"keep_free_mb\":%u,\"segment_s\":%u}\n",
      sc_recorder_stop_name(st.stop), st.segments, st.video_frames, st.audio_frames, st.duration_ms,
      st.bytes, st.dropped_tags, sc_retention_free_bytes(self->config->folder) >> 20,
      self->config->keep_free_mb, self->config->segment_s);
  return g_string_free(g_steal_pointer(&out), FALSE);
}

void
sc_recording_get_totals(ScRecording *self, ScRecordingTotals *totals)
{
  ScRecorderStats st = {0};
  g_mutex_lock(&self->lock);
  gboolean running = self->recorder != NULL;
  if (running)
    sc_recorder_get_stats(self->recorder, &st);
  g_mutex_unlock(&self->lock);
  *totals = self->done;
  totals->active = running && self->show && st.state != SC_RECORDER_STATE_STOPPED;
  totals->bytes += st.bytes;
  totals->dropped_tags += st.dropped_tags;
  totals->segments += st.segments;
  totals->free_bytes = sc_retention_free_bytes(self->config->folder);
}

void
sc_recording_free(ScRecording *self)
{
  if (self == NULL)
    return;
  if (self->show) {
    g_clear_handle_id(&self->tick, g_source_remove);
    finish_recorder(self);
    self->show->end_us = g_get_real_time();
    flush_events(self);
    write_show_json(self, &self->last);
    write_chapters(self, self->last.first_stream_ms);
    sync_show_json(self);
    g_clear_pointer(&self->show, show_free);
  }
  finish_report(self);
  g_free(self->audit_log);
  g_free(self->last_show);
  g_free(self->last_error);
  g_mutex_clear(&self->lock);
  g_free(self);
}
