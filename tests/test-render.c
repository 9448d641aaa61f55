/* Tests for overlays/render.c: the on-air graphics against committed golden
 * pictures (landscape and portrait), layer caching, the flash-sale
 * countdown, ellipsized long names, portrait safe areas, the brand logo,
 * the show's theme, a product stack taller than the frame, and blending
 * onto an I420 program frame (fades and timing: test-render-motion.c).
 *
 * A golden picture that is missing is written when SHOPCAST_UPDATE_GOLDEN=1
 * (look at it before committing it); otherwise it is a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "overlays/render.h"
#include "tests/support/render-fixture.h"
#include "tests/support/testutil.h"

#include <cairo.h>
#include <string.h>

#define BACKGROUND 0xFF3A4450u /* a dim studio-like backdrop for the golden pictures */

/* ---- golden pictures ---- */

/* The share of pixels whose channels all differ by at most 24. */
static double
similarity(cairo_surface_t *a, cairo_surface_t *b)
{
  int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
  if (w != cairo_image_surface_get_width(b) || h != cairo_image_surface_get_height(b))
    return 0;
  guint64 close = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint32 p = pixel(a, x, y), q = pixel(b, x, y);
      gboolean same = TRUE;
      for (int shift = 0; shift < 32; shift += 8)
        same &= ABS((int)((p >> shift) & 0xff) - (int)((q >> shift) & 0xff)) <= 24;
      close += same;
    }
  return (double)close / ((double)w * h);
}

static void
check_golden(ScRenderer *r, const char *scene, guint width, guint height)
{
  g_autofree char *name = g_strdup_printf("tests/golden/render-%s-%ux%u.png", scene, width, height);
  g_autofree char *golden = sc_test_source_path(name);
  g_autofree char *out = g_build_filename(sc_test_dir, strrchr(name, '/') + 1, NULL);
  g_autoptr(GError) error = NULL;
  if (!sc_renderer_write_png(r, out, BACKGROUND, &error))
    fail_msg("%s", error->message);
  if (!g_file_test(golden, G_FILE_TEST_EXISTS)) {
    if (g_strcmp0(g_getenv("SHOPCAST_UPDATE_GOLDEN"), "1") != 0)
      fail_msg("%s is missing: run with SHOPCAST_UPDATE_GOLDEN=1, look at it, commit it", name);
    g_autofree char *dir = g_path_get_dirname(golden);
    g_mkdir_with_parents(dir, 0755);
    if (!sc_renderer_write_png(r, golden, BACKGROUND, &error))
      fail_msg("%s", error->message);
    print_message("wrote %s\n", name);
    return;
  }
  cairo_surface_t *want = cairo_image_surface_create_from_png(golden);
  cairo_surface_t *got = cairo_image_surface_create_from_png(out);
  double same = similarity(want, got);
  cairo_surface_destroy(want);
  cairo_surface_destroy(got);
  if (same < 0.995)
    fail_msg("%s differs from the golden picture: %.2f%% of pixels match (the picture drawn now "
             "is %s)",
             name, same * 100, out);
}

typedef void (*SceneFunc)(ScShow *show);

static void
scene_product(ScShow *show)
{
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  ACT(sc_show_flash_start(show, &e_));
  ACT(sc_show_coupon(show, TRUE, &e_));
  ACT(sc_show_set_stock(show, 500, &e_));
  ACT(sc_show_lower_third(show, "王师傅", "连麦嘉宾 · 羽绒工厂厂长", &e_));
  sc_test_advance_ms(10 * 1000);
}

static void
scene_correction(ScShow *show)
{
  ACT(sc_show_goto_product(show, "snow-boots", &e_));
  ACT(sc_show_flash_start(show, &e_));
  sc_test_advance_ms(200 * 1000); /* past the end of its 180 s flash sale */
  ACT(sc_show_correct_price(show, "159", &e_));
  ACT(sc_show_stock_visible(show, TRUE, &e_));
}

static void
scene_percent_coupon(ScShow *show)
{
  ACT(sc_show_goto_product(show, "wool-scarf", &e_));
  ACT(sc_show_coupon(show, TRUE, &e_));
  ACT(sc_show_set_stock(show, 0, &e_));
  ACT(sc_show_lower_third(show, "小雅", "主播", &e_));
}

static void
scene_opening(ScShow *show)
{
  ACT(sc_show_opening(show, TRUE, &e_));
}

