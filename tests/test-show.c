/* Tests for overlays/: prices in fen, the show file, the studio's actions
 * and their honest-pricing rules, and the on-air audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "overlays/audit.h"
#include "overlays/show.h"
#include "tests/support/testutil.h"

#include <cairo.h>
#include <string.h>

typedef struct {
  GPtrArray *changes; /* "what detail" strings */
} Seen;

static void
on_change(ScShow *show, const char *what, const char *detail, gpointer data)
{
  Seen *seen = data;
  g_ptr_array_add(seen->changes, g_strdup_printf("%s %s", what, detail));
}

/* ---- money ---- */

static void
test_money(void **state)
{
  static const struct {
    const char *text;
    ScFen fen;
  } good[] = {{"199", 19900}, {"199.9", 19990},      {"199.90", 19990},       {"0.05", 5},
              {"¥59", 5900},  {"￥1599.00", 159900}, {"999999.99", 99999999}, {"0", 0}};
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    ScFen fen = -1;
    g_autoptr(GError) error = NULL;
    if (!sc_money_parse(good[i].text, &fen, &error))
      fail_msg("%s: %s", good[i].text, error->message);
    assert_int_equal(fen, good[i].fen);
  }
  static const struct {
    const char *text, *why;
  } bad[] = {{"-5", "negative"},
             {"1.999", "more than two decimals"},
             {"1e3", "other than digits"},
             {"", "does not start with a digit"},
             {"12.", "nothing after"},
             {"1000000", "more than 999999.99"},
             {"99999999999999999999", "more than"},
             {"19,90", "other than digits"},
             {"NaN", "does not start"}};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    ScFen fen = 7;
    g_autoptr(GError) error = NULL;
    assert_false(sc_money_parse(bad[i].text, &fen, &error));
    assert_int_equal(fen, 7); /* untouched */
    if (strstr(error->message, bad[i].why) == NULL)
      fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].text, error->message, bad[i].why);
  }
  g_autofree char *whole = sc_money_format(19900), *cents = sc_money_format(8990),
                  *small = sc_money_format(5);
  assert_string_equal(whole, "199");
  assert_string_equal(cents, "89.90");
  assert_string_equal(small, "0.05");
}

/* ---- the show file ---- */

static ScShowFile *
load_text(const char *text, GError **error)
{
  g_autofree char *path = sc_test_write_file(sc_test_dir, "show.ini", text);
  return sc_show_file_load(path, error);
}

static void
test_example_show(void **state)
{
  g_autofree char *path = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowFile) f = sc_show_file_load(path, &error);
  if (f == NULL)
    fail_msg("%s", error->message);
  assert_int_equal(f->products->len, 6);
  assert_int_equal(f->blocks->len, 11);
  const ScProduct *p = g_ptr_array_index(f->products, 0);
  assert_string_equal(p->id, "down-jacket");
  assert_string_equal(p->name, "轻薄白鸭绒羽绒服");
  assert_int_equal(p->price, 19900);
  assert_int_equal(p->original_price, 39900);
  assert_string_equal(p->points[0], "90% 白鸭绒");
  assert_string_equal(p->points[2], "三色可选");
  assert_null(p->points[3]);
  assert_int_equal(p->coupon_value, 2000);
  assert_int_equal(p->stock, 500);
  assert_int_equal(p->flash_sale_s, 300);
  p = g_ptr_array_index(f->products, 1);
  assert_int_equal(p->price, 8990);
  assert_int_equal(((ScBlock *)g_ptr_array_index(f->blocks, 0))->kind, SC_BLOCK_OPENING);
  const ScBlock *offer = g_ptr_array_index(f->blocks, 7);
  assert_int_equal(offer->kind, SC_BLOCK_OFFER);
  assert_string_equal(offer->product, "snow-boots");
  assert_int_equal(f->explain_limit_s, 480);
  assert_int_equal(f->accent, 0xE8231F);
  assert_null(f->logo);
}

