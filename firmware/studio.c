#define G_LOG_DOMAIN "shopcast-studio"

#include "firmware/studio.h"

#include "drivers/evdev.h"
#include "drivers/pwm.h"
#include "firmware/json.h"

#include <gio/gio.h>

#include <stdlib.h>
#include <string.h>

/* The tally is evaluated, and blinks, on this period (2 Hz blink). */
#define TALLY_TICK_MS 250
/* An unplugged keypad is looked for again this often. */
#define KEYPAD_RETRY_MS 2000
/* Press-to-action latencies kept for the status. */
#define LATENCIES_KEPT 1024

typedef struct {
  ScStudio *studio;
  const ScStudioButton *config;
  ScButton *logic;
} Button;

typedef struct {
  ScStudio *studio;
  const ScStudioKeypad *config;
  ScEvdev *dev;
  guint retry;
} Keypad;

typedef struct {
  const ScStudioLight *config;
  ScPwm *pwm;
  gboolean usable;
  guint level; /* % */
} Light;

struct _ScStudio {
  const ScStudioConfig *config;
  ScStudioActionFunc on_action;
  ScStudioStateFunc get_state;
  gpointer user_data;
  ScGpio *gpio;
  GPtrArray *buttons; /* Button* */
  GPtrArray *keypads; /* Keypad* */
  Light *lights;
  gboolean lamp_usable[SC_N_LAMPS];
  ScTallyLamps lamps;
  ScTallyState state;
  gboolean blink_phase;
  guint tally_timer;
  guint button_timer;
  char *scene;
  GPtrArray *problems; /* char*: hardware that is missing */
  gint64 latencies[LATENCIES_KEPT];
  guint n_latencies; /* total recorded; the ring holds the last LATENCIES_KEPT */
};

static void problem(ScStudio *s, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
problem(ScStudio *s, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  char *text = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_warning("%s", text);
  g_ptr_array_add(s->problems, text);
}

/* ---- buttons ---- */

static void schedule_buttons(ScStudio *s);

static void
act(ScStudio *s, Button *b, const ScActionSpec *spec, gboolean on, gint64 settled_us)
{
  if (spec->action == SC_ACTION_NONE)
    return;
  g_autofree char *what = sc_action_spec_describe(spec);
  g_info("button %s: %s%s", b->config->name, what, on ? "" : " (released)");
  s->on_action(spec, spec == &b->config->on_held, on, b->config->name, s->user_data);
  gint64 latency = g_get_monotonic_time() - settled_us;
  s->latencies[s->n_latencies++ % LATENCIES_KEPT] = MAX(latency, 0);
}

static void
on_button_event(ScButton *logic, ScButtonEvent event, gint64 at_us, gpointer data)
{
  (void)logic;
  Button *b = data;
  const ScStudioButton *c = b->config;
  /* without a long action there is nothing to wait for: act on the press */
  gboolean short_on_press = c->on_long.action == SC_ACTION_NONE;
  switch (event) {
  case SC_BUTTON_PRESS:
    act(b->studio, b, &c->on_held, TRUE, at_us);
    if (short_on_press)
      act(b->studio, b, &c->on_short, TRUE, at_us);
    break;
  case SC_BUTTON_SHORT:
    if (!short_on_press)
      act(b->studio, b, &c->on_short, TRUE, at_us);
    break;
  case SC_BUTTON_LONG:
    act(b->studio, b, &c->on_long, TRUE, at_us);
    break;
  case SC_BUTTON_RELEASE:
    act(b->studio, b, &c->on_held, FALSE, at_us);
    break;
  }
}

static void
button_free(gpointer p)
{
  Button *b = p;
  sc_button_free(b->logic);
  g_free(b);
}

static gboolean
on_button_timer(gpointer data)
{
  ScStudio *s = data;
  s->button_timer = 0;
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < s->buttons->len; i++)
    sc_button_tick(((Button *)g_ptr_array_index(s->buttons, i))->logic, now);
  schedule_buttons(s);
  return G_SOURCE_REMOVE;
}

/* One timer for every button: the earliest deadline. */
static void
schedule_buttons(ScStudio *s)
{
  gint64 next = -1;
  for (guint i = 0; i < s->buttons->len; i++) {
    gint64 d = sc_button_deadline(((Button *)g_ptr_array_index(s->buttons, i))->logic);
    if (d >= 0 && (next < 0 || d < next))
      next = d;
  }
  g_clear_handle_id(&s->button_timer, g_source_remove);
  if (next < 0)
    return;
  gint64 wait_us = MAX(next - g_get_monotonic_time(), 0);
  GSource *timer = g_timeout_source_new((guint)((wait_us + 999) / 1000));
  g_source_set_priority(timer, G_PRIORITY_HIGH);
  g_source_set_callback(timer, on_button_timer, s, NULL);
  s->button_timer = g_source_attach(timer, NULL);
  g_source_unref(timer);
}

