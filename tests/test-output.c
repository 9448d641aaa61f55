/* Tests for pipeline/output.c: a destination's push against a real nginx-rtmp
 * ingest, fed by a real (small) program pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pipeline/output.h"
#include "pipeline/pipeline.h"
#include "pipeline/rtmp.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

/* An ingest we can stop and start again on the same port. */
typedef struct {
  char *dir;
  guint16 port;
  GSubprocess *proc;
  char *key; /* NULL: any */
} Ingest;

static void
ingest_start(Ingest *in)
{
  g_autofree char *script = sc_test_source_path("tools/shopcast-ingest");
  g_autofree char *port = g_strdup_printf("%u", in->port);
  g_autofree char *auth = g_strdup_printf("%u", sc_test_free_port());
  g_autoptr(GError) error = NULL;
  const char *argv[] = {script,  "--dir", in->dir,       "--port", port,
                        "--key", in->key, "--auth-port", auth,     NULL};
  if (in->key == NULL)
    argv[5] = NULL;
  in->proc = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  assert_non_null(in->proc);
  assert_true(sc_test_wait_port(in->port, 5000));
}

static void
ingest_stop(Ingest *in)
{
  if (in->proc == NULL)
    return;
  g_subprocess_send_signal(in->proc, SIGTERM);
  g_subprocess_wait(in->proc, NULL, NULL);
  g_clear_object(&in->proc);
}

/* Stops the ingest and removes its directory. */
static void
ingest_clear(Ingest *in)
{
  ingest_stop(in);
  if (in->dir)
    sc_test_rmtree(in->dir);
  g_clear_pointer(&in->dir, g_free);
}

static char *
ingest_log(Ingest *in)
{
  g_autofree char *path = g_build_filename(in->dir, "error.log", NULL);
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, NULL);
  return text ? text : g_strdup("");
}

typedef struct {
  GMainLoop *loop;
  ScOutputState states[256];
  gint64 times[256];
  char *reasons[256];
  guint n;
  ScOutputState wait_for;
  guint wait_count; /* quit when this many states of wait_for were seen */
} Watch;

static guint
count_state(Watch *w, ScOutputState state)
{
  guint n = 0;
  for (guint i = 0; i < w->n; i++)
    n += w->states[i] == state;
  return n;
}

static void
on_state(ScOutput *output, const ScOutputReport *report, gpointer data)
{
  Watch *w = data;
  if (w->n < G_N_ELEMENTS(w->states)) {
    w->states[w->n] = report->state;
    w->times[w->n] = g_get_monotonic_time();
    w->reasons[w->n] = report->reason ? g_strdup(report->reason->message) : NULL;
    w->n++;
  }
  if (report->state == w->wait_for && count_state(w, report->state) >= w->wait_count)
    g_main_loop_quit(w->loop);
}

static gboolean
quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until the watched state was seen enough times, at most @timeout_ms. */
static gboolean
wait_state(Watch *w, ScOutputState state, guint count, guint timeout_ms)
{
  if (count_state(w, state) >= count)
    return TRUE;
  w->wait_for = state;
  w->wait_count = count;
  guint timer = g_timeout_add(timeout_ms, quit_loop, w->loop);
  g_main_loop_run(w->loop);
  gboolean seen = count_state(w, state) >= count;
  if (seen)
    g_source_remove(timer);
  return seen;
}

static void
watch_clear(Watch *w)
{
  for (guint i = 0; i < w->n; i++)
    g_free(w->reasons[i]);
  g_main_loop_unref(w->loop);
}

static ScPipeline *
small_program(void)
{
  static ScMediaSpec spec = {.width = 320,
                             .height = 240,
                             .framerate = 30,
                             .video_bitrate_kbps = 400,
                             .keyframe_interval_s = 2,
                             .audio_rate = 48000,
                             .audio_channels = 2,
                             .audio_bitrate_kbps = 64};
  ScFragment venc = {"x264", "x264enc name=venc tune=zerolatency speed-preset=ultrafast "
                             "bitrate=${bitrate_kbps} key-int-max=${keyint_frames}"};
  ScFragment aenc = {"aac", "avenc_aac name=aenc"};
  g_autoptr(GPtrArray) v = g_ptr_array_new();
  g_autoptr(GPtrArray) a = g_ptr_array_new();
  g_ptr_array_add(v, &venc);
  g_ptr_array_add(a, &aenc);
  ScPipelineParams p = {.video_source = "videotestsrc is-live=true",
                        .audio_source = "audiotestsrc is-live=true",
                        .video_encoders = v,
                        .audio_encoders = a,
                        .spec = &spec};
  g_autoptr(GError) error = NULL;
  ScPipeline *pipeline = sc_pipeline_new(&p, NULL, NULL, &error);
  assert_non_null(pipeline);
  return pipeline;
}

