#define G_LOG_DOMAIN "shopcast-output"

#include "pipeline/output.h"

#include "pipeline/flv.h"
#include "pipeline/rtmp-url.h"
#include "pipeline/rtmp.h"
#include "pipeline/post.h"
#include "pipeline/tag-queue.h"
#include "pipeline/tcp-queue.h"

/* While publishing, ask the encoder for at most one keyframe per interval
 * after an overflow, so a struggling destination cannot flood the shared
 * encode with keyframes. */
#define KEYFRAME_REQUEST_INTERVAL_US (1 * G_USEC_PER_SEC)
#define POP_TIMEOUT_US               (100 * 1000)
/* A path slowed by its own queue (a grown RTT, so a grown retransmission
 * timeout) must not be taken for a dead one: sent data may stay
 * unacknowledged for this many RTOs, at least send_timeout_ms and at most
 * SEND_TIMEOUT_MAX_FACTOR times it. A fast path that dies is still given up
 * after send_timeout_ms. */
#define SEND_TIMEOUT_RTOS       6
#define SEND_TIMEOUT_MAX_FACTOR 4
#define SEND_TIMEOUT_CHECK_US   (250 * 1000)
/* The media's rate is measured over this much media. */
#define RATE_WINDOW_MS 1000

struct _ScOutput {
  char *name, *key, *ca_file;
  char *urls[2];         /* primary, backup (NULL without one) */
  char *descriptions[2]; /* the same, key masked */
  ScOutputParams params; /* timeouts; strings above */
  GMainContext *ctx;
  ScOutputStateFunc on_state;
  gpointer user_data;
  ScKeyframeFunc keyframe_func;
  gpointer keyframe_data;
  GThread *thread;

  GMutex lock; /* everything below */
  GCond cond;
  ScTagQueue *queue; /* bounded at params.queue_ms */
  GstCaps *caps;
  gboolean accepting; /* publishing: push queues tags */
  gboolean eos, stopping, retry_now, finished, detached;
  GCancellable *attempt_cancel; /* the connection being opened or in use */
  char *interface;              /* the uplink later connections leave by; NULL: routing */
  char *attempt_interface;      /* the one the current connection left by */
  gboolean move;                /* leave the current connection for @interface */
  gboolean move_abrupt;         /* ... because its path failed */
  gint64 last_keyframe_request;
  ScOutputState state;
  ScOutputStats stats;
  ScOutputIngest ingest; /* the one in use or tried next */
  int live_fd;           /* the publishing connection's socket, else -1 */
  gboolean video_resync; /* video dropped until the next keyframe; audio flows */
  gboolean rate_started; /* the media rate's window: */
  guint32 rate_ts;       /* ... its first timestamp */
  guint64 rate_bytes;    /* ... and the bytes since */
  guint32 media_rate_bps;
};

