/* Tests for tools/probe*.c (shopcast-probe): runs the real tool on files made
 * by the real ffmpeg at test time, on a silent server, and on a live stream
 * through the real ingest, and checks its JSON, its messages and its exit
 * status. The JSON layout is fixed (one member per line at the top, inline
 * objects below), so fields are matched as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/ingest.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#define PROBE_TIMEOUT_S  60
#define FFMPEG_TIMEOUT_S 120
#define STOP_TIMEOUT_MS  5000

static char *dir;
static char *probe;

/* ---- fixtures ---- */

typedef struct {
  const char *name;
  const char *args; /* ffmpeg arguments before the output, split on spaces */
} Fixture;

#define TESTSRC(size) "-f lavfi -i testsrc2=size=" size ":rate=30 "
#define SINE(rate)    "-f lavfi -i sine=frequency=1000:sample_rate=" rate " "
#define X264          "-c:v libx264 -preset veryfast -pix_fmt yuv420p "

static const Fixture fixtures[] = {
    /* what the studio sends: 720p30 main, 2 s GOP, no B-frames, AAC 48 kHz stereo */
    {"main.flv",
     TESTSRC("1280x720") SINE(
         "48000") "-ac 2 " X264 "-profile:v main -g 60 -bf 0 -b:v 2500k -c:a aac -b:a 128k -t 6"},
    /* portrait, high profile, B-frames, 1 s GOP */
    {"portrait-high.flv",
     TESTSRC("720x1280") SINE("48000") "-ac 2 " X264 "-profile:v high -g 30 -bf 2 -c:a aac -t 4"},
    {"mono44.flv", TESTSRC("640x360") SINE("44100") "-ac 1 " X264 "-g 30 -c:a aac -b:a 64k -t 4"},
    /* everything from 2 s on moves 1 s later: a one-second hole in both streams */
    {"gap.flv",
     TESTSRC("320x240") SINE("48000") "-vf setpts=PTS+gte(T\\,2)/TB "
                                      "-af asetpts=PTS+gte(T\\,2)/TB "
                                      "-fps_mode passthrough " X264 "-g 30 -c:a aac -t 5"},
    /* audio stops after 2 s, video runs 5 s */
    {"short-audio.flv", TESTSRC("320x240") "-f lavfi -i sine=sample_rate=48000:duration=2 " X264
                                           "-g 30 -c:a aac -t 5"},
    {"video-only.flv", TESTSRC("320x240") X264 "-profile:v baseline -g 30 -an -t 3"},
    {"live.flv", TESTSRC("640x360") SINE(
                     "48000") "-ac 2 " X264 "-profile:v main -g 30 -bf 0 -c:a aac -b:a 96k -t 10"},
};

static char *
make_fixture(const Fixture *f, const char *path)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  const char *head[] = {"ffmpeg", "-nostdin", "-v", "error", "-y"};
  for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
    g_ptr_array_add(argv, g_strdup(head[i]));
  g_auto(GStrv) words = g_strsplit(f->args, " ", -1);
  for (char **w = words; *w; w++)
    if (**w)
      g_ptr_array_add(argv, g_strdup(*w));
  g_ptr_array_add(argv, g_strdup(path));
  g_ptr_array_add(argv, NULL);
  g_autofree char *err = NULL;
  if (sc_test_run((char **)argv->pdata, FFMPEG_TIMEOUT_S, NULL, &err) != 0)
    fail_msg("ffmpeg could not make %s: %s", f->name, err);
  return g_strdup(path);
}

/* The path of fixture @name, made on first use. */
static char *
fixture(const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  if (g_file_test(path, G_FILE_TEST_EXISTS))
    return g_steal_pointer(&path);
  for (gsize i = 0; i < G_N_ELEMENTS(fixtures); i++)
    if (strcmp(fixtures[i].name, name) == 0)
      return make_fixture(&fixtures[i], path);
  fail_msg("no fixture %s", name);
  return NULL;
}

/* ---- running the probe and reading its output ---- */

/* Runs the probe with the NULL-terminated arguments; returns its exit status. */
static int
run_probe(char **out, char **err, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, probe);
  va_list args;
  va_start(args, first);
  for (const char *a = first; a; a = va_arg(args, const char *))
    g_ptr_array_add(argv, (char *)a);
  va_end(args);
  g_ptr_array_add(argv, NULL);
  return sc_test_run((char **)argv->pdata, PROBE_TIMEOUT_S, out, err);
}

