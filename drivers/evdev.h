/* evdev.h - USB keypads, foot pedals and presenter remotes as buttons.
 *
 * A Linux input device (/dev/input/eventN, best named by its stable
 * /dev/input/by-id/...-event-kbd path) read in the main loop: its fd is a
 * GSource of the thread-default main context, and each key going down or up
 * is reported with its timestamp on the monotonic clock (the device is
 * switched to CLOCK_MONOTONIC). Auto-repeat is ignored: a held key is one
 * press. The device is grabbed, so the pedal's keystrokes do not also reach
 * a console.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

#define SC_EVDEV_ERROR (sc_evdev_error_quark())
GQuark sc_evdev_error_quark(void);

typedef enum {
  SC_EVDEV_ERROR_OPEN, /* no such device, not allowed, or not an input device */
  SC_EVDEV_ERROR_KEY,  /* a key name that is not known */
} ScEvdevError;

typedef struct _ScEvdev ScEvdev;

/* Key @code went down (@down) or up at @at_us (monotonic microseconds).
 * After a read error (the device was unplugged), @code is -1: the device is
 * closed and reports nothing more. */
typedef void (*ScEvdevFunc)(ScEvdev *dev, int code, gboolean down, gint64 at_us,
                            gpointer user_data);

ScEvdev *sc_evdev_open(const char *path, ScEvdevFunc func, gpointer user_data,
                       GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_evdev_free(ScEvdev *dev);
/* "Foot Switch (/dev/input/by-id/...)" */
const char *sc_evdev_describe(ScEvdev *dev);

/* The code of a key by its Linux name ("KEY_PAGEDOWN", "BTN_0") or its
 * number ("109"); -1 with an error naming what is accepted. */
int sc_evdev_key_code(const char *name, GError **error);
/* The name of @code, or NULL. */
const char *sc_evdev_key_name(int code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScEvdev, sc_evdev_free)

G_END_DECLS
