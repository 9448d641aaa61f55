/* button.h - one push button: debounce, short press, long press, held.
 *
 * Pure logic, no I/O and no clock of its own: the owner feeds raw edges with
 * their timestamps (sc_button_edge) and calls sc_button_tick when the time
 * sc_button_deadline gave has come. Times are microseconds on one monotonic
 * clock (the GPIO and evdev event timestamps, g_get_monotonic_time), so tests
 * drive a button with made-up times.
 *
 * A level counts once it has been stable for the debounce time: contact
 * bounce, and a glitch shorter than that, produce nothing. Then:
 *
 *   PRESS    the button went down (debounced)
 *   LONG     it has been down for the long-press time (reported while held,
 *            so the streamer feels the action happen without letting go)
 *   SHORT    it came up before the long-press time
 *   RELEASE  it came up (after SHORT, or after LONG)
 *
 * Each report carries the instant it became true: for PRESS and RELEASE the
 * edge plus the debounce time, for LONG the press plus the long-press time.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SC_BUTTON_PRESS,
  SC_BUTTON_SHORT,
  SC_BUTTON_LONG,
  SC_BUTTON_RELEASE,
} ScButtonEvent;

typedef struct {
  guint debounce_ms;   /* 0: every edge counts at once (keyboards debounce themselves) */
  guint long_press_ms; /* > 0 */
} ScButtonTiming;

typedef struct _ScButton ScButton;

/* Receives each event; @at_us is when it became true. */
typedef void (*ScButtonFunc)(ScButton *button, ScButtonEvent event, gint64 at_us,
                             gpointer user_data);

/* A button that is up. */
ScButton *sc_button_new(const ScButtonTiming *timing, ScButtonFunc func, gpointer user_data);
void sc_button_free(ScButton *button);

/* A raw level change (@down: the button is pressed) at @at_us. Repeated
 * levels are ignored. Reports what it settles (at once when debounce is 0). */
void sc_button_edge(ScButton *button, gboolean down, gint64 at_us);
/* Reports what has become true by @now_us. */
void sc_button_tick(ScButton *button, gint64 now_us);
/* When sc_button_tick next has something to do, or -1 for never. */
gint64 sc_button_deadline(ScButton *button);
gboolean sc_button_is_down(ScButton *button);

const char *sc_button_event_name(ScButtonEvent event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScButton, sc_button_free)

G_END_DECLS
