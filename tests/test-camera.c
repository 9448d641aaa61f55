/* Tests for pipeline/camera.c and the cameras in shopcastd: on the simulated
 * board, shopcastd's daemon (in this process) runs two test cameras; the test
 * switches between them, unplugs the camera on program with a drill and
 * plugs it back, and checks what a viewer would notice: the picture of every
 * frame reaching the overlay stage, the slate while the camera is away, and
 * the encoded program's timestamps (no gap, audio throughout). Controls and
 * config errors are checked on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/camera-commands.h"
#include "firmware/daemon.h"
#include "pipeline/flv.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>

#include <string.h>

#define WIDTH  320
#define HEIGHT 240
/* the drill's timeline, in ms from the first program frame */
#define SWITCH_CLOSEUP_AT 1000
#define SWITCH_MAIN_AT    2000
#define UNPLUG_AT         3000
#define STATUS_AT         4000
#define REPLUG_AT         5000
#define STALL_AT          6500
#define UNSTALL_AT        8000
#define STOP_AT           9500
#define RUN_LIMIT_S       40
#define MAX_RECORDS       1024

typedef enum { PIC_OTHER, PIC_BLACK, PIC_BARS, PIC_CHECKERS, PIC_SLATE } Picture;
static const char *const picture_names[] = {"other", "black", "bars", "checkers", "slate"};

typedef struct {
  gint64 at_us;
  Picture picture;
} Record;

typedef struct {
  ScDaemon *daemon;
  GMainLoop *loop;
  GMutex lock;
  Record records[MAX_RECORDS];
  guint n_records;
  gint64 first_frame_us;
  guint32 last_video_ts, last_audio_ts, max_video_gap, max_audio_gap;
  guint video_tags, audio_tags;
  guint32 first_video_ts;
  guint step;
  gint64 action_us[8];
  char *status_during_loss;
  char *events;
  char *ctl;
  char *control;
  gboolean timed_out;
} Run;

/* ---- what the program shows ---- */

/* Classified from a strip near the top: the colour bars have every hue, the
 * checkers pattern only red and green (U 54..90), the slate is a flat dark
 * blue. */
static Picture
classify(GstVideoFrame *frame)
{
  const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA(frame, 0);
  const guint8 *u = GST_VIDEO_FRAME_PLANE_DATA(frame, 1);
  gint ys = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), us = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 1);
  guint ymin = 255, ymax = 0, umin = 255, umax = 0, ysum = 0, usum = 0, n = 0;
  for (int row = 8; row < 16; row++)
    for (int col = 0; col < WIDTH; col++, n++) {
      guint yv = y[row * ys + col], uv = u[(row / 2) * us + col / 2];
      ymin = MIN(ymin, yv), ymax = MAX(ymax, yv), umin = MIN(umin, uv), umax = MAX(umax, uv);
      ysum += yv, usum += uv;
    }
  guint ymean = ysum / n, umean = usum / n;
  if (umax - umin > 100)
    return PIC_BARS;
  if (umax - umin > 20 && umax < 100 && ymax - ymin > 40)
    return PIC_CHECKERS;
  if (ymax - ymin < 20 && umean > 136 && ymean > 30 && ymean < 60)
    return PIC_SLATE;
  if (ymax - ymin < 10 && ymean < 25)
    return PIC_BLACK;
  return PIC_OTHER;
}

static void
on_frame(GstVideoFrame *frame, GstClockTime running_time, gpointer data)
{
  Run *run = data;
  Picture p = classify(frame);
  g_mutex_lock(&run->lock);
  gint64 now = g_get_monotonic_time();
  if (run->first_frame_us == 0)
    run->first_frame_us = now;
  if (run->n_records < MAX_RECORDS)
    run->records[run->n_records++] = (Record){now, p};
  g_mutex_unlock(&run->lock);
}

/* ---- the encoded program ---- */

