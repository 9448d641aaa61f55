/* Tests for overlays/render.c in time: graphics fade in and out over
 * SC_RENDER_FADE_US, a changed price is replaced at once and never
 * cross-faded, and the renderer says when the picture changes by itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/render-fixture.h"
#include "tests/support/testutil.h"

#include <string.h>

/* ---- fades ---- */

/* The rectangle of @layer in @comp (found by its place), or NULL. */
static GstVideoOverlayRectangle *
find_rect(GstVideoOverlayComposition *comp, ScRenderer *r, ScLayer layer)
{
  gint x, y;
  guint w, h;
  sc_renderer_get_layer_rect(r, layer, &x, &y, &w, &h);
  for (guint i = 0; comp && i < gst_video_overlay_composition_n_rectangles(comp); i++) {
    GstVideoOverlayRectangle *rect = gst_video_overlay_composition_get_rectangle(comp, i);
    gint rx, ry;
    guint rw, rh;
    gst_video_overlay_rectangle_get_render_rectangle(rect, &rx, &ry, &rw, &rh);
    if (rx == x && ry == y && rw == w && rh == h)
      return rect;
  }
  return NULL;
}

static double
rect_alpha(GstVideoOverlayRectangle *rect)
{
  assert_non_null(rect);
  return gst_video_overlay_rectangle_get_global_alpha(rect);
}

/* The pixels as drawn (no global alpha applied, so no copy). */
static GstBuffer *
rect_pixels(GstVideoOverlayRectangle *rect)
{
  assert_non_null(rect);
  return gst_video_overlay_rectangle_get_pixels_unscaled_raw(
      rect, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA |
                GST_VIDEO_OVERLAY_FORMAT_FLAG_GLOBAL_ALPHA);
}

/* The composition at wall-clock @t (us after @t0). */
static GstVideoOverlayComposition *
picture_at(ScRenderer *r, ScShow *show, gint64 t0, gint64 t)
{
  sc_renderer_update(r, sc_show_get_file(show), sc_show_get_on_air(show), t0 + t);
  return sc_renderer_get_composition(r);
}

/* The luma of the frame's (x, y) after blending @comp onto a dark I420 frame. */
static guint8
blended_luma(GstVideoOverlayComposition *comp, int x, int y)
{
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 1280, 720);
  GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&info), NULL);
  gst_buffer_memset(buffer, 0, 16, GST_VIDEO_INFO_SIZE(&info));
  GstVideoFrame frame;
  assert_true(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READWRITE));
  assert_true(gst_video_overlay_composition_blend(comp, &frame));
  const guint8 *luma = GST_VIDEO_FRAME_PLANE_DATA(&frame, 0);
  guint8 value = luma[y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0) + x];
  gst_video_frame_unmap(&frame);
  gst_buffer_unref(buffer);
  return value;
}

