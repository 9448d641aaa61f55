/* probe-check.c - expectations of shopcast-probe. */
#include "tools/probe-check.h"

#include "tools/probe-json.h"

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <math.h>

GQuark
sc_probe_expect_error_quark(void)
{
  return g_quark_from_static_string("sc-probe-expect-error-quark");
}

void
sc_probe_expect_init(ScProbeExpect *expect)
{
  *expect = (ScProbeExpect){0};
  double *numbers[] = {&expect->width,       &expect->height,         &expect->fps,
                       &expect->keyint_s,    &expect->video_kbps,     &expect->min_frames,
                       &expect->audio_rate,  &expect->audio_channels, &expect->audio_kbps,
                       &expect->max_drift_ms};
  for (gsize i = 0; i < G_N_ELEMENTS(numbers); i++)
    *numbers[i] = NAN;
}

void
sc_probe_expect_clear(ScProbeExpect *expect)
{
  g_clear_pointer(&expect->video_codec, g_free);
  g_clear_pointer(&expect->profile, g_free);
  g_clear_pointer(&expect->pix_fmt, g_free);
  g_clear_pointer(&expect->audio_codec, g_free);
  g_clear_pointer(&expect->audio_profile, g_free);
}

/* ---- validation ---- */

static const AVCodecDescriptor *
find_codec(const char *option, const char *name, enum AVMediaType type, GError **error)
{
  g_autofree char *lower = g_ascii_strdown(name, -1);
  const AVCodecDescriptor *desc = avcodec_descriptor_get_by_name(lower);
  if (desc && desc->type == type)
    return desc;
  g_set_error(error, SC_PROBE_EXPECT_ERROR, SC_PROBE_EXPECT_ERROR_UNKNOWN_NAME,
              "%s: '%s' is not a%s codec libavcodec knows (e.g. %s)", option, name,
              type == AVMEDIA_TYPE_VIDEO ? " video" : "n audio",
              type == AVMEDIA_TYPE_VIDEO ? "h264" : "aac");
  return NULL;
}

static gboolean
find_profile(const char *option, const AVCodecDescriptor *codec, const char *name, GError **error)
{
  g_autoptr(GString) known = g_string_new(NULL);
  for (const AVProfile *p = codec->profiles; p && p->profile != FF_PROFILE_UNKNOWN; p++) {
    if (g_ascii_strcasecmp(p->name, name) == 0)
      return TRUE;
    g_string_append_printf(known, "%s'%s'", known->len ? ", " : "", p->name);
  }
  g_set_error(error, SC_PROBE_EXPECT_ERROR, SC_PROBE_EXPECT_ERROR_UNKNOWN_NAME,
              "%s: '%s' is not a %s profile; libavcodec knows %s", option, name, codec->name,
              known->len ? known->str : "none");
  return FALSE;
}

static gboolean
validate_stream(const char *codec_option, const char *codec, const char *profile_option,
                const char *profile, enum AVMediaType type, GError **error)
{
  const char *fallback = type == AVMEDIA_TYPE_VIDEO ? "h264" : "aac";
  const AVCodecDescriptor *desc =
      find_codec(codec ? codec_option : "default codec", codec ? codec : fallback, type, error);
  return desc && (profile == NULL || find_profile(profile_option, desc, profile, error));
}

gboolean
sc_probe_expect_validate(const ScProbeExpect *expect, GError **error)
{
  const ScProbeExpect *e = expect;
  if (e->pix_fmt && av_get_pix_fmt(e->pix_fmt) == AV_PIX_FMT_NONE) {
    g_set_error(error, SC_PROBE_EXPECT_ERROR, SC_PROBE_EXPECT_ERROR_UNKNOWN_NAME,
                "--expect-pix-fmt: '%s' is not a pixel format libavutil knows (e.g. yuv420p)",
                e->pix_fmt);
    return FALSE;
  }
  return validate_stream("--expect-video-codec", e->video_codec, "--expect-profile", e->profile,
                         AVMEDIA_TYPE_VIDEO, error) &&
         validate_stream("--expect-audio-codec", e->audio_codec, "--expect-audio-profile",
                         e->audio_profile, AVMEDIA_TYPE_AUDIO, error);
}

/* ---- checks ---- */

static void
check_free(gpointer data)
{
  ScProbeCheck *c = data;
  g_free(c->name);
  g_free(c->expected);
  g_free(c->actual);
  g_free(c);
}

/* Takes @expected and @actual. */
static void
add(GPtrArray *checks, const char *name, char *expected, char *actual, gboolean ok)
{
  ScProbeCheck *c = g_new0(ScProbeCheck, 1);
  c->name = g_strdup(name);
  c->expected = expected;
  c->actual = actual;
  c->ok = ok;
  g_ptr_array_add(checks, c);
}

static gboolean
same_name(const char *want, const char *got)
{
  return got && g_ascii_strcasecmp(want, got) == 0;
}

static void
check_name(GPtrArray *checks, const char *name, const char *want, const char *got)
{
  if (want)
    add(checks, name, g_strdup(want), g_strdup(got ? got : "none"), same_name(want, got));
}

static void
check_profile(GPtrArray *checks, const char *want, const char *got)
{
  if (want == NULL)
    return;
  gboolean ok = same_name(want, got) ||
                (same_name(want, "Baseline") && same_name(got, "Constrained Baseline"));
  add(checks, "profile", g_strdup(want), g_strdup(got ? got : "none"), ok);
}

