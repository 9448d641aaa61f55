/* render.c - which cards are on air, where they sit, and how transparent.
 *
 * Every layer is drawn (by cards.c) in two steps: onto a recording surface
 * first (its height, and for the pills its width, come from the laid-out
 * text), then replayed onto an image surface of exactly that size. The image
 * surface's pixels are premultiplied ARGB32, which on a little-endian machine
 * is the BGRA GStreamer's overlay rectangles take, so the GstBuffer wraps
 * them without a copy.
 *
 * A layer's rectangle (alpha 1) is made once per picture and place. A
 * composition may be blended by a streaming thread while the main thread
 * works on the next one, so nothing handed out is ever changed: a fading
 * layer is a copy of its rectangle (the copy shares the pixels) with its
 * own global alpha, in a new composition. */
#include "overlays/render.h"

#include "overlays/cards.h"

#include <math.h>
#include <pango/pangocairo.h>

#define FADE_STEP_US 33333 /* a fade moves on once a frame at 30 fps */

G_STATIC_ASSERT(SC_RENDER_FADE_US > 0 && SC_RENDER_FADE_US <= 300 * 1000);

G_DEFINE_QUARK(sc - render - error - quark, sc_render_error)

typedef struct {
  char *key; /* what its picture shows; NULL: no picture */
  cairo_surface_t *surface;
  GstBuffer *buffer;
  GstVideoOverlayRectangle *rect; /* at (x, y), alpha 1; may be handed out: never changed */
  guint version;                  /* the render count when it was drawn */
  guint style;                    /* the theme it was drawn with (ScRenderer.style_serial) */
  int x, y, w, h;
  double shrink;        /* how much shorter the card is when drawn compact */
  gboolean wanted;      /* the show has it on air */
  gboolean on_air;      /* wanted, with a picture, and room for it: fading in or in */
  double alpha;         /* at the last update */
  double fade_from;     /* the alpha when the fade towards on_air began */
  gint64 fade_start_us; /* when it began */
} Layer;

struct _ScRenderer {
  int width, height;
  double safe_x0, safe_y0, safe_x1, safe_y1;
  double column_w; /* the product stack's width */
  ScCardStyle style;
  char *family;           /* style.family */
  gboolean fixed_theme;   /* made with a theme: the show file's is not used */
  guint style_serial;     /* counts theme changes */
  PangoFontMap *font_map; /* its own: no per-thread default font map, freed with it */
  Layer layers[SC_N_LAYERS];
  gboolean compact;        /* the product card is drawn without its image */
  gint64 now_us;           /* of the last update */
  gint64 countdown_change; /* when the countdown on air next changes, or G_MAXINT64 */
  GstVideoOverlayComposition *composition;
  guint render_count;
};

/* The product stack, top to bottom. */
static const ScLayer column[] = {SC_LAYER_CORRECTION, SC_LAYER_COUNTDOWN, SC_LAYER_PRODUCT,
                                 SC_LAYER_COUPON, SC_LAYER_STOCK};

/* ---- pictures ---- */

static double
max_width(ScRenderer *r, ScLayer layer)
{
  double safe_w = r->safe_x1 - r->safe_x0;
  switch (layer) {
  case SC_LAYER_LOGO:
    return safe_w * 0.4;
  case SC_LAYER_LOWER_THIRD:
    return r->style.portrait ? safe_w * 0.8 : safe_w * 0.45;
  case SC_LAYER_OPENING:
  case SC_LAYER_CLOSING:
    return MIN(safe_w * (r->style.portrait ? 0.95 : 0.7), 900 * r->style.u);
  default:
    return r->column_w;
  }
}

static void
forget_picture(Layer *l)
{
  g_clear_pointer(&l->rect, gst_video_overlay_rectangle_unref);
  g_clear_pointer(&l->buffer, gst_buffer_unref);
  g_clear_pointer(&l->surface, cairo_surface_destroy);
  l->w = l->h = 0;
}

static void
layer_clear(Layer *l)
{
  g_clear_pointer(&l->key, g_free);
  forget_picture(l);
  l->on_air = FALSE;
  l->alpha = l->fade_from = 0;
}

