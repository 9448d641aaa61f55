/* Tests for firmware/rate-control.c: the bitrate controller against a model
 * of an uplink (a bottleneck of a given capacity with a queue in front: the
 * queue grows while the rate sent is above the capacity) and an encoder that
 * takes about a second to follow a new rate, sampled every 50 ms as
 * shopcastd samples its outputs. The numbers follow make bench-abr: 4000 kb/s
 * of video and 128 of audio over links of 6, 2 and 3 Mb/s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/rate-control.h"

#define TICK_US (50 * 1000)
#define AUDIO   128
#define CEILING 4000
#define FLOOR   500
/* What of a shaped link's rate carries the stream (TCP/IP headers on
 * 1500-byte packets, RTMP chunk headers), as in the bench's tc tbf. */
#define PAYLOAD 0.95

typedef struct {
  ScRateControl *rc;
  gint64 now;
  double capacity;   /* kb/s the link carries */
  double produced;   /* kb/s the encoder produces now (follows the target) */
  double queue_kbit; /* waiting before the bottleneck */
  double peak;       /* the highest delivered lately (decays) */
  guint target;      /* what the encoder is set to */
  guint ceiling;
  gboolean clumps; /* acknowledgements in clumps: the throughput reads 25 % high now and then */
  guint ticks;
  guint changes;
  guint cuts, raises, undos, probes;
} Link;

static void
link_init_at(Link *l, double capacity, guint ceiling)
{
  ScRateParams p;
  sc_rate_params_init(&p, ceiling);
  p.min_kbps = FLOOR;
  *l = (Link){.rc = sc_rate_control_new(&p, ceiling),
              .now = 1000 * G_USEC_PER_SEC,
              .capacity = capacity,
              .produced = ceiling,
              .target = ceiling,
              .ceiling = ceiling};
}

static void
link_init(Link *l, double capacity)
{
  link_init_at(l, capacity, CEILING);
}

/* A shaped link of @mbit Mb/s, as the bench's tc tbf. */
static void
link_shape(Link *l, double mbit)
{
  l->capacity = mbit * 1000 * PAYLOAD;
}

static void
link_clear(Link *l)
{
  sc_rate_control_free(l->rc);
}

/* One sample period of the model, then the controller's sample. */
static ScRateChange
link_tick(Link *l)
{
  double dt = TICK_US / 1e6;
  l->produced += (l->target - l->produced) * MIN(1.0, dt / 1.0);
  double sending = l->produced + AUDIO;
  l->queue_kbit = MAX(0.0, l->queue_kbit + (sending - l->capacity) * dt);
  double delivered = l->queue_kbit > 0 ? l->capacity : sending;
  l->peak = MAX(delivered, l->peak * 0.97); /* about a second's memory */
  l->now += TICK_US;
  if (l->clumps && ++l->ticks % 70 < 4) /* 200 ms every 3.5 s */
    delivered *= 1.25;
  ScRateSample s = {.now_us = l->now,
                    .live = TRUE,
                    .readable = TRUE,
                    .queue_ms = (guint)(l->queue_kbit / sending * 1000),
                    .throughput_kbps = (guint)delivered,
                    .throughput_peak_kbps = (guint)MAX(delivered, l->peak),
                    .audio_kbps = AUDIO,
                    .encode_kbps = l->target,
                    .sending_kbps = (guint)sending};
  ScRateChange change = sc_rate_control_feed(l->rc, &s);
  guint proposal = sc_rate_control_get_proposal(l->rc);
  if (proposal != l->target) {
    if (g_getenv("RATE_TRACE"))
      g_print("%7.2f s %-5s %u -> %u (queue %u ms, produced %.0f)\n", (l->now / 1e6) - 1000,
              sc_rate_change_name(change), l->target, proposal, s.queue_ms, l->produced);
    assert_in_range(proposal, FLOOR, l->ceiling);
    /* whole steps: an adjustment that rounds to the same rate is no change */
    assert_true(proposal % 25 == 0 || proposal == FLOOR || proposal == l->ceiling);
    l->changes++;
    l->target = proposal;
  }
  l->cuts += change == SC_RATE_CHANGE_CUT;
  l->raises += change == SC_RATE_CHANGE_RAISE;
  l->undos += change == SC_RATE_CHANGE_UNDO;
  l->probes += change == SC_RATE_CHANGE_PROBE;
  return change;
}

static void
link_run(Link *l, guint ms)
{
  for (guint i = 0; i < ms * 1000 / TICK_US; i++)
    link_tick(l);
}