static void
scene_closing(ScShow *show)
{
  ACT(sc_show_closing(show, TRUE, &e_));
}

static void
test_golden(void **state)
{
  static const struct {
    const char *name;
    SceneFunc func;
  } scenes[] = {{"product", scene_product},
                {"correction", scene_correction},
                {"coupon", scene_percent_coupon},
                {"opening", scene_opening},
                {"closing", scene_closing}};
  static const guint sizes[][2] = {{1280, 720}, {720, 1280}};
  for (gsize i = 0; i < G_N_ELEMENTS(scenes); i++) {
    g_autoptr(ScShow) show = example_show();
    scenes[i].func(show);
    for (gsize j = 0; j < G_N_ELEMENTS(sizes); j++) {
      g_autoptr(ScRenderer) r = sc_renderer_new(sizes[j][0], sizes[j][1], NULL);
      settle(r, show);
      check_golden(r, scenes[i].name, sizes[j][0], sizes[j][1]);
    }
  }
}

/* ---- caching and the countdown ---- */

static void
test_caching(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), 0);
  assert_null(sc_renderer_get_composition(r)); /* nothing on air */

  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  ACT(sc_show_coupon(show, TRUE, &e_));
  ACT(sc_show_set_stock(show, 500, &e_));
  settle(r, show);
  assert_int_equal(sc_renderer_get_render_count(r),
                   3); /* card, coupon, stock; fading: no drawing */
  GstVideoOverlayComposition *first = sc_renderer_get_composition(r);
  assert_non_null(first);
  assert_int_equal(gst_video_overlay_composition_n_rectangles(first), 3);

  sc_test_advance_ms(5000);
  update(r, show);
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), 3); /* nothing changed: nothing drawn */
  GstVideoOverlayComposition *same = sc_renderer_get_composition(r);
  assert_ptr_equal(same, first);
  gst_video_overlay_composition_unref(same);

  ACT(sc_show_set_stock(show, 499, &e_));
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), 4); /* only the stock counter */
  GstVideoOverlayComposition *next = sc_renderer_get_composition(r);
  assert_ptr_not_equal(next, first);
  gst_video_overlay_composition_unref(next);
  gst_video_overlay_composition_unref(first);

  ACT(sc_show_goto_product(show, "thermal-set", &e_));
  update(r, show); /* a new card; coupon and stock go off air */
  assert_int_equal(sc_renderer_get_render_count(r), 5);
  assert_false(sc_renderer_get_layer_rect(r, SC_LAYER_STOCK, NULL, NULL, NULL, NULL));
  assert_false(sc_renderer_get_layer_rect(r, SC_LAYER_COUPON, NULL, NULL, NULL, NULL));
}

/* The countdown's left-edge colour (unpremultiplied r, g, b) and its pixels. */
static guint32
countdown_edge(ScRenderer *r, cairo_surface_t **frame)
{
  gint x, y;
  guint w, h;
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_COUNTDOWN, &x, &y, &w, &h));
  *frame = snapshot(r, 0);
  return pixel(*frame, x + 6, y + (int)h / 2) & 0xffffff;
}

static void
test_countdown(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "snow-boots", &e_)); /* a 180 s flash sale */
  ACT(sc_show_flash_start(show, &e_));
  gint64 end = sc_show_get_on_air(show)->flash_end_us;
  sc_test_real_us = end - 100 * G_USEC_PER_SEC - 500000; /* 01:40.5 left: shows 01:41 */
  settle(r, show);                                       /* 01:40.3 left, faded in */
  guint count = sc_renderer_get_render_count(r);
  gint x, y;
  guint w, h;
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_COUNTDOWN, &x, &y, &w, &h));
  cairo_surface_t *at_41, *at_41b, *at_40, *ended;
  guint32 running = countdown_edge(r, &at_41);
  assert_true(((running >> 16) & 0xff) > ((running >> 8) & 0xff) + 80); /* the red accent */

  sc_test_real_us += 200000; /* 01:40.1 left: still 01:41 */
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count);
  countdown_edge(r, &at_41b);
  assert_true(same_region(at_41, at_41b, x, y, (int)w, (int)h));

  sc_test_real_us += G_USEC_PER_SEC; /* 00:99.1 left: 01:40 */
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 1);
  countdown_edge(r, &at_40);
  assert_false(same_region(at_41, at_40, x, y, (int)w, (int)h)); /* the digits changed */

  sc_test_real_us = end; /* the end instant: ended, "恢复原价 ¥299" */
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 2);
  guint32 grey = countdown_edge(r, &ended);
  int red = (grey >> 16) & 0xff, green = (grey >> 8) & 0xff;
  assert_true(ABS(red - green) < 16); /* the grey ended state */
  sc_test_real_us += 60 * G_USEC_PER_SEC;
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 2); /* ended stays ended */
  cairo_surface_destroy(at_41);
  cairo_surface_destroy(at_41b);
  cairo_surface_destroy(at_40);
  cairo_surface_destroy(ended);
}