static void
keyframe(gpointer p)
{
  sc_pipeline_request_keyframe(p);
}

static ScOutput *
make_output_with_backup(Ingest *in, Ingest *backup, const char *key, Watch *w, ScPipeline *program)
{
  g_autofree char *url = g_strdup_printf("rtmp://127.0.0.1:%u/live", in->port);
  g_autofree char *backup_url =
      backup ? g_strdup_printf("rtmp://127.0.0.1:%u/live", backup->port) : NULL;
  ScOutputParams p = {.name = "test",
                      .url = url,
                      .backup_url = backup_url,
                      .stream_key = key,
                      .connect_timeout_ms = 2000,
                      .send_timeout_ms = 2000};
  ScOutput *o = sc_output_new(&p, on_state, w);
  if (program) {
    sc_output_set_keyframe_func(o, keyframe, program);
    sc_pipeline_add_program_sink(program, sc_output_push, o);
  }
  return o;
}

static ScOutput *
make_output(Ingest *in, const char *key, Watch *w, ScPipeline *program)
{
  return make_output_with_backup(in, NULL, key, w, program);
}

/* Starts @out and the program feeding it; TRUE once @out is live (at most 5 s). */
static gboolean
go_live(ScOutput *out, ScPipeline *program, Watch *w)
{
  sc_output_start(out);
  assert_true(sc_pipeline_start(program, NULL));
  return wait_state(w, SC_OUTPUT_STATE_LIVE, 1, 5000);
}

/* The primary ingest refuses the key: the next attempt goes to the backup
 * ingest, which takes the stream, without waiting out a long backoff. */
static void
test_backup_ingest_used_when_primary_refuses(void **state)
{
  Ingest primary = {.dir = sc_test_tmpdir(), .port = sc_test_free_port(), .key = "another-key"};
  Ingest backup = {.dir = sc_test_tmpdir(), .port = sc_test_free_port()};
  ingest_start(&primary);
  ingest_start(&backup);
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  g_autoptr(ScPipeline) program = small_program();
  g_autoptr(ScOutput) out =
      make_output_with_backup(&primary, &backup, "backup-test-key", &w, program);
  assert_int_equal(sc_output_get_ingest(out), SC_OUTPUT_INGEST_PRIMARY);
  gint64 start = g_get_monotonic_time();
  assert_true(go_live(out, program, &w));
  assert_true(g_get_monotonic_time() - start < 1500 * 1000);
  assert_int_equal(count_state(&w, SC_OUTPUT_STATE_RETRYING), 1);
  assert_int_equal(sc_output_get_ingest(out), SC_OUTPUT_INGEST_BACKUP);
  g_autofree char *port = g_strdup_printf(":%u/live/", backup.port);
  assert_non_null(strstr(sc_output_describe(out), port));
  g_usleep(500 * 1000);
  g_autofree char *log = ingest_log(&backup);
  assert_non_null(strstr(log, "publish: name='backup-test-key'"));
  sc_pipeline_stop(program);
  g_clear_pointer(&out, sc_output_free);
  ingest_clear(&primary);
  ingest_clear(&backup);
  watch_clear(&w);
}

/* The ingest goes away mid-stream and comes back: the output reports the
 * failure, retries within 0.5 s, and is live again by itself. */