static Button *
find_gpio_button(ScStudio *s, guint line)
{
  for (guint i = 0; i < s->buttons->len; i++) {
    Button *b = g_ptr_array_index(s->buttons, i);
    if (b->config->keypad == NULL && b->config->line == line)
      return b;
  }
  return NULL;
}

static void
on_gpio_edge(ScGpio *gpio, guint line, gboolean active, gint64 at_us, gpointer data)
{
  (void)gpio;
  ScStudio *s = data;
  Button *b = find_gpio_button(s, line);
  if (b == NULL)
    return;
  sc_button_edge(b->logic, active, at_us);
  schedule_buttons(s);
}

/* ---- keypads ---- */

static gboolean open_keypad(gpointer data);

static void
on_key(ScEvdev *dev, int code, gboolean down, gint64 at_us, gpointer data)
{
  (void)dev;
  Keypad *k = data;
  ScStudio *s = k->studio;
  if (code < 0) { /* unplugged: look for it again */
    g_clear_pointer(&k->dev, sc_evdev_free);
    k->retry = g_timeout_add(KEYPAD_RETRY_MS, open_keypad, k);
    return;
  }
  for (guint i = 0; i < s->buttons->len; i++) {
    Button *b = g_ptr_array_index(s->buttons, i);
    if (b->config->keypad && b->config->key == code &&
        g_str_equal(b->config->keypad, k->config->name)) {
      sc_button_edge(b->logic, down, at_us);
      schedule_buttons(s);
    }
  }
}

static gboolean
open_keypad(gpointer data)
{
  Keypad *k = data;
  g_autoptr(GError) error = NULL;
  k->dev = sc_evdev_open(k->config->device, on_key, k, &error);
  if (k->dev == NULL) {
    if (k->retry == 0)
      problem(k->studio, "keypad %s: %s (looked for again every %d s)", k->config->name,
              error->message, KEYPAD_RETRY_MS / 1000);
    k->retry = k->retry ? k->retry : g_timeout_add(KEYPAD_RETRY_MS, open_keypad, k);
    return G_SOURCE_CONTINUE;
  }
  g_info("keypad %s: %s", k->config->name, sc_evdev_describe(k->dev));
  k->retry = 0;
  return G_SOURCE_REMOVE;
}

static void
keypad_free(gpointer p)
{
  Keypad *k = p;
  g_clear_handle_id(&k->retry, g_source_remove);
  sc_evdev_free(k->dev);
  g_free(k);
}

/* ---- lamps and lights ---- */

static void
drive_lamp(ScStudio *s, ScLampColour colour, ScTallyLamp mode)
{
  if (!s->lamp_usable[colour])
    return;
  gboolean lit = mode == SC_TALLY_ON || (mode == SC_TALLY_BLINK && s->blink_phase);
  g_autoptr(GError) error = NULL;
  if (!sc_gpio_set(s->gpio, s->config->lamp_line[colour], lit, &error))
    g_warning("tally: %s", error->message);
}

static void
evaluate_tally(ScStudio *s)
{
  ScTallyState state = {0};
  s->get_state(&state, s->user_data);
  ScTallyLamps lamps = sc_tally_lamps(&state);
  if (memcmp(&state, &s->state, sizeof state) != 0)
    g_info("tally: %s", sc_tally_describe(&state));
  s->state = state;
  s->lamps = lamps;
  drive_lamp(s, SC_LAMP_RED, lamps.red);
  drive_lamp(s, SC_LAMP_GREEN, lamps.green);
  drive_lamp(s, SC_LAMP_AMBER, lamps.amber);
}

static gboolean
on_tally_tick(gpointer data)
{
  ScStudio *s = data;
  s->blink_phase = !s->blink_phase;
  evaluate_tally(s);
  return G_SOURCE_CONTINUE;
}

void
sc_studio_update(ScStudio *s)
{
  evaluate_tally(s);
}

static gboolean
set_light(ScStudio *s, Light *l, guint level, GError **error)
{
  if (!l->usable)
    return TRUE; /* already listed as a problem */
  gboolean ok = l->pwm ? sc_pwm_set_percent(l->pwm, level, error)
                       : sc_gpio_set(s->gpio, l->config->line, level > 0, error);
  if (ok)
    l->level = l->pwm ? level : (level > 0 ? 100 : 0);
  return ok;
}

