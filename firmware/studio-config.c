#define G_LOG_DOMAIN "shopcast-studio"

#include "firmware/studio-config.h"

#include "drivers/evdev.h"
#include "firmware/keyfile.h"

#include <string.h>

#define DEFAULT_DEBOUNCE_MS   30
#define DEFAULT_LONG_PRESS_MS 1000
#define DEFAULT_PERIOD_US     1000 /* 1 kHz: no flicker on camera at 30 or 25 fps */

const char *const sc_studio_button_keys[] = {"short",       "long",          "held",
                                             "debounce-ms", "long-press-ms", NULL};
const char *const sc_studio_keypad_keys[] = {"device", NULL};
const char *const sc_studio_scene_keys[] = {"lights", "on", NULL};
const char *const sc_studio_keys[] = {"scene", NULL};

static const char *const pin_gpio_keys[] = {"chip", "lines", NULL};
static const char *const pin_button_keys[] = {"line", "active-low", "label", NULL};
static const char *const pin_lamp_keys[] = {"line", "active-low", NULL};
static const char *const pin_light_keys[] = {"line", "active-low", "pwm", "period-us", NULL};
static const ScKeyfileGroup pin_schema[] = {
    {"gpio", pin_gpio_keys},
    {"button *", pin_button_keys},
    {"lamp *", pin_lamp_keys},
    {"light *", pin_light_keys},
};
static const char *const lamp_names[SC_N_LAMPS] = {"red", "green", "amber"};

/* The show changes a scene may follow (ScShowChangeFunc's "what"). */
static const char *const show_changes[] = {
    "product",     "flash-start", "flash-stop", "flash-reset", "stock",   "price-correction",
    "lower-third", "opening",     "closing",    "coupon",      "closeup", NULL};

static const char *const action_names[] = {
    [SC_ACTION_NONE] = "none",
    [SC_ACTION_LIVE] = "live",
    [SC_ACTION_NEXT_PRODUCT] = "next-product",
    [SC_ACTION_PREVIOUS_PRODUCT] = "previous-product",
    [SC_ACTION_FLASH_SALE] = "flash-sale",
    [SC_ACTION_COUPON] = "coupon",
    [SC_ACTION_STOCK] = "stock",
    [SC_ACTION_CLOSEUP] = "closeup",
    [SC_ACTION_MIC_MUTE] = "mic-mute",
    [SC_ACTION_SCENE] = "scene",
    [SC_ACTION_RECONNECT] = "reconnect",
};

const char *
sc_action_name(ScAction action)
{
  return action < G_N_ELEMENTS(action_names) ? action_names[action] : "?";
}

char *
sc_action_spec_describe(const ScActionSpec *spec)
{
  if (spec->action == SC_ACTION_SCENE)
    return g_strconcat("scene:", spec->scene, NULL);
  return g_strdup(sc_action_name(spec->action));
}

/* Every studio thing starts with its name, so one lookup serves them all. */
G_STATIC_ASSERT(G_STRUCT_OFFSET(ScStudioButton, name) == 0);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ScStudioKeypad, name) == 0);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ScStudioLight, name) == 0);
G_STATIC_ASSERT(G_STRUCT_OFFSET(ScStudioScene, name) == 0);

static gint
find_named(GPtrArray *list, const char *name)
{
  for (guint i = 0; list && i < list->len; i++)
    if (g_str_equal(*(char **)g_ptr_array_index(list, i), name))
      return (gint)i;
  return -1;
}

gboolean
sc_action_parse(const char *text, const ScStudioConfig *config, ScActionSpec *spec, GError **error)
{
  *spec = (ScActionSpec){SC_ACTION_NONE, NULL};
  if (g_str_has_prefix(text, "scene:")) {
    const char *scene = text + strlen("scene:");
    if (config && find_named(config->scenes, scene) < 0) {
      g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_VALUE,
                  "no lighting scene '%s' (define it in a [scene %s] group)", scene, scene);
      return FALSE;
    }
    *spec = (ScActionSpec){SC_ACTION_SCENE, g_strdup(scene)};
    return TRUE;
  }
  for (guint i = 0; i < G_N_ELEMENTS(action_names); i++)
    if (i != SC_ACTION_SCENE && g_str_equal(text, action_names[i])) {
      spec->action = i;
      return TRUE;
    }
  g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_VALUE,
              "unknown action '%s' (actions: live, next-product, previous-product, flash-sale, "
              "coupon, stock, closeup, mic-mute, scene:NAME, reconnect, none)",
              text);
  return FALSE;
}