static void
test_reconnects_after_ingest_restart(void **state)
{
  Ingest in = {.dir = sc_test_tmpdir(), .port = sc_test_free_port()};
  ingest_start(&in);
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  g_autoptr(ScPipeline) program = small_program();
  g_autoptr(ScOutput) out = make_output(&in, "restart-test", &w, program);
  assert_true(go_live(out, program, &w));
  g_usleep(500 * 1000);

  ingest_stop(&in);
  assert_true(wait_state(&w, SC_OUTPUT_STATE_RETRYING, 1, 5000));
  guint failed_at = w.n - 1;
  assert_true(wait_state(&w, SC_OUTPUT_STATE_CONNECTING, 2, 2000));
  gint64 first_retry_us = w.times[w.n - 1] - w.times[failed_at];
  /* the first wait is at most 0.5 s; the rest is scheduling on a busy test machine */
  assert_true(first_retry_us <= 800 * 1000);

  ingest_start(&in);
  assert_true(wait_state(&w, SC_OUTPUT_STATE_LIVE, 2, 20000));
  ScOutputStats stats;
  sc_output_get_stats(out, &stats);
  assert_int_equal(stats.connections, 2);
  assert_true(stats.failures >= 1);
  assert_true(stats.tags_sent > 30);

  sc_pipeline_stop(program);
  g_clear_pointer(&out, sc_output_free);
  ingest_clear(&in);
  watch_clear(&w);
}

/* Moving a push to another uplink: a failed path is left at once for the
 * backup ingest; a planned move closes the old publication politely. Both
 * reconnect without a backoff wait and count as moves, not failures. */
static void
test_moves_between_uplinks(void **state)
{
  Ingest primary = {.dir = sc_test_tmpdir(), .port = sc_test_free_port()};
  Ingest backup = {.dir = sc_test_tmpdir(), .port = sc_test_free_port()};
  ingest_start(&primary);
  ingest_start(&backup);
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  g_autoptr(ScPipeline) program = small_program();
  g_autoptr(ScOutput) out = make_output_with_backup(&primary, &backup, "move-key", &w, program);
  sc_output_set_interface(out, "lo", FALSE);
  assert_true(go_live(out, program, &w));
  g_autofree char *bound = sc_output_dup_interface(out);
  assert_string_equal(bound, "lo");

  sc_output_set_interface(out, "lo", TRUE); /* the same uplink: nothing to do */
  g_usleep(300 * 1000);
  ScOutputStats stats;
  sc_output_get_stats(out, &stats);
  assert_int_equal(stats.moves, 0);

  gint64 moved_at = g_get_monotonic_time();
  sc_output_set_interface(out, NULL, TRUE); /* "lo" failed: over the system's routing now */
  assert_true(wait_state(&w, SC_OUTPUT_STATE_LIVE, 2, 3000));
  assert_true(g_get_monotonic_time() - moved_at < 1000 * 1000);
  assert_int_equal(sc_output_get_ingest(out), SC_OUTPUT_INGEST_BACKUP);
  g_autofree char *unbound = sc_output_dup_interface(out);
  assert_null(unbound);

  sc_output_set_interface(out, "lo", FALSE); /* a planned move back */
  assert_true(wait_state(&w, SC_OUTPUT_STATE_LIVE, 3, 3000));
  sc_output_get_stats(out, &stats);
  assert_int_equal(stats.moves, 2);
  assert_int_equal(stats.failures, 0);
  assert_int_equal(count_state(&w, SC_OUTPUT_STATE_RETRYING), 0);
  g_usleep(300 * 1000);
  g_autofree char *log = ingest_log(&backup);
  assert_non_null(strstr(log, "deleteStream")); /* the planned move said goodbye */

  sc_output_reconnect_now(out); /* the operator's "reconnect now" on a live push */
  assert_true(wait_state(&w, SC_OUTPUT_STATE_LIVE, 4, 3000));
  sc_output_get_stats(out, &stats);
  assert_int_equal(stats.moves, 3);
  assert_int_equal(stats.failures, 0);

  sc_pipeline_stop(program);
  g_clear_pointer(&out, sc_output_free);
  ingest_clear(&primary);
  ingest_clear(&backup);
  watch_clear(&w);
}

/* A refused key is reported with the reason, and retried with backoff rather
 * than in a tight loop. */
static void
test_wrong_key_backs_off(void **state)
{
  Ingest in = {.dir = sc_test_tmpdir(), .port = sc_test_free_port(), .key = "right-key"};
  ingest_start(&in);
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  g_autoptr(ScOutput) out = make_output(&in, "WRONG-KEY-123456", &w, NULL);
  sc_output_start(out);
  wait_state(&w, SC_OUTPUT_STATE_LIVE, 1, 4000); /* never comes: just let 4 s pass */
  guint failures = count_state(&w, SC_OUTPUT_STATE_RETRYING);
  /* waits of at most 0.5, 1, 2 s: 2 to 4 attempts in 4 s, not hundreds */
  assert_in_range(failures, 2, 5);
  assert_int_equal(count_state(&w, SC_OUTPUT_STATE_LIVE), 0);
  for (guint i = 0; i < w.n; i++) {
    if (w.reasons[i] == NULL)
      continue;
    assert_non_null(strstr(w.reasons[i], "key"));
    assert_null(strstr(w.reasons[i], "WRONG-KEY-123456"));
  }
  g_clear_pointer(&out, sc_output_free);
  ingest_clear(&in);
  watch_clear(&w);
}

