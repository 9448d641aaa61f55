/* Tests for firmware/show-state.c: the show's state on disk, written after
 * every change and restored after an unclean stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/background-save.h"
#include "firmware/safe-file.h"
#include "firmware/show-state.h"
#include "tests/support/testutil.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
  GPtrArray *changes; /* "what detail" */
} Seen;

static void
on_change(ScShow *show, const char *what, const char *detail, gpointer data)
{
  g_ptr_array_add(((Seen *)data)->changes, g_strdup_printf("%s %s", what, detail));
}

/* The example show on the made-up clocks, reporting its changes to @seen. */
static ScShow *
example_show(Seen *seen)
{
  g_autofree char *path = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autoptr(GError) error = NULL;
  ScShowFile *file = sc_show_file_load(path, &error);
  g_assert_no_error(error);
  ScShow *show = sc_show_new(file, seen ? on_change : NULL, seen);
  sc_show_set_clock(show, sc_test_mono, sc_test_real);
  return show;
}

/* Runs a show action, then lets the minimum interval pass. */
#define ACT(call)                                                                                  \
  do {                                                                                             \
    g_autoptr(GError) act_error = NULL;                                                            \
    if (!(call))                                                                                   \
      fail_msg("%s: %s", #call, act_error->message);                                               \
    sc_test_advance_ms(600);                                                                       \
  } while (0)

static char *
state_path(void)
{
  return g_build_filename(sc_test_dir, "state.json", NULL);
}

/* A show in the middle of a flash sale, saved while live. */
/* Writes @text (taken) to @path as shopcastd does: replaced atomically. */
static void
write_state(const char *path, char *text)
{
  g_autofree char *owned = text;
  g_autoptr(GError) error = NULL;
  assert_true(sc_file_replace(path, owned, strlen(owned), 0600, &error));
  g_assert_no_error(error);
}

static void
save_busy_show(const char *path, gint64 *flash_end, gint64 *boots_end)
{
  g_autoptr(ScShow) show = example_show(NULL);
  ACT(sc_show_goto_product(show, "snow-boots", &act_error));
  ACT(sc_show_flash_start(show, &act_error));
  ACT(sc_show_goto_product(show, "down-jacket", &act_error));
  ACT(sc_show_flash_start(show, &act_error));
  ACT(sc_show_set_stock(show, 37, &act_error));
  ACT(sc_show_coupon(show, TRUE, &act_error));
  ACT(sc_show_correct_price(show, "189", &act_error));
  ACT(sc_show_lower_third(show, "小雅", "主播", &act_error));
  assert_true(sc_show_get_flash_end(show, "down-jacket", flash_end));
  assert_true(sc_show_get_flash_end(show, "snow-boots", boots_end));
  write_state(path, sc_show_state_to_json(show, TRUE));
}

static void
test_round_trip(void **state)
{
  g_autofree char *path = state_path();
  gint64 end = 0, boots_end = 0;
  save_busy_show(path, &end, &boots_end);
  sc_test_advance_ms(20 * 1000); /* the box was down 20 s */

  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowState) saved = sc_show_state_load(path, &error);
  g_assert_no_error(error);
  assert_true(sc_show_state_get_live(saved));
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(g_free);
  Seen seen = {changes}; /* freed after the show */
  g_autoptr(ScShow) show = example_show(&seen);
  assert_true(sc_show_state_restore(saved, show, &error));
  g_assert_no_error(error);

  const ScOnAir *air = sc_show_get_on_air(show);
  assert_non_null(air->product);
  assert_string_equal(air->product->id, "down-jacket");
  assert_true(air->flash_sale);
  assert_int_equal(air->flash_end_us, end); /* the same end: it carries on, not restarts */
  assert_true(air->stock);
  assert_int_equal(air->product->stock, 37);
  assert_true(air->coupon);
  assert_int_equal(air->corrected_price, 18900);
  assert_string_equal(air->lower_third_name, "小雅");
  assert_string_equal(air->lower_third_role, "主播");
  assert_false(air->opening);
  gint64 restored_boots = 0;
  assert_true(sc_show_get_flash_end(show, "snow-boots", &restored_boots));
  assert_int_equal(restored_boots, boots_end);
  /* every step was a change of the show (so it reaches the audit log) */
  g_autoptr(GString) all = g_string_new(NULL);
  for (guint i = 0; i < seen.changes->len; i++)
    g_string_append_printf(all, "%s\n", (char *)g_ptr_array_index(seen.changes, i));
  assert_non_null(strstr(all->str, "product {\"id\":\"down-jacket\""));
  assert_non_null(strstr(all->str, "flash-restore {\"id\":\"down-jacket\""));
  assert_non_null(strstr(all->str, "\"countdown\":\"on air\""));
  assert_non_null(strstr(all->str, "stock {\"id\":\"down-jacket\",\"stock\":\"37\"}"));
  assert_non_null(strstr(all->str, "price-correction"));
  /* an end fixed before the stop still cannot be started again */
  g_clear_error(&error);
  assert_false(sc_show_flash_start(show, &error));
  g_clear_error(&error);
  sc_test_advance_ms(600);
  ACT(sc_show_goto_product(show, "snow-boots", &act_error));
  assert_false(sc_show_flash_start(show, &error));
  assert_true(g_error_matches(error, SC_SHOW_ERROR, SC_SHOW_ERROR_RULE));

  g_autofree char *line = sc_show_state_describe(saved);
  assert_non_null(strstr(line, "live, product down-jacket, flash sale of"));
  assert_non_null(strstr(line, "stock 37 shown"));
}

