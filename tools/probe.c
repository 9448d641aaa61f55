/* shopcast-probe: the stream checker. It reads an RTMP stream or a file for a
 * while and reports, as JSON on stdout, what a platform would see; with
 * --expect-* options it also checks the stream and names every expectation
 * that failed.
 *
 * Definitions (per stream, from packet timestamps; see probe-track.h):
 *   duration_s     media read, counted from the first packet's timestamp, so a
 *                  live stream joined mid-way measures right
 *   fps            (video frames - 1) / (last PTS - first PTS)
 *   keyint_s       median interval between keyframe PTS; keyint_max_s the largest
 *   bitrate_kbps   payload bytes * 8 / the stream's media duration
 *   bframes        a PTS lower than an earlier one while DTS moves on
 *                  (reordering), or the decoder reports a reorder delay
 *   gap            consecutive packets whose DTS differ by more than twice the
 *                  nominal packet duration (video 1/fps at the declared frame
 *                  rate, or the measured one; audio frame_size/sample_rate)
 *   non_monotonic  packets whose DTS goes backwards
 *   av_drift_ms    (last video PTS + its duration) - (last audio PTS + its duration)
 * Codec, profile, pixel format and sizes are libav's stream parameters after a
 * bounded analysis. The stream key (the last path element of an RTMP URL) is
 * masked in everything the tool prints, libav's own messages included.
 *
 * Exit status: 0 read and every expectation met, 1 an expectation failed,
 * 2 the input could not be read (or stopped early), 64 usage error, 74 the
 * report could not be written.
 */
#include "pipeline/rtmp-url.h"
#include "sc-build-config.h"
#include "tools/probe-check.h"
#include "tools/probe-json.h"
#include "tools/probe-read.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* 74 is sysexits' EX_IOERR: the report could not be written to stdout */
enum { EXIT_OK = 0, EXIT_EXPECTATION = 1, EXIT_UNREADABLE = 2, EXIT_USAGE = 64, EXIT_IOERR = 74 };

typedef struct {
  double duration_s, timeout_s;
  ScProbeExpect expect;
  char **inputs; /* the arguments left after the options */
  gboolean version;
} Options;

