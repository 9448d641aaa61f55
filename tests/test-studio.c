/* The studio's hardware: button debounce and presses on made-up times, the
 * tally table, and the studio on the simulated GPIO chip (buttons mapped to
 * actions, lamps following the state, lighting scenes on relays and on a PWM
 * channel laid out like sysfs); a keypad through uinput where the kernel has it. */
#include "drivers/button.h"
#include "drivers/evdev.h"
#include "firmware/keyfile.h"
#include "firmware/studio.h"

#include <fcntl.h>
#include <linux/uinput.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MS 1000 /* microseconds */

/* ---- the button logic ---- */

typedef struct {
  GString *seen; /* "press@30 short@130 release@130" */
} Events;

static void
record(ScButton *b, ScButtonEvent e, gint64 at, gpointer data)
{
  (void)b;
  Events *ev = data;
  g_string_append_printf(ev->seen, "%s%s@%" G_GINT64_FORMAT, ev->seen->len ? " " : "",
                         sc_button_event_name(e), at / MS);
}

static void
test_debounce_bounces_and_glitches(void **state)
{
  (void)state;
  Events ev = {g_string_new(NULL)};
  ScButtonTiming t = {30, 1000};
  g_autoptr(ScButton) b = sc_button_new(&t, record, &ev);
  /* a glitch of 10 ms: nothing */
  sc_button_edge(b, TRUE, 0);
  sc_button_edge(b, FALSE, 10 * MS);
  sc_button_tick(b, 200 * MS);
  assert_string_equal(ev.seen->str, "");
  /* contact bounce on the way down, then a clean press held 300 ms */
  sc_button_edge(b, TRUE, 1000 * MS);
  sc_button_edge(b, FALSE, 1002 * MS);
  sc_button_edge(b, TRUE, 1005 * MS);
  assert_int_equal(sc_button_deadline(b), 1035 * MS);
  sc_button_tick(b, 1034 * MS);
  assert_string_equal(ev.seen->str, "");
  sc_button_tick(b, 1035 * MS);
  assert_string_equal(ev.seen->str, "press@1035");
  sc_button_edge(b, FALSE, 1305 * MS);
  sc_button_edge(b, TRUE, 1307 * MS); /* bounce on release */
  sc_button_edge(b, FALSE, 1309 * MS);
  sc_button_tick(b, 1400 * MS);
  assert_string_equal(ev.seen->str, "press@1035 short@1339 release@1339");
  assert_false(sc_button_is_down(b));
  g_string_free(ev.seen, TRUE);
}

static void
test_long_press_reported_while_held(void **state)
{
  (void)state;
  Events ev = {g_string_new(NULL)};
  ScButtonTiming t = {20, 1500};
  g_autoptr(ScButton) b = sc_button_new(&t, record, &ev);
  sc_button_edge(b, TRUE, 0);
  sc_button_tick(b, 20 * MS);
  assert_int_equal(sc_button_deadline(b), 1520 * MS);
  sc_button_tick(b, 1519 * MS);
  assert_string_equal(ev.seen->str, "press@20");
  sc_button_tick(b, 1600 * MS);
  assert_string_equal(ev.seen->str, "press@20 long@1520");
  assert_int_equal(sc_button_deadline(b), -1); /* one long press per press */
  /* released late, with the ticks missed: still in time order, no short */
  sc_button_edge(b, FALSE, 5000 * MS);
  sc_button_tick(b, 9000 * MS);
  assert_string_equal(ev.seen->str, "press@20 long@1520 release@5020");
  g_string_free(ev.seen, TRUE);
}

static void
test_late_ticks_keep_time_order(void **state)
{
  (void)state;
  Events ev = {g_string_new(NULL)};
  ScButtonTiming t = {0, 500};
  g_autoptr(ScButton) b = sc_button_new(&t, record, &ev);
  sc_button_edge(b, TRUE, 100 * MS); /* no debounce: at once */
  assert_string_equal(ev.seen->str, "press@100");
  /* the release edge arrives after the long-press time with no tick between */
  sc_button_edge(b, FALSE, 700 * MS);
  assert_string_equal(ev.seen->str, "press@100 long@600 release@700");
  g_string_free(ev.seen, TRUE);
}

/* ---- the tally table ---- */