/* A countdown whose end passed while the box was down is over: it is not
 * put back on air, and cannot be started again. */
static void
test_countdown_over(void **state)
{
  g_autofree char *path = state_path();
  gint64 end = 0, boots_end = 0;
  save_busy_show(path, &end, &boots_end);
  sc_test_advance_ms(301 * 1000); /* down-jacket's flash sale is 300 s */
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowState) saved = sc_show_state_load(path, &error);
  g_autoptr(ScShow) show = example_show(NULL);
  assert_true(sc_show_state_restore(saved, show, &error));
  const ScOnAir *air = sc_show_get_on_air(show);
  assert_string_equal(air->product->id, "down-jacket");
  assert_false(air->flash_sale);
  gint64 fixed = 0;
  assert_true(sc_show_get_flash_end(show, "down-jacket", &fixed));
  assert_int_equal(fixed, end);
  assert_false(sc_show_flash_start(show, &error));
  assert_true(g_error_matches(error, SC_SHOW_ERROR, SC_SHOW_ERROR_RULE));
}

/* A state not fit for this show changes nothing, and says why. */
static void
check_mismatch(const char *text, const char *why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowState) s = sc_show_state_parse("state.json", text, strlen(text), &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func(g_free);
  Seen seen = {changes}; /* freed after the show */
  g_autoptr(ScShow) show = example_show(&seen);
  assert_false(sc_show_state_restore(s, show, &error));
  assert_true(g_error_matches(error, SC_SHOW_STATE_ERROR, SC_SHOW_STATE_ERROR_MISMATCH));
  if (strstr(error->message, why) == NULL)
    fail_msg("\"%s\" does not say \"%s\"", error->message, why);
  assert_int_equal(seen.changes->len, 0); /* never a half restore */
  assert_null(sc_show_get_on_air(show)->product);
  gint64 end = 0;
  assert_false(sc_show_get_flash_end(show, "down-jacket", &end));
}

#define SHOW_STATE(product, flash, extra)                                                          \
  "{\"version\":1,\"live\":true,\"show\":{\"title\":\"t\",\"product\":" product                    \
  ",\"flash\":" flash ",\"flash_on_air\":true,\"coupon\":false,\"stock\":-1,"                      \
  "\"stock_on_air\":false,\"corrected_price_fen\":0,\"lower_third\":null,"                         \
  "\"opening\":false,\"closing\":false" extra "}}"

