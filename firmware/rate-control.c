#define G_LOG_DOMAIN "shopcast-rate"

#include "firmware/rate-control.h"

/* A queue above the cut threshold for this many samples in a row is
 * congestion; one sample may be a keyframe's burst. */
#define CONGESTED_SAMPLES 2
/* After a cut, a queue still growing this long later calls for another. */
#define RECUT_AFTER_US (1 * G_USEC_PER_SEC)
/* The smallest step up, kb/s. */
#define MIN_STEP_KBPS 50
/* Undoing a step lands this far under the measured throughput. */
#define UNDO_PERCENT 95
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
  guint good_kbps;   /* the last rate held with the queue empty */
  guint failed_kbps; /* the last step up that brought the queue back; 0: none */
  guint failures;    /* failed steps since one succeeded at that rate */
  guint congested;   /* samples in a row above the cut threshold */
  gint64 clear_since;
  gint64 changed_at;
  gint64 cut_at;
  guint queue_at_cut;
};

void
sc_rate_params_init(ScRateParams *p, guint max_kbps)
{
  *p = (ScRateParams){
      .min_kbps = MIN(500, max_kbps),
      .max_kbps = max_kbps,
      .cut_queue_ms = 300,
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
  self->failed_kbps = 0;
  self->failures = 0;
  self->congested = 0;
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

/* How long the queue must stay empty before the next step up: longer, each
 * time a step to about that rate failed. */
static gint64
raise_wait_us(ScRateControl *self)
{
  guint64 wait_ms = self->p.raise_wait_ms;
  gboolean near_failed = self->failed_kbps && step_up(self) >= self->failed_kbps * 95 / 100;
  if (self->state == SC_RATE_HOLD && near_failed)
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
  self->congested = s->queue_ms >= self->p.cut_queue_ms ? self->congested + 1 : 0;
  if (self->congested >= CONGESTED_SAMPLES)
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
video_throughput(const ScRateSample *s)
{
  return s->throughput_kbps > s->audio_kbps ? s->throughput_kbps - s->audio_kbps : 0;
}

/* Below what the link delivered, and below what was sent. */
static guint
cut_target(ScRateControl *self, const ScRateSample *s)
{
  guint64 base = MIN(self->proposal, s->encode_kbps);
  if (s->throughput_kbps)
    base = MIN(base, video_throughput(s));
  return clamp_rate(self, base * self->p.cut_percent / 100);
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

static ScRateChange
act_cut(ScRateControl *self, const ScRateSample *s)
{
  self->cut_at = s->now_us;
  self->queue_at_cut = s->queue_ms;
  return set_proposal(self, s, MIN(cut_target(self, s), self->proposal), SC_RATE_CHANGE_CUT);
}

/* A step up brought the queue back: back under what the link delivered,
 * and that rate waits longer before it is tried again. */
static ScRateChange
act_undo(ScRateControl *self, const ScRateSample *s)
{
  guint tput = video_throughput(s);
  if (s->throughput_kbps && tput < (guint64)self->good_kbps * COLLAPSE_PERCENT / 100)
    return act_cut(self, s);
  self->failed_kbps = self->proposal;
  self->failures++;
  self->cut_at = s->now_us;
  self->queue_at_cut = s->queue_ms;
  guint64 target = self->good_kbps;
  if (s->throughput_kbps)
    target = MIN(target, (guint64)tput * UNDO_PERCENT / 100);
  return set_proposal(self, s, MIN(clamp_rate(self, target), self->proposal), SC_RATE_CHANGE_UNDO);
}

static ScRateChange
act_recut(ScRateControl *self, const ScRateSample *s)
{
  if (s->now_us - self->cut_at < RECUT_AFTER_US || s->queue_ms < self->queue_at_cut)
    return SC_RATE_CHANGE_NONE;
  return act_cut(self, s);
}

/* Only the destination that binds the shared encode steps it up. */
static ScRateChange
act_raise(ScRateControl *self, const ScRateSample *s)
{
  self->good_kbps = self->proposal;
  if (self->failed_kbps && self->proposal >= self->failed_kbps) {
    self->failed_kbps = 0;
    self->failures = 0;
  }
  if (self->proposal > s->encode_kbps || self->proposal >= self->p.max_kbps)
    return SC_RATE_CHANGE_NONE;
  return set_proposal(self, s, step_up(self), SC_RATE_CHANGE_RAISE);
}

ScRateChange
sc_rate_control_feed(ScRateControl *self, const ScRateSample *s)
{
  Event ev = classify(self, s);
  const Transition *t = &table[self->state][ev];
  ScRateChange change = SC_RATE_CHANGE_NONE;
  switch (t->action) {
  case ACT_NONE:
    break;
  case ACT_RESET: /* a fresh start of the watch: the first step up waits */
    self->changed_at = s->now_us;
    self->congested = 0;
    break;
  case ACT_CUT:
    change = act_cut(self, s);
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
sc_rate_control_get_failed_kbps(ScRateControl *self)
{
  return self->failed_kbps;
}