static void
track(guint32 ts, guint32 *last, guint32 *max_gap, guint *count)
{
  if (*count > 0 && ts > *last)
    *max_gap = MAX(*max_gap, ts - *last);
  *last = ts;
  (*count)++;
}

static void
on_tag(GstBuffer *tag, GstCaps *caps, gpointer data)
{
  Run *run = data;
  if (tag == NULL || GST_BUFFER_FLAG_IS_SET(tag, GST_BUFFER_FLAG_HEADER))
    return;
  GstMapInfo m;
  ScFlvTag t;
  gst_buffer_map(tag, &m, GST_MAP_READ);
  g_mutex_lock(&run->lock);
  if (sc_flv_parse_tag(m.data, m.size, &t, NULL) && !sc_flv_tag_is_sequence_header(&t)) {
    if (t.type == SC_FLV_TAG_VIDEO && t.body_len > 1 && t.body[1] == 1) {
      if (run->video_tags == 0)
        run->first_video_ts = t.timestamp_ms;
      track(t.timestamp_ms, &run->last_video_ts, &run->max_video_gap, &run->video_tags);
    } else if (t.type == SC_FLV_TAG_AUDIO) {
      track(t.timestamp_ms, &run->last_audio_ts, &run->max_audio_gap, &run->audio_tags);
    }
  }
  g_mutex_unlock(&run->lock);
  gst_buffer_unmap(tag, &m);
}

/* ---- the control socket, as the studio uses it ---- */

static void
on_ctl_done(GObject *source, GAsyncResult *result, gpointer data)
{
  char **out = data;
  g_autofree char *text = NULL;
  g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), result, &text, NULL, NULL);
  *out = text ? g_steal_pointer(&text) : g_strdup("");
}

/* Runs shopcastctl while the main loop keeps serving the daemon. */
static void
ctl_async(Run *run, const char *a, const char *b, char **out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, run->ctl,
                                              "--socket", run->control, a, b, NULL);
  assert_non_null(p);
  g_subprocess_communicate_utf8_async(p, NULL, NULL, on_ctl_done, out);
}

/* ---- the drill ---- */

static void
act(Run *run, guint step)
{
  g_autoptr(GError) error = NULL;
  ScCameras *cameras = sc_daemon_get_cameras(run->daemon);
  run->action_us[step] = g_get_monotonic_time();
  switch (step) {
  case 0:
    assert_true(sc_daemon_camera_switch(run->daemon, "closeup", &error));
    break;
  case 1:
    assert_true(sc_daemon_camera_switch(run->daemon, "main", &error));
    break;
  case 2:
    assert_true(sc_cameras_drill(cameras, "main", SC_CAMERA_DRILL_UNPLUG, &error));
    break;
  case 3:
    ctl_async(run, "status", NULL, &run->status_during_loss);
    break;
  case 4:
    assert_true(sc_cameras_drill(cameras, "main", SC_CAMERA_DRILL_NONE, &error));
    break;
  case 5:
    assert_true(sc_cameras_drill(cameras, "main", SC_CAMERA_DRILL_STALL, &error));
    break;
  case 6:
    assert_true(sc_cameras_drill(cameras, "main", SC_CAMERA_DRILL_NONE, &error));
    break;
  case 7:
    ctl_async(run, "events", "100", &run->events);
    sc_daemon_stop(run->daemon);
    break;
  }
}