/* Seconds until the target plus audio is below the capacity; -1 if never within @max_s. */
static double
time_below_capacity(Link *l, guint max_s)
{
  for (guint i = 0; i < max_s * G_USEC_PER_SEC / TICK_US; i++) {
    link_tick(l);
    if (l->target + AUDIO < l->capacity)
      return (i + 1) * TICK_US / 1e6;
  }
  return -1;
}

/* The link drops to half the bitrate: one cut lands below it within a second,
 * and the queue never reaches the frame-dropping bound. */
static void
test_cuts_quickly_below_capacity(void **state)
{
  Link l;
  link_init(&l, 6000);
  link_run(&l, 10000);
  assert_int_equal(l.changes, 0);
  l.capacity = CEILING / 2;
  double took = time_below_capacity(&l, 5);
  g_print("capacity halved: below it after %.2f s, at %u kb/s\n", took, l.target);
  assert_true(took > 0 && took <= 1.0);
  double max_queue = 0;
  for (guint i = 0; i < 200; i++) {
    link_tick(&l);
    max_queue = MAX(max_queue, l.queue_kbit / l.capacity);
  }
  g_print("largest queue %.2f s, %u cuts\n", max_queue, l.cuts);
  assert_true(max_queue <= 1.5); /* the goal for the latency a drop adds */
  assert_true(l.target + AUDIO < l.capacity);
  assert_true(l.target > l.capacity * 0.6); /* not cut to the bone */
  link_clear(&l);
}

/* A keyframe's burst fills the queue for a moment: no cut. */
static void
test_burst_is_not_congestion(void **state)
{
  Link l;
  link_init(&l, 6000);
  for (guint k = 0; k < 20; k++) {
    l.queue_kbit += 0.4 * (CEILING + AUDIO); /* a 400 ms burst, drained at the spare rate */
    link_run(&l, 2000);
  }
  assert_int_equal(l.changes, 0);
  assert_int_equal(sc_rate_control_get_state(l.rc), SC_RATE_HOLD);
  link_clear(&l);
}

/* Changes of the rate over @ms of the model. */
static guint
changes_over(Link *l, guint ms)
{
  guint before = l->changes;
  link_run(l, ms);
  return l->changes - before;
}

/* Seconds until the target is at least @kbps; -1 if not within @max_s. */
static double
time_to_reach(Link *l, guint kbps, guint max_s)
{
  for (guint i = 0; i < max_s * G_USEC_PER_SEC / TICK_US; i++) {
    link_tick(l);
    if (l->target >= kbps)
      return (i + 1) * TICK_US / 1e6;
  }
  return -1;
}

/* make bench-abr's run at a given ceiling: 6 Mb/s, 2 Mb/s for 20 s, 6 Mb/s
 * again, then a steady 3 Mb/s (below the ceiling). Each goal of the bench:
 * below the narrow link within 1 s, back to 90 % within 15 s, and, 25 s
 * after each step, not one change of the rate in the minute counted. */
static void
bench_run(guint ceiling)
{
  Link l;
  link_init_at(&l, 0, ceiling);
  link_shape(&l, 6);
  link_run(&l, 10000);
  assert_int_equal(l.changes, 0);
  link_shape(&l, 2);
  double settle = time_below_capacity(&l, 5);
  link_run(&l, (guint)(20000 - settle * 1000));
  link_shape(&l, 6);
  double recover = time_to_reach(&l, ceiling * 9 / 10, 60);
  link_run(&l, (guint)(25000 - recover * 1000));
  guint at_6 = changes_over(&l, 60000);
  guint at_6_rate = l.target;
  link_shape(&l, 3);
  link_run(&l, 25000);
  guint cuts = l.cuts;
  guint at_3 = changes_over(&l, 60000);
  g_print("ceiling %u kb/s: settle %.2f s, recover %.1f s, steady 6 Mb/s: %u changes a minute "
          "at %u kb/s, steady 3 Mb/s: %u changes a minute at %u kb/s (limit %u)\n",
          ceiling, settle, recover, at_6, at_6_rate, at_3, l.target,
          sc_rate_control_get_limit_kbps(l.rc));
  assert_true(settle > 0 && settle <= 1.0);
  assert_true(recover > 0 && recover <= 15.0);
  assert_int_equal(at_6_rate, ceiling);
  assert_int_equal(at_6, 0);
  assert_int_equal(at_3, 0);
  assert_int_equal(l.cuts, cuts);
  assert_true(l.target + AUDIO < l.capacity);       /* under the link ... */
  assert_true(l.target + AUDIO > 0.8 * l.capacity); /* ... not far under it */
  link_clear(&l);
}