gboolean
sc_studio_set_scene(ScStudio *s, const char *name, GError **error)
{
  const ScStudioScene *scene = NULL;
  for (guint i = 0; i < s->config->scenes->len && scene == NULL; i++) {
    const ScStudioScene *c = g_ptr_array_index(s->config->scenes, i);
    if (g_str_equal(c->name, name))
      scene = c;
  }
  if (scene == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no lighting scene '%s'", name);
    return FALSE;
  }
  for (guint i = 0; i < s->config->lights->len; i++)
    if (scene->levels[i] >= 0 && !set_light(s, &s->lights[i], scene->levels[i], error)) {
      g_prefix_error(error, "scene %s: light %s: ", name, s->lights[i].config->name);
      return FALSE;
    }
  g_free(s->scene);
  s->scene = g_strdup(name);
  g_info("lighting scene: %s", name);
  return TRUE;
}

void
sc_studio_show_changed(ScStudio *s, const char *what)
{
  for (guint i = 0; i < s->config->scenes->len; i++) {
    const ScStudioScene *scene = g_ptr_array_index(s->config->scenes, i);
    if (scene->on_show && g_strv_contains((const char *const *)scene->on_show, what)) {
      g_autoptr(GError) error = NULL;
      if (!sc_studio_set_scene(s, scene->name, &error))
        g_warning("%s", error->message);
      return;
    }
  }
}

/* ---- opening the hardware ---- */

static guint
lines_needed(const ScStudioConfig *c)
{
  guint n = c->sim_lines;
  for (guint i = 0; i < c->buttons->len; i++) {
    const ScStudioButton *b = g_ptr_array_index(c->buttons, i);
    if (b->keypad == NULL)
      n = MAX(n, b->line + 1);
  }
  for (guint i = 0; i < c->lights->len; i++)
    n = MAX(n, (guint)(((ScStudioLight *)g_ptr_array_index(c->lights, i))->line + 1));
  for (guint i = 0; i < SC_N_LAMPS; i++)
    n = MAX(n, (guint)(c->lamp_line[i] + 1));
  return n;
}

/* The first of the ';'-separated chips that opens (one pin map for boards
 * whose header chip has a different label). */
static ScGpio *
open_first_chip(ScStudio *s, const char *names, GError **error)
{
  g_auto(GStrv) list = g_strsplit(names, ";", 0);
  for (char **n = list; *n; n++) {
    g_clear_error(error);
    ScGpio *gpio = sc_gpio_open(g_strstrip(*n), on_gpio_edge, s, error);
    if (gpio)
      return gpio;
  }
  return NULL;
}

static void
open_gpio(ScStudio *s)
{
  const ScStudioConfig *c = s->config;
  if (c->chip == NULL)
    return;
  g_autoptr(GError) error = NULL;
  if (g_str_equal(c->chip, "sim"))
    s->gpio = sc_gpio_sim_new(lines_needed(c), on_gpio_edge, s);
  else
    s->gpio = open_first_chip(s, c->chip, &error);
  if (s->gpio == NULL)
    problem(s, "no buttons, tally or relays: %s", error->message);
  else
    g_info("GPIO: %s", sc_gpio_describe(s->gpio));
}

static void
open_buttons(ScStudio *s)
{
  for (guint i = 0; i < s->config->buttons->len; i++) {
    const ScStudioButton *c = g_ptr_array_index(s->config->buttons, i);
    g_autoptr(GError) error = NULL;
    if (c->keypad == NULL &&
        (s->gpio == NULL || !sc_gpio_request_input(s->gpio, c->line, c->active_low, &error))) {
      if (error)
        problem(s, "button %s: %s", c->name, error->message);
      continue;
    }
    Button *b = g_new0(Button, 1);
    b->studio = s;
    b->config = c;
    b->logic = sc_button_new(&c->timing, on_button_event, b);
    g_ptr_array_add(s->buttons, b);
  }
  for (guint i = 0; i < s->config->keypads->len; i++) {
    Keypad *k = g_new0(Keypad, 1);
    k->studio = s;
    k->config = g_ptr_array_index(s->config->keypads, i);
    g_ptr_array_add(s->keypads, k);
    open_keypad(k);
  }
}

