/* Failover end to end, in a network-namespace lab (tests/netns/lab.sh): the
 * box (namespace LAB-box) has two uplinks, up0 (wired, preferred) and up1
 * (lte), to an "internet" (LAB-net) where nginx-rtmp ingests listen on
 * 198.18.0.1: the destination's primary ingest on port 1935 and its backup
 * on 1936. shopcastd runs in the box on the sim board; faults are injected
 * with nftables and link changes; what a viewer gets is checked with
 * shopcast-probe at the ingest, and what happened with the daemon's event
 * journal (shopcastctl events). Needs root; skips, saying why, where the
 * kernel has no network namespaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/daemon-fixture.h"
#include "tests/support/ingest.h"
#include "tests/support/netlab.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>
#include <string.h>

#define INGEST_ADDR "198.18.0.1"
#define KEY         "failover-key-5d2e81"

typedef struct {
  ScNetLab *lab;
  char *box_ns, *net_ns;
  char *dir;
  char *control;
  char *log_path;
  ScTestIngest *primary, *backup;
  GSubprocess *daemon;
} Fixture;

/* ---- fixture ---- */

static ScTestIngest *
start_ingest(Fixture *f, guint16 port, const char *key)
{
  ScTestIngestOptions o = {.netns = f->net_ns, .address = INGEST_ADDR, .port = port, .key = key};
  return sc_test_ingest_start_or_fail(&o);
}

static int
setup(void **state)
{
  if (!sc_netlab_usable())
    return 0; /* each case skips, saying why */
  Fixture *f = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  f->lab = sc_netlab_new(&error);
  if (f->lab == NULL) {
    g_printerr("network lab: %s\n", error->message);
    g_free(f);
    return -1;
  }
  f->box_ns = g_strdup(sc_netlab_namespace(f->lab, SC_NETLAB_BOX));
  f->net_ns = g_strdup(sc_netlab_namespace(f->lab, SC_NETLAB_NET));
  f->dir = sc_test_tmpdir();
  f->control = g_build_filename(f->dir, "control", NULL);
  f->log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  if (f == NULL)
    return 0;
  if (f->daemon) {
    sc_test_daemon_stop(f->daemon, 30);
    g_clear_object(&f->daemon);
  }
  sc_test_ingest_stop(f->primary);
  sc_test_ingest_stop(f->backup);
  sc_netlab_free(f->lab);
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->control);
  g_free(f->log_path);
  g_free(f->box_ns);
  g_free(f->net_ns);
  g_free(f);
  return 0;
}

/* The config: the sim board at a light 640x360 so two builds and a
 * sanitizer keep pace; destinations and failover as given. */
static char *
write_config(Fixture *f, const char *destinations, guint hold_s)
{
  g_autofree char *rest =
      g_strdup_printf("[video]\nwidth = 640\nheight = 360\nbitrate = 800\nx264-preset = ultrafast\n"
                      "%s\n"
                      "[uplink wired]\ninterface = up0\nprobe-hosts = " INGEST_ADDR "\n"
                      "[uplink lte]\ninterface = up1\nprobe-hosts = " INGEST_ADDR "\n"
                      "[failover]\nhold-time = %u\n",
                      destinations, hold_s);
  return sc_test_daemon_write_config(f->dir, f->control, "live", rest);
}

static const char *const one_destination =
    "[destination main]\nurl = rtmp://" INGEST_ADDR ":1935/live\n"
    "backup-url = rtmp://" INGEST_ADDR ":1936/live\nkey = " KEY "\n";

static void
start_daemon(Fixture *f, const char *config)
{
  f->daemon = sc_test_daemon_start(config, f->log_path, f->box_ns);
}

static void
lab(Fixture *f, const char *what, const char *device, const char *how)
{
  sc_netlab_set(f->lab, what, device, how);
}

/* ---- what the daemon says ---- */

static char *
ctl(Fixture *f, const char *command, const char *argument)
{
  return sc_test_daemon_ctl(f->control, command, argument, NULL);
}

/* Polls `shopcastctl status` until it holds @needle, at most @timeout_ms;
 * returns how long that took in ms, or -1. */
static gint64
wait_status(Fixture *f, const char *needle, guint timeout_ms)
{
  return sc_test_daemon_wait_status(f->control, needle, timeout_ms, f->log_path);
}

static char *
events(Fixture *f)
{
  char *text = ctl(f, "events", "500");
  assert_non_null(text);
  assert_null(strstr(text, KEY));
  return text;
}