static void
options_clear(Options *o)
{
  sc_probe_expect_clear(&o->expect);
  g_clear_pointer(&o->inputs, g_strfreev);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

/* ---- the stream key ---- */

/* The stream key of an RTMP URL (rtmp://, rtmps:// and libav's other rtmp
 * schemes): the last non-empty path element after the application. FALSE
 * for a file or a URL that names only the application. */
static gboolean
find_stream_key(const char *source, gsize *start, gsize *len)
{
  const char *sep = strstr(source, "://");
  if (sep == NULL || sep - source > 8 || g_ascii_strncasecmp(source, "rtmp", 4) != 0)
    return FALSE;
  const char *path = strchr(sep + 3, '/');
  if (path == NULL)
    return FALSE;
  const char *end = source + strlen(source);
  while (end > path + 1 && end[-1] == '/')
    end--;
  const char *key = end;
  while (key > path + 1 && key[-1] != '/')
    key--;
  if (key == path + 1 || key == end)
    return FALSE;
  *start = key - source;
  *len = end - key;
  return TRUE;
}

/* @source as it may be shown: a file as given, a URL with its key masked. */
static char *
shown_source(const char *source)
{
  gsize start, len;
  if (!find_stream_key(source, &start, &len))
    return g_strdup(source);
  g_autofree char *key = g_strndup(source + start, len);
  g_autofree char *masked = sc_rtmp_url_mask_key(key);
  return g_strdup_printf("%.*s%s%s", (int)start, source, masked, source + start + len);
}

/* libav's log callback carries no user data: the key it must keep out of
 * its messages (a server's error may quote the stream name) lives here, set
 * once before libav runs. */
static char *log_secret;

/* Decoder threads log too; the lock keeps partial lines together. */
G_LOCK_DEFINE_STATIC(log_lock);

static void
log_masked(void *avcl, int level, const char *format, va_list args)
{
  static int print_prefix = 1; /* libav's state across partial lines */
  if (level > av_log_get_level())
    return;
  char line[1024];
  G_LOCK(log_lock);
  av_log_format_line2(avcl, level, format, args, line, sizeof line, &print_prefix);
  g_autoptr(GString) text = g_string_new(line);
  if (log_secret) {
    g_autofree char *masked = sc_rtmp_url_mask_key(log_secret);
    g_string_replace(text, log_secret, masked, 0);
  }
  fputs(text->str, stderr);
  G_UNLOCK(log_lock);
}

static void
setup_libav_log(const char *source)
{
  gsize start, len;
  if (find_stream_key(source, &start, &len))
    log_secret = g_strndup(source + start, len);
  av_log_set_level(AV_LOG_ERROR);
  av_log_set_callback(log_masked);
}

/* ---- the command line ---- */

typedef enum {
  NUMBER_WHOLE,    /* 1, 2, ... */
  NUMBER_POSITIVE, /* more than 0 */
  NUMBER_ANY,      /* 0 or more */
} NumberKind;

typedef struct {
  const char *option;
  NumberKind kind;
  double max;
  gsize offset; /* of the double in Options */
  const char *example;
} NumberOption;

static const NumberOption number_options[] = {
    {"--duration", NUMBER_POSITIVE, 86400, offsetof(Options, duration_s), "10"},
    {"--timeout", NUMBER_POSITIVE, 3600, offsetof(Options, timeout_s), "10"},
    {"--expect-width", NUMBER_WHOLE, 16384, offsetof(Options, expect.width), "1280"},
    {"--expect-height", NUMBER_WHOLE, 16384, offsetof(Options, expect.height), "720"},
    {"--expect-fps", NUMBER_POSITIVE, 1000, offsetof(Options, expect.fps), "30"},
    {"--expect-keyint", NUMBER_POSITIVE, 3600, offsetof(Options, expect.keyint_s), "2"},
    {"--expect-video-bitrate", NUMBER_POSITIVE, 1e6, offsetof(Options, expect.video_kbps), "2500"},
    {"--expect-min-frames", NUMBER_WHOLE, 1e9, offsetof(Options, expect.min_frames), "300"},
    {"--expect-audio-rate", NUMBER_WHOLE, 768000, offsetof(Options, expect.audio_rate), "48000"},
    {"--expect-audio-channels", NUMBER_WHOLE, 64, offsetof(Options, expect.audio_channels), "2"},
    {"--expect-audio-bitrate", NUMBER_POSITIVE, 1e5, offsetof(Options, expect.audio_kbps), "128"},
    {"--expect-max-drift", NUMBER_ANY, 1e6, offsetof(Options, expect.max_drift_ms), "100"},
};

static gboolean
number_fits(const NumberOption *n, double v)
{
  if (!isfinite(v) || v > n->max)
    return FALSE;
  switch (n->kind) {
  case NUMBER_WHOLE:
    return v >= 1 && v == floor(v);
  case NUMBER_POSITIVE:
    return v > 0;
  case NUMBER_ANY:
    return v >= 0;
  }
  return FALSE;
}

static gboolean
parse_number(const NumberOption *n, const char *text, double *value, GError **error)
{
  static const char *const kinds[] = {
      [NUMBER_WHOLE] = "a whole number from 1",
      [NUMBER_POSITIVE] = "a number above 0",
      [NUMBER_ANY] = "a number from 0",
  };
  char *end = NULL;
  double v = g_ascii_strtod(text, &end);
  if (*text != '\0' && *end == '\0' && number_fits(n, v)) {
    *value = v;
    return TRUE;
  }
  g_autofree char *max = sc_probe_json_format_number(n->max, 0);
  g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
              "%s: '%s' is not %s up to %s (e.g. %s %s)", n->option, text, kinds[n->kind], max,
              n->option, n->example);
  return FALSE;
}

