/* The daemon's commands: the control socket's and the API's words (status,
 * live, show, drill, reconnect, ...) checked against one table and carried
 * out on the daemon, and the pre-flight check before a show. Main thread. */
#define G_LOG_DOMAIN "shopcast-daemon"

#include "firmware/daemon-private.h"

#include "firmware/camera-commands.h"
#include "firmware/recording-commands.h"
#include "firmware/show-commands.h"
#include "pipeline/rtmp-url.h"

#include <string.h>

static gboolean
parse_count(const char *text, guint max, guint *value, const char *what, GError **error)
{
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned(text, 10, 0, max, &v, NULL)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: '%s' is not 0..%u", what, text,
                max);
    return FALSE;
  }
  *value = (guint)v;
  return TRUE;
}

char *
sc_daemon_reconnect(ScDaemon *self, const char *name, GError **error)
{
  guint done = 0;
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *o = g_ptr_array_index(self->outputs, i);
    if (name == NULL || g_str_equal(sc_output_get_name(o), name)) {
      sc_event_log_add(self->events, g_get_real_time(), FALSE, "output", sc_output_get_name(o),
                       "reconnect", "asked by the operator");
      sc_output_reconnect_now(o);
      done++;
    }
  }
  if (name && done == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "no enabled destination named '%s' (see: status)", name);
    return NULL;
  }
  return g_strdup_printf("%u destination%s reconnecting\n", done, done == 1 ? "" : "s");
}

typedef struct {
  const char *name, *usage;
  guint min_args, max_args; /* after the name */
} Command;

static const Command commands[] = {
    {"status", "status", 0, 0},
    {"events", "events [N]", 0, 1},
    {"drill", "drill UPLINK SECONDS | drill pipeline SECONDS", 2, 2},
    {"reconnect", "reconnect [DESTINATION]", 0, 1},
    {"show", "show ...", 1, 4},
    {"audio", "audio ...", 0, 2},
    {"camera", "camera ...", 1, 4},
    {"live", "live on|off", 1, 1},
    {"studio", "studio [scene NAME | press BUTTON [MS]]", 0, 3},
    {"preflight", "preflight", 0, 0},
    {"board", "board", 0, 0},
    {"recording", "recording", 0, 0},
    {"report", "report ...", 0, 4},
    {"firmware", "firmware", 0, 0},
    {"system", "system ...", 0, 11},
};

/* ---- the pre-flight check ---- */

#define PREFLIGHT_CONNECT_MS 1500
#define PREFLIGHT_SILENT_DB  -60.0 /* a mic whose peak stays below this is not picking up */
#define PREFLIGHT_RECORD_S   (2 * 3600)

static void
check_cameras(ScDaemon *self, ScPreflight *p)
{
  for (guint i = 0; i < sc_cameras_get_count(self->cameras); i++) {
    ScCameraInfo info;
    sc_cameras_get_info(self->cameras, i, &info);
    g_autofree char *what = g_strdup_printf("camera %s", info.name);
    sc_preflight_add(p, what, info.state == SC_CAMERA_STATE_LIVE && info.frames > 0,
                     "%s, %" G_GUINT64_FORMAT " frames%s%s%s%s", sc_camera_state_name(info.state),
                     info.frames, info.mode ? ", " : "", info.mode ? info.mode : "",
                     info.reason ? ": " : "", info.reason ? info.reason : "");
  }
}