/* ---- layout ---- */

#define SHOW_HEAD "[show]\ntitle = 测试\nhost = 小雅\nclosing-note = 再见\n"

static void
test_long_name_is_ellipsized(void **state)
{
  g_autofree char *path = sc_test_write_file(
      sc_test_dir, "long.ini",
      SHOW_HEAD "[product short]\nname = 围巾\nprice = 59\n"
                "[product long]\nname = 超长名字的加厚加绒防风防水保暖冲锋衣三合一可拆卸内胆男女"
                "同款户外登山服WWWWWWWWWWWWWWWWWWWWWW\nprice = 599\noriginal-price = 999\n"
                "points = 这是一个非常非常非常非常非常非常非常非常非常非常长的卖点说明文字\n");
  g_autoptr(ScShow) show = load_show(path);
  static const guint sizes[][2] = {{1280, 720}, {720, 1280}};
  for (gsize j = 0; j < G_N_ELEMENTS(sizes); j++) {
    g_autoptr(ScRenderer) r = sc_renderer_new(sizes[j][0], sizes[j][1], NULL);
    ACT(sc_show_goto_product(show, "short", &e_));
    update(r, show);
    guint short_w;
    assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_PRODUCT, NULL, NULL, &short_w, NULL));
    ACT(sc_show_goto_product(show, "long", &e_));
    update(r, show);
    gint x, y;
    guint w, h;
    assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_PRODUCT, &x, &y, &w, &h));
    assert_int_equal(w, short_w); /* the card did not grow */
    assert_true(x >= 0 && y >= 0 && x + (int)w <= (int)sizes[j][0] &&
                y + (int)h <= (int)sizes[j][1]);
    /* the card's right padding holds no text: the name and the point were cut short */
    cairo_surface_t *frame = snapshot(r, 0);
    int pad = (int)(20 * MIN(sizes[j][0], sizes[j][1]) / 720) - 4;
    for (int py = y + 12; py < y + (int)h - 16; py++)
      for (int px = x + (int)w - pad; px < x + (int)w - 3; px++) {
        guint32 p = pixel(frame, px, py);
        if ((p & 0xff) < 200 || ((p >> 8) & 0xff) < 200)
          fail_msg("text at (%d,%d) in the card's padding: 0x%08x", px, py, p);
      }
    cairo_surface_destroy(frame);
  }
}

static void
check_portrait_safe(ScRenderer *r)
{
  cairo_surface_t *frame = snapshot(r, 0);
  for (int y = 0; y < 1280; y++)
    for (int x = 0; x < 720; x++)
      if ((y >= 1024 || x >= 612) && pixel(frame, x, y) >> 24)
        fail_msg("graphics at (%d,%d), in the platform's part of the portrait frame", x, y);
  cairo_surface_destroy(frame);
}

static void
test_portrait_safe_areas(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(720, 1280, NULL);
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  ACT(sc_show_flash_start(show, &e_));
  ACT(sc_show_coupon(show, TRUE, &e_));
  ACT(sc_show_set_stock(show, 500, &e_));
  ACT(sc_show_correct_price(show, "189", &e_));
  ACT(sc_show_lower_third(show, "王师傅", "连麦嘉宾", &e_));
  settle(r, show);
  for (ScLayer l = SC_LAYER_PRODUCT; l <= SC_LAYER_LOWER_THIRD; l++)
    assert_true(sc_renderer_get_layer_rect(r, l, NULL, NULL, NULL, NULL));
  check_portrait_safe(r);
  ACT(sc_show_closing(show, TRUE, &e_));
  settle(r, show);
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_CLOSING, NULL, NULL, NULL, NULL));
  check_portrait_safe(r);
}

/* ---- pictures made for the tests ---- */