static void
test_fade_in(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  gint64 t0 = sc_test_real_us;
  GstVideoOverlayComposition *at0 = picture_at(r, show, t0, 0);
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_PRODUCT, NULL, NULL, NULL, NULL));
  Box card = layer_box(r, SC_LAYER_PRODUCT);
  GstVideoOverlayRectangle *first = find_rect(at0, r, SC_LAYER_PRODUCT);
  /* a new picture at once, already one step (1/6) in: the first frame shows it */
  assert_float_equal(rect_alpha(first), 1.0 / 6, 1e-3);
  int cx = card.x + (int)card.w - 30, cy = card.y + (int)card.h - 12; /* white card, no text */
  guint8 faint = blended_luma(at0, cx, cy); /* 16 + (235 - 16) * 0.96 / 6 */
  assert_true(faint > 42 && faint < 60);
  GstVideoOverlayComposition *at10 = picture_at(r, show, t0, 10000);
  assert_float_equal(rect_alpha(find_rect(at10, r, SC_LAYER_PRODUCT)), 1.0 / 6 + 0.05, 0.01);
  gst_video_overlay_composition_unref(at10);

  GstVideoOverlayComposition *at100 = picture_at(r, show, t0, 100000);
  assert_ptr_not_equal(at100, at0);
  GstVideoOverlayRectangle *half = find_rect(at100, r, SC_LAYER_PRODUCT);
  assert_float_equal(rect_alpha(half), 1.0 / 6 + 0.5, 0.02);
  assert_ptr_equal(rect_pixels(half), rect_pixels(first)); /* the same pixels, not drawn again */
  guint8 mid = blended_luma(at100, cx, cy);                /* 16 + (235 - 16) * 0.96 * 2 / 3 */
  assert_true(mid > 145 && mid < 168);
  assert_float_equal(rect_alpha(first), 1.0 / 6, 1e-3); /* one handed out is never changed */

  GstVideoOverlayComposition *at200 = picture_at(r, show, t0, SC_RENDER_FADE_US);
  GstVideoOverlayRectangle *full = find_rect(at200, r, SC_LAYER_PRODUCT);
  assert_float_equal(rect_alpha(full), 1.0, 1e-6);
  assert_ptr_equal(rect_pixels(full), rect_pixels(first));
  assert_true(blended_luma(at200, cx, cy) > 220);
  assert_int_equal(sc_renderer_get_render_count(r), 1);
  GstVideoOverlayComposition *later = picture_at(r, show, t0, 5 * G_USEC_PER_SEC);
  assert_ptr_equal(later, at200); /* nothing moved: the same picture */
  gst_video_overlay_composition_unref(later);
  gst_video_overlay_composition_unref(at0);
  gst_video_overlay_composition_unref(at100);
  gst_video_overlay_composition_unref(at200);
}

static void
test_fade_out(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  ACT(sc_show_coupon(show, TRUE, &e_));
  settle(r, show);
  Box coupon = layer_box(r, SC_LAYER_COUPON);
  cairo_surface_t *before = snapshot(r, 0);
  guint32 stub = pixel(before, coupon.x + 12, coupon.y + (int)coupon.h / 2); /* the red stub */
  cairo_surface_destroy(before);
  assert_true(channel(stub, 24) > 240 && channel(stub, 16) > 200 && channel(stub, 8) < 80);

  ACT(sc_show_coupon(show, FALSE, &e_));
  gint64 t0 = sc_test_real_us;
  GstVideoOverlayComposition *at0 = picture_at(r, show, t0, 0);
  assert_false(sc_renderer_get_layer_rect(r, SC_LAYER_COUPON, NULL, NULL, NULL, NULL));
  assert_int_equal(gst_video_overlay_composition_n_rectangles(at0), 2); /* still in the picture */
  assert_float_equal(rect_alpha(find_rect(at0, r, SC_LAYER_COUPON)), 5.0 / 6, 0.01);

  GstVideoOverlayComposition *at100 = picture_at(r, show, t0, 100000);
  assert_float_equal(rect_alpha(find_rect(at100, r, SC_LAYER_COUPON)), 1.0 / 3, 0.02);
  cairo_surface_t *mid = snapshot(r, 0);
  guint32 faded = pixel(mid, coupon.x + 12, coupon.y + (int)coupon.h / 2);
  cairo_surface_destroy(mid);
  assert_true(ABS((int)channel(faded, 24) - channel(stub, 24) / 3) <= 4); /* a third of it */

  GstVideoOverlayComposition *at200 = picture_at(r, show, t0, SC_RENDER_FADE_US);
  assert_int_equal(gst_video_overlay_composition_n_rectangles(at200), 1); /* gone */
  assert_null(find_rect(at200, r, SC_LAYER_COUPON));
  assert_int_equal(gst_video_overlay_composition_n_rectangles(at0), 2); /* unchanged */
  gst_video_overlay_composition_unref(at0);
  gst_video_overlay_composition_unref(at100);
  gst_video_overlay_composition_unref(at200);

  /* a fade turned around midway goes back from where it is, at the same speed */
  ACT(sc_show_coupon(show, TRUE, &e_));
  t0 = sc_test_real_us;
  gst_video_overlay_composition_unref(picture_at(r, show, t0, 0));
  gst_video_overlay_composition_unref(picture_at(r, show, t0, 150000)); /* 11/12 */
  assert_true(sc_show_coupon(show, FALSE, NULL));
  GstVideoOverlayComposition *turn = picture_at(r, show, t0, 150000);
  assert_float_equal(rect_alpha(find_rect(turn, r, SC_LAYER_COUPON)), 0.75, 0.02);
  assert_int_equal(sc_renderer_next_update(r), t0 + 150000 + 33333);
  GstVideoOverlayComposition *back = picture_at(r, show, t0, 200000);
  assert_float_equal(rect_alpha(find_rect(back, r, SC_LAYER_COUPON)), 0.5, 0.02);
  gst_video_overlay_composition_unref(turn);
  gst_video_overlay_composition_unref(back);
  GstVideoOverlayComposition *gone = picture_at(r, show, t0, 300000); /* 0.75 * 200 ms later */
  assert_int_equal(gst_video_overlay_composition_n_rectangles(gone), 1);
  gst_video_overlay_composition_unref(gone);
}

