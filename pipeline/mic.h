/* mic.h - the microphone's branch of the program audio, and what happens
 * when the microphone goes away.
 *
 *   [board audio source] ! audioconvert ! audioresample ! F32 at the program's rate
 *       ! volume name=mic-volume ! level name=mic-level   -> a sink pad of program-audio
 *
 * The branch is a bin of its own, added to the running program and linked to
 * a request pad of the mixer; a live silence source in the program keeps the
 * mixer (and so the encoder and the platforms) fed whatever the mic does.
 *
 * The mic is lost when an element of the branch posts an ERROR (a USB mic
 * unplugged: alsasrc fails to read), or when no buffer leaves the branch for
 * SC_MIC_TIMEOUT_MS (a mic that stalls). The branch is then taken out (its
 * pad released, removed from the program, set to NULL on a thread of its
 * own, so a driver that hangs never blocks the main loop) and the program
 * carries on with silence in its place. Opening is retried with a bounded
 * backoff (1 s, then every 2 s); the new branch gets the same gain and mute
 * and is live again as soon as its first buffer passes.
 *
 * The program pipeline must not take its clock from the mic (an ALSA source
 * provides one): the program runs on the system clock, which a lost mic
 * cannot stop (sc_pipeline_new sees to it).
 *
 * Threading: main thread (the thread-default context of sc_mic_new), except
 * the branch's pad probes, which only touch counters under a lock.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SC_MIC_TIMEOUT_MS   500  /* no buffer this long: lost */
#define SC_MIC_RETRY_MS     1000 /* the first retry, doubling to: */
#define SC_MIC_RETRY_MAX_MS 2000

#define SC_MIC_ERROR (sc_mic_error_quark())
GQuark sc_mic_error_quark(void);

typedef enum {
  SC_MIC_ERROR_FRAGMENT, /* the board's audio source does not build */
  SC_MIC_ERROR_DEVICE,   /* the mic cannot be opened now */
} ScMicError;

typedef enum {
  SC_MIC_STATE_STARTING, /* opened, no audio yet */
  SC_MIC_STATE_LIVE,     /* audio flowing into the program */
  SC_MIC_STATE_LOST,     /* failed, unplugged or silent; being reopened */
} ScMicState;

const char *sc_mic_state_name(ScMicState state); /* "starting", "live", "lost" */

/* Rehearsals on any board: OFF makes the source fail as a vanished device
 * does (an ERROR from the source element, the same path as a real one) and
 * keeps it absent; STALL keeps the source running but lets nothing out of
 * it; NONE ends the drill (the mic comes back by itself, at once). */
typedef enum {
  SC_MIC_DRILL_NONE,
  SC_MIC_DRILL_OFF,
  SC_MIC_DRILL_STALL,
} ScMicDrill;

const char *sc_mic_drill_name(ScMicDrill drill); /* NULL, "off", "stall" */

/* The mic's state changed. @state: "opened" (first audio after a start),
 * "lost" (@warning, @detail says why) or "back"; also "drill" (@detail the
 * drill's name, or "ended"). Main thread. */
typedef void (*ScMicEventFunc)(const char *state, const char *detail, gboolean warning,
                               gpointer user_data);

typedef struct _ScMic ScMic;

/* The branch for @source (the board's audio fragment, variables expanded),
 * checked to build; nothing is added to @pipeline before sc_mic_start().
 * @mixer is the program's audiomixer. Both are borrowed. */
ScMic *sc_mic_new(GstElement *pipeline, GstElement *mixer, const char *source, guint rate,
                  guint channels, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_mic_free(ScMic *self);

void sc_mic_set_event_func(ScMic *self, ScMicEventFunc func, gpointer user_data);

/* The branch in gst-launch syntax, ending at the mixer ("... ! program-audio."). */
const char *sc_mic_describe(ScMic *self);

/* Once the program plays: opens the branch (a failure is a loss, retried)
 * and watches it. */
void sc_mic_start(ScMic *self);
/* Stops watching and retrying; with @close, takes the branch out (before
 * the program stops), else leaves it to end with the stream (before EOS). */
void sc_mic_stop(ScMic *self, gboolean close);

/* Takes the program bus's messages that are the mic's: an ERROR from an
 * element of a mic branch (the current one: the mic is lost; an old one:
 * ignored). TRUE when @msg was the mic's. */
gboolean sc_mic_handle_message(ScMic *self, GstMessage *msg);
/* Whether @object is the current branch's level meter. */
gboolean sc_mic_is_meter(ScMic *self, GstObject *object);

/* The gain (linear) and mute, kept for every branch opened later. */
void sc_mic_set_volume(ScMic *self, double linear, gboolean mute);

void sc_mic_drill(ScMic *self, ScMicDrill drill);

typedef struct {
  ScMicState state;
  gint64 since_us;    /* wall clock of the latest change of state */
  const char *reason; /* why it was last lost, or NULL; valid until the next call */
  ScMicDrill drill;
  guint64 losses;
  guint64 attempts; /* opens tried since start */
  guint64 buffers;  /* buffers that reached the mixer since start */
} ScMicInfo;

void sc_mic_get_info(ScMic *self, ScMicInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScMic, sc_mic_free)

G_END_DECLS
