#define G_LOG_DOMAIN "shopcast-adaptive"

#include "firmware/adaptive.h"

#include "firmware/json.h"
#include "pipeline/flv.h"

/* The throughput is what the ingest acknowledged over this window: short,
 * so that right after a drop it measures the new capacity, not the old. */
#define THROUGHPUT_WINDOW_US (500 * 1000)
#define THROUGHPUT_MIN_US    (300 * 1000)
/* ... and its peak over this long. */
#define PEAK_WINDOW_US (1500 * 1000)
/* A rate held this long, not cut, with the queue empty, is the uplink's good
 * rate (a probe above the path's limit, on probation, is not one). */
#define GOOD_AFTER_US (4 * G_USEC_PER_SEC)
/* The encoder's real output is measured over this window. */
#define CURRENT_WINDOW_US (1 * G_USEC_PER_SEC)

typedef struct {
  gint64 t;
  guint64 acked;
  guint kbps; /* the throughput over the window ending here; 0: unknown */
} Acked;

typedef struct {
  ScOutput *output; /* borrowed */
  gboolean adaptive;
  ScRateControl *rate;
  guint64 connection; /* the samples' connection: bytes_acked restarts with each */
  GArray *acked;      /* Acked, the throughput window */
  guint queue_ms, throughput_kbps, peak_kbps, rtt_ms;
} Dest;

struct _ScAdaptive {
  ScAdaptiveConfig cfg; /* rate.max_kbps resolved */
  guint audio_kbps;
  ScPipeline *pipeline;
  ScEventLog *events;
  GPtrArray *dests; /* Dest* */
  guint timer;
  guint target_kbps;
  char *limited_by;
  gboolean interface_known;
  char *interface;        /* the uplink the pushes are on; NULL: routing */
  GHashTable *good_rates; /* interface ("" for routing) -> last known good kb/s */
  gint64 changed_at;      /* when the target last changed */
  guint64 changes;
  gsize video_bytes; /* atomic: encoded video since start */
  gsize window_bytes;
  gint64 window_start;
  guint current_kbps;
};

static void
dest_free(gpointer p)
{
  Dest *d = p;
  sc_rate_control_free(d->rate);
  g_array_unref(d->acked);
  g_free(d);
}

/* ---- measuring ---- */

/* What the ingest acknowledged over the last window, kb/s (0 until known),
 * and in *peak the highest of those over the peak window. */
static guint
throughput(Dest *d, gint64 now, guint64 acked, guint *peak)
{
  guint old = 0;
  while (old < d->acked->len && g_array_index(d->acked, Acked, old).t <= now - PEAK_WINDOW_US)
    old++;
  g_array_remove_range(d->acked, 0, old);
  Acked a = {now, acked, 0};
  for (guint i = 0; i < d->acked->len; i++) { /* the sample a window ago */
    Acked *first = &g_array_index(d->acked, Acked, i);
    gint64 span = now - first->t;
    if (span > THROUGHPUT_WINDOW_US)
      continue;
    if (span >= THROUGHPUT_MIN_US && acked >= first->acked)
      a.kbps = (guint)((acked - first->acked) * 8 * 1000 / (guint64)span);
    break;
  }
  g_array_append_val(d->acked, a);
  *peak = 0;
  for (guint i = 0; i < d->acked->len; i++)
    *peak = MAX(*peak, g_array_index(d->acked, Acked, i).kbps);
  return a.kbps;
}

/* Media waiting to be sent, as time: the output's queue, and the socket's
 * bytes at the media's rate beyond what one round trip keeps in flight. */
static guint
queue_ms(ScAdaptive *self, const ScOutputCongestion *c)
{
  guint64 rate = c->media_rate_bps ? c->media_rate_bps
                                   : (guint64)(self->target_kbps + self->audio_kbps) * 1000 / 8;
  guint64 socket_ms = (guint64)c->outq_bytes * 1000 / MAX(rate, 1);
  guint64 flight_ms = c->min_rtt_us / 1000;
  return c->queue_ms + (guint)(socket_ms > flight_ms ? socket_ms - flight_ms : 0);
}

static void
sample(ScAdaptive *self, Dest *d, gint64 now, ScRateSample *s)
{
  ScOutputCongestion c;
  sc_output_get_congestion(d->output, &c);
  if (c.connection != d->connection) {
    g_array_set_size(d->acked, 0);
    d->connection = c.connection;
  }
  gboolean read = c.live && c.socket_read;
  d->queue_ms = read ? queue_ms(self, &c) : 0;
  d->rtt_ms = c.rtt_us / 1000;
  d->throughput_kbps = read ? throughput(d, now, c.bytes_acked, &d->peak_kbps) : 0;
  *s = (ScRateSample){.now_us = now,
                      .live = c.live,
                      .readable = c.socket_read,
                      .queue_ms = d->queue_ms,
                      .throughput_kbps = d->throughput_kbps,
                      .throughput_peak_kbps = read ? d->peak_kbps : 0,
                      .audio_kbps = self->audio_kbps,
                      .encode_kbps = self->target_kbps,
                      .sending_kbps = (guint)((guint64)c.media_rate_bps * 8 / 1000)};
}

