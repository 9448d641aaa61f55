/* probe-track.c - per-stream packet measurements for shopcast-probe. */
#include "tools/probe-track.h"

#include <libavutil/avutil.h>
#include <math.h>

struct _ScProbeTrack {
  AVRational time_base;
  guint64 packets, keyframes, bytes, timed, non_monotonic;
  gint64 first_pts, min_pts, max_pts;
  gint64 max_pts_duration; /* duration of the packet holding max_pts; 0 unknown */
  gint64 last_dts;
  /* The highest PTS since DTS last went backwards: a timestamp reset moves
   * DTS and PTS back together and must not read as B-frame reordering. */
  gint64 run_max_pts;
  gboolean reordered;
  GArray *dts_steps; /* double seconds: forward steps between consecutive DTS */
  GArray *key_pts;   /* double seconds, in arrival order */
};

ScProbeTrack *
sc_probe_track_new(AVRational time_base)
{
  ScProbeTrack *t = g_new0(ScProbeTrack, 1);
  t->time_base = time_base;
  t->dts_steps = g_array_new(FALSE, FALSE, sizeof(double));
  t->key_pts = g_array_new(FALSE, FALSE, sizeof(double));
  return t;
}

void
sc_probe_track_free(ScProbeTrack *track)
{
  if (track == NULL)
    return;
  g_array_unref(track->dts_steps);
  g_array_unref(track->key_pts);
  g_free(track);
}

static double
secs(const ScProbeTrack *t, gint64 ts)
{
  return ts * av_q2d(t->time_base);
}

static void
add_first(ScProbeTrack *t, gint64 pts, gint64 duration)
{
  t->first_pts = t->min_pts = t->max_pts = t->run_max_pts = pts;
  t->max_pts_duration = duration;
}

static void
add_next(ScProbeTrack *t, gint64 pts, gint64 dts, gint64 duration)
{
  if (dts < t->last_dts) {
    t->non_monotonic++;
    t->run_max_pts = pts;
  } else {
    double step = secs(t, dts - t->last_dts);
    g_array_append_val(t->dts_steps, step);
    t->reordered = t->reordered || pts < t->run_max_pts;
    t->run_max_pts = MAX(t->run_max_pts, pts);
  }
  t->min_pts = MIN(t->min_pts, pts);
  if (pts >= t->max_pts) {
    t->max_pts = pts;
    t->max_pts_duration = duration;
  }
}

void
sc_probe_track_add(ScProbeTrack *track, const AVPacket *packet)
{
  track->packets++;
  track->bytes += packet->size;
  if (packet->flags & AV_PKT_FLAG_KEY)
    track->keyframes++;
  gint64 pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
  gint64 dts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
  if (pts == AV_NOPTS_VALUE)
    return; /* counted, but nothing to time */
  gint64 duration = MAX(packet->duration, 0);
  if (track->timed == 0)
    add_first(track, pts, duration);
  else
    add_next(track, pts, dts, duration);
  track->last_dts = dts;
  track->timed++;
  if (packet->flags & AV_PKT_FLAG_KEY) {
    double at = secs(track, pts);
    g_array_append_val(track->key_pts, at);
  }
}

double
sc_probe_track_elapsed(const ScProbeTrack *track)
{
  return track->timed ? secs(track, track->max_pts - track->first_pts) : 0;
}

guint64
sc_probe_track_packets(const ScProbeTrack *track)
{
  return track->packets;
}

static int
compare_doubles(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median and maximum of the intervals between keyframes; an interval across
 * a timestamp reset (negative) says nothing about the GOP and is skipped. */
static void
keyframe_intervals(const ScProbeTrack *t, double *median, double *max)
{
  *median = *max = NAN;
  g_autoptr(GArray) steps = g_array_new(FALSE, FALSE, sizeof(double));
  for (guint i = 1; i < t->key_pts->len; i++) {
    double step = g_array_index(t->key_pts, double, i) - g_array_index(t->key_pts, double, i - 1);
    if (step > 0)
      g_array_append_val(steps, step);
  }
  guint n = steps->len;
  if (n == 0)
    return;
  g_array_sort(steps, compare_doubles);
  *max = g_array_index(steps, double, n - 1);
  double upper = g_array_index(steps, double, n / 2);
  *median = n % 2 ? upper : (upper + g_array_index(steps, double, n / 2 - 1)) / 2;
}

static void
count_gaps(const ScProbeTrack *t, double nominal_s, ScProbeTrackStats *out)
{
  for (guint i = 0; i < t->dts_steps->len; i++) {
    double step = g_array_index(t->dts_steps, double, i);
    out->max_gap_s = MAX(out->max_gap_s, step);
    if (nominal_s > 0 && step > 2 * nominal_s)
      out->gaps++;
  }
}

void
sc_probe_track_stats(const ScProbeTrack *track, double nominal_s, ScProbeTrackStats *out)
{
  const ScProbeTrack *t = track;
  *out = (ScProbeTrackStats){.packets = t->packets,
                             .keyframes = t->keyframes,
                             .bytes = t->bytes,
                             .non_monotonic = t->non_monotonic,
                             .reordered = t->reordered,
                             .elapsed_s = sc_probe_track_elapsed(t),
                             .fps = NAN,
                             .kbps = NAN,
                             .end_s = NAN};
  keyframe_intervals(t, &out->keyint_s, &out->keyint_max_s);
  double span = t->timed ? secs(t, t->max_pts - t->min_pts) : 0;
  if (t->timed > 1 && span > 0)
    out->fps = (t->timed - 1) / span;
  if (!(nominal_s > 0) && isfinite(out->fps))
    nominal_s = 1 / out->fps;
  count_gaps(t, nominal_s, out);
  if (t->timed == 0)
    return;
  double last = t->max_pts_duration > 0 ? secs(t, t->max_pts_duration) : nominal_s;
  out->end_s = secs(t, t->max_pts) + (last > 0 ? last : 0);
  double media = out->end_s - secs(t, t->min_pts);
  if (media > 0)
    out->kbps = t->bytes * 8 / media / 1000;
}
