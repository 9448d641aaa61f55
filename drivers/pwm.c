#define G_LOG_DOMAIN "shopcast-pwm"

#include "drivers/pwm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(sc - pwm - error - quark, sc_pwm_error)

/* After an export, udev may take a moment to make the channel's files
 * writable: wait at most this long. */
#define EXPORT_WAIT_MS 500

struct _ScPwm {
  char *dir; /* .../pwmchipN/pwmM */
  char *description;
  guint period_ns;
  guint percent;
};

/* sysfs attributes are written in one write(2) each, with no stdio buffering */
static gboolean
write_attr(const char *dir, const char *attr, guint64 value, GError **error)
{
  g_autofree char *path = g_build_filename(dir, attr, NULL);
  char text[32];
  int len = g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT "\n", value);
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  gboolean ok = fd >= 0 && write(fd, text, len) == len;
  int e = errno;
  if (fd >= 0)
    close(fd);
  if (!ok)
    g_set_error(error, SC_PWM_ERROR, SC_PWM_ERROR_IO, "%s: writing %" G_GUINT64_FORMAT ": %s", path,
                value, g_strerror(e));
  return ok;
}

static gboolean
export_channel(const char *chip_dir, const char *dir, guint channel, GError **error)
{
  if (g_file_test(dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (!write_attr(chip_dir, "export", channel, error))
    return FALSE;
  g_autofree char *period = g_build_filename(dir, "period", NULL);
  for (guint waited = 0; waited < EXPORT_WAIT_MS; waited += 10) {
    if (access(period, W_OK) == 0)
      return TRUE;
    g_usleep(10 * 1000);
  }
  g_set_error(error, SC_PWM_ERROR, SC_PWM_ERROR_OPEN,
              "%s did not appear within %d ms of exporting channel %u", dir, EXPORT_WAIT_MS,
              channel);
  return FALSE;
}

ScPwm *
sc_pwm_open(const char *root, const char *chip, guint channel, guint period_ns, GError **error)
{
  g_autofree char *chip_dir = g_build_filename(root ? root : SC_PWM_SYSFS_ROOT, chip, NULL);
  if (!g_file_test(chip_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, SC_PWM_ERROR, SC_PWM_ERROR_OPEN,
                "PWM chip %s: %s does not exist (the board's PWM overlay is not enabled?)", chip,
                chip_dir);
    return NULL;
  }
  g_autofree char *name = g_strdup_printf("pwm%u", channel);
  g_autofree char *dir = g_build_filename(chip_dir, name, NULL);
  if (!export_channel(chip_dir, dir, channel, error))
    return NULL;
  /* the duty cycle must fit the period before and after the change */
  if (!write_attr(dir, "duty_cycle", 0, error) || !write_attr(dir, "period", period_ns, error) ||
      !write_attr(dir, "enable", 1, error)) {
    g_prefix_error(error, "PWM %s channel %u: ", chip, channel);
    return NULL;
  }
  ScPwm *pwm = g_new0(ScPwm, 1);
  pwm->dir = g_steal_pointer(&dir);
  pwm->description = g_strdup_printf("%s/%s", chip, name);
  pwm->period_ns = period_ns;
  return pwm;
}

void
sc_pwm_free(ScPwm *pwm)
{
  if (pwm == NULL)
    return;
  g_autoptr(GError) error = NULL;
  if (!write_attr(pwm->dir, "duty_cycle", 0, &error) || !write_attr(pwm->dir, "enable", 0, &error))
    g_warning("PWM %s: %s", pwm->description, error->message);
  g_free(pwm->dir);
  g_free(pwm->description);
  g_free(pwm);
}

gboolean
sc_pwm_set_percent(ScPwm *pwm, guint percent, GError **error)
{
  percent = MIN(percent, 100);
  guint64 duty = (guint64)pwm->period_ns * percent / 100;
  if (!write_attr(pwm->dir, "duty_cycle", duty, error))
    return FALSE;
  pwm->percent = percent;
  return TRUE;
}

guint
sc_pwm_get_percent(ScPwm *pwm)
{
  return pwm->percent;
}

const char *
sc_pwm_describe(ScPwm *pwm)
{
  return pwm->description;
}
