/* render.c - the live-commerce graphics, drawn with Pango and cairo.
 *
 * Every layer is drawn in two steps: onto a recording surface first (its
 * height, and for the pills its width, come from the laid-out text), then
 * replayed onto an image surface of exactly that size. The image surface's
 * pixels are premultiplied ARGB32, which on a little-endian machine is the
 * BGRA GStreamer's overlay rectangles take, so the GstBuffer wraps them
 * without a copy. */
#include "overlays/render.h"

#include <math.h>
#include <pango/pangocairo.h>

#define DEFAULT_FAMILY "Noto Sans CJK SC"
#define DEFAULT_ACCENT 0xE8231Fu

G_DEFINE_QUARK(sc - render - error - quark, sc_render_error)

typedef struct {
  double w, h;
} Size;

typedef struct {
  char *key; /* what it shows; NULL: hidden */
  cairo_surface_t *surface;
  GstBuffer *buffer;
  int x, y, w, h;
} Layer;

typedef struct {
  const ScShowFile *file;
  const ScOnAir *on_air;
  gint64 now_us;
} Scene;

struct _ScRenderer {
  int width, height;
  gboolean portrait;
  double u; /* one unit: the short side / 720 */
  guint32 accent;
  char *family;
  double safe_x0, safe_y0, safe_x1, safe_y1;
  double column_w;        /* the product stack's width */
  PangoFontMap *font_map; /* its own: no per-thread default font map, freed with it */
  PangoContext *context;
  Layer layers[SC_N_LAYERS];
  GstVideoOverlayComposition *composition;
  guint render_count;
};

/* ---- drawing helpers ---- */

static void
set_rgb(cairo_t *cr, guint32 rgb, double alpha)
{
  cairo_set_source_rgba(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0, alpha);
}

static guint32
mix_white(guint32 rgb, double amount)
{
  guint32 out = 0;
  for (int shift = 0; shift <= 16; shift += 8) {
    double c = (rgb >> shift) & 0xff;
    out |= (guint32)lround(c * amount + 255.0 * (1.0 - amount)) << shift;
  }
  return out;
}

static void
rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
  r = MIN(r, MIN(w, h) / 2);
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path(cr);
}

static void
fill_card(cairo_t *cr, double w, double h, double radius, guint32 rgb, double alpha)
{
  rounded_rect(cr, 0, 0, w, h, radius);
  set_rgb(cr, rgb, alpha);
  cairo_fill(cr);
}

/* A one-line (or, with @lines > 1, wrapped) layout @width wide at most,
 * ellipsized at the end; @width <= 0: unbounded. */
static PangoLayout *
new_layout(ScRenderer *r, cairo_t *cr, double px, PangoWeight weight, double width, int lines)
{
  pango_cairo_update_context(cr, r->context);
  PangoLayout *layout = pango_layout_new(r->context);
  PangoFontDescription *font = pango_font_description_new();
  pango_font_description_set_family(font, r->family);
  pango_font_description_set_weight(font, weight);
  pango_font_description_set_absolute_size(font, px * PANGO_SCALE);
  pango_layout_set_font_description(layout, font);
  pango_font_description_free(font);
  if (width > 0) {
    pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
    pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_height(layout, -MAX(lines, 1));
  }
  if (lines <= 1)
    pango_layout_set_single_paragraph_mode(layout, TRUE);
  return layout;
}

static PangoLayout *
text_layout(ScRenderer *r, cairo_t *cr, const char *text, double px, PangoWeight weight,
            double width, int lines)
{
  PangoLayout *layout = new_layout(r, cr, px, weight, width, lines);
  pango_layout_set_text(layout, text, -1);
  return layout;
}

/* Text in runs of their own size, weight and colour (no markup to escape). */
typedef struct {
  GString *text;
  PangoAttrList *attrs;
} Rich;

