/* Adaptive bitrate end to end, in a network-namespace lab (tests/netns/lab.sh):
 * shopcastd in the box streams noise (the sim board's "snow", which x264
 * cannot squeeze below the rate asked for) at up to 1500 kb/s of video + 64
 * kb/s of audio to nginx-rtmp ingests in the "internet"; the box's uplink up0
 * is shaped with tc tbf (a 200 ms bottleneck buffer), a scaled-down version
 * of a 6 -> 2 -> 6 Mb/s link under a 4 Mb/s stream. What a viewer gets is
 * checked with shopcast-probe at the ingest, the decisions with the daemon's
 * status and event journal. Needs root; skips, saying why, where the kernel
 * has no network namespaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/daemon-fixture.h"
#include "tests/support/ingest.h"
#include "tests/support/netlab.h"
#include "tests/support/testutil.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#define INGEST_ADDR "198.18.0.1"
#define STREAM_KEY  "adaptive-key-77c1"
#define CEILING     1500
#define AUDIO       64
#define HIGH_KBIT   2400 /* 1.5 times the stream */
#define LOW_KBIT    800  /* half of it */
#define GOP_MS      2000
/* a probe's largest gap: one GOP dropped, and a frame either side */
#define MAX_FREEZE_MS (GOP_MS + 100)

/* A shopcast-probe run at the ingest, in a thread of its own. */
typedef struct {
  char *net_ns;
  guint16 port;
  guint seconds;
  int status;
  char *report;
} Probe;

typedef struct {
  ScNetLab *lab;
  char *box_ns, *net_ns;
  char *dir, *control, *log_path;
  ScTestIngest *primary, *backup;
  GSubprocess *daemon;
  GThread *watching; /* a probe over a whole case: joined even when the case fails */
  Probe watch;
} Fixture;

/* ---- fixture ---- */

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
  if (f->watching) {
    g_thread_join(f->watching);
    g_free(f->watch.report);
  }
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

/* up0's capacity from the box out, as an LTE modem's uplink would have it. */
static void
shape(Fixture *f, const char *device, guint kbit)
{
  g_autofree char *rate = g_strdup_printf("%ukbit", kbit);
  char *argv[] = {"ip",      "netns", "exec",         f->box_ns, "tc",    "qdisc",
                  "replace", "dev",   (char *)device, "root",    "tbf",   "rate",
                  rate,      "burst", "16k",          "latency", "200ms", NULL};
  g_autofree char *err = NULL;
  if (sc_test_run(argv, 10, NULL, &err) != 0)
    fail_msg("tc on %s: %s", device, err ? err : "");
}

/* Every packet leaving by up0 is lost with probability 5 % (nftables numgen). */
static void
random_loss(Fixture *f)
{
  const char *rules = "table inet abrloss {\n"
                      "  chain output {\n"
                      "    type filter hook output priority -10;\n"
                      "    oifname \"up0\" numgen random mod 100 < 5 drop\n"
                      "  }\n"
                      "}\n";
  g_autofree char *path = sc_test_write_file(f->dir, "loss.nft", rules);
  char *load[] = {"ip", "netns", "exec", f->box_ns, "nft", "-f", path, NULL};
  g_autofree char *err = NULL;
  if (sc_test_run(load, 10, NULL, &err) != 0)
    fail_msg("nft: %s", err ? err : "");
}

/* The stream over up0 by the system's routing; with @extra (NULL: none), the
 * uplinks too. Without uplinks nothing fails over: a capacity drop that
 * overflows up0's buffer also loses its echo probes, and a failover would
 * take the stream off the link under test. */
static char *
write_config(Fixture *f, const char *extra)
{
  g_autofree char *rest = g_strdup_printf(
      "[video]\nwidth = 640\nheight = 360\nbitrate = %u\nx264-preset = ultrafast\ndevice = snow\n"
      "[audio]\nbitrate = %u\n"
      "[destination main]\nurl = rtmp://" INGEST_ADDR ":1935/live\n"
      "backup-url = rtmp://" INGEST_ADDR ":1936/live\nkey = " STREAM_KEY "\n"
      "%s%s",
      CEILING, AUDIO,
      extra ? "[uplink wired]\ninterface = up0\nprobe-hosts = " INGEST_ADDR "\n"
              "[uplink lte]\ninterface = up1\nprobe-hosts = " INGEST_ADDR "\n"
            : "",
      extra ? extra : "");
  return sc_test_daemon_write_config(f->dir, f->control, "live", rest);
}

