/* Tests for firmware/rate-control.c: the bitrate controller against a model
 * of an uplink (a bottleneck of a given capacity with a queue in front) and
 * an encoder that takes about a second to follow a new rate, sampled every
 * 50 ms as shopcastd samples its outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/rate-control.h"

#define TICK_US (50 * 1000)
#define AUDIO   128
#define CEILING 4000
#define FLOOR   500

typedef struct {
  ScRateControl *rc;
  gint64 now;
  double capacity;   /* kb/s the link carries */
  double produced;   /* kb/s the encoder produces now (follows the target) */
  double queue_kbit; /* waiting before the bottleneck */
  double peak;       /* the highest delivered lately (decays) */
  guint target;      /* what the encoder is set to */
  guint changes;
  guint cuts, raises, undos;
} Link;

static void
link_init(Link *l, double capacity)
{
  ScRateParams p;
  sc_rate_params_init(&p, CEILING);
  p.min_kbps = FLOOR;
  *l = (Link){.rc = sc_rate_control_new(&p, CEILING),
              .now = 1000 * G_USEC_PER_SEC,
              .capacity = capacity,
              .produced = CEILING,
              .target = CEILING};
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
    assert_in_range(proposal, FLOOR, CEILING);
    l->changes++;
    l->target = proposal;
  }
  l->cuts += change == SC_RATE_CHANGE_CUT;
  l->raises += change == SC_RATE_CHANGE_RAISE;
  l->undos += change == SC_RATE_CHANGE_UNDO;
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

/* The link comes back: the rate climbs in steps of at most 10 % (a probe
 * above the throughput measured when the link was congested: 10 % above it,
 * from 5 % under it), each after a second of empty queue, to 90 % of where
 * it was within 15 s, then stays. */
static void
test_raises_slowly_and_returns(void **state)
{
  Link l;
  link_init(&l, 6000);
  link_run(&l, 2000);
  l.capacity = CEILING / 2;
  link_run(&l, 20000);
  guint low = l.target;
  l.capacity = 6000;
  gint64 back = l.now, last_raise = 0;
  guint before = low;
  double took = -1;
  for (guint i = 0; i < 60 * 20; i++) {
    if (link_tick(&l) == SC_RATE_CHANGE_RAISE) {
      assert_true(l.target <= before * 1.16 + 50);
      assert_true(last_raise == 0 || l.now - last_raise >= 1000 * 1000);
      last_raise = l.now;
    }
    before = l.target;
    if (took < 0 && l.target >= 0.9 * CEILING)
      took = (l.now - back) / 1e6;
  }
  g_print("from %u kb/s: 90 %% of %u after %.1f s\n", low, CEILING, took);
  assert_true(took > 3 && took <= 15);
  assert_int_equal(l.target, CEILING);
  guint changes = l.changes;
  link_run(&l, 10 * 60 * 1000); /* ten minutes of a steady link */
  assert_int_equal(l.changes, changes);
  link_clear(&l);
}

/* A steady link below the ceiling: after settling, a step up that fails is
 * undone and tried again ever later, so changes become rare; the rate stays
 * below the capacity nearly all the time. */
static void
test_steady_limited_link_settles(void **state)
{
  Link l;
  link_init(&l, 3000);
  link_run(&l, 60 * 1000);
  guint changes = l.changes, undos = l.undos;
  guint over = 0, ticks = 10 * 60 * 20;
  for (guint i = 0; i < ticks; i++) {
    link_tick(&l);
    over += l.target + AUDIO > l.capacity;
  }
  double per_min = (l.changes - changes) / 10.0;
  g_print("steady 3000 kb/s link: %.1f changes a minute, %u undone steps, over capacity %.1f %% "
          "of the time, at %u kb/s\n",
          per_min, l.undos - undos, 100.0 * over / ticks, l.target);
  assert_true(per_min <= 2.5);
  assert_true(over < ticks / 10);
  assert_true(sc_rate_control_get_limit_kbps(l.rc) > 0);
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
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cuts_quickly_below_capacity),
      cmocka_unit_test(test_burst_is_not_congestion),
      cmocka_unit_test(test_raises_slowly_and_returns),
      cmocka_unit_test(test_steady_limited_link_settles),
      cmocka_unit_test(test_no_cut_while_a_connection_starts),
      cmocka_unit_test(test_floor_and_ceiling),
      cmocka_unit_test(test_only_the_binding_destination_raises),
      cmocka_unit_test(test_idle_error_and_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
