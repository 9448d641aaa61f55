/* shopcast-probe: reads an RTMP stream or a file for a while and reports, as
 * JSON, what a platform would see. With --expect-* options it also checks the
 * stream and exits 1, naming each expectation that failed.
 *
 * Definitions (per stream, from packet timestamps):
 *   fps             (video frames - 1) / (last PTS - first PTS)
 *   keyint_s        median interval between keyframe PTS; keyint_max_s the largest
 *   bitrate_kbps    payload bytes * 8 / the stream's media duration
 *   bframes         a packet's PTS lower than an earlier one (reordering), or the
 *                   decoder reports a reorder delay
 *   gap             consecutive packets whose DTS differ by more than twice the
 *                   nominal packet duration (video 1/fps, audio frame_size/rate)
 *   non_monotonic   packets whose DTS goes backwards
 *   av_drift_ms     end of the last video packet - end of the last audio packet
 * Measuring starts at the first packet, so a stream joined mid-way measures right.
 */
#include "pipeline/rtmp-url.h"
#include "sc-build-config.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_EXPECTATION = 1, EXIT_UNREADABLE = 2, EXIT_USAGE = 64 };

typedef struct {
  int index;
  AVRational tb;
  gint64 first_pts, last_pts, last_end, last_dts, max_pts;
  guint64 packets, bytes, keyframes, gaps, non_monotonic;
  double nominal_s, max_gap_s;
  gboolean reordered;
  GArray *keyframe_pts; /* double seconds */
} Track;

typedef struct {
  char *video_codec, *profile, *pix_fmt, *audio_codec, *audio_profile;
  double width, height, fps, keyint, video_kbps, audio_kbps, audio_rate, audio_channels, max_drift,
      min_frames;
  gboolean no_bframes, no_gaps, monotonic;
} Expect;

typedef struct {
  double duration_s, timeout_s;
  Expect expect;
  const char *source;
} Options;

/* ---- reading ---- */

typedef struct {
  gint64 deadline; /* monotonic µs; reading gives up after it */
} Watchdog;

static int
interrupt_cb(void *data)
{
  Watchdog *w = data;
  return g_get_monotonic_time() > w->deadline;
}

static void
track_init(Track *t, int index, AVStream *st, double nominal_s)
{
  t->index = index;
  t->tb = st->time_base;
  t->first_pts = t->last_dts = t->max_pts = AV_NOPTS_VALUE;
  t->nominal_s = nominal_s;
  t->keyframe_pts = g_array_new(FALSE, FALSE, sizeof(double));
}

static double
secs(const Track *t, gint64 ts)
{
  return ts * av_q2d(t->tb);
}

static void
track_packet(Track *t, const AVPacket *pkt)
{
  gint64 pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  gint64 dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pts;
  if (pts == AV_NOPTS_VALUE)
    return;
  if (t->first_pts == AV_NOPTS_VALUE)
    t->first_pts = pts;
  if (t->max_pts != AV_NOPTS_VALUE && pts < t->max_pts)
    t->reordered = TRUE;
  t->max_pts = t->max_pts == AV_NOPTS_VALUE ? pts : MAX(t->max_pts, pts);
  if (t->last_dts != AV_NOPTS_VALUE) {
    double step = secs(t, dts - t->last_dts);
    if (dts < t->last_dts)
      t->non_monotonic++;
    else if (t->nominal_s > 0 && step > 2 * t->nominal_s)
      t->gaps++;
    t->max_gap_s = MAX(t->max_gap_s, step);
  }
  t->last_dts = dts;
  t->last_pts = MAX(t->last_pts == AV_NOPTS_VALUE ? pts : t->last_pts, pts);
  t->last_end = MAX(t->last_end, pts + pkt->duration);
  t->packets++;
  t->bytes += pkt->size;
  if (pkt->flags & AV_PKT_FLAG_KEY) {
    t->keyframes++;
    double at = secs(t, pts);
    g_array_append_val(t->keyframe_pts, at);
  }
}

static double
track_elapsed(const Track *t)
{
  return t->packets ? secs(t, t->last_pts - t->first_pts) : 0;
}

static double
video_nominal(AVStream *st)
{
  AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
  return rate.num && rate.den ? av_q2d(av_inv_q(rate)) : 0;
}

static double
audio_nominal(AVStream *st)
{
  int frame = st->codecpar->frame_size > 0 ? st->codecpar->frame_size : 1024;
  return st->codecpar->sample_rate > 0 ? (double)frame / st->codecpar->sample_rate : 0;
}