/* ---- deciding ---- */

static void
apply(ScAdaptive *self, guint kbps, const char *subject, const char *state, const char *why)
{
  guint old = self->target_kbps;
  g_autoptr(GError) error = NULL;
  if (!sc_pipeline_set_video_bitrate(self->pipeline, kbps, &error)) {
    g_warning("bitrate: %s", error->message);
    return;
  }
  self->target_kbps = kbps;
  self->changed_at = g_get_monotonic_time();
  self->changes++;
  g_autofree char *detail = g_strdup_printf("%u -> %u kb/s: %s", old, kbps, why);
  sc_event_log_add(self->events, g_get_real_time(), g_str_equal(state, "cut"), "bitrate", subject,
                   state, detail);
}

static char *
explain(ScAdaptive *self, Dest *d)
{
  return g_strdup_printf("queue %u ms, throughput %u kb/s, rtt %u ms%s%s", d->queue_ms,
                         d->throughput_kbps, d->rtt_ms, self->interface ? ", via " : "",
                         self->interface ? self->interface : "");
}

/* The shared encode follows the weakest live adaptive destination (returned). */
static Dest *
follow_weakest(ScAdaptive *self, Dest **changed, ScRateChange *why)
{
  Dest *weakest = NULL;
  for (guint i = 0; i < self->dests->len; i++) {
    Dest *d = g_ptr_array_index(self->dests, i);
    if (!d->adaptive || sc_rate_control_get_state(d->rate) == SC_RATE_IDLE)
      continue;
    if (weakest == NULL ||
        sc_rate_control_get_proposal(d->rate) < sc_rate_control_get_proposal(weakest->rate))
      weakest = d;
  }
  if (weakest == NULL)
    return NULL;
  g_free(self->limited_by);
  self->limited_by = g_strdup(sc_output_get_name(weakest->output));
  guint kbps = sc_rate_control_get_proposal(weakest->rate);
  if (kbps == self->target_kbps)
    return weakest;
  Dest *cause = *changed ? *changed : weakest;
  g_autofree char *reason = explain(self, cause);
  const char *state = *why != SC_RATE_CHANGE_NONE ? sc_rate_change_name(*why)
                      : kbps < self->target_kbps  ? "cut"
                                                  : "raise";
  apply(self, kbps, sc_output_get_name(cause->output), state, reason);
  return weakest;
}

static void
set_good_rate(ScAdaptive *self, guint kbps)
{
  g_hash_table_insert(self->good_rates, g_strdup(self->interface ? self->interface : ""),
                      GUINT_TO_POINTER(kbps));
}

/* The uplink's good rate: one held a while with the queue of the destination
 * that sets it empty and its controller neither cutting nor probing above
 * the path's limit (a probe is good once it held), or, right after a cut,
 * the rate cut to (under what the link was measured to deliver). */
static void
note_good_rate(ScAdaptive *self, gint64 now, Dest *weakest, guint before_kbps)
{
  if (weakest == NULL)
    return;
  if (self->target_kbps < before_kbps) {
    set_good_rate(self, self->target_kbps);
    return;
  }
  ScRateState state = sc_rate_control_get_state(weakest->rate);
  if ((state == SC_RATE_HOLD || state == SC_RATE_RAISED) &&
      now - self->changed_at >= GOOD_AFTER_US && weakest->queue_ms <= self->cfg.rate.clear_queue_ms)
    set_good_rate(self, self->target_kbps);
}

static void
measure_current(ScAdaptive *self, gint64 now)
{
  gsize bytes = (gsize)g_atomic_pointer_get(&self->video_bytes);
  if (self->window_start == 0) {
    self->window_start = now;
    self->window_bytes = bytes;
  }
  if (now - self->window_start < CURRENT_WINDOW_US)
    return;
  self->current_kbps =
      (guint)((bytes - self->window_bytes) * 8 * 1000 / (guint64)(now - self->window_start));
  self->window_start = now;
  self->window_bytes = bytes;
}

