/* audio-control.h - the program's audio under the daemon's control: the
 * `audio ...` commands of the control socket (`shopcastctl audio gain -6`),
 * its status for the panel, and the music bed following the show's flash
 * sale (in while a flash sale runs, out when it stops or reaches its end).
 *
 * Main thread only.
 */
#pragma once

#include "overlays/show.h"
#include "pipeline/audio.h"

G_BEGIN_DECLS

typedef struct _ScAudioControl ScAudioControl;

/* Controls @audio (borrowed; it must outlive the control). */
ScAudioControl *sc_audio_control_new(ScAudio *audio);
void sc_audio_control_free(ScAudioControl *self);

/* The show changed (from its ScShowChangeFunc): the music bed plays while a
 * flash sale is on air and before its end. @show is borrowed until the next
 * call or the control's end. */
void sc_audio_control_show_changed(ScAudioControl *self, ScShow *show);

/* The usage line of the audio commands. */
extern const char *const sc_audio_command_usage;

/* Runs `audio WORDS...` (@argv without the leading "audio"): status (or no
 * word), gain DB, mute on|off, sync MS, drill off|stall|on (a lost mic
 * rehearsed: unplugged, silent, back). Returns what to print, or NULL with
 * @error saying what to fix. */
char *sc_audio_control_command(ScAudioControl *self, const char *const *argv, GError **error);

/* Gain, mute, sync, the bed's state, the mic's state and both meters as one
 * JSON object on a line: {"gain_db":-6.0,"mute":false,"sync_offset_ms":0,
 * "music_bed":"off","mic_state":"live","mic_since_ms":1764...,
 * "mic_lost_because":null,"mic_drill":null,"mic_losses":0,"mic":{"peak_db":[-20.1,-20.3],"rms_db":[...],"clipping":false,
 * "clipped_intervals":0},"program":{...}} */
char *sc_audio_control_status_json(ScAudioControl *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAudioControl, sc_audio_control_free)

G_END_DECLS