static int
open_input(const Options *o, AVFormatContext **fmt, Watchdog *w)
{
  *fmt = avformat_alloc_context();
  (*fmt)->interrupt_callback = (AVIOInterruptCB){interrupt_cb, w};
  AVDictionary *opts = NULL;
  g_autofree char *rw = g_strdup_printf("%.0f", o->timeout_s * 1e6);
  av_dict_set(&opts, "rw_timeout", rw, 0);
  av_dict_set(&opts, "rtmp_live", "live", 0);
  av_dict_set(&opts, "probesize", "1000000", 0);
  av_dict_set(&opts, "analyzeduration", "3000000", 0);
  int err = avformat_open_input(fmt, o->source, NULL, &opts);
  av_dict_free(&opts);
  if (err >= 0)
    err = avformat_find_stream_info(*fmt, NULL);
  return err;
}

/* Reads packets until @duration_s of media, the end, or @timeout_s without data. */
static int
read_tracks(const Options *o, AVFormatContext *fmt, Watchdog *w, Track *video, Track *audio)
{
  AVPacket *pkt = av_packet_alloc();
  int err = 0;
  for (;;) {
    w->deadline = g_get_monotonic_time() + (gint64)(o->timeout_s * G_USEC_PER_SEC);
    err = av_read_frame(fmt, pkt);
    if (err < 0)
      break;
    Track *t = pkt->stream_index == video->index   ? video
               : pkt->stream_index == audio->index ? audio
                                                   : NULL;
    if (t)
      track_packet(t, pkt);
    av_packet_unref(pkt);
    if (MAX(track_elapsed(video), track_elapsed(audio)) >= o->duration_s)
      break;
  }
  av_packet_free(&pkt);
  return err == AVERROR_EOF || err >= 0 ? 0 : err;
}

/* ---- what was seen ---- */

typedef struct {
  gboolean has_video, has_audio;
  const char *video_codec, *profile, *pix_fmt, *audio_codec, *audio_profile;
  int width, height, audio_rate, audio_channels;
  double fps, keyint, keyint_max, video_kbps, audio_kbps, drift_ms, duration_s;
  guint64 frames, keyframes, audio_frames;
  gboolean bframes;
  Track *video, *audio;
} Report;