static gboolean
on_tick(gpointer data)
{
  ScAdaptive *self = data;
  gint64 now = g_get_monotonic_time();
  measure_current(self, now);
  Dest *changed = NULL;
  ScRateChange why = SC_RATE_CHANGE_NONE;
  for (guint i = 0; i < self->dests->len; i++) {
    Dest *d = g_ptr_array_index(self->dests, i);
    ScRateSample s;
    sample(self, d, now, &s);
    if (!d->adaptive || !self->cfg.enabled)
      continue;
    ScRateChange change = sc_rate_control_feed(d->rate, &s);
    gboolean up = change == SC_RATE_CHANGE_RAISE || change == SC_RATE_CHANGE_PROBE;
    if (change != SC_RATE_CHANGE_NONE && (changed == NULL || !up)) { /* a cut tells more */
      changed = d;
      why = change;
    }
  }
  if (!self->cfg.enabled)
    return G_SOURCE_CONTINUE;
  guint before = self->target_kbps;
  note_good_rate(self, now, follow_weakest(self, &changed, &why), before);
  return G_SOURCE_CONTINUE;
}

/* ---- the uplink ---- */

static guint
start_rate(ScAdaptive *self, const char *interface, gboolean *known)
{
  gpointer value = NULL;
  *known = g_hash_table_lookup_extended(self->good_rates, interface ? interface : "", NULL, &value);
  guint kbps = *known                 ? GPOINTER_TO_UINT(value)
               : self->cfg.start_kbps ? self->cfg.start_kbps
                                      : self->cfg.rate.max_kbps / 2;
  return CLAMP(kbps, self->cfg.rate.min_kbps, self->cfg.rate.max_kbps);
}

/* The pushes moved to @interface: start at what it is known to carry. From
 * the system's routing to a first uplink (the uplinks were still being
 * probed when the pushes started) nothing is known to be weaker: go on. */
static void
uplink_changed(ScAdaptive *self, const char *interface)
{
  gboolean from_routing = self->interface == NULL;
  g_free(self->interface);
  self->interface = g_strdup(interface);
  self->changed_at = g_get_monotonic_time(); /* a good rate here is yet to be seen */
  gboolean known = FALSE;
  guint kbps = start_rate(self, interface, &known);
  if (from_routing && !known)
    return;
  for (guint i = 0; i < self->dests->len; i++)
    sc_rate_control_restart(((Dest *)g_ptr_array_index(self->dests, i))->rate, kbps);
  g_autofree char *why = g_strdup_printf(
      "pushes moved to %s: %s", interface ? interface : "the system's routing",
      known ? "its last known good rate" : "no rate known there, [adaptive] start-bitrate");
  if (kbps != self->target_kbps)
    apply(self, kbps, interface ? interface : "routing", "uplink", why);
}

void
sc_adaptive_output_state(ScAdaptive *self, ScOutput *output, const ScOutputReport *report)
{
  if (report->state != SC_OUTPUT_STATE_CONNECTING)
    return;
  if (self->interface_known && g_strcmp0(report->interface, self->interface) == 0)
    return;
  if (!self->interface_known || !self->cfg.enabled) { /* the first, or a fixed rate: just note it */
    self->interface_known = TRUE;
    g_free(self->interface);
    self->interface = g_strdup(report->interface);
    return;
  }
  uplink_changed(self, report->interface);
}

/* ---- life ---- */

ScAdaptive *
sc_adaptive_new(const ScConfig *config, ScPipeline *pipeline, ScEventLog *events)
{
  ScAdaptive *self = g_new0(ScAdaptive, 1);
  self->cfg = config->adaptive;
  ScRateParams *r = &self->cfg.rate;
  if (r->max_kbps == 0)
    r->max_kbps = config->media.video_bitrate_kbps;
  r->min_kbps = MIN(r->min_kbps, r->max_kbps);
  self->audio_kbps = config->media.audio_bitrate_kbps;
  self->pipeline = pipeline;
  self->events = events;
  self->dests = g_ptr_array_new_with_free_func(dest_free);
  self->good_rates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  self->target_kbps = sc_pipeline_get_video_bitrate(pipeline);
  guint start = CLAMP(self->target_kbps, r->min_kbps, r->max_kbps);
  g_autoptr(GError) error = NULL;
  if (self->cfg.enabled && start != self->target_kbps &&
      sc_pipeline_set_video_bitrate(pipeline, start, &error))
    self->target_kbps = start;
  self->changed_at = g_get_monotonic_time();
  self->timer = g_timeout_add(self->cfg.interval_ms, on_tick, self);
  return self;
}

void
sc_adaptive_free(ScAdaptive *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->timer, g_source_remove);
  g_ptr_array_unref(self->dests);
  g_hash_table_unref(self->good_rates);
  g_free(self->limited_by);
  g_free(self->interface);
  g_free(self);
}