static void
test_content_change_is_not_faded(void **state)
{
  g_autoptr(ScShow) show = example_show();
  /* portrait: the column grows upwards from the bottom, so the card stays put
   * when the correction card comes on top */
  g_autoptr(ScRenderer) r = sc_renderer_new(720, 1280, NULL);
  ACT(sc_show_goto_product(show, "down-jacket", &e_));
  ACT(sc_show_set_stock(show, 500, &e_));
  settle(r, show);
  Box card = layer_box(r, SC_LAYER_PRODUCT);
  cairo_surface_t *old_frame = snapshot(r, 0);
  GstVideoOverlayComposition *old = sc_renderer_get_composition(r);
  GstBuffer *old_pixels = rect_pixels(find_rect(old, r, SC_LAYER_PRODUCT));

  ACT(sc_show_correct_price(show, "189", &e_)); /* a new price: at once */
  update(r, show);
  GstVideoOverlayComposition *now = sc_renderer_get_composition(r);
  assert_ptr_not_equal(now, old);
  GstVideoOverlayRectangle *card_rect = find_rect(now, r, SC_LAYER_PRODUCT);
  assert_float_equal(rect_alpha(card_rect), 1.0, 1e-6); /* never two prices half visible */
  assert_ptr_not_equal(rect_pixels(card_rect), old_pixels);
  cairo_surface_t *new_frame = snapshot(r, 0);
  assert_false(same_region(old_frame, new_frame, card.x, card.y, (int)card.w, (int)card.h));
  assert_ptr_equal(rect_pixels(find_rect(old, r, SC_LAYER_PRODUCT)), old_pixels);
  /* the correction card that came with it fades in */
  assert_float_equal(rect_alpha(find_rect(now, r, SC_LAYER_CORRECTION)), 1.0 / 6, 1e-3);
  gst_video_overlay_composition_unref(now);
  gst_video_overlay_composition_unref(old);
  cairo_surface_destroy(old_frame);
  cairo_surface_destroy(new_frame);

  /* a new stock number while the counter is still fading in: replaced at
   * once, and the fade goes on where it was */
  ACT(sc_show_stock_visible(show, FALSE, &e_));
  settle(r, show);
  ACT(sc_show_stock_visible(show, TRUE, &e_));
  gint64 t0 = sc_test_real_us;
  gst_video_overlay_composition_unref(picture_at(r, show, t0, 0));
  GstVideoOverlayComposition *a = picture_at(r, show, t0, 50000);
  ACT(sc_show_set_stock(show, 499, &e_));
  GstVideoOverlayComposition *b = picture_at(r, show, t0, 100000);
  GstVideoOverlayRectangle *ra = find_rect(a, r, SC_LAYER_STOCK);
  GstVideoOverlayRectangle *rb = find_rect(b, r, SC_LAYER_STOCK);
  assert_non_null(ra);
  assert_float_equal(rect_alpha(rb), 1.0 / 6 + 0.5, 0.02);
  assert_ptr_not_equal(rect_pixels(rb), rect_pixels(ra));
  gst_video_overlay_composition_unref(a);
  gst_video_overlay_composition_unref(b);
}