static ScTestIngest *
start_ingest(Fixture *f, guint16 port)
{
  ScTestIngestOptions o = {.netns = f->net_ns, .address = INGEST_ADDR, .port = port};
  return sc_test_ingest_start_or_fail(&o);
}

static char *
ctl(Fixture *f, const char *command, const char *argument, const char *argument2)
{
  return sc_test_daemon_ctl(f->control, command, argument, argument2, NULL);
}

/* A whole number after "@key": in @text, or -1. */
static gint64
number_after(const char *text, const char *key)
{
  const char *at = text ? strstr(text, key) : NULL;
  return at ? g_ascii_strtoll(at + strlen(key), NULL, 10) : -1;
}

static gint64
target_kbps(Fixture *f)
{
  g_autofree char *status = ctl(f, "status", NULL, NULL);
  return number_after(status, "\"target_kbps\":");
}

/* Polls the status until the encoder's target satisfies @pred, at most
 * @timeout_ms; returns how long that took in ms, or -1. */
static gint64
wait_target(Fixture *f, gboolean (*pred)(gint64), guint timeout_ms)
{
  gint64 start = g_get_monotonic_time();
  for (guint i = 0; i < 10000 && g_get_monotonic_time() - start < timeout_ms * 1000ll; i++) {
    if (pred(target_kbps(f)))
      return (g_get_monotonic_time() - start) / 1000;
    g_usleep(100 * 1000);
  }
  g_autofree char *status = ctl(f, "status", NULL, NULL);
  g_autofree char *events = ctl(f, "events", "100", NULL);
  g_printerr("target never reached; status:\n%s\nevents:\n%s\n", status ? status : "",
             events ? events : "");
  return -1;
}

static gboolean
below_low(gint64 kbps)
{
  return kbps > 0 && kbps + AUDIO < LOW_KBIT;
}

static gboolean
back_up(gint64 kbps)
{
  return kbps >= CEILING * 9 / 10;
}

static void
start_live(Fixture *f, const char *extra)
{
  f->primary = start_ingest(f, 1935);
  f->backup = start_ingest(f, 1936);
  shape(f, "up0", HIGH_KBIT);
  g_autofree char *config = write_config(f, extra);
  f->daemon = sc_test_daemon_start(config, f->log_path, f->box_ns);
  assert_true(sc_test_daemon_wait_status(f->control, "{\"destination\":\"main\",\"state\":\"live\"",
                                         15000, f->log_path) >= 0);
  /* settled at the ceiling on the roomy link (a new connection's first
   * seconds may cut once while TCP finds its pace) */
  assert_true(wait_target(f, back_up, 25000) >= 0);
}

static void
stop_daemon(Fixture *f)
{
  sc_test_daemon_stop_cleanly(&f->daemon, f->log_path, STREAM_KEY);
}

/* ---- what a viewer sees: shopcast-probe at the ingest ---- */

static gpointer
run_probe(gpointer data)
{
  Probe *p = data;
  g_autofree char *tool = sc_test_build_path("tools/shopcast-probe");
  g_autofree char *url = g_strdup_printf("rtmp://" INGEST_ADDR ":%u/live/" STREAM_KEY, p->port);
  g_autofree char *duration = g_strdup_printf("%u", p->seconds);
  char *argv[] = {"ip",     "netns",
                  "exec",   p->net_ns,
                  tool,     "--duration",
                  duration, "--timeout",
                  "10",     "--expect-video-codec",
                  "h264",   "--expect-monotonic",
                  url,      NULL};
  g_autofree char *err = NULL;
  p->status = sc_test_run(argv, p->seconds + 30, &p->report, &err);
  if (p->status != 0)
    g_printerr("probe: %s%s", p->report ? p->report : "", err ? err : "");
  return NULL;
}

