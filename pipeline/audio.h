/* audio.h - the program's audio: the microphone's gain, mute and level, the
 * music bed mixed under it, and the audio/video sync offset.
 *
 *   audiotestsrc name=program-silence (live silence: the mixer never starves)
 *       ! audiomixer name=program-audio     + the mic's branch (pipeline/mic.h):
 *                                              [audio source fragment] ! audioconvert
 *                                              ! audioresample ! F32 at the program's rate
 *                                              ! volume name=mic-volume   gain and mute
 *                                              ! level name=mic-level     the mic as it goes on air
 *                                           + the music bed, when one is configured
 *       ! level name=program-level          what the encoder receives (mic + bed)
 *       ! audioconvert ! [audio encoder] ...
 *
 * The mic's branch is added once the program plays and taken out when the
 * mic is lost (an error from its source, or no audio for 500 ms); the
 * program's audio runs on, silent where the mic was, and the mic is reopened
 * until it is back (see pipeline/mic.h). A lost mic's meter reads silence.
 *
 * The mic's meter is measured after the gain and before the bed is mixed in:
 * it shows what the host's microphone puts on air (a muted mic reads silence,
 * a gain that drives it past full scale reads clipping). The program meter
 * shows the sum the platforms hear.
 *
 * The music bed is decoded once, at start, into memory (at most
 * SC_AUDIO_BED_MAX_SECONDS) and played in a seamless loop by an appsrc into
 * the mixer, where it stays linked for the whole show at volume 0 and fades
 * in and out (SC_AUDIO_FADE_MS) when it is switched. A file that does not
 * decode is logged and the show goes on without a bed.
 *
 * Threading: ScAudio belongs to its ScPipeline and is used on the main
 * thread (the thread-default context of sc_pipeline_new()). The level
 * meters reach it as bus messages on that context; streaming threads only
 * feed the bed.
 */
#pragma once

#include "pipeline/mic.h"

#include <gst/gst.h>

G_BEGIN_DECLS

#define SC_AUDIO_GAIN_MIN_DB    -60.0
#define SC_AUDIO_GAIN_MAX_DB    20.0 /* the volume element's limit (x10) */
#define SC_AUDIO_SYNC_MAX_MS    500
#define SC_AUDIO_BED_MAX_S      180
#define SC_AUDIO_FADE_MS        300
#define SC_AUDIO_CLIP_DB        -0.1 /* a peak at or above this is clipping */
#define SC_AUDIO_METER_FLOOR    -120.0
#define SC_AUDIO_MAX_CHANNELS   8
#define SC_AUDIO_BED_DEFAULT_DB -18.0

#define SC_AUDIO_ERROR (sc_audio_error_quark())
GQuark sc_audio_error_quark(void);

typedef enum {
  SC_AUDIO_ERROR_RANGE,    /* a value out of range */
  SC_AUDIO_ERROR_PIPELINE, /* the pipeline lacks an element the audio needs */
  SC_AUDIO_ERROR_BED,      /* the music bed cannot be used */
} ScAudioError;

/* The audio settings ([audio] in the config). */
typedef struct {
  double gain_db; /* SC_AUDIO_GAIN_MIN_DB..SC_AUDIO_GAIN_MAX_DB */
  gboolean mute;
  int sync_offset_ms;       /* > 0: audio later than video; -500..500 */
  const char *music_bed;    /* an audio file, or NULL */
  double music_bed_gain_db; /* the bed's level under the mic */
} ScAudioSettings;

typedef struct {
  guint channels; /* 0 until the first measurement */
  double peak_db[SC_AUDIO_MAX_CHANNELS], rms_db[SC_AUDIO_MAX_CHANNELS]; /* floor: -120 */
  gboolean clipping;         /* the latest interval clipped */
  guint64 clipped_intervals; /* since start */
  guint64 intervals;         /* measurements since start (100 ms each) */
} ScAudioMeter;

typedef enum {
  SC_AUDIO_BED_NONE,   /* none configured */
  SC_AUDIO_BED_FAILED, /* configured, but it does not decode */
  SC_AUDIO_BED_OFF,    /* ready, silent */
  SC_AUDIO_BED_ON,     /* playing under the mic */
} ScAudioBedState;

typedef struct {
  double gain_db;
  gboolean mute;
  int sync_offset_ms;
  ScAudioBedState bed;
  ScAudioMeter mic, program;
  ScMicInfo mic_state; /* live or lost, since when, why */
} ScAudioStatus;

typedef struct _ScAudio ScAudio;

/* The pipeline text from the silence source to the audio encoder (the mic's
 * branch is not in it: sc_audio_describe_mic()). */
char *sc_audio_chain_description(guint rate, guint channels) G_GNUC_WARN_UNUSED_RESULT;

/* Binds to the elements of @pipeline (built with sc_audio_chain_description),
 * prepares the mic's branch from @mic_source (the board's audio fragment,
 * expanded; it must build), applies @settings (NULL: 0 dB, unmuted, no
 * offset, no bed) and, when a bed is configured, decodes it (a failure is
 * logged; the show goes on). */
ScAudio *sc_audio_new(GstElement *pipeline, const char *mic_source, const ScAudioSettings *settings,
                      guint rate, guint channels, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_audio_free(ScAudio *self);

/* Takes the pipeline's bus messages it understands (the level meters):
 * TRUE when @msg was the audio's. Main thread. */
gboolean sc_audio_handle_message(ScAudio *self, GstMessage *msg);

gboolean sc_audio_set_gain_db(ScAudio *self, double gain_db,
                              GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_audio_set_mute(ScAudio *self, gboolean mute);
/* Shifts audio against video in the encoded program. Best set before the
 * stream starts: a change on air makes one short jump (a gap, or a few tags
 * sharing a timestamp). */
gboolean sc_audio_set_sync_offset_ms(ScAudio *self, int offset_ms,
                                     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Fades the music bed in (from its start) or out. FALSE and @error when
 * there is no usable bed. */
gboolean sc_audio_set_music_bed(ScAudio *self, gboolean on,
                                GError **error) G_GNUC_WARN_UNUSED_RESULT;

void sc_audio_get_status(ScAudio *self, ScAudioStatus *status);

/* The mic opened, lost, back, or drilled (see ScMicEventFunc). */
void sc_audio_set_mic_event_func(ScAudio *self, ScMicEventFunc func, gpointer user_data);
/* Once the program plays: the mic joins it and is watched. */
void sc_audio_start(ScAudio *self);
/* Before the program stops (@close_mic: the branch is taken out) or before
 * it ends its stream (the mic ends with it): no more watching or retries. */
void sc_audio_stop(ScAudio *self, gboolean close_mic);
/* Rehearses a lost mic (pipeline/mic.h): off, stall, or none to end it. */
void sc_audio_drill_mic(ScAudio *self, ScMicDrill drill);
/* The mic's branch in gst-launch syntax, joining "program-audio.". */
const char *sc_audio_describe_mic(ScAudio *self);
const char *sc_audio_bed_state_name(ScAudioBedState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAudio, sc_audio_free)

G_END_DECLS
