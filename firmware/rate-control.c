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
/* Steps stop this far under the throughput the link delivered when it
 * congested; only a probe goes above. */
#define BELOW_LIMIT_PERCENT 95
/* A probe goes this far above the limit. */
#define PROBE_PERCENT 110
/* A probe above the limit that holds this long means the link got better:
 * a step of 10 % too far shows in the queue well within it, once the
 * encoder has followed. */
#define PROBATION_US (3 * G_USEC_PER_SEC)
/* A cut also drains what is queued within this time. */
#define DRAIN_US (4 * G_USEC_PER_SEC)
/* A throughput this far below the last good rate is a link that lost
 * capacity, not a step that went too far: cut. */
#define COLLAPSE_PERCENT 80

typedef enum {
  EV_STOPPED,
  EV_BLIND,
  EV_CONGESTED,
  EV_QUEUED,
  EV_CLEAR,
  EV_CLEAR_LONG,
  N_EVENTS,
} Event;

typedef enum {
  ACT_NONE,
  ACT_CUT,
  ACT_UNDO,
  ACT_RECUT,
  ACT_RAISE,
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
                      {SC_RATE_HOLD, ACT_RESET}},
    [SC_RATE_HOLD] = {{SC_RATE_IDLE, ACT_NONE},
                      {SC_RATE_ERROR, ACT_NONE},
                      {SC_RATE_DRAIN, ACT_CUT},
                      {SC_RATE_HOLD, ACT_NONE},
                      {SC_RATE_HOLD, ACT_NONE},
                      {SC_RATE_RAISED, ACT_RAISE}},
    [SC_RATE_RAISED] = {{SC_RATE_IDLE, ACT_NONE},
                        {SC_RATE_ERROR, ACT_NONE},
                        {SC_RATE_DRAIN, ACT_UNDO},
                        {SC_RATE_RAISED, ACT_NONE},
                        {SC_RATE_RAISED, ACT_NONE},
                        {SC_RATE_RAISED, ACT_RAISE}},
    [SC_RATE_DRAIN] = {{SC_RATE_IDLE, ACT_NONE},
                       {SC_RATE_ERROR, ACT_NONE},
                       {SC_RATE_DRAIN, ACT_RECUT},
                       {SC_RATE_DRAIN, ACT_NONE},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET}},
    [SC_RATE_ERROR] = {{SC_RATE_IDLE, ACT_NONE},
                       {SC_RATE_ERROR, ACT_NONE},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET},
                       {SC_RATE_HOLD, ACT_RESET}},
};

struct _ScRateControl {
  ScRateParams p;
  ScRateState state;
  guint proposal;
  guint good_kbps;    /* the last rate held with the queue empty */
  guint limit_kbps;   /* the video throughput the link delivered when it last congested; 0: none */
  guint failures;     /* steps above the limit that failed since it was set by a cut */
  gint64 above_since; /* the queue above the cut threshold since; 0: it is not */
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
      .probe_wait_max_ms = 60000,
  };
}