/* A 200 x 100 logo: navy, a white disc on the left, an orange bar on the right. */
static char *
make_logo(void)
{
  g_autofree char *path = g_build_filename(sc_test_dir, "logo.png", NULL);
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 200, 100);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0x1B / 255.0, 0x2A / 255.0, 0x4A / 255.0);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_arc(cr, 50, 50, 35, 0, 2 * G_PI);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 0x98 / 255.0, 0);
  cairo_rectangle(cr, 100, 30, 90, 40);
  cairo_fill(cr);
  cairo_destroy(cr);
  assert_int_equal(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(s);
  return g_steal_pointer(&path);
}

/* A 300 x 300 product photo: a grey backdrop and a dark coat-like block. */
static char *
make_photo(void)
{
  g_autofree char *path = g_build_filename(sc_test_dir, "photo.png", NULL);
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 300, 300);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0.85, 0.87, 0.9);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.2, 0.22, 0.28);
  cairo_rectangle(cr, 90, 40, 120, 230);
  cairo_fill(cr);
  cairo_destroy(cr);
  assert_int_equal(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(s);
  return g_steal_pointer(&path);
}

/* A show with a logo, a blue accent and a product with a photo, a flash
 * sale, a coupon and stock; @extra is added to [show]. */
static ScShow *
branded_show(const char *extra)
{
  g_free(make_logo());
  g_free(make_photo());
  g_autofree char *text = g_strdup_printf(
      "[show]\ntitle = 品牌专场\nhost = 小雅\nlogo = logo.png\naccent = #1E88E5\n%s"
      "[product coat]\nname = 双面羊绒大衣\nprice = 899\noriginal-price = 1599\n"
      "points = 30%% 羊绒; 手工双面; 送防尘袋\nimage = photo.png\ncoupon-threshold = 800\n"
      "coupon-value = 100\ncoupon-quantity = 50\nstock = 60\nflash-sale = 300\n",
      extra);
  g_autofree char *path = sc_test_write_file(sc_test_dir, "brand.ini", text);
  return load_show(path);
}

/* 0xAARRGGBB within @tolerance per channel. */
static void
assert_pixel_near(guint32 got, guint32 want, int tolerance, const char *what)
{
  for (int shift = 0; shift < 32; shift += 8)
    if (ABS((int)channel(got, shift) - (int)channel(want, shift)) > tolerance)
      fail_msg("%s: pixel 0x%08x, expected about 0x%08x", what, got, want);
}

static gboolean
boxes_overlap(Box a, Box b)
{
  return a.x < b.x + (gint)b.w && b.x < a.x + (gint)a.w && a.y < b.y + (gint)b.h &&
         b.y < a.y + (gint)a.h;
}

/* Every layer on air inside the safe area and none over another (the full
 * opening and closing cards aside). */
static void
assert_laid_out(ScRenderer *r, guint width, guint height)
{
  gboolean portrait = height > width;
  double x0 = 0.05 * width, y0 = 0.05 * height;
  double x1 = (portrait ? 0.85 : 0.95) * width, y1 = (portrait ? 0.80 : 0.95) * height;
  for (ScLayer a = SC_LAYER_LOGO; a <= SC_LAYER_LOWER_THIRD; a++) {
    Box b;
    if (!sc_renderer_get_layer_rect(r, a, &b.x, &b.y, &b.w, &b.h))
      continue;
    if (b.x < x0 || b.y < y0 || b.x + b.w > x1 || b.y + b.h > y1)
      fail_msg("%ux%u: layer %d at %d,%d %ux%u is outside the safe area %.0f,%.0f-%.0f,%.0f", width,
               height, a, b.x, b.y, b.w, b.h, x0, y0, x1, y1);
    for (ScLayer c = a + 1; c <= SC_LAYER_LOWER_THIRD; c++) {
      Box d;
      if (sc_renderer_get_layer_rect(r, c, &d.x, &d.y, &d.w, &d.h) && boxes_overlap(b, d))
        fail_msg("%ux%u: layers %d and %d overlap", width, height, a, c);
    }
  }
}

/* ---- the logo ---- */