static void
rich_add(Rich *t, const char *s, double px, PangoWeight weight, guint32 rgb, gboolean strike)
{
  guint start = t->text->len;
  g_string_append(t->text, s);
  PangoAttribute *a[5] = {
      pango_attr_size_new_absolute((int)(px * PANGO_SCALE)),
      pango_attr_weight_new(weight),
      pango_attr_foreground_new(((rgb >> 16) & 0xff) * 257, ((rgb >> 8) & 0xff) * 257,
                                (rgb & 0xff) * 257),
      pango_attr_font_features_new("tnum 1"),
      strike ? pango_attr_strikethrough_new(TRUE) : NULL,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(a) && a[i]; i++) {
    a[i]->start_index = start;
    a[i]->end_index = t->text->len;
    pango_attr_list_insert(t->attrs, a[i]);
  }
}

static PangoLayout *
rich_layout(ScRenderer *r, cairo_t *cr, Rich *t, double width)
{
  PangoLayout *layout = new_layout(r, cr, 20 * r->u, PANGO_WEIGHT_NORMAL, width, 1);
  pango_layout_set_text(layout, t->text->str, -1);
  pango_layout_set_attributes(layout, t->attrs);
  g_string_free(t->text, TRUE);
  pango_attr_list_unref(t->attrs);
  return layout;
}

#define RICH_INIT                                                                                  \
  {                                                                                                \
    g_string_new(NULL), pango_attr_list_new()                                                      \
  }

static double
layout_w(PangoLayout *layout)
{
  PangoRectangle logical;
  pango_layout_get_pixel_extents(layout, NULL, &logical);
  return logical.width;
}

static double
layout_h(PangoLayout *layout)
{
  PangoRectangle logical;
  pango_layout_get_pixel_extents(layout, NULL, &logical);
  return logical.height;
}

/* Draws @layout at (@x, @y) and frees it. */
static void
show_layout(cairo_t *cr, PangoLayout *layout, double x, double y, guint32 rgb)
{
  cairo_move_to(cr, x, y);
  set_rgb(cr, rgb, 1);
  pango_cairo_show_layout(cr, layout);
  g_object_unref(layout);
}

static char *
yuan(ScFen fen)
{
  g_autofree char *amount = sc_money_format(fen);
  return g_strconcat("¥", amount, NULL);
}

/* ---- the product card ---- */

/* The product image scaled to fit @w x @h (keeping its shape), centred. */
static void
draw_image(cairo_t *cr, const char *path, double x, double y, double w, double h, double radius)
{
  cairo_save(cr);
  rounded_rect(cr, x, y, w, h, radius);
  set_rgb(cr, 0xF2F2F2, 1);
  cairo_fill_preserve(cr);
  cairo_clip(cr);
  cairo_surface_t *image = cairo_image_surface_create_from_png(path);
  int iw = cairo_image_surface_get_width(image), ih = cairo_image_surface_get_height(image);
  if (cairo_surface_status(image) == CAIRO_STATUS_SUCCESS && iw > 0 && ih > 0) {
    double scale = MIN(w / iw, h / ih);
    cairo_translate(cr, x + (w - iw * scale) / 2, y + (h - ih * scale) / 2);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, image, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
  } else {
    g_warning("product image %s: %s", path, cairo_status_to_string(cairo_surface_status(image)));
  }
  cairo_surface_destroy(image);
  cairo_restore(cr);
}

static PangoLayout *
price_layout(ScRenderer *r, cairo_t *cr, const ScProduct *p, double width)
{
  double u = r->u;
  Rich t = RICH_INIT;
  g_autofree char *price = sc_money_format(p->price);
  rich_add(&t, "直播价 ", 22 * u, PANGO_WEIGHT_BOLD, r->accent, FALSE);
  rich_add(&t, "¥", 34 * u, PANGO_WEIGHT_BOLD, r->accent, FALSE);
  rich_add(&t, price, 64 * u, PANGO_WEIGHT_HEAVY, r->accent, FALSE);
  if (p->original_price) {
    g_autofree char *original = yuan(p->original_price);
    rich_add(&t, "  ", 24 * u, PANGO_WEIGHT_NORMAL, 0x999999, FALSE);
    rich_add(&t, original, 26 * u, PANGO_WEIGHT_NORMAL, 0x999999, TRUE);
  }
  return rich_layout(r, cr, &t, width);
}