static gboolean
on_number(const char *option, const char *value, gpointer data, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS(number_options); i++) {
    const NumberOption *n = &number_options[i];
    if (strcmp(option, n->option) == 0)
      return parse_number(n, value, (double *)((char *)data + n->offset), error);
  }
  g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "%s: not a number option", option);
  return FALSE;
}

#define NUMBER_ENTRY(name, arg, help)                                                              \
  {                                                                                                \
    name, 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)on_number, help, arg                              \
  }

static const char help_text[] =
    "Reads URL-OR-FILE (rtmp://, rtmps:// or a media file) and prints, as JSON on\n"
    "stdout, what a platform would see; the stream key in an RTMP URL is masked.\n"
    "\n"
    "Definitions (from packet timestamps):\n"
    "  duration_s     media read, counted from the first packet's timestamp\n"
    "  fps            (video frames - 1) / (last PTS - first PTS)\n"
    "  keyint_s       median interval between keyframe PTS (keyint_max_s: largest)\n"
    "  bitrate_kbps   payload bytes * 8 / that stream's media duration\n"
    "  bframes        a PTS lower than an earlier one (reordering), or a decoder\n"
    "                 reorder delay\n"
    "  gap            consecutive packets whose DTS differ by more than twice the\n"
    "                 nominal duration (video 1/fps at the declared frame rate, or\n"
    "                 the measured one; audio frame_size/sample_rate)\n"
    "  non_monotonic  packets whose DTS goes backwards\n"
    "  av_drift_ms    (last video PTS + duration) - (last audio PTS + duration)\n"
    "Tolerances: fps 2%, keyint 10% or one frame, bitrates 25%. Profiles match\n"
    "whole names (main is not high); constrained baseline meets baseline.\n"
    "\n"
    "Exit status: 0 read and every expectation met; 1 an expectation failed (one\n"
    "line each on stderr); 2 the input could not be read or stopped early;\n"
    "64 usage error; 74 the report could not be written.";

static GOptionGroup *
option_group(Options *o)
{
  ScProbeExpect *e = &o->expect;
  const GOptionEntry entries[] = {
      NUMBER_ENTRY("duration", "SECONDS",
                   "Media to read, by stream timestamps (default 10; files stop at the end)"),
      NUMBER_ENTRY("timeout", "SECONDS", "Give up when nothing arrives for this long (default 10)"),
      {"expect-video-codec", 0, 0, G_OPTION_ARG_STRING, &e->video_codec, "Video codec", "h264"},
      {"expect-profile", 0, 0, G_OPTION_ARG_STRING, &e->profile, "Video profile", "main"},
      {"expect-pix-fmt", 0, 0, G_OPTION_ARG_STRING, &e->pix_fmt, "Pixel format", "yuv420p"},
      NUMBER_ENTRY("expect-width", "N", "Width in pixels"),
      NUMBER_ENTRY("expect-height", "N", "Height in pixels"),
      NUMBER_ENTRY("expect-fps", "N", "Frame rate (within 2%)"),
      NUMBER_ENTRY("expect-keyint", "SECONDS", "Keyframe interval (within 10% or a frame)"),
      {"expect-no-bframes", 0, 0, G_OPTION_ARG_NONE, &e->no_bframes, "No B-frames", NULL},
      NUMBER_ENTRY("expect-video-bitrate", "KBPS", "Video bitrate (within 25%)"),
      NUMBER_ENTRY("expect-min-frames", "N", "At least this many video frames"),
      {"expect-audio-codec", 0, 0, G_OPTION_ARG_STRING, &e->audio_codec, "Audio codec", "aac"},
      {"expect-audio-profile", 0, 0, G_OPTION_ARG_STRING, &e->audio_profile, "Audio profile", "LC"},
      NUMBER_ENTRY("expect-audio-rate", "HZ", "Audio sample rate"),
      NUMBER_ENTRY("expect-audio-channels", "N", "Audio channels"),
      NUMBER_ENTRY("expect-audio-bitrate", "KBPS", "Audio bitrate (within 25%)"),
      NUMBER_ENTRY("expect-max-drift", "MS", "Largest |audio/video drift| at the end"),
      {"expect-no-gaps", 0, 0, G_OPTION_ARG_NONE, &e->no_gaps, "No timestamp gaps", NULL},
      {"expect-monotonic", 0, 0, G_OPTION_ARG_NONE, &e->monotonic, "No timestamps going backwards",
       NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->inputs, NULL, NULL},
      G_OPTION_ENTRY_NULL,
  };
  GOptionGroup *group = g_option_group_new("probe", "shopcast-probe", "Options", o, NULL);
  g_option_group_add_entries(group, entries);
  return group;
}