typedef struct {
  const char *what, *text;
  const char *needles[3];
} BadShow;

#define SHOW          "[show]\ntitle = T\n"
#define PRODUCT(body) SHOW "[product a]\nname = N\n" body

static const BadShow bad_shows[] = {
    {"syntax", "not an ini file\n", {"show.ini"}},
    {"no [show]", "[product a]\nname = N\nprice = 1\n", {"[show]", "missing"}},
    {"no title", "[show]\nhost = h\n[product a]\nname = N\nprice = 1\n", {"[show] title"}},
    {"no products", SHOW, {"no [product ID] block"}},
    {"unknown key", PRODUCT("price = 1\nprize = 2\n"), {"[product a] prize", "price"}},
    {"missing price", PRODUCT("stock = 1\n"), {"[product a] price", "missing"}},
    {"negative price", PRODUCT("price = -1\n"), {"[product a] price", "negative"}},
    {"malformed price", PRODUCT("price = 12.345\n"), {"[product a] price", "two decimals"}},
    {"zero price", PRODUCT("price = 0\n"), {"[product a] price", "more than 0"}},
    {"original not above",
     PRODUCT("price = 199\noriginal-price = 199\n"),
     {"[product a] original-price", "not above the price"}},
    {"original below",
     PRODUCT("price = 199\noriginal-price = 99\n"),
     {"[product a] original-price", "¥99 is not above the price ¥199"}},
    {"coupon both kinds",
     PRODUCT("price = 9\ncoupon-threshold = 100\ncoupon-value = 10\n"
             "coupon-percent = 90\n"),
     {"[product a] coupon-percent", "not both"}},
    {"coupon value over threshold",
     PRODUCT("price = 9\ncoupon-threshold = 100\ncoupon-value = 100\n"),
     {"[product a] coupon-value", "less than its threshold"}},
    {"coupon count without coupon",
     PRODUCT("price = 9\ncoupon-quantity = 10\n"),
     {"[product a] coupon-quantity", "no coupon"}},
    {"four points", PRODUCT("price = 9\npoints = a;b;c;d\n"), {"[product a] points", "at most 3"}},
    {"long point",
     PRODUCT(
         "price = 9\npoints = "
         "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一\n"),
     {"[product a] points", "longer than 40"}},
    {"over-long name",
     SHOW "[product a]\nprice = 1\nname = "
          "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长"
          "长长长长长"
          "长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长长"
          "长长长长"
          "长长长长长长长长长长长长长长长长长长长长长长长长\n",
     {"[product a] name", "longer than 120"}},
    {"invalid UTF-8", PRODUCT("price = 1\nnote = \xff\xfe\n"), {"[product a] note"}},
    {"missing image",
     PRODUCT("price = 1\nimage = nowhere.png\n"),
     {"[product a] image", "no such file", "nowhere.png"}},
    {"product twice",
     PRODUCT("price = 1\n") "[product a]\nname = M\nprice = 2\n",
     {"[product a] appears twice (lines 3 and 6)"}},
    {"bad id", SHOW "[product a b]\nname = N\nprice = 1\n", {"[product a b]", "not a valid id"}},
    {"offer of unknown product",
     PRODUCT("price = 1\n") "[offer x]\nproduct = b\n",
     {"[offer x] product", "no product 'b'"}},
    {"stock out of range", PRODUCT("price = 1\nstock = -3\n"), {"[product a] stock"}},
    {"flash sale too short", PRODUCT("price = 1\nflash-sale = 2\n"), {"[product a] flash-sale"}},
    {"accent by name",
     SHOW "accent = red\n[product a]\nname = N\nprice = 1\n",
     {"[show] accent", "'red' is not a colour", "#RRGGBB"}},
    {"accent too short",
     SHOW "accent = #E8231\n[product a]\nname = N\nprice = 1\n",
     {"[show] accent", "'#E8231' is not a colour"}},
    {"accent not hex",
     SHOW "accent = #E8231G\n[product a]\nname = N\nprice = 1\n",
     {"[show] accent", "'#E8231G' is not a colour"}},
    {"accent without #",
     SHOW "accent = E8231F\n[product a]\nname = N\nprice = 1\n",
     {"[show] accent", "six hexadecimal digits"}},
    {"font not installed",
     SHOW "font = Comic Nonsense\n[product a]\nname = N\nprice = 1\n",
     {"[show] font", "no font family 'Comic Nonsense' is installed",
      "\"Noto Sans CJK SC\", which the package fonts-noto-cjk provides"}},
};