static void
test_bench_run_4000(void **state)
{
  bench_run(CEILING);
}

static void
test_bench_run_4500(void **state)
{
  bench_run(4500);
}

/* The link comes back after 20 s at half: one probe (15 % above the
 * throughput measured when the link congested) that holds tells the link
 * got better; the climb goes on in steps each at most 10 % larger than the
 * last (10, 20, 30 %, at most 50 %), each after a second of empty queue:
 * 90 % of where it was within 15 s; then nothing changes. */
static void
test_raises_slowly_and_returns(void **state)
{
  Link l;
  link_init(&l, 6000);
  link_run(&l, 2000);
  l.capacity = CEILING / 2;
  link_run(&l, 20000);
  guint low = l.target, limit = sc_rate_control_get_limit_kbps(l.rc);
  assert_true(limit > 0 && limit + AUDIO <= CEILING / 2);
  l.capacity = 6000;
  gint64 back = l.now, last_step = 0;
  guint before = low, climb = 0;
  double took = -1;
  for (guint i = 0; i < 60 * 20; i++) {
    ScRateChange change = link_tick(&l);
    if (change == SC_RATE_CHANGE_RAISE) {
      climb += l.probes > 0;
      assert_true(l.target <= before * (1 + 0.1 * MAX(climb, 1)) + 50);
      assert_true(l.target <= before * 1.5 + 50);
    }
    if (change == SC_RATE_CHANGE_PROBE)
      assert_true(l.target <= limit * 1.15 + 25);
    if (change == SC_RATE_CHANGE_RAISE || change == SC_RATE_CHANGE_PROBE) {
      assert_true(last_step == 0 || l.now - last_step >= 1000 * 1000);
      last_step = l.now;
    }
    before = l.target;
    if (took < 0 && l.target >= 0.9 * CEILING)
      took = (l.now - back) / 1e6;
  }
  g_print("from %u kb/s: 90 %% of %u after %.1f s, %u probe(s)\n", low, CEILING, took, l.probes);
  assert_true(took > 3 && took <= 15);
  assert_int_equal(l.probes, 1);
  assert_int_equal(l.target, CEILING);
  assert_int_equal(sc_rate_control_get_limit_kbps(l.rc), 0); /* forgotten */
  guint changes = l.changes;
  link_run(&l, 10 * 60 * 1000); /* ten minutes of a steady link */
  assert_int_equal(l.changes, changes);
  link_clear(&l);
}

/* The link comes back only part of the way (2 -> 3 Mb/s): the probe holds,
 * the growing steps find the new limit with one cut, and then the rate
 * stays put. */
static void
test_partial_return_settles(void **state)
{
  Link l;
  link_init(&l, 0);
  link_shape(&l, 2);
  link_run(&l, 20000);
  link_shape(&l, 3);
  guint cuts = l.cuts;
  link_run(&l, 40000);
  guint changes = changes_over(&l, 60000);
  g_print("2 -> 3 Mb/s: %u cut(s) finding it, then %u changes in a minute at %u kb/s\n",
          l.cuts - cuts, changes, l.target);
  assert_true(l.cuts - cuts <= 1);
  assert_int_equal(changes, 0);
  assert_true(l.target + AUDIO < l.capacity && l.target + AUDIO > 0.8 * l.capacity);
  link_clear(&l);
}

/* A capacity that returns after a long time at half (its probes failed
 * meanwhile, each waiting four times longer than the last, at most
 * probe-wait-max) is still climbed back to, by the next probe. */
static void
test_returns_after_a_long_time(void **state)
{
  Link l;
  link_init(&l, 6000);
  link_run(&l, 2000);
  l.capacity = CEILING / 2;
  link_run(&l, 10 * 60 * 1000);
  assert_true(l.undos >= 3);
  l.capacity = 6000;
  ScRateParams p;
  sc_rate_params_init(&p, CEILING);
  double took = time_to_reach(&l, CEILING * 9 / 10, p.probe_wait_max_ms / 1000 + 15);
  g_print("after 10 min at half: 90 %% after %.1f s (%u failed probes)\n", took, l.undos);
  assert_true(took > 0);
  link_clear(&l);
}

/* A dip of a second: the queue it left drains at the link's full rate,
 * which shows the link carries more than when it congested: the rate climbs
 * back without waiting for a probe. */