static void
assert_has(const char *text, const char *needle)
{
  if (text == NULL || strstr(text, needle) == NULL)
    fail_msg("\"%s\" not in:\n%s", needle, text ? text : "(nothing)");
}

static void
assert_lacks(const char *text, const char *needle)
{
  if (text && strstr(text, needle))
    fail_msg("\"%s\" unexpectedly in:\n%s", needle, text);
}

static void
assert_status(int status, int expected, const char *out, const char *err)
{
  if (status != expected)
    fail_msg("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", status, expected,
             out ? out : "", err ? err : "");
}

/* The inline object @key of the report ("video", "audio", "timing"). */
static char *
section(const char *json, const char *key)
{
  g_autofree char *pattern = g_strdup_printf("\"%s\": (\\{[^}]*\\}|null)", key);
  g_autoptr(GRegex) re = g_regex_new(pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  if (!g_regex_match(re, json, 0, &match))
    fail_msg("no \"%s\" in:\n%s", key, json);
  return g_match_info_fetch(match, 1);
}

/* The first number named @key in @json. */
static double
number(const char *json, const char *key)
{
  g_autofree char *pattern = g_strdup_printf("\"%s\": (-?[0-9]+(\\.[0-9]+)?)[,}\\n]", key);
  g_autoptr(GRegex) re = g_regex_new(pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  if (!g_regex_match(re, json, 0, &match))
    fail_msg("no number \"%s\" in:\n%s", key, json);
  g_autofree char *text = g_match_info_fetch(match, 1);
  return g_ascii_strtod(text, NULL);
}

static void
assert_between(double value, double low, double high, const char *what)
{
  if (!(value >= low && value <= high))
    fail_msg("%s is %g, expected %g to %g", what, value, low, high);
}

/* ---- files ---- */

static void
test_spec_stream_meets_every_expectation(void **state)
{
  g_autofree char *f = fixture("main.flv");
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(
      &out, &err, "--expect-video-codec", "h264", "--expect-profile", "main", "--expect-pix-fmt",
      "yuv420p", "--expect-width", "1280", "--expect-height", "720", "--expect-fps", "30",
      "--expect-keyint", "2", "--expect-no-bframes", "--expect-video-bitrate", "2500",
      "--expect-min-frames", "170", "--expect-audio-codec", "AAC", "--expect-audio-profile", "LC",
      "--expect-audio-rate", "48000", "--expect-audio-channels", "2", "--expect-audio-bitrate",
      "128", "--expect-max-drift", "100", "--expect-no-gaps", "--expect-monotonic", f, NULL);
  assert_status(status, 0, out, err);
  g_autofree char *source = g_strdup_printf("\"source\": \"%s\",\n", f);
  assert_has(out, source);
  assert_has(out, "\"video\": {\"codec\": \"h264\", \"profile\": \"Main\", \"pix_fmt\": "
                  "\"yuv420p\", \"width\": 1280, \"height\": 720, \"fps\": 30, \"frames\": 180,");
  assert_has(out, "\"keyframes\": 3, \"keyint_s\": 2, \"keyint_max_s\": 2, \"bframes\": false");
  assert_has(out, "\"audio\": {\"codec\": \"aac\", \"profile\": \"LC\", \"sample_rate\": 48000, "
                  "\"channels\": 2,");
  assert_has(out, "\"video_gaps\": 0, \"audio_gaps\": 0,");
  assert_has(out, "\"non_monotonic\": 0}");
  assert_has(out, "{\"name\": \"width\", \"expected\": \"1280\", \"actual\": \"1280\", "
                  "\"ok\": true}");
  assert_has(out, "\"error\": null,\n  \"ok\": true\n}\n");
  g_autofree char *video = section(out, "video");
  g_autofree char *audio = section(out, "audio");
  assert_between(number(out, "duration_s"), 5.9, 6.1, "duration_s");
  assert_between(number(video, "bitrate_kbps"), 1875, 3125, "video bitrate");
  assert_between(number(audio, "bitrate_kbps"), 96, 160, "audio bitrate");
  assert_between(number(out, "av_drift_ms"), -100, 100, "av_drift_ms");
  assert_between(number(out, "max_video_gap_ms"), 33, 34, "max_video_gap_ms");
  assert_string_equal(err, "");
}

static void
test_duration_limits_the_read(void **state)
{
  g_autofree char *f = fixture("main.flv");
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, "--duration", "2", f, NULL), 0, out, err);
  assert_between(number(out, "duration_s"), 2, 2.1, "duration_s");
  g_autofree char *video = section(out, "video");
  assert_between(number(video, "frames"), 60, 64, "frames");
  assert_between(number(video, "fps"), 29.4, 30.6, "fps");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  int status = run_probe(&out, &err, "--duration", "2", "--expect-min-frames", "100", f, NULL);
  assert_status(status, 1, out, err);
  assert_has(err, "expectation failed: frames: expected at least 100, got 6");
}