static gboolean
on_script(gpointer data)
{
  static const gint64 at_ms[] = {SWITCH_CLOSEUP_AT, SWITCH_MAIN_AT, UNPLUG_AT,  STATUS_AT,
                                 REPLUG_AT,         STALL_AT,       UNSTALL_AT, STOP_AT};
  Run *run = data;
  g_mutex_lock(&run->lock);
  gint64 first = run->first_frame_us;
  g_mutex_unlock(&run->lock);
  gint64 now = g_get_monotonic_time();
  while (first && run->step < G_N_ELEMENTS(at_ms) && now - first >= at_ms[run->step] * 1000)
    act(run, run->step++);
  return run->step < G_N_ELEMENTS(at_ms) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_run_limit(gpointer data)
{
  Run *run = data;
  run->timed_out = TRUE;
  g_main_loop_quit(run->loop);
  return G_SOURCE_REMOVE;
}

static char *dir;

static ScDaemon *
new_daemon(const char *extra, GMainLoop *loop, char **control, GError **error)
{
  *control = g_build_filename(dir, "control", NULL);
  g_autofree char *text = g_strdup_printf(
      "[box]\nboard = sim\ncontrol-socket = %s\n[panel]\nlisten = off\n"
      "[video]\nwidth = %d\nheight = %d\nbitrate = 500\nx264-preset = ultrafast\n%s",
      *control, WIDTH, HEIGHT, extra);
  g_autofree char *path = sc_test_write_file(dir, "shopcast.ini", text);
  ScConfig *config = sc_config_load(path, error);
  if (config == NULL)
    return NULL;
  ScBoard *board = sc_board_load(sc_board_default_dir(), config->board, error);
  if (board == NULL) {
    sc_config_free(config);
    return NULL;
  }
  sc_config_apply_board(config, board);
  return sc_daemon_new(config, board, loop, error);
}

/* The first record at or after @from_us; G_MAXUINT when none. */
static guint
first_after(Run *run, gint64 from_us)
{
  for (guint i = 0; i < run->n_records; i++)
    if (run->records[i].at_us >= from_us)
      return i;
  return G_MAXUINT;
}

/* Within @within_ms of @from_us the program shows @want, and from then on
 * until @until_us shows nothing else. */
static void
assert_shows(Run *run, gint64 from_us, guint within_ms, gint64 until_us, Picture want)
{
  guint i = first_after(run, from_us);
  while (i < run->n_records && run->records[i].picture != want)
    i++;
  if (i == run->n_records)
    fail_msg("%s never shown after %" G_GINT64_FORMAT " ms", picture_names[want],
             (from_us - run->first_frame_us) / 1000);
  gint64 took_ms = (run->records[i].at_us - from_us) / 1000;
  if (took_ms > within_ms)
    fail_msg("%s shown after %" G_GINT64_FORMAT " ms (at most %u)", picture_names[want], took_ms,
             within_ms);
  for (; i < run->n_records && run->records[i].at_us < until_us; i++)
    if (run->records[i].picture != want)
      fail_msg("frame at %" G_GINT64_FORMAT " ms shows %s, not %s",
               (run->records[i].at_us - run->first_frame_us) / 1000,
               picture_names[run->records[i].picture], picture_names[want]);
}

static void
test_switch_loss_and_return(void **state)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(GError) error = NULL;
  Run *run = g_new0(Run, 1);
  g_mutex_init(&run->lock);
  run->loop = loop;
  run->ctl = sc_test_build_path("tools/shopcastctl");
  run->daemon = new_daemon("[camera main]\n[camera closeup]\ndevice = checkers-8\n", loop,
                           &run->control, &error);
  if (run->daemon == NULL)
    fail_msg("daemon: %s", error->message);
  ScPipeline *program = sc_daemon_get_pipeline(run->daemon);
  sc_pipeline_add_program_sink(program, on_tag, run);
  sc_pipeline_set_overlay(program, on_frame, run);
  assert_true(sc_daemon_start(run->daemon, &error));
  g_timeout_add(20, on_script, run);
  guint limit = g_timeout_add_seconds(RUN_LIMIT_S, on_run_limit, run);
  g_main_loop_run(loop);
  if (!run->timed_out)
    g_source_remove(limit);
  /* the last shopcastctl answers (the control socket lives until the daemon is freed) */
  for (guint i = 0; i < 500 && (run->events == NULL || run->status_during_loss == NULL); i++)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(10 * 1000);
  sc_pipeline_set_overlay(program, NULL, NULL);
  assert_false(run->timed_out);

  gint64 *a = run->action_us;
  /* the main camera from the start; each switch clean: the other camera's
   * picture on the next frames, nothing in between */
  assert_shows(run, run->first_frame_us + 500 * 1000, 100, a[0], PIC_BARS);
  assert_shows(run, a[0], 100, a[1], PIC_CHECKERS);
  assert_shows(run, a[1], 100, a[2], PIC_BARS);
  /* unplugged: the slate within a second, until it is back */
  assert_shows(run, a[2], 1000, a[4], PIC_SLATE);
  /* plugged back: the camera again, by itself, and it stays */
  assert_shows(run, a[4], 2000, a[5], PIC_BARS);
  /* frozen (open, no frames): the slate after the frame timeout, then back */
  assert_shows(run, a[5], 1000, a[6], PIC_SLATE);
  assert_shows(run, a[6], 1000, a[7], PIC_BARS);

  /* the outputs never saw a gap: video at 30 fps throughout, audio too */
  guint32 span = run->last_video_ts - run->first_video_ts;
  assert_true(span > 8500);
  assert_in_range(run->video_tags, span * 30 / 1000 - 1, span * 30 / 1000 + 2);
  assert_true(run->max_video_gap <= 100);
  assert_true(run->max_audio_gap <= 100);
  assert_true(run->audio_tags > span * 48 / 1024 - 5);

  /* the loss in `status`, and the loss and return in the journal */
  assert_non_null(run->status_during_loss);
  assert_non_null(strstr(run->status_during_loss, "{\"camera\":\"main\",\"state\":\"lost\""));
  assert_non_null(strstr(run->status_during_loss, "\"showing\":\"slate\""));
  assert_non_null(run->events);
  assert_non_null(
      strstr(run->events, "\"kind\":\"camera\",\"subject\":\"main\",\"state\":\"lost\""));
  const char *lost = strstr(run->events, "\"subject\":\"main\",\"state\":\"lost\"");
  assert_non_null(strstr(lost, "\"subject\":\"main\",\"state\":\"running\""));
  assert_non_null(strstr(run->events, "\"subject\":\"program\",\"state\":\"switched\""));

  sc_daemon_free(run->daemon);
  g_free(run->status_during_loss);
  g_free(run->events);
  g_free(run->ctl);
  g_free(run->control);
  g_mutex_clear(&run->lock);
  g_free(run);
}

