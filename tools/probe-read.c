/* probe-read.c - libavformat input for shopcast-probe. */
#include "tools/probe-read.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <math.h>

GQuark
sc_probe_read_error_quark(void)
{
  return g_quark_from_static_string("sc-probe-read-error-quark");
}

/* A live stream's parameters arrive in its first packets (the sequence
 * headers), so the analysis normally ends at once; these bounds only matter
 * when something is missing (audio announced but never sent) and keep the
 * start short then, while still long enough for the decoder to meet a
 * keyframe at a 4 s keyframe interval. */
#define PROBE_SIZE_BYTES    4000000
#define ANALYZE_DURATION_US 4000000

/* Gives up when no input byte arrives for idle_us: libav calls it while it
 * waits (connecting, reading), and every byte that arrives starts the wait
 * over, so a slow but steady stream is never cut off. */
typedef struct {
  AVFormatContext *fmt; /* NULL until the input is open */
  gint64 idle_us, deadline_us, last_pos;
  gboolean expired;
} Watchdog;

typedef struct {
  const ScProbeReadOptions *options;
  AVFormatContext *fmt;
  Watchdog watchdog;
  int video_index, audio_index;
  ScProbeTrack *video, *audio;
  gint64 last_media_us; /* when the last audio or video packet came */
} Reader;

static int
watchdog_expired(void *data)
{
  Watchdog *w = data;
  gint64 now = g_get_monotonic_time();
  AVIOContext *pb = w->fmt ? w->fmt->pb : NULL;
  if (pb && pb->pos != w->last_pos) {
    w->last_pos = pb->pos;
    w->deadline_us = now + w->idle_us;
  }
  w->expired = now > w->deadline_us;
  return w->expired;
}

static void
watchdog_feed(Watchdog *w)
{
  w->deadline_us = g_get_monotonic_time() + w->idle_us;
}

static gboolean
fail(Reader *r, GError **error, ScProbeReadError code, const char *what, int averror)
{
  char why[AV_ERROR_MAX_STRING_SIZE];
  if (r->watchdog.expired)
    g_set_error(error, SC_PROBE_READ_ERROR, SC_PROBE_READ_ERROR_TIMEOUT, "nothing arrived for %g s",
                r->options->timeout_s);
  else if (av_strerror(averror, why, sizeof why) == 0)
    g_set_error(error, SC_PROBE_READ_ERROR, code, "%s: %s", what, why);
  else
    g_set_error(error, SC_PROBE_READ_ERROR, code, "%s: error %d", what, averror);
  return FALSE;
}

static AVDictionary *
input_options(const ScProbeReadOptions *o)
{
  AVDictionary *opts = NULL;
  /* for protocols that block without asking the interrupt callback */
  av_dict_set_int(&opts, "rw_timeout", (int64_t)(o->timeout_s * G_USEC_PER_SEC), 0);
  av_dict_set_int(&opts, "probesize", PROBE_SIZE_BYTES, 0);
  av_dict_set_int(&opts, "analyzeduration", ANALYZE_DURATION_US, 0);
  /* what a viewer gets: the live stream, never a recording of the same name */
  av_dict_set(&opts, "rtmp_live", "live", 0);
  return opts;
}

static gboolean
open_input(Reader *r, GError **error)
{
  r->fmt = avformat_alloc_context();
  if (r->fmt == NULL)
    return fail(r, error, SC_PROBE_READ_ERROR_OPEN, "cannot open", AVERROR(ENOMEM));
  r->fmt->interrupt_callback = (AVIOInterruptCB){watchdog_expired, &r->watchdog};
  r->watchdog.fmt = r->fmt;
  watchdog_feed(&r->watchdog);
  AVDictionary *opts = input_options(r->options);
  int err = avformat_open_input(&r->fmt, r->options->source, NULL, &opts);
  av_dict_free(&opts);
  r->watchdog.fmt = r->fmt; /* freed and NULL after a failure */
  if (err < 0)
    return fail(r, error, SC_PROBE_READ_ERROR_OPEN, "cannot open", err);
  err = avformat_find_stream_info(r->fmt, NULL);
  if (err < 0)
    return fail(r, error, SC_PROBE_READ_ERROR_OPEN, "cannot find its streams", err);
  return TRUE;
}

/* Takes stream @index as the video or audio track unless that kind has one. */
static void
adopt_stream(Reader *r, int index)
{
  AVStream *st = r->fmt->streams[index];
  enum AVMediaType type = st->codecpar->codec_type;
  if (type == AVMEDIA_TYPE_VIDEO && r->video == NULL &&
      !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
    r->video_index = index;
    r->video = sc_probe_track_new(st->time_base);
  } else if (type == AVMEDIA_TYPE_AUDIO && r->audio == NULL) {
    r->audio_index = index;
    r->audio = sc_probe_track_new(st->time_base);
  }
}

static void
find_tracks(Reader *r)
{
  int video = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  int audio = av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (video >= 0)
    adopt_stream(r, video);
  if (audio >= 0)
    adopt_stream(r, audio);
}

/* The track for a packet of stream @index; a stream that shows up only after
 * the analysis (audio that starts late on a live stream) is taken when its
 * kind has no track yet. */
static ScProbeTrack *
track_for(Reader *r, int index)
{
  if (index < 0 || (unsigned)index >= r->fmt->nb_streams)
    return NULL;
  if (index != r->video_index && index != r->audio_index)
    adopt_stream(r, index);
  return index == r->video_index ? r->video : index == r->audio_index ? r->audio : NULL;
}