/* @tolerance: absolute; @note: how it is shown after the expected value. */
static void
check_near(GPtrArray *checks, const char *name, double want, double got, double tolerance,
           const char *note)
{
  if (isnan(want))
    return;
  g_autofree char *want_text = sc_probe_json_format_number(want, 3);
  char *expected = note ? g_strdup_printf("%s (%s)", want_text, note) : g_steal_pointer(&want_text);
  add(checks, name, expected, sc_probe_json_format_number(got, 3),
      isfinite(got) && fabs(got - want) <= tolerance + 1e-9);
}

static void
check_count(GPtrArray *checks, const char *name, gboolean asked, guint64 got, const char *detail)
{
  if (asked)
    add(checks, name, g_strdup("0"),
        g_strdup_printf("%" G_GUINT64_FORMAT "%s%s", got, detail ? " " : "", detail ? detail : ""),
        got == 0);
}

static const char *
flag_text(gboolean value)
{
  return value ? "true" : "false";
}

static void
check_keyint(GPtrArray *checks, double want, const ScProbeTrackStats *video)
{
  if (isnan(want))
    return;
  double fps = video ? video->fps : NAN;
  double frame = isfinite(fps) && fps > 0 ? 1 / fps : 0;
  check_near(checks, "keyint", want, video ? video->keyint_s : NAN, MAX(want * 0.1, frame),
             "±10% or a frame");
  ScProbeCheck *c = g_ptr_array_index(checks, checks->len - 1);
  if (video && isnan(video->keyint_s)) { /* the usual cause: a probe shorter than the interval */
    g_free(c->actual);
    c->actual = g_strdup("none (fewer than 2 keyframes; read longer with --duration)");
  }
}

static void
check_video(GPtrArray *checks, const ScProbeExpect *e, const ScProbeReport *r)
{
  const ScProbeVideo *v = &r->video;
  gboolean has = r->has_video;
  check_name(checks, "video_codec", e->video_codec, has ? v->codec : NULL);
  check_profile(checks, e->profile, has ? v->profile : NULL);
  check_name(checks, "pix_fmt", e->pix_fmt, has ? v->pix_fmt : NULL);
  check_near(checks, "width", e->width, has ? v->width : NAN, 0, NULL);
  check_near(checks, "height", e->height, has ? v->height : NAN, 0, NULL);
  double fps = has ? v->stats.fps : NAN;
  check_near(checks, "fps", e->fps, fps, e->fps * 0.02, "±2%");
  check_keyint(checks, e->keyint_s, has ? &v->stats : NULL);
  if (e->no_bframes)
    add(checks, "bframes", g_strdup("false"), g_strdup(has ? flag_text(v->bframes) : "none"),
        has && !v->bframes);
  check_near(checks, "video_bitrate", e->video_kbps, has ? v->stats.kbps : NAN,
             e->video_kbps * 0.25, "±25%");
  if (!isnan(e->min_frames))
    add(checks, "frames", g_strdup_printf("at least %.0f", e->min_frames),
        g_strdup_printf("%" G_GUINT64_FORMAT, v->stats.packets), v->stats.packets >= e->min_frames);
}

static void
check_audio(GPtrArray *checks, const ScProbeExpect *e, const ScProbeReport *r)
{
  const ScProbeAudio *a = &r->audio;
  gboolean has = r->has_audio;
  check_name(checks, "audio_codec", e->audio_codec, has ? a->codec : NULL);
  check_name(checks, "audio_profile", e->audio_profile, has ? a->profile : NULL);
  check_near(checks, "sample_rate", e->audio_rate, has ? a->sample_rate : NAN, 0, NULL);
  check_near(checks, "channels", e->audio_channels, has ? a->channels : NAN, 0, NULL);
  check_near(checks, "audio_bitrate", e->audio_kbps, has ? a->stats.kbps : NAN,
             e->audio_kbps * 0.25, "±25%");
}

static void
check_timing(GPtrArray *checks, const ScProbeExpect *e, const ScProbeReport *r)
{
  const ScProbeTrackStats *v = &r->video.stats, *a = &r->audio.stats;
  if (!isnan(e->max_drift_ms)) {
    g_autofree char *limit = sc_probe_json_format_number(e->max_drift_ms, 3);
    add(checks, "av_drift_ms", g_strdup_printf("within ±%s", limit),
        sc_probe_json_format_number(r->drift_ms, 1),
        isfinite(r->drift_ms) && fabs(r->drift_ms) <= e->max_drift_ms);
  }
  g_autofree char *gaps = g_strdup_printf(
      "(video %" G_GUINT64_FORMAT ", audio %" G_GUINT64_FORMAT ")", v->gaps, a->gaps);
  check_count(checks, "gaps", e->no_gaps, v->gaps + a->gaps, gaps);
  g_autofree char *back =
      g_strdup_printf("(video %" G_GUINT64_FORMAT ", audio %" G_GUINT64_FORMAT ")",
                      v->non_monotonic, a->non_monotonic);
  check_count(checks, "non_monotonic", e->monotonic, v->non_monotonic + a->non_monotonic, back);
}

GPtrArray *
sc_probe_check_run(const ScProbeExpect *expect, const ScProbeReport *report)
{
  GPtrArray *checks = g_ptr_array_new_with_free_func(check_free);
  check_video(checks, expect, report);
  check_audio(checks, expect, report);
  check_timing(checks, expect, report);
  return checks;
}
