/* cards.c - the live-commerce graphics, laid out with Pango and drawn with cairo.
 *
 * Sizes are in units of the frame's short side / 720, so a card looks the
 * same at every resolution. Prices are set in tabular figures, so a price or
 * a countdown that changes does not make its digits dance. */
#include "overlays/cards.h"

#include <math.h>
#include <pango/pangocairo.h>

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
new_layout(const ScCardStyle *r, cairo_t *cr, double px, PangoWeight weight, double width,
           int lines)
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
text_layout(const ScCardStyle *r, cairo_t *cr, const char *text, double px, PangoWeight weight,
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
rich_layout(const ScCardStyle *r, cairo_t *cr, Rich *t, double width)
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
price_layout(const ScCardStyle *r, cairo_t *cr, const ScProduct *p, double width)
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

static ScCardSize
draw_product(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
{
  const ScProduct *p = s->on_air->product;
  double u = r->u, pad = 20 * u, inner = w - 2 * pad, stripe = 6 * u;
  /* whole pixels, so that the card drawn compact is exactly shrink shorter */
  double image_h = p->image ? round((r->portrait ? 200 : 120) * u) : 0;
  double image_gap = round(14 * u), shrink = image_h ? image_h + image_gap : 0;
  if (s->compact)
    image_h = 0;
  PangoLayout *name = text_layout(r, cr, p->name, 30 * u, PANGO_WEIGHT_BOLD, inner, 1);
  PangoLayout *price = price_layout(r, cr, p, inner);
  PangoLayout *points[SC_SHOW_MAX_POINTS] = {NULL};
  double h = stripe + pad + (image_h ? image_h + image_gap : 0) + layout_h(name) + layout_h(price);
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
    y += image_h + image_gap;
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
  return (ScCardSize){w, h, shrink};
}

static char *
key_product(const ScCardScene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL)
    return NULL;
  g_autofree char *points = g_strjoinv("\x1f", (char **)p->points);
  const char *image = p->image == NULL ? "" : s->compact ? "(compact)" : p->image;
  return g_strdup_printf("%s\x1e%" G_GINT64_FORMAT "\x1e%" G_GINT64_FORMAT "\x1e%s\x1e%s", p->name,
                         p->price, p->original_price, points, image);
}

/* ---- the flash-sale countdown ---- */

/* "04:59" while running, NULL once the end instant has passed. */
static char *
countdown_text(const ScCardScene *s)
{
  gint64 left_us = s->on_air->flash_end_us - s->now_us;
  if (left_us <= 0)
    return NULL;
  gint64 left_s = (left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  return g_strdup_printf("%02" G_GINT64_FORMAT ":%02d", left_s / 60, (int)(left_s % 60));
}

static char *
key_countdown(const ScCardScene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL || !s->on_air->flash_sale)
    return NULL;
  g_autofree char *left = countdown_text(s);
  if (left)
    return g_strconcat("running ", left, NULL);
  return g_strdup_printf("ended %" G_GINT64_FORMAT, p->original_price);
}

gint64
sc_card_countdown_next_change(const ScCardScene *s)
{
  const ScOnAir *a = s->on_air;
  gint64 left_us = a->flash_end_us - s->now_us;
  if (a->product == NULL || !a->flash_sale || left_us <= 0)
    return G_MAXINT64;
  /* the seconds shown are rounded up: they change when what is left reaches
   * the whole second below (and at the end instant, "ended") */
  gint64 left_s = (left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  return a->flash_end_us - (left_s - 1) * G_USEC_PER_SEC;
}

static ScCardSize
draw_countdown(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
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
  return (ScCardSize){w, h, 0};
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
key_coupon(const ScCardScene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL || !s->on_air->coupon || (!p->coupon_value && !p->coupon_percent))
    return NULL;
  g_autofree char *title = coupon_title(p);
  return g_strdup_printf("%s %u", title, p->coupon_quantity);
}

static ScCardSize
draw_coupon(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
{
  const ScProduct *p = s->on_air->product;
  /* the ticket: the value on an accent panel, a perforation, then the terms */
  double u = r->u, pad = 18 * u, h = 88 * u, value_w = MIN(0.36 * w, 150 * u);
  g_autofree char *value_text = coupon_value(p);
  g_autofree char *title_text = coupon_title(p);
  PangoLayout *value =
      text_layout(r, cr, value_text, 40 * u, PANGO_WEIGHT_HEAVY, value_w - 12 * u, 1);
  PangoLayout *title =
      text_layout(r, cr, title_text, 28 * u, PANGO_WEIGHT_BOLD, w - value_w - 2 * pad, 1);
  g_autofree char *left_text = p->coupon_quantity
                                   ? g_strdup_printf("优惠券 · 剩 %u 张", p->coupon_quantity)
                                   : g_strdup("优惠券 · 领取后下单");
  PangoLayout *left =
      text_layout(r, cr, left_text, 20 * u, PANGO_WEIGHT_NORMAL, w - value_w - 2 * pad, 1);

  fill_card(cr, w, h, 12 * u, mix_white(r->accent, 0.12), 0.97);
  cairo_save(cr);
  rounded_rect(cr, 0, 0, w, h, 12 * u);
  cairo_clip(cr);
  cairo_rectangle(cr, 0, 0, value_w, h);
  set_rgb(cr, r->accent, 1);
  cairo_fill(cr);
  cairo_restore(cr);
  /* the ticket's perforation */
  double dash[] = {5 * u, 5 * u};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_line_width(cr, 2 * u);
  cairo_move_to(cr, value_w + 1 * u, 8 * u);
  cairo_line_to(cr, value_w + 1 * u, h - 8 * u);
  set_rgb(cr, r->accent, 0.6);
  cairo_stroke(cr);
  cairo_set_dash(cr, NULL, 0, 0);

  double vw = layout_w(value), vh = layout_h(value), th = layout_h(title), lh = layout_h(left);
  show_layout(cr, value, (value_w - vw) / 2, (h - vh) / 2, 0xFFFFFF);
  double y = (h - th - lh) / 2;
  show_layout(cr, title, value_w + pad, y, r->accent);
  show_layout(cr, left, value_w + pad, y + th, 0x666666);
  return (ScCardSize){w, h, 0};
}

/* ---- the stock counter, the price correction ---- */

static char *
key_stock(const ScCardScene *s)
{
  const ScProduct *p = s->on_air->product;
  if (p == NULL || !s->on_air->stock || p->stock < 0)
    return NULL;
  return g_strdup_printf("%d", p->stock);
}

static ScCardSize
draw_stock(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
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
  return (ScCardSize){w, h, 0};
}

static char *
key_correction(const ScCardScene *s)
{
  if (s->on_air->product == NULL || s->on_air->corrected_price <= 0)
    return NULL;
  return g_strdup_printf("%" G_GINT64_FORMAT, s->on_air->corrected_price);
}

static ScCardSize
draw_correction(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
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
  return (ScCardSize){w, h, 0};
}

/* ---- the lower third ---- */

static char *
key_lower_third(const ScCardScene *s)
{
  const ScOnAir *a = s->on_air;
  if (a->lower_third_name == NULL)
    return NULL;
  return g_strdup_printf("%s\x1e%s", a->lower_third_name,
                         a->lower_third_role ? a->lower_third_role : "");
}

static ScCardSize
draw_lower_third(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
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
  return (ScCardSize){w, h, 0};
}

/* ---- the opening and closing cards ---- */

/* The biggest size that keeps @text on one line, else two lines at the
 * biggest size: a title broken after its first word reads badly. */
static PangoLayout *
headline_layout(const ScCardStyle *r, cairo_t *cr, const char *text, double width)
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
static ScCardSize
draw_full_card(const ScCardStyle *r, cairo_t *cr, double w, const char *kicker,
               const char *headline, const char *below)
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
  return (ScCardSize){w, h, 0};
}

static char *
key_opening(const ScCardScene *s)
{
  return s->on_air->opening ? g_strdup_printf("%s\x1e%s", s->file->title, s->file->host) : NULL;
}

static ScCardSize
draw_opening(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
{
  g_autofree char *host = s->file->host ? g_strconcat("主播 ", s->file->host, NULL) : NULL;
  return draw_full_card(r, cr, w, "直播开始", s->file->title, host);
}

static char *
key_closing(const ScCardScene *s)
{
  return s->on_air->closing ? g_strdup(s->file->closing_note ? s->file->closing_note : "") : NULL;
}

static ScCardSize
draw_closing(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double w)
{
  const char *note = s->file->closing_note && *s->file->closing_note ? s->file->closing_note : NULL;
  return draw_full_card(r, cr, w, s->file->title, "感谢观看", note);
}

/* ---- the brand logo ---- */

static char *
key_logo(const ScCardScene *s)
{
  return s->file->logo ? g_strdup(s->file->logo) : NULL;
}

/* The show's logo, 8% of the frame's short side high and as wide as its
 * shape makes it (but at most @max_w, then lower), on whole pixels so that
 * its edges stay sharp. */
static ScCardSize
draw_logo(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double max_w)
{
  cairo_surface_t *image = cairo_image_surface_create_from_png(s->file->logo);
  int iw = cairo_image_surface_get_width(image), ih = cairo_image_surface_get_height(image);
  ScCardSize size = {0, 0, 0};
  if (cairo_surface_status(image) == CAIRO_STATUS_SUCCESS && iw > 0 && ih > 0) {
    double h = MAX(1, round(0.08 * 720 * r->u)), w = MAX(1, round(h * iw / ih));
    if (w > max_w) {
      w = MAX(1, floor(max_w));
      h = MAX(1, round(w * ih / iw));
    }
    cairo_save(cr);
    cairo_scale(cr, w / iw, h / ih);
    cairo_set_source_surface(cr, image, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_rectangle(cr, 0, 0, iw, ih);
    cairo_fill(cr);
    cairo_restore(cr);
    size = (ScCardSize){w, h, 0};
  } else {
    g_warning("logo %s: %s", s->file->logo, cairo_status_to_string(cairo_surface_status(image)));
  }
  cairo_surface_destroy(image);
  return size;
}

/* ---- the cards by layer ---- */

typedef struct {
  char *(*key)(const ScCardScene *s);
  ScCardSize (*draw)(const ScCardStyle *r, const ScCardScene *s, cairo_t *cr, double max_w);
} Card;

static const Card cards[SC_N_LAYERS] = {
    [SC_LAYER_LOGO] = {key_logo, draw_logo},
    [SC_LAYER_PRODUCT] = {key_product, draw_product},
    [SC_LAYER_COUNTDOWN] = {key_countdown, draw_countdown},
    [SC_LAYER_COUPON] = {key_coupon, draw_coupon},
    [SC_LAYER_STOCK] = {key_stock, draw_stock},
    [SC_LAYER_CORRECTION] = {key_correction, draw_correction},
    [SC_LAYER_LOWER_THIRD] = {key_lower_third, draw_lower_third},
    [SC_LAYER_OPENING] = {key_opening, draw_opening},
    [SC_LAYER_CLOSING] = {key_closing, draw_closing},
};

char *
sc_card_key(ScLayer layer, const ScCardScene *scene)
{
  g_return_val_if_fail(layer < SC_N_LAYERS, NULL);
  return cards[layer].key(scene);
}

ScCardSize
sc_card_draw(ScLayer layer, const ScCardStyle *style, const ScCardScene *scene, cairo_t *cr,
             double max_w)
{
  static const ScCardSize nothing = {0, 0, 0};
  g_return_val_if_fail(layer < SC_N_LAYERS, nothing);
  return cards[layer].draw(style, scene, cr, max_w);
}
