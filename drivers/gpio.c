#define G_LOG_DOMAIN "shopcast-gpio"

#include "drivers/gpio.h"

#include <errno.h>
#include <gpiod.h>
#include <string.h>
#include <time.h>

#include <glib-unix.h>

G_DEFINE_QUARK(sc - gpio - error - quark, sc_gpio_error)

#define CONSUMER "shopcast"

typedef struct {
  gboolean (*request_input)(ScGpio *gpio, guint line, gboolean active_low, GError **error);
  gboolean (*request_output)(ScGpio *gpio, guint line, gboolean active_low, gboolean active,
                             GError **error);
  gboolean (*set)(ScGpio *gpio, guint line, gboolean active, GError **error);
  gboolean (*get)(ScGpio *gpio, guint line, gboolean *active, GError **error);
  void (*close)(ScGpio *gpio);
} ScGpioOps;

typedef enum { LINE_FREE, LINE_INPUT, LINE_OUTPUT } LineUse;

typedef struct {
  LineUse use;
  gboolean value;            /* simulated: the logical value */
  guint changes;             /* simulated outputs: how often they changed */
  struct gpiod_line *handle; /* libgpiod */
  guint watch;               /* libgpiod inputs: the event fd's source */
} Line;

struct _ScGpio {
  const ScGpioOps *ops;
  char *description;
  ScGpioEdgeFunc func;
  gpointer user_data;
  GMainContext *context;
  Line *lines;
  guint n_lines;
  struct gpiod_chip *chip; /* libgpiod */
};

static ScGpio *
gpio_new(const ScGpioOps *ops, guint n_lines, ScGpioEdgeFunc func, gpointer user_data)
{
  ScGpio *gpio = g_new0(ScGpio, 1);
  gpio->ops = ops;
  gpio->func = func;
  gpio->user_data = user_data;
  gpio->context = g_main_context_ref_thread_default();
  gpio->n_lines = n_lines;
  gpio->lines = g_new0(Line, n_lines);
  return gpio;
}

void
sc_gpio_free(ScGpio *gpio)
{
  if (gpio == NULL)
    return;
  gpio->ops->close(gpio);
  g_main_context_unref(gpio->context);
  g_free(gpio->lines);
  g_free(gpio->description);
  g_free(gpio);
}

const char *
sc_gpio_describe(ScGpio *gpio)
{
  return gpio->description;
}