static void
test_bad_show_files(void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS(bad_shows); i++) {
    const BadShow *b = &bad_shows[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(ScShowFile) f = load_text(b->text, &error);
    if (f != NULL || !g_error_matches(error, SC_SHOW_ERROR, SC_SHOW_ERROR_FILE))
      fail_msg("%s: expected a show-file error, got %s", b->what,
               error ? error->message : "success");
    for (gsize n = 0; n < G_N_ELEMENTS(b->needles) && b->needles[n]; n++)
      if (strstr(error->message, b->needles[n]) == NULL)
        fail_msg("%s: \"%s\" does not say \"%s\"", b->what, error->message, b->needles[n]);
  }
}

static void
test_theme(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowFile) plain = load_text(SHOW "[product a]\nname = N\nprice = 1\n", &error);
  g_assert_no_error(error);
  assert_int_equal(plain->accent, SC_SHOW_DEFAULT_ACCENT); /* the renderer's red */
  assert_string_equal(plain->font, "Noto Sans CJK SC");
  g_autoptr(ScShowFile) themed = load_text(
      SHOW "accent = #1e88E5\nfont = noto sans cjk sc\n[product a]\nname = N\nprice = 1\n", &error);
  g_assert_no_error(error);
  assert_int_equal(themed->accent, 0x1E88E5);
  assert_string_equal(themed->font, "Noto Sans CJK SC"); /* as the font map spells it */
}

/* A @w x @h PNG in the test folder; @keep: its first bytes only (0: all). */
static void
write_png(const char *name, int w, int h, gsize keep)
{
  g_autofree char *path = g_build_filename(sc_test_dir, name, NULL);
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0.9, 0.1, 0.1);
  cairo_paint(cr);
  cairo_destroy(cr);
  assert_int_equal(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(s);
  g_autofree char *data = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(path, &data, &len, NULL));
  if (keep)
    assert_true(g_file_set_contents(path, data, (gssize)MIN(keep, len), NULL));
}