static int
compare_doubles(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void
keyframe_intervals(const Track *t, double *median, double *max)
{
  guint n = t->keyframe_pts->len;
  *median = *max = 0;
  if (n < 2)
    return;
  g_autoptr(GArray) steps = g_array_sized_new(FALSE, FALSE, sizeof(double), n - 1);
  for (guint i = 1; i < n; i++) {
    double step =
        g_array_index(t->keyframe_pts, double, i) - g_array_index(t->keyframe_pts, double, i - 1);
    g_array_append_val(steps, step);
    *max = MAX(*max, step);
  }
  g_array_sort(steps, compare_doubles);
  *median = g_array_index(steps, double, steps->len / 2);
}

static double
kbps(const Track *t)
{
  double span = secs(t, t->last_end - t->first_pts);
  return span > 0 ? t->bytes * 8 / span / 1000 : 0;
}

static void
describe_video(Report *r, AVStream *st, Track *t)
{
  AVCodecParameters *p = st->codecpar;
  r->has_video = TRUE;
  r->video_codec = avcodec_get_name(p->codec_id);
  r->profile = avcodec_profile_name(p->codec_id, p->profile);
  r->pix_fmt = av_get_pix_fmt_name(p->format);
  r->width = p->width;
  r->height = p->height;
  r->frames = t->packets;
  r->keyframes = t->keyframes;
  double span = secs(t, t->last_pts - t->first_pts);
  r->fps = t->packets > 1 && span > 0 ? (t->packets - 1) / span : 0;
  keyframe_intervals(t, &r->keyint, &r->keyint_max);
  r->bframes = t->reordered || p->video_delay > 0;
  r->video_kbps = kbps(t);
}

static void
describe_audio(Report *r, AVStream *st, Track *t)
{
  AVCodecParameters *p = st->codecpar;
  r->has_audio = TRUE;
  r->audio_codec = avcodec_get_name(p->codec_id);
  r->audio_profile = avcodec_profile_name(p->codec_id, p->profile);
  r->audio_rate = p->sample_rate;
  r->audio_channels = p->ch_layout.nb_channels;
  r->audio_frames = t->packets;
  r->audio_kbps = kbps(t);
}

/* ---- JSON ---- */

static void
json_string(GString *out, const char *s)
{
  if (s == NULL) {
    g_string_append(out, "null");
    return;
  }
  g_string_append_c(out, '"');
  for (const guchar *p = (const guchar *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf(out, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf(out, "\\u%04x", *p);
    else
      g_string_append_c(out, *p);
  }
  g_string_append_c(out, '"');
}

static void
json_key(GString *out, const char *key)
{
  g_string_append(out, out->len && out->str[out->len - 1] != '{' ? ", " : "");
  json_string(out, key);
  g_string_append(out, ": ");
}

static void
json_num(GString *out, const char *key, double v)
{
  json_key(out, key);
  g_string_append_printf(out, v == floor(v) && fabs(v) < 1e15 ? "%.0f" : "%.3f", v);
}

static void
json_str(GString *out, const char *key, const char *v)
{
  json_key(out, key);
  json_string(out, v);
}

static void
json_bool(GString *out, const char *key, gboolean v)
{
  json_key(out, key);
  g_string_append(out, v ? "true" : "false");
}

static void
json_video(GString *out, const Report *r)
{
  json_key(out, "video");
  if (!r->has_video) {
    g_string_append(out, "null");
    return;
  }
  g_string_append_c(out, '{');
  json_str(out, "codec", r->video_codec);
  json_str(out, "profile", r->profile);
  json_str(out, "pix_fmt", r->pix_fmt);
  json_num(out, "width", r->width);
  json_num(out, "height", r->height);
  json_num(out, "fps", round(r->fps * 100) / 100);
  json_num(out, "frames", r->frames);
  json_num(out, "keyframes", r->keyframes);
  json_num(out, "keyint_s", r->keyint);
  json_num(out, "keyint_max_s", r->keyint_max);
  json_bool(out, "bframes", r->bframes);
  json_num(out, "bitrate_kbps", round(r->video_kbps));
  g_string_append_c(out, '}');
}

static void
json_audio(GString *out, const Report *r)
{
  json_key(out, "audio");
  if (!r->has_audio) {
    g_string_append(out, "null");
    return;
  }
  g_string_append_c(out, '{');
  json_str(out, "codec", r->audio_codec);
  json_str(out, "profile", r->audio_profile);
  json_num(out, "sample_rate", r->audio_rate);
  json_num(out, "channels", r->audio_channels);
  json_num(out, "frames", r->audio_frames);
  json_num(out, "bitrate_kbps", round(r->audio_kbps));
  g_string_append_c(out, '}');
}

static void
json_timing(GString *out, const Report *r)
{
  json_key(out, "timing");
  g_string_append_c(out, '{');
  json_num(out, "av_drift_ms", round(r->drift_ms * 10) / 10);
  json_num(out, "video_gaps", r->video->gaps);
  json_num(out, "audio_gaps", r->audio->gaps);
  json_num(out, "max_video_gap_ms", round(r->video->max_gap_s * 10000) / 10);
  json_num(out, "max_audio_gap_ms", round(r->audio->max_gap_s * 10000) / 10);
  json_num(out, "non_monotonic", r->video->non_monotonic + r->audio->non_monotonic);
  g_string_append_c(out, '}');
}

/* ---- expectations ---- */

typedef struct {
  char *name, *expected, *actual;
  gboolean ok;
} Check;

static void
check_free(gpointer p)
{
  Check *c = p;
  g_free(c->name);
  g_free(c->expected);
  g_free(c->actual);
  g_free(c);
}

static void
add_check(GPtrArray *checks, const char *name, char *expected, char *actual, gboolean ok)
{
  Check *c = g_new0(Check, 1);
  c->name = g_strdup(name);
  c->expected = expected;
  c->actual = actual;
  c->ok = ok;
  g_ptr_array_add(checks, c);
}

static void
check_str(GPtrArray *checks, const char *name, const char *want, const char *got)
{
  if (want)
    add_check(checks, name, g_strdup(want), g_strdup(got ? got : "none"),
              got && g_ascii_strcasecmp(want, got) == 0);
}

/* @tolerance is absolute. NAN @want means "not asked". */
static void
check_num(GPtrArray *checks, const char *name, double want, double got, double tolerance)
{
  if (!isnan(want))
    add_check(checks, name, g_strdup_printf("%g", want),
              g_strdup_printf("%g", round(got * 1000) / 1000),
              fabs(got - want) <= tolerance + 1e-9);
}

static void
check_flag(GPtrArray *checks, const char *name, gboolean asked, const char *want, const char *got,
           gboolean ok)
{
  if (asked)
    add_check(checks, name, g_strdup(want), g_strdup(got), ok);
}

static void
run_checks(const Expect *e, const Report *r, GPtrArray *checks)
{
  check_str(checks, "video_codec", e->video_codec, r->has_video ? r->video_codec : NULL);
  check_str(checks, "profile", e->profile, r->has_video ? r->profile : NULL);
  check_str(checks, "pix_fmt", e->pix_fmt, r->has_video ? r->pix_fmt : NULL);
  check_num(checks, "width", e->width, r->width, 0);
  check_num(checks, "height", e->height, r->height, 0);
  check_num(checks, "fps", e->fps, r->fps, e->fps * 0.02);
  double frame = r->fps > 0 ? 1 / r->fps : 0;
  check_num(checks, "keyint", e->keyint, r->keyint, MAX(e->keyint * 0.1, frame));
  check_flag(checks, "bframes", e->no_bframes, "false", r->bframes ? "true" : "false", !r->bframes);
  check_num(checks, "video_bitrate_kbps", e->video_kbps, r->video_kbps, e->video_kbps * 0.25);
  check_num(checks, "min_frames", e->min_frames, MIN((double)r->frames, e->min_frames), 0);
  check_str(checks, "audio_codec", e->audio_codec, r->has_audio ? r->audio_codec : NULL);
  check_str(checks, "audio_profile", e->audio_profile, r->has_audio ? r->audio_profile : NULL);
  check_num(checks, "audio_rate", e->audio_rate, r->audio_rate, 0);
  check_num(checks, "audio_channels", e->audio_channels, r->audio_channels, 0);
  check_num(checks, "audio_bitrate_kbps", e->audio_kbps, r->audio_kbps, e->audio_kbps * 0.25);
  check_num(checks, "max_drift_ms", e->max_drift, MIN(fabs(r->drift_ms), e->max_drift),
            e->max_drift);
  guint64 gaps = r->video->gaps + r->audio->gaps;
  g_autofree char *gap_text = g_strdup_printf("%" G_GUINT64_FORMAT, gaps);
  check_flag(checks, "gaps", e->no_gaps, "0", gap_text, gaps == 0);
  guint64 back = r->video->non_monotonic + r->audio->non_monotonic;
  g_autofree char *back_text = g_strdup_printf("%" G_GUINT64_FORMAT, back);
  check_flag(checks, "non_monotonic", e->monotonic, "0", back_text, back == 0);
}

static void
json_checks(GString *out, GPtrArray *checks)
{
  json_key(out, "checks");
  g_string_append_c(out, '[');
  for (guint i = 0; i < checks->len; i++) {
    Check *c = g_ptr_array_index(checks, i);
    g_string_append(out, i ? ", {" : "{");
    json_str(out, "name", c->name);
    json_str(out, "expected", c->expected);
    json_str(out, "actual", c->actual);
    json_bool(out, "ok", c->ok);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

/* ---- the command line ---- */

/* The last path element of an RTMP URL is the stream key: show it masked. */
static char *
masked_source(const char *source)
{
  if (!g_str_has_prefix(source, "rtmp://") && !g_str_has_prefix(source, "rtmps://"))
    return g_strdup(source);
  const char *slash = strrchr(source, '/');
  g_autofree char *masked = sc_rtmp_url_mask_key(slash + 1);
  return g_strdup_printf("%.*s/%s", (int)(slash - source), source, masked);
}

static gboolean
parse_number(const char *option, const char *text, double *value, GError **error)
{
  if (text == NULL)
    return TRUE;
  char *end = NULL;
  double v = g_ascii_strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !isfinite(v) || v < 0) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "%s: '%s' is not a number (expected e.g. %s 1280)", option, text, option);
    return FALSE;
  }
  *value = v;
  return TRUE;
}

typedef struct {
  char *duration, *timeout, *width, *height, *fps, *keyint, *vkbps, *akbps, *rate, *channels,
      *drift, *min_frames;
} NumberArgs;

static gboolean
parse_numbers(NumberArgs *a, Options *o, GError **error)
{
  Expect *e = &o->expect;
  return parse_number("--duration", a->duration, &o->duration_s, error) &&
         parse_number("--timeout", a->timeout, &o->timeout_s, error) &&
         parse_number("--expect-width", a->width, &e->width, error) &&
         parse_number("--expect-height", a->height, &e->height, error) &&
         parse_number("--expect-fps", a->fps, &e->fps, error) &&
         parse_number("--expect-keyint", a->keyint, &e->keyint, error) &&
         parse_number("--expect-video-bitrate", a->vkbps, &e->video_kbps, error) &&
         parse_number("--expect-audio-bitrate", a->akbps, &e->audio_kbps, error) &&
         parse_number("--expect-audio-rate", a->rate, &e->audio_rate, error) &&
         parse_number("--expect-audio-channels", a->channels, &e->audio_channels, error) &&
         parse_number("--expect-max-drift", a->drift, &e->max_drift, error) &&
         parse_number("--expect-min-frames", a->min_frames, &e->min_frames, error);
}

static int
parse_options(int argc, char **argv, Options *o, NumberArgs *a, gboolean *version)
{
  Expect *e = &o->expect;
  GOptionEntry entries[] = {
      {"duration", 0, 0, G_OPTION_ARG_STRING, &a->duration, "Seconds of media to read (default 10)",
       "S"},
      {"timeout", 0, 0, G_OPTION_ARG_STRING, &a->timeout,
       "Give up after this long without data (default 10)", "S"},
      {"expect-video-codec", 0, 0, G_OPTION_ARG_STRING, &e->video_codec, "Video codec, e.g. h264",
       "NAME"},
      {"expect-profile", 0, 0, G_OPTION_ARG_STRING, &e->profile,
       "H.264 profile: baseline, main, high", "NAME"},
      {"expect-pix-fmt", 0, 0, G_OPTION_ARG_STRING, &e->pix_fmt, "Pixel format, e.g. yuv420p",
       "NAME"},
      {"expect-width", 0, 0, G_OPTION_ARG_STRING, &a->width, "Width in pixels", "N"},
      {"expect-height", 0, 0, G_OPTION_ARG_STRING, &a->height, "Height in pixels", "N"},
      {"expect-fps", 0, 0, G_OPTION_ARG_STRING, &a->fps, "Frame rate, within 2%", "N"},
      {"expect-keyint", 0, 0, G_OPTION_ARG_STRING, &a->keyint,
       "Keyframe interval in seconds, within 10% or a frame", "S"},
      {"expect-no-bframes", 0, 0, G_OPTION_ARG_NONE, &e->no_bframes, "No B-frames (no reordering)",
       NULL},
      {"expect-video-bitrate", 0, 0, G_OPTION_ARG_STRING, &a->vkbps,
       "Video bitrate in kb/s, within 25%", "KBPS"},
      {"expect-min-frames", 0, 0, G_OPTION_ARG_STRING, &a->min_frames,
       "At least this many video frames", "N"},
      {"expect-audio-codec", 0, 0, G_OPTION_ARG_STRING, &e->audio_codec, "Audio codec, e.g. aac",
       "NAME"},
      {"expect-audio-profile", 0, 0, G_OPTION_ARG_STRING, &e->audio_profile,
       "Audio profile, e.g. LC", "NAME"},
      {"expect-audio-rate", 0, 0, G_OPTION_ARG_STRING, &a->rate, "Sample rate in Hz", "HZ"},
      {"expect-audio-channels", 0, 0, G_OPTION_ARG_STRING, &a->channels, "Audio channels", "N"},
      {"expect-audio-bitrate", 0, 0, G_OPTION_ARG_STRING, &a->akbps,
       "Audio bitrate in kb/s, within 25%", "KBPS"},
      {"expect-max-drift", 0, 0, G_OPTION_ARG_STRING, &a->drift,
       "Largest |audio/video drift| at the end, ms", "MS"},
      {"expect-no-gaps", 0, 0, G_OPTION_ARG_NONE, &e->no_gaps, "No timestamp gaps", NULL},
      {"expect-monotonic", 0, 0, G_OPTION_ARG_NONE, &e->monotonic, "No timestamps going backwards",
       NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, version, "Print the version and exit", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("URL-OR-FILE - what a platform would see in a stream");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(ctx,
                                   "Exit status: 0 all expectations met, 1 an expectation failed, "
                                   "2 the stream could not be read, 64 usage error.");
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || !parse_numbers(a, o, &error)) {
    fprintf(stderr, "shopcast-probe: %s\n", error->message);
    return EXIT_USAGE;
  }
  if (*version)
    return EXIT_OK;
  if (argc != 2) {
    fprintf(stderr, "shopcast-probe: give one URL or file to read (see --help)\n");
    return EXIT_USAGE;
  }
  o->source = argv[1];
  return EXIT_OK;
}

/* ---- the probe ---- */

static void
find_tracks(AVFormatContext *fmt, Track *video, Track *audio)
{
  video->index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  audio->index = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (video->index >= 0)
    track_init(video, video->index, fmt->streams[video->index],
               video_nominal(fmt->streams[video->index]));
  if (audio->index >= 0)
    track_init(audio, audio->index, fmt->streams[audio->index],
               audio_nominal(fmt->streams[audio->index]));
}

static void
build_report(AVFormatContext *fmt, Track *video, Track *audio, Report *r)
{
  r->video = video;
  r->audio = audio;
  if (video->index >= 0 && video->packets)
    describe_video(r, fmt->streams[video->index], video);
  if (audio->index >= 0 && audio->packets)
    describe_audio(r, fmt->streams[audio->index], audio);
  if (r->has_video && r->has_audio)
    r->drift_ms = (secs(video, video->last_end) - secs(audio, audio->last_end)) * 1000;
  r->duration_s = MAX(track_elapsed(video), track_elapsed(audio));
}

static int
report(const Options *o, const Report *r)
{
  g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func(check_free);
  run_checks(&o->expect, r, checks);
  gboolean ok = TRUE;
  for (guint i = 0; i < checks->len; i++) {
    Check *c = g_ptr_array_index(checks, i);
    if (!c->ok)
      fprintf(stderr, "shopcast-probe: expectation failed: %s: expected %s, got %s\n", c->name,
              c->expected, c->actual);
    ok = ok && c->ok;
  }
  g_autofree char *source = masked_source(o->source);
  GString *out = g_string_new("{");
  json_str(out, "source", source);
  json_num(out, "duration_s", round(r->duration_s * 100) / 100);
  json_video(out, r);
  json_audio(out, r);
  json_timing(out, r);
  json_checks(out, checks);
  json_bool(out, "ok", ok);
  g_string_append(out, "}\n");
  fputs(out->str, stdout);
  g_string_free(out, TRUE);
  return ok ? EXIT_OK : EXIT_EXPECTATION;
}

static int
probe(const Options *o)
{
  Watchdog w = {.deadline = g_get_monotonic_time() + (gint64)(o->timeout_s * G_USEC_PER_SEC)};
  AVFormatContext *fmt = NULL;
  Track video = {.index = -1}, audio = {.index = -1};
  int err = open_input(o, &fmt, &w);
  if (err >= 0) {
    find_tracks(fmt, &video, &audio);
    err = read_tracks(o, fmt, &w, &video, &audio);
  }
  int status;
  g_autofree char *source = masked_source(o->source);
  if (err < 0 || (video.packets == 0 && audio.packets == 0)) {
    char why[AV_ERROR_MAX_STRING_SIZE] = "no audio or video packets";
    if (err < 0)
      av_strerror(err, why, sizeof why);
    fprintf(stderr, "shopcast-probe: cannot read %s: %s\n", source,
            err == AVERROR_EXIT ? "nothing arrived before the timeout" : why);
    status = EXIT_UNREADABLE;
  } else {
    Report r = {0};
    build_report(fmt, &video, &audio, &r);
    status = report(o, &r);
  }
  g_clear_pointer(&video.keyframe_pts, g_array_unref);
  g_clear_pointer(&audio.keyframe_pts, g_array_unref);
  avformat_close_input(&fmt);
  return status;
}

int
main(int argc, char **argv)
{
  Options o = {.duration_s = 10, .timeout_s = 10};
  Expect *e = &o.expect;
  e->width = e->height = e->fps = e->keyint = e->video_kbps = e->audio_kbps = NAN;
  e->audio_rate = e->audio_channels = e->max_drift = e->min_frames = NAN;
  NumberArgs args = {0};
  gboolean version = FALSE;
  int status = parse_options(argc, argv, &o, &args, &version);
  if (status == EXIT_OK && version)
    printf("shopcast-probe %s\n", SC_VERSION);
  else if (status == EXIT_OK) {
    av_log_set_level(AV_LOG_ERROR);
    avformat_network_init();
    status = probe(&o);
    avformat_network_deinit();
  }
  char **strings[] = {&args.duration,   &args.timeout,  &args.width, &args.height,
                      &args.fps,        &args.keyint,   &args.vkbps, &args.akbps,
                      &args.rate,       &args.channels, &args.drift, &args.min_frames,
                      &e->video_codec,  &e->profile,    &e->pix_fmt, &e->audio_codec,
                      &e->audio_profile};
  for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
    g_free(*strings[i]);
  return status;
}
