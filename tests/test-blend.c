/* Tests for overlays/blend.c: the overlay stage's own blend against
 * GStreamer's (gst_video_overlay_composition_blend), the reference, on real
 * graphics from the renderer over a frame with detail in every plane: opaque
 * and antialiased edges, a fade's global alpha, odd positions (the chroma
 * grid) and layers partly outside the frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "overlays/blend.h"
#include "overlays/render.h"
#include "tests/support/testutil.h"

#include <string.h>

#define WIDTH  1280
#define HEIGHT 720

/* A frame with a gradient in each plane, so a wrong blend shows anywhere. */
static GstBuffer *
background(GstVideoInfo *info)
{
  gst_video_info_set_format(info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
  GstVideoFrame f;
  assert_true(gst_video_frame_map(&f, info, buffer, GST_MAP_WRITE));
  for (int c = 0; c < 3; c++) {
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA(&f, c);
    int stride = GST_VIDEO_FRAME_COMP_STRIDE(&f, c);
    for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT(&f, c); y++)
      for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&f, c); x++)
        data[y * stride + x] =
            (guint8)(c == 0 ? 16 + (x + 2 * y) % 220 : 16 + (3 * x + y + 50 * c) % 224);
  }
  gst_video_frame_unmap(&f);
  return buffer;
}

/* The example show's product card, coupon, stock counter and a lower third,
 * fades finished. */
static GstVideoOverlayComposition *
graphics(ScRenderer *r, ScShowFile *file)
{
  ScOnAir on_air = {.product = g_ptr_array_index(file->products, 0),
                    .coupon = TRUE,
                    .stock = TRUE,
                    .lower_third_name = "王师傅",
                    .lower_third_role = "连麦嘉宾"};
  gint64 t = G_GINT64_CONSTANT(1795428902) * G_USEC_PER_SEC;
  sc_renderer_update(r, file, &on_air, t);
  sc_renderer_update(r, file, &on_air, t + G_USEC_PER_SEC);
  return sc_renderer_get_composition(r);
}

/* The same layers moved by (@dx, @dy) and at @alpha. */
static GstVideoOverlayComposition *
moved(GstVideoOverlayComposition *comp, int dx, int dy, gfloat alpha)
{
  GstVideoOverlayComposition *out = NULL;
  for (guint i = 0; i < gst_video_overlay_composition_n_rectangles(comp); i++) {
    GstVideoOverlayRectangle *copy =
        gst_video_overlay_rectangle_copy(gst_video_overlay_composition_get_rectangle(comp, i));
    gint x, y;
    guint w, h;
    gst_video_overlay_rectangle_get_render_rectangle(copy, &x, &y, &w, &h);
    gst_video_overlay_rectangle_set_render_rectangle(copy, x + dx, y + dy, w, h);
    gst_video_overlay_rectangle_set_global_alpha(copy, alpha);
    if (out == NULL)
      out = gst_video_overlay_composition_new(copy);
    else
      gst_video_overlay_composition_add_rectangle(out, copy);
    gst_video_overlay_rectangle_unref(copy);
  }
  return out;
}

/* What the layers of @comp put on each chroma sample of the frame: 0 nothing,
 * 1 one colour (its 2x2 luma samples are the same pixel of one layer), 2 an
 * edge (pixels that differ, or the layer's border). */