/* A camera that stops sending frames (open, silent) is lost after the frame
 * timeout, and comes back when frames flow again. */
static gboolean
quit_soon(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static void
spin(GMainLoop *loop, guint ms)
{
  g_timeout_add(ms, quit_soon, loop);
  g_main_loop_run(loop);
}

static void
on_event_count(const char *camera, const char *state, const char *detail, gboolean warning,
               gpointer data)
{
  GString *log = data;
  g_string_append_printf(log, "%s %s: %s\n", camera, state, detail ? detail : "");
}

static ScCamerasParams
sim_params(ScPipelineParams *program, ScMediaSpec *spec)
{
  *spec = (ScMediaSpec){.width = WIDTH, .height = HEIGHT, .framerate = 30};
  *program = (ScPipelineParams){.spec = spec};
  ScCamerasParams p = {
      .source = "videotestsrc is-live=true pattern=${video_device} ! "
                "video/x-raw,width=${width},height=${height},framerate=${framerate}/1",
      .kind = SC_CAMERA_KIND_TEST,
      .default_device = "smpte75",
      .params = program,
  };
  return p;
}

static GPtrArray *
one_camera(const char *name, const char *device)
{
  GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)sc_camera_config_free);
  ScCameraConfig *c = g_new0(ScCameraConfig, 1);
  c->name = g_strdup(name);
  c->device = g_strdup(device);
  g_ptr_array_add(list, c);
  return list;
}