static double
elapsed(const Reader *r)
{
  double v = r->video ? sc_probe_track_elapsed(r->video) : 0;
  double a = r->audio ? sc_probe_track_elapsed(r->audio) : 0;
  return MAX(v, a);
}

/* Reads one packet into its track. Returns the libav error, or 0. */
static int
read_packet(Reader *r, AVPacket *pkt)
{
  watchdog_feed(&r->watchdog);
  int err = av_read_frame(r->fmt, pkt);
  if (err < 0)
    return err;
  gint64 now = g_get_monotonic_time();
  ScProbeTrack *track = track_for(r, pkt->stream_index);
  if (track) {
    sc_probe_track_add(track, pkt);
    r->last_media_us = now;
  } else if (now - r->last_media_us > r->watchdog.idle_us) {
    /* bytes keep coming, but no audio or video among them */
    r->watchdog.expired = TRUE;
    err = AVERROR(ETIMEDOUT);
  }
  av_packet_unref(pkt);
  return err;
}

static gboolean
read_packets(Reader *r, GError **error)
{
  AVPacket *pkt = av_packet_alloc();
  if (pkt == NULL)
    return fail(r, error, SC_PROBE_READ_ERROR_READ, "cannot read", AVERROR(ENOMEM));
  r->last_media_us = g_get_monotonic_time();
  int err = 0;
  while (err >= 0 && elapsed(r) < r->options->duration_s)
    err = read_packet(r, pkt);
  av_packet_free(&pkt);
  if (err < 0 && err != AVERROR_EOF)
    return fail(r, error, SC_PROBE_READ_ERROR_READ, "reading failed", err);
  return TRUE;
}

static guint64
media_packets(const Reader *r)
{
  return (r->video ? sc_probe_track_packets(r->video) : 0) +
         (r->audio ? sc_probe_track_packets(r->audio) : 0);
}

static void
describe_video(ScProbeReport *report, const AVStream *st, const ScProbeTrack *track)
{
  const AVCodecParameters *p = st->codecpar;
  ScProbeVideo *v = &report->video;
  report->has_video = TRUE;
  v->codec = avcodec_get_name(p->codec_id);
  v->profile = avcodec_profile_name(p->codec_id, p->profile);
  v->pix_fmt = av_get_pix_fmt_name(p->format);
  v->width = p->width;
  v->height = p->height;
  /* the declared rate is the nominal one; a timestamp jump would skew a measured one */
  AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  double nominal = rate.num > 0 && rate.den > 0 ? av_q2d(av_inv_q(rate)) : 0;
  sc_probe_track_stats(track, nominal, &v->stats); /* 0: 1 / measured fps */
  v->bframes = v->stats.reordered || p->video_delay > 0;
}

static void
describe_audio(ScProbeReport *report, const AVStream *st, const ScProbeTrack *track)
{
  const AVCodecParameters *p = st->codecpar;
  ScProbeAudio *a = &report->audio;
  report->has_audio = TRUE;
  a->codec = avcodec_get_name(p->codec_id);
  a->profile = avcodec_profile_name(p->codec_id, p->profile);
  a->sample_rate = p->sample_rate;
  a->channels = p->ch_layout.nb_channels;
  /* unknown frame size: 0 lets the track use its measured packet rate */
  double nominal =
      p->frame_size > 0 && p->sample_rate > 0 ? (double)p->frame_size / p->sample_rate : 0;
  sc_probe_track_stats(track, nominal, &a->stats);
}

static void
describe(const Reader *r, ScProbeReport *report)
{
  if (r->video && sc_probe_track_packets(r->video))
    describe_video(report, r->fmt->streams[r->video_index], r->video);
  if (r->audio && sc_probe_track_packets(r->audio))
    describe_audio(report, r->fmt->streams[r->audio_index], r->audio);
  report->drift_ms = NAN;
  if (report->has_video && report->has_audio)
    report->drift_ms = (report->video.stats.end_s - report->audio.stats.end_s) * 1000;
  report->duration_s = elapsed(r);
}

/* Opens and reads; FALSE unless some audio or video arrived. A failure after
 * that ends the reading early and goes to @late_error. */
static gboolean
read_media(Reader *r, char **late_error, GError **error)
{
  if (!open_input(r, error))
    return FALSE;
  find_tracks(r);
  g_autoptr(GError) read_error = NULL;
  gboolean read_ok = read_packets(r, &read_error);
  if (media_packets(r) == 0 && read_ok)
    g_set_error(error, SC_PROBE_READ_ERROR, SC_PROBE_READ_ERROR_EMPTY,
                "no audio or video packets in it");
  else if (media_packets(r) == 0)
    g_propagate_error(error, g_steal_pointer(&read_error));
  else if (read_error)
    *late_error = g_strdup(read_error->message);
  return media_packets(r) > 0;
}

gboolean
sc_probe_read(const ScProbeReadOptions *options, ScProbeReport *report, GError **error)
{
  Reader r = {.options = options, .video_index = -1, .audio_index = -1};
  r.watchdog.idle_us = (gint64)(options->timeout_s * G_USEC_PER_SEC);
  *report = (ScProbeReport){.drift_ms = NAN};
  gboolean ok = read_media(&r, &report->error, error);
  if (ok)
    describe(&r, report);
  sc_probe_track_free(r.video);
  sc_probe_track_free(r.audio);
  /* closing frees the context before the connection, whose goodbye still
   * asks the watchdog: it must not look at the context then */
  r.watchdog.fmt = NULL;
  watchdog_feed(&r.watchdog);
  avformat_close_input(&r.fmt);
  return ok;
}

void
sc_probe_report_clear(ScProbeReport *report)
{
  g_clear_pointer(&report->error, g_free);
}