static void
test_wrong_size_fails_naming_it(void **state)
{
  g_autofree char *f = fixture("portrait-high.flv");
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--expect-width", "1280", "--expect-height", "1280", f, NULL);
  assert_status(status, 1, out, err);
  assert_has(err, "shopcast-probe: expectation failed: width: expected 1280, got 720\n");
  assert_lacks(err, "height"); /* met */
  assert_has(out, "\"width\": 720, \"height\": 1280,");
  assert_has(out, "{\"name\": \"width\", \"expected\": \"1280\", \"actual\": \"720\", "
                  "\"ok\": false},");
  assert_has(out, "{\"name\": \"height\", \"expected\": \"1280\", \"actual\": \"1280\", "
                  "\"ok\": true}");
  assert_has(out, "\"ok\": false\n}");
}

static void
test_profile_names_match_whole(void **state)
{
  g_autofree char *f = fixture("portrait-high.flv");
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, "--expect-profile", "main", f, NULL), 1, out, err);
  assert_has(err, "expectation failed: profile: expected main, got High\n");
  assert_has(out, "\"profile\": \"High\"");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  assert_status(run_probe(&out, &err, "--expect-profile", "HIGH", f, NULL), 0, out, err);
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  /* x264's baseline is constrained baseline, which every baseline decoder plays */
  g_autofree char *baseline = fixture("video-only.flv");
  int status = run_probe(&out, &err, "--expect-profile", "baseline", baseline, NULL);
  assert_status(status, 0, out, err);
  assert_has(out, "\"profile\": \"Constrained Baseline\"");
}

static void
test_bframes_and_keyint(void **state)
{
  g_autofree char *f = fixture("portrait-high.flv");
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--expect-no-bframes", "--expect-keyint", "2", f, NULL);
  assert_status(status, 1, out, err);
  assert_has(out, "\"bframes\": true");
  assert_has(out, "\"keyint_s\": 1, \"keyint_max_s\": 1,");
  assert_has(err, "expectation failed: bframes: expected false, got true\n");
  assert_has(err, "expectation failed: keyint: expected 2 (±10% or a frame), got 1\n");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  assert_status(run_probe(&out, &err, "--expect-keyint", "1", f, NULL), 0, out, err);
}

static void
test_mono_44k_audio(void **state)
{
  g_autofree char *f = fixture("mono44.flv");
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--expect-audio-codec", "aac", "--expect-audio-profile", "lc",
                         "--expect-audio-rate", "44100", "--expect-audio-channels", "1",
                         "--expect-audio-bitrate", "64", "--expect-no-gaps", f, NULL);
  assert_status(status, 0, out, err);
  assert_has(out, "\"sample_rate\": 44100, \"channels\": 1,");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  status = run_probe(&out, &err, "--expect-audio-rate", "48000", "--expect-audio-channels", "2", f,
                     NULL);
  assert_status(status, 1, out, err);
  assert_has(err, "expectation failed: sample_rate: expected 48000, got 44100\n");
  assert_has(err, "expectation failed: channels: expected 2, got 1\n");
}