static Size
draw_product(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  const ScProduct *p = s->on_air->product;
  double u = r->u, pad = 20 * u, inner = w - 2 * pad, stripe = 6 * u;
  double image_h = p->image ? (r->portrait ? 200 : 120) * u : 0;
  PangoLayout *name = text_layout(r, cr, p->name, 30 * u, PANGO_WEIGHT_BOLD, inner, 1);
  PangoLayout *price = price_layout(r, cr, p, inner);
  PangoLayout *points[SC_SHOW_MAX_POINTS] = {NULL};
  double h = stripe + pad + (image_h ? image_h + 14 * u : 0) + layout_h(name) + layout_h(price);
  for (int i = 0; i < SC_SHOW_MAX_POINTS && p->points[i]; i++) {
    points[i] = text_layout(r, cr, p->points[i], 22 * u, PANGO_WEIGHT_NORMAL, inner - 18 * u, 1);
    h += layout_h(points[i]) + 4 * u;
  }
  h += pad;

  fill_card(cr, w, h, 14 * u, 0xFFFFFF, 0.96);
  cairo_save(cr);
  rounded_rect(cr, 0, 0, w, h, 14 * u);
  cairo_clip(cr);
  cairo_rectangle(cr, 0, 0, w, stripe);
  set_rgb(cr, r->accent, 1);
  cairo_fill(cr);
  cairo_restore(cr);

  double y = stripe + pad;
  if (image_h) {
    draw_image(cr, p->image, pad, y, inner, image_h, 8 * u);
    y += image_h + 14 * u;
  }
  double name_h = layout_h(name), price_h = layout_h(price);
  show_layout(cr, name, pad, y, 0x1A1A1A);
  y += name_h;
  show_layout(cr, price, pad, y, r->accent);
  y += price_h;
  for (int i = 0; i < SC_SHOW_MAX_POINTS && points[i]; i++) {
    double ph = layout_h(points[i]);
    cairo_arc(cr, pad + 5 * u, y + ph / 2, 4 * u, 0, 2 * G_PI);
    set_rgb(cr, r->accent, 1);
    cairo_fill(cr);
    show_layout(cr, points[i], pad + 18 * u, y, 0x444444);
    y += ph + 4 * u;
  }
  return (Size){w, h};
}

static char *
key_product(const Scene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL)
    return NULL;
  g_autofree char *points = g_strjoinv("\x1f", (char **)p->points);
  return g_strdup_printf("%s\x1e%" G_GINT64_FORMAT "\x1e%" G_GINT64_FORMAT "\x1e%s\x1e%s", p->name,
                         p->price, p->original_price, points, p->image ? p->image : "");
}

/* ---- the flash-sale countdown ---- */

/* "04:59" while running, NULL once the end instant has passed. */
static char *
countdown_text(const Scene *s)
{
  gint64 left_us = s->on_air->flash_end_us - s->now_us;
  if (left_us <= 0)
    return NULL;
  gint64 left_s = (left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  return g_strdup_printf("%02" G_GINT64_FORMAT ":%02d", left_s / 60, (int)(left_s % 60));
}

static char *
key_countdown(const Scene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL || !s->on_air->flash_sale)
    return NULL;
  g_autofree char *left = countdown_text(s);
  if (left)
    return g_strconcat("running ", left, NULL);
  return g_strdup_printf("ended %" G_GINT64_FORMAT, p->original_price);
}