static void
test_images_must_be_png(void **state)
{
  write_png("logo.png", 120, 40, 0);
  write_png("cut.png", 120, 40, 60); /* the header, then nothing */
  g_free(sc_test_write_file(sc_test_dir, "notes.png", "not a picture\n"));
  g_free(sc_test_write_file(sc_test_dir, "photo.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01"));
  /* a valid PNG header asking for 100000 x 10 pixels: refused before decoding */
  static const char huge[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0"
                             "\x00\x00\x00\x0a\x08\x06\x00\x00\x00";
  g_autofree char *huge_path = g_build_filename(sc_test_dir, "huge.png", NULL);
  assert_true(g_file_set_contents(huge_path, huge, sizeof huge - 1, NULL));

  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowFile) good = load_text(
      SHOW "logo = logo.png\n[product a]\nname = N\nprice = 1\nimage = logo.png\n", &error);
  g_assert_no_error(error);
  g_autofree char *logo = g_build_filename(sc_test_dir, "logo.png", NULL);
  assert_string_equal(good->logo, logo);

  static const struct {
    const char *what, *text;
    const char *needles[3];
  } bad[] = {
      {"text as a logo",
       SHOW "logo = notes.png\n[product a]\nname = N\nprice = 1\n",
       {"show.ini: [show] logo: ", "notes.png: not a PNG image"}},
      {"a JPEG photo",
       SHOW "[product a]\nname = N\nprice = 1\nimage = photo.jpg\n",
       {"show.ini: [product a] image: ", "photo.jpg: not a PNG image", "save it as PNG"}},
      {"a cut-off PNG",
       SHOW "logo = cut.png\n[product a]\nname = N\nprice = 1\n",
       {"[show] logo", "cut.png: a damaged PNG image that cannot be read"}},
      {"a cut-off product image",
       SHOW "[product a]\nname = N\nprice = 1\nimage = cut.png\n",
       {"[product a] image", "cut.png: a damaged PNG"}},
      {"too many pixels",
       SHOW "logo = huge.png\n[product a]\nname = N\nprice = 1\n",
       {"[show] logo", "huge.png: 100000 x 10 pixels: an image is at most 4096 x 4096"}},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    g_autoptr(ScShowFile) f = load_text(bad[i].text, &e);
    if (f != NULL || !g_error_matches(e, SC_SHOW_ERROR, SC_SHOW_ERROR_FILE))
      fail_msg("%s: expected a show-file error, got %s", bad[i].what, e ? e->message : "success");
    for (gsize n = 0; n < G_N_ELEMENTS(bad[i].needles) && bad[i].needles[n]; n++)
      if (strstr(e->message, bad[i].needles[n]) == NULL)
        fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].what, e->message, bad[i].needles[n]);
  }
}

/* ---- actions ---- */

static ScShow *
example_show(Seen *seen)
{
  g_autofree char *path = sc_test_source_path("overlays/examples/winter-warmth.ini");
  ScShowFile *f = sc_show_file_load(path, NULL);
  assert_non_null(f);
  seen->changes = g_ptr_array_new_with_free_func(g_free);
  ScShow *show = sc_show_new(f, on_change, seen);
  sc_show_set_clock(show, sc_test_mono, sc_test_real);
  return show;
}

static const char *
last_change(Seen *seen)
{
  return seen->changes->len ? g_ptr_array_index(seen->changes, seen->changes->len - 1) : "";
}