static void
check_microphone(ScDaemon *self, ScPreflight *p)
{
  ScAudioStatus st;
  sc_audio_get_status(sc_pipeline_get_audio(self->pipeline), &st);
  double peak = -120, rms = -120;
  for (guint c = 0; c < st.mic.channels; c++) {
    peak = MAX(peak, st.mic.peak_db[c]);
    rms = MAX(rms, st.mic.rms_db[c]);
  }
  if (st.mic_state.state == SC_MIC_STATE_LOST)
    sc_preflight_add(p, "microphone", FALSE, "lost: %s (retrying)",
                     st.mic_state.reason ? st.mic_state.reason : "no audio");
  else if (st.mic.channels == 0)
    sc_preflight_add(p, "microphone", FALSE, "no level measured yet");
  else if (st.mute)
    sc_preflight_add(p, "microphone", FALSE, "muted (audio mute off)");
  else if (peak < PREFLIGHT_SILENT_DB)
    sc_preflight_add(p, "microphone", FALSE, "silent: peak %.1f dBFS", peak);
  else if (st.mic.clipping)
    sc_preflight_add(p, "microphone", FALSE, "clipping: peak %.1f dBFS (lower the gain)", peak);
  else
    sc_preflight_add(p, "microphone", TRUE, "peak %.1f dBFS, rms %.1f dBFS, gain %+.1f dB", peak,
                     rms, st.gain_db);
}

static void
check_ingest(ScPreflight *p, const char *what, const char *url_text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(url_text, &error);
  if (url == NULL)
    sc_preflight_add(p, what, FALSE, "%s", error->message);
  else
    sc_preflight_check_reachable(p, what, url->host, url->port, PREFLIGHT_CONNECT_MS);
}

static void
check_destinations(ScDaemon *self, ScPreflight *p)
{
  for (guint i = 0; i < self->config->destinations->len; i++) {
    const ScDestination *d = g_ptr_array_index(self->config->destinations, i);
    if (!d->enabled)
      continue;
    g_autofree char *what = g_strdup_printf("destination %s", d->name);
    check_ingest(p, what, d->url);
    if (d->backup_url) {
      g_autofree char *backup = g_strdup_printf("destination %s backup", d->name);
      check_ingest(p, backup, d->backup_url);
    }
  }
}

/* The recordings' folder, or the nearest folder above it that exists. */
static void
check_disk(ScDaemon *self, ScPreflight *p)
{
  const ScMediaSpec *m = &self->config->media;
  g_autofree char *folder = g_strdup(self->config->recording.folder);
  while (!g_file_test(folder, G_FILE_TEST_IS_DIR) && strcmp(folder, "/") != 0) {
    char *up = g_path_get_dirname(folder);
    g_free(folder);
    folder = up;
  }
  guint64 need =
      (guint64)(m->video_bitrate_kbps + m->audio_bitrate_kbps) * 1000 / 8 * PREFLIGHT_RECORD_S;
  sc_preflight_check_disk(p, folder, need, "a 2-hour recording");
}

/* preflight: what is ready for the show and what is not. Before going live
 * only: the network checks wait for answers. */
static char *
preflight_command(ScDaemon *self, GError **error)
{
  if (self->live) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                "the pre-flight check is for before the show, and the box is on air (live off "
                "first)");
    return NULL;
  }
  g_autoptr(ScPreflight) p = sc_preflight_new();
  check_cameras(self, p);
  check_microphone(self, p);
  sc_studio_preflight(self->studio, p);
  sc_failover_preflight(self->failover, p);
  check_destinations(self, p);
  check_disk(self, p);
  return sc_preflight_to_json_lines(p);
}

/* live on|off: the operator's go live / end show. */
static char *
live_command(ScDaemon *self, const char *word, const char *who, GError **error)
{
  if (!g_str_equal(word, "on") && !g_str_equal(word, "off")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: live on|off");
    return NULL;
  }
  if (g_str_equal(word, "on"))
    sc_daemon_go_live(self, who);
  else
    sc_daemon_end_show(self, who);
  sc_studio_update(self->studio);
  return g_strdup(self->live ? "on air\n" : "off air\n");
}