/* ---- when to update ---- */

/* A fade starts one step (33.3 ms) in, so it ends this long after the change. */
#define FADE_END_US (SC_RENDER_FADE_US - 33333)

static void
test_next_update(void **state)
{
  g_autoptr(ScShow) show = example_show();
  g_autoptr(ScRenderer) r = sc_renderer_new(1280, 720, NULL);
  assert_true(sc_renderer_next_update(r) == G_MAXINT64);
  update(r, show);
  assert_true(sc_renderer_next_update(r) == G_MAXINT64); /* nothing on air */

  /* a fade: a step about every 33 ms, the last one at its end, then nothing */
  ACT(sc_show_goto_product(show, "snow-boots", &e_));
  gint64 t0 = sc_test_real_us, t = t0;
  update(r, show);
  int steps = 0;
  for (gint64 next; (next = sc_renderer_next_update(r)) != G_MAXINT64; steps++) {
    assert_true(next > t && next - t <= 34000);
    assert_true(next <= t0 + FADE_END_US);
    t = next;
    sc_renderer_update(r, sc_show_get_file(show), sc_show_get_on_air(show), t);
    assert_true(steps < 10);
  }
  assert_int_equal(t, t0 + FADE_END_US);
  assert_int_equal(steps, 6); /* 5 steps of 33.3 ms and the end */
  GstVideoOverlayComposition *comp = sc_renderer_get_composition(r);
  assert_float_equal(rect_alpha(find_rect(comp, r, SC_LAYER_PRODUCT)), 1.0, 1e-6);
  gst_video_overlay_composition_unref(comp);

  /* the countdown: at each second boundary of what is left, until it ends */
  sc_test_advance_ms(SC_RENDER_FADE_US / 1000);
  ACT(sc_show_flash_start(show, &e_));
  gint64 end = sc_show_get_on_air(show)->flash_end_us;
  sc_test_real_us = end - 100 * G_USEC_PER_SEC - 500000; /* 01:40.5 left */
  update(r, show);
  gint64 fade_step = sc_renderer_next_update(r);
  assert_true(fade_step > sc_test_real_us &&
              fade_step <= sc_test_real_us + 34000);                        /* it is fading in */
  settle(r, show);                                                          /* 01:40.3 left */
  assert_int_equal(sc_renderer_next_update(r), end - 100 * G_USEC_PER_SEC); /* 01:40 */
  guint count = sc_renderer_get_render_count(r);
  sc_test_real_us = end - 100 * G_USEC_PER_SEC;
  update(r, show);
  assert_int_equal(sc_renderer_get_render_count(r), count + 1);
  assert_int_equal(sc_renderer_next_update(r), end - 99 * G_USEC_PER_SEC);
  sc_test_real_us = end - 400000;
  update(r, show);
  assert_int_equal(sc_renderer_next_update(r), end); /* 00:01, then ended */
  sc_test_real_us = end;
  update(r, show);
  assert_true(sc_renderer_next_update(r) == G_MAXINT64); /* "ended" does not change */
}

/* ---- the theme ---- */

/* The countdown card's left edge (unpremultiplied r, g, b). */
int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fade_in, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_fade_out, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_content_change_is_not_faded, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_next_update, sc_test_dir_setup, sc_test_dir_teardown),
  };
  return cmocka_run_group_tests_name("render-motion", tests, NULL, NULL);
}