/* Starts a probe of @seconds on the primary ingest, in a thread. */
static GThread *
probe_start(Fixture *f, Probe *p, guint seconds)
{
  *p = (Probe){.net_ns = f->net_ns, .port = 1935, .seconds = seconds};
  return g_thread_new("probe", run_probe, p);
}

/* A probe over the rest of the case, owned by the fixture. */
static void
watch_start(Fixture *f, guint seconds)
{
  f->watching = probe_start(f, &f->watch, seconds);
}

static gint64 watch_finish(Fixture *f, const char *what);

/* Waits for the probe; checks that the viewer saw the stream all along and
 * never a freeze longer than one GOP; returns the video bitrate it measured. */
static gint64
probe_finish(Fixture *f, GThread *thread, Probe *p, const char *what)
{
  g_thread_join(thread);
  if (p->status != 0) { /* what the box saw meanwhile */
    g_autofree char *events = ctl(f, "events", "60", NULL);
    g_autofree char *log = sc_test_read_text(f->log_path);
    g_printerr("%s: the probe failed; journal:\n%s\nshopcastd log:\n%s\n", what,
               events ? events : "", log);
  }
  gint64 kbps =
      number_after(p->report ? strstr(p->report, "\"video\"") : NULL, "\"bitrate_kbps\":");
  gint64 gap = number_after(p->report, "\"max_video_gap_ms\":");
  g_print("%s: video %" G_GINT64_FORMAT " kb/s, longest gap %" G_GINT64_FORMAT " ms\n", what, kbps,
          gap);
  g_clear_pointer(&p->report, g_free);
  assert_int_equal(p->status, 0);
  assert_true(gap >= 0 && gap <= MAX_FREEZE_MS);
  return kbps;
}

/* The journal's last event with @needle, as a line; else the test fails,
 * after printing the journal. */
static char *
assert_event(Fixture *f, const char *needle)
{
  g_autofree char *events = ctl(f, "events", "500", NULL);
  const char *last = NULL;
  for (const char *p = events ? strstr(events, needle) : NULL; p; p = strstr(p + 1, needle))
    last = p;
  if (last) {
    const char *start = g_strrstr_len(events, last - events, "\n");
    const char *end = strchr(last, '\n');
    start = start ? start + 1 : events;
    return g_strndup(start, end ? (gsize)(end - start) : strlen(start));
  }
  g_autofree char *status = ctl(f, "status", NULL, NULL);
  g_printerr("no event with %s; journal:\n%s\nstatus:\n%s\n", needle, events ? events : "",
             status ? status : "");
  fail_msg("no event with %s", needle);
  return NULL;
}

/* The rate a "bitrate" event's detail moved to ("1500 -> 600 kb/s: ..."). */
static gint64
event_rate(const char *event)
{
  return number_after(event, " -> ");
}

/* The encoder's target while the destination's controller is not trying a
 * step up (a probe above the link's limit is up for a few seconds, by
 * design, before it is undone): what the link is known to carry. Polls the
 * status at most @timeout_ms; -1 if it never is. */
static gint64
settled_target(Fixture *f, guint timeout_ms)
{
  gint64 start = g_get_monotonic_time();
  for (guint i = 0; i < 1000 && g_get_monotonic_time() - start < timeout_ms * 1000ll; i++) {
    g_autofree char *status = ctl(f, "status", NULL, NULL);
    const char *line = status ? strstr(status, "{\"destination\":\"main\"") : NULL;
    const char *rate = line ? strstr(line, "\"rate\":{") : NULL;
    if (rate && !g_str_has_prefix(strstr(rate, "\"state\":"), "\"state\":\"raised\""))
      return number_after(status, "\"target_kbps\":");
    g_usleep(100 * 1000);
  }
  g_autofree char *events = ctl(f, "events", "40", NULL);
  g_printerr("always stepping up; the journal:\n%s\n", events ? events : "");
  return -1;
}

static gint64
watch_finish(Fixture *f, const char *what)
{
  return probe_finish(f, g_steal_pointer(&f->watching), &f->watch, what);
}