static void
open_outputs(ScStudio *s)
{
  const ScStudioConfig *c = s->config;
  for (guint i = 0; i < SC_N_LAMPS && s->gpio; i++) {
    g_autoptr(GError) error = NULL;
    s->lamp_usable[i] =
        c->lamp_line[i] >= 0 &&
        sc_gpio_request_output(s->gpio, c->lamp_line[i], c->lamp_active_low[i], FALSE, &error);
    if (error)
      problem(s, "tally lamp %u: %s", i, error->message);
  }
  s->lights = g_new0(Light, MAX(c->lights->len, 1));
  for (guint i = 0; i < c->lights->len; i++) {
    Light *l = &s->lights[i];
    l->config = g_ptr_array_index(c->lights, i);
    g_autoptr(GError) error = NULL;
    if (l->config->pwm_chip) {
      l->pwm = sc_pwm_open(g_getenv("SHOPCAST_PWM_ROOT"), l->config->pwm_chip,
                           l->config->pwm_channel, l->config->period_ns, &error);
      l->usable = l->pwm != NULL;
    } else if (s->gpio) {
      l->usable =
          sc_gpio_request_output(s->gpio, l->config->line, l->config->active_low, FALSE, &error);
    }
    if (error)
      problem(s, "light %s: %s", l->config->name, error->message);
  }
}

ScStudio *
sc_studio_new(const ScStudioConfig *config, ScStudioActionFunc on_action,
              ScStudioStateFunc get_state, gpointer user_data)
{
  ScStudio *s = g_new0(ScStudio, 1);
  s->config = config;
  s->on_action = on_action;
  s->get_state = get_state;
  s->user_data = user_data;
  s->buttons = g_ptr_array_new_with_free_func(button_free);
  s->keypads = g_ptr_array_new_with_free_func(keypad_free);
  s->problems = g_ptr_array_new_with_free_func(g_free);
  open_gpio(s);
  open_buttons(s);
  open_outputs(s);
  g_autoptr(GError) error = NULL;
  if (config->start_scene && !sc_studio_set_scene(s, config->start_scene, &error))
    problem(s, "%s", error->message);
  evaluate_tally(s);
  s->tally_timer = g_timeout_add(TALLY_TICK_MS, on_tally_tick, s);
  return s;
}

void
sc_studio_free(ScStudio *s)
{
  if (s == NULL)
    return;
  g_clear_handle_id(&s->tally_timer, g_source_remove);
  g_clear_handle_id(&s->button_timer, g_source_remove);
  g_clear_pointer(&s->keypads, g_ptr_array_unref);
  g_clear_pointer(&s->buttons, g_ptr_array_unref);
  for (guint i = 0; s->lights && i < s->config->lights->len; i++)
    sc_pwm_free(s->lights[i].pwm);
  g_free(s->lights);
  /* lamps dark and relays open as the lines are released */
  for (guint i = 0; i < SC_N_LAMPS; i++)
    if (s->lamp_usable[i] && !sc_gpio_set(s->gpio, s->config->lamp_line[i], FALSE, NULL))
      g_warning("tally lamp %u could not be switched off", i);
  sc_gpio_free(s->gpio);
  g_ptr_array_unref(s->problems);
  g_free(s->scene);
  g_free(s);
}

/* ---- simulated presses ---- */

typedef struct {
  ScGpio *gpio;
  guint line;
} Release;

static gboolean
release_sim(gpointer data)
{
  Release *r = data;
  sc_gpio_sim_set_input(r->gpio, r->line, FALSE, g_get_monotonic_time());
  return G_SOURCE_REMOVE;
}

gboolean
sc_studio_press(ScStudio *s, const char *name, guint hold_ms, GError **error)
{
  for (guint i = 0; i < s->buttons->len; i++) {
    Button *b = g_ptr_array_index(s->buttons, i);
    if (!g_str_equal(b->config->name, name))
      continue;
    if (b->config->keypad || !sc_gpio_is_simulated(s->gpio)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                  "button %s is real hardware: press it with a finger", name);
      return FALSE;
    }
    Release *r = g_new(Release, 1);
    *r = (Release){s->gpio, b->config->line};
    sc_gpio_sim_set_input(s->gpio, b->config->line, TRUE, g_get_monotonic_time());
    g_timeout_add_full(G_PRIORITY_HIGH, hold_ms, release_sim, r, g_free);
    return TRUE;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no button '%s' (see: studio)", name);
  return FALSE;
}

/* ---- pre-flight ---- */

