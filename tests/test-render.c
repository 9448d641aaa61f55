/* Tests for overlays/render.c: the on-air graphics against committed golden
 * pictures (landscape and portrait), layer caching, the flash-sale
 * countdown, ellipsized long names, portrait safe areas and blending onto an
 * I420 program frame.
 *
 * A golden picture that is missing is written when SHOPCAST_UPDATE_GOLDEN=1
 * (look at it before committing it); otherwise it is a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "overlays/render.h"
#include "tests/support/testutil.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <string.h>

#define BACKGROUND 0xFF3A4450u /* a dim studio-like backdrop for the golden pictures */

static char *tmpdir;
static gint64 fake_mono = 1000 * G_USEC_PER_SEC;
static gint64 fake_real = G_GINT64_CONSTANT(1795428902) * G_USEC_PER_SEC; /* 2026-11-23 10:15:02Z */

static gint64
mono(void)
{
  return fake_mono;
}

static gint64
real(void)
{
  return fake_real;
}

static void
advance_ms(guint ms)
{
  fake_mono += (gint64)ms * 1000;
  fake_real += (gint64)ms * 1000;
}

static int
setup(void **state)
{
  tmpdir = sc_test_tmpdir();
  return 0;
}

static int
teardown(void **state)
{
  sc_test_rmtree(tmpdir);
  g_clear_pointer(&tmpdir, g_free);
  return 0;
}

static ScShow *
load_show(const char *path)
{
  g_autoptr(GError) error = NULL;
  ScShowFile *f = sc_show_file_load(path, &error);
  if (f == NULL)
    fail_msg("%s", error->message);
  ScShow *show = sc_show_new(f, NULL, NULL);
  sc_show_set_clock(show, mono, real);
  return show;
}

static ScShow *
example_show(void)
{
  g_autofree char *path = sc_test_source_path("overlays/examples/winter-warmth.ini");
  return load_show(path);
}

/* Runs an action, then lets the show's minimum interval pass. */
#define ACT(call)                                                                                  \
  do {                                                                                             \
    g_autoptr(GError) e_ = NULL;                                                                   \
    if (!(call))                                                                                   \
      fail_msg("%s: %s", #call, e_ ? e_->message : "?");                                           \
    advance_ms(600);                                                                               \
  } while (0)

static void
update(ScRenderer *r, ScShow *show)
{
  sc_renderer_update(r, sc_show_get_file(show), sc_show_get_on_air(show), fake_real);
}

/* The frame as written by sc_renderer_write_png (premultiplied ARGB32). */
static cairo_surface_t *
snapshot(ScRenderer *r, guint32 background)
{
  g_autofree char *path = g_build_filename(tmpdir, "snapshot.png", NULL);
  g_autoptr(GError) error = NULL;
  if (!sc_renderer_write_png(r, path, background, &error))
    fail_msg("%s", error->message);
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  return s;
}

static guint32
pixel(cairo_surface_t *s, int x, int y)
{
  const guint8 *data = cairo_image_surface_get_data(s);
  return *(const guint32 *)(data + (gsize)y * cairo_image_surface_get_stride(s) + (gsize)x * 4);
}

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
  g_autofree char *out = g_build_filename(tmpdir, strrchr(name, '/') + 1, NULL);
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
  advance_ms(10 * 1000);
}

static void
scene_correction(ScShow *show)
{
  ACT(sc_show_goto_product(show, "snow-boots", &e_));
  ACT(sc_show_flash_start(show, &e_));
  advance_ms(200 * 1000); /* past the end of its 180 s flash sale */
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
      update(r, show);
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
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), 3); /* card, coupon, stock */
  GstVideoOverlayComposition *first = sc_renderer_get_composition(r);
  assert_non_null(first);
  assert_int_equal(gst_video_overlay_composition_n_rectangles(first), 3);

  advance_ms(5000);
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

static gboolean
same_region(cairo_surface_t *a, cairo_surface_t *b, int x0, int y0, int w, int h)
{
  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      if (pixel(a, x, y) != pixel(b, x, y))
        return FALSE;
  return TRUE;
}

static void
test_countdown(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "snow-boots", &e_)); /* a 180 s flash sale */
  ACT(sc_show_flash_start(show, &e_));
  gint64 end = sc_show_get_on_air(show)->flash_end_us;
  fake_real = end - 100 * G_USEC_PER_SEC - 300000; /* 01:40.3 left: shows 01:41 */
  update(r, show);
  guint count = sc_renderer_get_render_count(r);
  gint x, y;
  guint w, h;
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_COUNTDOWN, &x, &y, &w, &h));
  cairo_surface_t *at_41, *at_41b, *at_40, *ended;
  guint32 running = countdown_edge(r, &at_41);
  assert_true(((running >> 16) & 0xff) > ((running >> 8) & 0xff) + 80); /* the red accent */

  fake_real += 200000; /* 01:40.1 left: still 01:41 */
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count);
  countdown_edge(r, &at_41b);
  assert_true(same_region(at_41, at_41b, x, y, (int)w, (int)h));

  fake_real += G_USEC_PER_SEC; /* 00:99.1 left: 01:40 */
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 1);
  countdown_edge(r, &at_40);
  assert_false(same_region(at_41, at_40, x, y, (int)w, (int)h)); /* the digits changed */

  fake_real = end; /* the end instant: ended, "恢复原价 ¥299" */
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 2);
  guint32 grey = countdown_edge(r, &ended);
  int red = (grey >> 16) & 0xff, green = (grey >> 8) & 0xff;
  assert_true(ABS(red - green) < 16); /* the grey ended state */
  fake_real += 60 * G_USEC_PER_SEC;
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
      tmpdir, "long.ini",
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
  update(r, show);
  for (ScLayer l = SC_LAYER_PRODUCT; l <= SC_LAYER_LOWER_THIRD; l++)
    assert_true(sc_renderer_get_layer_rect(r, l, NULL, NULL, NULL, NULL));
  check_portrait_safe(r);
  ACT(sc_show_closing(show, TRUE, &e_));
  update(r, show);
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_CLOSING, NULL, NULL, NULL, NULL));
  check_portrait_safe(r);
}

/* ---- onto the program frame ---- */

static void
test_blend_onto_i420(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  update(r, show);
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
      cmocka_unit_test_setup_teardown(test_golden, setup, teardown),
      cmocka_unit_test_setup_teardown(test_caching, setup, teardown),
      cmocka_unit_test_setup_teardown(test_countdown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_long_name_is_ellipsized, setup, teardown),
      cmocka_unit_test_setup_teardown(test_portrait_safe_areas, setup, teardown),
      cmocka_unit_test_setup_teardown(test_blend_onto_i420, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  /* fontconfig's and cairo's process-wide caches, so that a leak check sees ours */
  cairo_debug_reset_static_data();
  FcFini();
  return failed;
}