static void
test_tally_table(void **state)
{
  (void)state;
  static const struct {
    ScTallyState s;
    ScTallyLamps lamps;
    const char *words;
  } rows[] = {
      {{FALSE, FALSE, FALSE, FALSE, FALSE},
       {SC_TALLY_OFF, SC_TALLY_OFF, SC_TALLY_OFF},
       "not ready"},
      {{TRUE, FALSE, FALSE, FALSE, FALSE}, {SC_TALLY_OFF, SC_TALLY_ON, SC_TALLY_OFF}, "ready"},
      {{TRUE, FALSE, FALSE, TRUE, FALSE}, {SC_TALLY_OFF, SC_TALLY_ON, SC_TALLY_ON}, "ready"},
      {{TRUE, TRUE, FALSE, FALSE, FALSE}, {SC_TALLY_ON, SC_TALLY_OFF, SC_TALLY_OFF}, "on air"},
      {{TRUE, TRUE, TRUE, FALSE, FALSE},
       {SC_TALLY_BLINK, SC_TALLY_OFF, SC_TALLY_OFF},
       "on air, degraded"},
      {{FALSE, TRUE, FALSE, FALSE, FALSE},
       {SC_TALLY_BLINK, SC_TALLY_OFF, SC_TALLY_OFF},
       "on air, degraded"},
      {{TRUE, TRUE, FALSE, FALSE, TRUE}, {SC_TALLY_ON, SC_TALLY_OFF, SC_TALLY_ON}, "on air"},
      /* the opening card while live is no pre-show */
      {{TRUE, TRUE, FALSE, TRUE, FALSE}, {SC_TALLY_ON, SC_TALLY_OFF, SC_TALLY_OFF}, "on air"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
    ScTallyLamps l = sc_tally_lamps(&rows[i].s);
    assert_int_equal(l.red, rows[i].lamps.red);
    assert_int_equal(l.green, rows[i].lamps.green);
    assert_int_equal(l.amber, rows[i].lamps.amber);
    assert_string_equal(sc_tally_describe(&rows[i].s), rows[i].words);
  }
}

/* ---- the studio on the simulated chip ---- */

static const char pins_ini[] =
    "[gpio]\nchip = sim\n"
    "[button 1]\nline = 0\nactive-low = true\n"
    "[button 2]\nline = 1\nactive-low = true\n"
    "[button 3]\nline = 2\n"
    "[lamp red]\nline = 8\n[lamp green]\nline = 9\n[lamp amber]\nline = 10\n"
    "[light key]\nline = 16\n"
    "[light fill]\npwm = pwmchip0:0\nperiod-us = 1000\n";

typedef struct {
  char *dir;
  char *pins;
  char *pwm_dir;
  GString *actions; /* "live next-product mic-mute(off)" */
  ScTallyState tally;
} Studio;

static void
write_file(const char *path, const char *text)
{
  g_autoptr(GError) error = NULL;
  assert_true(g_file_set_contents(path, text, -1, &error));
}

static int
studio_setup(void **state)
{
  Studio *s = g_new0(Studio, 1);
  s->dir = g_dir_make_tmp("shopcast-studio-XXXXXX", NULL);
  s->pins = g_build_filename(s->dir, "pins.ini", NULL);
  write_file(s->pins, pins_ini);
  /* a PWM channel laid out like sysfs, already exported */
  s->pwm_dir = g_build_filename(s->dir, "pwm", "pwmchip0", "pwm0", NULL);
  g_mkdir_with_parents(s->pwm_dir, 0755);
  const char *attrs[] = {"period", "duty_cycle", "enable"};
  for (guint i = 0; i < G_N_ELEMENTS(attrs); i++) {
    g_autofree char *p = g_build_filename(s->pwm_dir, attrs[i], NULL);
    write_file(p, "0\n");
  }
  g_autofree char *root = g_build_filename(s->dir, "pwm", NULL);
  g_setenv("SHOPCAST_PWM_ROOT", root, TRUE);
  s->actions = g_string_new(NULL);
  *state = s;
  return 0;
}

static int
studio_teardown(void **state)
{
  Studio *s = *state;
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", s->dir);
  assert_int_equal(system(cmd), 0);
  g_free(s->dir);
  g_free(s->pins);
  g_free(s->pwm_dir);
  g_string_free(s->actions, TRUE);
  g_free(s);
  g_unsetenv("SHOPCAST_PWM_ROOT");
  return 0;
}

static ScStudioConfig *
load(Studio *s, const char *config_text, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  assert_true(g_key_file_load_from_data(kf, config_text, -1, G_KEY_FILE_NONE, NULL));
  return sc_studio_config_load(kf, "shopcast.ini", s->pins, error);
}

static void
on_action(const ScActionSpec *action, gboolean held, gboolean on, const char *source, gpointer data)
{
  (void)source;
  assert_true(on || held); /* only a held action is let go */
  Studio *s = data;
  g_autofree char *what = sc_action_spec_describe(action);
  g_string_append_printf(s->actions, "%s%s%s", s->actions->len ? " " : "", what, on ? "" : "(off)");
}

static void
get_state(ScTallyState *state, gpointer data)
{
  *state = ((Studio *)data)->tally;
}

/* Runs the main loop for @ms. */
static void
run_for(guint ms)
{
  gint64 end = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < end)
    g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
}