static Size
draw_countdown(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  double u = r->u, pad = 20 * u, h = 76 * u;
  const ScProduct *p = s->on_air->product;
  g_autofree char *left = countdown_text(s);
  PangoLayout *label =
      text_layout(r, cr, left ? "限时秒杀" : "秒杀已结束", 28 * u, PANGO_WEIGHT_BOLD, 0, 1);
  Rich t = RICH_INIT;
  if (left) {
    rich_add(&t, "距结束 ", 20 * u, PANGO_WEIGHT_NORMAL, 0xFFFFFF, FALSE);
    rich_add(&t, left, 48 * u, PANGO_WEIGHT_HEAVY, 0xFFFFFF, FALSE);
  } else if (p->original_price) {
    g_autofree char *original = yuan(p->original_price);
    rich_add(&t, "恢复原价 ", 22 * u, PANGO_WEIGHT_NORMAL, 0xFFFFFF, FALSE);
    rich_add(&t, original, 30 * u, PANGO_WEIGHT_BOLD, 0xFFFFFF, FALSE);
  }
  double label_w = layout_w(label);
  PangoLayout *value = rich_layout(r, cr, &t, w - 3 * pad - label_w);
  fill_card(cr, w, h, 14 * u, left ? r->accent : 0x55555A, 0.95);
  show_layout(cr, label, pad, (h - layout_h(label)) / 2, 0xFFFFFF);
  double vw = layout_w(value), vh = layout_h(value);
  show_layout(cr, value, w - pad - vw, (h - vh) / 2, 0xFFFFFF);
  return (Size){w, h};
}

/* ---- the coupon card ---- */

static char *
coupon_value(const ScProduct *p)
{
  if (p->coupon_percent)
    return p->coupon_percent % 10
               ? g_strdup_printf("%u.%u折", p->coupon_percent / 10, p->coupon_percent % 10)
               : g_strdup_printf("%u折", p->coupon_percent / 10);
  return yuan(p->coupon_value);
}

static char *
coupon_title(const ScProduct *p)
{
  if (p->coupon_percent) {
    g_autofree char *value = coupon_value(p);
    return g_strconcat("下单立享 ", value, NULL);
  }
  g_autofree char *threshold = sc_money_format(p->coupon_threshold);
  g_autofree char *value = sc_money_format(p->coupon_value);
  return g_strdup_printf("满%s减%s", threshold, value);
}

static char *
key_coupon(const Scene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL || !s->on_air->coupon || (!p->coupon_value && !p->coupon_percent))
    return NULL;
  g_autofree char *title = coupon_title(p);
  return g_strdup_printf("%s %u", title, p->coupon_quantity);
}

static Size
draw_coupon(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  const ScProduct *p = s->on_air->product;
  double u = r->u, pad = 18 * u, h = 88 * u, stub = MIN(0.36 * w, 150 * u);
  g_autofree char *value_text = coupon_value(p);
  g_autofree char *title_text = coupon_title(p);
  PangoLayout *value = text_layout(r, cr, value_text, 40 * u, PANGO_WEIGHT_HEAVY, stub - 12 * u, 1);
  PangoLayout *title =
      text_layout(r, cr, title_text, 28 * u, PANGO_WEIGHT_BOLD, w - stub - 2 * pad, 1);
  g_autofree char *left_text = p->coupon_quantity
                                   ? g_strdup_printf("优惠券 · 剩 %u 张", p->coupon_quantity)
                                   : g_strdup("优惠券 · 领取后下单");
  PangoLayout *left =
      text_layout(r, cr, left_text, 20 * u, PANGO_WEIGHT_NORMAL, w - stub - 2 * pad, 1);

  fill_card(cr, w, h, 12 * u, mix_white(r->accent, 0.12), 0.97);
  cairo_save(cr);
  rounded_rect(cr, 0, 0, w, h, 12 * u);
  cairo_clip(cr);
  cairo_rectangle(cr, 0, 0, stub, h);
  set_rgb(cr, r->accent, 1);
  cairo_fill(cr);
  cairo_restore(cr);
  /* the ticket's perforation */
  double dash[] = {5 * u, 5 * u};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_line_width(cr, 2 * u);
  cairo_move_to(cr, stub + 1 * u, 8 * u);
  cairo_line_to(cr, stub + 1 * u, h - 8 * u);
  set_rgb(cr, r->accent, 0.6);
  cairo_stroke(cr);
  cairo_set_dash(cr, NULL, 0, 0);

  double vw = layout_w(value), vh = layout_h(value), th = layout_h(title), lh = layout_h(left);
  show_layout(cr, value, (stub - vw) / 2, (h - vh) / 2, 0xFFFFFF);
  double y = (h - th - lh) / 2;
  show_layout(cr, title, stub + pad, y, r->accent);
  show_layout(cr, left, stub + pad, y + th, 0x666666);
  return (Size){w, h};
}