/* A new path (an uplink back, or another one) starts the backoff over: what
 * failed before was the old path. After 6 s of refusals the waits have grown
 * to seconds; once the path changes, retries come within retry_first_ms
 * again. (An ingest still holding the lost path's publication refuses the
 * first try; the next, on the other ingest, must not wait 16 s.) */
static void
test_new_path_restarts_backoff(void **state)
{
  Ingest in = {.dir = sc_test_tmpdir(), .port = sc_test_free_port(), .key = "right-key"};
  ingest_start(&in);
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  g_autoptr(ScOutput) out = make_output(&in, "WRONG-KEY-654321", &w, NULL);
  sc_output_start(out);
  wait_state(&w, SC_OUTPUT_STATE_LIVE, 1, 6000); /* never comes: the waits grow */
  guint before = count_state(&w, SC_OUTPUT_STATE_RETRYING);
  sc_output_set_interface(out, "lo", FALSE);
  wait_state(&w, SC_OUTPUT_STATE_LIVE, 1, 1500);
  guint after = count_state(&w, SC_OUTPUT_STATE_RETRYING) - before;
  g_print("refusals: %u in the first 6 s, %u in the 1.5 s after the new path\n", before, after);
  assert_in_range(before, 3, 6);
  assert_true(after >= 2); /* at once, then within 0.5 s */
  g_clear_pointer(&out, sc_output_free);
  ingest_clear(&in);
  watch_clear(&w);
}

/* Pushing into an output that cannot publish never blocks the streaming thread. */
static void
test_push_never_blocks(void **state)
{
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  Ingest nowhere = {.port = sc_test_free_port()}; /* nothing listens there */
  g_autoptr(ScOutput) out = make_output(&nowhere, "k", &w, NULL);
  sc_output_start(out);
  guint8 tag[11 + 5 + 4] = {0x09, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x17, 1, 0, 0, 0, 0, 0, 0, 16};
  g_autoptr(GstBuffer) buf = gst_buffer_new_memdup(tag, sizeof tag);
  gint64 start = g_get_monotonic_time();
  for (int i = 0; i < 100000; i++)
    sc_output_push(buf, NULL, out);
  assert_true(g_get_monotonic_time() - start < 500 * 1000);
  g_clear_pointer(&out, sc_output_free);
  watch_clear(&w);
}

/* The end of the stream closes the publication politely. */
static void
test_end_of_stream_closes_publication(void **state)
{
  Ingest in = {.dir = sc_test_tmpdir(), .port = sc_test_free_port()};
  ingest_start(&in);
  Watch w = {.loop = g_main_loop_new(NULL, FALSE)};
  g_autoptr(ScPipeline) program = small_program();
  g_autoptr(ScOutput) out = make_output(&in, "eos-test", &w, program);
  assert_true(go_live(out, program, &w));
  g_usleep(1000 * 1000);
  sc_pipeline_send_eos(program);
  assert_true(sc_output_finish(out, 3000));
  assert_int_equal(sc_output_get_state(out), SC_OUTPUT_STATE_STOPPED);
  g_autofree char *log = ingest_log(&in);
  assert_non_null(strstr(log, "deleteStream"));
  sc_pipeline_stop(program);
  g_clear_pointer(&out, sc_output_free);
  ingest_clear(&in);
  watch_clear(&w);
}

static int
init(void **state)
{
  gst_init(NULL, NULL);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_push_never_blocks),
      cmocka_unit_test(test_wrong_key_backs_off),
      cmocka_unit_test(test_new_path_restarts_backoff),
      cmocka_unit_test(test_end_of_stream_closes_publication),
      cmocka_unit_test(test_reconnects_after_ingest_restart),
      cmocka_unit_test(test_backup_ingest_used_when_primary_refuses),
      cmocka_unit_test(test_moves_between_uplinks),
  };
  return cmocka_run_group_tests(tests, init, NULL);
}
