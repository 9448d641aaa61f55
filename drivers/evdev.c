#define G_LOG_DOMAIN "shopcast-evdev"

#include "drivers/evdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>

G_DEFINE_QUARK(sc - evdev - error - quark, sc_evdev_error)

struct _ScEvdev {
  char *description;
  int fd;
  GSource *watch;
  ScEvdevFunc func;
  gpointer user_data;
};

typedef struct {
  const char *name;
  int code;
} KeyName;

/* The keys keypads, pedals and remotes send; any other by its number. */
#define K(code)                                                                                    \
  {                                                                                                \
#code, code                                                                                    \
  }
static const KeyName key_names[] = {
    K(KEY_ESC),        K(KEY_1),           K(KEY_2),          K(KEY_3),
    K(KEY_4),          K(KEY_5),           K(KEY_6),          K(KEY_7),
    K(KEY_8),          K(KEY_9),           K(KEY_0),          K(KEY_MINUS),
    K(KEY_EQUAL),      K(KEY_BACKSPACE),   K(KEY_TAB),        K(KEY_Q),
    K(KEY_W),          K(KEY_E),           K(KEY_R),          K(KEY_T),
    K(KEY_Y),          K(KEY_U),           K(KEY_I),          K(KEY_O),
    K(KEY_P),          K(KEY_A),           K(KEY_S),          K(KEY_D),
    K(KEY_F),          K(KEY_G),           K(KEY_H),          K(KEY_J),
    K(KEY_K),          K(KEY_L),           K(KEY_Z),          K(KEY_X),
    K(KEY_C),          K(KEY_V),           K(KEY_B),          K(KEY_N),
    K(KEY_M),          K(KEY_ENTER),       K(KEY_SPACE),      K(KEY_LEFTCTRL),
    K(KEY_RIGHTCTRL),  K(KEY_LEFTSHIFT),   K(KEY_RIGHTSHIFT), K(KEY_LEFTALT),
    K(KEY_RIGHTALT),   K(KEY_LEFTMETA),    K(KEY_RIGHTMETA),  K(KEY_F1),
    K(KEY_F2),         K(KEY_F3),          K(KEY_F4),         K(KEY_F5),
    K(KEY_F6),         K(KEY_F7),          K(KEY_F8),         K(KEY_F9),
    K(KEY_F10),        K(KEY_F11),         K(KEY_F12),        K(KEY_F13),
    K(KEY_F14),        K(KEY_F15),         K(KEY_F16),        K(KEY_F17),
    K(KEY_F18),        K(KEY_F19),         K(KEY_F20),        K(KEY_F21),
    K(KEY_F22),        K(KEY_F23),         K(KEY_F24),        K(KEY_KP0),
    K(KEY_KP1),        K(KEY_KP2),         K(KEY_KP3),        K(KEY_KP4),
    K(KEY_KP5),        K(KEY_KP6),         K(KEY_KP7),        K(KEY_KP8),
    K(KEY_KP9),        K(KEY_KPENTER),     K(KEY_KPPLUS),     K(KEY_KPMINUS),
    K(KEY_KPASTERISK), K(KEY_KPSLASH),     K(KEY_KPDOT),      K(KEY_NUMLOCK),
    K(KEY_UP),         K(KEY_DOWN),        K(KEY_LEFT),       K(KEY_RIGHT),
    K(KEY_HOME),       K(KEY_END),         K(KEY_PAGEUP),     K(KEY_PAGEDOWN),
    K(KEY_INSERT),     K(KEY_DELETE),      K(KEY_MUTE),       K(KEY_VOLUMEDOWN),
    K(KEY_VOLUMEUP),   K(KEY_PLAYPAUSE),   K(KEY_PLAY),       K(KEY_PAUSE),
    K(KEY_STOP),       K(KEY_STOPCD),      K(KEY_NEXTSONG),   K(KEY_PREVIOUSSONG),
    K(KEY_RECORD),     K(KEY_FASTFORWARD), K(KEY_REWIND),     K(KEY_CAMERA),
    K(KEY_MICMUTE),    K(KEY_NEXT),        K(KEY_PREVIOUS),   K(KEY_SELECT),
    K(KEY_OK),         K(KEY_MENU),        K(KEY_BACK),       K(KEY_FORWARD),
    K(BTN_0),          K(BTN_1),           K(BTN_2),          K(BTN_3),
    K(BTN_4),          K(BTN_5),           K(BTN_6),          K(BTN_7),
    K(BTN_8),          K(BTN_9),           K(BTN_LEFT),       K(BTN_RIGHT),
    K(BTN_MIDDLE),     K(BTN_SIDE),        K(BTN_EXTRA),      K(BTN_TRIGGER),
    K(BTN_THUMB),      K(BTN_THUMB2),      K(BTN_TOP),        K(BTN_TOP2),
    K(BTN_BASE),       K(BTN_A),           K(BTN_B),          K(BTN_X),
    K(BTN_Y),          K(BTN_START),       K(BTN_TL),         K(BTN_TR),
};
#undef K