static void
test_short_dip_climbs_back(void **state)
{
  Link l;
  link_init(&l, 6000);
  link_run(&l, 5000);
  l.capacity = CEILING / 3;
  link_run(&l, 1000);
  l.capacity = 6000;
  double took = time_to_reach(&l, CEILING * 9 / 10, 30);
  g_print("after a 1 s dip: %u cut(s), 90 %% after %.1f s\n", l.cuts, took);
  assert_true(l.cuts >= 1);
  assert_true(took > 0 && took <= 10);
  assert_int_equal(l.probes, 0);
  link_clear(&l);
}

/* A steady link below the ceiling for twelve minutes: after the first
 * minute no cut at all; the only changes are rare probes and their undos
 * (after 20 s, 80 s, then every 300 s), and the rate is under the capacity
 * but for the seconds of a probe. */
static void
test_steady_limited_link_never_oscillates(void **state)
{
  Link l;
  link_init(&l, 0);
  link_shape(&l, 3);
  link_run(&l, 60 * 1000);
  guint cuts = l.cuts, probes = l.probes, changes = l.changes;
  guint over = 0, ticks = 11 * 60 * 20;
  for (guint i = 0; i < ticks; i++) {
    link_tick(&l);
    over += l.target + AUDIO > l.capacity;
  }
  g_print("steady 3 Mb/s link, minutes 2-12: %u changes (%u probes), over capacity %.2f %% of the "
          "time, at %u kb/s\n",
          l.changes - changes, l.probes - probes, 100.0 * over / ticks, l.target);
  assert_int_equal(l.cuts, cuts);
  assert_true(l.probes - probes <= 3);
  assert_int_equal(l.changes - changes, 2 * (l.probes - probes)); /* each probe, undone */
  assert_true(over < ticks / 50);
  assert_true(sc_rate_control_get_limit_kbps(l.rc) > 0);
  link_clear(&l);
}

/* A steady 3 Mb/s link whose measured throughput reads 25 % high for
 * 200 ms now and then (a token bucket's burst, acknowledgements in clumps):
 * the path's memory does not follow such a moment up, so the rate does not
 * climb into the link and get cut again. */
static void
test_throughput_spikes_teach_nothing(void **state)
{
  Link l;
  link_init(&l, 0);
  l.clumps = TRUE;
  link_shape(&l, 3);
  link_run(&l, 25000);
  guint limit = sc_rate_control_get_limit_kbps(l.rc);
  guint changes = changes_over(&l, 60000);
  g_print("steady 3 Mb/s, clumped acks: %u changes in the minute counted, limit %u -> %u kb/s\n",
          changes, limit, sc_rate_control_get_limit_kbps(l.rc));
  assert_int_equal(changes, 0);
  assert_true(sc_rate_control_get_limit_kbps(l.rc) + AUDIO <= l.capacity);
  link_clear(&l);
}

/* The pushes move to another uplink: what the old path taught is
 * forgotten; the climb there needs no probe. */
static void
test_restart_forgets_the_path(void **state)
{
  Link l;
  link_init(&l, 0);
  link_shape(&l, 3);
  link_run(&l, 30000);
  assert_true(sc_rate_control_get_limit_kbps(l.rc) > 0);
  ScRateSample off = {.now_us = l.now += TICK_US, .live = FALSE};
  (void)sc_rate_control_feed(l.rc, &off);
  sc_rate_control_restart(l.rc, 2000);
  assert_int_equal(sc_rate_control_get_limit_kbps(l.rc), 0);
  l.target = 2000;
  l.produced = 2000;
  l.queue_kbit = 0;
  link_shape(&l, 6);
  double took = time_to_reach(&l, CEILING, 20);
  g_print("new path: at the ceiling after %.1f s\n", took);
  assert_true(took > 0 && took <= 12);
  link_clear(&l);
}

/* A new connection's first 2 s are its start's burst while TCP finds its
 * pace: no cut however the queue looks; then a link that carries too little
 * is cut, and a new connection (not publishing in between) waits again. */
static void
test_no_cut_while_a_connection_starts(void **state)
{
  Link l;
  link_init(&l, 1500);
  link_run(&l, 1900);
  assert_int_equal(l.changes, 0);
  assert_true(l.queue_kbit / (CEILING + AUDIO) > 0.25); /* it would have been cut */
  link_run(&l, 600);
  assert_int_equal(l.cuts, 1);
  guint changes = l.changes;
  ScRateSample off = {.now_us = l.now += TICK_US, .live = FALSE};
  (void)sc_rate_control_feed(l.rc, &off);
  sc_rate_control_restart(l.rc, CEILING);
  l.target = CEILING;
  l.produced = CEILING;
  link_run(&l, 1900);
  assert_int_equal(l.changes, changes);
  link_run(&l, 600);
  assert_int_equal(l.cuts, 2);
  link_clear(&l);
}

