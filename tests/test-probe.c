/* Tests for tools/probe.c (shopcast-probe), on files and streams made by the
 * real ffmpeg at test time, and on a live stream through the real ingest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/ingest.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

static char *dir;
static char *probe;

/* ffmpeg -f lavfi sources: @vf and @extra are added to a common command. */
static char *
make_fixture(const char *name, const char *size, const char *vopts, const char *aopts,
             const char *vf)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *video = g_strdup_printf("testsrc2=size=%s:rate=30", size);
  g_autofree char *cmd = g_strdup_printf(
      "ffmpeg -nostdin -v error -y -f lavfi -i %s %s %s -t 5 -pix_fmt yuv420p %s -c:v libx264 "
      "-preset veryfast %s %s",
      video, aopts ? "-f lavfi -i sine=frequency=1000:sample_rate=48000" : "", vf ? vf : "", vopts,
      aopts ? aopts : "-an", path);
  g_auto(GStrv) words = g_strsplit(cmd, " ", -1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  for (char **w = words; *w; w++)
    if (**w)
      g_ptr_array_add(argv, *w);
  g_ptr_array_add(argv, NULL);
  if (sc_test_run((char **)argv->pdata, 60, NULL, NULL) != 0)
    fail_msg("could not make fixture: %s", cmd);
  return g_steal_pointer(&path);
}

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
  return sc_test_run((char **)argv->pdata, 60, out, err);
}

static void
assert_has(const char *text, const char *needle)
{
  if (strstr(text, needle) == NULL)
    fail_msg("\"%s\" not in:\n%s", needle, text);
}

static void
test_spec_file_meets_expectations(void **state)
{
  g_autofree char *f =
      make_fixture("main.flv", "1280x720",
                   "-profile:v main -g 60 -bf 0 -b:v 2500k -maxrate 2500k -bufsize 2500k",
                   "-c:a aac -b:a 128k -ac 2 -ar 48000", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(
      &out, &err, "--expect-video-codec", "h264", "--expect-profile", "main", "--expect-pix-fmt",
      "yuv420p", "--expect-width", "1280", "--expect-height", "720", "--expect-fps", "30",
      "--expect-keyint", "2", "--expect-no-bframes", "--expect-audio-codec", "aac",
      "--expect-audio-profile", "LC", "--expect-audio-rate", "48000", "--expect-audio-channels",
      "2", "--expect-audio-bitrate", "128", "--expect-max-drift", "100", "--expect-no-gaps",
      "--expect-monotonic", "--expect-min-frames", "140", f, NULL);
  if (status != 0)
    fail_msg("status %d: %s %s", status, out, err);
  assert_has(out, "\"codec\": \"h264\"");
  assert_has(out, "\"profile\": \"Main\"");
  assert_has(out, "\"width\": 1280, \"height\": 720");
  assert_has(out, "\"fps\": 30");
  assert_has(out, "\"keyint_s\": 2");
  assert_has(out, "\"bframes\": false");
  assert_has(out, "\"sample_rate\": 48000, \"channels\": 2");
  assert_has(out, "\"video_gaps\": 0");
  assert_has(out, "\"non_monotonic\": 0");
  assert_has(out, "\"ok\": true}");
  g_autofree char *source = g_strdup_printf("\"source\": \"%s\"", f);
  assert_has(out, source);
}

static void
test_failed_expectations_are_named(void **state)
{
  g_autofree char *f =
      make_fixture("high.flv", "720x1280", "-profile:v high -g 30 -bf 2", NULL, NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status =
      run_probe(&out, &err, "--expect-width", "1280", "--expect-profile", "main",
                "--expect-no-bframes", "--expect-keyint", "1", "--expect-height", "1280", f, NULL);
  assert_int_equal(status, 1);
  assert_has(err, "expectation failed: width: expected 1280, got 720");
  assert_has(err, "expectation failed: profile: expected main, got High");
  assert_has(err, "expectation failed: bframes: expected false, got true");
  assert_null(strstr(err, "keyint")); /* 30 frames at 30 fps: met */
  assert_null(strstr(err, "height"));
  assert_has(out, "\"bframes\": true");
  assert_has(out, "\"audio\": null");
  assert_has(out, "\"ok\": false}");
}

static void
test_gap_detected(void **state)
{
  /* a one-second hole in the timestamps after frame 60 */
  g_autofree char *f = make_fixture("gap.flv", "320x240", "-g 30 -fps_mode passthrough", NULL,
                                    "-vf setpts=PTS+gte(N\\,60)/TB");
  g_autofree char *out = NULL, *err = NULL;
  assert_int_equal(run_probe(&out, &err, "--expect-no-gaps", f, NULL), 1);
  assert_has(out, "\"video_gaps\": 1");
  assert_has(err, "expectation failed: gaps");
}

static void
test_unreadable_and_usage(void **state)
{
  g_autofree char *missing = g_build_filename(dir, "missing.flv", NULL);
  g_autofree char *out = NULL, *err = NULL;
  assert_int_equal(run_probe(&out, &err, missing, NULL), 2);
  assert_has(err, "missing.flv");
  g_clear_pointer(&err, g_free);
  g_clear_pointer(&out, g_free);
  assert_int_equal(run_probe(&out, &err, "--expect-width", "abc", missing, NULL), 64);
  assert_has(err, "--expect-width: 'abc' is not a number");
  g_clear_pointer(&err, g_free);
  g_clear_pointer(&out, g_free);
  assert_int_equal(run_probe(&out, &err, NULL), 64);
  g_clear_pointer(&err, g_free);
  g_clear_pointer(&out, g_free);
  assert_int_equal(run_probe(&out, &err, "--no-such-option", missing, NULL), 64);
}

/* A live stream through the real ingest; the key is masked in the report. */
static void
test_rtmp_stream(void **state)
{
  g_autofree char *f =
      make_fixture("live.flv", "640x360", "-g 30 -bf 0", "-c:a aac -b:a 96k", NULL);
  g_autoptr(GError) error = NULL;
  ScTestIngestOptions opts = {0};
  g_autoptr(ScTestIngest) ingest = sc_test_ingest_start(&opts, &error);
  assert_non_null(ingest);
  g_autofree char *base = sc_test_ingest_url(ingest, FALSE);
  g_autofree char *url = g_strconcat(base, "/probe-test-key-1234", NULL);
  g_autoptr(GSubprocess) publisher =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "ffmpeg", "-nostdin", "-re",
                       "-stream_loop", "-1", "-i", f, "-c", "copy", "-f", "flv", url, NULL);
  assert_non_null(publisher);
  g_autofree char *out = NULL, *err = NULL;
  int status = run_probe(&out, &err, "--duration", "3", "--timeout", "10", "--expect-width", "640",
                         "--expect-audio-codec", "aac", url, NULL);
  g_subprocess_send_signal(publisher, SIGTERM);
  g_subprocess_wait(publisher, NULL, NULL);
  if (status != 0)
    fail_msg("status %d: %s %s", status, out, err);
  assert_has(out, "\"codec\": \"h264\"");
  assert_has(out, "/live/****1234\"");
  assert_null(strstr(out, "probe-test-key"));
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
      cmocka_unit_test(test_spec_file_meets_expectations),
      cmocka_unit_test(test_failed_expectations_are_named),
      cmocka_unit_test(test_gap_detected),
      cmocka_unit_test(test_unreadable_and_usage),
      cmocka_unit_test(test_rtmp_stream),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