static guint8 *
chroma_cover(GstVideoOverlayComposition *comp, int cw, int ch)
{
  guint8 *cover = g_malloc0((gsize)cw * ch);
  for (guint i = 0; i < gst_video_overlay_composition_n_rectangles(comp); i++) {
    GstVideoOverlayRectangle *rect = gst_video_overlay_composition_get_rectangle(comp, i);
    gint rx, ry;
    guint rw, rh;
    gst_video_overlay_rectangle_get_render_rectangle(rect, &rx, &ry, &rw, &rh);
    GstBuffer *pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb(
        rect, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA |
                  GST_VIDEO_OVERLAY_FORMAT_FLAG_GLOBAL_ALPHA);
    GstVideoMeta *meta = gst_buffer_get_video_meta(pixels);
    GstMapInfo map;
    assert_true(gst_buffer_map(pixels, &map, GST_MAP_READ));
    const guint32 *px = (const guint32 *)(map.data + meta->offset[0]);
    int stride = meta->stride[0] / 4;
    for (int cy = MAX(ry, 0) / 2; cy <= MIN(ry + (int)rh - 1, HEIGHT - 1) / 2; cy++)
      for (int cx = MAX(rx, 0) / 2; cx <= MIN(rx + (int)rw - 1, WIDTH - 1) / 2; cx++) {
        int lx = 2 * cx - rx, ly = 2 * cy - ry;
        gboolean inside = lx >= 0 && ly >= 0 && lx + 1 < (int)rw && ly + 1 < (int)rh;
        guint32 p = inside ? px[ly * stride + lx] : 0;
        gboolean one = inside && px[ly * stride + lx + 1] == p && px[(ly + 1) * stride + lx] == p &&
                       px[(ly + 1) * stride + lx + 1] == p;
        cover[cy * cw + cx] = one && cover[cy * cw + cx] == 0 ? 1 : 2;
      }
    gst_buffer_unmap(pixels, &map);
  }
  return cover;
}

typedef struct {
  guint compared;  /* samples of one colour (chroma) or covered (luma) */
  guint off;       /* of those, more than 2 levels from the reference */
  guint untouched; /* samples no layer covers that our blend changed */
} Difference;

/* Blends @comp onto two copies of the background, GStreamer's way and ours,
 * and compares plane @c. Luma: everywhere. Chroma: where a sample is one
 * colour of one layer; at edges the two subsample differently (GStreamer keeps
 * one of the 2x2 samples, ours averages them), and neither is the reference. */
static Difference
compare(ScBlender *blender, GstVideoOverlayComposition *comp, int c)
{
  GstVideoInfo info;
  g_autoptr(GstBuffer) bg = background(&info);
  g_autoptr(GstBuffer) ref = gst_buffer_copy_deep(bg);
  g_autoptr(GstBuffer) ours = gst_buffer_copy_deep(bg);
  GstVideoFrame fb, fr, fo;
  assert_true(gst_video_frame_map(&fr, &info, ref, GST_MAP_READWRITE));
  assert_true(gst_video_frame_map(&fo, &info, ours, GST_MAP_READWRITE));
  assert_true(gst_video_frame_map(&fb, &info, bg, GST_MAP_READ));
  gst_video_overlay_composition_blend(comp, &fr);
  sc_blender_blend(blender, comp, &fo);
  int w = GST_VIDEO_FRAME_COMP_WIDTH(&fr, c), h = GST_VIDEO_FRAME_COMP_HEIGHT(&fr, c);
  g_autofree guint8 *cover = chroma_cover(comp, WIDTH / 2, HEIGHT / 2);
  Difference d = {0};
  int stride = GST_VIDEO_FRAME_COMP_STRIDE(&fr, c);
  const guint8 *pb = GST_VIDEO_FRAME_COMP_DATA(&fb, c), *pr = GST_VIDEO_FRAME_COMP_DATA(&fr, c),
               *po = GST_VIDEO_FRAME_COMP_DATA(&fo, c);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int i = y * stride + x;
      guint8 covered = c == 0 ? cover[(y / 2) * (WIDTH / 2) + x / 2] : cover[y * (WIDTH / 2) + x];
      if (covered == 0) {
        d.untouched += po[i] != pb[i];
        continue;
      }
      if (c > 0 && covered != 1)
        continue;
      d.compared++;
      d.off += ABS((int)pr[i] - (int)po[i]) > 2;
    }
  gst_video_frame_unmap(&fb);
  gst_video_frame_unmap(&fr);
  gst_video_frame_unmap(&fo);
  return d;
}

static void
assert_matches(ScBlender *blender, GstVideoOverlayComposition *comp, const char *what)
{
  static const char *const planes[] = {"Y", "U", "V"};
  for (int c = 0; c < 3; c++) {
    Difference d = compare(blender, comp, c);
    if (d.compared < 1000 || d.off > d.compared / 1000 || d.untouched)
      fail_msg("%s, plane %s: %u samples compared, %u more than 2 levels off GStreamer's blend, "
               "%u changed outside every layer",
               what, planes[c], d.compared, d.off, d.untouched);
  }
}