/* The image surface, and a GstBuffer of BGRA video wrapping its pixels. */
static void
wrap_picture(Layer *l, cairo_surface_t *recording)
{
  l->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, l->w, l->h);
  cairo_t *cr = cairo_create(l->surface);
  cairo_set_source_surface(cr, recording, 0, 0);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_flush(l->surface);

  int stride = cairo_image_surface_get_stride(l->surface);
  gsize bytes = (gsize)stride * l->h;
  l->buffer = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, cairo_image_surface_get_data(l->surface), bytes, 0, bytes,
      cairo_surface_reference(l->surface), (GDestroyNotify)cairo_surface_destroy);
  gsize offset[GST_VIDEO_MAX_PLANES] = {0};
  gint strides[GST_VIDEO_MAX_PLANES] = {stride};
  gst_buffer_add_video_meta_full(l->buffer, GST_VIDEO_FRAME_FLAG_NONE,
                                 GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, l->w, l->h, 1, offset,
                                 strides);
}

static void
render_layer(ScRenderer *r, ScLayer which, const ScCardScene *scene)
{
  Layer *l = &r->layers[which];
  cairo_surface_t *recording = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cairo_t *cr = cairo_create(recording);
  ScCardSize size = sc_card_draw(which, &r->style, scene, cr, max_width(r, which));
  cairo_destroy(cr);
  forget_picture(l);
  l->shrink = size.shrink;
  l->style = r->style_serial;
  r->render_count++;
  l->version = r->render_count;
  if (size.w > 0 && size.h > 0) { /* else nothing to show: the key stays, so it is not retried */
    l->w = (int)ceil(size.w);
    l->h = (int)ceil(size.h);
    wrap_picture(l, recording);
  }
  cairo_surface_destroy(recording);
}

static void
draw_if_changed(ScRenderer *r, ScLayer which, const ScCardScene *scene)
{
  Layer *l = &r->layers[which];
  g_autofree char *key = sc_card_key(which, scene);
  l->wanted = key != NULL;
  if (key == NULL || (g_strcmp0(key, l->key) == 0 && l->style == r->style_serial))
    return;
  g_free(l->key);
  l->key = g_steal_pointer(&key);
  render_layer(r, which, scene);
}

static void
set_theme(ScRenderer *r, guint32 accent, const char *family)
{
  r->style.accent = accent & 0xFFFFFF;
  g_free(r->family);
  r->family = g_strdup(family ? family : SC_SHOW_DEFAULT_FONT);
  r->style.family = r->family;
  r->style_serial++;
}

/* Takes the show file's theme, unless the renderer has its own. */
static void
follow_theme(ScRenderer *r, const ScShowFile *file)
{
  const char *font = file->font ? file->font : SC_SHOW_DEFAULT_FONT;
  if (!r->fixed_theme && (r->family == NULL || (file->accent & 0xFFFFFF) != r->style.accent ||
                          g_strcmp0(font, r->family) != 0))
    set_theme(r, file->accent, font);
}

/* ---- fades ---- */

static gint64
fade_end(const Layer *l)
{
  double target = l->on_air ? 1 : 0;
  return l->fade_start_us + (gint64)ceil(fabs(target - l->fade_from) * SC_RENDER_FADE_US);
}

/* Linear, from fade_from towards on_air's alpha at 1 / SC_RENDER_FADE_US. */
static double
fade_alpha(const Layer *l, gint64 now)
{
  double target = l->on_air ? 1 : 0;
  if (now >= fade_end(l))
    return target;
  double step = (double)MAX(now - l->fade_start_us, 0) / SC_RENDER_FADE_US;
  return target > l->fade_from ? l->fade_from + step : l->fade_from - step;
}

static void
set_on_air(Layer *l, gboolean on_air, gint64 now)
{
  if (on_air == l->on_air)
    return;
  l->fade_from = fade_alpha(l, now); /* a fade turning around goes back from where it is */
  /* one step in already: the first frame after the change shows it */
  l->fade_start_us = now - FADE_STEP_US;
  l->on_air = on_air;
}

/* ---- layout ---- */

static gboolean
has_picture(const Layer *l)
{
  return l->wanted && l->surface != NULL;
}

/* The product card's height drawn full (or compact). */
static double
product_h(ScRenderer *r, gboolean compact)
{
  const Layer *l = &r->layers[SC_LAYER_PRODUCT];
  double full = r->compact ? l->h + l->shrink : l->h;
  return compact ? full - l->shrink : full;
}