static void
button_free(gpointer p)
{
  ScStudioButton *b = p;
  g_free(b->name);
  g_free(b->keypad);
  g_free(b->on_short.scene);
  g_free(b->on_long.scene);
  g_free(b->on_held.scene);
  g_free(b);
}

static void
keypad_free(gpointer p)
{
  ScStudioKeypad *k = p;
  g_free(k->name);
  g_free(k->device);
  g_free(k);
}

static void
light_free(gpointer p)
{
  ScStudioLight *l = p;
  g_free(l->name);
  g_free(l->pwm_chip);
  g_free(l);
}

static void
scene_free(gpointer p)
{
  ScStudioScene *s = p;
  g_free(s->name);
  g_free(s->levels);
  g_strfreev(s->on_show);
  g_free(s);
}

void
sc_studio_config_free(ScStudioConfig *c)
{
  if (c == NULL)
    return;
  g_free(c->pins_path);
  g_free(c->chip);
  g_clear_pointer(&c->buttons, g_ptr_array_unref);
  g_clear_pointer(&c->keypads, g_ptr_array_unref);
  g_clear_pointer(&c->lights, g_ptr_array_unref);
  g_clear_pointer(&c->scenes, g_ptr_array_unref);
  g_free(c->start_scene);
  g_free(c);
}

/* ---- the pin map ---- */

static gboolean
read_line(GKeyFile *kf, const char *path, const char *group, guint max, guint *line,
          gboolean *active_low, GError **error)
{
  *line = G_MAXUINT;
  return sc_keyfile_get_uint(kf, path, group, "line", 0, max, line, error) &&
         sc_keyfile_get_bool(kf, path, group, "active-low", active_low, error);
}

static gboolean
read_pwm(GKeyFile *kf, const char *path, const char *group, ScStudioLight *l, GError **error)
{
  g_autofree char *pwm = NULL;
  guint period_us = DEFAULT_PERIOD_US;
  if (!sc_keyfile_get_string(kf, path, group, "pwm", &pwm, error) ||
      !sc_keyfile_get_uint(kf, path, group, "period-us", 10, 1000000, &period_us, error))
    return FALSE;
  if (pwm == NULL)
    return TRUE;
  const char *colon = strchr(pwm, ':');
  guint64 channel = 0;
  if (colon == NULL || colon == pwm ||
      !g_ascii_string_to_unsigned(colon + 1, 10, 0, 63, &channel, NULL)) {
    sc_keyfile_value_error(error, path, group, "pwm", "'%s' is not CHIP:CHANNEL (pwmchip0:0)", pwm);
    return FALSE;
  }
  l->pwm_chip = g_strndup(pwm, colon - pwm);
  l->pwm_channel = (guint)channel;
  l->period_ns = period_us * 1000;
  return TRUE;
}