/* The floor and the ceiling hold, whatever the link says. */
static void
test_floor_and_ceiling(void **state)
{
  Link l;
  link_init(&l, 300); /* below the floor */
  link_run(&l, 30000);
  assert_int_equal(l.target, FLOOR);
  l.capacity = 100000;
  link_run(&l, 120000);
  assert_int_equal(l.target, CEILING);
  link_clear(&l);
}

/* A proposal the shared encoder does not run at (another destination is
 * weaker) is not raised: only the destination that binds probes upward. */
static void
test_only_the_binding_destination_raises(void **state)
{
  ScRateParams p;
  sc_rate_params_init(&p, CEILING);
  g_autoptr(ScRateControl) rc = sc_rate_control_new(&p, 2000);
  gint64 now = G_USEC_PER_SEC;
  for (guint i = 0; i < 400; i++) {
    ScRateSample s = {.now_us = now += TICK_US,
                      .live = TRUE,
                      .readable = TRUE,
                      .throughput_kbps = 1100,
                      .audio_kbps = AUDIO,
                      .encode_kbps = 1000};
    assert_int_equal(sc_rate_control_feed(rc, &s), SC_RATE_CHANGE_NONE);
  }
  assert_int_equal(sc_rate_control_get_proposal(rc), 2000);
}

/* Not publishing, or the socket unreadable: the rate holds, the state says so,
 * and a new uplink starts over at the rate given. */
static void
test_idle_error_and_restart(void **state)
{
  ScRateParams p;
  sc_rate_params_init(&p, CEILING);
  g_autoptr(ScRateControl) rc = sc_rate_control_new(&p, 3000);
  ScRateSample s = {.now_us = G_USEC_PER_SEC, .live = FALSE, .encode_kbps = 3000};
  assert_int_equal(sc_rate_control_feed(rc, &s), SC_RATE_CHANGE_NONE);
  assert_int_equal(sc_rate_control_get_state(rc), SC_RATE_IDLE);
  s.live = TRUE;
  s.now_us += TICK_US;
  assert_int_equal(sc_rate_control_feed(rc, &s), SC_RATE_CHANGE_NONE);
  assert_int_equal(sc_rate_control_get_state(rc), SC_RATE_ERROR);
  s.readable = TRUE;
  s.now_us += TICK_US;
  (void)sc_rate_control_feed(rc, &s);
  assert_int_equal(sc_rate_control_get_state(rc), SC_RATE_HOLD);
  sc_rate_control_restart(rc, 1200);
  assert_int_equal(sc_rate_control_get_proposal(rc), 1200);
  assert_int_equal(sc_rate_control_get_state(rc), SC_RATE_IDLE);
  sc_rate_control_restart(rc, 99999);
  assert_int_equal(sc_rate_control_get_proposal(rc), CEILING);
  assert_string_equal(sc_rate_state_name(SC_RATE_DRAIN), "drain");
  assert_string_equal(sc_rate_change_name(SC_RATE_CHANGE_UNDO), "undo");
  assert_string_equal(sc_rate_state_name(SC_RATE_PROBE), "probe");
  assert_string_equal(sc_rate_change_name(SC_RATE_CHANGE_PROBE), "probe");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cuts_quickly_below_capacity),
      cmocka_unit_test(test_burst_is_not_congestion),
      cmocka_unit_test(test_bench_run_4000),
      cmocka_unit_test(test_bench_run_4500),
      cmocka_unit_test(test_raises_slowly_and_returns),
      cmocka_unit_test(test_partial_return_settles),
      cmocka_unit_test(test_returns_after_a_long_time),
      cmocka_unit_test(test_short_dip_climbs_back),
      cmocka_unit_test(test_steady_limited_link_never_oscillates),
      cmocka_unit_test(test_throughput_spikes_teach_nothing),
      cmocka_unit_test(test_restart_forgets_the_path),
      cmocka_unit_test(test_no_cut_while_a_connection_starts),
      cmocka_unit_test(test_floor_and_ceiling),
      cmocka_unit_test(test_only_the_binding_destination_raises),
      cmocka_unit_test(test_idle_error_and_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