static gboolean
in_column(ScLayer layer)
{
  for (gsize i = 0; i < G_N_ELEMENTS(column); i++)
    if (column[i] == layer)
      return TRUE;
  return FALSE;
}

static double
gap(ScRenderer *r)
{
  return round(12 * r->style.u);
}

static double
column_h(ScRenderer *r, const gboolean *keep, gboolean compact)
{
  double h = 0;
  int n = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(column); i++) {
    if (!keep[column[i]])
      continue;
    h += column[i] == SC_LAYER_PRODUCT ? product_h(r, compact) : r->layers[column[i]].h;
    n++;
  }
  return n ? h + (n - 1) * gap(r) : 0;
}

/* The room the product stack has: the safe area's height; in portrait, less
 * the logo and the lower third above it. */
static double
column_room(ScRenderer *r)
{
  double top = ceil(r->safe_y0), bottom = floor(r->safe_y1);
  const Layer *logo = &r->layers[SC_LAYER_LOGO], *lower = &r->layers[SC_LAYER_LOWER_THIRD];
  if (r->style.portrait && has_picture(logo))
    top += logo->h + gap(r);
  if (r->style.portrait && has_picture(lower))
    top += lower->h + gap(r);
  return bottom - top;
}

/* Which layers of the stack fit (@keep) and whether the product card must
 * be drawn compact: they give way in the order render.h documents. */
static gboolean
fit_column(ScRenderer *r, gboolean *keep)
{
  static const ScLayer give_way[] = {SC_LAYER_STOCK, SC_LAYER_COUPON, SC_LAYER_PRODUCT,
                                     SC_LAYER_COUNTDOWN};
  for (gsize i = 0; i < G_N_ELEMENTS(column); i++)
    keep[column[i]] = has_picture(&r->layers[column[i]]);
  gboolean compact = FALSE;
  double room = column_room(r);
  for (gsize i = 0; i < G_N_ELEMENTS(give_way) && column_h(r, keep, compact) > room; i++) {
    if (give_way[i] == SC_LAYER_PRODUCT)
      compact = r->layers[SC_LAYER_PRODUCT].shrink > 0;
    else
      keep[give_way[i]] = FALSE;
  }
  return compact;
}

/* Stacks the layers of the column on air at @x, from @y down, or up to @y
 * when @up; returns where the stack ends. */
static double
stack(ScRenderer *r, double x, double y, gboolean up)
{
  gsize n = G_N_ELEMENTS(column);
  for (gsize i = 0; i < n; i++) {
    Layer *l = &r->layers[column[up ? n - 1 - i : i]];
    if (!l->on_air)
      continue;
    if (up)
      y -= l->h;
    l->x = (int)lround(x);
    l->y = (int)lround(MAX(y, 0));
    y += up ? -gap(r) : l->h + gap(r);
  }
  return up ? y + gap(r) : y - gap(r);
}

static void
place(Layer *l, double x, double y)
{
  if (l->on_air) {
    l->x = (int)lround(x);
    l->y = (int)lround(y);
  }
}

/* Places the layers on air; those fading out stay where they were. */
static void
place_layers(ScRenderer *r)
{
  Layer *logo = &r->layers[SC_LAYER_LOGO], *lower = &r->layers[SC_LAYER_LOWER_THIRD];
  double left = ceil(r->safe_x0), top = ceil(r->safe_y0); /* whole pixels inside */
  place(logo, left, top);
  if (r->style.portrait) {
    /* above the platform's comment area, left of its buttons, below the logo */
    double column_top = stack(r, left, floor(r->safe_y1), TRUE);
    if (logo->on_air)
      top += logo->h + gap(r);
    place(lower, left, MAX(top, column_top - gap(r) - lower->h));
  } else {
    stack(r, floor(r->safe_x1) - r->column_w, top, FALSE);
    place(lower, left, floor(r->safe_y1) - lower->h);
  }
  for (ScLayer c = SC_LAYER_OPENING; c <= SC_LAYER_CLOSING; c++) {
    Layer *l = &r->layers[c];
    place(l, (r->safe_x0 + r->safe_x1 - l->w) / 2,
          MAX(r->safe_y0, (r->safe_y0 + r->safe_y1 - l->h) / 2));
  }
}

/* ---- the renderer ---- */