static gboolean
read_pin_light(GKeyFile *kf, const char *path, const char *group, ScStudioConfig *c, GError **error)
{
  const char *name = sc_keyfile_group_name(path, group, 32, error);
  if (name == NULL)
    return FALSE;
  ScStudioLight *l = g_new0(ScStudioLight, 1);
  l->name = g_strdup(name);
  g_ptr_array_add(c->lights, l);
  guint line = G_MAXUINT;
  if (!read_line(kf, path, group, 1023, &line, &l->active_low, error) ||
      !read_pwm(kf, path, group, l, error))
    return FALSE;
  l->line = line == G_MAXUINT ? -1 : (gint)line;
  if ((l->line < 0) == (l->pwm_chip == NULL)) {
    sc_keyfile_value_error(error, path, group, "line",
                           "a light is either a relay (line = N) or dimmed (pwm = CHIP:CHANNEL)");
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_pin_button(GKeyFile *kf, const char *path, const char *group, ScStudioConfig *c,
                GError **error)
{
  const char *name = sc_keyfile_group_name(path, group, 32, error);
  if (name == NULL)
    return FALSE;
  ScStudioButton *b = g_new0(ScStudioButton, 1);
  b->name = g_strdup(name);
  b->key = -1;
  b->timing = (ScButtonTiming){DEFAULT_DEBOUNCE_MS, DEFAULT_LONG_PRESS_MS};
  g_ptr_array_add(c->buttons, b);
  if (!read_line(kf, path, group, 1023, &b->line, &b->active_low, error))
    return FALSE;
  if (b->line == G_MAXUINT) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_MISSING,
                "%s: [%s] line: required: the GPIO line the button is wired to", path, group);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_pin_lamp(GKeyFile *kf, const char *path, const char *group, ScStudioConfig *c, GError **error)
{
  const char *colour = group + strlen("lamp ");
  for (guint i = 0; i < SC_N_LAMPS; i++) {
    if (!g_str_equal(colour, lamp_names[i]))
      continue;
    guint line = G_MAXUINT;
    if (!read_line(kf, path, group, 1023, &line, &c->lamp_active_low[i], error))
      return FALSE;
    c->lamp_line[i] = line == G_MAXUINT ? -1 : (gint)line;
    return TRUE;
  }
  g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_UNKNOWN,
              "%s: [%s]: unknown lamp colour '%s' (lamps: red, green, amber)", path, group, colour);
  return FALSE;
}

static gboolean
read_pins_gpio(GKeyFile *kf, const char *path, ScStudioConfig *c, GError **error)
{
  if (!sc_keyfile_get_string(kf, path, "gpio", "chip", &c->chip, error) ||
      !sc_keyfile_get_uint(kf, path, "gpio", "lines", 1, 1024, &c->sim_lines, error))
    return FALSE;
  if (c->chip && g_str_equal(c->chip, "none"))
    g_clear_pointer(&c->chip, g_free);
  return TRUE;
}

static gboolean
read_pins(const char *pins_path, ScStudioConfig *c, GError **error)
{
  g_autoptr(GKeyFile) kf = sc_keyfile_load(pins_path, error);
  if (kf == NULL || !sc_keyfile_check(kf, pins_path, pin_schema, G_N_ELEMENTS(pin_schema), error) ||
      !read_pins_gpio(kf, pins_path, c, error))
    return FALSE;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    gboolean ok = TRUE;
    if (g_str_has_prefix(*g, "button "))
      ok = read_pin_button(kf, pins_path, *g, c, error);
    else if (g_str_has_prefix(*g, "lamp "))
      ok = read_pin_lamp(kf, pins_path, *g, c, error);
    else if (g_str_has_prefix(*g, "light "))
      ok = read_pin_light(kf, pins_path, *g, c, error);
    if (!ok)
      return FALSE;
  }
  gboolean wired = c->buttons->len || c->lights->len || c->lamp_line[0] >= 0 ||
                   c->lamp_line[1] >= 0 || c->lamp_line[2] >= 0;
  if (wired && c->chip == NULL) {
    sc_keyfile_value_error(error, pins_path, "gpio", "chip",
                           "lines are wired but no chip is named (chip = gpiochip0, or sim)");
    return FALSE;
  }
  return TRUE;
}

/* ---- the config's groups ---- */