/* ---- the stock counter, the price correction ---- */

static char *
key_stock(const Scene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL || !s->on_air->stock || p->stock < 0)
    return NULL;
  return g_strdup_printf("%d", p->stock);
}

static Size
draw_stock(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  double u = r->u, pad = 22 * u, h = 52 * u;
  gint stock = s->on_air->product->stock;
  g_autofree char *number = g_strdup_printf("%d", stock);
  Rich t = RICH_INIT;
  if (stock > 0) {
    rich_add(&t, "仅剩 ", 24 * u, PANGO_WEIGHT_NORMAL, 0xFFFFFF, FALSE);
    rich_add(&t, number, 32 * u, PANGO_WEIGHT_HEAVY, 0xFFD54A, FALSE);
    rich_add(&t, " 件", 24 * u, PANGO_WEIGHT_NORMAL, 0xFFFFFF, FALSE);
  } else {
    rich_add(&t, "已售罄", 26 * u, PANGO_WEIGHT_BOLD, 0xFFFFFF, FALSE);
  }
  PangoLayout *text = rich_layout(r, cr, &t, w - 2 * pad);
  double tw = layout_w(text), th = layout_h(text);
  w = ceil(tw + 2 * pad);
  fill_card(cr, w, h, h / 2, 0x111111, 0.78);
  show_layout(cr, text, pad, (h - th) / 2, 0xFFFFFF);
  return (Size){w, h};
}

static char *
key_correction(const Scene *s)
{
  if (s->on_air->product == NULL || s->on_air->corrected_price <= 0)
    return NULL;
  return g_strdup_printf("%" G_GINT64_FORMAT, s->on_air->corrected_price);
}

static Size
draw_correction(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  double u = r->u, pad = 16 * u, h = 68 * u;
  PangoLayout *badge = text_layout(r, cr, "价格更正", 22 * u, PANGO_WEIGHT_BOLD, 0, 1);
  double bw = layout_w(badge) + 20 * u, bh = layout_h(badge) + 8 * u;
  g_autofree char *price = yuan(s->on_air->corrected_price);
  Rich t = RICH_INIT;
  rich_add(&t, "正确价格 ", 24 * u, PANGO_WEIGHT_BOLD, 0x1A1A1A, FALSE);
  rich_add(&t, price, 34 * u, PANGO_WEIGHT_HEAVY, 0x1A1A1A, FALSE);
  PangoLayout *text = rich_layout(r, cr, &t, w - bw - 3 * pad);
  fill_card(cr, w, h, 12 * u, 0xFFD400, 0.97);
  rounded_rect(cr, pad, (h - bh) / 2, bw, bh, 6 * u);
  set_rgb(cr, 0x1A1A1A, 1);
  cairo_fill(cr);
  show_layout(cr, badge, pad + 10 * u, (h - bh) / 2 + 4 * u, 0xFFFFFF);
  show_layout(cr, text, pad * 2 + bw, (h - layout_h(text)) / 2, 0x1A1A1A);
  return (Size){w, h};
}

/* ---- the lower third ---- */

static char *
key_lower_third(const Scene *s)
{
  const ScOnAir *a = s->on_air;
  if (a->lower_third_name == NULL)
    return NULL;
  return g_strdup_printf("%s\x1e%s", a->lower_third_name,
                         a->lower_third_role ? a->lower_third_role : "");
}