/* A finger on the simulated chip: the press with contact bounce, held @hold_ms. */
static void
press(ScStudio *studio, guint line, guint hold_ms)
{
  ScGpio *gpio = sc_studio_get_gpio(studio);
  gint64 t = g_get_monotonic_time();
  sc_gpio_sim_set_input(gpio, line, TRUE, t);
  sc_gpio_sim_set_input(gpio, line, FALSE, t + 1000);
  sc_gpio_sim_set_input(gpio, line, TRUE, t + 2000);
  run_for(hold_ms);
  sc_gpio_sim_set_input(gpio, line, FALSE, g_get_monotonic_time());
  run_for(100);
}

static gboolean
line_value(ScStudio *studio, guint line)
{
  gboolean v = FALSE;
  assert_true(sc_gpio_get(sc_studio_get_gpio(studio), line, &v, NULL));
  return v;
}

static void
test_default_buttons_and_long_press_live(void **state)
{
  Studio *s = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStudioConfig) c = load(s, "[box]\n", &error);
  assert_non_null(c);
  g_autoptr(ScStudio) studio = sc_studio_new(c, on_action, get_state, s);
  press(studio, 1, 80); /* button 2: next product, on the press */
  assert_string_equal(s->actions->str, "next-product");
  press(studio, 0, 200); /* button 1, short: going live needs a long press */
  assert_string_equal(s->actions->str, "next-product");
  press(studio, 0, 1200);
  assert_string_equal(s->actions->str, "next-product live");
  press(studio, 2, 80); /* button 3: flash sale */
  assert_string_equal(s->actions->str, "next-product live flash-sale");
  g_autofree char *json = sc_studio_status_json(studio);
  assert_non_null(strstr(json, "\"press_to_action_us\":{\"count\":3"));
}

static void
test_configured_buttons_held_and_scenes(void **state)
{
  Studio *s = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStudioConfig) c = load(s,
                                     "[button 2]\nheld = mic-mute\n"
                                     "[button 3]\nshort = scene:closeup\nlong = scene:wide\n"
                                     "[scene closeup]\nlights = key:on; fill:40\n"
                                     "[scene wide]\nlights = key:off; fill:100\non = product\n"
                                     "[studio]\nscene = wide\n",
                                     &error);
  assert_non_null(c);
  g_autoptr(ScStudio) studio = sc_studio_new(c, on_action, get_state, s);
  g_autofree char *duty = g_build_filename(s->pwm_dir, "duty_cycle", NULL);
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(duty, &text, NULL, NULL));
  assert_string_equal(text, "1000000\n"); /* wide: fill at 100 % of 1 ms */
  assert_false(line_value(studio, 16));
  press(studio, 1, 100);
  assert_string_equal(s->actions->str, "mic-mute mic-mute(off)");
  g_string_truncate(s->actions, 0);
  press(studio, 2, 100); /* short: reported on release, since the button has a long action */
  assert_string_equal(s->actions->str, "scene:closeup");
  /* the owner carries out scene actions; here the test does */
  assert_true(sc_studio_set_scene(studio, "closeup", &error));
  g_clear_pointer(&text, g_free);
  assert_true(g_file_get_contents(duty, &text, NULL, NULL));
  assert_string_equal(text, "400000\n");
  assert_true(line_value(studio, 16));
  sc_studio_show_changed(studio, "product");
  assert_false(line_value(studio, 16));
  assert_false(sc_studio_set_scene(studio, "nope", &error));
}