#define REFUSED(call, code, needle)                                                                \
  do {                                                                                             \
    g_autoptr(GError) e_ = NULL;                                                                   \
    guint before_ = seen.changes->len;                                                             \
    assert_false(call);                                                                            \
    if (!g_error_matches(e_, SC_SHOW_ERROR, code) || !strstr(e_->message, needle))                 \
      fail_msg("%s: got \"%s\"", #call, e_ ? e_->message : "no error");                            \
    assert_int_equal(seen.changes->len, before_); /* nothing changed on air */                     \
  } while (0)

static void
test_products_and_rate_limit(void **state)
{
  Seen seen;
  g_autoptr(ScShow) show = example_show(&seen);
  REFUSED(sc_show_previous_product(show, &e_), SC_SHOW_ERROR_STATE, "first product");
  assert_true(sc_show_next_product(show, NULL));
  assert_string_equal(
      last_change(&seen),
      "product {\"id\":\"down-jacket\",\"name\":\"轻薄白鸭绒羽绒服\",\"price\":\"199\","
      "\"position\":\"1\",\"original_price\":\"399\"}");
  /* 500 ms between changes at most */
  sc_test_advance_ms(200);
  REFUSED(sc_show_next_product(show, &e_), SC_SHOW_ERROR_TOO_FAST, "try again in 300 ms");
  sc_test_advance_ms(300);
  assert_true(sc_show_next_product(show, NULL));
  assert_string_equal(sc_show_get_on_air(show)->product->id, "thermal-set");
  sc_test_advance_ms(500);
  assert_true(sc_show_goto_product(show, "cashmere-coat", NULL));
  sc_test_advance_ms(500);
  REFUSED(sc_show_next_product(show, &e_), SC_SHOW_ERROR_STATE, "last product (6 of 6)");
  assert_true(sc_show_goto_product(show, "2", NULL));
  assert_string_equal(sc_show_get_on_air(show)->product->id, "thermal-set");
  sc_test_advance_ms(500);
  REFUSED(sc_show_goto_product(show, "umbrella", &e_), SC_SHOW_ERROR_ARGUMENT,
          "no product 'umbrella' in the show: give an id (down-jacket, thermal-set");
  REFUSED(sc_show_goto_product(show, "7", &e_), SC_SHOW_ERROR_ARGUMENT, "position 1..6");

  /* reorder live: the product on air stays on air */
  assert_true(sc_show_move_product(show, "cashmere-coat", 1, NULL));
  assert_string_equal(sc_show_get_on_air(show)->product->id, "thermal-set");
  assert_true(sc_show_goto_product(show, "1", NULL));
  assert_string_equal(sc_show_get_on_air(show)->product->id, "cashmere-coat");
  assert_false(sc_show_move_product(show, "cashmere-coat", 9, NULL));
  g_ptr_array_unref(seen.changes);
}

static void
test_flash_sale_cannot_restart_silently(void **state)
{
  Seen seen;
  g_autoptr(ScShow) show = example_show(&seen);
  REFUSED(sc_show_flash_start(show, &e_), SC_SHOW_ERROR_STATE, "no product is on air");
  assert_true(sc_show_goto_product(show, "thermal-set", NULL));
  sc_test_advance_ms(500);
  REFUSED(sc_show_flash_start(show, &e_), SC_SHOW_ERROR_STATE, "has no flash sale");
  assert_true(sc_show_goto_product(show, "snow-boots", NULL));
  sc_test_advance_ms(500);
  gint64 started = sc_test_real_us;
  assert_true(sc_show_flash_start(show, NULL));
  const ScOnAir *air = sc_show_get_on_air(show);
  assert_true(air->flash_sale);
  assert_int_equal(air->flash_end_us, started + 180 * G_USEC_PER_SEC); /* fixed at the start */
  assert_non_null(strstr(last_change(&seen), "\"ends\":\"2026-11-23T10:"));
  sc_test_advance_ms(60000);
  REFUSED(sc_show_flash_start(show, &e_), SC_SHOW_ERROR_STATE, "is running");
  assert_true(sc_show_flash_stop(show, NULL));
  sc_test_advance_ms(500);
  /* the same offer cannot start again: the countdown would lie */
  REFUSED(sc_show_flash_start(show, &e_), SC_SHOW_ERROR_RULE, "unless it is reset first");
  /* not by going away and coming back either, nor by reloading the show */
  assert_true(sc_show_goto_product(show, "down-jacket", NULL));
  sc_test_advance_ms(500);
  assert_true(sc_show_goto_product(show, "snow-boots", NULL));
  sc_test_advance_ms(500);
  assert_true(sc_show_reload(show, NULL));
  sc_test_advance_ms(500);
  REFUSED(sc_show_flash_start(show, &e_), SC_SHOW_ERROR_RULE, "reset first");
  /* an explicit reset is reported (and so logged), then it may start anew */
  assert_true(sc_show_flash_reset(show, NULL));
  assert_non_null(
      strstr(last_change(&seen), "flash-reset {\"id\":\"snow-boots\",\"previous_end\""));
  sc_test_advance_ms(500);
  assert_true(sc_show_flash_start(show, NULL));
  assert_int_equal(sc_show_get_on_air(show)->flash_end_us, sc_test_real_us + 180 * G_USEC_PER_SEC);
  g_ptr_array_unref(seen.changes);
}

static void
test_prices_stock_coupon_lower_third(void **state)
{
  Seen seen;
  g_autoptr(ScShow) show = example_show(&seen);
  REFUSED(sc_show_set_stock(show, 5, &e_), SC_SHOW_ERROR_STATE, "no product is on air");
  assert_true(sc_show_goto_product(show, "down-jacket", NULL));
  sc_test_advance_ms(500);
  /* a correction must stay below the struck-through price */
  REFUSED(sc_show_correct_price(show, "399", &e_), SC_SHOW_ERROR_RULE,
          "¥399 is not below the struck-through original price ¥399");
  REFUSED(sc_show_correct_price(show, "-1", &e_), SC_SHOW_ERROR_ARGUMENT, "negative");
  REFUSED(sc_show_correct_price(show, "abc", &e_), SC_SHOW_ERROR_ARGUMENT, "not a price");
  REFUSED(sc_show_correct_price(show, "0", &e_), SC_SHOW_ERROR_ARGUMENT, "above 0");
  assert_true(sc_show_correct_price(show, "189.00", NULL));
  assert_string_equal(
      last_change(&seen),
      "price-correction {\"id\":\"down-jacket\",\"price\":\"189\",\"was\":\"199\"}");
  assert_int_equal(sc_show_get_on_air(show)->corrected_price, 18900);
  assert_int_equal(sc_show_get_on_air(show)->product->price, 18900);
  sc_test_advance_ms(500);
  /* stock: only what was set, and it stays so as time passes */
  REFUSED(sc_show_set_stock(show, -1, &e_), SC_SHOW_ERROR_ARGUMENT, "give 0..");
  assert_true(sc_show_set_stock(show, 37, NULL));
  sc_test_advance_ms(600000);
  assert_int_equal(sc_show_get_on_air(show)->product->stock, 37);
  assert_true(sc_show_get_on_air(show)->stock);
  assert_true(sc_show_coupon(show, TRUE, NULL));
  sc_test_advance_ms(500);
  assert_true(sc_show_goto_product(show, "hand-warmer", NULL));
  sc_test_advance_ms(500);
  REFUSED(sc_show_coupon(show, TRUE, &e_), SC_SHOW_ERROR_STATE, "has no coupon");
  assert_false(sc_show_get_on_air(show)->coupon); /* the old product's coupon left with it */
  /* lower thirds: names checked */
  REFUSED(sc_show_lower_third(show, "", NULL, &e_), SC_SHOW_ERROR_ARGUMENT, "empty");
  REFUSED(sc_show_lower_third(show, "\xff\xfe", NULL, &e_), SC_SHOW_ERROR_ARGUMENT, "UTF-8");
  REFUSED(sc_show_hide_lower_third(show, &e_), SC_SHOW_ERROR_STATE, "no lower third");
  assert_true(sc_show_lower_third(show, "王老师", "连麦嘉宾", NULL));
  assert_string_equal(sc_show_get_on_air(show)->lower_third_role, "连麦嘉宾");
  sc_test_advance_ms(500);
  assert_true(sc_show_hide_lower_third(show, NULL));
  sc_test_advance_ms(500);
  assert_true(sc_show_opening(show, TRUE, NULL));
  assert_string_equal(last_change(&seen), "opening-show {\"title\":\"冬季保暖专场 · 工厂直发\"}");
  g_ptr_array_unref(seen.changes);
}

static void
test_explanation_timer(void **state)
{
  Seen seen;
  g_autoptr(ScShow) show = example_show(&seen);
  gboolean over = TRUE;
  assert_int_equal(sc_show_get_explain_seconds(show, &over), 0);
  assert_false(over);
  assert_true(sc_show_goto_product(show, "1", NULL));
  sc_test_advance_ms(479 * 1000);
  assert_int_equal(sc_show_get_explain_seconds(show, &over), 479);
  assert_false(over);
  sc_test_advance_ms(1000);
  assert_int_equal(sc_show_get_explain_seconds(show, &over), 480);
  assert_true(over); /* 8 minutes: the warning */
  assert_true(sc_show_next_product(show, NULL));
  assert_int_equal(sc_show_get_explain_seconds(show, &over), 0);
  assert_false(over);
  g_ptr_array_unref(seen.changes);
}

static void
test_reload(void **state)
{
  g_autofree char *path = sc_test_write_file(
      sc_test_dir, "live.ini",
      SHOW "[product a]\nname = A\nprice = 10\n[product b]\nname = B\nprice = 20\n");
  Seen seen = {.changes = g_ptr_array_new_with_free_func(g_free)};
  g_autoptr(ScShow) show = sc_show_new(sc_show_file_load(path, NULL), on_change, &seen);
  sc_show_set_clock(show, sc_test_mono, sc_test_real);
  assert_true(sc_show_goto_product(show, "b", NULL));
  /* a broken edit: refused, nothing changes */
  g_free(sc_test_write_file(sc_test_dir, "live.ini", SHOW "[product b]\nname = B\nprice = -20\n"));
  REFUSED(sc_show_reload(show, &e_), SC_SHOW_ERROR_FILE, "[product b] price");
  assert_int_equal(sc_show_get_file(show)->products->len, 2);
  assert_int_equal(sc_show_get_on_air(show)->product->price, 2000);
  /* a good edit: new data, b still on air at its new place */
  g_free(sc_test_write_file(sc_test_dir, "live.ini",
                            SHOW "[product c]\nname = C\nprice = 5\n[product b]\nname = B2\n"
                                 "price = 18\n"));
  assert_true(sc_show_reload(show, NULL));
  assert_string_equal(sc_show_get_on_air(show)->product->name, "B2");
  assert_int_equal(sc_show_get_on_air(show)->product->price, 1800);
  sc_test_advance_ms(500);
  assert_true(sc_show_previous_product(show, NULL));
  assert_string_equal(sc_show_get_on_air(show)->product->id, "c");
  g_ptr_array_unref(seen.changes);
}

/* ---- the audit log ---- */

static void
test_audit_log_appends_only(void **state)
{
  const gint64 t = G_GINT64_CONSTANT(1795428902) * G_USEC_PER_SEC;
  g_autofree char *path = g_build_filename(sc_test_dir, "audit.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  ScAuditLog *log = sc_audit_log_open(path, &error);
  assert_non_null(log);
  ScAuditEntry correction = {t, 734120, 734087, "price-correction",
                             "{\"id\":\"a\",\"price\":\"189\",\"was\":\"199\"}"};
  assert_true(sc_audit_log_append(log, &correction, &error));
  sc_audit_log_close(log);
  /* a restart appends after what was there */
  log = sc_audit_log_open(path, &error);
  ScAuditEntry ended = {t + 1500000, 735620, -1, "flash-ended", "{\"id\":\"a\"}"};
  assert_true(sc_audit_log_append(log, &ended, &error));
  sc_audit_log_close(log);
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  assert_string_equal(text, "{\"ts\":\"2026-11-23T10:15:02.000000Z\",\"stream_ms\":734120,"
                            "\"asked_ms\":734087,\"kind\":\"price-correction\",\"detail\":{"
                            "\"id\":\"a\",\"price\":\"189\",\"was\":\"199\"}}\n"
                            "{\"ts\":\"2026-11-23T10:15:03.500000Z\",\"stream_ms\":735620,"
                            "\"kind\":\"flash-ended\",\"detail\":{\"id\":\"a\"}}\n");
  g_autofree char *nowhere =
      g_build_filename(sc_test_dir, "no", "such", "dir", "audit.jsonl", NULL);
  g_autoptr(GError) open_error = NULL;
  assert_null(sc_audit_log_open(nowhere, &open_error));
  assert_non_null(strstr(open_error->message, "cannot open the audit log"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_money),
      cmocka_unit_test_setup_teardown(test_example_show, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_bad_show_files, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_theme, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_images_must_be_png, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_products_and_rate_limit, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_flash_sale_cannot_restart_silently, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_prices_stock_coupon_lower_third, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_explanation_timer, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_reload, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_audit_log_appends_only, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