void
sc_adaptive_count_tag(GstBuffer *tag, GstCaps *caps, gpointer user_data)
{
  ScAdaptive *self = user_data;
  guint8 type = 0;
  if (tag && gst_buffer_extract(tag, 0, &type, 1) == 1 && type == SC_FLV_TAG_VIDEO)
    g_atomic_pointer_add(&self->video_bytes, gst_buffer_get_size(tag));
}

void
sc_adaptive_add_output(ScAdaptive *self, ScOutput *output, gboolean adaptive)
{
  Dest *d = g_new0(Dest, 1);
  d->output = output;
  d->adaptive = adaptive;
  d->rate = sc_rate_control_new(&self->cfg.rate, self->target_kbps);
  d->acked = g_array_new(FALSE, FALSE, sizeof(Acked));
  g_ptr_array_add(self->dests, d);
}

void
sc_adaptive_remove_output(ScAdaptive *self, ScOutput *output)
{
  for (guint i = 0; i < self->dests->len; i++)
    if (((Dest *)g_ptr_array_index(self->dests, i))->output == output) {
      g_ptr_array_remove_index(self->dests, i);
      return;
    }
}

/* ---- status ---- */

void
sc_adaptive_get_status(ScAdaptive *self, ScAdaptiveStatus *st)
{
  *st = (ScAdaptiveStatus){
      .enabled = self->cfg.enabled,
      .target_kbps = self->target_kbps,
      .current_kbps = self->current_kbps,
      .min_kbps = self->cfg.rate.min_kbps,
      .max_kbps = self->cfg.rate.max_kbps,
      .changes = self->changes,
      .limited_by = g_strdup(self->limited_by),
      .interface = g_strdup(self->interface),
  };
}

void
sc_adaptive_status_clear(ScAdaptiveStatus *st)
{
  g_clear_pointer(&st->limited_by, g_free);
  g_clear_pointer(&st->interface, g_free);
}

guint
sc_adaptive_get_destination_count(ScAdaptive *self)
{
  return self->dests->len;
}

void
sc_adaptive_get_destination(ScAdaptive *self, guint index, ScAdaptiveDestination *out)
{
  Dest *d = g_ptr_array_index(self->dests, index);
  ScOutputStats stats;
  sc_output_get_stats(d->output, &stats);
  *out = (ScAdaptiveDestination){
      .name = sc_output_get_name(d->output),
      .adaptive = d->adaptive,
      .state = sc_rate_control_get_state(d->rate),
      .proposal_kbps = sc_rate_control_get_proposal(d->rate),
      .queue_ms = d->queue_ms,
      .throughput_kbps = d->throughput_kbps,
      .rtt_ms = d->rtt_ms,
      .frames_dropped = stats.frames_dropped,
      .gops_dropped = stats.gops_dropped,
  };
}

static void
append_nullable(GString *out, const char *key, const char *value)
{
  g_string_append_printf(out, ",\"%s\":", key);
  if (value)
    sc_json_append_string(out, value);
  else
    g_string_append(out, "null");
}

char *
sc_adaptive_status_json(ScAdaptive *self)
{
  GString *out = g_string_new(NULL);
  ScAdaptiveStatus st;
  sc_adaptive_get_status(self, &st);
  g_string_append_printf(out,
                         "{\"mode\":\"%s\",\"target_kbps\":%u,\"current_kbps\":%u,"
                         "\"min_kbps\":%u,\"max_kbps\":%u,\"changes\":%" G_GUINT64_FORMAT,
                         st.enabled ? "adaptive" : "fixed", st.target_kbps, st.current_kbps,
                         st.min_kbps, st.max_kbps, st.changes);
  append_nullable(out, "limited_by", st.limited_by);
  append_nullable(out, "interface", st.interface);
  g_string_append_c(out, '}');
  sc_adaptive_status_clear(&st);
  return g_string_free(out, FALSE);
}

char *
sc_adaptive_destination_json(ScAdaptive *self, ScOutput *output)
{
  for (guint i = 0; i < self->dests->len; i++) {
    if (((Dest *)g_ptr_array_index(self->dests, i))->output != output)
      continue;
    ScAdaptiveDestination d;
    sc_adaptive_get_destination(self, i, &d);
    return g_strdup_printf(
        "{\"adaptive\":%s,\"state\":\"%s\",\"proposal_kbps\":%u,\"queue_ms\":%u,"
        "\"throughput_kbps\":%u,\"rtt_ms\":%u,\"frames_dropped\":%" G_GUINT64_FORMAT
        ",\"gops_dropped\":%" G_GUINT64_FORMAT "}",
        d.adaptive ? "true" : "false", sc_rate_state_name(d.state), d.proposal_kbps, d.queue_ms,
        d.throughput_kbps, d.rtt_ms, d.frames_dropped, d.gops_dropped);
  }
  return NULL;
}
