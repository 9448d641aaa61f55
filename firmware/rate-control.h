/* rate-control.h - one destination's bitrate controller: the rate its uplink
 * can carry, decided from how much media waits to be sent.
 *
 * Fed a sample every few tens of milliseconds (the media waiting before and
 * in the socket, as time, and the throughput the ingest acknowledges), it
 * proposes a video bitrate. It cuts quickly when the queue grows: below what
 * the link delivered meanwhile (cut_percent of it), less what drains the
 * queue in 4 s, so one cut lands under the link's capacity.
 *
 * The path's memory: a cut remembers the video rate at which congestion
 * appeared (the limit: what the link delivered then). The rate then climbs
 * back while the queue stays empty, half the way (at least raise_percent)
 * at a time, but never above hold_percent of the limit: a steady link sees
 * no change once there.
 * Only a probe goes above the limit: one bounded step (probe_percent above
 * it), probe_wait_ms after the congestion, then four times later after
 * each probe that failed, up to probe_wait_max_ms. A probe is watched more
 * closely than a plain rate (the queue above clear_queue_ms, not
 * cut_queue_ms, while the link falls behind, is its failure): one that
 * fails is undone to just under the limit, one that holds for probe_time_ms
 * means the link got better: the memory is forgotten and the climb goes on
 * to the ceiling, each step one raise_percent larger than the last (at most
 * 50 %). A link seen delivering more than a probe would ask for 0.5 s (the
 * queue after a short dip draining fast) raises the memory to the least it
 * delivered then. The memory is forgotten when the path changes
 * (sc_rate_control_restart).
 *
 * Proposals are whole multiples of 25 kb/s (the floor and the ceiling
 * excepted): an adjustment that rounds to the same rate is no change.
 *
 * One state machine (enum, one transition function, a table):
 *
 *          STOPPED BLIND  CONGESTED   QUEUED CLEAR   CLEAR_LONG    PROBE_DUE
 *   IDLE   IDLE    ERROR  HOLD        HOLD   HOLD    HOLD          HOLD
 *   HOLD   IDLE    ERROR  DRAIN/cut   HOLD   HOLD    RAISED/raise  PROBE/probe
 *   RAISED IDLE    ERROR  DRAIN/cut   RAISED RAISED  RAISED/raise  PROBE/probe
 *   PROBE  IDLE    ERROR  DRAIN/undo  PROBE  PROBE   RAISED/held   PROBE
 *   DRAIN  IDLE    ERROR  DRAIN/recut DRAIN  HOLD    HOLD          HOLD
 *   ERROR  IDLE    ERROR  HOLD        HOLD   HOLD    HOLD          HOLD
 *
 * (a raise, probe or held that changes nothing leads to HOLD.)
 * STOPPED: not publishing; BLIND: the socket cannot be read; CONGESTED: the
 * queue above cut_queue_ms (in PROBE: clear_queue_ms) for cut_after_ms while
 * the link delivers less than is sent (a keyframe's burst on a link with
 * room to spare also fills the queue for a moment, but the link then
 * delivers more), and never in a connection's first 2 s (its start is a
 * burst); QUEUED: above clear_queue_ms; CLEAR: below it; CLEAR_LONG: below
 * it for raise_wait_ms since the last change (in PROBE: probe_time_ms);
 * PROBE_DUE: CLEAR_LONG at the hold rate with the probe wait over. A raise
 * or probe happens only while this destination's proposal is what the
 * shared encoder runs at (it is the one that binds) and below the ceiling;
 * a recut only when the link still delivers less than the rate a second
 * after a cut (at its peak over that second: a retransmission's stall is no
 * reason).
 *
 * Plain logic with the sample's own timestamps (no clock, no GLib main
 * loop); one thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint min_kbps;          /* the floor */
  guint max_kbps;          /* the ceiling */
  guint cut_queue_ms;      /* the queue that means congestion ... */
  guint cut_after_ms;      /* ... when it stays above it this long */
  guint clear_queue_ms;    /* below it the queue counts as empty */
  guint cut_percent;       /* after a cut: this share of the measured throughput */
  guint raise_percent;     /* each step up */
  guint raise_wait_ms;     /* an empty queue this long before each step up */
  guint hold_percent;      /* steps stop at this share of the limit */
  guint probe_percent;     /* a probe goes this far above the limit */
  guint probe_wait_ms;     /* the first probe, this long after the congestion */
  guint probe_time_ms;     /* a probe that holds this long: the link got better */
  guint probe_wait_max_ms; /* the longest wait between probes (each failed one: 4 times longer) */
} ScRateParams;

/* The defaults: 500..ceiling kb/s, cut after 300 ms above 250 ms to 85 %, clear below
 * 100 ms, steps of 10 % after 1 s up to 90 % of the limit, probes 15 % above it
 * 20 s after the congestion (then 80 s, then every 300 s) that must hold 3 s. */
void sc_rate_params_init(ScRateParams *params, guint max_kbps);

typedef enum {
  SC_RATE_IDLE,   /* not publishing */
  SC_RATE_HOLD,   /* steady: the rate holds */
  SC_RATE_RAISED, /* stepped up, watching the queue */
  SC_RATE_DRAIN,  /* cut, waiting for the queue to empty */
  SC_RATE_PROBE,  /* one step above the limit, on probation */
  SC_RATE_ERROR,  /* the socket's figures cannot be read: the rate holds */
} ScRateState;

const char *sc_rate_state_name(ScRateState state);

typedef struct {
  gint64 now_us;         /* monotonic time of the sample */
  gboolean live;         /* publishing */
  gboolean readable;     /* the socket's figures were read */
  guint queue_ms;        /* media waiting to be sent (before and in the socket, beyond one RTT) */
  guint throughput_kbps; /* what the ingest acknowledged lately, all media; 0: not known yet */
  guint throughput_peak_kbps; /* the highest of those over the last second or so */
  guint audio_kbps;           /* the part of it that is audio, which no cut reduces */
  guint encode_kbps;          /* the video bitrate the shared encoder runs at */
  guint sending_kbps;         /* the media's rate as it reaches the output, all media; 0: unknown */
} ScRateSample;

typedef enum {
  SC_RATE_CHANGE_NONE,
  SC_RATE_CHANGE_CUT,   /* the queue grew */
  SC_RATE_CHANGE_UNDO,  /* a probe brought the queue back */
  SC_RATE_CHANGE_RAISE, /* the queue stayed empty */
  SC_RATE_CHANGE_PROBE, /* a step above the limit, the probe wait over */
} ScRateChange;

const char *sc_rate_change_name(ScRateChange change);

typedef struct _ScRateControl ScRateControl;

ScRateControl *sc_rate_control_new(const ScRateParams *params, guint start_kbps);
void sc_rate_control_free(ScRateControl *self);

/* Takes one sample; returns what changed the proposal (NONE: it holds). */
ScRateChange sc_rate_control_feed(ScRateControl *self, const ScRateSample *sample);

/* Starts over at @kbps (a new uplink): the path's memory is forgotten. */
void sc_rate_control_restart(ScRateControl *self, guint kbps);

guint sc_rate_control_get_proposal(ScRateControl *self); /* kb/s of video */
ScRateState sc_rate_control_get_state(ScRateControl *self);
/* The path's memory: the video throughput the link delivered when it last
 * congested; steps up stop under it until a probe above it holds (0: none). */
guint sc_rate_control_get_limit_kbps(ScRateControl *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRateControl, sc_rate_control_free)

G_END_DECLS