ScRenderer *
sc_renderer_new(guint width, guint height, const ScTheme *theme)
{
  g_return_val_if_fail(width >= 160 && height >= 160, NULL);
  ScRenderer *r = g_new0(ScRenderer, 1);
  r->width = (int)width;
  r->height = (int)height;
  r->style.portrait = height > width;
  r->style.u = MIN(width, height) / 720.0;
  r->fixed_theme = theme != NULL;
  if (theme)
    set_theme(r, theme->accent, theme->family);
  /* title-safe 5%; in portrait the platform's UI owns the bottom 20% and the right 15% */
  gboolean portrait = r->style.portrait;
  r->safe_x0 = 0.05 * width;
  r->safe_y0 = 0.05 * height;
  r->safe_x1 = (portrait ? 0.85 : 0.95) * width;
  r->safe_y1 = (portrait ? 0.80 : 0.95) * height;
  r->column_w = floor(portrait ? MIN(0.62 * width, r->safe_x1 - r->safe_x0) : 0.30 * width);
  /* no hinting: the same shapes at every size, and on every machine */
  cairo_font_options_t *options = cairo_font_options_create();
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  r->font_map = pango_cairo_font_map_new();
  r->style.context = pango_font_map_create_context(r->font_map);
  pango_cairo_context_set_font_options(r->style.context, options);
  cairo_font_options_destroy(options);
  r->countdown_change = G_MAXINT64;
  return r;
}

void
sc_renderer_free(ScRenderer *r)
{
  if (r == NULL)
    return;
  for (int i = 0; i < SC_N_LAYERS; i++)
    layer_clear(&r->layers[i]);
  g_clear_pointer(&r->composition, gst_video_overlay_composition_unref);
  g_clear_object(&r->style.context);
  g_clear_object(&r->font_map);
  g_free(r->family);
  g_free(r);
}

/* What a layer adds to the picture: its picture, place and alpha. */
typedef struct {
  guint version;
  int x, y;
  double alpha;
} Look;

/* A layer that has just come on air is in the picture one fade step in
 * (alpha 1/6): every change on air makes a new composition at once, visible
 * on the first frame that carries it (the one the daemon audits). */
static gboolean
in_picture(const Layer *l)
{
  return l->surface != NULL && (l->on_air || l->alpha > 0);
}

static Look
look(const Layer *l)
{
  return in_picture(l) ? (Look){l->version, l->x, l->y, l->alpha} : (Look){0, 0, 0, -1};
}

static gboolean
same_look(Look a, Look b)
{
  return a.version == b.version && a.x == b.x && a.y == b.y && a.alpha == b.alpha;
}

/* Moves the fades on to @now; a layer that has faded out loses its picture. */
static void
advance_fades(ScRenderer *r, gint64 now)
{
  for (int i = 0; i < SC_N_LAYERS; i++) {
    Layer *l = &r->layers[i];
    l->alpha = fade_alpha(l, now);
    if (!l->on_air && l->alpha <= 0 && !l->wanted)
      layer_clear(l);
  }
}

void
sc_renderer_update(ScRenderer *r, const ScShowFile *file, const ScOnAir *on_air,
                   gint64 now_realtime_us)
{
  g_return_if_fail(r != NULL && file != NULL && on_air != NULL);
  Look before[SC_N_LAYERS];
  for (int i = 0; i < SC_N_LAYERS; i++)
    before[i] = look(&r->layers[i]);
  follow_theme(r, file);
  ScCardScene scene = {file, on_air, now_realtime_us, r->compact};
  for (int i = 0; i < SC_N_LAYERS; i++)
    draw_if_changed(r, i, &scene);
  gboolean keep[SC_N_LAYERS] = {FALSE};
  gboolean compact = fit_column(r, keep);
  if (compact != r->compact) {
    r->compact = scene.compact = compact;
    draw_if_changed(r, SC_LAYER_PRODUCT, &scene);
    fit_column(r, keep); /* again, with the card as drawn now: the same, or safer */
  }
  for (int i = 0; i < SC_N_LAYERS; i++)
    set_on_air(&r->layers[i], has_picture(&r->layers[i]) && (!in_column(i) || keep[i]),
               now_realtime_us);
  place_layers(r);
  advance_fades(r, now_realtime_us);
  r->now_us = now_realtime_us;
  r->countdown_change =
      r->layers[SC_LAYER_COUNTDOWN].on_air ? sc_card_countdown_next_change(&scene) : G_MAXINT64;
  for (int i = 0; i < SC_N_LAYERS; i++)
    if (!same_look(look(&r->layers[i]), before[i]))
      g_clear_pointer(&r->composition, gst_video_overlay_composition_unref);
}

