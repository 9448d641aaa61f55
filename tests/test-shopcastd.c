/* End-to-end tests of shopcastd: the daemon on the simulated board streams to
 * a real nginx-rtmp ingest, and shopcast-probe checks what a platform sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/daemon-fixture.h"
#include "tests/support/ingest.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define TEST_KEY "it-stream-key-7f3a9c"

typedef struct {
  ScTestIngest *ingest;
  char *dir;
  char *shopcastd;
  char *probe;
  char *control; /* the daemon's control socket */
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  ScTestIngestOptions opts = {0};
  f->ingest = sc_test_ingest_start_or_fail(&opts);
  f->dir = sc_test_tmpdir();
  f->shopcastd = sc_test_build_path("firmware/shopcastd");
  f->probe = sc_test_build_path("tools/shopcast-probe");
  f->control = g_build_filename(f->dir, "control", NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  sc_test_ingest_stop(f->ingest);
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->shopcastd);
  g_free(f->probe);
  g_free(f->control);
  g_free(f);
  return 0;
}

static char *
write_config(Fixture *f, const char *start, const char *extra)
{
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  g_autofree char *rest = g_strdup_printf("%s\n[destination local]\nplatform = test ingest\n"
                                          "url = %s\nkey = " TEST_KEY "\n",
                                          extra, url);
  return sc_test_daemon_write_config(f->dir, f->control, start, rest);
}

static GSubprocess *
start_daemon(Fixture *f, const char *config, const char *log_path)
{
  return sc_test_daemon_start(config, log_path, NULL);
}

/* Where a platform's player reads the stream. */
static char *
play_url(Fixture *f)
{
  g_autofree char *base = sc_test_ingest_url(f->ingest, FALSE);
  return g_strconcat(base, "/" TEST_KEY, NULL);
}

/* Runs shopcastctl against the daemon; returns its exit status. */
static int
ctl(Fixture *f, const char *command, const char *argument, char **out, char **err)
{
  return sc_test_daemon_ctl_run(f->control, out, err, command, argument, NULL);
}

/* The control socket of a live daemon: status, events, commands it refuses. */
static void
check_control(Fixture *f)
{
  g_autofree char *status = NULL, *events = NULL, *err = NULL, *out = NULL;
  assert_int_equal(ctl(f, "status", NULL, &status, NULL), 0);
  g_print("shopcastctl status: %s", status);
  assert_non_null(strstr(status, "{\"destination\":\"local\",\"state\":\"live\""));
  assert_non_null(strstr(status, "\"tags_dropped\":0,"));
  assert_null(strstr(status, TEST_KEY));

  assert_int_equal(ctl(f, "events", "5", &events, NULL), 0);
  assert_non_null(strstr(events, "\"kind\":\"output\",\"subject\":\"local\",\"state\":\"live\""));
  assert_null(strstr(events, TEST_KEY));

  /* a command that does not fit its words is a usage error (64); refusals
   * say what to fix, and exit 1 */
  assert_int_equal(ctl(f, "drill", "wired", NULL, &err), 64);
  assert_non_null(strstr(err, "usage: drill UPLINK SECONDS"));
  g_clear_pointer(&err, g_free);
  assert_int_equal(sc_test_daemon_ctl_run(f->control, NULL, &err, "drill", "wired", "5", NULL), 1);
  assert_non_null(strstr(err, "no uplink named 'wired' (configured: none"));
  g_clear_pointer(&err, g_free);
  assert_int_equal(ctl(f, "reconnect", "youtube", NULL, &err), 1);
  assert_non_null(strstr(err, "no enabled destination named 'youtube'"));
  assert_int_equal(ctl(f, "reconnect", "local", &out, NULL), 0);
  assert_non_null(strstr(out, "1 destination reconnecting"));

  /* the run of show, driven from the control socket */
  g_autofree char *status0 = NULL;
  assert_int_equal(sc_test_daemon_ctl_run(f->control, &status0, NULL, "show", "status", NULL), 0);
  assert_non_null(strstr(status0, "\"product\":null"));
  g_autofree char *on_air = NULL;
  assert_int_equal(
      sc_test_daemon_ctl_run(f->control, &on_air, NULL, "show", "goto", "down-jacket", NULL), 0);
  assert_non_null(strstr(on_air, "\"product\":\"down-jacket\",\"price\":\"199\""));
  g_usleep(600 * 1000); /* the example show allows a change every 500 ms */
  g_clear_pointer(&err, g_free);
  assert_int_equal(sc_test_daemon_ctl_run(f->control, NULL, &err, "show", "price", "399", NULL), 1);
  assert_non_null(strstr(err, "not below the struck-through original price"));
  g_clear_pointer(&err, g_free);
  assert_int_equal(sc_test_daemon_ctl_run(f->control, NULL, &err, "show", "dance", NULL), 64);
  assert_non_null(strstr(err, "usage: show status | next"));
  g_autofree char *journal = NULL;
  assert_int_equal(ctl(f, "events", "50", &journal, NULL), 0);
  assert_non_null(strstr(journal, "\"kind\":\"show\",\"subject\":\"product\""));

  /* no daemon on a socket: 69 */
  g_autofree char *nowhere = g_build_filename(f->dir, "nobody-listens", NULL);
  g_clear_pointer(&err, g_free);
  assert_int_equal(sc_test_daemon_ctl_run(nowhere, NULL, &err, "status", NULL), 69);
  assert_non_null(strstr(err, "no shopcastd answers on"));
}