static void
test_logo(void **state)
{
  static const guint sizes[][2] = {{1280, 720}, {720, 1280}};
  for (gsize j = 0; j < G_N_ELEMENTS(sizes); j++) {
    guint width = sizes[j][0], height = sizes[j][1];
    g_autoptr(ScShow) show = branded_show("");
    g_autoptr(ScRenderer) r = sc_renderer_new(width, height, NULL);
    settle(r, show);
    Box logo = layer_box(r, SC_LAYER_LOGO); /* on air with the show, before any product */
    /* 8% of the short side high (57.6), its 2:1 shape kept, in the safe area's corner */
    assert_int_equal(logo.h, 58);
    assert_int_equal(logo.w, 116);
    assert_int_equal(logo.x, (gint)(0.05 * width));
    assert_int_equal(logo.y, (gint)(0.05 * height));
    cairo_surface_t *frame = snapshot(r, 0);
    double k = 58.0 / 100;
    assert_pixel_near(pixel(frame, logo.x + (int)(50 * k), logo.y + (int)(50 * k)), 0xFFFFFFFF, 8,
                      "the logo's white disc");
    assert_pixel_near(pixel(frame, logo.x + (int)(150 * k), logo.y + (int)(50 * k)), 0xFFFF9800, 8,
                      "the logo's orange bar");
    assert_pixel_near(pixel(frame, logo.x + (int)(150 * k), logo.y + 4), 0xFF1B2A4A, 8,
                      "the logo's navy ground");
    assert_int_equal(pixel(frame, logo.x - 1, logo.y + 20), 0); /* nothing around it */
    assert_int_equal(pixel(frame, logo.x + 20, logo.y + (int)logo.h), 0);
    assert_int_equal(pixel(frame, logo.x + (int)logo.w, logo.y + 20), 0);
    cairo_surface_destroy(frame);

    ACT(sc_show_goto_product(show, "coat", &e_));
    ACT(sc_show_flash_start(show, &e_));
    ACT(sc_show_coupon(show, TRUE, &e_));
    ACT(sc_show_lower_third(show, "小雅", "主播", &e_));
    settle(r, show);
    Box again = layer_box(r, SC_LAYER_LOGO);
    assert_true(again.x == logo.x && again.y == logo.y); /* the stack does not move it */
    assert_laid_out(r, width, height);
    check_golden(r, "logo", width, height);
  }
}

static guint32
countdown_colour(ScRenderer *r)
{
  cairo_surface_t *frame;
  guint32 rgb = countdown_edge(r, &frame);
  cairo_surface_destroy(frame);
  return rgb;
}

static void
test_theme(void **state)
{
  g_autoptr(ScShow) show = branded_show("");
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "coat", &e_));
  ACT(sc_show_flash_start(show, &e_));
  settle(r, show);
  assert_pixel_near(countdown_colour(r), 0x1E88E5, 12, "the show's blue accent");
  guint count = sc_renderer_get_render_count(r);

  /* an explicit theme overrides the show's */
  ScTheme green = {0x2E7D32, NULL};
  g_autoptr(ScRenderer) fixed = sc_renderer_new(1280, 720, &green);
  settle(fixed, show);
  assert_pixel_near(countdown_colour(fixed), 0x2E7D32, 12, "the renderer's green accent");

  /* a reloaded show with another theme: everything drawn again, no fades */
  g_autofree char *path = g_build_filename(sc_test_dir, "brand.ini", NULL);
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) parts = g_strsplit(text, "#1E88E5", 2);
  g_autofree char *changed = g_strjoinv("#8E24AA\nfont = DejaVu Sans", parts);
  g_free(sc_test_write_file(sc_test_dir, "brand.ini", changed));
  ACT(sc_show_reload(show, &e_));
  GstVideoOverlayComposition *old = sc_renderer_get_composition(r);
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 3); /* logo, card, countdown */
  GstVideoOverlayComposition *now = sc_renderer_get_composition(r);
  assert_ptr_not_equal(now, old);
  for (guint i = 0; i < gst_video_overlay_composition_n_rectangles(now); i++)
    assert_float_equal(gst_video_overlay_rectangle_get_global_alpha(
                           gst_video_overlay_composition_get_rectangle(now, i)),
                       1.0, 1e-6);
  assert_pixel_near(countdown_colour(r), 0x8E24AA, 12, "the reloaded purple accent");
  assert_pixel_near(countdown_colour(fixed), 0x2E7D32, 12, "still green");
  gst_video_overlay_composition_unref(old);
  gst_video_overlay_composition_unref(now);
}

/* ---- a stack taller than the frame ---- */

