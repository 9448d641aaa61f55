/* pwm.h - a PWM channel through sysfs, for dimming studio lights.
 *
 * /sys/class/pwm/pwmchipN/pwmM: the channel is exported if it is not yet,
 * given its period, and enabled at 0 %; the brightness is the duty cycle.
 * The sysfs root is a parameter so the backend runs against a directory
 * laid out like sysfs where the board has no PWM.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

#define SC_PWM_ERROR (sc_pwm_error_quark())
GQuark sc_pwm_error_quark(void);

typedef enum {
  SC_PWM_ERROR_OPEN, /* no such chip or channel, or it could not be exported */
  SC_PWM_ERROR_IO,   /* writing a setting failed */
} ScPwmError;

#define SC_PWM_SYSFS_ROOT "/sys/class/pwm"

typedef struct _ScPwm ScPwm;

/* Channel @channel of @chip ("pwmchip0") under @root (NULL: the real sysfs),
 * at @period_ns, enabled and dark. */
ScPwm *sc_pwm_open(const char *root, const char *chip, guint channel, guint period_ns,
                   GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Darkens and disables the channel. */
void sc_pwm_free(ScPwm *pwm);
/* Brightness 0..100 %. */
gboolean sc_pwm_set_percent(ScPwm *pwm, guint percent, GError **error) G_GNUC_WARN_UNUSED_RESULT;
guint sc_pwm_get_percent(ScPwm *pwm);
const char *sc_pwm_describe(ScPwm *pwm);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScPwm, sc_pwm_free)

G_END_DECLS