static void
test_gap_detected(void **state)
{
  g_autofree char *f = fixture("gap.flv");
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, "--expect-no-gaps", f, NULL), 1, out, err);
  assert_has(out, "\"video_gaps\": 1, \"audio_gaps\": 1,");
  assert_between(number(out, "max_video_gap_ms"), 900, 1100, "max_video_gap_ms");
  assert_between(number(out, "max_audio_gap_ms"), 900, 1100, "max_audio_gap_ms");
  assert_has(err, "expectation failed: gaps: expected 0, got 2 (video 1, audio 1)\n");
}

static void
test_drift_measured(void **state)
{
  g_autofree char *f = fixture("short-audio.flv");
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, "--expect-max-drift", "100", f, NULL), 1, out, err);
  /* video ends 3 s after audio */
  assert_between(number(out, "av_drift_ms"), 2900, 3100, "av_drift_ms");
  assert_has(err, "expectation failed: av_drift_ms: expected within ±100, got ");
}

/* Two copies of a file back to back: timestamps start over in the middle. */
static void
test_timestamps_going_back(void **state)
{
  g_autofree char *f = fixture("video-only.flv");
  g_autofree char *contents = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(f, &contents, &len, NULL));
  g_autoptr(GByteArray) twice = g_byte_array_new();
  g_byte_array_append(twice, (guint8 *)contents, len);
  /* the second copy without its 9-byte header and first previous-tag-size */
  g_byte_array_append(twice, (guint8 *)contents + 13, len - 13);
  g_autofree char *path = g_build_filename(dir, "reset.flv", NULL);
  assert_true(g_file_set_contents(path, (char *)twice->data, twice->len, NULL));
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--expect-monotonic", "--expect-no-bframes", path, NULL);
  assert_status(status, 1, out, err);
  assert_has(out, "\"non_monotonic\": 1}");
  assert_has(err, "expectation failed: non_monotonic: expected 0, got 1 (video 1, audio 0)\n");
  assert_lacks(err, "bframes"); /* a reset is not reordering */
  assert_has(out, "\"video_gaps\": 0,");
}

static void
test_video_only(void **state)
{
  g_autofree char *f = fixture("video-only.flv");
  g_autofree char *out = NULL, *err = NULL;
  int status =
      run_probe(&out, &err, "--expect-audio-codec", "aac", "--expect-max-drift", "100", f, NULL);
  assert_status(status, 1, out, err);
  assert_has(out, "\"audio\": null,\n");
  assert_has(out, "\"av_drift_ms\": null, \"video_gaps\": 0, \"audio_gaps\": null,");
  assert_has(err, "expectation failed: audio_codec: expected aac, got none\n");
  assert_has(err, "expectation failed: av_drift_ms: expected within ±100, got none\n");
}

static void
test_names_are_escaped(void **state)
{
  g_autofree char *f = fixture("video-only.flv");
  g_autofree char *contents = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(f, &contents, &len, NULL));
  g_autofree char *odd = g_build_filename(dir, "say \"hi\"\\\tnow.flv", NULL);
  assert_true(g_file_set_contents(odd, contents, len, NULL));
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, odd, NULL), 0, out, err);
  g_autofree char *source = g_strdup_printf("\"source\": \"%s/say \\\"hi\\\"\\\\\\tnow.flv\"", dir);
  assert_has(out, source);
}

static void
test_unreadable_input(void **state)
{
  g_autofree char *missing = g_build_filename(dir, "missing.flv", NULL);
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, missing, NULL), 2, out, err);
  g_autofree char *line = g_strdup_printf("shopcast-probe: %s: cannot open: ", missing);
  assert_has(err, line);
  assert_has(err, "No such file or directory");
  assert_string_equal(out, "");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_autofree char *text = sc_test_write_file(dir, "notes.flv", "not a media file\n");
  assert_status(run_probe(&out, &err, text, NULL), 2, out, err);
  assert_has(err, "notes.flv: ");
  assert_string_equal(out, "");
}

/* Each call: arguments, then what the message must say. */
static void
assert_usage_error(const char *needle, const char *a, const char *b, const char *c)
{
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, a, b, c, NULL), 64, out, err);
  assert_has(err, needle);
  assert_string_equal(out, "");
}