static void
test_other_run_of_show(void **state)
{
  gint64 soon = sc_test_real_us + 10 * G_USEC_PER_SEC;
  g_autofree char *flash_ok =
      g_strdup_printf("[{\"id\":\"down-jacket\",\"end_us\":%" G_GINT64_FORMAT "}]", soon);
  g_autofree char *flash_unknown =
      g_strdup_printf("[{\"id\":\"tea-set\",\"end_us\":%" G_GINT64_FORMAT "}]", soon);
  g_autofree char *flash_none =
      g_strdup_printf("[{\"id\":\"thermal-set\",\"end_us\":%" G_GINT64_FORMAT "}]", soon);
  g_autofree char *flash_far =
      g_strdup_printf("[{\"id\":\"down-jacket\",\"end_us\":%" G_GINT64_FORMAT "}]",
                      soon + (gint64)3600 * G_USEC_PER_SEC);
  g_autofree char *unknown = g_strdup_printf(SHOW_STATE("\"tea-set\"", "%s", ""), flash_ok);
  check_mismatch(unknown, "no product 'tea-set' in the show");
  /* a valid product first, a bad step after: still nothing */
  g_autofree char *late = g_strdup_printf(SHOW_STATE("\"down-jacket\"", "%s", ""), flash_unknown);
  check_mismatch(late, "no product 'tea-set'");
  g_autofree char *no_sale = g_strdup_printf(SHOW_STATE("\"down-jacket\"", "%s", ""), flash_none);
  check_mismatch(no_sale, "thermal-set has no flash sale");
  g_autofree char *far = g_strdup_printf(SHOW_STATE("\"down-jacket\"", "%s", ""), flash_far);
  check_mismatch(far, "cannot end further away than its 300 s");
  /* a price correction the show's rules refuse (above the original price) */
  g_autofree char *price = g_strdup_printf(SHOW_STATE("\"down-jacket\"", "%s", ""), flash_ok);
  char *at = strstr(price, "\"corrected_price_fen\":0");
  g_autofree char *bad_price =
      g_strdup_printf("%.*s\"corrected_price_fen\":50000%s", (int)(at - price), price,
                      at + strlen("\"corrected_price_fen\":0"));
  check_mismatch(bad_price, "not below the struck-through original price");
}

static void
test_corrupt(void **state)
{
  static const struct {
    const char *text, *why;
  } bad[] = {
      {"", "not a show state"},
      {"{\"version\":1,\"live\":tr", "not a show state"},
      {"[1,2]", "not a JSON object"},
      {"{\"version\":2,\"live\":true}", "no \"version\": 1"},
      {"{\"version\":1,\"live\":\"yes\"}", "\"live\" is neither true nor false"},
      {"{\"version\":1,\"live\":true,\"show\":7}", "\"show\""},
      {SHOW_STATE("\"down-jacket\"", "{}", ""), "\"flash\" is not a list"},
      {SHOW_STATE("\"down-jacket\"", "[{\"id\":\"down-jacket\"}]", ""), "without its product id"},
      {SHOW_STATE("3", "[]", ""), "\"product\""},
  };
  g_autofree char *path = state_path();
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *file = sc_test_write_file(sc_test_dir, "state.json", bad[i].text);
    g_autoptr(ScShowState) s = sc_show_state_load(path, &error);
    assert_null(s);
    assert_true(g_error_matches(error, SC_SHOW_STATE_ERROR, SC_SHOW_STATE_ERROR_CORRUPT));
    if (strstr(error->message, bad[i].why) == NULL || strstr(error->message, path) == NULL)
      fail_msg("%s: \"%s\" does not say \"%s\" and name the file", bad[i].text, error->message,
               bad[i].why);
  }
  /* too large to be one */
  g_autofree char *big = g_strnfill(70 * 1024, ' ');
  g_autoptr(GError) error = NULL;
  assert_null(sc_show_state_parse(path, big, strlen(big), &error));
  assert_non_null(strstr(error->message, "larger than 64 KiB"));
  /* none yet: a first start */
  g_clear_error(&error);
  assert_int_equal(g_unlink(path), 0);
  assert_null(sc_show_state_load(path, &error));
  assert_true(g_error_matches(error, SC_SHOW_STATE_ERROR, SC_SHOW_STATE_ERROR_ABSENT));
}