static Size
draw_lower_third(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  double u = r->u, bar = 8 * u, pad = 20 * u, max_text = w - bar - 2 * pad;
  const ScOnAir *a = s->on_air;
  PangoLayout *name =
      text_layout(r, cr, a->lower_third_name, 34 * u, PANGO_WEIGHT_BOLD, max_text, 1);
  PangoLayout *role = a->lower_third_role ? text_layout(r, cr, a->lower_third_role, 22 * u,
                                                        PANGO_WEIGHT_NORMAL, max_text, 1)
                                          : NULL;
  double text_w = MAX(layout_w(name), role ? layout_w(role) : 0);
  double name_h = layout_h(name), h = 2 * 12 * u + name_h + (role ? layout_h(role) : 0);
  w = ceil(MAX(text_w, 160 * u) + bar + 2 * pad);
  fill_card(cr, w, h, 10 * u, 0x14141A, 0.85);
  cairo_save(cr);
  rounded_rect(cr, 0, 0, w, h, 10 * u);
  cairo_clip(cr);
  cairo_rectangle(cr, 0, 0, bar, h);
  set_rgb(cr, r->accent, 1);
  cairo_fill(cr);
  cairo_restore(cr);
  show_layout(cr, name, bar + pad, 12 * u, 0xFFFFFF);
  if (role)
    show_layout(cr, role, bar + pad, 12 * u + name_h, mix_white(r->accent, 0.35));
  return (Size){w, h};
}

/* ---- the opening and closing cards ---- */

/* The biggest size that keeps @text on one line, else two lines at the
 * biggest size: a title broken after its first word reads badly. */
static PangoLayout *
headline_layout(ScRenderer *r, cairo_t *cr, const char *text, double width)
{
  static const double sizes[] = {52, 46, 40};
  for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
    PangoLayout *t = text_layout(r, cr, text, sizes[i] * r->u, PANGO_WEIGHT_HEAVY, width, 2);
    if (pango_layout_get_line_count(t) == 1)
      return t;
    g_object_unref(t);
  }
  return text_layout(r, cr, text, sizes[0] * r->u, PANGO_WEIGHT_HEAVY, width, 2);
}

/* A centred card: a small accent kicker, a big headline (two lines at most),
 * a rule and a line below. */
static Size
draw_full_card(ScRenderer *r, cairo_t *cr, double w, const char *kicker, const char *headline,
               const char *below)
{
  double u = r->u, pad = 36 * u, inner = w - 2 * pad, rule = 4 * u, gap = 16 * u;
  PangoLayout *k = text_layout(r, cr, kicker, 24 * u, PANGO_WEIGHT_BOLD, inner, 1);
  PangoLayout *t = headline_layout(r, cr, headline, inner);
  PangoLayout *b = below ? text_layout(r, cr, below, 28 * u, PANGO_WEIGHT_NORMAL, inner, 3) : NULL;
  PangoLayout *all[] = {k, t, b};
  for (gsize i = 0; i < G_N_ELEMENTS(all) && all[i]; i++)
    pango_layout_set_alignment(all[i], PANGO_ALIGN_CENTER);
  double kh = layout_h(k), th = layout_h(t), bh = b ? layout_h(b) : 0;
  double h = 2 * pad + kh + gap + th + (b ? 2 * gap + rule + bh : 0);

  fill_card(cr, w, h, 20 * u, 0x111218, 0.88);
  double y = pad;
  show_layout(cr, k, pad, y, mix_white(r->accent, 0.7));
  y += kh + gap;
  show_layout(cr, t, pad, y, 0xFFFFFF);
  y += th + gap;
  if (b) {
    cairo_rectangle(cr, (w - 64 * u) / 2, y, 64 * u, rule);
    set_rgb(cr, r->accent, 1);
    cairo_fill(cr);
    y += rule + gap;
    show_layout(cr, b, pad, y, 0xDDDDDD);
  }
  return (Size){w, h};
}

static char *
key_opening(const Scene *s)
{
  return s->on_air->opening ? g_strdup_printf("%s\x1e%s", s->file->title, s->file->host) : NULL;
}

static Size
draw_opening(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  g_autofree char *host = s->file->host ? g_strconcat("主播 ", s->file->host, NULL) : NULL;
  return draw_full_card(r, cr, w, "直播开始", s->file->title, host);
}

static char *
key_closing(const Scene *s)
{
  return s->on_air->closing ? g_strdup(s->file->closing_note ? s->file->closing_note : "") : NULL;
}

static Size
draw_closing(ScRenderer *r, const Scene *s, cairo_t *cr, double w)
{
  const char *note = s->file->closing_note && *s->file->closing_note ? s->file->closing_note : NULL;
  return draw_full_card(r, cr, w, s->file->title, "感谢观看", note);
}