static void
check_light(ScStudio *s, Light *l, ScPreflight *p)
{
  g_autofree char *what = g_strdup_printf("light %s", l->config->name);
  g_autoptr(GError) error = NULL;
  gboolean on = FALSE;
  if (!l->usable)
    sc_preflight_add(p, what, FALSE, "not available (see the studio's problems)");
  else if (!set_light(s, l, l->level, &error))
    sc_preflight_add(p, what, FALSE, "%s", error->message);
  else if (l->pwm)
    sc_preflight_add(p, what, TRUE, "%s at %u %%", sc_pwm_describe(l->pwm), l->level);
  else if (!sc_gpio_get(s->gpio, l->config->line, &on, &error) || on != (l->level > 0))
    sc_preflight_add(p, what, FALSE, "relay on line %u reads %s", l->config->line,
                     error ? error->message
                     : on  ? "on, set off"
                           : "off, set on");
  else
    sc_preflight_add(p, what, TRUE, "relay on line %u %s", l->config->line, on ? "on" : "off");
}

void
sc_studio_preflight(ScStudio *s, ScPreflight *p)
{
  static const char *const colours[SC_N_LAMPS] = {"red", "green", "amber"};
  const ScStudioConfig *c = s->config;
  if (c->chip)
    sc_preflight_add(p, "gpio", s->gpio != NULL, "%s",
                     s->gpio ? sc_gpio_describe(s->gpio) : "the chip did not open");
  for (guint i = 0; i < SC_N_LAMPS; i++) {
    g_autofree char *what = g_strdup_printf("tally %s", colours[i]);
    if (c->lamp_line[i] >= 0)
      sc_preflight_add(p, what, s->lamp_usable[i], "line %d", c->lamp_line[i]);
  }
  for (guint i = 0; i < c->lights->len; i++)
    check_light(s, &s->lights[i], p);
  for (guint i = 0; i < s->keypads->len; i++) {
    Keypad *k = g_ptr_array_index(s->keypads, i);
    g_autofree char *what = g_strdup_printf("keypad %s", k->config->name);
    sc_preflight_add(p, what, k->dev != NULL, "%s",
                     k->dev ? sc_evdev_describe(k->dev) : k->config->device);
  }
}

/* ---- status ---- */

static int
compare_gint64(const void *a, const void *b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return (x > y) - (x < y);
}

static void
append_latency(ScStudio *s, GString *out)
{
  guint n = MIN(s->n_latencies, LATENCIES_KEPT);
  g_autofree gint64 *sorted = g_memdup2(s->latencies, sizeof(gint64) * MAX(n, 1));
  qsort(sorted, n, sizeof(gint64), compare_gint64);
  if (n == 0) {
    g_string_append(out, "\"press_to_action_us\":null");
    return;
  }
  g_string_append_printf(out,
                         "\"press_to_action_us\":{\"count\":%u,\"p50\":%" G_GINT64_FORMAT
                         ",\"p99\":%" G_GINT64_FORMAT ",\"max\":%" G_GINT64_FORMAT "}",
                         n, sorted[n / 2], sorted[MIN(n - 1, n * 99 / 100)], sorted[n - 1]);
}

static const char *
lamp_word(ScTallyLamp lamp)
{
  return lamp == SC_TALLY_ON ? "on" : lamp == SC_TALLY_BLINK ? "blink" : "off";
}

char *
sc_studio_status_json(ScStudio *s)
{
  GString *out = g_string_new("{\"tally\":");
  sc_json_append_string(out, sc_tally_describe(&s->state));
  g_string_append_printf(out, ",\"lamps\":{\"red\":\"%s\",\"green\":\"%s\",\"amber\":\"%s\"}",
                         lamp_word(s->lamps.red), lamp_word(s->lamps.green),
                         lamp_word(s->lamps.amber));
  g_string_append(out, ",\"scene\":");
  if (s->scene)
    sc_json_append_string(out, s->scene);
  else
    g_string_append(out, "null");
  g_string_append(out, ",\"lights\":{");
  for (guint i = 0; i < s->config->lights->len; i++) {
    g_string_append(out, i ? "," : "");
    sc_json_append_string(out, s->lights[i].config->name);
    g_string_append_printf(out, ":%u", s->lights[i].level);
  }
  g_string_append(out, "},\"buttons\":[");
  for (guint i = 0; i < s->buttons->len; i++) {
    g_string_append(out, i ? "," : "");
    sc_json_append_string(out, ((Button *)g_ptr_array_index(s->buttons, i))->config->name);
  }
  g_string_append(out, "],");
  append_latency(s, out);
  g_string_append(out, ",\"problems\":[");
  for (guint i = 0; i < s->problems->len; i++) {
    g_string_append(out, i ? "," : "");
    sc_json_append_string(out, g_ptr_array_index(s->problems, i));
  }
  g_string_append(out, "]}\n");
  return g_string_free(out, FALSE);
}

ScTallyLamps
sc_studio_get_lamps(ScStudio *s)
{
  return s->lamps;
}

ScGpio *
sc_studio_get_gpio(ScStudio *s)
{
  return s->gpio;
}