/* A box without a run of show keeps only whether it was live; a clean stop
 * writes live = false. */
static void
test_no_show(void **state)
{
  g_autofree char *path = state_path();
  g_autoptr(GError) error = NULL;
  write_state(path, sc_show_state_to_json(NULL, TRUE));
  g_autoptr(ScShowState) live = sc_show_state_load(path, &error);
  g_assert_no_error(error);
  assert_true(sc_show_state_get_live(live));
  g_autoptr(ScShow) show = example_show(NULL);
  assert_true(sc_show_state_restore(live, show, &error));
  assert_null(sc_show_get_on_air(show)->product);
  write_state(path, sc_show_state_to_json(NULL, FALSE));
  g_autoptr(ScShowState) stopped = sc_show_state_load(path, &error);
  assert_false(sc_show_state_get_live(stopped));
}

/* Stopped cleanly before the state read at start was restored: it is kept,
 * no longer live. */
static void
test_stopped_before_restore(void **state)
{
  g_autofree char *path = state_path();
  gint64 end = 0, boots_end = 0;
  save_busy_show(path, &end, &boots_end);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowState) read = sc_show_state_load(path, &error);
  g_assert_no_error(error);
  write_state(path, sc_show_state_text(read, FALSE));
  g_autoptr(ScShowState) again = sc_show_state_load(path, &error);
  g_assert_no_error(error);
  assert_false(sc_show_state_get_live(again));
  g_autofree char *before = sc_show_state_describe(read), *after = sc_show_state_describe(again);
  assert_string_equal(after + strlen("not live"), before + strlen("live"));
  g_autoptr(ScShow) show = example_show(NULL);
  assert_true(sc_show_state_restore(again, show, &error));
  assert_int_equal(sc_show_get_on_air(show)->flash_end_us, end);
}

/* A write that fails (here: the file size limit, which holds for root too),
 * made as shopcastd makes it (firmware/background-save.h), leaves the
 * previous state whole, and no temporary file behind. */
static void
test_failed_write_keeps_old(void **state)
{
  g_autofree char *path = state_path();
  gint64 end = 0, boots_end = 0;
  save_busy_show(path, &end, &boots_end);
  g_autofree char *before = NULL;
  assert_true(g_file_get_contents(path, &before, NULL, NULL));

  g_autoptr(ScShow) show = example_show(NULL);
  ACT(sc_show_goto_product(show, "wool-scarf", &act_error));
  struct rlimit old, small = {.rlim_cur = 16, .rlim_max = RLIM_INFINITY};
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  small.rlim_max = old.rlim_max;
  void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBackgroundSave) save = sc_background_save_new(path, 0600, NULL, NULL);
  sc_background_save_put(save, sc_show_state_to_json(show, TRUE));
  gboolean saved = sc_background_save_flush(save, &error);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, was);
  assert_false(saved);
  assert_non_null(error);
  assert_non_null(strstr(error->message, "state.json"));

  g_autofree char *after = NULL;
  assert_true(g_file_get_contents(path, &after, NULL, NULL));
  assert_string_equal(after, before);
  g_autoptr(GDir) dir = g_dir_open(sc_test_dir, 0, NULL);
  for (const char *name = g_dir_read_name(dir); name; name = g_dir_read_name(dir))
    if (!g_str_equal(name, "state.json"))
      fail_msg("left behind: %s", name);
  g_clear_error(&error);
  g_autoptr(ScShowState) s = sc_show_state_load(path, &error);
  g_assert_no_error(error);
  g_autofree char *line = sc_show_state_describe(s);
  assert_non_null(strstr(line, "product down-jacket"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_countdown_over, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_other_run_of_show, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_corrupt, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_no_show, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_stopped_before_restore, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_failed_write_keeps_old, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