/* ---- layers ---- */

typedef struct {
  char *(*key)(const Scene *s);
  Size (*draw)(ScRenderer *r, const Scene *s, cairo_t *cr, double max_w);
} LayerClass;

static const LayerClass layer_classes[SC_N_LAYERS] = {
    [SC_LAYER_PRODUCT] = {key_product, draw_product},
    [SC_LAYER_COUNTDOWN] = {key_countdown, draw_countdown},
    [SC_LAYER_COUPON] = {key_coupon, draw_coupon},
    [SC_LAYER_STOCK] = {key_stock, draw_stock},
    [SC_LAYER_CORRECTION] = {key_correction, draw_correction},
    [SC_LAYER_LOWER_THIRD] = {key_lower_third, draw_lower_third},
    [SC_LAYER_OPENING] = {key_opening, draw_opening},
    [SC_LAYER_CLOSING] = {key_closing, draw_closing},
};

static double
max_width(ScRenderer *r, ScLayer layer)
{
  double safe_w = r->safe_x1 - r->safe_x0;
  switch (layer) {
  case SC_LAYER_LOWER_THIRD:
    return r->portrait ? safe_w * 0.8 : safe_w * 0.45;
  case SC_LAYER_OPENING:
  case SC_LAYER_CLOSING:
    return MIN(safe_w * (r->portrait ? 0.95 : 0.7), 900 * r->u);
  default:
    return r->column_w;
  }
}

static void
layer_clear(Layer *l)
{
  g_clear_pointer(&l->key, g_free);
  g_clear_pointer(&l->buffer, gst_buffer_unref);
  g_clear_pointer(&l->surface, cairo_surface_destroy);
  l->w = l->h = 0;
}

static void
render_layer(ScRenderer *r, ScLayer which, const Scene *s)
{
  Layer *l = &r->layers[which];
  cairo_surface_t *recording = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cairo_t *cr = cairo_create(recording);
  Size size = layer_classes[which].draw(r, s, cr, max_width(r, which));
  cairo_destroy(cr);

  g_clear_pointer(&l->buffer, gst_buffer_unref);
  g_clear_pointer(&l->surface, cairo_surface_destroy);
  l->w = MAX(1, (int)ceil(size.w));
  l->h = MAX(1, (int)ceil(size.h));
  l->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, l->w, l->h);
  cr = cairo_create(l->surface);
  cairo_set_source_surface(cr, recording, 0, 0);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_destroy(recording);
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
  r->render_count++;
}

/* Stacks @layers (those shown) in a column at @x, from @y down, or up to @y
 * when @up; returns where the stack ends. */
static double
stack(ScRenderer *r, const ScLayer *layers, gsize n, double x, double y, gboolean up)
{
  double gap = 12 * r->u;
  for (gsize i = 0; i < n; i++) {
    Layer *l = &r->layers[layers[up ? n - 1 - i : i]];
    if (l->key == NULL)
      continue;
    if (up)
      y -= l->h;
    l->x = (int)lround(x);
    l->y = (int)lround(MAX(y, 0));
    y += up ? -gap : l->h + gap;
  }
  return up ? y + gap : y - gap;
}