static gboolean
check_line(ScGpio *gpio, guint line, LineUse want_free_or_use, GError **error)
{
  if (line >= gpio->n_lines) {
    g_set_error(error, SC_GPIO_ERROR, SC_GPIO_ERROR_LINE, "%s has no line %u (it has 0..%u)",
                gpio->description, line, gpio->n_lines - 1);
    return FALSE;
  }
  LineUse use = gpio->lines[line].use;
  if (want_free_or_use == LINE_FREE && use != LINE_FREE) {
    g_set_error(error, SC_GPIO_ERROR, SC_GPIO_ERROR_LINE,
                "%s line %u is already used by shopcast as an %s", gpio->description, line,
                use == LINE_INPUT ? "input" : "output");
    return FALSE;
  }
  if (want_free_or_use != LINE_FREE && use != want_free_or_use) {
    g_set_error(error, SC_GPIO_ERROR, SC_GPIO_ERROR_LINE, "%s line %u is not requested as an %s",
                gpio->description, line, want_free_or_use == LINE_INPUT ? "input" : "output");
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_gpio_request_input(ScGpio *gpio, guint line, gboolean active_low, GError **error)
{
  if (!check_line(gpio, line, LINE_FREE, error) ||
      !gpio->ops->request_input(gpio, line, active_low, error))
    return FALSE;
  gpio->lines[line].use = LINE_INPUT;
  return TRUE;
}

gboolean
sc_gpio_request_output(ScGpio *gpio, guint line, gboolean active_low, gboolean active,
                       GError **error)
{
  if (!check_line(gpio, line, LINE_FREE, error) ||
      !gpio->ops->request_output(gpio, line, active_low, active, error))
    return FALSE;
  gpio->lines[line].use = LINE_OUTPUT;
  return TRUE;
}

gboolean
sc_gpio_set(ScGpio *gpio, guint line, gboolean active, GError **error)
{
  return check_line(gpio, line, LINE_OUTPUT, error) && gpio->ops->set(gpio, line, !!active, error);
}

gboolean
sc_gpio_get(ScGpio *gpio, guint line, gboolean *active, GError **error)
{
  LineUse use = line < gpio->n_lines ? gpio->lines[line].use : LINE_INPUT;
  if (use == LINE_FREE) {
    g_set_error(error, SC_GPIO_ERROR, SC_GPIO_ERROR_LINE, "%s line %u is not requested",
                gpio->description, line);
    return FALSE;
  }
  return check_line(gpio, line, use, error) && gpio->ops->get(gpio, line, active, error);
}

/* ---- simulated ---- */

static gboolean
sim_request_input(ScGpio *gpio, guint line, gboolean active_low, GError **error)
{
  (void)active_low; /* the simulated world speaks in logical values */
  (void)error;
  gpio->lines[line].value = FALSE;
  return TRUE;
}

static gboolean
sim_request_output(ScGpio *gpio, guint line, gboolean active_low, gboolean active, GError **error)
{
  (void)active_low;
  (void)error;
  gpio->lines[line].value = !!active;
  return TRUE;
}

static gboolean
sim_set(ScGpio *gpio, guint line, gboolean active, GError **error)
{
  (void)error;
  Line *l = &gpio->lines[line];
  if (l->value != active)
    l->changes++;
  l->value = active;
  return TRUE;
}

static gboolean
sim_get(ScGpio *gpio, guint line, gboolean *active, GError **error)
{
  (void)error;
  *active = gpio->lines[line].value;
  return TRUE;
}

static void
sim_close(ScGpio *gpio)
{
  (void)gpio;
}

static const ScGpioOps sim_ops = {sim_request_input, sim_request_output, sim_set, sim_get,
                                  sim_close};

ScGpio *
sc_gpio_sim_new(guint n_lines, ScGpioEdgeFunc func, gpointer user_data)
{
  ScGpio *gpio = gpio_new(&sim_ops, MAX(n_lines, 1), func, user_data);
  gpio->description = g_strdup_printf("simulated GPIO (%u lines)", gpio->n_lines);
  return gpio;
}

gboolean
sc_gpio_is_simulated(ScGpio *gpio)
{
  return gpio->ops == &sim_ops;
}

typedef struct {
  ScGpio *gpio;
  guint line;
  gboolean active;
  gint64 at_us;
} SimEdge;

static gboolean
deliver_sim_edge(gpointer data)
{
  SimEdge *e = data;
  Line *l = &e->gpio->lines[e->line];
  if (l->use == LINE_INPUT && l->value != e->active) {
    l->value = e->active;
    e->gpio->func(e->gpio, e->line, e->active, e->at_us, e->gpio->user_data);
  }
  return G_SOURCE_REMOVE;
}

void
sc_gpio_sim_set_input(ScGpio *gpio, guint line, gboolean active, gint64 at_us)
{
  g_return_if_fail(gpio->ops == &sim_ops && line < gpio->n_lines);
  SimEdge *e = g_new(SimEdge, 1);
  *e = (SimEdge){gpio, line, !!active, at_us};
  g_main_context_invoke_full(gpio->context, G_PRIORITY_HIGH, deliver_sim_edge, e, g_free);
}

guint
sc_gpio_sim_output_changes(ScGpio *gpio, guint line)
{
  g_return_val_if_fail(gpio->ops == &sim_ops && line < gpio->n_lines, 0);
  return gpio->lines[line].changes;
}

/* ---- libgpiod (v1 API) ---- */

static gboolean
line_error(ScGpio *gpio, guint line, const char *what, GError **error)
{
  int e = errno;
  g_set_error(error, SC_GPIO_ERROR, e == EBUSY ? SC_GPIO_ERROR_LINE : SC_GPIO_ERROR_IO,
              "%s line %u: %s: %s%s", gpio->description, line, what, g_strerror(e),
              e == EBUSY ? " (another program holds the line)" : "");
  return FALSE;
}

typedef struct {
  ScGpio *gpio;
  guint line;
} Watch;

static gboolean
on_line_event(int fd, GIOCondition condition, gpointer data)
{
  (void)fd;
  (void)condition;
  Watch *w = data;
  struct gpiod_line_event ev;
  /* one edge per wakeup; the source fires again while more are queued */
  if (gpiod_line_event_read(w->gpio->lines[w->line].handle, &ev) < 0) {
    g_warning("%s line %u: reading an edge failed: %s", w->gpio->description, w->line,
              g_strerror(errno));
    return G_SOURCE_CONTINUE;
  }
  gint64 at = (gint64)ev.ts.tv_sec * G_USEC_PER_SEC + ev.ts.tv_nsec / 1000;
  w->gpio->func(w->gpio, w->line, ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE, at,
                w->gpio->user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
gpiod_request_input(ScGpio *gpio, guint line, gboolean active_low, GError **error)
{
  struct gpiod_line *l = gpiod_chip_get_line(gpio->chip, line);
  /* a button to ground needs the pull-up to read released when open */
  int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP
                         : GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
  if (l == NULL || gpiod_line_request_both_edges_events_flags(l, CONSUMER, flags) < 0)
    return line_error(gpio, line, "requesting edge events", error);
  gpio->lines[line].handle = l;
  Watch *w = g_new(Watch, 1);
  *w = (Watch){gpio, line};
  GSource *source = g_unix_fd_source_new(gpiod_line_event_get_fd(l), G_IO_IN);
  g_source_set_callback(source, G_SOURCE_FUNC(on_line_event), w, g_free);
  g_source_set_priority(source, G_PRIORITY_HIGH); /* a press goes before redraws */
  gpio->lines[line].watch = g_source_attach(source, gpio->context);
  g_source_unref(source);
  return TRUE;
}

static gboolean
gpiod_request_output(ScGpio *gpio, guint line, gboolean active_low, gboolean active, GError **error)
{
  struct gpiod_line *l = gpiod_chip_get_line(gpio->chip, line);
  int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
  if (l == NULL || gpiod_line_request_output_flags(l, CONSUMER, flags, active ? 1 : 0) < 0)
    return line_error(gpio, line, "requesting as output", error);
  gpio->lines[line].handle = l;
  return TRUE;
}

static gboolean
gpiod_set(ScGpio *gpio, guint line, gboolean active, GError **error)
{
  if (gpiod_line_set_value(gpio->lines[line].handle, active ? 1 : 0) < 0)
    return line_error(gpio, line, "setting", error);
  return TRUE;
}

static gboolean
gpiod_get(ScGpio *gpio, guint line, gboolean *active, GError **error)
{
  int v = gpiod_line_get_value(gpio->lines[line].handle);
  if (v < 0)
    return line_error(gpio, line, "reading", error);
  *active = v == 1;
  return TRUE;
}

static void
gpiod_close(ScGpio *gpio)
{
  for (guint i = 0; i < gpio->n_lines; i++) {
    Line *l = &gpio->lines[i];
    if (l->watch) {
      GSource *s = g_main_context_find_source_by_id(gpio->context, l->watch);
      if (s)
        g_source_destroy(s);
    }
    if (l->handle)
      gpiod_line_release(l->handle);
  }
  if (gpio->chip)
    gpiod_chip_close(gpio->chip);
}

static const ScGpioOps gpiod_ops = {gpiod_request_input, gpiod_request_output, gpiod_set, gpiod_get,
                                    gpiod_close};

ScGpio *
sc_gpio_open(const char *name, ScGpioEdgeFunc func, gpointer user_data, GError **error)
{
  struct gpiod_chip *chip = gpiod_chip_open_lookup(name);
  if (chip == NULL) {
    int e = errno;
    g_set_error(error, SC_GPIO_ERROR, SC_GPIO_ERROR_OPEN,
                "GPIO chip '%s': %s (the chips are /dev/gpiochip*; `gpiodetect` lists them)", name,
                g_strerror(e));
    return NULL;
  }
  ScGpio *gpio = gpio_new(&gpiod_ops, gpiod_chip_num_lines(chip), func, user_data);
  gpio->chip = chip;
  gpio->description = g_strdup_printf("%s [%s] (%u lines)", gpiod_chip_name(chip),
                                      gpiod_chip_label(chip), gpio->n_lines);
  return gpio;
}
