#define G_LOG_DOMAIN "shopcast-recorder"

#include "pipeline/recorder.h"

#include "pipeline/flv.h"
#include "pipeline/post.h"
#include "pipeline/tag-queue.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

G_DEFINE_QUARK(sc - recorder - error - quark, sc_recorder_error)

#define POP_TIMEOUT_US   (200 * 1000)
#define FREE_CHECK_US    (1 * G_USEC_PER_SEC) /* how often the free space is read */
#define SYNC_INTERVAL_US (3 * G_USEC_PER_SEC) /* how often the segment reaches the disk */
#define CLUSTER_MS       "1000"               /* a cluster (what SIGKILL may lose) */
#define AVIO_BUFFER_SIZE (64 * 1024)
#define FLV_VIDEO_DATA   5 /* frame type/codec, AVCPacketType, composition time */
#define FLV_AUDIO_DATA   2 /* sound format, AACPacketType */
#define FLV_AVC_NALU     1
#define FLV_AAC_RAW      1

typedef struct {
  guint64 start_ms;
  char *title;
} Chapter;

struct _ScRecorder {
  ScRecorderParams params;
  char *folder;
  GMainContext *ctx;
  ScRecorderEventFunc on_event;
  gpointer user_data;
  GThread *thread;

  GMutex lock; /* everything below, with the writer's state noted */
  GCond cond;
  ScTagQueue *queue; /* bounded at params.queue_ms */
  GstCaps *caps;
  gboolean accepting, eos, stopping, finished, detached;
  GArray *chapters; /* Chapter, in order of start */
  ScRecorderStats stats;

  /* the writer thread's own */
  AVFormatContext *oc;
  AVStream *video, *audio;
  int fd;
  char *segment_path;
  guint64 segment_start_ms;
  GByteArray *avcc, *asc; /* the codecs' configuration, from the sequence headers */
  gboolean avcc_changed;
  gint64 base_ts; /* FLV ts of show time 0; -1 before the first keyframe */
  gint64 last_free_check, last_sync;
};