static void
test_stalled_camera_is_lost_and_returns(void **state)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(GError) error = NULL;
  ScPipelineParams program;
  ScMediaSpec spec;
  ScCamerasParams p = sim_params(&program, &spec);
  g_autoptr(GPtrArray) configs = one_camera("main", NULL);
  g_autoptr(GString) log = g_string_new(NULL);
  g_autoptr(ScCameras) cams = sc_cameras_new(&p, configs, on_event_count, log, &error);
  assert_non_null(cams);
  sc_cameras_start(cams);
  spin(loop, 700);
  ScCameraInfo info;
  sc_cameras_get_info(cams, 0, &info);
  assert_int_equal(info.state, SC_CAMERA_STATE_LIVE);
  assert_true(sc_cameras_drill(cams, "main", SC_CAMERA_DRILL_STALL, &error));
  spin(loop, 800); /* 500 ms without a frame, and the watchdog's period */
  sc_cameras_get_info(cams, 0, &info);
  assert_int_equal(info.state, SC_CAMERA_STATE_LOST);
  assert_string_equal(info.reason, "no frame for 500 ms");
  assert_true(sc_cameras_drill(cams, "main", SC_CAMERA_DRILL_NONE, &error));
  spin(loop, 400);
  sc_cameras_get_info(cams, 0, &info);
  assert_int_equal(info.state, SC_CAMERA_STATE_LIVE);
  assert_int_equal(info.losses, 1);
  assert_non_null(
      strstr(log->str, "main lost: no frame for 500 ms\nmain drill: ended\nmain running"));
  sc_cameras_stop(cams);
}

/* ---- controls, through the control socket's words ---- */

static char *
command(ScCameras *cams, const char *line, GError **error)
{
  g_auto(GStrv) argv = g_strsplit(line, " ", -1);
  return sc_camera_command(cams, (const char *const *)argv, error);
}

static void
assert_error_contains(ScCameras *cams, const char *line, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = command(cams, line, &error);
  assert_null(out);
  assert_non_null(error);
  if (strstr(error->message, needle) == NULL)
    fail_msg("'%s': \"%s\" not in: %s", line, needle, error->message);
}

static void
test_controls_simulated(void **state)
{
  g_autoptr(GError) error = NULL;
  ScPipelineParams program;
  ScMediaSpec spec;
  ScCamerasParams p = sim_params(&program, &spec);
  g_autoptr(GPtrArray) configs = one_camera("main", NULL);
  ScCameraConfig *c = g_ptr_array_index(configs, 0);
  c->controls[SC_V4L2_CONTROL_FOCUS] = (ScV4l2Setting){.set = TRUE, .value = 40};
  g_autoptr(ScCameras) cams = sc_cameras_new(&p, configs, NULL, NULL, &error);
  assert_non_null(cams);

  g_autofree char *initial = command(cams, "get main", &error);
  assert_string_equal(initial, "exposure auto\nwhite-balance auto\nfocus 40\n"); /* from config */
  g_autofree char *set = command(cams, "set main exposure 300", &error);
  assert_string_equal(set, "camera main: exposure 300\n");
  g_autofree char *wb = command(cams, "set main white-balance 5600", &error);
  g_autofree char *focus = command(cams, "set main focus auto", &error);
  assert_non_null(wb);
  assert_non_null(focus);
  g_autofree char *after = command(cams, "get main", &error);
  assert_string_equal(after, "exposure 300\nwhite-balance 5600\nfocus auto\n");
  g_autofree char *status = sc_camera_status_json_lines(cams);
  assert_non_null(strstr(status, "\"exposure\":\"300\",\"white-balance\":\"5600\""));

  assert_error_contains(cams, "set main iso 100", "unknown camera control 'iso'");
  assert_error_contains(cams, "set main exposure bright", "neither auto nor a whole number");
  assert_error_contains(cams, "set main white-balance 99999", "out of the camera's range");
  assert_error_contains(cams, "set wide exposure 300", "no camera named 'wide' (cameras: main)");
  assert_error_contains(cams, "switch wide", "no camera named 'wide'");
  assert_error_contains(cams, "drill main sideways", "is not off");
  assert_error_contains(cams, "zoom main", "usage: camera status");
  /* a refused value changes nothing */
  g_autofree char *unchanged = command(cams, "get main", &error);
  assert_string_equal(unchanged, "exposure 300\nwhite-balance 5600\nfocus auto\n");
}