static void
test_tall_stack_gives_way(void **state)
{
  g_autoptr(ScShow) show = branded_show("");
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "coat", &e_)); /* a card with its photo */
  ACT(sc_show_flash_start(show, &e_));
  ACT(sc_show_coupon(show, TRUE, &e_));
  settle(r, show);
  guint full_h = layer_box(r, SC_LAYER_PRODUCT).h;
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_COUPON, NULL, NULL, NULL, NULL));
  assert_laid_out(r, 1280, 720);

  /* countdown, card, coupon and stock: too tall; the stock counter gives way */
  ACT(sc_show_stock_visible(show, TRUE, &e_));
  settle(r, show);
  assert_false(sc_renderer_get_layer_rect(r, SC_LAYER_STOCK, NULL, NULL, NULL, NULL));
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_COUPON, NULL, NULL, NULL, NULL));
  assert_laid_out(r, 1280, 720);

  /* a price correction on top: the coupon gives way too; the card keeps its photo */
  ACT(sc_show_correct_price(show, "859", &e_));
  settle(r, show);
  assert_false(sc_renderer_get_layer_rect(r, SC_LAYER_STOCK, NULL, NULL, NULL, NULL));
  assert_false(sc_renderer_get_layer_rect(r, SC_LAYER_COUPON, NULL, NULL, NULL, NULL));
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_CORRECTION, NULL, NULL, NULL, NULL));
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_COUNTDOWN, NULL, NULL, NULL, NULL));
  assert_int_equal(layer_box(r, SC_LAYER_PRODUCT).h, full_h);
  assert_laid_out(r, 1280, 720);
  GstVideoOverlayComposition *comp = sc_renderer_get_composition(r);
  assert_int_equal(gst_video_overlay_composition_n_rectangles(comp), 4); /* logo, 3 cards */
  gst_video_overlay_composition_unref(comp);
  cairo_surface_t *frame = snapshot(r, 0);
  for (int y = 684; y < 720; y++) /* nothing under the bottom safe margin */
    for (int x = 0; x < 1280; x++)
      if (pixel(frame, x, y) >> 24)
        fail_msg("graphics at (%d,%d), below the safe area", x, y);
  cairo_surface_destroy(frame);

  /* a short portrait frame: the card is drawn without its photo to fit */
  g_autoptr(ScRenderer) p = sc_renderer_new(720, 960, NULL);
  ACT(sc_show_lower_third(show, "小雅", "主播", &e_));
  settle(p, show);
  assert_laid_out(p, 720, 960);
  Box card = layer_box(p, SC_LAYER_PRODUCT);
  assert_true(sc_renderer_get_layer_rect(p, SC_LAYER_COUNTDOWN, NULL, NULL, NULL, NULL));
  assert_false(sc_renderer_get_layer_rect(p, SC_LAYER_COUPON, NULL, NULL, NULL, NULL));
  g_autoptr(ScRenderer) tall = sc_renderer_new(720, 1280, NULL);
  settle(tall, show);
  assert_laid_out(tall, 720, 1280);
  assert_int_equal(layer_box(tall, SC_LAYER_PRODUCT).h, card.h + 214); /* 200 photo + 14 gap */
  g_autoptr(ScRenderer) odd = sc_renderer_new(1366, 768, NULL); /* a safe area off the pixels */
  settle(odd, show);
  assert_laid_out(odd, 1366, 768);
}

/* ---- onto the program frame ---- */

static void
test_blend_onto_i420(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  settle(r, show);
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 1280, 720);
  GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&info), NULL);
  gst_buffer_memset(buffer, 0, 16, GST_VIDEO_INFO_SIZE(&info)); /* dark */
  GstVideoFrame frame;
  assert_true(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READWRITE));
  GstVideoOverlayComposition *comp = sc_renderer_get_composition(r);
  assert_non_null(comp);
  assert_true(gst_video_overlay_composition_blend(comp, &frame));
  gst_video_overlay_composition_unref(comp);

  gint x, y;
  guint w, h;
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_PRODUCT, &x, &y, &w, &h));
  const guint8 *luma = GST_VIDEO_FRAME_PLANE_DATA(&frame, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  guint bright = 0;
  for (int py = y; py < y + (int)h; py++)
    for (int px = x; px < x + (int)w; px++)
      bright += luma[py * stride + px] > 200; /* the white card */
  assert_true(bright > w * h / 2);
  assert_int_equal(luma[10 * stride + 10], 16); /* outside the card: untouched */
  assert_int_equal(luma[(y + (int)h + 20) * stride + x + 10], 16);
  gst_video_frame_unmap(&frame);
  gst_buffer_unref(buffer);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_golden, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_caching, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_countdown, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_long_name_is_ellipsized, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_portrait_safe_areas, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_logo, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_theme, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_tall_stack_gives_way, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_blend_onto_i420, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