static guint
count(const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

#define OUTPUT_ON(dest) "{\"destination\":\"" dest "\",\"state\":\"live\""

/* The (only) destination is live on the ingest named, through @interface. */
static char *
live_needle(const char *ingest, const char *interface)
{
  return g_strdup_printf("\"state\":\"live\",\"url\":\"rtmp://" INGEST_ADDR
                         ":%s/live/****2e81\",\"ingest\":\"%s\",\"interface\":\"%s\"",
                         g_str_equal(ingest, "backup") ? "1936" : "1935", ingest, interface);
}

/* ---- what a viewer sees ---- */

/* shopcast-probe, from the internet side, on @port for @seconds: the stream
 * is the configured one, with every frame. Returns the probe's exit status. */
static int
probe(Fixture *f, guint16 port, guint seconds, char **report)
{
  g_autofree char *tool = sc_test_build_path("tools/shopcast-probe");
  g_autofree char *url = g_strdup_printf("rtmp://" INGEST_ADDR ":%u/live/" KEY, port);
  g_autofree char *duration = g_strdup_printf("%u", seconds);
  /* the player starts at a keyframe, up to a GOP (2 s) in: count what follows it */
  g_autofree char *min_frames = g_strdup_printf("%u", (seconds - 2) * 30 * 9 / 10);
  char *argv[] = {"ip",
                  "netns",
                  "exec",
                  f->net_ns,
                  tool,
                  "--duration",
                  duration,
                  "--timeout",
                  "10",
                  "--expect-video-codec",
                  "h264",
                  "--expect-width",
                  "640",
                  "--expect-height",
                  "360",
                  "--expect-fps",
                  "30",
                  "--expect-audio-codec",
                  "aac",
                  "--expect-no-gaps",
                  "--expect-monotonic",
                  "--expect-min-frames",
                  min_frames,
                  url,
                  NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = sc_test_run(argv, seconds + 20, &out, &err);
  g_print("probe :%u: %s%s", port, out ? out : "", err ? err : "");
  if (report)
    *report = g_steal_pointer(&out);
  return status;
}

/* Starts the two ingests and the daemon, and waits until the destination is
 * live on the primary ingest over the wired uplink. */
static void
start_live(Fixture *f, guint hold_s)
{
  f->primary = start_ingest(f, 1935, NULL);
  f->backup = start_ingest(f, 1936, NULL);
  g_autofree char *config = write_config(f, one_destination, hold_s);
  start_daemon(f, config);
  g_autofree char *needle = live_needle("primary", "up0");
  assert_true(wait_status(f, needle, 15000) >= 0);
}

static void
stop_daemon(Fixture *f)
{
  sc_test_daemon_stop_cleanly(&f->daemon, f->log_path, KEY);
}

/* ---- the cases ---- */

/* Injects a fault on the primary uplink of a live box and checks that the
 * push is live on the backup uplink and backup ingest within @max_ms, that
 * viewers there get the whole stream, and that the journal names the
 * primary's new state. */
static void
fail_primary(Fixture *f, const char *what, const char *how, const char *wired_state, gint64 max_ms)
{
  start_live(f, 600);
  lab(f, what, "up0", how);
  g_autofree char *needle = live_needle("backup", "up1");
  gint64 took = wait_status(f, needle, 5000);
  g_print("%s %s: live on the backup uplink after %" G_GINT64_FORMAT " ms\n", what, how, took);
  assert_true(took >= 0 && took < max_ms);
  assert_int_equal(probe(f, 1936, 4, NULL), 0);
  g_autofree char *ev = events(f);
  g_autofree char *went =
      g_strdup_printf("\"kind\":\"uplink\",\"subject\":\"wired\",\"state\":\"%s\"", wired_state);
  assert_non_null(strstr(ev, went));
  assert_non_null(
      strstr(ev, "\"kind\":\"uplink-choice\",\"subject\":\"lte\",\"state\":\"chosen\""));
  assert_non_null(strstr(ev, "via up1"));
  stop_daemon(f);
}

/* The primary's packets vanish, its link stays up: the probes find it. */
static void
test_silent_blackhole(void **state)
{
  sc_netlab_skip_unless_usable();
  fail_primary(*state, "blackhole", "on", "failed", 3000);
}

/* The primary loses its link: netlink says so at once. */
static void
test_link_down(void **state)
{
  sc_netlab_skip_unless_usable();
  fail_primary(*state, "link", "down", "down", 2000);
}

/* A drill: the studio rehearses on air. The wired uplink counts as failed
 * for 3 s, so the stream really moves to the backup, then comes back after
 * the hold time (2 s). Bad drill commands say what to fix. */
static void
test_drill(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, 2);
  g_autofree char *tool = sc_test_build_path("tools/shopcastctl");
  g_autofree char *err = NULL;
  char *bad[] = {tool, "--socket", f->control, "drill", "satellite", "3", NULL};
  assert_int_equal(sc_test_run(bad, 10, NULL, &err), 1);
  assert_non_null(strstr(err, "no uplink named 'satellite' (configured: wired, lte)"));
  g_clear_pointer(&err, g_free);
  char *too_long[] = {tool, "--socket", f->control, "drill", "wired", "99999", NULL};
  assert_int_equal(sc_test_run(too_long, 10, NULL, &err), 1);
  assert_non_null(strstr(err, "not 0..3600"));

  g_autofree char *started = ctl(f, "drill", "wired");
  assert_null(started); /* SECONDS missing: refused */
  char *drill[] = {tool, "--socket", f->control, "drill", "wired", "3", NULL};
  assert_int_equal(sc_test_run(drill, 10, NULL, NULL), 0);
  g_autofree char *on_backup = live_needle("backup", "up1");
  gint64 took = wait_status(f, on_backup, 3000);
  g_print("drill: live on the backup uplink after %" G_GINT64_FORMAT " ms\n", took);
  assert_true(took >= 0 && took < 1000);
  /* the drill ends after 3 s, the hold after 2 more: back on the wired uplink */
  g_autofree char *back = live_needle("backup", "up0");
  assert_true(wait_status(f, back, 10000) >= 0);
  assert_int_equal(probe(f, 1936, 3, NULL), 0);
  g_autofree char *ev = events(f);
  const char *drilled =
      strstr(ev, "\"kind\":\"drill\",\"subject\":\"wired\",\"state\":\"started\"");
  assert_non_null(drilled);
  assert_non_null(strstr(drilled, "\"kind\":\"uplink\",\"subject\":\"wired\",\"state\":\"drill\""));
  assert_non_null(
      strstr(drilled, "\"kind\":\"uplink-choice\",\"subject\":\"wired\",\"state\":\"chosen\""));
  stop_daemon(f);
}

/* The primary flaps for a minute: the stream moves once and stays on the
 * backup (the primary is never healthy for the hold time), without a gap;
 * once the primary is steady for the hold time, the stream goes back. */
static void
test_flapping_primary(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, 8);
  gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC, last_up = 0;
  for (guint i = 0; i < 40 && g_get_monotonic_time() < end; i++) {
    lab(f, "link", "up0", "down");
    g_usleep(1500 * 1000);
    lab(f, "link", "up0", "up");
    last_up = g_get_monotonic_time();
    g_usleep(1500 * 1000);
    if (i == 10) { /* mid-flap, a viewer of the backup ingest sees every frame */
      assert_int_equal(probe(f, 1936, 4, NULL), 0);
    }
  }
  g_autofree char *ev = events(f);
  /* moved to lte once, never back while flapping */
  assert_int_equal(count(ev, "\"kind\":\"uplink-choice\",\"subject\":\"wired\""), 0);
  assert_int_equal(count(ev, "\"kind\":\"uplink-choice\",\"subject\":\"lte\""), 1);
  g_autofree char *on_backup = live_needle("backup", "up1");
  assert_true(wait_status(f, on_backup, 1000) >= 0);
  /* steady again: back to the wired uplink after the hold time (8 s), politely */
  g_autofree char *back = live_needle("backup", "up0");
  assert_true(wait_status(f, back, 15000) >= 0);
  gint64 steady_ms = (g_get_monotonic_time() - last_up) / 1000;
  g_print("fail-back after %" G_GINT64_FORMAT " ms of a steady primary\n", steady_ms);
  assert_true(steady_ms >= 8000);
  g_autofree char *ev2 = events(f);
  assert_int_equal(count(ev2, "\"kind\":\"uplink-choice\",\"subject\":\"wired\""), 1);
  stop_daemon(f);
}