static void
test_matches_gstreamer(void **state)
{
  g_autofree char *path = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowFile) file = sc_show_file_load(path, &error);
  g_assert_no_error(error);
  g_autoptr(ScRenderer) r = sc_renderer_new(WIDTH, HEIGHT, NULL);
  g_autoptr(ScBlender) blender = sc_blender_new();
  GstVideoOverlayComposition *comp = graphics(r, file);
  assert_true(gst_video_overlay_composition_n_rectangles(comp) >= 4);
  assert_matches(blender, comp, "as drawn");

  GstVideoOverlayComposition *fading = moved(comp, 0, 0, 0.4f);
  assert_matches(blender, fading, "at alpha 0.4");
  GstVideoOverlayComposition *odd = moved(comp, 1, 1, 1.0f);
  assert_matches(blender, odd, "moved to odd coordinates");
  GstVideoOverlayComposition *out = moved(comp, -301, -41, 1.0f);
  assert_matches(blender, out, "partly outside the frame");
  GstVideoOverlayComposition *gone = moved(comp, WIDTH, HEIGHT, 1.0f);
  GstVideoInfo info;
  g_autoptr(GstBuffer) bg = background(&info);
  g_autoptr(GstBuffer) copy = gst_buffer_copy_deep(bg);
  GstVideoFrame f;
  assert_true(gst_video_frame_map(&f, &info, copy, GST_MAP_READWRITE));
  sc_blender_blend(blender, gone, &f); /* wholly outside: nothing changes */
  gst_video_frame_unmap(&f);
  GstMapInfo a, b;
  assert_true(gst_buffer_map(bg, &a, GST_MAP_READ) && gst_buffer_map(copy, &b, GST_MAP_READ));
  assert_int_equal(memcmp(a.data, b.data, a.size), 0);
  gst_buffer_unmap(bg, &a);
  gst_buffer_unmap(copy, &b);
  gst_video_overlay_composition_unref(gone);
  gst_video_overlay_composition_unref(out);
  gst_video_overlay_composition_unref(odd);
  gst_video_overlay_composition_unref(fading);
  gst_video_overlay_composition_unref(comp);
}

/* An opaque white card is the frame's white, exactly. */
static void
test_opaque_white_is_exact(void **state)
{
  g_autoptr(GstBuffer) pixels = gst_buffer_new_allocate(NULL, 64 * 16 * 4, NULL);
  gst_buffer_memset(pixels, 0, 0xff, 64 * 16 * 4);
  gst_buffer_add_video_meta(pixels, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_BGRA, 64, 16);
  GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw(
      pixels, 10, 20, 64, 16, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  GstVideoOverlayComposition *comp = gst_video_overlay_composition_new(rect);
  gst_video_overlay_rectangle_unref(rect);
  GstVideoInfo info;
  g_autoptr(GstBuffer) bg = background(&info);
  GstVideoFrame f;
  assert_true(gst_video_frame_map(&f, &info, bg, GST_MAP_READWRITE));
  g_autoptr(ScBlender) blender = sc_blender_new();
  sc_blender_blend(blender, comp, &f);
  const guint8 *y = GST_VIDEO_FRAME_COMP_DATA(&f, 0), *u = GST_VIDEO_FRAME_COMP_DATA(&f, 1);
  int ys = GST_VIDEO_FRAME_COMP_STRIDE(&f, 0), us = GST_VIDEO_FRAME_COMP_STRIDE(&f, 1);
  assert_int_equal(y[25 * ys + 40], 235); /* BT.709 limited range white */
  assert_int_equal(u[12 * us + 20], 128);
  assert_int_equal(y[19 * ys + 40], 16 + (40 + 2 * 19) % 220); /* the row above: untouched */
  gst_video_frame_unmap(&f);
  gst_video_overlay_composition_unref(comp);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_gstreamer),
      cmocka_unit_test(test_opaque_white_is_exact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