static void
place_layers(ScRenderer *r)
{
  static const ScLayer column[] = {SC_LAYER_CORRECTION, SC_LAYER_COUNTDOWN, SC_LAYER_PRODUCT,
                                   SC_LAYER_COUPON, SC_LAYER_STOCK};
  Layer *lower = &r->layers[SC_LAYER_LOWER_THIRD];
  if (r->portrait) {
    /* above the platform's comment area, left of its buttons */
    double top = stack(r, column, G_N_ELEMENTS(column), r->safe_x0, r->safe_y1, TRUE);
    lower->x = (int)lround(r->safe_x0);
    lower->y = (int)lround(MAX(r->safe_y0, top - 12 * r->u - lower->h));
  } else {
    stack(r, column, G_N_ELEMENTS(column), r->safe_x1 - r->column_w, r->safe_y0, FALSE);
    lower->x = (int)lround(r->safe_x0);
    lower->y = (int)lround(r->safe_y1 - lower->h);
  }
  for (ScLayer c = SC_LAYER_OPENING; c <= SC_LAYER_CLOSING; c++) {
    Layer *l = &r->layers[c];
    l->x = (int)lround((r->safe_x0 + r->safe_x1 - l->w) / 2);
    l->y = (int)lround(MAX(r->safe_y0, (r->safe_y0 + r->safe_y1 - l->h) / 2));
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
  r->portrait = height > width;
  r->u = MIN(width, height) / 720.0;
  r->accent = theme ? theme->accent & 0xFFFFFF : DEFAULT_ACCENT;
  r->family = g_strdup(theme && theme->family ? theme->family : DEFAULT_FAMILY);
  /* title-safe 5%; in portrait the platform's UI owns the bottom 20% and the right 15% */
  r->safe_x0 = 0.05 * width;
  r->safe_y0 = 0.05 * height;
  r->safe_x1 = (r->portrait ? 0.85 : 0.95) * width;
  r->safe_y1 = (r->portrait ? 0.80 : 0.95) * height;
  r->column_w = floor(r->portrait ? MIN(0.62 * width, r->safe_x1 - r->safe_x0) : 0.30 * width);
  /* no hinting: the same shapes at every size, and on every machine */
  cairo_font_options_t *options = cairo_font_options_create();
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  r->font_map = pango_cairo_font_map_new();
  r->context = pango_font_map_create_context(r->font_map);
  pango_cairo_context_set_font_options(r->context, options);
  cairo_font_options_destroy(options);
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
  g_clear_object(&r->context);
  g_clear_object(&r->font_map);
  g_free(r->family);
  g_free(r);
}

void
sc_renderer_update(ScRenderer *r, const ScShowFile *file, const ScOnAir *on_air,
                   gint64 now_realtime_us)
{
  g_return_if_fail(r != NULL && file != NULL && on_air != NULL);
  Scene scene = {file, on_air, now_realtime_us};
  gboolean changed = FALSE;
  int old_pos[SC_N_LAYERS][2];
  for (int i = 0; i < SC_N_LAYERS; i++) {
    Layer *l = &r->layers[i];
    old_pos[i][0] = l->x;
    old_pos[i][1] = l->y;
    g_autofree char *key = layer_classes[i].key(&scene);
    if (g_strcmp0(key, l->key) == 0)
      continue;
    changed = TRUE;
    if (key == NULL) {
      layer_clear(l);
      continue;
    }
    g_free(l->key);
    l->key = g_steal_pointer(&key);
    render_layer(r, i, &scene);
  }
  place_layers(r);
  for (int i = 0; i < SC_N_LAYERS; i++)
    changed |=
        r->layers[i].key && (old_pos[i][0] != r->layers[i].x || old_pos[i][1] != r->layers[i].y);
  if (changed)
    g_clear_pointer(&r->composition, gst_video_overlay_composition_unref);
}

GstVideoOverlayComposition *
sc_renderer_get_composition(ScRenderer *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  if (r->composition == NULL) {
    for (int i = 0; i < SC_N_LAYERS; i++) {
      Layer *l = &r->layers[i];
      if (l->key == NULL)
        continue;
      GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw(
          l->buffer, l->x, l->y, l->w, l->h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
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
  return l->key != NULL;
}

gboolean
sc_renderer_write_png(ScRenderer *r, const char *path, guint32 background, GError **error)
{
  g_return_val_if_fail(r != NULL && path != NULL, FALSE);
  cairo_surface_t *frame = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, r->width, r->height);
  cairo_t *cr = cairo_create(frame);
  set_rgb(cr, background, ((background >> 24) & 0xff) / 255.0);
  cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint(cr);
  cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
  for (int i = 0; i < SC_N_LAYERS; i++) {
    Layer *l = &r->layers[i];
    if (l->key == NULL)
      continue;
    cairo_set_source_surface(cr, l->surface, l->x, l->y);
    cairo_paint(cr);
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
