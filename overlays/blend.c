#define G_LOG_DOMAIN "shopcast-blend"

#include "overlays/blend.h"

#include <string.h>

/* A layer's pixels in the frame's format. The chroma planes follow the
 * frame's 2x2 grid, so they depend on where the layer sits (modulo 2). */
typedef struct {
  GstBuffer *pixels; /* the rectangle's ARGB pixels, held: the key */
  int parity_x, parity_y;
  GstVideoColorMatrix matrix;
  GstVideoColorRange range;
  int w, h;             /* luma samples */
  int cw, ch;           /* chroma samples */
  guint8 *y, *a;        /* premultiplied luma and its alpha, w x h */
  guint8 *cb, *cr, *ca; /* premultiplied chroma and its alpha, cw x ch */
  gboolean used;        /* by the composition being blended */
} Layer;

struct _ScBlender {
  GPtrArray *layers; /* Layer* */
};

/* Fixed-point (16.16) RGB -> Y'CbCr for premultiplied samples. */
typedef struct {
  gint32 y_off, yr, yg, yb;
  gint32 c_off, ur, ug, ub, vr, vg, vb;
} Coefficients;

static void
layer_free(gpointer data)
{
  Layer *l = data;
  gst_buffer_unref(l->pixels);
  g_free(l->y);
  g_free(l->cb);
  g_free(l);
}

ScBlender *
sc_blender_new(void)
{
  ScBlender *b = g_new0(ScBlender, 1);
  b->layers = g_ptr_array_new_with_free_func(layer_free);
  return b;
}

void
sc_blender_free(ScBlender *b)
{
  if (b == NULL)
    return;
  g_ptr_array_unref(b->layers);
  g_free(b);
}

/* ---- conversion, once per layer picture ---- */

static Coefficients
coefficients(GstVideoColorMatrix matrix, GstVideoColorRange range)
{
  gdouble kr = 0.2126, kb = 0.0722; /* BT.709 when the matrix says nothing */
  gst_video_color_matrix_get_Kr_Kb(matrix, &kr, &kb);
  gdouble kg = 1 - kr - kb;
  gboolean full = range == GST_VIDEO_COLOR_RANGE_0_255;
  gdouble ys = (full ? 255.0 : 219.0) / 255, cs = (full ? 255.0 : 224.0) / 255;
  const gdouble one = 65536;
  Coefficients c = {
      .y_off = (gint32)((full ? 0 : 16) * one / 255),
      .yr = (gint32)(ys * kr * one),
      .yg = (gint32)(ys * kg * one),
      .yb = (gint32)(ys * kb * one),
      .c_off = (gint32)(128 * one / 255),
      .ur = (gint32)(-cs * kr / (2 * (1 - kb)) * one),
      .ug = (gint32)(-cs * kg / (2 * (1 - kb)) * one),
      .ub = (gint32)(cs * 0.5 * one),
      .vr = (gint32)(cs * 0.5 * one),
      .vg = (gint32)(-cs * kg / (2 * (1 - kr)) * one),
      .vb = (gint32)(-cs * kb / (2 * (1 - kr)) * one),
  };
  return c;
}

static inline guint8
fixed_to_u8(gint32 v, guint max)
{
  gint32 r = (v + 32768) >> 16;
  return (guint8)CLAMP(r, 0, (gint32)max);
}