int
sc_evdev_key_code(const char *name, GError **error)
{
  guint64 n = 0;
  if (g_ascii_string_to_unsigned(name, 10, 1, KEY_MAX, &n, NULL))
    return (int)n;
  for (guint i = 0; i < G_N_ELEMENTS(key_names); i++)
    if (g_str_equal(key_names[i].name, name))
      return key_names[i].code;
  g_set_error(error, SC_EVDEV_ERROR, SC_EVDEV_ERROR_KEY,
              "unknown key '%s': use a Linux key name such as KEY_PAGEDOWN, KEY_B, KEY_F13 or "
              "BTN_0, or the key's number (`evtest` shows both)",
              name);
  return -1;
}

const char *
sc_evdev_key_name(int code)
{
  for (guint i = 0; i < G_N_ELEMENTS(key_names); i++)
    if (key_names[i].code == code)
      return key_names[i].name;
  return NULL;
}

static void
close_device(ScEvdev *dev)
{
  if (dev->watch) {
    g_source_destroy(dev->watch);
    g_clear_pointer(&dev->watch, g_source_unref);
  }
  if (dev->fd >= 0) {
    ioctl(dev->fd, EVIOCGRAB, 0);
    close(dev->fd);
    dev->fd = -1;
  }
}

static gboolean
on_readable(int fd, GIOCondition condition, gpointer data)
{
  ScEvdev *dev = data;
  struct input_event ev[32];
  ssize_t n = (condition & (G_IO_ERR | G_IO_HUP)) ? -1 : read(fd, ev, sizeof ev);
  if (n < 0 && errno == EAGAIN)
    return G_SOURCE_CONTINUE;
  if (n <= 0) {
    g_warning("%s: input device gone: %s", dev->description, n < 0 ? g_strerror(errno) : "EOF");
    close_device(dev);
    dev->func(dev, -1, FALSE, g_get_monotonic_time(), dev->user_data);
    return G_SOURCE_REMOVE;
  }
  for (gsize i = 0; i < (gsize)n / sizeof ev[0]; i++) {
    if (ev[i].type != EV_KEY || ev[i].value == 2) /* 2: auto-repeat */
      continue;
    gint64 at = (gint64)ev[i].input_event_sec * G_USEC_PER_SEC + ev[i].input_event_usec;
    dev->func(dev, ev[i].code, ev[i].value == 1, at, dev->user_data);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
open_error(ScEvdev *dev, const char *path, const char *what, GError **error)
{
  g_set_error(error, SC_EVDEV_ERROR, SC_EVDEV_ERROR_OPEN, "input device %s: %s: %s", path, what,
              g_strerror(errno));
  close_device(dev);
  return FALSE;
}

static gboolean
setup(ScEvdev *dev, const char *path, GError **error)
{
  dev->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (dev->fd < 0)
    return open_error(dev, path, "cannot open", error);
  char name[128] = "";
  unsigned long keys[KEY_MAX / (8 * sizeof(unsigned long)) + 1] = {0};
  if (ioctl(dev->fd, EVIOCGNAME(sizeof name - 1), name) < 0 ||
      ioctl(dev->fd, EVIOCGBIT(EV_KEY, sizeof keys), keys) < 0)
    return open_error(dev, path, "not an input device", error);
  int clock = CLOCK_MONOTONIC;
  if (ioctl(dev->fd, EVIOCSCLOCKID, &clock) < 0)
    return open_error(dev, path, "cannot use the monotonic clock", error);
  if (ioctl(dev->fd, EVIOCGRAB, 1) < 0)
    return open_error(dev, path, "another program holds it", error);
  dev->description = g_strdup_printf("%s (%s)", name, path);
  GSource *source = g_unix_fd_source_new(dev->fd, G_IO_IN | G_IO_ERR | G_IO_HUP);
  g_source_set_callback(source, G_SOURCE_FUNC(on_readable), dev, NULL);
  g_source_set_priority(source, G_PRIORITY_HIGH);
  g_source_attach(source, g_main_context_get_thread_default());
  dev->watch = source;
  return TRUE;
}

ScEvdev *
sc_evdev_open(const char *path, ScEvdevFunc func, gpointer user_data, GError **error)
{
  g_autoptr(ScEvdev) dev = g_new0(ScEvdev, 1);
  dev->fd = -1;
  dev->func = func;
  dev->user_data = user_data;
  if (!setup(dev, path, error))
    return NULL;
  return g_steal_pointer(&dev);
}

void
sc_evdev_free(ScEvdev *dev)
{
  if (dev == NULL)
    return;
  close_device(dev);
  g_free(dev->description);
  g_free(dev);
}

const char *
sc_evdev_describe(ScEvdev *dev)
{
  return dev->description;
}