static void
test_usage_errors(void **state)
{
  assert_usage_error("--expect-width: 'abc' is not a whole number", "--expect-width", "abc",
                     "x.flv");
  assert_usage_error("--expect-width: '12.5' is not a whole number", "--expect-width", "12.5",
                     "x.flv");
  assert_usage_error("--duration: '-1' is not a number above 0", "--duration", "-1", "x.flv");
  assert_usage_error("--timeout: '0' is not a number above 0", "--timeout", "0", "x.flv");
  assert_usage_error("--expect-profile: 'mian' is not a h264 profile", "--expect-profile", "mian",
                     "x.flv");
  assert_usage_error("--expect-video-codec: 'aac' is not a video codec", "--expect-video-codec",
                     "aac", "x.flv");
  assert_usage_error("--expect-pix-fmt: 'yuv42' is not a pixel format", "--expect-pix-fmt", "yuv42",
                     "x.flv");
  assert_usage_error("Unknown option --no-such-option", "--no-such-option", "x.flv", NULL);
  assert_usage_error("give one URL or file to read, not 0", NULL, NULL, NULL);
  assert_usage_error("give one URL or file to read, not 2", "a.flv", "b.flv", NULL);
}

static void
test_help_and_version(void **state)
{
  g_autofree char *out = NULL, *err = NULL;
  assert_status(run_probe(&out, &err, "--help", NULL), 0, out, err);
  assert_has(out, "--expect-keyint");
  assert_has(out, "fps            (video frames - 1) / (last PTS - first PTS)");
  assert_has(out, "Exit status: 0");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  assert_status(run_probe(&out, &err, "--version", NULL), 0, out, err);
  assert_true(g_str_has_prefix(out, "shopcast-probe "));
}

/* ---- network ---- */

typedef struct {
  ScTestIngest *ingest;
  GSubprocess *publisher;
  GSocket *listener;
} Live;

static int
live_setup(void **state)
{
  *state = g_new0(Live, 1);
  return 0;
}

/* Runs even when a test failed half-way: nothing of ours outlives it. */
static int
live_teardown(void **state)
{
  Live *live = *state;
  if (live->publisher) {
    g_subprocess_send_signal(live->publisher, SIGTERM); /* a no-op once it exited */
    gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_MS * 1000;
    while (g_subprocess_get_identifier(live->publisher) && g_get_monotonic_time() < deadline)
      g_usleep(10 * 1000);
    if (g_subprocess_get_identifier(live->publisher))
      g_subprocess_force_exit(live->publisher);
    g_subprocess_wait(live->publisher, NULL, NULL);
    g_clear_object(&live->publisher);
  }
  g_clear_pointer(&live->ingest, sc_test_ingest_stop);
  g_clear_object(&live->listener);
  g_free(live);
  return 0;
}

/* A server that accepts connections and never answers: the probe must give
 * up after its timeout, saying so, and never show the key. */
static void
test_silent_server_times_out(void **state)
{
  Live *live = *state;
  g_autoptr(GError) error = NULL;
  live->listener =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error(error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
  assert_true(g_socket_bind(live->listener, any_port, FALSE, &error));
  assert_true(g_socket_listen(live->listener, &error));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(live->listener, &error);
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live/silent-secret-key-5678", port);
  g_autofree char *out = NULL, *err = NULL;
  gint64 start = g_get_monotonic_time();
  assert_status(run_probe(&out, &err, "--timeout", "2", url, NULL), 2, out, err);
  assert_between((g_get_monotonic_time() - start) / 1e6, 1.5, 6, "seconds to give up");
  g_autofree char *line = g_strdup_printf(
      "shopcast-probe: rtmp://127.0.0.1:%u/live/****5678: nothing arrived for 2 s\n", port);
  assert_has(err, line);
  assert_lacks(err, "silent-secret");
}

static GSubprocess *
start_publisher(const char *file, const char *url)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *p =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "ffmpeg", "-nostdin", "-v",
                       "error", "-re", "-i", file, "-c", "copy", "-f", "flv", url, NULL);
  g_assert_no_error(error);
  return p;
}

/* A live stream through the real ingest, joined 2 s after it started: the
 * probe measures 3 s from the first packet it gets, and masks the key. The
 * ingest holds a new player's video back until the next keyframe (the file has
 * one every second) while audio flows at once, so the video covers between 2 s
 * and 3 s of the reading, depending on where in the GOP the probe joined. */
