#define G_LOG_DOMAIN "shopcast-rate"

#include "firmware/rate-control.h"

/* After a cut, a link that still delivers less than the new rate calls for
 * another, from this long after it (the throughput's window has moved on).
 * A queue that still grows is no reason by itself: the encoder's rate
 * control (a 1 s VBV buffer) takes about a second to follow a new rate. */
#define RECUT_AFTER_US (1 * G_USEC_PER_SEC)
/* A new connection starts with a burst (stream headers, a keyframe, and the
 * encoder's rate control filling its buffer at start) while TCP finds its
 * pace: no congestion is called in its first seconds. */
#define START_GRACE_US (2 * G_USEC_PER_SEC)
/* A link that delivers less than this share of what is sent falls behind. */
#define FALLING_BEHIND_PERCENT 95
/* The smallest step up, kb/s. */
#define MIN_STEP_KBPS 50
/* Proposals are multiples of this (kb/s): finer adjustments are no change. */
#define QUANTUM_KBPS 25
/* A cut also drains what is queued within this time. */
#define DRAIN_US (4 * G_USEC_PER_SEC)
/* A throughput this far below the rate that held is a link that lost
 * capacity, not a probe that went too far: cut, and probe afresh. */
#define COLLAPSE_PERCENT 80
/* After a probe that held, each step up is one raise_percent larger than
 * the last (the link got better by an unknown amount), up to this. */
#define MAX_STEP_PERCENT 50
/* Each probe that failed makes the next wait this many times longer. */
#define PROBE_BACKOFF 4
/* A throughput above what a probe would ask teaches the path's memory only
 * when it lasts this long: a token bucket's burst and acknowledgements
 * that come in clumps make a 0.5 s window read well above the link for a
 * moment. */
#define LEARN_AFTER_US (500 * 1000)

typedef enum {
  EV_STOPPED,
  EV_BLIND,
  EV_CONGESTED,
  EV_QUEUED,
  EV_CLEAR,
  EV_CLEAR_LONG,
  EV_PROBE_DUE,
  N_EVENTS,
} Event;

typedef enum {
  ACT_NONE,
  ACT_CUT,
  ACT_UNDO,
  ACT_RECUT,
  ACT_RAISE,
  ACT_PROBE,
  ACT_HELD,
  ACT_RESET,
} Action;

typedef struct {
  ScRateState next;
  Action action;
} Transition;

#define N_STATES (SC_RATE_ERROR + 1)

/* state x event -> state, action (the table in rate-control.h) */
static const Transition table[N_STATES][N_EVENTS] = {
    [SC_RATE_IDLE] = {{SC_RATE_IDLE, ACT_NONE},
                      {SC_RATE_ERROR, ACT_NONE},
                      {SC_RATE_HOLD, ACT_RESET},
                      {SC_RATE_HOLD, ACT_RESET},
                      {SC_RATE_HOLD, ACT_RESET},
                      {SC_RATE_HOLD, ACT_RESET},
                      {SC_RATE_HOLD, ACT_RESET}},
    [SC_RATE_HOLD] = {{SC_RATE_IDLE, ACT_NONE},
                      {SC_RATE_ERROR, ACT_NONE},
                      {SC_RATE_DRAIN, ACT_CUT},
                      {SC_RATE_HOLD, ACT_NONE},
                      {SC_RATE_HOLD, ACT_NONE},
                      {SC_RATE_RAISED, ACT_RAISE},
                      {SC_RATE_PROBE, ACT_PROBE}},
    [SC_RATE_RAISED] = {{SC_RATE_IDLE, ACT_NONE},
                        {SC_RATE_ERROR, ACT_NONE},
                        {SC_RATE_DRAIN, ACT_CUT},
                        {SC_RATE_RAISED, ACT_NONE},
                        {SC_RATE_RAISED, ACT_NONE},
                        {SC_RATE_RAISED, ACT_RAISE},
                        {SC_RATE_PROBE, ACT_PROBE}},
    [SC_RATE_DRAIN] = {{SC_RATE_IDLE, ACT_NONE},
                       {SC_RATE_ERROR, ACT_NONE},
                       {SC_RATE_DRAIN, ACT_RECUT},
                       {SC_RATE_DRAIN, ACT_NONE},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET}},
    [SC_RATE_PROBE] = {{SC_RATE_IDLE, ACT_NONE},
                       {SC_RATE_ERROR, ACT_NONE},
                       {SC_RATE_DRAIN, ACT_UNDO},
                       {SC_RATE_PROBE, ACT_NONE},
                       {SC_RATE_PROBE, ACT_NONE},
                       {SC_RATE_RAISED, ACT_HELD},
                       {SC_RATE_PROBE, ACT_NONE}},
    [SC_RATE_ERROR] = {{SC_RATE_IDLE, ACT_NONE},
                       {SC_RATE_ERROR, ACT_NONE},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET}},
};