/* The platform's ingest restarts: the push comes back by itself. */
static void
test_ingest_restarted(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, 600);
  g_autoptr(GError) error = NULL;
  assert_true(sc_test_ingest_restart(f->primary, &error));
  /* the lost connection sends the next attempt to the backup ingest */
  g_autofree char *needle = live_needle("backup", "up0");
  assert_true(wait_status(f, needle, 5000) >= 0);
  assert_int_equal(probe(f, 1936, 3, NULL), 0);
  g_autofree char *ev = events(f);
  assert_non_null(strstr(ev, "\"kind\":\"output\",\"subject\":\"main\",\"state\":\"retrying\""));
  stop_daemon(f);
}

/* The ingest refuses the key: a clear error, retried with backoff, not in a
 * tight loop, and the key never shown. */
static void
test_ingest_rejects_key(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  f->primary = start_ingest(f, 1935, "the-right-key");
  g_autofree char *config = write_config(
      f, "[destination main]\nurl = rtmp://" INGEST_ADDR ":1935/live\nkey = " KEY "\n", 600);
  start_daemon(f, config);
  g_usleep(6 * G_USEC_PER_SEC);
  g_autofree char *ev = events(f);
  guint refusals = count(ev, "\"state\":\"retrying\"");
  g_print("wrong key: %u attempts in 6 s\n", refusals);
  assert_in_range(refusals, 2, 6); /* 0.5, 1, 2, 4 s waits */
  assert_non_null(strstr(ev, "stream key refused"));
  assert_null(strstr(ev, "\"state\":\"live\""));
  stop_daemon(f);
}