static void
test_streams_to_spec_and_stops_cleanly(void **state)
{
  Fixture *f = *state;
  g_autofree char *show = sc_test_source_path("overlays/examples/winter-warmth.ini");
  /* a fixed bitrate: exactly the [video] rate (test-adaptive.c streams the adaptive one) */
  g_autofree char *show_line = g_strdup_printf("show = %s\n[adaptive]\nenabled = false\n", show);
  g_autofree char *config = write_config(f, "live", show_line);
  g_autofree char *log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  gint64 started = g_get_monotonic_time();
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);

  g_autofree char *play = play_url(f);
  char *argv[] = {f->probe,
                  "--duration",
                  "8",
                  "--timeout",
                  "15",
                  "--expect-video-codec",
                  "h264",
                  "--expect-profile",
                  "main",
                  "--expect-pix-fmt",
                  "yuv420p",
                  "--expect-width",
                  "1280",
                  "--expect-height",
                  "720",
                  "--expect-fps",
                  "30",
                  "--expect-keyint",
                  "2",
                  "--expect-no-bframes",
                  "--expect-video-bitrate",
                  "2500",
                  "--expect-audio-codec",
                  "aac",
                  "--expect-audio-profile",
                  "LC",
                  "--expect-audio-rate",
                  "48000",
                  "--expect-audio-channels",
                  "2",
                  "--expect-audio-bitrate",
                  "128",
                  "--expect-monotonic",
                  "--expect-no-gaps",
                  "--expect-max-drift",
                  "150",
                  play,
                  NULL};
  g_autofree char *out = NULL, *err = NULL;
  int probe_status = sc_test_run(argv, 40, &out, &err);
  g_print("probe after %.1f s: %s%s", (g_get_monotonic_time() - started) / 1e6, out, err);
  check_control(f);
  /* stop the daemon before asserting anything, so a failure leaves nothing running */
  int status = sc_test_daemon_stop(daemon, 8);
  g_autofree char *log = sc_test_read_text(log_path);
  g_autofree char *ingest_log = sc_test_ingest_read_log(f->ingest);
  assert_int_equal(probe_status, 0);
  if (status != 0)
    fail_msg("shopcastd exited with %d after SIGTERM; its log:\n%s", status, log);
  /* structured lines; the destination went live; the key never shown in full */
  assert_non_null(strstr(log, "level=info module=events msg=\"destination local: live\""));
  assert_non_null(strstr(log, "state=live"));
  /* the box itself dropped nothing on the way to the ingest */
  assert_non_null(strstr(log, "dest=local tags_sent="));
  assert_non_null(strstr(log, " tags_dropped=0 "));
  assert_null(strstr(log, TEST_KEY));
  assert_null(strstr(out, TEST_KEY));
  /* the publication was ended politely, not dropped */
  assert_non_null(strstr(ingest_log, "deleteStream"));
}