static gboolean
read_scene(GKeyFile *kf, const char *path, const char *group, ScStudioConfig *c, GError **error)
{
  const char *name = sc_keyfile_group_name(path, group, 32, error);
  if (name == NULL)
    return FALSE;
  ScStudioScene *s = g_new0(ScStudioScene, 1);
  s->name = g_strdup(name);
  s->levels = g_new(gint, MAX(c->lights->len, 1));
  for (guint i = 0; i < c->lights->len; i++)
    s->levels[i] = -1;
  g_ptr_array_add(c->scenes, s);
  g_auto(GStrv) items = g_key_file_get_string_list(kf, group, "lights", NULL, NULL);
  for (char **it = items; it && *it; it++) {
    g_auto(GStrv) kv = g_strsplit(g_strstrip(*it), ":", 2);
    gint light = kv[0] ? find_named(c->lights, kv[0]) : -1;
    guint64 level = 0;
    gboolean named = kv[1] && (g_str_equal(kv[1], "on") || g_str_equal(kv[1], "off"));
    if (light < 0 || kv[1] == NULL ||
        !(named || g_ascii_string_to_unsigned(kv[1], 10, 0, 100, &level, NULL))) {
      sc_keyfile_value_error(error, path, group, "lights",
                             "'%s' is not LIGHT:LEVEL with a light of the board's pin map and a "
                             "level 0..100, on or off",
                             *it);
      return FALSE;
    }
    s->levels[light] = named ? (g_str_equal(kv[1], "on") ? 100 : 0) : (gint)level;
  }
  s->on_show = g_key_file_get_string_list(kf, group, "on", NULL, NULL);
  for (char **w = s->on_show; w && *w; w++) {
    g_strstrip(*w);
    if (!g_strv_contains(show_changes, *w)) {
      g_autofree char *list = g_strjoinv(", ", (char **)show_changes);
      sc_keyfile_value_error(error, path, group, "on", "unknown show change '%s' (changes: %s)", *w,
                             list);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
read_keypad(GKeyFile *kf, const char *path, const char *group, ScStudioConfig *c, GError **error)
{
  const char *name = sc_keyfile_group_name(path, group, 32, error);
  if (name == NULL)
    return FALSE;
  ScStudioKeypad *k = g_new0(ScStudioKeypad, 1);
  k->name = g_strdup(name);
  g_ptr_array_add(c->keypads, k);
  if (!sc_keyfile_require_string(kf, path, group, "device", &k->device, error))
    return FALSE;
  if (!g_path_is_absolute(k->device)) {
    sc_keyfile_value_error(error, path, group, "device",
                           "'%s' is not a device path (/dev/input/by-id/...-event-kbd)", k->device);
    return FALSE;
  }
  return TRUE;
}

/* [button NAME] of the config: a board button, or KEYPAD:KEY. */
static ScStudioButton *
find_button(const char *path, const char *group, ScStudioConfig *c, GError **error)
{
  const char *name = group + strlen("button ");
  gint i = find_named(c->buttons, name);
  if (i >= 0)
    return g_ptr_array_index(c->buttons, i);
  const char *colon = strchr(name, ':');
  g_autofree char *keypad = colon ? g_strndup(name, colon - name) : NULL;
  if (colon == NULL || find_named(c->keypads, keypad) < 0) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_UNKNOWN,
                "%s: [%s]: no button '%s': name one of the board's buttons (%s) or a key of a "
                "keypad as KEYPAD:KEY ([keypad NAME] defines the keypad)",
                path, group, name, c->pins_path ? c->pins_path : "the board has no pin map");
    return NULL;
  }
  g_autoptr(GError) key_error = NULL;
  int key = sc_evdev_key_code(colon + 1, &key_error);
  if (key < 0) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_UNKNOWN, "%s: [%s]: %s", path, group,
                key_error->message);
    return NULL;
  }
  ScStudioButton *b = g_new0(ScStudioButton, 1);
  b->name = g_strdup(name);
  b->keypad = g_steal_pointer(&keypad);
  b->key = key;
  b->timing = (ScButtonTiming){0, DEFAULT_LONG_PRESS_MS}; /* keyboards debounce themselves */
  g_ptr_array_add(c->buttons, b);
  return b;
}