static void
test_rtmp_stream(void **state)
{
  Live *live = *state;
  g_autofree char *f = fixture("live.flv");
  g_autoptr(GError) error = NULL;
  ScTestIngestOptions opts = {0};
  live->ingest = sc_test_ingest_start(&opts, &error);
  g_assert_no_error(error);
  assert_true(sc_test_wait_port(sc_test_ingest_port(live->ingest), 5000));
  g_autofree char *base = sc_test_ingest_url(live->ingest, FALSE);
  g_autofree char *url = g_strconcat(base, "/probe-test-key-1234", NULL);
  live->publisher = start_publisher(f, url);
  g_usleep(2 * G_USEC_PER_SEC);
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--duration", "3", "--timeout", "10", "--expect-video-codec",
                         "h264", "--expect-width", "640", "--expect-height", "360",
                         "--expect-audio-codec", "aac", "--expect-fps", "30", "--expect-no-gaps",
                         "--expect-monotonic", "--expect-max-drift", "150", url, NULL);
  assert_status(status, 0, out, err);
  g_autofree char *source = g_strdup_printf("\"source\": \"%s/****1234\",", base);
  assert_has(out, source);
  assert_lacks(out, "probe-test-key");
  assert_lacks(err, "probe-test-key");
  assert_has(out, "\"codec\": \"h264\", \"profile\": \"Main\", \"pix_fmt\": \"yuv420p\", "
                  "\"width\": 640, \"height\": 360,");
  assert_has(out, "\"audio\": {\"codec\": \"aac\", \"profile\": \"LC\", \"sample_rate\": 48000");
  assert_between(number(out, "duration_s"), 3, 3.2, "duration_s");
  g_autofree char *video = section(out, "video");
  assert_between(number(video, "frames"), 58, 100, "frames");
}

/* The publisher stops before the asked duration: the probe reports what it
 * got, says why it stopped, and exits 2. */
static void
test_rtmp_stream_that_stops(void **state)
{
  Live *live = *state;
  g_autofree char *f = fixture("mono44.flv"); /* 4 s */
  g_autoptr(GError) error = NULL;
  ScTestIngestOptions opts = {0};
  live->ingest = sc_test_ingest_start(&opts, &error);
  g_assert_no_error(error);
  g_autofree char *base = sc_test_ingest_url(live->ingest, FALSE);
  g_autofree char *url = g_strconcat(base, "/short", NULL);
  live->publisher = start_publisher(f, url);
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--duration", "30", "--timeout", "2", url, NULL);
  assert_status(status, 2, out, err);
  assert_has(out, "\"error\": \"nothing arrived for 2 s\",\n  \"ok\": false\n}");
  assert_has(err, "/live/****: stopped after "); /* a short key is masked whole */
  assert_between(number(out, "duration_s"), 2, 4.1, "duration_s");
  assert_has(out, "\"sample_rate\": 44100, \"channels\": 1,");
}

static int
setup(void **state)
{
  dir = sc_test_tmpdir();
  probe = sc_test_build_path("tools/shopcast-probe");
  return 0;
}

static int
teardown(void **state)
{
  sc_test_rmtree(dir);
  g_free(dir);
  g_free(probe);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_stream_meets_every_expectation),
      cmocka_unit_test(test_duration_limits_the_read),
      cmocka_unit_test(test_wrong_size_fails_naming_it),
      cmocka_unit_test(test_profile_names_match_whole),
      cmocka_unit_test(test_bframes_and_keyint),
      cmocka_unit_test(test_mono_44k_audio),
      cmocka_unit_test(test_gap_detected),
      cmocka_unit_test(test_drift_measured),
      cmocka_unit_test(test_timestamps_going_back),
      cmocka_unit_test(test_video_only),
      cmocka_unit_test(test_names_are_escaped),
      cmocka_unit_test(test_unreadable_input),
      cmocka_unit_test(test_usage_errors),
      cmocka_unit_test(test_help_and_version),
      cmocka_unit_test_setup_teardown(test_silent_server_times_out, live_setup, live_teardown),
      cmocka_unit_test_setup_teardown(test_rtmp_stream, live_setup, live_teardown),
      cmocka_unit_test_setup_teardown(test_rtmp_stream_that_stops, live_setup, live_teardown),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