struct _ScRateControl {
  ScRateParams p;
  ScRateState state;
  guint proposal;
  guint limit_kbps;   /* the path's memory: video delivered when it last congested; 0: none */
  gint64 limit_at;    /* when that was (the probe wait counts from it) */
  guint failures;     /* probes that failed since the link last lost much capacity */
  guint streak;       /* steps up since a probe held; 0: not in such a climb */
  gint64 over_since;  /* the link delivering more than a probe would ask since; 0: it is not */
  guint over_min;     /* the least it delivered meanwhile (video kb/s) */
  gint64 above_since; /* the queue above the congestion threshold since; 0: it is not */
  gint64 live_since;  /* publishing since; 0: not publishing */
  gint64 clear_since;
  gint64 changed_at;
  gint64 cut_at;
};

void
sc_rate_params_init(ScRateParams *p, guint max_kbps)
{
  *p = (ScRateParams){
      .min_kbps = MIN(500, max_kbps),
      .max_kbps = max_kbps,
      .cut_queue_ms = 250,
      .cut_after_ms = 300,
      .clear_queue_ms = 100,
      .cut_percent = 85,
      .raise_percent = 10,
      .raise_wait_ms = 1000,
      .hold_percent = 90,
      .probe_percent = 15,
      .probe_wait_ms = 20000,
      .probe_time_ms = 3000,
      .probe_wait_max_ms = 300000,
  };
}