/* Waits up to 10 s for the daemon to answer `studio` with @tally. */
static gboolean
wait_tally(Fixture *f, const char *tally)
{
  g_autofree char *want = g_strdup_printf("{\"tally\":\"%s\"", tally);
  for (guint i = 0; i < 100; i++) {
    g_autofree char *out = NULL;
    if (ctl(f, "studio", NULL, &out, NULL) == 0 && g_str_has_prefix(out, want))
      return TRUE;
    g_usleep(100 * 1000);
  }
  return FALSE;
}

/* The platform's view for 3 s: 0 when a stream plays. */
static int
probe_briefly(Fixture *f)
{
  g_autofree char *play = play_url(f);
  char *argv[] = {f->probe, "--duration",       "3",  "--timeout", "10", "--expect-video-codec",
                  "h264",   "--expect-no-gaps", play, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = sc_test_run(argv, 20, &out, &err);
  if (status != 0) /* what the platform saw, for the failure that follows */
    g_printerr("shopcast-probe %s: %s%s\n", play, out ? out : "", err ? err : "");
  return status;
}

static guint
count(const char *text, const char *what)
{
  guint n = 0;
  for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
    n++;
  return n;
}

/* Whether the ingest's log (nginx) shows the publishing connection deleting
 * its stream: "*N publish: name=..." then "*N deleteStream". */
static gboolean
publication_ended(const char *log)
{
  const char *publish = strstr(log, " publish: name='" TEST_KEY "'");
  const char *star = publish ? g_strrstr_len(log, publish - log, "*") : NULL;
  if (star == NULL)
    return FALSE;
  g_autofree char *id = g_strndup(star, publish - star);
  g_autofree char *deleted = g_strconcat(id, " deleteStream", NULL);
  return strstr(publish, deleted) != NULL;
}

/* The box starts ready, not live: nothing goes to the platform until the
 * operator goes live; ending the show ends the publication, and the box can
 * go live again. */
static void
test_standby_live_end_live(void **state)
{
  Fixture *f = *state;
  g_autofree char *config = write_config(f, "standby", "");
  g_autofree char *log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  gboolean ready = wait_tally(f, "ready");
  g_autofree char *status = NULL, *before = sc_test_ingest_read_log(f->ingest);
  ctl(f, "status", NULL, &status, NULL);
  g_autofree char *on_out = NULL, *off_out = NULL;
  int on = ctl(f, "live", "on", &on_out, NULL);
  gboolean on_air = wait_tally(f, "on air");
  int first = probe_briefly(f);
  int off = ctl(f, "live", "off", &off_out, NULL);
  gboolean ready_again = wait_tally(f, "ready");
  g_autofree char *after_end = sc_test_ingest_read_log(f->ingest);
  int again = ctl(f, "live", "on", NULL, NULL);
  int second = probe_briefly(f);
  int exit_status = sc_test_daemon_stop(daemon, 8);
  g_autofree char *log = sc_test_read_text(log_path);

  assert_true(ready);
  assert_null(strstr(status, "\"destination\"")); /* no push while standing by */
  assert_int_equal(count(before, "publish"), 0);
  assert_int_equal(on, 0);
  assert_string_equal(on_out, "on air\n");
  assert_true(on_air);
  assert_int_equal(first, 0);
  assert_int_equal(off, 0);
  assert_string_equal(off_out, "off air\n");
  assert_true(ready_again);
  assert_true(publication_ended(after_end)); /* politely, not dropped */
  assert_int_equal(again, 0);
  assert_int_equal(second, 0);
  if (exit_status != 0)
    fail_msg("shopcastd exited with %d; its log:\n%s", exit_status, log);
  assert_null(strstr(log, TEST_KEY));
}

/* Before the show: the pre-flight list passes what works and fails an
 * ingest that cannot be reached; on air it is refused. */
/* A hung camera or encoder (the pipeline drill holds the program's frames):
 * within 2 s shopcastd starts the pipeline again; the destination's
 * connection stays and the stream goes on, its timestamps still rising. */
static void
test_stalled_pipeline_restarts(void **state)
{
  Fixture *f = *state;
  g_autofree char *config = write_config(f, "live", "");
  g_autofree char *log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  int before = probe_briefly(f);
  g_autofree char *drill_out = NULL;
  int drill_status =
      sc_test_daemon_ctl_run(f->control, &drill_out, NULL, "drill", "pipeline", "60", NULL);
  gint64 drilled = g_get_monotonic_time();
  gboolean restarted = FALSE;
  for (guint i = 0; i < 40 && !restarted; i++) { /* 10 s at most */
    g_usleep(250 * 1000);
    g_autofree char *events = NULL;
    ctl(f, "events", NULL, &events, NULL);
    restarted = events && strstr(events, "\"restarted\"") != NULL;
  }
  double restart_s = (g_get_monotonic_time() - drilled) / 1e6;
  int after = probe_briefly(f);
  g_autofree char *play = play_url(f);
  char *argv[] = {f->probe, "--duration", "3", "--timeout", "10", "--expect-monotonic", play, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int monotonic = sc_test_run(argv, 20, &out, &err);
  int status = sc_test_daemon_stop(daemon, 8);
  g_autofree char *log = sc_test_read_text(log_path);
  g_autofree char *ingest_log = sc_test_ingest_read_log(f->ingest);
  g_print("restart seen %.1f s after the drill began\n", restart_s);
  assert_int_equal(before, 0);
  assert_int_equal(drill_status, 0);
  if (!restarted)
    fail_msg("no restart after the stall; shopcastd's log:\n%s", log);
  assert_true(restart_s < 4.0); /* 2 s without a frame, then the restart */
  assert_int_equal(after, 0);
  if (monotonic != 0)
    fail_msg("timestamps after the restart: %s%s", out, err);
  assert_int_equal(status, 0);
  assert_non_null(strstr(log, "no program frame for"));
  /* one publication all along: the connection was not dropped */
  assert_int_equal(count(ingest_log, " publish: name='" TEST_KEY "'"), 1);
}

static void
test_preflight(void **state)
{
  Fixture *f = *state;
  g_autofree char *dead = g_strdup_printf("[destination dead]\nurl = rtmp://127.0.0.1:%u/live\n"
                                          "key = dead-key-0000\n",
                                          sc_test_free_port());
  g_autofree char *config = write_config(f, "standby", dead);
  g_autofree char *log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  gboolean ready = wait_tally(f, "ready");
  g_usleep(300 * 1000); /* a few level measurements */
  g_autofree char *list = NULL, *refusal = NULL;
  int checked = ctl(f, "preflight", NULL, &list, NULL);
  ctl(f, "live", "on", NULL, NULL);
  int refused = ctl(f, "preflight", NULL, NULL, &refusal);
  int exit_status = sc_test_daemon_stop(daemon, 8);

  assert_true(ready);
  assert_int_equal(checked, 0);
  g_print("%s", list);
  static const char *const passes[] = {"camera main", "microphone",        "gpio", "tally red",
                                       "light key",   "destination local", "disk"};
  for (guint i = 0; i < G_N_ELEMENTS(passes); i++) {
    g_autofree char *want = g_strdup_printf("{\"check\":\"%s\",\"pass\":true", passes[i]);
    if (strstr(list, want) == NULL)
      fail_msg("no pass for %s", passes[i]);
  }
  assert_non_null(strstr(list, "{\"check\":\"destination dead\",\"pass\":false"));
  assert_non_null(strstr(list, "\"failed\":1}"));
  assert_int_not_equal(refused, 0);
  assert_non_null(strstr(refusal, "before the show"));
  assert_int_equal(exit_status, 0);
}

static void
test_typo_in_config_exits_78_before_starting(void **state)
{
  Fixture *f = *state;
  g_autofree char *config = write_config(f, "live", "[video]\nbitrat = 2500\n");
  g_autofree char *log_path = g_build_filename(f->dir, "typo.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  assert_int_equal(sc_test_daemon_wait(daemon, 10), 78);
  g_autofree char *log = sc_test_read_text(log_path);
  assert_non_null(strstr(log, "[video] bitrat: unknown key; did you mean 'bitrate'?"));
  assert_non_null(strstr(log, "shopcast.ini"));
  g_autofree char *ingest_log = sc_test_ingest_read_log(f->ingest);
  assert_null(strstr(ingest_log, "publish:")); /* nothing started */
}

/* An encoder the plugin registry lists but whose plugin no longer loads (its
 * file gone, or a library it needs): shopcastd names the element and the
 * plugin instead of failing on the first property it sets. The registry is
 * made with x264's plugin present, which is then taken away. */
static void
test_encoder_plugin_that_does_not_load_is_named(void **state)
{
  Fixture *f = *state;
  const char *system_plugins = g_getenv("SHOPCAST_GST_PLUGINS_DIR");
  assert_non_null(system_plugins);
  g_autofree char *plugins = g_build_filename(f->dir, "plugins", NULL);
  g_autofree char *registry = g_build_filename(f->dir, "registry.bin", NULL);
  assert_int_equal(g_mkdir(plugins, 0755), 0);
  g_autoptr(GDir) d = g_dir_open(system_plugins, 0, NULL);
  assert_non_null(d);
  for (const char *name; (name = g_dir_read_name(d)) != NULL;) {
    g_autofree char *from = g_build_filename(system_plugins, name, NULL);
    g_autofree char *to = g_build_filename(plugins, name, NULL);
    assert_int_equal(symlink(from, to), 0);
  }
  g_setenv("GST_REGISTRY", registry, TRUE);
  g_setenv("GST_PLUGIN_SYSTEM_PATH_1_0", plugins, TRUE);
  char *inspect[] = {"gst-inspect-1.0", "x264enc", NULL};
  g_autofree char *inspect_out = NULL;
  int inspected = sc_test_run(inspect, 60, &inspect_out, NULL);
  g_autofree char *x264 = g_build_filename(plugins, "libgstx264.so", NULL);
  int removed = g_unlink(x264);
  g_setenv("GST_REGISTRY_UPDATE", "no", TRUE);
  g_autofree char *config = write_config(f, "live", "");
  g_autofree char *log_path = g_build_filename(f->dir, "stale.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  g_unsetenv("GST_REGISTRY");
  g_unsetenv("GST_PLUGIN_SYSTEM_PATH_1_0");
  g_unsetenv("GST_REGISTRY_UPDATE");
  assert_int_equal(inspected, 0);
  assert_int_equal(removed, 0);
  assert_int_equal(sc_test_daemon_wait(daemon, 20), 69);
  g_autofree char *log = sc_test_read_text(log_path);
  /* the log writes a message's quotes as \" */
  const char *named =
      "element \\\"x264enc\\\" is registered but its plugin \\\"x264\\\" does not load";
  if (strstr(log, named) == NULL)
    fail_msg("shopcastd did not name the plugin; its log:\n%s", log);
  assert_null(strstr(log, "no property"));
}

/* A bad run of show stops the box before it starts, naming the field. */
static void
test_bad_show_file_exits_78(void **state)
{
  Fixture *f = *state;
  g_free(sc_test_write_file(f->dir, "show.ini",
                            "[show]\ntitle = T\n[product a]\nname = A\nprice = 99\n"
                            "original-price = 59\n"));
  g_autofree char *config = write_config(f, "live", "show = show.ini\n");
  g_autofree char *log_path = g_build_filename(f->dir, "show.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  assert_int_equal(sc_test_daemon_wait(daemon, 10), 78);
  g_autofree char *log = sc_test_read_text(log_path);
  assert_non_null(strstr(log, "[box] show: "));
  assert_non_null(strstr(log, "[product a] original-price: ¥59 is not above the price ¥99"));
}

static void
test_command_line(void **state)
{
  Fixture *f = *state;
  g_autofree char *out = NULL, *err = NULL;
  char *version[] = {f->shopcastd, "--version", NULL};
  assert_int_equal(sc_test_run(version, 10, &out, NULL), 0);
  assert_true(g_str_has_prefix(out, "shopcastd "));

  char *bad_option[] = {f->shopcastd, "--colour", NULL};
  assert_int_equal(sc_test_run(bad_option, 10, NULL, &err), 64);
  assert_non_null(strstr(err, "--colour"));
  g_clear_pointer(&err, g_free);

  g_autofree char *missing = g_build_filename(f->dir, "missing.ini", NULL);
  char *no_config[] = {f->shopcastd, "--config", missing, NULL};
  assert_int_equal(sc_test_run(no_config, 10, NULL, &err), 78);
  assert_non_null(strstr(err, "missing.ini"));
  g_clear_pointer(&err, g_free);

  g_autofree char *config = write_config(f, "live", "[video]\nwidth = 720\nheight = 1280\n");
  char *check[] = {f->shopcastd, "--config", config, "--check-config", NULL};
  g_clear_pointer(&out, g_free);
  assert_int_equal(sc_test_run(check, 20, &out, &err), 0);
  assert_non_null(strstr(out, "board: sim"));
  assert_non_null(strstr(out, "video: 720x1280 30 fps, H.264 Main 2500 kb/s CBR"));
  assert_non_null(strstr(out, "encoder x264"));
  assert_non_null(strstr(out, "destination local: rtmp://127.0.0.1:"));
  assert_non_null(strstr(out, "****"));
  assert_null(strstr(out, TEST_KEY));
  assert_null(strstr(err, TEST_KEY));
}

/* ---- resuming after an unclean stop ---- */

/* `shopcastctl show WORD [ARG]`: its exit status, the status JSON in @out. */
static int
show_ctl(Fixture *f, const char *word, const char *arg, char **out)
{
  g_autofree char *err = NULL;
  int status = sc_test_daemon_ctl_run(f->control, out, &err, "show", word, arg, NULL);
  if (status != 0)
    g_print("show %s %s: %s", word, arg ? arg : "", err);
  return status;
}

/* The flash sale's end in a show status (ms since the epoch), or 0. */
static gint64
flash_end_ms(const char *status)
{
  const char *at = status ? strstr(status, "\"flash_end_ms\":") : NULL;
  return at ? g_ascii_strtoll(at + strlen("\"flash_end_ms\":"), NULL, 10) : 0;
}

/* 0 when the platform receives video (3 s of H.264): whether the stream
 * came back, not its smoothness, which test_streams_to_spec checks. */
static int
probe_receives(Fixture *f)
{
  g_autofree char *play = play_url(f);
  char *argv[] = {f->probe, "--duration", "3", "--timeout", "10", "--expect-video-codec",
                  "h264",   play,         NULL};
  g_autofree char *out = NULL;
  int status = sc_test_run(argv, 20, &out, NULL);
  if (status != 0)
    g_print("probe: %s", out);
  return status;
}

/* A config with the example show and an audit log (the state goes beside it). */
static char *
show_config(Fixture *f, const char *start)
{
  g_autofree char *show = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autofree char *extra = g_strdup_printf("show = %s\naudit-log = audit.jsonl\n", show);
  return write_config(f, start, extra);
}

/* Live, a product on air, its flash sale running, the stock set: what the
 * state must bring back. Returns the flash sale's end (ms). */
static gint64
busy_show(Fixture *f)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(ctl(f, "live", "on", NULL, NULL), 0);
  assert_true(wait_tally(f, "on air"));
  assert_int_equal(show_ctl(f, "goto", "down-jacket", &a), 0);
  g_usleep(600 * 1000); /* the example show allows a change every 500 ms */
  assert_int_equal(show_ctl(f, "flash", "start", &b), 0);
  g_usleep(600 * 1000);
  assert_int_equal(show_ctl(f, "stock", "37", &c), 0);
  assert_non_null(strstr(c, "\"stock\":true,\"flash_sale\":true"));
  return flash_end_ms(c);
}

/* The first run of a show to resume: shopcastd on @config (its log
 * first.log), ready, then busy. Its flash sale's end (ms) in *@end_ms. */
static GSubprocess *
start_busy_show(Fixture *f, const char *config, gint64 *end_ms)
{
  g_autofree char *log = g_build_filename(f->dir, "first.log", NULL);
  GSubprocess *first = start_daemon(f, config, log);
  if (!wait_tally(f, "ready")) {
    sc_test_daemon_stop(first, 8);
    g_object_unref(first);
    g_clear_pointer(&log, g_free); /* fail_msg() does not return */
    fail_msg("shopcastd never got ready");
  }
  *end_ms = busy_show(f);
  return first;
}

/* Whether @f's state file says @what within 5 s: shopcastd writes it off
 * its main loop, a few milliseconds after the change. */
static gboolean
state_saved(Fixture *f, const char *what)
{
  g_autofree char *path = g_build_filename(f->dir, "state.json", NULL);
  for (int i = 0; i < 250; i++) {
    g_autofree char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL) && strstr(text, what))
      return TRUE;
    g_usleep(20 * 1000);
  }
  return FALSE;
}

/* shopcastd killed in the middle of a flash sale (SIGKILL: no chance to
 * save anything) and started again with the same config: live again, the
 * same product on air, the countdown carrying on to the same end, the stock
 * shown, and the platform receiving the stream again. */
static void
test_resumes_after_sigkill(void **state)
{
  Fixture *f = *state;
  g_autofree char *config = show_config(f, "standby");
  g_autofree char *log2 = g_build_filename(f->dir, "second.log", NULL);
  gint64 end_ms = 0;
  g_autoptr(GSubprocess) first = start_busy_show(f, config, &end_ms);
  gboolean saved_before = state_saved(f, "\"stock\":37,");
  g_subprocess_force_exit(first); /* SIGKILL */
  assert_int_equal(sc_test_daemon_wait(first, 5), -1);

  gint64 restarted = g_get_monotonic_time();
  g_autoptr(GSubprocess) second = start_daemon(f, config, log2);
  gboolean on_air = wait_tally(f, "on air");
  double resumed_s = (g_get_monotonic_time() - restarted) / 1e6;
  g_autofree char *show = NULL, *status = NULL, *events = NULL;
  show_ctl(f, "status", NULL, &show);
  ctl(f, "status", NULL, &status, NULL);
  ctl(f, "events", "50", &events, NULL);
  int probe = probe_receives(f);
  int exit_status = sc_test_daemon_stop(second, 8);
  g_autofree char *log = sc_test_read_text(log2);
  g_autofree char *audit = NULL, *saved = NULL;
  g_autofree char *audit_path = g_build_filename(f->dir, "audit.jsonl", NULL);
  g_autofree char *state_path = g_build_filename(f->dir, "state.json", NULL);
  g_file_get_contents(audit_path, &audit, NULL, NULL);
  g_file_get_contents(state_path, &saved, NULL, NULL);

  g_print("live again %.1f s after the restart; show: %s", resumed_s, show);
  assert_true(saved_before);
  if (!on_air)
    fail_msg("not live again after the restart; its log:\n%s", log);
  assert_non_null(strstr(status, "\"live\":true"));
  assert_non_null(strstr(show, "\"product\":\"down-jacket\""));
  assert_non_null(strstr(show, "\"stock\":true,\"flash_sale\":true"));
  assert_true(end_ms > 0);
  gint64 end_again = flash_end_ms(show);
  g_print("flash sale end before %" G_GINT64_FORMAT " ms, after %" G_GINT64_FORMAT " ms\n", end_ms,
          end_again);
  assert_true(ABS(end_again - end_ms) <= 1000);
  assert_non_null(strstr(show, "{\"id\":\"down-jacket\",\"name\":"));
  assert_non_null(strstr(show, "\"stock\":37,"));
  assert_int_equal(probe, 0);
  assert_non_null(strstr(events, "resumed after an unclean stop"));
  assert_non_null(strstr(events, "\"subject\":\"state\",\"state\":\"restored\""));
  assert_non_null(strstr(log, "resumed after an unclean stop"));
  assert_non_null(audit);
  assert_non_null(strstr(audit, "flash-restore"));
  assert_int_equal(exit_status, 0);
  /* the clean stop left a state that does not go live by itself */
  assert_non_null(saved);
  assert_non_null(strstr(saved, "\"live\":false"));
  assert_null(strstr(log, TEST_KEY));
}

/* A clean stop (SIGTERM) while live: with start = standby, the next start
 * brings the graphics back but does not go live by itself. */
static void
test_clean_stop_stays_off_air(void **state)
{
  Fixture *f = *state;
  g_autofree char *config = show_config(f, "standby");
  g_autofree char *log2 = g_build_filename(f->dir, "second.log", NULL);
  gint64 end_ms = 0;
  g_autoptr(GSubprocess) first = start_busy_show(f, config, &end_ms);
  assert_int_equal(sc_test_daemon_stop(first, 8), 0);

  g_autoptr(GSubprocess) second = start_daemon(f, config, log2);
  gboolean ready = wait_tally(f, "ready");
  g_usleep(1500 * 1000); /* time enough to go live, were it to */
  g_autofree char *show = NULL, *status = NULL, *events = NULL;
  show_ctl(f, "status", NULL, &show);
  ctl(f, "status", NULL, &status, NULL);
  ctl(f, "events", "50", &events, NULL);
  g_autofree char *ingest_log = sc_test_ingest_read_log(f->ingest);
  int exit_status = sc_test_daemon_stop(second, 8);
  g_autofree char *log = sc_test_read_text(log2);

  if (!ready)
    fail_msg("not ready after the restart; its log:\n%s", log);
  assert_non_null(strstr(status, "\"live\":false"));
  assert_null(strstr(status, "\"destination\""));
  assert_null(strstr(events, "resumed after an unclean stop"));
  assert_non_null(strstr(show, "\"product\":\"down-jacket\""));
  assert_int_equal(count(ingest_log, " publish: "), 1); /* the first run's only */
  assert_int_equal(exit_status, 0);
}

/* A damaged state file is named in the log and ignored: the box starts as
 * configured, nothing on air, and saves a good state from then on. */
static void
test_damaged_state_ignored(void **state)
{
  Fixture *f = *state;
  g_autofree char *config = show_config(f, "standby");
  g_free(sc_test_write_file(f->dir, "state.json", "{\"version\":1,\"live\":tr"));
  g_autofree char *log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  g_autoptr(GSubprocess) daemon = start_daemon(f, config, log_path);
  gboolean ready = wait_tally(f, "ready");
  g_autofree char *show = NULL, *events = NULL, *saved = NULL;
  show_ctl(f, "status", NULL, &show);
  ctl(f, "events", "50", &events, NULL);
  g_autofree char *state_path = g_build_filename(f->dir, "state.json", NULL);
  g_file_get_contents(state_path, &saved, NULL, NULL);
  int exit_status = sc_test_daemon_stop(daemon, 8);
  g_autofree char *log = sc_test_read_text(log_path);

  if (!ready)
    fail_msg("not ready with a damaged state; its log:\n%s", log);
  assert_non_null(strstr(show, "\"product\":null"));
  assert_non_null(strstr(events, "\"subject\":\"state\",\"state\":\"ignored\""));
  assert_non_null(strstr(events, "not a show state shopcastd wrote"));
  assert_non_null(strstr(log, "state.json: not a show state shopcastd wrote"));
  assert_non_null(strstr(saved, "\"version\":1"));
  assert_int_equal(exit_status, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_command_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_typo_in_config_exits_78_before_starting, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_show_file_exits_78, setup, teardown),
      cmocka_unit_test_setup_teardown(test_encoder_plugin_that_does_not_load_is_named, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_streams_to_spec_and_stops_cleanly, setup, teardown),
      cmocka_unit_test_setup_teardown(test_standby_live_end_live, setup, teardown),
      cmocka_unit_test_setup_teardown(test_preflight, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stalled_pipeline_restarts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resumes_after_sigkill, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clean_stop_stays_off_air, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_state_ignored, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