static gboolean
check_usage(const Options *o, GError **error)
{
  guint inputs = o->inputs ? g_strv_length(o->inputs) : 0;
  if (inputs != 1 || *o->inputs[0] == '\0') {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                "give one URL or file to read, not %u", inputs);
    return FALSE;
  }
  return sc_probe_expect_validate(&o->expect, error);
}

/* Returns EXIT_OK or EXIT_USAGE (after saying what to fix). */
static int
parse_options(int argc, char **argv, Options *o)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new("URL-OR-FILE");
  g_option_context_set_main_group(ctx, option_group(o));
  g_option_context_set_summary(ctx, "The stream checker: what a platform would see.");
  g_option_context_set_description(ctx, help_text);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
      (!o->version && !check_usage(o, &error))) {
    fprintf(stderr, "shopcast-probe: %s (see --help)\n", error->message);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

/* ---- the report ---- */

static void
json_video(ScProbeJson *j, const ScProbeReport *r)
{
  if (!r->has_video) {
    sc_probe_json_null(j, "video");
    return;
  }
  const ScProbeVideo *v = &r->video;
  sc_probe_json_begin_object(j, "video", FALSE);
  sc_probe_json_string(j, "codec", v->codec);
  sc_probe_json_string(j, "profile", v->profile);
  sc_probe_json_string(j, "pix_fmt", v->pix_fmt);
  sc_probe_json_number(j, "width", v->width, 0);
  sc_probe_json_number(j, "height", v->height, 0);
  sc_probe_json_number(j, "fps", v->stats.fps, 2);
  sc_probe_json_number(j, "frames", v->stats.packets, 0);
  sc_probe_json_number(j, "keyframes", v->stats.keyframes, 0);
  sc_probe_json_number(j, "keyint_s", v->stats.keyint_s, 3);
  sc_probe_json_number(j, "keyint_max_s", v->stats.keyint_max_s, 3);
  sc_probe_json_bool(j, "bframes", v->bframes);
  sc_probe_json_number(j, "bitrate_kbps", v->stats.kbps, 0);
  sc_probe_json_end_object(j);
}

static void
json_audio(ScProbeJson *j, const ScProbeReport *r)
{
  if (!r->has_audio) {
    sc_probe_json_null(j, "audio");
    return;
  }
  const ScProbeAudio *a = &r->audio;
  sc_probe_json_begin_object(j, "audio", FALSE);
  sc_probe_json_string(j, "codec", a->codec);
  sc_probe_json_string(j, "profile", a->profile);
  sc_probe_json_number(j, "sample_rate", a->sample_rate, 0);
  sc_probe_json_number(j, "channels", a->channels, 0);
  sc_probe_json_number(j, "frames", a->stats.packets, 0);
  sc_probe_json_number(j, "bitrate_kbps", a->stats.kbps, 0);
  sc_probe_json_end_object(j);
}

/* Figures of a stream that is not there are null, not 0. */
static void
json_timing(ScProbeJson *j, const ScProbeReport *r)
{
  const ScProbeTrackStats *v = &r->video.stats, *a = &r->audio.stats;
  double video = r->has_video ? 1 : NAN, audio = r->has_audio ? 1 : NAN;
  sc_probe_json_begin_object(j, "timing", FALSE);
  sc_probe_json_number(j, "av_drift_ms", r->drift_ms, 1);
  sc_probe_json_number(j, "video_gaps", video * v->gaps, 0);
  sc_probe_json_number(j, "audio_gaps", audio * a->gaps, 0);
  sc_probe_json_number(j, "max_video_gap_ms", video * v->max_gap_s * 1000, 1);
  sc_probe_json_number(j, "max_audio_gap_ms", audio * a->max_gap_s * 1000, 1);
  sc_probe_json_number(j, "non_monotonic", v->non_monotonic + a->non_monotonic, 0);
  sc_probe_json_end_object(j);
}

static void
json_checks(ScProbeJson *j, GPtrArray *checks)
{
  sc_probe_json_begin_array(j, "checks", TRUE);
  for (guint i = 0; i < checks->len; i++) {
    const ScProbeCheck *c = g_ptr_array_index(checks, i);
    sc_probe_json_begin_object(j, NULL, FALSE);
    sc_probe_json_string(j, "name", c->name);
    sc_probe_json_string(j, "expected", c->expected);
    sc_probe_json_string(j, "actual", c->actual);
    sc_probe_json_bool(j, "ok", c->ok);
    sc_probe_json_end_object(j);
  }
  sc_probe_json_end_array(j);
}

static char *
report_json(const char *source, const ScProbeReport *r, GPtrArray *checks, gboolean ok)
{
  g_autoptr(ScProbeJson) j = sc_probe_json_new();
  sc_probe_json_begin_object(j, NULL, TRUE);
  sc_probe_json_string(j, "source", source);
  sc_probe_json_number(j, "duration_s", r->duration_s, 2);
  json_video(j, r);
  json_audio(j, r);
  json_timing(j, r);
  json_checks(j, checks);
  sc_probe_json_string(j, "error", r->error);
  sc_probe_json_bool(j, "ok", ok);
  sc_probe_json_end_object(j);
  return sc_probe_json_steal(j);
}

/* Says what failed on stderr and prints the JSON; returns the exit status. */
static int
report(const Options *o, const char *source, const ScProbeReport *r)
{
  g_autoptr(GPtrArray) checks = sc_probe_check_run(&o->expect, r);
  gboolean met = TRUE;
  for (guint i = 0; i < checks->len; i++) {
    const ScProbeCheck *c = g_ptr_array_index(checks, i);
    if (!c->ok)
      fprintf(stderr, "shopcast-probe: expectation failed: %s: expected %s, got %s\n", c->name,
              c->expected, c->actual);
    met = met && c->ok;
  }
  if (r->error)
    fprintf(stderr, "shopcast-probe: %s: stopped after %.2f s of media: %s\n", source,
            r->duration_s, r->error);
  g_autofree char *json = report_json(source, r, checks, met && r->error == NULL);
  fputs(json, stdout);
  return r->error ? EXIT_UNREADABLE : met ? EXIT_OK : EXIT_EXPECTATION;
}

static int
probe(const Options *o)
{
  g_autofree char *source = shown_source(o->inputs[0]);
  ScProbeReadOptions read = {
      .source = o->inputs[0], .duration_s = o->duration_s, .timeout_s = o->timeout_s};
  ScProbeReport r;
  g_autoptr(GError) error = NULL;
  int status;
  if (sc_probe_read(&read, &r, &error))
    status = report(o, source, &r);
  else {
    fprintf(stderr, "shopcast-probe: %s: %s\n", source, error->message);
    status = EXIT_UNREADABLE;
  }
  sc_probe_report_clear(&r);
  return status;
}

int
main(int argc, char **argv)
{
  g_auto(Options) o = {.duration_s = 10, .timeout_s = 10};
  sc_probe_expect_init(&o.expect);
  int status = parse_options(argc, argv, &o);
  if (status != EXIT_OK)
    return status;
  if (o.version) {
    printf("shopcast-probe %s\n", SC_VERSION);
    return EXIT_OK;
  }
  setup_libav_log(o.inputs[0]);
  avformat_network_init();
  status = probe(&o);
  avformat_network_deinit();
  g_clear_pointer(&log_secret, g_free);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "shopcast-probe: cannot write the report: %s\n", g_strerror(errno));
    return EXIT_IOERR;
  }
  return status;
}