static char *
studio_command(ScDaemon *self, const char *const *argv, guint argc, GError **error)
{
  guint hold_ms = 100;
  gboolean ok = TRUE;
  if (argc == 1)
    return sc_studio_status_json(self->studio);
  if (argc == 3 && g_str_equal(argv[1], "scene"))
    ok = sc_studio_set_scene(self->studio, argv[2], error);
  else if ((argc == 3 || argc == 4) && g_str_equal(argv[1], "press"))
    ok = (argc == 3 || parse_count(argv[3], 10000, &hold_ms, "press milliseconds", error)) &&
         sc_studio_press(self->studio, argv[2], hold_ms, error);
  else {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "usage: studio [scene NAME | press BUTTON [MS]]");
    return NULL;
  }
  return ok ? g_strdup("ok\n") : NULL;
}

char *
sc_daemon_run_command(const char *const *argv, const char *who, gpointer data, GError **error)
{
  ScDaemon *self = data;
  guint argc = g_strv_length((char **)argv);
  const Command *c = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(commands) && c == NULL; i++)
    if (g_str_equal(argv[0], commands[i].name))
      c = &commands[i];
  if (c == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "unknown command '%s'; the commands are: status, events [N], drill UPLINK "
                "SECONDS, reconnect [DESTINATION], show ..., live on|off, studio ..., preflight, "
                "camera ..., audio ..., board, recording, report ..., firmware, system ...",
                argv[0]);
    return NULL;
  }
  if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: %s",
                g_str_equal(c->name, "show")     ? sc_show_command_usage
                : g_str_equal(c->name, "audio")  ? sc_audio_command_usage
                : g_str_equal(c->name, "report") ? sc_report_command_usage
                : g_str_equal(c->name, "system") ? sc_provision_command_usage
                                                 : c->usage);
    return NULL;
  }
  if (g_str_equal(c->name, "camera"))
    return sc_camera_command(self->cameras, argv + 1, error);
  if (g_str_equal(c->name, "audio"))
    return sc_audio_control_command(self->audio, argv + 1, error);
  if (g_str_equal(c->name, "recording"))
    return sc_recording_status_json(self->recording);
  if (g_str_equal(c->name, "report"))
    return sc_report_command(self->recording, argv + 1, error);
  if (g_str_equal(c->name, "show")) {
    if (self->show == NULL) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                  "no run of show is loaded: set [box] show = FILE in the config");
      return NULL;
    }
    return sc_show_command(self->show, argv + 1, error);
  }
  if (g_str_equal(c->name, "live"))
    return live_command(self, argv[1], who, error);
  if (g_str_equal(c->name, "board"))
    return sc_daemon_board_json(self);
  if (g_str_equal(c->name, "firmware"))
    return sc_daemon_firmware_json(self, error);
  if (g_str_equal(c->name, "system"))
    return sc_provision_command(self->provision, argv + 1, self->live, who, error);
  if (g_str_equal(c->name, "studio"))
    return studio_command(self, argv, argc, error);
  if (g_str_equal(c->name, "preflight"))
    return preflight_command(self, error);
  if (g_str_equal(c->name, "status"))
    return sc_daemon_status_json(self);
  if (g_str_equal(c->name, "events")) {
    guint n = 50;
    if (argc == 2 && !parse_count(argv[1], SC_DAEMON_EVENTS_KEPT, &n, "events", error))
      return NULL;
    return sc_event_log_to_json_lines(self->events, n);
  }
  if (g_str_equal(c->name, "drill")) {
    guint seconds = 0;
    if (!parse_count(argv[2], 3600, &seconds, "drill seconds", error))
      return NULL;
    if (g_str_equal(argv[1], "pipeline")) { /* the program holds still: the stall watch acts */
      sc_pipeline_drill_stall(self->pipeline, seconds);
      sc_event_log_add(self->events, g_get_real_time(), TRUE, "drill", "pipeline",
                       seconds ? "stall" : "end", who);
    } else if (!sc_failover_drill(self->failover, argv[1], seconds, error)) {
      return NULL;
    }
    return g_strdup(seconds ? "drill started\n" : "drill ended\n");
  }
  return sc_daemon_reconnect(self, argc == 2 ? argv[1] : NULL, error);
}