static void
test_lamps_follow_state_and_blink(void **state)
{
  Studio *s = *state;
  g_autoptr(ScStudioConfig) c = load(s, "[box]\n", NULL);
  g_autoptr(ScStudio) studio = sc_studio_new(c, on_action, get_state, s);
  assert_false(line_value(studio, 8) || line_value(studio, 9)); /* not ready: dark */
  s->tally = (ScTallyState){.ready = TRUE};
  sc_studio_update(studio);
  assert_true(line_value(studio, 9));
  assert_false(line_value(studio, 8));
  s->tally.live = TRUE;
  sc_studio_update(studio);
  assert_true(line_value(studio, 8));
  assert_false(line_value(studio, 9));
  guint before = sc_gpio_sim_output_changes(sc_studio_get_gpio(studio), 8);
  run_for(1100); /* steady red: no change */
  assert_int_equal(sc_gpio_sim_output_changes(sc_studio_get_gpio(studio), 8), before);
  s->tally.degraded = TRUE;
  run_for(1100); /* blinking at 2 Hz: about 4 changes a second */
  guint changes = sc_gpio_sim_output_changes(sc_studio_get_gpio(studio), 8) - before;
  assert_in_range(changes, 3, 6);
  assert_int_equal(sc_studio_get_lamps(studio).red, SC_TALLY_BLINK);
}

static void
expect_config_error(Studio *s, const char *text, const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScStudioConfig) c = load(s, text, &error);
  assert_null(c);
  if (strstr(error->message, words) == NULL)
    fail_msg("'%s' lacks '%s'", error->message, words);
}

static void
test_config_errors(void **state)
{
  Studio *s = *state;
  expect_config_error(s, "[button 1]\nshort = live\n", "long press");
  expect_config_error(s, "[button 1]\nshort = dance\n", "unknown action 'dance'");
  expect_config_error(s, "[button 9]\nshort = coupon\n", "no button '9'");
  expect_config_error(s, "[button 1]\nheld = coupon\n", "held is for mic-mute or closeup");
  expect_config_error(s, "[button 1]\nshort = scene:dark\n", "no lighting scene 'dark'");
  expect_config_error(s, "[scene a]\nlights = spot:50\n", "[scene a] lights");
  expect_config_error(s, "[scene a]\nlights = key:150\n", "level 0..100");
  expect_config_error(s, "[scene a]\non = dinner\n", "unknown show change 'dinner'");
  expect_config_error(s,
                      "[keypad pedal]\ndevice = /dev/input/event0\n[button pedal:KEY_NOPE]\n"
                      "short = coupon\n",
                      "unknown key 'KEY_NOPE'");
  expect_config_error(s, "[studio]\nscene = none\n", "no [scene none]");
  expect_config_error(s, "[scene key:light]\nlights = key:on\n", "a scene's name may hold only");
  expect_config_error(s, "[keypad a b]\ndevice = /dev/input/event0\n", "a keypad's name");
  write_file(s->pins, "[gpio]\nchip = sim\n[lamp purple]\nline = 1\n");
  expect_config_error(s, "[box]\n", "unknown lamp colour 'purple'");
  write_file(s->pins, "[button 1]\nline = 1\n");
  expect_config_error(s, "[box]\n", "no chip is named");
  write_file(s->pins, "[gpio]\nchip = sim\n[light x]\nline = 1\npwm = pwmchip0:0\n");
  expect_config_error(s, "[box]\n", "either a relay");
}

/* ---- a keypad through uinput ---- */

typedef struct {
  GString *keys;
} Keys;

static void
on_key(ScEvdev *dev, int code, gboolean down, gint64 at, gpointer data)
{
  (void)dev;
  Keys *k = data;
  assert_true(ABS(g_get_monotonic_time() - at) < G_USEC_PER_SEC); /* the monotonic clock */
  g_string_append_printf(k->keys, "%s%s:%s", k->keys->len ? " " : "", sc_evdev_key_name(code),
                         down ? "down" : "up");
}