const char *
sc_rate_state_name(ScRateState state)
{
  static const char *const names[] = {"idle", "hold", "raised", "drain", "probe", "error"};
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

const char *
sc_rate_change_name(ScRateChange change)
{
  static const char *const names[] = {"none", "cut", "undo", "raise", "probe"};
  return change < G_N_ELEMENTS(names) ? names[change] : "unknown";
}

/* Within the floor and the ceiling, in whole quanta (rounded down). */
static guint
clamp_rate(ScRateControl *self, guint64 kbps)
{
  return (guint)CLAMP(kbps - kbps % QUANTUM_KBPS, self->p.min_kbps, self->p.max_kbps);
}

ScRateControl *
sc_rate_control_new(const ScRateParams *params, guint start_kbps)
{
  ScRateControl *self = g_new0(ScRateControl, 1);
  self->p = *params;
  self->p.max_kbps = MAX(self->p.max_kbps, self->p.min_kbps);
  sc_rate_control_restart(self, start_kbps);
  return self;
}

void
sc_rate_control_free(ScRateControl *self)
{
  g_free(self);
}

void
sc_rate_control_restart(ScRateControl *self, guint kbps)
{
  self->proposal = (guint)CLAMP(kbps, self->p.min_kbps, self->p.max_kbps);
  self->limit_kbps = 0;
  self->failures = 0;
  self->streak = 0;
  self->over_since = 0;
  self->above_since = 0;
  self->clear_since = 0;
  self->state = SC_RATE_IDLE;
}

/* The highest rate a plain step goes to: hold_percent of the limit. */
static guint
hold_rate(ScRateControl *self)
{
  if (!self->limit_kbps)
    return self->p.max_kbps;
  return clamp_rate(self, (guint64)self->limit_kbps * self->p.hold_percent / 100);
}

static guint
probe_rate(ScRateControl *self)
{
  return clamp_rate(self, (guint64)self->limit_kbps * (100 + self->p.probe_percent) / 100);
}

/* How long after the last congestion a probe goes above the limit. */
static gint64
probe_wait_us(ScRateControl *self)
{
  guint64 wait_ms = self->p.probe_wait_ms;
  for (guint i = 0; i < self->failures && wait_ms < self->p.probe_wait_max_ms; i++)
    wait_ms *= PROBE_BACKOFF;
  return (gint64)MIN(wait_ms, self->p.probe_wait_max_ms) * 1000;
}

/* At the hold rate (no plain step left), the probe wait over. */
static gboolean
probe_due(ScRateControl *self, gint64 now)
{
  return self->limit_kbps && self->proposal >= hold_rate(self) &&
         self->proposal < self->p.max_kbps && now - self->limit_at >= probe_wait_us(self);
}

/* Whether the queue stayed above the threshold (lower for a probe) for
 * cut_after_ms while the link delivered less than was sent. */
static gboolean
congested(ScRateControl *self, const ScRateSample *s)
{
  guint threshold = self->state == SC_RATE_PROBE ? self->p.clear_queue_ms : self->p.cut_queue_ms;
  if (s->queue_ms <= threshold)
    self->above_since = 0;
  else if (self->above_since == 0)
    self->above_since = s->now_us;
  /* a keyframe's burst passes, and drains faster than media comes */
  guint sending = s->sending_kbps ? s->sending_kbps : s->encode_kbps + s->audio_kbps;
  gboolean starting = s->now_us - self->live_since < START_GRACE_US;
  return !starting && self->above_since &&
         s->now_us - self->above_since >= (gint64)self->p.cut_after_ms * 1000 &&
         (guint64)s->throughput_kbps * 100 < (guint64)sending * FALLING_BEHIND_PERCENT;
}

static Event
classify(ScRateControl *self, const ScRateSample *s)
{
  if (!s->live)
    return EV_STOPPED;
  if (!s->readable)
    return EV_BLIND;
  if (congested(self, s))
    return EV_CONGESTED;
  if (s->queue_ms > self->p.clear_queue_ms) {
    self->clear_since = 0;
    return EV_QUEUED;
  }
  if (self->clear_since == 0)
    self->clear_since = s->now_us;
  gint64 since = MAX(self->clear_since, self->changed_at);
  guint wait_ms = self->state == SC_RATE_PROBE ? self->p.probe_time_ms : self->p.raise_wait_ms;
  if (s->now_us - since < (gint64)wait_ms * 1000)
    return EV_CLEAR;
  return self->state != SC_RATE_PROBE && probe_due(self, s->now_us) ? EV_PROBE_DUE : EV_CLEAR_LONG;
}

static guint
video_part(const ScRateSample *s, guint64 kbps)
{
  return kbps > s->audio_kbps ? (guint)(kbps - s->audio_kbps) : 0;
}

/* The video the link delivers: the latest throughput, but never less than
 * half the recent peak (a retransmission timeout stalls the acknowledgements
 * for a moment; it does not halve the link). */
static guint
video_throughput(const ScRateSample *s)
{
  return video_part(s, MAX(s->throughput_kbps, s->throughput_peak_kbps / 2));
}

/* The rate that drains the queue waiting now within DRAIN_US. */
static guint64
drain_kbps(const ScRateSample *s)
{
  guint64 queued_kbit = (guint64)s->queue_ms * (s->encode_kbps + s->audio_kbps) / 1000;
  return queued_kbit * G_USEC_PER_SEC / DRAIN_US;
}

static ScRateChange
set_proposal(ScRateControl *self, const ScRateSample *s, guint kbps, ScRateChange why)
{
  if (kbps == self->proposal)
    return SC_RATE_CHANGE_NONE;
  self->proposal = kbps;
  self->changed_at = s->now_us;
  self->clear_since = 0;
  self->above_since = 0;
  return why;
}

/* The path congested: remember what the link delivered, when. A link that
 * lost much of its capacity is probed afresh; one that congests about where
 * it did before keeps the probes' backoff. */
static void
remember(ScRateControl *self, const ScRateSample *s, guint limit_kbps)
{
  if (!self->limit_kbps || limit_kbps < (guint64)self->limit_kbps * COLLAPSE_PERCENT / 100)
    self->failures = 0;
  self->limit_kbps = MAX(limit_kbps, 1);
  self->limit_at = s->now_us;
  self->streak = 0;
}

/* The link delivers less than was sent: below what it delivered, less what
 * drains the queue, so one cut lands under the capacity. */
static ScRateChange
act_cut(ScRateControl *self, const ScRateSample *s)
{
  self->cut_at = s->now_us;
  guint64 base = MIN(self->proposal, s->encode_kbps);
  if (s->throughput_kbps)
    base = MIN(base, video_throughput(s));
  remember(self, s, (guint)base);
  guint64 target = base * self->p.cut_percent / 100;
  guint64 drain = drain_kbps(s);
  target = target > drain ? target - drain : 0;
  return set_proposal(self, s, MIN(clamp_rate(self, target), self->proposal), SC_RATE_CHANGE_CUT);
}

/* A probe brought the queue back: the link carries what it delivered then
 * (at most the probe's rate); back under it, and the next probe waits
 * longer. A link that delivers much less than the rate that held lost
 * capacity meanwhile: a plain cut. */
static ScRateChange
act_undo(ScRateControl *self, const ScRateSample *s)
{
  guint held = hold_rate(self);
  guint tput = video_throughput(s);
  if (s->throughput_kbps && tput < (guint64)held * COLLAPSE_PERCENT / 100)
    return act_cut(self, s);
  self->failures++;
  self->cut_at = s->now_us;
  self->limit_at = s->now_us;
  if (s->throughput_kbps)
    self->limit_kbps = MAX(MIN(tput, self->proposal), 1);
  return set_proposal(self, s, MIN(hold_rate(self), self->proposal), SC_RATE_CHANGE_UNDO);
}

static ScRateChange
act_recut(ScRateControl *self, const ScRateSample *s)
{
  if (s->now_us - self->cut_at < RECUT_AFTER_US || !s->throughput_peak_kbps ||
      video_part(s, s->throughput_peak_kbps) >= self->proposal)
    return SC_RATE_CHANGE_NONE;
  return act_cut(self, s);
}

/* Only the destination that binds the shared encode steps it up. */
static gboolean
may_step_up(ScRateControl *self, const ScRateSample *s)
{
  return self->proposal <= s->encode_kbps && self->proposal < self->p.max_kbps;
}

/* One step of raise_percent (after a probe held, growing), up to the hold
 * rate under the limit; toward a rate the link was measured to carry, half
 * the way at a time. */
static ScRateChange
act_raise(ScRateControl *self, const ScRateSample *s)
{
  if (!may_step_up(self, s))
    return SC_RATE_CHANGE_NONE;
  guint64 p = self->proposal;
  guint hold = hold_rate(self);
  guint percent = MIN(self->p.raise_percent * MAX(self->streak, 1), MAX_STEP_PERCENT);
  guint64 step = MAX(p * (100 + percent) / 100, p + MIN_STEP_KBPS);
  if (self->limit_kbps && hold > p)
    step = MAX(step, p + (hold - p) / 2);
  guint next = MIN(clamp_rate(self, step), hold);
  if (next <= self->proposal)
    return SC_RATE_CHANGE_NONE;
  self->streak += self->streak > 0;
  return set_proposal(self, s, next, SC_RATE_CHANGE_RAISE);
}

/* One bounded step above the limit, watched for probe_time_ms. */
static ScRateChange
act_probe(ScRateControl *self, const ScRateSample *s)
{
  if (!may_step_up(self, s))
    return SC_RATE_CHANGE_NONE;
  guint next = MAX(probe_rate(self), clamp_rate(self, self->proposal + MIN_STEP_KBPS));
  return set_proposal(self, s, next, SC_RATE_CHANGE_PROBE);
}

/* A probe held: the link got better. The memory is forgotten; the climb
 * goes on. */
static ScRateChange
act_held(ScRateControl *self, const ScRateSample *s)
{
  g_debug("a probe at %u kb/s held: the limit of %u kb/s is forgotten", self->proposal,
          self->limit_kbps);
  self->limit_kbps = 0;
  self->failures = 0;
  self->streak = 1;
  return act_raise(self, s);
}

/* A link seen delivering more than a probe would ask, for LEARN_AFTER_US
 * (a queue draining after a short dip), carries at least the least of
 * that: the memory follows it up. */
static void
learn_from_throughput(ScRateControl *self, const ScRateSample *s)
{
  guint tput = video_part(s, s->throughput_kbps);
  if (!self->limit_kbps ||
      tput <= (guint64)self->limit_kbps * (100 + self->p.probe_percent) / 100) {
    self->over_since = 0;
    return;
  }
  if (self->over_since == 0) {
    self->over_since = s->now_us;
    self->over_min = tput;
  }
  self->over_min = MIN(self->over_min, tput);
  if (s->now_us - self->over_since < LEARN_AFTER_US)
    return;
  g_debug("the link delivered %u kb/s of video for %d ms: the limit of %u kb/s follows",
          self->over_min, (int)(LEARN_AFTER_US / 1000), self->limit_kbps);
  self->limit_kbps = self->over_min;
  self->failures = 0;
  self->over_since = 0;
}

static ScRateChange
act(ScRateControl *self, Action action, const ScRateSample *s)
{
  switch (action) {
  case ACT_NONE:
    return SC_RATE_CHANGE_NONE;
  case ACT_RESET: /* a fresh start of the watch: the first step up waits */
    self->changed_at = s->now_us;
    self->above_since = 0;
    return SC_RATE_CHANGE_NONE;
  case ACT_CUT:
    return act_cut(self, s);
  case ACT_UNDO:
    return act_undo(self, s);
  case ACT_RECUT:
    return act_recut(self, s);
  case ACT_RAISE:
    return act_raise(self, s);
  case ACT_PROBE:
    return act_probe(self, s);
  case ACT_HELD:
    return act_held(self, s);
  }
  return SC_RATE_CHANGE_NONE;
}

ScRateChange
sc_rate_control_feed(ScRateControl *self, const ScRateSample *s)
{
  if (!s->live)
    self->live_since = 0;
  else if (self->live_since == 0)
    self->live_since = s->now_us;
  if (s->live && s->readable)
    learn_from_throughput(self, s);
  Event ev = classify(self, s);
  const Transition *t = &table[self->state][ev];
  ScRateChange change = act(self, t->action, s);
  gboolean step = t->action == ACT_RAISE || t->action == ACT_PROBE || t->action == ACT_HELD;
  ScRateState next = step && change == SC_RATE_CHANGE_NONE ? SC_RATE_HOLD : t->next;
  if (next != self->state)
    g_debug("%.3f s: rate %s -> %s at %u kb/s (queue %u ms, limit %u kb/s)", s->now_us / 1e6,
            sc_rate_state_name(self->state), sc_rate_state_name(next), self->proposal, s->queue_ms,
            self->limit_kbps);
  self->state = next;
  return change;
}

guint
sc_rate_control_get_proposal(ScRateControl *self)
{
  return self->proposal;
}

ScRateState
sc_rate_control_get_state(ScRateControl *self)
{
  return self->state;
}

guint
sc_rate_control_get_limit_kbps(ScRateControl *self)
{
  return self->limit_kbps;
}