/* ---- config errors ---- */

static void
assert_config_error(const char *extra, const char *needle)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *control = NULL;
  g_autoptr(ScDaemon) d = new_daemon(extra, loop, &control, &error);
  assert_null(d);
  assert_non_null(error);
  if (strstr(error->message, needle) == NULL)
    fail_msg("\"%s\" not in: %s", needle, error->message);
}

static void
test_config_errors(void **state)
{
  assert_config_error("[camera main]\nformat = h264\n",
                      "shopcast.ini: [camera main] format: 'h264' is not a format (auto, mjpeg");
  assert_config_error("[camera main]\niso = 100\n", "[camera main] iso: unknown key");
  assert_config_error("[camera main]\ndevice =\n", "[camera main] device: is empty");
  assert_config_error("[camera main]\nexposure = bright\n",
                      "[camera main] exposure: exposure: 'bright' is neither auto nor");
  assert_config_error("[camera main wide]\n", "[camera main wide]: a camera's name");
  /* a simulated camera whose pattern does not exist stops the box at start */
  assert_config_error("[camera main]\ndevice = nosuchpattern\n", "camera main");
}

/* On a V4L2 board: a camera without a device path, or a device that is not
 * a camera, is a config error; an absent one only waits to be plugged in. */
static void
test_v4l2_devices(void **state)
{
  g_autoptr(GError) error = NULL;
  ScPipelineParams program;
  ScMediaSpec spec;
  ScCamerasParams p = sim_params(&program, &spec);
  p.kind = SC_CAMERA_KIND_V4L2;
  p.default_device = NULL;
  p.source = "v4l2src device=${video_device} ! ${video_caps}";

  g_autoptr(GPtrArray) none = one_camera("main", NULL);
  g_autoptr(ScCameras) a = sc_cameras_new(&p, none, NULL, NULL, &error);
  assert_null(a);
  assert_non_null(strstr(error->message, "camera main: no device path"));
  g_clear_error(&error);

  g_autoptr(GPtrArray) not_camera = one_camera("main", "/dev/null");
  g_autoptr(ScCameras) b = sc_cameras_new(&p, not_camera, NULL, NULL, &error);
  assert_null(b);
  assert_non_null(strstr(error->message, "camera main: /dev/null is not a V4L2 device"));
  g_clear_error(&error);

  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(GPtrArray) absent = one_camera("main", "/dev/v4l/by-id/usb-Studio_Cam-video-index0");
  g_autoptr(GString) log = g_string_new(NULL);
  g_autoptr(ScCameras) c = sc_cameras_new(&p, absent, on_event_count, log, &error);
  assert_non_null(c);
  sc_cameras_start(c);
  spin(loop, 1000); /* a few retries */
  ScCameraInfo info;
  sc_cameras_get_info(c, 0, &info);
  assert_int_equal(info.state, SC_CAMERA_STATE_LOST);
  assert_non_null(strstr(info.reason, "/dev/v4l/by-id/usb-Studio_Cam-video-index0 is absent"));
  assert_int_equal(info.losses, 1); /* retrying is not losing it again */
  /* tried at start, then after 250 and 750 ms: backing off, never giving up */
  assert_int_equal(info.attempts, 3);
  sc_cameras_stop(c);
}

static int
setup(void **state)
{
  gst_init(NULL, NULL);
  dir = sc_test_tmpdir();
  return 0;
}

static int
teardown(void **state)
{
  sc_test_rmtree(dir);
  g_free(dir);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_controls_simulated),
      cmocka_unit_test(test_config_errors),
      cmocka_unit_test(test_v4l2_devices),
      cmocka_unit_test(test_stalled_camera_is_lost_and_returns),
      cmocka_unit_test(test_switch_loss_and_return),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