const char *
sc_output_state_name(ScOutputState state)
{
  static const char *const names[] = {"idle", "connecting", "live", "retrying", "stopped"};
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

static void
output_clear(ScOutput *self)
{
  g_free(self->name);
  for (int i = 0; i < 2; i++) {
    g_free(self->urls[i]);
    g_free(self->descriptions[i]);
  }
  g_free(self->key);
  g_free(self->ca_file);
  g_free(self->interface);
  g_free(self->attempt_interface);
  sc_tag_queue_free(self->queue);
  gst_caps_replace(&self->caps, NULL);
  g_clear_object(&self->attempt_cancel);
  g_main_context_unref(self->ctx);
  g_mutex_clear(&self->lock);
  g_cond_clear(&self->cond);
}

static ScOutput *
output_ref(ScOutput *self)
{
  return g_atomic_rc_box_acquire(self);
}

static void
output_unref(ScOutput *self)
{
  g_atomic_rc_box_release_full(self, (GDestroyNotify)output_clear);
}

static guint
or_default(guint value, guint fallback)
{
  return value ? value : fallback;
}

static char *
describe(const char *text, const char *key)
{
  if (text == NULL)
    return NULL;
  g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(text, NULL);
  return url ? sc_rtmp_url_describe(url, key) : g_strdup("(invalid URL)");
}

ScOutput *
sc_output_new(const ScOutputParams *params, ScOutputStateFunc on_state, gpointer user_data)
{
  ScOutput *self = g_atomic_rc_box_new0(ScOutput);
  self->name = g_strdup(params->name);
  self->urls[0] = g_strdup(params->url);
  self->urls[1] = g_strdup(params->backup_url);
  self->key = g_strdup(params->stream_key);
  self->ca_file = g_strdup(params->tls_ca_file);
  self->params = *params;
  self->params.queue_ms = or_default(params->queue_ms, 2000);
  self->params.retry_first_ms = or_default(params->retry_first_ms, 500);
  self->params.retry_max_ms = or_default(params->retry_max_ms, 30000);
  self->params.connect_timeout_ms = or_default(params->connect_timeout_ms, 5000);
  self->params.send_timeout_ms = or_default(params->send_timeout_ms, 3000);
  for (int i = 0; i < 2; i++)
    self->descriptions[i] = describe(self->urls[i], params->stream_key);
  self->ctx = g_main_context_ref_thread_default();
  self->on_state = on_state;
  self->user_data = user_data;
  self->interface = g_strdup(params->bind_interface);
  self->live_fd = -1;
  g_mutex_init(&self->lock);
  g_cond_init(&self->cond);
  self->queue = sc_tag_queue_new(self->params.queue_ms);
  return self;
}

void
sc_output_set_keyframe_func(ScOutput *self, ScKeyframeFunc func, gpointer user_data)
{
  self->keyframe_func = func;
  self->keyframe_data = user_data;
}

/* ---- state reports, delivered on the creator's main context ---- */

typedef struct {
  ScOutput *output;
  ScOutputState state;
  GError *reason;
  ScOutputIngest ingest;
  char *interface;
} StateReport;

static gboolean
deliver_state(gpointer data)
{
  StateReport *r = data;
  g_mutex_lock(&r->output->lock);
  gboolean detached = r->output->detached;
  g_mutex_unlock(&r->output->lock);
  if (detached || r->output->on_state == NULL)
    return G_SOURCE_REMOVE;
  ScOutputReport report = {r->state, r->reason, r->ingest, r->interface};
  r->output->on_state(r->output, &report, r->output->user_data);
  return G_SOURCE_REMOVE;
}

static void
free_report(gpointer data)
{
  StateReport *r = data;
  g_clear_error(&r->reason);
  g_free(r->interface);
  output_unref(r->output);
  g_free(r);
}

static void
set_state(ScOutput *self, ScOutputState state, const GError *reason)
{
  StateReport *r = g_new0(StateReport, 1);
  g_mutex_lock(&self->lock);
  self->state = state;
  r->ingest = self->ingest;
  r->interface = g_strdup(self->attempt_interface);
  g_mutex_unlock(&self->lock);
  r->output = output_ref(self);
  r->state = state;
  r->reason = reason ? g_error_copy(reason) : NULL;
  sc_post(self->ctx, deliver_state, r, free_report);
}

/* ---- the streaming side: sc_output_push, on the pipeline's thread ---- */

/* At most one keyframe request per interval (lock held). */
static gboolean
keyframe_due_locked(ScOutput *self)
{
  gint64 now = g_get_monotonic_time();
  if (now - self->last_keyframe_request <= KEYFRAME_REQUEST_INTERVAL_US)
    return FALSE;
  self->last_keyframe_request = now;
  return TRUE;
}

/* The media's rate as it arrives: tag bytes over a window of their timestamps. */
static void
measure_rate_locked(ScOutput *self, const ScTagQueueItem *item)
{
  if (!self->rate_started || item->ts + RATE_WINDOW_MS < self->rate_ts) { /* a new timeline */
    self->rate_started = TRUE;
    self->rate_ts = item->ts;
    self->rate_bytes = 0;
  }
  self->rate_bytes += item->size;
  if (item->ts >= self->rate_ts + RATE_WINDOW_MS) {
    guint32 span = item->ts - self->rate_ts;
    self->media_rate_bps = (guint32)MIN(self->rate_bytes * 1000 / span, G_MAXUINT32);
    self->rate_ts = item->ts;
    self->rate_bytes = 0;
  }
}

/* How long the video waiting here and in the socket takes to play: from the
 * oldest queued video frame to @newest_ts, plus the socket's bytes at the
 * media's rate (lock held). */
static guint32
video_wait_ms_locked(ScOutput *self, guint32 newest_ts)
{
  guint32 wait = 0, oldest_ts;
  if (sc_tag_queue_oldest_video_ts(self->queue, &oldest_ts) && newest_ts > oldest_ts)
    wait = newest_ts - oldest_ts;
  ScTcpQueue q;
  if (self->live_fd >= 0 && self->media_rate_bps > 0 && sc_tcp_queue_read(self->live_fd, &q, NULL))
    wait += (guint32)((guint64)q.outq_bytes * 1000 / self->media_rate_bps);
  return wait;
}

/* Drops the queued frames no other frame refers to; returns how many. */
static guint
drop_disposable_locked(ScOutput *self)
{
  guint n = sc_tag_queue_drop_disposable(self->queue);
  self->stats.frames_dropped += n;
  self->stats.disposable_dropped += n;
  self->stats.tags_dropped += n;
  return n;
}

/* Drops the oldest queued group of pictures; counts them in *dropped. TRUE
 * when no keyframe is left queued. */
static gboolean
drop_oldest_gop_locked(ScOutput *self, guint *dropped)
{
  guint frames = 0, disposable = 0;
  gboolean none_left = sc_tag_queue_drop_oldest_gop(self->queue, &frames, &disposable);
  self->stats.frames_dropped += frames;
  self->stats.disposable_dropped += disposable;
  self->stats.tags_dropped += frames;
  *dropped += frames;
  return none_left;
}

/* The last resort against latency, for each video tag before it is queued
 * (lock held): past drop_queue_ms, disposable frames go, then whole groups of
 * pictures; audio stays. FALSE when @item is dropped too. */
static gboolean
keep_video_in_time_locked(ScOutput *self, const ScTagQueueItem *item, gboolean *want_keyframe)
{
  if (item->keyframe)
    self->video_resync = FALSE;
  guint32 bound = self->params.drop_queue_ms;
  if (!self->video_resync && video_wait_ms_locked(self, item->ts) > bound &&
      (drop_disposable_locked(self) == 0 || video_wait_ms_locked(self, item->ts) > bound)) {
    guint dropped = 0;
    /* with no keyframe left queued, the rest of this group of pictures goes too */
    self->video_resync = drop_oldest_gop_locked(self, &dropped) && !item->keyframe;
    self->stats.gops_dropped += dropped || self->video_resync ? 1 : 0;
    if (self->video_resync)
      *want_keyframe = *want_keyframe || keyframe_due_locked(self);
  }
  if (!self->video_resync)
    return TRUE;
  self->stats.frames_dropped++;
  self->stats.tags_dropped++;
  return FALSE;
}

/* Called with the lock held. TRUE when the caller should ask for a keyframe. */
static gboolean
enqueue_locked(ScOutput *self, ScTagQueueItem *item)
{
  gboolean want_keyframe = FALSE, overflowed = FALSE;
  measure_rate_locked(self, item);
  guint dropped = 0;
  /* a connection starts at a keyframe, and so does the queue after an overflow */
  gboolean take = sc_tag_queue_admit(self->queue, item, item->keyframe, &dropped, &overflowed);
  self->stats.tags_dropped += dropped;
  /* The network fell behind: what was queued was already late. It is
   * dropped, and the stream restarts at a keyframe rather than let latency
   * grow: ask for one soon. */
  if (overflowed)
    want_keyframe = keyframe_due_locked(self);
  if (take && self->params.drop_queue_ms && item->type == SC_FLV_TAG_VIDEO)
    take = keep_video_in_time_locked(self, item, &want_keyframe);
  if (!take) {
    sc_tag_queue_item_free(item);
    return want_keyframe;
  }
  sc_tag_queue_push(self->queue, item);
  g_cond_broadcast(&self->cond);
  return want_keyframe;
}

static void
request_keyframe(ScOutput *self)
{
  if (self->keyframe_func)
    self->keyframe_func(self->keyframe_data);
}

static void
push_eos(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  self->eos = TRUE;
  if (self->accepting)
    sc_tag_queue_push(self->queue, sc_tag_queue_item_new_end());
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
}

void
sc_output_push(GstBuffer *tag, GstCaps *caps, gpointer user_data)
{
  ScOutput *self = user_data;
  if (tag == NULL) {
    push_eos(self);
    return;
  }
  g_mutex_lock(&self->lock);
  if (caps && caps != self->caps)
    gst_caps_replace(&self->caps, caps);
  gboolean take = self->accepting && !self->eos;
  g_mutex_unlock(&self->lock);
  /* Header tags (metadata, codec configuration) also live in the caps' streamheader,
   * which every new connection sends first. */
  if (!take || GST_BUFFER_FLAG_IS_SET(tag, GST_BUFFER_FLAG_HEADER))
    return;
  ScTagQueueItem *item = sc_tag_queue_item_new(tag);
  if (item == NULL)
    return;
  g_mutex_lock(&self->lock);
  gboolean want_keyframe = enqueue_locked(self, item);
  g_mutex_unlock(&self->lock);
  if (want_keyframe)
    request_keyframe(self);
}

/* ---- the output's thread ---- */

typedef struct {
  GCancellable *cancel; /* the attempt's */
  guint send_timeout_ms;
  gint64 timeout_checked;
  gboolean headers_sent;
  gboolean have_base;
  guint32 base_ts; /* the first keyframe's timestamp: the connection starts at 0 */
} Connection;

static gboolean
send_buffer(ScOutput *self, ScRtmp *rtmp, GCancellable *cancel, GstBuffer *buffer, guint32 ts,
            gboolean keep_ts, GError **error)
{
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
    return TRUE;
  ScFlvTag tag;
  gboolean ok = TRUE;
  if (!sc_flv_is_file_header(map.data, map.size) &&
      sc_flv_parse_tag(map.data, map.size, &tag, NULL)) {
    ok = sc_rtmp_send(rtmp, tag.type, keep_ts ? tag.timestamp_ms : ts, tag.body, tag.body_len,
                      cancel, error);
    if (ok) {
      g_mutex_lock(&self->lock);
      self->stats.tags_sent++;
      self->stats.bytes_sent += tag.body_len;
      g_mutex_unlock(&self->lock);
    }
  }
  gst_buffer_unmap(buffer, &map);
  return ok;
}

/* Metadata and codec configuration, from the caps' streamheader, at time 0. */
static gboolean
send_headers(ScOutput *self, ScRtmp *rtmp, GCancellable *cancel, GError **error)
{
  g_mutex_lock(&self->lock);
  g_autoptr(GstCaps) caps = self->caps ? gst_caps_ref(self->caps) : NULL;
  g_mutex_unlock(&self->lock);
  const GValue *headers =
      caps ? gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader") : NULL;
  for (guint i = 0;
       headers && GST_VALUE_HOLDS_ARRAY(headers) && i < gst_value_array_get_size(headers); i++) {
    GstBuffer *buffer = gst_value_get_buffer(gst_value_array_get_value(headers, i));
    if (!send_buffer(self, rtmp, cancel, buffer, 0, FALSE, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
send_item(ScOutput *self, ScRtmp *rtmp, Connection *conn, ScTagQueueItem *item, GError **error)
{
  if (!conn->headers_sent) {
    if (!send_headers(self, rtmp, conn->cancel, error))
      return FALSE;
    conn->headers_sent = TRUE;
  }
  if (!conn->have_base) { /* resync guarantees the first item is a keyframe */
    conn->base_ts = item->ts;
    conn->have_base = TRUE;
  }
  if (item->ts < conn->base_ts) /* audio captured just before the first keyframe */
    return TRUE;
  return send_buffer(self, rtmp, conn->cancel, item->buffer, item->ts - conn->base_ts, FALSE,
                     error);
}

static void
set_accepting(ScOutput *self, gboolean accepting)
{
  g_mutex_lock(&self->lock);
  sc_tag_queue_restart(self->queue);
  self->accepting = accepting;
  self->video_resync = FALSE;
  self->last_keyframe_request = g_get_monotonic_time();
  g_mutex_unlock(&self->lock);
}

/* Waits for the next item; NULL on timeout. *stop is set when asked to stop,
 * *move when asked to leave this connection for another uplink. */
static ScTagQueueItem *
pop_item(ScOutput *self, gboolean *stop, gboolean *move)
{
  g_mutex_lock(&self->lock);
  gint64 deadline = g_get_monotonic_time() + POP_TIMEOUT_US;
  while (sc_tag_queue_is_empty(self->queue) && !self->stopping && !self->move)
    if (!g_cond_wait_until(&self->cond, &self->lock, deadline))
      break;
  *stop = self->stopping;
  *move = self->move;
  ScTagQueueItem *item = *stop || *move ? NULL : sc_tag_queue_pop(self->queue);
  g_mutex_unlock(&self->lock);
  return item;
}

/* Fits the connection's send timeout to its path's retransmission timeout. */
static void
fit_send_timeout(ScOutput *self, ScRtmp *rtmp, Connection *conn)
{
  gint64 now = g_get_monotonic_time();
  if (now - conn->timeout_checked < SEND_TIMEOUT_CHECK_US)
    return;
  conn->timeout_checked = now;
  ScTcpQueue q;
  if (!sc_tcp_queue_read(sc_rtmp_get_fd(rtmp), &q, NULL))
    return;
  guint base = self->params.send_timeout_ms;
  guint want = CLAMP(q.rto_us / 1000 * SEND_TIMEOUT_RTOS, base, base * SEND_TIMEOUT_MAX_FACTOR);
  if (conn->send_timeout_ms == 0)
    conn->send_timeout_ms = base;
  if (want * 10 > conn->send_timeout_ms * 11 || want * 10 < conn->send_timeout_ms * 9) {
    sc_rtmp_set_send_timeout(rtmp, want);
    conn->send_timeout_ms = want;
  }
}

/* Publishes until the end of the stream (TRUE) or a failure (FALSE). */
static gboolean
stream(ScOutput *self, ScRtmp *rtmp, GCancellable *cancel, GError **error)
{
  Connection conn = {.cancel = cancel};
  set_accepting(self, TRUE);
  request_keyframe(self);
  set_state(self, SC_OUTPUT_STATE_LIVE, NULL);
  for (;;) {
    gboolean stop = FALSE, move = FALSE;
    ScTagQueueItem *item = pop_item(self, &stop, &move);
    if (move) {
      set_accepting(self, FALSE);
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "moving to another uplink");
      return FALSE;
    }
    if (stop || (item && item->buffer == NULL)) {
      g_clear_pointer(&item, sc_tag_queue_item_free);
      set_accepting(self, FALSE);
      return TRUE;
    }
    gboolean ok = item == NULL || send_item(self, rtmp, &conn, item, error);
    g_clear_pointer(&item, sc_tag_queue_item_free);
    fit_send_timeout(self, rtmp, &conn);
    if (!ok) {
      set_accepting(self, FALSE);
      return FALSE;
    }
  }
}

/* Starts an attempt: a cancellable that stopping or a move cancels, and the
 * interface the attempt leaves by (a copy in *interface, NULL for routing). */
static GCancellable *
begin_attempt(ScOutput *self, char **interface)
{
  GCancellable *cancel = g_cancellable_new();
  g_mutex_lock(&self->lock);
  g_set_object(&self->attempt_cancel, cancel);
  g_free(self->attempt_interface);
  self->attempt_interface = g_strdup(self->interface);
  *interface = g_strdup(self->interface);
  self->move = FALSE;
  if (self->stopping)
    g_cancellable_cancel(cancel);
  g_mutex_unlock(&self->lock);
  return cancel;
}

static ScRtmp *
open_connection(ScOutput *self, const char *interface, GCancellable *cancel, GError **error)
{
  g_mutex_lock(&self->lock);
  const char *url = self->urls[self->ingest];
  g_mutex_unlock(&self->lock);
  ScRtmpParams p = {
      .url = url,
      .stream_key = self->key,
      .bind_interface = interface,
      .tls_ca_file = self->ca_file,
      .connect_timeout_ms = self->params.connect_timeout_ms,
      .send_timeout_ms = self->params.send_timeout_ms,
      .send_buffer_bytes = self->params.send_buffer_bytes,
  };
  return sc_rtmp_connect(&p, cancel, error);
}

/* TRUE when the attempt ended because of a move to another uplink; then the
 * next attempt starts at once, on the backup ingest when the path failed
 * (the platform may hold the lost path's publication for a while yet). */
static gboolean
take_move(ScOutput *self, gboolean *abrupt)
{
  g_mutex_lock(&self->lock);
  gboolean move = self->move && !self->stopping && !self->eos;
  *abrupt = self->move_abrupt;
  if (move && self->move_abrupt && self->urls[SC_OUTPUT_INGEST_BACKUP])
    self->ingest = SC_OUTPUT_INGEST_BACKUP;
  self->move = FALSE;
  self->move_abrupt = FALSE;
  g_mutex_unlock(&self->lock);
  return move;
}

static gboolean
move_is_abrupt(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  gboolean abrupt = self->move && self->move_abrupt;
  g_mutex_unlock(&self->lock);
  return abrupt;
}

/* The socket the congestion figures are read from (lock held by readers). */
static void
set_live_fd(ScOutput *self, int fd, gboolean new_connection)
{
  g_mutex_lock(&self->lock);
  self->live_fd = fd;
  self->stats.connections += new_connection ? 1 : 0;
  g_mutex_unlock(&self->lock);
}

/* Capped exponential backoff with jitter: the wait is a random point in the
 * upper half of the step, so the first retry comes within retry_first_ms and
 * many boxes behind one failed ingest do not retry in lockstep. TRUE when a
 * new path (or the operator) cut the wait short: the backoff starts over, as
 * what failed before was the old path. */
static gboolean
wait_before_retry(ScOutput *self, guint attempt)
{
  guint64 step = (guint64)self->params.retry_first_ms << MIN(attempt, 16u);
  step = MIN(step, self->params.retry_max_ms);
  guint64 wait_ms = step / 2 + g_random_int_range(0, (gint32)(step / 2) + 1);
  gint64 deadline = g_get_monotonic_time() + (gint64)wait_ms * 1000;
  g_mutex_lock(&self->lock);
  while (!self->stopping && !self->eos && !self->retry_now)
    if (!g_cond_wait_until(&self->cond, &self->lock, deadline))
      break;
  gboolean cut_short = self->retry_now;
  self->retry_now = FALSE;
  g_mutex_unlock(&self->lock);
  return cut_short;
}

/* With a backup ingest, the next attempt goes to the other one: an ingest
 * that refuses, resets or vanishes is left at once, not after the backoff. */
static void
switch_ingest(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  if (self->urls[SC_OUTPUT_INGEST_BACKUP])
    self->ingest = self->ingest == SC_OUTPUT_INGEST_PRIMARY ? SC_OUTPUT_INGEST_BACKUP
                                                            : SC_OUTPUT_INGEST_PRIMARY;
  g_mutex_unlock(&self->lock);
}

static gboolean
should_stop(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  gboolean stop = self->stopping || self->eos;
  g_mutex_unlock(&self->lock);
  return stop;
}

static gpointer
run(gpointer data)
{
  ScOutput *self = data;
  guint attempt = 0;
  while (!should_stop(self)) {
    g_autoptr(GError) error = NULL;
    g_autofree char *interface = NULL;
    g_autoptr(GCancellable) cancel = begin_attempt(self, &interface);
    set_state(self, SC_OUTPUT_STATE_CONNECTING, NULL);
    ScRtmp *rtmp = open_connection(self, interface, cancel, &error);
    gboolean ended = FALSE;
    if (rtmp) {
      attempt = 0;
      set_live_fd(self, sc_rtmp_get_fd(rtmp), TRUE);
      ended = stream(self, rtmp, cancel, &error);
      set_live_fd(self, -1, FALSE); /* before the socket closes */
      if (move_is_abrupt(self))
        sc_rtmp_abort(rtmp); /* its path is dead: a polite close would only wait */
      else
        sc_rtmp_close(rtmp);
    }
    gboolean abrupt = FALSE;
    if (!ended && take_move(self, &abrupt)) {
      g_mutex_lock(&self->lock);
      self->stats.moves++;
      g_mutex_unlock(&self->lock);
      continue;
    }
    if (ended || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      break;
    g_mutex_lock(&self->lock);
    self->stats.failures++;
    g_mutex_unlock(&self->lock);
    set_state(self, SC_OUTPUT_STATE_RETRYING, error);
    switch_ingest(self);
    if (wait_before_retry(self, attempt++))
      attempt = 0;
  }
  g_mutex_lock(&self->lock);
  self->finished = TRUE;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
  set_state(self, SC_OUTPUT_STATE_STOPPED, NULL);
  return NULL;
}

void
sc_output_start(ScOutput *self)
{
  g_return_if_fail(self->thread == NULL);
  g_autofree char *thread_name = g_strdup_printf("out-%.10s", self->name);
  self->thread = g_thread_new(thread_name, run, self);
}

void
sc_output_set_interface(ScOutput *self, const char *interface, gboolean path_failed)
{
  g_mutex_lock(&self->lock);
  gboolean changed = g_strcmp0(self->interface, interface) != 0;
  if (changed) {
    g_free(self->interface);
    self->interface = g_strdup(interface);
  }
  /* the connection in use (or being opened) leaves by another interface: drop it */
  gboolean attempting = self->attempt_cancel && !g_cancellable_is_cancelled(self->attempt_cancel);
  if (attempting && g_strcmp0(self->attempt_interface, interface) != 0) {
    self->move = TRUE;
    self->move_abrupt = path_failed;
    if (path_failed || self->state != SC_OUTPUT_STATE_LIVE)
      g_cancellable_cancel(self->attempt_cancel); /* a blocked send or connect returns now */
  }
  /* a backoff wait ends too: the new path deserves a try at once */
  self->retry_now = self->retry_now || changed;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
}

char *
sc_output_dup_interface(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  char *interface = g_strdup(self->attempt_interface);
  g_mutex_unlock(&self->lock);
  return interface;
}

void
sc_output_reconnect_now(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  if (self->attempt_cancel && !g_cancellable_is_cancelled(self->attempt_cancel)) {
    self->move = TRUE; /* a planned move onto the same path */
    if (self->state != SC_OUTPUT_STATE_LIVE)
      g_cancellable_cancel(self->attempt_cancel);
  }
  self->retry_now = TRUE;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
}

static void
stop_thread(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast(&self->cond);
  if (self->attempt_cancel)
    g_cancellable_cancel(self->attempt_cancel);
  g_mutex_unlock(&self->lock);
}

gboolean
sc_output_finish(ScOutput *self, guint timeout_ms)
{
  if (self->thread == NULL)
    return TRUE;
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  g_mutex_lock(&self->lock);
  while (!self->finished)
    if (!g_cond_wait_until(&self->cond, &self->lock, deadline))
      break;
  gboolean clean = self->finished;
  g_mutex_unlock(&self->lock);
  if (!clean)
    stop_thread(self);
  g_thread_join(g_steal_pointer(&self->thread));
  return clean;
}

void
sc_output_free(ScOutput *self)
{
  if (self == NULL)
    return;
  if (self->thread) {
    stop_thread(self);
    g_thread_join(g_steal_pointer(&self->thread));
  }
  g_mutex_lock(&self->lock);
  self->detached = TRUE; /* reports still queued on the main context are dropped */
  g_mutex_unlock(&self->lock);
  output_unref(self);
}

const char *
sc_output_get_name(ScOutput *self)
{
  return self->name;
}

ScOutputIngest
sc_output_get_ingest(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  ScOutputIngest ingest = self->ingest;
  g_mutex_unlock(&self->lock);
  return ingest;
}

const char *
sc_output_describe(ScOutput *self)
{
  return self->descriptions[sc_output_get_ingest(self)];
}

const char *
sc_output_describe_ingest(ScOutput *self, ScOutputIngest ingest)
{
  return self->descriptions[ingest] ? self->descriptions[ingest] : "(none)";
}

ScOutputState
sc_output_get_state(ScOutput *self)
{
  g_mutex_lock(&self->lock);
  ScOutputState state = self->state;
  g_mutex_unlock(&self->lock);
  return state;
}

void
sc_output_get_stats(ScOutput *self, ScOutputStats *stats)
{
  g_mutex_lock(&self->lock);
  *stats = self->stats;
  g_mutex_unlock(&self->lock);
}

void
sc_output_get_congestion(ScOutput *self, ScOutputCongestion *c)
{
  *c = (ScOutputCongestion){0};
  g_mutex_lock(&self->lock);
  c->live = self->live_fd >= 0 && self->accepting;
  c->connection = self->stats.connections;
  c->queue_ms = sc_tag_queue_span_ms(self->queue);
  c->queue_bytes = sc_tag_queue_bytes(self->queue);
  c->media_rate_bps = self->media_rate_bps;
  ScTcpQueue q;
  /* under the lock: the output's thread clears live_fd before it closes the socket */
  if (self->live_fd >= 0 && sc_tcp_queue_read(self->live_fd, &q, NULL)) {
    c->socket_read = TRUE;
    c->outq_bytes = q.outq_bytes;
    c->notsent_bytes = q.notsent_bytes;
    c->rtt_us = q.rtt_us;
    c->min_rtt_us = q.min_rtt_us;
    c->bytes_acked = q.bytes_acked;
  }
  g_mutex_unlock(&self->lock);
}