/* Both uplinks down for 20 s, then the backup comes back: the stream
 * resumes by itself. */
static void
test_both_uplinks_down(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, 600);
  lab(f, "link", "up0", "down");
  lab(f, "link", "up1", "down");
  g_usleep(20 * G_USEC_PER_SEC);
  g_autofree char *status = ctl(f, "status", NULL);
  assert_null(strstr(status, "\"state\":\"live\""));
  lab(f, "link", "up1", "up");
  gint64 took = wait_status(f, "\"state\":\"live\"", 10000);
  g_print("both down for 20 s: live again %" G_GINT64_FORMAT " ms after up1 returned\n", took);
  assert_true(took >= 0);
  g_autofree char *now = ctl(f, "status", NULL);
  assert_non_null(strstr(now, "\"interface\":\"up1\""));
  /* after 20 s either ingest may take it: the lost publication has expired */
  assert_int_equal(probe(f, strstr(now, "\"ingest\":\"backup\"") ? 1936 : 1935, 3, NULL), 0);
  g_autofree char *ev = events(f);
  assert_non_null(strstr(ev, "\"kind\":\"uplink-choice\",\"subject\":\"none\""));
  stop_daemon(f);
}

/* The primary ingest refuses (another key is expected there): the backup
 * ingest URL takes the stream. */
static void
test_backup_ingest_when_primary_refuses(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  f->primary = start_ingest(f, 1935, "someone-elses-key");
  f->backup = start_ingest(f, 1936, NULL);
  g_autofree char *config = write_config(f, one_destination, 600);
  start_daemon(f, config);
  g_autofree char *needle = live_needle("backup", "up0");
  gint64 took = wait_status(f, needle, 10000);
  assert_true(took >= 0);
  assert_int_equal(probe(f, 1936, 3, NULL), 0);
  stop_daemon(f);
}

/* Two destinations; one's ingest dies for good: the other keeps every frame. */
static void
test_one_destination_fails_other_unharmed(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  f->primary = start_ingest(f, 1935, NULL);
  f->backup = start_ingest(f, 1936, NULL);
  g_autofree char *config =
      write_config(f,
                   "[destination doomed]\nurl = rtmp://" INGEST_ADDR ":1935/live\nkey = " KEY "\n"
                   "[destination steady]\nurl = rtmp://" INGEST_ADDR ":1936/live\nkey = " KEY "\n",
                   600);
  start_daemon(f, config);
  assert_true(wait_status(f, OUTPUT_ON("doomed"), 15000) >= 0);
  assert_true(wait_status(f, OUTPUT_ON("steady"), 5000) >= 0);
  g_usleep(G_USEC_PER_SEC);
  g_clear_pointer(&f->primary, sc_test_ingest_stop);
  assert_int_equal(probe(f, 1936, 6, NULL), 0); /* the steady one, all along the failure */
  g_autofree char *status = ctl(f, "status", NULL);
  g_print("%s", status);
  assert_non_null(strstr(status, "{\"destination\":\"doomed\",\"state\":\"retrying\""));
  const char *steady = strstr(status, OUTPUT_ON("steady"));
  assert_non_null(steady);
  assert_non_null(strstr(steady, "\"tags_dropped\":0,"));
  stop_daemon(f);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_silent_blackhole, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_down, setup, teardown),
      cmocka_unit_test_setup_teardown(test_drill, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ingest_restarted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ingest_rejects_key, setup, teardown),
      cmocka_unit_test_setup_teardown(test_backup_ingest_when_primary_refuses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_destination_fails_other_unharmed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_both_uplinks_down, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flapping_primary, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