const char *
sc_recorder_state_name(ScRecorderState state)
{
  static const char *const names[] = {"waiting", "recording", "stopped"};
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

const char *
sc_recorder_stop_name(ScRecorderStop stop)
{
  static const char *const names[] = {"none", "ended", "disk-full", "failed"};
  return stop < G_N_ELEMENTS(names) ? names[stop] : "unknown";
}

static void
chapter_clear(gpointer p)
{
  g_free(((Chapter *)p)->title);
}

static void
recorder_clear(ScRecorder *self)
{
  g_free(self->folder);
  g_free(self->segment_path);
  sc_tag_queue_free(self->queue);
  gst_caps_replace(&self->caps, NULL);
  g_array_unref(self->chapters);
  g_byte_array_unref(self->avcc);
  g_byte_array_unref(self->asc);
  g_main_context_unref(self->ctx);
  g_mutex_clear(&self->lock);
  g_cond_clear(&self->cond);
}

static ScRecorder *
recorder_ref(ScRecorder *self)
{
  return g_atomic_rc_box_acquire(self);
}

static void
recorder_unref(ScRecorder *self)
{
  g_atomic_rc_box_release_full(self, (GDestroyNotify)recorder_clear);
}

ScRecorder *
sc_recorder_new(const ScRecorderParams *params, ScRecorderEventFunc on_event, gpointer user_data)
{
  ScRecorder *self = g_atomic_rc_box_new0(ScRecorder);
  self->params = *params;
  self->folder = g_strdup(params->folder);
  self->params.folder = self->folder;
  self->params.segment_s = params->segment_s ? params->segment_s : 300;
  self->params.queue_ms = params->queue_ms ? params->queue_ms : 10000;
  self->ctx = g_main_context_ref_thread_default();
  self->on_event = on_event;
  self->user_data = user_data;
  g_mutex_init(&self->lock);
  g_cond_init(&self->cond);
  self->queue = sc_tag_queue_new(self->params.queue_ms);
  self->chapters = g_array_new(FALSE, TRUE, sizeof(Chapter));
  g_array_set_clear_func(self->chapters, chapter_clear);
  self->avcc = g_byte_array_new();
  self->asc = g_byte_array_new();
  self->fd = -1;
  self->base_ts = -1;
  self->stats.first_stream_ms = -1;
  return self;
}

/* ---- events, delivered on the creator's main context ---- */

typedef struct {
  ScRecorder *recorder;
  ScRecorderEvent event;
  char *path;
  GError *error;
} Report;

static gboolean
deliver(gpointer data)
{
  Report *r = data;
  g_mutex_lock(&r->recorder->lock);
  gboolean detached = r->recorder->detached;
  g_mutex_unlock(&r->recorder->lock);
  r->event.path = r->path;
  r->event.error = r->error;
  if (!detached && r->recorder->on_event)
    r->recorder->on_event(r->recorder, &r->event, r->recorder->user_data);
  return G_SOURCE_REMOVE;
}

static void
report_free(gpointer data)
{
  Report *r = data;
  g_free(r->path);
  g_clear_error(&r->error);
  recorder_unref(r->recorder);
  g_free(r);
}

static void
post(ScRecorder *self, const ScRecorderEvent *event, const GError *error)
{
  Report *r = g_new0(Report, 1);
  r->recorder = recorder_ref(self);
  r->event = *event;
  r->path = g_strdup(event->path);
  r->error = error ? g_error_copy(error) : NULL;
  sc_post(self->ctx, deliver, r, report_free);
}

/* ---- the streaming side ---- */

/* With the lock held. When the disk fell behind, the queue drops what waits
 * and resumes at a keyframe; the recording also starts at one (or at a
 * codec's sequence header), and what it skips then was never recorded. */
static void
enqueue_locked(ScRecorder *self, ScTagQueueItem *item)
{
  guint dropped = 0;
  gboolean overflowed = FALSE;
  gboolean take =
      sc_tag_queue_admit(self->queue, item, item->keyframe || item->header, &dropped, &overflowed);
  self->stats.dropped_tags += dropped;
  if (!take) {
    sc_tag_queue_item_free(item);
    return;
  }
  sc_tag_queue_push(self->queue, item);
  g_cond_broadcast(&self->cond);
}

void
sc_recorder_push(GstBuffer *tag, GstCaps *caps, gpointer user_data)
{
  ScRecorder *self = user_data;
  ScTagQueueItem *item = tag ? sc_tag_queue_item_new(tag) : sc_tag_queue_item_new_end();
  if (item == NULL)
    return;
  g_mutex_lock(&self->lock);
  if (caps && caps != self->caps)
    gst_caps_replace(&self->caps, caps);
  if (!self->accepting || self->eos) {
    g_mutex_unlock(&self->lock);
    sc_tag_queue_item_free(item);
    return;
  }
  if (tag == NULL) {
    self->eos = TRUE;
    sc_tag_queue_push(self->queue, item);
    g_cond_broadcast(&self->cond);
  } else {
    enqueue_locked(self, item);
  }
  g_mutex_unlock(&self->lock);
}

void
sc_recorder_set_chapters(ScRecorder *self, const ScRecorderChapter *chapters, guint n)
{
  g_mutex_lock(&self->lock);
  g_array_set_size(self->chapters, 0);
  for (guint i = 0; i < n; i++) {
    Chapter c = {chapters[i].start_ms, g_strdup(chapters[i].title)};
    g_array_append_val(self->chapters, c);
  }
  g_mutex_unlock(&self->lock);
}

void
sc_recorder_get_stats(ScRecorder *self, ScRecorderStats *stats)
{
  g_mutex_lock(&self->lock);
  *stats = self->stats;
  g_mutex_unlock(&self->lock);
}

/* ---- the writer thread: segments on disk ---- */

static int
fd_write(void *opaque, uint8_t *buf, int size)
{
  ScRecorder *self = opaque;
  int done = 0;
  while (done < size) {
    ssize_t n = write(self->fd, buf + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return AVERROR(errno);
    if (n == 0)
      return AVERROR(ENOSPC);
    done += n;
  }
  g_mutex_lock(&self->lock);
  self->stats.bytes += size;
  g_mutex_unlock(&self->lock);
  return size;
}

static int64_t
fd_seek(void *opaque, int64_t offset, int whence)
{
  ScRecorder *self = opaque;
  if (whence == AVSEEK_SIZE) {
    struct stat st;
    return fstat(self->fd, &st) == 0 ? st.st_size : AVERROR(errno);
  }
  off_t at = lseek(self->fd, offset, whence & ~AVSEEK_FORCE);
  return at < 0 ? AVERROR(errno) : at;
}

static void
set_error_from_av(GError **error, int averr, const char *what, const char *path)
{
  int code = averr == AVERROR(ENOSPC) || averr == AVERROR(EDQUOT) ? SC_RECORDER_ERROR_FULL
                                                                  : SC_RECORDER_ERROR_WRITE;
  char text[AV_ERROR_MAX_STRING_SIZE] = "";
  av_strerror(averr, text, sizeof text);
  g_set_error(error, SC_RECORDER_ERROR, code, "%s %s: %s", what, path, text);
}

static gboolean
set_extradata(AVCodecParameters *par, GByteArray *data)
{
  av_freep(&par->extradata);
  par->extradata_size = 0;
  if (data->len == 0)
    return TRUE;
  par->extradata = av_mallocz(data->len + AV_INPUT_BUFFER_PADDING_SIZE);
  if (par->extradata == NULL)
    return FALSE;
  memcpy(par->extradata, data->data, data->len);
  par->extradata_size = (int)data->len;
  return TRUE;
}

static gboolean
add_streams(ScRecorder *self)
{
  const ScRecorderParams *p = &self->params;
  self->video = avformat_new_stream(self->oc, NULL);
  self->audio = self->asc->len ? avformat_new_stream(self->oc, NULL) : NULL;
  if (self->video == NULL || (self->asc->len && self->audio == NULL))
    return FALSE;
  AVCodecParameters *v = self->video->codecpar;
  v->codec_type = AVMEDIA_TYPE_VIDEO;
  v->codec_id = AV_CODEC_ID_H264;
  v->width = (int)p->width;
  v->height = (int)p->height;
  self->video->time_base = (AVRational){1, 1000};
  self->video->avg_frame_rate = (AVRational){(int)p->framerate, 1};
  if (!set_extradata(v, self->avcc))
    return FALSE;
  if (self->audio == NULL)
    return TRUE;
  AVCodecParameters *a = self->audio->codecpar;
  a->codec_type = AVMEDIA_TYPE_AUDIO;
  a->codec_id = AV_CODEC_ID_AAC;
  a->sample_rate = (int)p->audio_rate;
  av_channel_layout_default(&a->ch_layout, (int)p->audio_channels);
  a->frame_size = 1024;
  self->audio->time_base = (AVRational){1, 1000};
  return set_extradata(a, self->asc);
}

static gboolean
open_file(ScRecorder *self, const char *path, GError **error)
{
  self->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (self->fd < 0) {
    int saved = errno;
    g_set_error(error, SC_RECORDER_ERROR,
                saved == ENOSPC || saved == EDQUOT ? SC_RECORDER_ERROR_FULL
                                                   : SC_RECORDER_ERROR_OPEN,
                "cannot create %s: %s", path, g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

static gboolean
open_segment(ScRecorder *self, guint64 start_ms, GError **error)
{
  guint index = self->stats.segments + 1;
  g_autofree char *name = g_strdup_printf("segment-%03u.mkv", index);
  g_autofree char *path = g_build_filename(self->folder, name, NULL);
  if (!open_file(self, path, error))
    return FALSE;
  int ret = avformat_alloc_output_context2(&self->oc, NULL, "matroska", path);
  guint8 *buffer = ret >= 0 ? av_malloc(AVIO_BUFFER_SIZE) : NULL;
  if (buffer)
    self->oc->pb = avio_alloc_context(buffer, AVIO_BUFFER_SIZE, 1, self, NULL, fd_write, fd_seek);
  if (self->oc == NULL || self->oc->pb == NULL || !add_streams(self)) {
    if (self->oc && self->oc->pb == NULL)
      av_free(buffer);
    g_set_error(error, SC_RECORDER_ERROR, SC_RECORDER_ERROR_OPEN, "cannot set up %s", path);
    return FALSE;
  }
  self->oc->flush_packets = 1; /* each cluster reaches the file as it closes */
  AVDictionary *options = NULL;
  av_dict_set(&options, "cluster_time_limit", CLUSTER_MS, 0);
  av_dict_set(&self->oc->metadata, "title", "shopcast recording", 0);
  ret = avformat_write_header(self->oc, &options);
  av_dict_free(&options);
  if (ret < 0) {
    set_error_from_av(error, ret, "cannot write the header of", path);
    return FALSE;
  }
  g_free(self->segment_path);
  self->segment_path = g_steal_pointer(&path);
  self->segment_start_ms = start_ms;
  self->avcc_changed = FALSE;
  g_mutex_lock(&self->lock);
  self->stats.segments = index;
  self->stats.state = SC_RECORDER_STATE_RECORDING;
  g_mutex_unlock(&self->lock);
  ScRecorderEvent ev = {.kind = SC_RECORDER_EVENT_SEGMENT,
                        .path = self->segment_path,
                        .index = index,
                        .start_ms = start_ms};
  post(self, &ev, NULL);
  return TRUE;
}

/* The chapters that overlap [start, end) of the segment, clipped to it. */
static void
add_segment_chapters(ScRecorder *self, guint64 end_ms)
{
  g_mutex_lock(&self->lock);
  for (guint i = 0; i < self->chapters->len; i++) {
    const Chapter *c = &g_array_index(self->chapters, Chapter, i);
    guint64 next = i + 1 < self->chapters->len
                       ? g_array_index(self->chapters, Chapter, i + 1).start_ms
                       : G_MAXUINT64;
    guint64 from = MAX(c->start_ms, self->segment_start_ms), to = MIN(next, end_ms);
    if (from >= to)
      continue;
    AVChapter *ch = av_mallocz(sizeof(AVChapter));
    if (ch == NULL)
      break;
    ch->id = (int64_t)i + 1;
    ch->time_base = (AVRational){1, 1000};
    ch->start = (int64_t)from;
    ch->end = (int64_t)to;
    av_dict_set(&ch->metadata, "title", c->title, 0);
    int count = (int)self->oc->nb_chapters;
    av_dynarray_add(&self->oc->chapters, &count, ch);
    self->oc->nb_chapters = (unsigned)count;
  }
  g_mutex_unlock(&self->lock);
}

/* Closes the segment: with @complete its cues and chapters are written;
 * without (the disk refused a write), it is left as it is, playable. */
static void
close_segment(ScRecorder *self, gboolean complete)
{
  if (self->oc == NULL)
    return;
  if (complete) {
    g_mutex_lock(&self->lock);
    guint64 end_ms = self->stats.duration_ms + 1;
    g_mutex_unlock(&self->lock);
    add_segment_chapters(self, end_ms);
    int ret = av_write_trailer(self->oc);
    if (ret < 0) {
      g_autoptr(GError) error = NULL;
      set_error_from_av(&error, ret, "cannot finish", self->segment_path);
      g_warning("%s", error->message);
    }
  }
  if (self->oc->pb) {
    av_freep(&self->oc->pb->buffer);
    avio_context_free(&self->oc->pb);
  }
  avformat_free_context(self->oc);
  self->oc = NULL;
  self->video = self->audio = NULL;
  if (self->fd >= 0) {
    fdatasync(self->fd);
    close(self->fd);
  }
  self->fd = -1;
}

static void
stop(ScRecorder *self, ScRecorderStop why, gboolean complete, const GError *error)
{
  close_segment(self, complete);
  g_mutex_lock(&self->lock);
  self->stats.state = SC_RECORDER_STATE_STOPPED;
  self->stats.stop = why;
  self->accepting = FALSE;
  sc_tag_queue_clear(self->queue);
  g_mutex_unlock(&self->lock);
  ScRecorderEvent ev = {.kind = SC_RECORDER_EVENT_STOPPED, .stop = why};
  post(self, &ev, error);
}

/* The codecs' configuration from a sequence header tag. */
static void
take_header(ScRecorder *self, const ScFlvTag *tag)
{
  if (tag->type == SC_FLV_TAG_VIDEO && tag->body_len > FLV_VIDEO_DATA) {
    gsize len = tag->body_len - FLV_VIDEO_DATA;
    const guint8 *data = tag->body + FLV_VIDEO_DATA;
    if (self->avcc->len != len || memcmp(self->avcc->data, data, len) != 0) {
      self->avcc_changed = self->avcc->len != 0;
      g_byte_array_set_size(self->avcc, 0);
      g_byte_array_append(self->avcc, data, len);
    }
  } else if (tag->type == SC_FLV_TAG_AUDIO && tag->body_len > FLV_AUDIO_DATA) {
    g_byte_array_set_size(self->asc, 0);
    g_byte_array_append(self->asc, tag->body + FLV_AUDIO_DATA, tag->body_len - FLV_AUDIO_DATA);
  }
}

static void
take_buffer_header(ScRecorder *self, GstBuffer *buffer)
{
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
    return;
  ScFlvTag tag;
  if (!sc_flv_is_file_header(map.data, map.size) &&
      sc_flv_parse_tag(map.data, map.size, &tag, NULL) && sc_flv_tag_is_sequence_header(&tag))
    take_header(self, &tag);
  gst_buffer_unmap(buffer, &map);
}

/* The caps' streamheader holds the sequence headers from the start. */
static void
take_caps_headers(ScRecorder *self, GstCaps *caps)
{
  const GValue *headers =
      caps ? gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader") : NULL;
  for (guint i = 0;
       headers && GST_VALUE_HOLDS_ARRAY(headers) && i < gst_value_array_get_size(headers); i++)
    take_buffer_header(self, gst_value_get_buffer(gst_value_array_get_value(headers, i)));
}

static gboolean
write_packet(ScRecorder *self, const ScFlvTag *tag, GError **error)
{
  gboolean video = tag->type == SC_FLV_TAG_VIDEO;
  gsize skip = video ? FLV_VIDEO_DATA : FLV_AUDIO_DATA;
  AVStream *st = video ? self->video : self->audio;
  if (st == NULL || tag->body_len <= skip || tag->body[1] != (video ? FLV_AVC_NALU : FLV_AAC_RAW))
    return TRUE;
  if ((gint64)tag->timestamp_ms < self->base_ts) /* audio from just before the first keyframe */
    return TRUE;
  AVPacket *pkt = av_packet_alloc();
  if (pkt == NULL || av_new_packet(pkt, (int)(tag->body_len - skip)) < 0) {
    av_packet_free(&pkt);
    g_set_error(error, SC_RECORDER_ERROR, SC_RECORDER_ERROR_WRITE, "out of memory");
    return FALSE;
  }
  memcpy(pkt->data, tag->body + skip, tag->body_len - skip);
  pkt->stream_index = st->index;
  pkt->dts = (gint64)tag->timestamp_ms - self->base_ts;
  /* the composition time: a signed 24-bit offset of the PTS from the DTS */
  gint32 cts = video ? (gint32)((guint32)tag->body[2] << 24 | (guint32)tag->body[3] << 16 |
                                (guint32)tag->body[4] << 8) >>
                           8
                     : 0;
  pkt->pts = pkt->dts + cts;
  if (video && sc_flv_tag_is_keyframe(tag))
    pkt->flags |= AV_PKT_FLAG_KEY;
  av_packet_rescale_ts(pkt, (AVRational){1, 1000}, st->time_base);
  int ret = av_write_frame(self->oc, pkt);
  av_packet_free(&pkt);
  if (ret < 0) {
    set_error_from_av(error, ret, "cannot write to", self->segment_path);
    return FALSE;
  }
  g_mutex_lock(&self->lock);
  if (video) {
    self->stats.video_frames++;
    self->stats.duration_ms = (guint64)((gint64)tag->timestamp_ms - self->base_ts);
  } else {
    self->stats.audio_frames++;
  }
  g_mutex_unlock(&self->lock);
  return TRUE;
}

/* A new segment at this keyframe: the first one, the segment's length
 * reached, or the video's configuration changed. */
static gboolean
maybe_open_segment(ScRecorder *self, const ScFlvTag *tag, GstClockTime running_time, GError **error)
{
  /* a keyframe with pictures: not the end-of-sequence tag that ends the stream */
  if (!sc_flv_tag_is_keyframe(tag) || tag->body[1] != FLV_AVC_NALU || self->avcc->len == 0)
    return TRUE;
  if (self->base_ts < 0) {
    self->base_ts = tag->timestamp_ms;
    g_mutex_lock(&self->lock);
    /* the tag's buffer carries the frame's running time: the stream time
     * the audit log gives */
    self->stats.first_stream_ms = GST_CLOCK_TIME_IS_VALID(running_time)
                                      ? (gint64)(running_time / GST_MSECOND)
                                      : self->base_ts;
    g_mutex_unlock(&self->lock);
  }
  guint64 now_ms = (guint64)((gint64)tag->timestamp_ms - self->base_ts);
  if (self->oc && !self->avcc_changed &&
      now_ms < self->segment_start_ms + (guint64)self->params.segment_s * 1000)
    return TRUE;
  close_segment(self, TRUE);
  return open_segment(self, now_ms, error);
}

static gboolean
write_tag(ScRecorder *self, GstBuffer *buffer, GError **error)
{
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
    return TRUE;
  ScFlvTag tag;
  gboolean ok = TRUE;
  if (!sc_flv_is_file_header(map.data, map.size) &&
      sc_flv_parse_tag(map.data, map.size, &tag, NULL)) {
    if (sc_flv_tag_is_sequence_header(&tag))
      take_header(self, &tag);
    else if (tag.type != SC_FLV_TAG_SCRIPT)
      ok = maybe_open_segment(self, &tag, GST_BUFFER_PTS(buffer), error) &&
           (self->oc == NULL || write_packet(self, &tag, error));
  }
  gst_buffer_unmap(buffer, &map);
  return ok;
}

/* Below the floor of free space: stop before the disk is full. */
static gboolean
check_disk(ScRecorder *self, GError **error)
{
  gint64 now = g_get_monotonic_time();
  if (self->fd >= 0 && now - self->last_sync >= SYNC_INTERVAL_US) {
    self->last_sync = now;
    fdatasync(self->fd);
  }
  if (self->fd < 0 || self->params.min_free_bytes == 0 ||
      now - self->last_free_check < FREE_CHECK_US)
    return TRUE;
  self->last_free_check = now;
  struct statvfs vfs;
  if (statvfs(self->folder, &vfs) != 0)
    return TRUE;
  guint64 free_bytes = (guint64)vfs.f_bavail * vfs.f_frsize;
  if (free_bytes >= self->params.min_free_bytes)
    return TRUE;
  g_set_error(error, SC_RECORDER_ERROR, SC_RECORDER_ERROR_FULL,
              "%s: %" G_GUINT64_FORMAT " MB free, below the %" G_GUINT64_FORMAT
              " MB the recording keeps",
              self->folder, free_bytes >> 20, self->params.min_free_bytes >> 20);
  return FALSE;
}

static ScTagQueueItem *
pop_item(ScRecorder *self, GstCaps **caps)
{
  g_mutex_lock(&self->lock);
  gint64 deadline = g_get_monotonic_time() + POP_TIMEOUT_US;
  while (sc_tag_queue_is_empty(self->queue) && !self->stopping)
    if (!g_cond_wait_until(&self->cond, &self->lock, deadline))
      break;
  ScTagQueueItem *item = sc_tag_queue_pop(self->queue);
  if (item == NULL && self->stopping) /* finishing: what was queued is written first */
    item = sc_tag_queue_item_new_end();
  gst_caps_replace(caps, self->caps);
  g_mutex_unlock(&self->lock);
  return item;
}

/* One turn of the writer: FALSE when it has stopped. */
static gboolean
write_next(ScRecorder *self, GstCaps **seen)
{
  g_autoptr(GstCaps) caps = NULL;
  ScTagQueueItem *item = pop_item(self, &caps);
  if (caps && caps != *seen) {
    take_caps_headers(self, caps);
    gst_caps_replace(seen, caps);
  }
  g_autoptr(GError) error = NULL;
  gboolean end = item && item->buffer == NULL;
  gboolean written = item == NULL || end || write_tag(self, item->buffer, &error);
  g_clear_pointer(&item, sc_tag_queue_item_free);
  if (!written) {
    /* a refused write leaves the segment as it is: playable up to there */
    gboolean full = g_error_matches(error, SC_RECORDER_ERROR, SC_RECORDER_ERROR_FULL);
    stop(self, full ? SC_RECORDER_STOP_DISK_FULL : SC_RECORDER_STOP_FAILED, FALSE, error);
    return FALSE;
  }
  if (!check_disk(self, &error)) {
    stop(self, SC_RECORDER_STOP_DISK_FULL, TRUE, error); /* room left to close it properly */
    return FALSE;
  }
  if (end)
    stop(self, SC_RECORDER_STOP_ENDED, TRUE, NULL);
  return !end;
}

static gpointer
writer(gpointer data)
{
  ScRecorder *self = data;
  g_autoptr(GstCaps) seen = NULL;
  while (write_next(self, &seen))
    ;
  g_mutex_lock(&self->lock);
  self->finished = TRUE;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
  recorder_unref(self);
  return NULL;
}

void
sc_recorder_start(ScRecorder *self)
{
  g_return_if_fail(self->thread == NULL);
  g_mutex_lock(&self->lock);
  self->accepting = TRUE;
  sc_tag_queue_restart(self->queue); /* the recording starts at a keyframe */
  g_mutex_unlock(&self->lock);
  self->thread = g_thread_new("recorder", writer, recorder_ref(self));
}

gboolean
sc_recorder_finish(ScRecorder *self, guint timeout_ms)
{
  if (self->thread == NULL)
    return TRUE;
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  g_mutex_lock(&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast(&self->cond);
  while (!self->finished)
    if (!g_cond_wait_until(&self->cond, &self->lock, deadline))
      break;
  gboolean done = self->finished;
  g_mutex_unlock(&self->lock);
  if (done)
    g_thread_join(g_steal_pointer(&self->thread));
  return done;
}

void
sc_recorder_free(ScRecorder *self)
{
  if (self == NULL)
    return;
  g_mutex_lock(&self->lock);
  self->stopping = TRUE;
  self->detached = TRUE; /* no event reaches the owner after this */
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
  if (self->thread)
    g_thread_unref(g_steal_pointer(&self->thread)); /* it holds its own reference */
  recorder_unref(self);
}
