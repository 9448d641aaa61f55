/* gpio.h - GPIO lines for the studio's buttons, tally lamps and light relays.
 *
 * One chip, behind a small ops table: the libgpiod backend (the v1 API of
 * Debian 12, on a /dev/gpiochipN) and a simulated one (no hardware; tests
 * and the sim board press its buttons with sc_gpio_sim_set_input). Another
 * backend (libgpiod v2, a USB GPIO) adds an ops table and a constructor.
 *
 * Values are logical: TRUE is "active" (button pressed, lamp lit); a line
 * requested active-low is inverted on the wire by the backend.
 *
 * Input edges arrive on the main context of the thread that opened the chip:
 * the backend's event fds are GSources there (no polling), and each edge
 * carries its CLOCK_MONOTONIC timestamp (the kernel's, with libgpiod), the
 * clock g_get_monotonic_time reads.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

#define SC_GPIO_ERROR (sc_gpio_error_quark())
GQuark sc_gpio_error_quark(void);

typedef enum {
  SC_GPIO_ERROR_OPEN,    /* no such chip, or not allowed */
  SC_GPIO_ERROR_LINE,    /* no such line, or it is already in use */
  SC_GPIO_ERROR_IO,      /* reading or setting a line failed */
  SC_GPIO_ERROR_BACKEND, /* this backend is not available in this build */
} ScGpioError;

typedef struct _ScGpio ScGpio;

/* An input line changed to @active at @at_us (monotonic microseconds). */
typedef void (*ScGpioEdgeFunc)(ScGpio *gpio, guint line, gboolean active, gint64 at_us,
                               gpointer user_data);

/* The chip @name (a /dev path, "gpiochipN", its label or its number) through
 * libgpiod; lines are requested as "shopcast". */
ScGpio *sc_gpio_open(const char *name, ScGpioEdgeFunc func, gpointer user_data,
                     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A simulated chip with @n_lines lines, all inactive. */
ScGpio *sc_gpio_sim_new(guint n_lines, ScGpioEdgeFunc func, gpointer user_data);
void sc_gpio_free(ScGpio *gpio);

/* What the chip is, for the log: "gpiochip0 [pinctrl-bcm2711] (54 lines)". */
const char *sc_gpio_describe(ScGpio *gpio);

/* Requests @line for edge events, both ways, with the pull resistor that
 * holds it inactive (up for active-low) where the chip has one. */
gboolean sc_gpio_request_input(ScGpio *gpio, guint line, gboolean active_low,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Requests @line as an output, driven to @active at once. */
gboolean sc_gpio_request_output(ScGpio *gpio, guint line, gboolean active_low, gboolean active,
                                GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean sc_gpio_set(ScGpio *gpio, guint line, gboolean active,
                     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The logical value of a requested line (an output reads back what was set). */
gboolean sc_gpio_get(ScGpio *gpio, guint line, gboolean *active,
                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Simulated chips only: the outside world drives input @line to @active (a
 * pressed button is active) at @at_us, reported like a real edge through the
 * main context. */
void sc_gpio_sim_set_input(ScGpio *gpio, guint line, gboolean active, gint64 at_us);
/* Simulated chips only: how many times output @line changed (lamps that
 * blink, relays that click). */
guint sc_gpio_sim_output_changes(ScGpio *gpio, guint line);
gboolean sc_gpio_is_simulated(ScGpio *gpio);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScGpio, sc_gpio_free)

G_END_DECLS