static void
convert(Layer *l, const guint8 *argb, gint stride)
{
  Coefficients k = coefficients(l->matrix, l->range);
  gsize luma = (gsize)l->w * l->h, chroma = (gsize)l->cw * l->ch;
  l->y = g_malloc(luma * 2);
  l->a = l->y + luma;
  l->cb = g_malloc0(chroma * 3);
  l->cr = l->cb + chroma;
  l->ca = l->cr + chroma;
  /* sums over each 2x2 block: outside the layer counts as transparent */
  g_autofree gint32 *sums = g_new0(gint32, chroma * 3);
  for (int row = 0; row < l->h; row++) {
    const guint8 *p = argb + (gsize)row * stride;
    int crow = (row + l->parity_y) / 2;
    for (int x = 0; x < l->w; x++, p += 4) {
      /* cairo's ARGB32 in memory on a little-endian machine: B, G, R, A */
      gint32 b = p[0], g = p[1], r = p[2], a = p[3];
      gsize i = (gsize)row * l->w + x;
      l->a[i] = (guint8)a;
      l->y[i] = fixed_to_u8(k.y_off * a + k.yr * r + k.yg * g + k.yb * b, a);
      gsize ci = (gsize)crow * l->cw + (x + l->parity_x) / 2;
      sums[ci] += k.c_off * a + k.ur * r + k.ug * g + k.ub * b;
      sums[chroma + ci] += k.c_off * a + k.vr * r + k.vg * g + k.vb * b;
      sums[2 * chroma + ci] += a;
    }
  }
  for (gsize i = 0; i < chroma; i++) {
    guint alpha = (guint)(sums[2 * chroma + i] + 2) / 4;
    l->ca[i] = (guint8)alpha;
    l->cb[i] = fixed_to_u8(sums[i] / 4, alpha);
    l->cr[i] = fixed_to_u8(sums[chroma + i] / 4, alpha);
  }
}

/* The layer for @rect at (@x, @y) in @frame's colours: cached, or made. */
static Layer *
layer_for(ScBlender *b, GstBuffer *pixels, int x, int y, const GstVideoInfo *info)
{
  GstVideoColorMatrix matrix = info->colorimetry.matrix;
  if (matrix == GST_VIDEO_COLOR_MATRIX_UNKNOWN)
    matrix = info->height >= 720 ? GST_VIDEO_COLOR_MATRIX_BT709 : GST_VIDEO_COLOR_MATRIX_BT601;
  GstVideoColorRange range = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255
                                 ? GST_VIDEO_COLOR_RANGE_0_255
                                 : GST_VIDEO_COLOR_RANGE_16_235;
  int px = x & 1, py = y & 1;
  for (guint i = 0; i < b->layers->len; i++) {
    Layer *l = g_ptr_array_index(b->layers, i);
    if (l->pixels == pixels && l->parity_x == px && l->parity_y == py && l->matrix == matrix &&
        l->range == range)
      return l;
  }
  GstVideoMeta *meta = gst_buffer_get_video_meta(pixels);
  GstMapInfo map;
  if (meta == NULL || !gst_buffer_map(pixels, &map, GST_MAP_READ))
    return NULL;
  Layer *l = g_new0(Layer, 1);
  l->pixels = gst_buffer_ref(pixels);
  l->parity_x = px;
  l->parity_y = py;
  l->matrix = matrix;
  l->range = range;
  l->w = (int)meta->width;
  l->h = (int)meta->height;
  l->cw = (px + l->w + 1) / 2;
  l->ch = (py + l->h + 1) / 2;
  convert(l, map.data + meta->offset[0], meta->stride[0]);
  gst_buffer_unmap(pixels, &map);
  g_ptr_array_add(b->layers, l);
  return l;
}

/* ---- the blend, every frame ---- */

/* x / 255, rounded, for x in 0..65535 */
static inline guint
div255(guint x)
{
  return (x + 128 + ((x + 128) >> 8)) >> 8;
}

/* dst = dst * (1 - a) + p, with a and p premultiplied, scaled by @g / 256. */
static void
blend_row(guint8 *dst, const guint8 *p, const guint8 *a, int n, guint g)
{
  if (g >= 256) {
    for (int i = 0; i < n; i++)
      dst[i] = (guint8)MIN(dst[i] - div255(dst[i] * a[i]) + p[i], 255u);
    return;
  }
  for (int i = 0; i < n; i++) {
    guint aa = (a[i] * g) >> 8, pp = (p[i] * g) >> 8;
    dst[i] = (guint8)MIN(dst[i] - div255(dst[i] * aa) + pp, 255u);
  }
}

/* Blends @plane (@w x @h samples with alpha @alpha) with its top-left at
 * (@x, @y) onto @comp of @frame, clipped to the frame. */