static guint
count(const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = haystack ? strstr(haystack, needle) : NULL; p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* ---- the cases ---- */

/* 1.5x -> 0.5x -> 1.5x the stream's rate: the rate is below the new capacity
 * within a few seconds, what arrives settles below it, the viewer never sees
 * a freeze longer than a GOP, and the rate climbs back once the link does. */
static void
test_capacity_steps(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, NULL);
  watch_start(f, 50);
  g_usleep(4 * G_USEC_PER_SEC);
  shape(f, "up0", LOW_KBIT);
  gint64 took = wait_target(f, below_low, 10000);
  g_print("capacity %u kbit: encoder below it after %" G_GINT64_FORMAT " ms\n", LOW_KBIT, took);
  assert_true(took >= 0 && took < 3000);
  g_usleep(8 * G_USEC_PER_SEC); /* settled */
  Probe low;
  gint64 low_kbps = probe_finish(f, probe_start(f, &low, 8), &low, "on the narrow link");
  assert_true(low_kbps > 0 && low_kbps + AUDIO < LOW_KBIT);

  shape(f, "up0", HIGH_KBIT);
  took = wait_target(f, back_up, 30000);
  g_print("capacity back: 90 %% of the ceiling after %" G_GINT64_FORMAT " ms\n", took);
  assert_true(took >= 0);
  Probe high;
  gint64 high_kbps = probe_finish(f, probe_start(f, &high, 6), &high, "on the wide link again");
  assert_true(high_kbps > LOW_KBIT);
  watch_finish(f, "all along");

  g_autofree char *events = ctl(f, "events", "500", NULL);
  assert_true(count(events, "\"kind\":\"bitrate\",\"subject\":\"main\",\"state\":\"cut\"") >= 1);
  assert_true(count(events, "\"kind\":\"bitrate\",\"subject\":\"main\",\"state\":\"raise\"") >= 1);
  g_autofree char *status = ctl(f, "status", NULL, NULL);
  g_print("%s", status);
  assert_non_null(strstr(status, "\"bitrate\":{\"mode\":\"adaptive\",\"target_kbps\":"));
  assert_true(number_after(status, "\"current_kbps\":") > 0);
  assert_non_null(strstr(status, "\"rate\":{\"adaptive\":true,\"state\":"));
  stop_daemon(f);
}

/* The link narrows slowly, 100 kbit a second, from 1.5x to 0.5x: the rate
 * follows it down without a freeze. Where the rate lands depends on when the
 * congestion shows: a cut made early in the ramp is followed by another, one
 * made late can leave a target a little above the narrowed link that the
 * encoder's output, short of its target, fits already (no queue: nothing to
 * cut for). So what arrives is judged: on the narrowed link the viewer gets
 * less than the link, without a freeze, after at least one cut. */
static void
test_slow_ramp_down(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, NULL);
  watch_start(f, 30);
  for (guint kbit = HIGH_KBIT; kbit >= LOW_KBIT; kbit -= 100) {
    shape(f, "up0", kbit);
    g_usleep(G_USEC_PER_SEC);
  }
  g_usleep(4 * G_USEC_PER_SEC); /* settled */
  gint64 target = target_kbps(f);
  Probe low;
  gint64 low_kbps = probe_finish(f, probe_start(f, &low, 6), &low, "on the narrowed link");
  g_print("target %" G_GINT64_FORMAT " kb/s on the narrowed link\n", target);
  assert_true(target > 0 && target < CEILING);
  assert_true(low_kbps > 0 && low_kbps + AUDIO < LOW_KBIT);
  watch_finish(f, "slow ramp down");
  g_autofree char *events = ctl(f, "events", "500", NULL);
  assert_true(count(events, "\"kind\":\"bitrate\",\"subject\":\"main\",\"state\":\"cut\"") >= 1);
  stop_daemon(f);
}

/* Five dips of 1 s to a third of the rate: no freeze, and the rate is back
 * near the ceiling soon after the last. */
static void
test_short_dips(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, NULL);
  watch_start(f, 30);
  for (guint i = 0; i < 5; i++) {
    shape(f, "up0", LOW_KBIT);
    g_usleep(G_USEC_PER_SEC);
    shape(f, "up0", HIGH_KBIT);
    g_usleep(4 * G_USEC_PER_SEC);
  }
  gint64 took = wait_target(f, back_up, 25000);
  g_print("after the dips: 90 %% of the ceiling after %" G_GINT64_FORMAT " ms\n", took);
  assert_true(took >= 0);
  watch_finish(f, "short dips");
  stop_daemon(f);
}

