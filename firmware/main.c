/* shopcastd: the live-shopping studio box's daemon. */
#define G_LOG_DOMAIN "shopcast-main"

#include "drivers/uplink.h"
#include "firmware/daemon.h"
#include "pipeline/rtmp-url.h"
#include "sc-build-config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#define DEFAULT_CONFIG "/etc/shopcast/shopcast.ini"

typedef struct {
  char *config_path;
  char *log_level;
  gboolean check_config;
  gboolean version;
} Options;

static int
parse_options(int *argc, char ***argv, Options *o)
{
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path,
       "Configuration file (default " DEFAULT_CONFIG ")", "FILE"},
      {"check-config", 0, 0, G_OPTION_ARG_NONE, &o->check_config,
       "Check the configuration and the board, print a summary, exit", NULL},
      {"log-level", 0, 0, G_OPTION_ARG_STRING, &o->log_level,
       "error, warning, info or debug (overrides the config)", "LEVEL"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- the shopcast live-commerce streaming daemon");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error) || *argc > 1) {
    fprintf(stderr, "shopcastd: %s (see --help)\n", error ? error->message : "unexpected argument");
    return SC_EXIT_USAGE;
  }
  if (o->config_path == NULL)
    o->config_path = g_strdup(DEFAULT_CONFIG);
  return 0;
}

/* Config and board, checked and completed. Exit code in *status on failure. */
static gboolean
load(const Options *o, ScConfig **config, ScBoard **board, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = sc_config_load(o->config_path, &error);
  const char *dir = c ? (c->board_dir ? c->board_dir : sc_board_default_dir()) : NULL;
  g_autoptr(ScBoard) b = c ? sc_board_load(dir, c->board, &error) : NULL;
  if (b == NULL) {
    fprintf(stderr, "shopcastd: configuration error: %s\n", error->message);
    *status = SC_EXIT_CONFIG;
    return FALSE;
  }
  ScLogLevel level = c->log_level;
  if (o->log_level && !sc_log_level_parse(o->log_level, &level)) {
    fprintf(stderr, "shopcastd: --log-level: '%s' is not error, warning, info or debug\n",
            o->log_level);
    *status = SC_EXIT_USAGE;
    return FALSE;
  }
  sc_log_set_level(level);
  sc_config_apply_board(c, b);
  *config = g_steal_pointer(&c);
  *board = g_steal_pointer(&b);
  return TRUE;
}

static int
status_for(const GError *error)
{
  return g_error_matches(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_NO_ENCODER) ||
                 g_error_matches(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_SYSTEM)
             ? SC_EXIT_UNAVAILABLE
             : SC_EXIT_CONFIG;
}

static void
print_summary(const ScConfig *c, const ScBoard *b, ScPipeline *p)
{
  const ScMediaSpec *m = &c->media;
  printf("config ok: %s\n", c->path);
  printf("board: %s (%s)\n", sc_board_get_name(b), sc_board_get_description(b));
  printf(
      "video: %ux%u %u fps, H.264 %s %u kb/s CBR, keyframe every %u s, %u B-frames, encoder %s\n",
      m->width, m->height, m->framerate, m->profile == SC_H264_PROFILE_HIGH ? "High" : "Main",
      m->video_bitrate_kbps, m->keyframe_interval_s, m->bframes, sc_pipeline_get_video_encoder(p));
  printf("audio: AAC-LC %u Hz, %u channel(s), %u kb/s, encoder %s\n", m->audio_rate,
         m->audio_channels, m->audio_bitrate_kbps, sc_pipeline_get_audio_encoder(p));
  for (guint i = 0; i < c->destinations->len; i++) {
    const ScDestination *d = g_ptr_array_index(c->destinations, i);
    g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(d->url, NULL);
    g_autofree char *shown = sc_rtmp_url_describe(url, d->stream_key);
    printf("destination %s: %s%s\n", d->name, shown, d->enabled ? "" : " (disabled)");
  }
}

static int
check_config(ScConfig *config, ScBoard *board)
{
  g_autoptr(GError) error = NULL;
  ScPipelineParams params = sc_config_pipeline_params(config, board);
  g_autoptr(ScPipeline) pipeline = sc_pipeline_new(&params, NULL, NULL, &error);
  if (pipeline == NULL) {
    fprintf(stderr, "shopcastd: board %s: %s\n", sc_board_get_name(board), error->message);
    return status_for(error);
  }
  print_summary(config, board, pipeline);
  return 0;
}

static gboolean
on_signal(gpointer data)
{
  g_info("stop requested by signal");
  sc_daemon_stop(data);
  return G_SOURCE_CONTINUE;
}

static int
run(ScConfig *config, ScBoard *board)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScDaemon) daemon = sc_daemon_new(config, board, loop, &error);
  if (daemon == NULL || !sc_daemon_start(daemon, &error)) {
    g_critical("cannot start: %s", error->message);
    return daemon ? SC_EXIT_SOFTWARE : status_for(error);
  }
  guint term = g_unix_signal_add(SIGTERM, on_signal, daemon);
  guint intr = g_unix_signal_add(SIGINT, on_signal, daemon);
  g_main_loop_run(loop);
  g_source_remove(term);
  g_source_remove(intr);
  int status = sc_daemon_get_exit_code(daemon);
  g_info("stopped (exit status %d)", status);
  return status;
}

static void
options_clear(Options *o)
{
  g_free(o->config_path);
  g_free(o->log_level);
}

static int
run_options(Options *o)
{
  /* Sockets report a dead peer as an error, never as a fatal signal. */
  signal(SIGPIPE, SIG_IGN);
  sc_log_init(SC_LOG_INFO);
  gst_init(NULL, NULL);
  ScConfig *config = NULL;
  ScBoard *board = NULL;
  int status = 0;
  if (load(o, &config, &board, &status) && o->check_config) {
    status = check_config(config, board);
    sc_config_free(config);
    sc_board_free(board);
  } else if (config) {
    g_info("shopcastd %s starting: config %s, board %s", SC_VERSION, config->path,
           sc_board_get_name(board));
    status = run(config, board); /* the daemon owns config and board */
  }
  gst_deinit();
  return status;
}

int
main(int argc, char **argv)
{
  Options o = {0};
  int status = parse_options(&argc, &argv, &o);
  if (status == 0 && o.version)
    printf("shopcastd %s\n", SC_VERSION);
  else if (status == 0)
    status = run_options(&o);
  options_clear(&o);
  return status;
}