static void
blend_plane(GstVideoFrame *frame, int comp, const guint8 *plane, const guint8 *alpha, int w, int h,
            int x, int y, guint g)
{
  int fw = GST_VIDEO_FRAME_COMP_WIDTH(frame, comp), fh = GST_VIDEO_FRAME_COMP_HEIGHT(frame, comp);
  int x0 = MAX(x, 0), y0 = MAX(y, 0), x1 = MIN(x + w, fw), y1 = MIN(y + h, fh);
  if (x0 >= x1 || y0 >= y1)
    return;
  guint8 *data = GST_VIDEO_FRAME_COMP_DATA(frame, comp);
  gint stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, comp);
  for (int row = y0; row < y1; row++) {
    gsize src = (gsize)(row - y) * w + (x0 - x);
    blend_row(data + (gsize)row * stride + x0, plane + src, alpha + src, x1 - x0, g);
  }
}

static void
blend_layer(const Layer *l, GstVideoFrame *frame, int x, int y, gfloat global_alpha)
{
  guint g = (guint)CLAMP(global_alpha * 256 + 0.5f, 0, 256);
  if (g == 0)
    return;
  blend_plane(frame, GST_VIDEO_COMP_Y, l->y, l->a, l->w, l->h, x, y, g);
  /* the layer's chroma starts at the frame's chroma sample holding (x, y) */
  int cx = (x - l->parity_x) / 2, cy = (y - l->parity_y) / 2;
  blend_plane(frame, GST_VIDEO_COMP_U, l->cb, l->ca, l->cw, l->ch, cx, cy, g);
  blend_plane(frame, GST_VIDEO_COMP_V, l->cr, l->ca, l->cw, l->ch, cx, cy, g);
}

/* Everything ScBlender blends itself: I420 frames, rectangles drawn 1:1. */
static gboolean
can_blend(GstVideoOverlayComposition *composition, const GstVideoFrame *frame)
{
  if (GST_VIDEO_FRAME_FORMAT(frame) != GST_VIDEO_FORMAT_I420)
    return FALSE;
  guint n = gst_video_overlay_composition_n_rectangles(composition);
  for (guint i = 0; i < n; i++) {
    GstVideoOverlayRectangle *rect = gst_video_overlay_composition_get_rectangle(composition, i);
    gint x, y;
    guint w, h;
    gst_video_overlay_rectangle_get_render_rectangle(rect, &x, &y, &w, &h);
    GstBuffer *pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb(
        rect, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA |
                  GST_VIDEO_OVERLAY_FORMAT_FLAG_GLOBAL_ALPHA);
    GstVideoMeta *meta = pixels ? gst_buffer_get_video_meta(pixels) : NULL;
    if (meta == NULL || meta->width != w || meta->height != h)
      return FALSE;
  }
  return TRUE;
}

void
sc_blender_blend(ScBlender *b, GstVideoOverlayComposition *composition, GstVideoFrame *frame)
{
  if (!can_blend(composition, frame)) {
    gst_video_overlay_composition_blend(composition, frame);
    return;
  }
  for (guint i = 0; i < b->layers->len; i++)
    ((Layer *)g_ptr_array_index(b->layers, i))->used = FALSE;
  guint n = gst_video_overlay_composition_n_rectangles(composition);
  for (guint i = 0; i < n; i++) {
    GstVideoOverlayRectangle *rect = gst_video_overlay_composition_get_rectangle(composition, i);
    gint x, y;
    gst_video_overlay_rectangle_get_render_rectangle(rect, &x, &y, NULL, NULL);
    GstBuffer *pixels = gst_video_overlay_rectangle_get_pixels_unscaled_argb(
        rect, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA |
                  GST_VIDEO_OVERLAY_FORMAT_FLAG_GLOBAL_ALPHA);
    Layer *l = layer_for(b, pixels, x, y, &frame->info);
    if (l == NULL)
      continue;
    l->used = TRUE;
    blend_layer(l, frame, x, y, gst_video_overlay_rectangle_get_global_alpha(rect));
  }
  /* layers no picture shows any more */
  for (guint i = b->layers->len; i-- > 0;)
    if (!((Layer *)g_ptr_array_index(b->layers, i))->used)
      g_ptr_array_remove_index_fast(b->layers, i);
}