static void
emit(int fd, int type, int code, int value)
{
  struct input_event ev = {.type = type, .code = code, .value = value};
  assert_int_equal(write(fd, &ev, sizeof ev), sizeof ev);
}

static void
test_keypad_through_uinput(void **state)
{
  (void)state;
  int fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    print_message("skipped: /dev/uinput: %s (the kernel has no uinput here; the keypad path "
                  "runs where it has)\n",
                  g_strerror(errno));
    skip();
  }
  assert_int_equal(ioctl(fd, UI_SET_EVBIT, EV_KEY), 0);
  assert_int_equal(ioctl(fd, UI_SET_KEYBIT, KEY_PAGEDOWN), 0);
  struct uinput_setup setup = {.id = {.bustype = BUS_USB, .vendor = 0x1234, .product = 0x5678}};
  g_strlcpy(setup.name, "shopcast test pedal", sizeof setup.name);
  assert_int_equal(ioctl(fd, UI_DEV_SETUP, &setup), 0);
  assert_int_equal(ioctl(fd, UI_DEV_CREATE), 0);
  char sysname[64] = "";
  assert_int_equal(ioctl(fd, UI_GET_SYSNAME(sizeof sysname), sysname), 0);
  g_autofree char *sysdir = g_strdup_printf("/sys/devices/virtual/input/%s", sysname);
  g_autofree char *node = NULL;
  for (guint i = 0; i < 100 && node == NULL; i++, g_usleep(10000)) {
    g_autoptr(GDir) dir = g_dir_open(sysdir, 0, NULL);
    for (const char *e; dir && (e = g_dir_read_name(dir));)
      if (g_str_has_prefix(e, "event"))
        node = g_strdup_printf("/dev/input/%s", e);
    if (node && !g_file_test(node, G_FILE_TEST_EXISTS))
      g_clear_pointer(&node, g_free);
  }
  assert_non_null(node);
  Keys k = {g_string_new(NULL)};
  g_autoptr(GError) error = NULL;
  ScEvdev *dev = sc_evdev_open(node, on_key, &k, &error);
  assert_non_null(dev);
  emit(fd, EV_KEY, KEY_PAGEDOWN, 1);
  emit(fd, EV_SYN, SYN_REPORT, 0);
  emit(fd, EV_KEY, KEY_PAGEDOWN, 2); /* auto-repeat: ignored */
  emit(fd, EV_SYN, SYN_REPORT, 0);
  emit(fd, EV_KEY, KEY_PAGEDOWN, 0);
  emit(fd, EV_SYN, SYN_REPORT, 0);
  run_for(300);
  assert_string_equal(k.keys->str, "KEY_PAGEDOWN:down KEY_PAGEDOWN:up");
  sc_evdev_free(dev);
  ioctl(fd, UI_DEV_DESTROY);
  close(fd);
  g_string_free(k.keys, TRUE);
}

static void
test_key_names(void **state)
{
  (void)state;
  assert_int_equal(sc_evdev_key_code("KEY_PAGEDOWN", NULL), KEY_PAGEDOWN);
  assert_int_equal(sc_evdev_key_code("BTN_0", NULL), BTN_0);
  assert_int_equal(sc_evdev_key_code("183", NULL), 183);
  g_autoptr(GError) error = NULL;
  assert_int_equal(sc_evdev_key_code("KEY_PAGEDOWNN", &error), -1);
  assert_non_null(strstr(error->message, "evtest"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_debounce_bounces_and_glitches),
      cmocka_unit_test(test_long_press_reported_while_held),
      cmocka_unit_test(test_late_ticks_keep_time_order),
      cmocka_unit_test(test_tally_table),
      cmocka_unit_test_setup_teardown(test_default_buttons_and_long_press_live, studio_setup,
                                      studio_teardown),
      cmocka_unit_test_setup_teardown(test_configured_buttons_held_and_scenes, studio_setup,
                                      studio_teardown),
      cmocka_unit_test_setup_teardown(test_lamps_follow_state_and_blink, studio_setup,
                                      studio_teardown),
      cmocka_unit_test_setup_teardown(test_config_errors, studio_setup, studio_teardown),
      cmocka_unit_test(test_key_names),
      cmocka_unit_test(test_keypad_through_uinput),
  };
  g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
  return cmocka_run_group_tests_name("studio", tests, NULL, NULL);
}
