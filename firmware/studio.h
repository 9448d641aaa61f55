/* studio.h - the studio's hardware at work: buttons and keypads in, tally
 * lamps and lights out (the wiring and mapping: studio-config.h).
 *
 * Buttons: every edge (GPIO event fd, evdev fd, both in the main loop) goes
 * through its button's debounce and press logic (drivers/button.h), and the
 * action it maps to is handed to the owner. A button whose only action is
 * `short` acts as soon as the press has settled; one that also has a `long`
 * action acts on release (short) or when the long-press time is reached.
 *
 * Tally: the lamps follow sc_tally_lamps() of the state the owner reports
 * through its state function, evaluated on one timer (which also blinks) and
 * at once on sc_studio_update().
 *
 * Hardware that cannot be opened (a missing chip, an unplugged keypad) is
 * logged and listed in the status; the rest works, and a keypad is reopened
 * when it comes back. Main thread only.
 */
#pragma once
#include "drivers/gpio.h"
#include "firmware/preflight.h"
#include "firmware/studio-config.h"
#include "firmware/tally.h"

G_BEGIN_DECLS

typedef struct _ScStudio ScStudio;

/* Carries out @action, now. For a `held` action @held is TRUE and @on says
 * whether the button went down or was let go; a press has @on TRUE.
 * @source names the button ("2", "pedal:KEY_PAGEDOWN"). */
typedef void (*ScStudioActionFunc)(const ScActionSpec *action, gboolean held, gboolean on,
                                   const char *source, gpointer user_data);
/* Fills in the state the tally shows. */
typedef void (*ScStudioStateFunc)(ScTallyState *state, gpointer user_data);

/* Opens the hardware of @config (borrowed; must outlive the studio) and sets
 * the start scene. */
ScStudio *sc_studio_new(const ScStudioConfig *config, ScStudioActionFunc on_action,
                        ScStudioStateFunc get_state, gpointer user_data);
void sc_studio_free(ScStudio *studio);

/* The state changed: the tally follows now. */
void sc_studio_update(ScStudio *studio);
gboolean sc_studio_set_scene(ScStudio *studio, const char *name,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A show change: calls up the scene that follows it, if any. */
void sc_studio_show_changed(ScStudio *studio, const char *what);

/* Simulated board: presses button @name for @hold_ms, as a finger would
 * (the edges go through the same debounce and mapping). */
gboolean sc_studio_press(ScStudio *studio, const char *name, guint hold_ms,
                         GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* JSON object: tally, lamps, scene, lights, buttons, the latency from a
 * settled press to its action applied (p50/p99/max, microseconds), and the
 * hardware that is missing. */
char *sc_studio_status_json(ScStudio *studio);
/* The pre-flight items of the studio: the GPIO chip, each tally lamp and
 * light (set again to its level and read back), each keypad. */
void sc_studio_preflight(ScStudio *studio, ScPreflight *preflight);
/* The lamps as last driven (blink shows as its current phase). */
ScTallyLamps sc_studio_get_lamps(ScStudio *studio);
ScGpio *sc_studio_get_gpio(ScStudio *studio); /* may be NULL; borrowed */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScStudio, sc_studio_free)

G_END_DECLS