const char *
sc_rate_state_name(ScRateState state)
{
  static const char *const names[] = {"idle", "hold", "raised", "drain", "error"};
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

const char *
sc_rate_change_name(ScRateChange change)
{
  static const char *const names[] = {"none", "cut", "undo", "raise"};
  return change < G_N_ELEMENTS(names) ? names[change] : "unknown";
}

static guint
clamp_rate(ScRateControl *self, guint64 kbps)
{
  return (guint)CLAMP(kbps, self->p.min_kbps, self->p.max_kbps);
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
  self->proposal = clamp_rate(self, kbps);
  self->good_kbps = self->proposal;
  self->limit_kbps = 0;
  self->failures = 0;
  self->above_since = 0;
  self->clear_since = 0;
  self->state = SC_RATE_IDLE;
}

/* The next step up from the proposal. */
static guint
step_up(ScRateControl *self)
{
  guint64 p = self->proposal;
  return clamp_rate(self, MAX(p * (100 + self->p.raise_percent) / 100, p + MIN_STEP_KBPS));
}

/* Just under what the link delivered when it last congested. */
static guint
below_limit(ScRateControl *self)
{
  return (guint)((guint64)self->limit_kbps * BELOW_LIMIT_PERCENT / 100);
}

/* Whether the proposal is already as close to the limit as a plain step
 * goes: the next step up probes above it. */
static gboolean
at_limit(ScRateControl *self)
{
  return self->limit_kbps && self->proposal + MIN_STEP_KBPS / 2 >= below_limit(self);
}

/* How long the queue must stay empty before the next step up. A step that
 * probes above the limit waits twice as long after each one that failed (a
 * steady link sees ever fewer changes); once taken, it must hold for
 * PROBATION_US before the climb goes on. */
static gint64
raise_wait_us(ScRateControl *self)
{
  if (self->state == SC_RATE_RAISED && at_limit(self))
    return PROBATION_US;
  guint64 wait_ms = self->p.raise_wait_ms;
  if (at_limit(self))
    wait_ms = MIN(wait_ms << MIN(self->failures, 16u), self->p.probe_wait_max_ms);
  return (gint64)wait_ms * 1000;
}

static Event
classify(ScRateControl *self, const ScRateSample *s)
{
  if (!s->live)
    return EV_STOPPED;
  if (!s->readable)
    return EV_BLIND;
  if (s->queue_ms < self->p.cut_queue_ms)
    self->above_since = 0;
  else if (self->above_since == 0)
    self->above_since = s->now_us;
  /* a keyframe's burst passes, and drains faster than media comes */
  guint sending = s->sending_kbps ? s->sending_kbps : s->encode_kbps + s->audio_kbps;
  gboolean starting = s->now_us - self->live_since < START_GRACE_US;
  if (!starting && self->above_since &&
      s->now_us - self->above_since >= (gint64)self->p.cut_after_ms * 1000 &&
      (guint64)s->throughput_kbps * 100 < (guint64)sending * FALLING_BEHIND_PERCENT)
    return EV_CONGESTED;
  if (s->queue_ms > self->p.clear_queue_ms) {
    self->clear_since = 0;
    return EV_QUEUED;
  }
  if (self->clear_since == 0)
    self->clear_since = s->now_us;
  gint64 since = MAX(self->clear_since, self->changed_at);
  return s->now_us - since >= raise_wait_us(self) ? EV_CLEAR_LONG : EV_CLEAR;
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

/* What waits now, in kbit. */
static guint64
queued_kbit(const ScRateSample *s)
{
  return (guint64)s->queue_ms * (s->encode_kbps + s->audio_kbps) / 1000;
}

/* The rate that drains the queue waiting now within DRAIN_US. */
static guint64
drain_kbps(const ScRateSample *s)
{
  return queued_kbit(s) * G_USEC_PER_SEC / DRAIN_US;
}

static ScRateChange
set_proposal(ScRateControl *self, const ScRateSample *s, guint kbps, ScRateChange why)
{
  if (kbps == self->proposal)
    return SC_RATE_CHANGE_NONE;
  self->proposal = kbps;
  self->changed_at = s->now_us;
  self->clear_since = 0;
  return why;
}

/* The link delivers less than was sent: below what it delivered, less what
 * drains the queue, so one cut lands under the capacity. */
static ScRateChange
act_cut(ScRateControl *self, const ScRateSample *s)
{
  self->cut_at = s->now_us;
  guint64 base = MIN(self->proposal, s->encode_kbps);
  if (s->throughput_kbps) {
    self->limit_kbps = video_throughput(s);
    base = MIN(base, self->limit_kbps);
  }
  guint64 target = base * self->p.cut_percent / 100;
  guint64 drain = drain_kbps(s);
  target = target > drain ? target - drain : 0;
  return set_proposal(self, s, MIN(clamp_rate(self, target), self->proposal), SC_RATE_CHANGE_CUT);
}

/* Congestion at a rate that had held: when the link lost much of its
 * capacity, probing above the new limit starts afresh; when it congests
 * about where it did before, the probes keep backing off. */
static ScRateChange
act_cut_from_hold(ScRateControl *self, const ScRateSample *s)
{
  guint before = self->limit_kbps;
  ScRateChange change = act_cut(self, s);
  if (!before || self->limit_kbps < (guint64)before * COLLAPSE_PERCENT / 100)
    self->failures = 0;
  return change;
}

/* A step up brought the queue back: back under what the link delivered,
 * and the next step above that waits twice as long. */
static ScRateChange
act_undo(ScRateControl *self, const ScRateSample *s)
{
  guint tput = video_throughput(s);
  if (s->throughput_kbps && tput < (guint64)self->good_kbps * COLLAPSE_PERCENT / 100)
    return act_cut(self, s);
  self->failures++;
  self->cut_at = s->now_us;
  self->limit_kbps = s->throughput_kbps ? tput : self->proposal;
  guint target = MIN(self->good_kbps, below_limit(self));
  return set_proposal(self, s, MIN(clamp_rate(self, target), self->proposal), SC_RATE_CHANGE_UNDO);
}

static ScRateChange
act_recut(ScRateControl *self, const ScRateSample *s)
{
  if (s->now_us - self->cut_at < RECUT_AFTER_US || !s->throughput_peak_kbps ||
      video_part(s, s->throughput_peak_kbps) >= self->proposal)
    return SC_RATE_CHANGE_NONE;
  return act_cut(self, s);
}

/* Up to just under the limit (half the way at a time), then a step above it once the
 * wait allows; a step above the limit that held means the link got better.
 * Only the destination that binds the shared encode steps it up. */
static ScRateChange
act_raise(ScRateControl *self, const ScRateSample *s)
{
  if (self->state == SC_RATE_RAISED && self->limit_kbps && self->proposal > below_limit(self)) {
    self->limit_kbps = 0;
    self->failures = 0;
  }
  self->good_kbps = self->proposal;
  if (self->proposal > s->encode_kbps || self->proposal >= self->p.max_kbps)
    return SC_RATE_CHANGE_NONE;
  guint next = step_up(self);
  if (self->limit_kbps && !at_limit(self)) /* toward a rate the link carried: half the way */
    next = MIN(MAX(next, self->proposal + (below_limit(self) - self->proposal) / 2),
               MAX(below_limit(self), self->proposal + 1));
  else if (self->limit_kbps) /* a probe: far enough above to show within its probation */
    next = clamp_rate(self, MAX(next, (guint64)self->limit_kbps * PROBE_PERCENT / 100));
  return set_proposal(self, s, clamp_rate(self, next), SC_RATE_CHANGE_RAISE);
}

ScRateChange
sc_rate_control_feed(ScRateControl *self, const ScRateSample *s)
{
  if (!s->live)
    self->live_since = 0;
  else if (self->live_since == 0)
    self->live_since = s->now_us;
  Event ev = classify(self, s);
  const Transition *t = &table[self->state][ev];
  ScRateChange change = SC_RATE_CHANGE_NONE;
  switch (t->action) {
  case ACT_NONE:
    break;
  case ACT_RESET: /* a fresh start of the watch: the first step up waits */
    self->changed_at = s->now_us;
    self->above_since = 0;
    break;
  case ACT_CUT:
    change = act_cut_from_hold(self, s);
    break;
  case ACT_UNDO:
    change = act_undo(self, s);
    break;
  case ACT_RECUT:
    change = act_recut(self, s);
    break;
  case ACT_RAISE:
    change = act_raise(self, s);
    break;
  }
  ScRateState next =
      t->action == ACT_RAISE && change == SC_RATE_CHANGE_NONE ? SC_RATE_HOLD : t->next;
  if (next != self->state)
    g_debug("rate %s -> %s at %u kb/s (queue %u ms)", sc_rate_state_name(self->state),
            sc_rate_state_name(next), self->proposal, s->queue_ms);
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