gint64
sc_renderer_next_update(ScRenderer *r)
{
  g_return_val_if_fail(r != NULL, G_MAXINT64);
  gint64 next = r->countdown_change;
  for (int i = 0; i < SC_N_LAYERS; i++) {
    const Layer *l = &r->layers[i];
    if (l->surface != NULL && l->alpha != (l->on_air ? 1 : 0))
      next = MIN(next, MIN(r->now_us + FADE_STEP_US, fade_end(l)));
  }
  return next;
}

/* The layer's rectangle at its alpha, for a new composition. */
static GstVideoOverlayRectangle *
layer_rectangle(Layer *l)
{
  gint x = 0, y = 0;
  if (l->rect)
    gst_video_overlay_rectangle_get_render_rectangle(l->rect, &x, &y, NULL, NULL);
  if (l->rect == NULL || x != l->x || y != l->y) {
    g_clear_pointer(&l->rect, gst_video_overlay_rectangle_unref);
    l->rect = gst_video_overlay_rectangle_new_raw(
        l->buffer, l->x, l->y, l->w, l->h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  }
  if (l->alpha >= 1)
    return gst_video_overlay_rectangle_ref(l->rect);
  GstVideoOverlayRectangle *faded = gst_video_overlay_rectangle_copy(l->rect);
  gst_video_overlay_rectangle_set_global_alpha(faded, (gfloat)l->alpha);
  return faded;
}

GstVideoOverlayComposition *
sc_renderer_get_composition(ScRenderer *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  if (r->composition == NULL) {
    for (int i = 0; i < SC_N_LAYERS; i++) {
      Layer *l = &r->layers[i];
      if (!in_picture(l))
        continue;
      GstVideoOverlayRectangle *rect = layer_rectangle(l);
      if (r->composition)
        gst_video_overlay_composition_add_rectangle(r->composition, rect);
      else
        r->composition = gst_video_overlay_composition_new(rect);
      gst_video_overlay_rectangle_unref(rect);
    }
  }
  return r->composition ? gst_video_overlay_composition_ref(r->composition) : NULL;
}

gboolean
sc_renderer_get_layer_rect(ScRenderer *r, ScLayer layer, gint *x, gint *y, guint *width,
                           guint *height)
{
  g_return_val_if_fail(r != NULL && layer < SC_N_LAYERS, FALSE);
  const Layer *l = &r->layers[layer];
  if (x)
    *x = l->x;
  if (y)
    *y = l->y;
  if (width)
    *width = (guint)l->w;
  if (height)
    *height = (guint)l->h;
  return l->on_air;
}

gboolean
sc_renderer_write_png(ScRenderer *r, const char *path, guint32 background, GError **error)
{
  g_return_val_if_fail(r != NULL && path != NULL, FALSE);
  cairo_surface_t *frame = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, r->width, r->height);
  cairo_t *cr = cairo_create(frame);
  cairo_set_source_rgba(cr, ((background >> 16) & 0xff) / 255.0, ((background >> 8) & 0xff) / 255.0,
                        (background & 0xff) / 255.0, ((background >> 24) & 0xff) / 255.0);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
  for (int i = 0; i < SC_N_LAYERS; i++) {
    Layer *l = &r->layers[i];
    if (!in_picture(l))
      continue;
    cairo_set_source_surface(cr, l->surface, l->x, l->y);
    cairo_paint_with_alpha(cr, l->alpha);
  }
  cairo_destroy(cr);
  cairo_status_t status = cairo_surface_write_to_png(frame, path);
  cairo_surface_destroy(frame);
  if (status != CAIRO_STATUS_SUCCESS) {
    g_set_error(error, SC_RENDER_ERROR, SC_RENDER_ERROR_WRITE, "writing %s: %s", path,
                cairo_status_to_string(status));
    return FALSE;
  }
  return TRUE;
}

guint
sc_renderer_get_render_count(ScRenderer *r)
{
  g_return_val_if_fail(r != NULL, 0);
  return r->render_count;
}