/* 5 % of the packets lost at random on a link with room to spare: TCP
 * recovers them; the stream goes on without a freeze and the rate neither
 * collapses nor swings. */
static void
test_random_loss(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  start_live(f, NULL);
  g_autofree char *before = ctl(f, "events", "500", NULL);
  guint changes_before = count(before, "\"kind\":\"bitrate\"");
  random_loss(f);
  Probe whole;
  gint64 kbps = probe_finish(f, probe_start(f, &whole, 30), &whole, "5 % loss");
  g_autofree char *after = ctl(f, "events", "500", NULL);
  guint changes = count(after, "\"kind\":\"bitrate\"") - changes_before;
  gint64 target = target_kbps(f);
  g_print("5 %% loss: %u rate changes in 30 s, at %" G_GINT64_FORMAT " kb/s\n", changes, target);
  assert_true(kbps > 0 && kbps + AUDIO < HIGH_KBIT);
  assert_true(target >= CEILING / 2);
  assert_true(changes <= 10);
  stop_daemon(f);
}

/* start-bitrate on an uplink never used; each uplink's last known good rate
 * when the pushes come back to it. */
static void
test_failover_starts_at_known_rate(void **state)
{
  sc_netlab_skip_unless_usable();
  Fixture *f = *state;
  shape(f, "up1", LOW_KBIT); /* the backup is the weaker uplink */
  start_live(f, "[failover]\nhold-time = 2\n[adaptive]\nstart-bitrate = 600\n");
  g_usleep(5 * G_USEC_PER_SEC); /* held 4 s: up0's known good rate */
  g_autofree char *drill = ctl(f, "drill", "wired", "20");
  assert_non_null(drill);
  g_usleep(3 * G_USEC_PER_SEC);
  g_autofree char *first =
      assert_event(f, "\"kind\":\"bitrate\",\"subject\":\"up1\",\"state\":\"uplink\"");
  assert_non_null(strstr(first, " -> 600 kb/s: pushes moved to up1: no rate known there"));
  g_usleep(5 * G_USEC_PER_SEC); /* on up1, at a rate it carries (the drill lasts 20 s) */
  gint64 on_backup = settled_target(f, 9000);
  g_print("on up1: %" G_GINT64_FORMAT " kb/s\n", on_backup);
  assert_true(on_backup > 0 && on_backup + AUDIO < LOW_KBIT);
  /* the drill ends; after the hold time (2 s) the pushes return to up0 */
  gint64 left = g_get_monotonic_time();
  while (g_get_monotonic_time() - left < 15 * G_USEC_PER_SEC) {
    g_autofree char *status = ctl(f, "status", NULL, NULL);
    const char *line = status ? strstr(status, "\"bitrate\":{") : NULL;
    g_autofree char *bitrate = line ? g_strndup(line, strcspn(line, "}")) : NULL;
    if (bitrate && strstr(bitrate, "\"interface\":\"up0\""))
      break;
    g_usleep(200 * 1000);
  }
  g_autofree char *back = assert_event(f, "pushes moved to up0: its last known good rate");
  assert_int_equal(event_rate(back), CEILING);
  assert_true(wait_target(f, back_up, 5000) >= 0);
  /* and to up1 again: its own last known good rate this time */
  g_autofree char *again = ctl(f, "drill", "wired", "30");
  assert_non_null(again);
  g_usleep(3 * G_USEC_PER_SEC);
  g_autofree char *moved = assert_event(f, "pushes moved to up1: its last known good rate");
  gint64 start = event_rate(moved);
  g_print("on up1 again: starts at %" G_GINT64_FORMAT " kb/s\n", start);
  assert_true(start > 0 && start + AUDIO < LOW_KBIT);
  stop_daemon(f);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_capacity_steps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slow_ramp_down, setup, teardown),
      cmocka_unit_test_setup_teardown(test_short_dips, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_loss, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failover_starts_at_known_rate, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