static gboolean
read_action(GKeyFile *kf, const char *path, const char *group, const char *key,
            const ScStudioConfig *c, ScActionSpec *spec, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) parse_error = NULL;
  if (!sc_keyfile_get_string(kf, path, group, key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  g_free(spec->scene);
  if (!sc_action_parse(text, c, spec, &parse_error)) {
    sc_keyfile_value_error(error, path, group, key, "%s", parse_error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_button_actions(const char *path, const char *group, const ScStudioButton *b, GError **error)
{
  if (b->on_short.action == SC_ACTION_LIVE || b->on_held.action == SC_ACTION_LIVE) {
    sc_keyfile_value_error(error, path, group, b->on_short.action ? "short" : "held",
                           "going live and ending the show take a long press (long = live), so "
                           "a brush of the button cannot do it");
    return FALSE;
  }
  ScAction held = b->on_held.action;
  if (held != SC_ACTION_NONE && held != SC_ACTION_MIC_MUTE && held != SC_ACTION_CLOSEUP) {
    sc_keyfile_value_error(error, path, group, "held",
                           "'%s' cannot last while the button is held: held is for mic-mute or "
                           "closeup",
                           sc_action_name(held));
    return FALSE;
  }
  if (held != SC_ACTION_NONE && (b->on_short.action || b->on_long.action)) {
    sc_keyfile_value_error(error, path, group, "held",
                           "a button that acts while held has no short or long action");
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_button(GKeyFile *kf, const char *path, const char *group, ScStudioConfig *c, GError **error)
{
  ScStudioButton *b = find_button(path, group, c, error);
  return b && read_action(kf, path, group, "short", c, &b->on_short, error) &&
         read_action(kf, path, group, "long", c, &b->on_long, error) &&
         read_action(kf, path, group, "held", c, &b->on_held, error) &&
         sc_keyfile_get_uint(kf, path, group, "debounce-ms", 0, 200, &b->timing.debounce_ms,
                             error) &&
         sc_keyfile_get_uint(kf, path, group, "long-press-ms", 300, 10000, &b->timing.long_press_ms,
                             error) &&
         check_button_actions(path, group, b, error);
}

static void
apply_default_buttons(ScStudioConfig *c)
{
  static const struct {
    const char *name;
    ScAction on_short, on_long;
  } defaults[] = {
      {"1", SC_ACTION_NONE, SC_ACTION_LIVE},
      {"2", SC_ACTION_NEXT_PRODUCT, SC_ACTION_NONE},
      {"3", SC_ACTION_FLASH_SALE, SC_ACTION_NONE},
      {"4", SC_ACTION_COUPON, SC_ACTION_NONE},
  };
  for (guint i = 0; i < G_N_ELEMENTS(defaults); i++) {
    gint at = find_named(c->buttons, defaults[i].name);
    if (at < 0)
      continue;
    ScStudioButton *b = g_ptr_array_index(c->buttons, at);
    b->on_short.action = defaults[i].on_short;
    b->on_long.action = defaults[i].on_long;
  }
}

typedef gboolean (*GroupReader)(GKeyFile *kf, const char *path, const char *group,
                                ScStudioConfig *c, GError **error);

static gboolean
read_groups(GKeyFile *kf, const char *path, const char *prefix, GroupReader reader,
            ScStudioConfig *c, guint *count, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  *count = 0;
  for (char **g = groups; *g; g++) {
    if (!g_str_has_prefix(*g, prefix))
      continue;
    (*count)++;
    if (!reader(kf, path, *g, c, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
read_studio(GKeyFile *kf, const char *path, ScStudioConfig *c, GError **error)
{
  if (!sc_keyfile_get_string(kf, path, "studio", "scene", &c->start_scene, error))
    return FALSE;
  if (c->start_scene && find_named(c->scenes, c->start_scene) < 0) {
    sc_keyfile_value_error(error, path, "studio", "scene", "no [scene %s] in the config",
                           c->start_scene);
    return FALSE;
  }
  return TRUE;
}

ScStudioConfig *
sc_studio_config_load(GKeyFile *kf, const char *path, const char *pins_path, GError **error)
{
  g_autoptr(ScStudioConfig) c = g_new0(ScStudioConfig, 1);
  c->buttons = g_ptr_array_new_with_free_func(button_free);
  c->keypads = g_ptr_array_new_with_free_func(keypad_free);
  c->lights = g_ptr_array_new_with_free_func(light_free);
  c->scenes = g_ptr_array_new_with_free_func(scene_free);
  for (guint i = 0; i < SC_N_LAMPS; i++)
    c->lamp_line[i] = -1;
  if (pins_path && g_file_test(pins_path, G_FILE_TEST_EXISTS)) {
    c->pins_path = g_strdup(pins_path);
    if (!read_pins(pins_path, c, error))
      return NULL;
  }
  guint n = 0, buttons = 0;
  if (!read_groups(kf, path, "scene ", read_scene, c, &n, error) ||
      !read_groups(kf, path, "keypad ", read_keypad, c, &n, error) ||
      !read_groups(kf, path, "button ", read_button, c, &buttons, error) ||
      !read_studio(kf, path, c, error))
    return NULL;
  if (buttons == 0)
    apply_default_buttons(c);
  return g_steal_pointer(&c);
}
