#define G_LOG_DOMAIN "shopcast-report"

#include "firmware/report-html.h"

#include "firmware/chapters.h"

#include <math.h>

#define PLOT_W 800
#define PLOT_H 160
#define PAD    40

static const char *const colours[] = {"#e8231f", "#1f6fe8", "#1a9e45", "#b25fd6", "#e89a1f"};

static const char *const style =
    "body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em;color:#222;max-width:960px}"
    "h1{margin-bottom:0}.sub{color:#666}"
    ".cards{display:flex;flex-wrap:wrap;gap:.6em;margin:1em 0}"
    ".card{border:1px solid #ddd;border-radius:6px;padding:.5em .8em;min-width:8em}"
    ".card b{display:block;font-size:1.4em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{border-bottom:1px solid #eee;padding:.25em .8em;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "svg{background:#fafafa;border:1px solid #eee}";

static void
esc(GString *out, const char *text)
{
  g_autofree char *e = g_markup_escape_text(text ? text : "", -1);
  g_string_append(out, e);
}

static char *
clock_text(gint64 ms)
{
  ms = MAX(ms, 0);
  return g_strdup_printf("%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                         ms / 3600000, ms / 60000 % 60, ms / 1000 % 60);
}

static char *
span_text(gint64 ms)
{
  return ms >= 60000 ? g_strdup_printf("%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s",
                                       ms / 60000, ms / 1000 % 60)
                     : g_strdup_printf("%.1f s", ms / 1000.0);
}

static const char *
row_value(GPtrArray *rows, const char *section, const char *name)
{
  for (guint i = 0; i < rows->len; i++) {
    const ScReportRow *row = g_ptr_array_index(rows, i);
    if (g_str_equal(row->section, section) && g_str_equal(row->name, name))
      return row->value;
  }
  return "-";
}

static void
card(GString *out, const char *label, const char *value)
{
  g_string_append(out, "<div class=card><b>");
  esc(out, value);
  g_string_append(out, "</b>");
  esc(out, label);
  g_string_append(out, "</div>");
}

static void
key_figures(GString *out, const ScReportData *r, GPtrArray *rows)
{
  static const struct {
    const char *name, *label;
  } cards[] = {{"products", "商品 products"},
               {"flash_sales", "秒杀 flash sales"},
               {"coupons_shown", "优惠券 coupons shown"},
               {"price_corrections", "价格更正 corrections"},
               {"failovers", "切换 failovers"},
               {"reconnects", "重连 reconnects"},
               {"clipping_s", "削波 clipping (s)"}};
  g_autofree char *length = span_text(r->duration_ms);
  g_string_append(out, "<div class=cards>");
  card(out, "时长 duration", length);
  for (guint i = 0; i < G_N_ELEMENTS(cards); i++)
    card(out, cards[i].label, row_value(rows, "figure", cards[i].name));
  for (guint i = 0; i < r->dests->len; i++) {
    const ScReportDest *d = g_ptr_array_index(r->dests, i);
    g_autofree char *label = g_strdup_printf("%s 在线率 uptime %%", d->name);
    card(out, label, row_value(rows, "uptime_pct", d->name));
  }
  g_string_append(out, "</div>");
}

static void
operator_figures(GString *out, GPtrArray *rows)
{
  g_string_append(out, "<h2>运营数据 Operator figures</h2><table>");
  for (guint i = 0; i < rows->len; i++) {
    const ScReportRow *row = g_ptr_array_index(rows, i);
    if (!g_str_equal(row->section, "operator") && !g_str_equal(row->section, "derived"))
      continue;
    g_string_append(out, "<tr><td>");
    esc(out, row->name);
    g_string_append(out, "</td><td class=n>");
    esc(out, row->value);
    g_string_append(out, "</td></tr>");
  }
  g_string_append(out, "</table><p class=sub>Typed in after the show: "
                       "<code>shopcastctl report set viewers 12000</code>; "
                       "the ratios follow the seed's formulas as labelled.</p>");
}

static void
chapter_table(GString *out, const ScReportData *r, ScChapterKind kind, const char *heading)
{
  g_string_append_printf(out,
                         "<h2>%s</h2><table><tr><th>#</th><th>商品</th><th>id</th>"
                         "<th>start</th><th>end</th><th>on air</th></tr>",
                         heading);
  guint n = 0;
  for (guint i = 0; i < r->chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(r->chapters, i);
    if (c->kind != kind)
      continue;
    g_autofree char *start = clock_text((gint64)c->start_ms);
    g_autofree char *end = clock_text((gint64)c->end_ms);
    g_autofree char *span = span_text((gint64)(c->end_ms - c->start_ms));
    g_string_append_printf(out, "<tr><td>%u</td><td>", ++n);
    esc(out, c->title);
    g_string_append(out, "</td><td>");
    esc(out, c->id);
    g_string_append_printf(out, "</td><td>%s</td><td>%s</td><td class=n>%s</td></tr>", start, end,
                           span);
  }
  g_string_append(out, n ? "</table>" : "<tr><td colspan=6>none</td></tr></table>");
}

/* The products one after the other, as coloured bars along the show. */
static void
timeline_svg(GString *out, const ScReportData *r)
{
  double scale = r->duration_ms ? (double)(PLOT_W - 2 * PAD) / r->duration_ms : 0;
  g_string_append_printf(out, "<svg width=%d height=60 viewBox='0 0 %d 60'>", PLOT_W, PLOT_W);
  guint n = 0;
  for (guint i = 0; i < r->chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(r->chapters, i);
    if (c->kind != SC_CHAPTER_PRODUCT && c->kind != SC_CHAPTER_FLASH_SALE)
      continue;
    gboolean flash = c->kind == SC_CHAPTER_FLASH_SALE;
    g_string_append_printf(out, "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s'><title>",
                           PAD + c->start_ms * scale, flash ? 34 : 10,
                           MAX(1.0, (c->end_ms - c->start_ms) * scale), flash ? 10 : 22,
                           flash ? "#e8231f" : colours[1 + n++ % 4]);
    esc(out, c->title);
    g_string_append(out, "</title></rect>");
  }
  g_string_append(out, "</svg>");
}

static void
moments_table(GString *out, GArray *moments, const char *heading, const char *column)
{
  g_string_append_printf(out, "<h2>%s</h2><table><tr><th>start</th><th>end</th><th>%s</th></tr>",
                         heading, column);
  for (guint i = 0; i < moments->len; i++) {
    const ScReportMoment *m = &g_array_index(moments, ScReportMoment, i);
    g_autofree char *at = clock_text(m->at_ms);
    g_autofree char *end = clock_text(m->end_ms);
    g_string_append_printf(out, "<tr><td>%s</td><td>%s</td><td>", at, end);
    esc(out, m->what);
    g_string_append(out, "</td></tr>");
  }
  g_string_append(out, moments->len ? "</table>" : "<tr><td colspan=3>none</td></tr></table>");
}

static void
destinations(GString *out, const ScReportData *r, GPtrArray *rows)
{
  g_string_append(out, "<h2>目的地 Destinations</h2><table><tr><th>destination</th>"
                       "<th>uptime %</th><th>live</th><th>reconnects</th><th>failures</th>"
                       "<th>dropped</th><th>sent MB</th></tr>");
  for (guint i = 0; i < r->dests->len; i++) {
    const ScReportDest *d = g_ptr_array_index(r->dests, i);
    g_autofree char *live = span_text(d->live_ms);
    g_string_append(out, "<tr><td>");
    esc(out, d->name);
    g_string_append_printf(out,
                           "</td><td class=n>%s</td><td class=n>%s</td><td class=n>%u</td>"
                           "<td class=n>%u</td><td class=n>%" G_GUINT64_FORMAT
                           "</td><td class=n>%.1f</td></tr>",
                           row_value(rows, "uptime_pct", d->name), live, d->reconnects, d->failures,
                           d->dropped, d->bytes / 1e6);
  }
  g_string_append(out, "</table>");
}

/* One line per destination of @series (a GArray of double per sample). */
static void
plot_svg(GString *out, const ScReportData *r, gsize offset, const char *unit)
{
  double top = 1;
  for (guint i = 0; i < r->dests->len; i++) {
    GArray *v = G_STRUCT_MEMBER(GArray *, g_ptr_array_index(r->dests, i), offset);
    for (guint k = 0; k < v->len; k++)
      top = MAX(top, g_array_index(v, double, k));
  }
  double xs = r->duration_ms ? (double)(PLOT_W - 2 * PAD) / r->duration_ms : 0;
  g_string_append_printf(out,
                         "<svg width=%d height=%d viewBox='0 0 %d %d'>"
                         "<text x='4' y='14' font-size='11'>%.0f %s</text>"
                         "<text x='4' y='%d' font-size='11'>0</text>",
                         PLOT_W, PLOT_H + 20, PLOT_W, PLOT_H + 20, top, unit, PLOT_H);
  for (guint i = 0; i < r->dests->len; i++) {
    const ScReportDest *d = g_ptr_array_index(r->dests, i);
    GArray *v = G_STRUCT_MEMBER(GArray *, d, offset);
    g_string_append_printf(out, "<polyline fill='none' stroke='%s' points='",
                           colours[i % G_N_ELEMENTS(colours)]);
    /* the samples of this destination are the latest v->len of the show's */
    guint skip = r->sample_t_ms->len - MIN(v->len, r->sample_t_ms->len);
    for (guint k = 0; k < v->len && skip + k < r->sample_t_ms->len; k++)
      g_string_append_printf(out, "%.1f,%.1f ",
                             PAD + g_array_index(r->sample_t_ms, gint64, skip + k) * xs,
                             PLOT_H - g_array_index(v, double, k) / top * (PLOT_H - 20));
    g_string_append_printf(out, "'/><text x='%d' y='%d' font-size='11' fill='%s'>", PAD + 120 * i,
                           PLOT_H + 16, colours[i % G_N_ELEMENTS(colours)]);
    esc(out, d->name);
    g_string_append(out, "</text>");
  }
  g_string_append(out, "</svg>");
}

static void
recording(GString *out, const ScReportData *r)
{
  g_string_append(out, "<h2>录像 Recording</h2>");
  if (r->recording == NULL) {
    g_string_append(out, "<p>not recorded</p>");
    return;
  }
  JsonNode *segments = json_object_get_member(r->recording, "segments");
  guint n = segments && JSON_NODE_HOLDS_ARRAY(segments)
                ? json_array_get_length(json_node_get_array(segments))
                : 0;
  const char *stop = json_object_get_string_member_with_default(r->recording, "stop", "-");
  g_string_append_printf(out,
                         "<p>%u segment(s), %" G_GINT64_FORMAT
                         " video frames, %.1f MB, dropped %" G_GINT64_FORMAT ", ended: ",
                         n,
                         json_object_get_int_member_with_default(r->recording, "video_frames", 0),
                         json_object_get_int_member_with_default(r->recording, "bytes", 0) / 1e6,
                         json_object_get_int_member_with_default(r->recording, "dropped_tags", 0));
  esc(out, stop);
  g_string_append(out, ". Clips: <code>shopcast-clip --product ID SHOW_FOLDER -o clip.mp4"
                       "</code></p>");
}

char *
sc_report_html(const ScReportData *r)
{
  g_autoptr(GPtrArray) rows = sc_report_key_figures(r);
  GString *out = g_string_new("<!DOCTYPE html>\n<html lang=zh-CN><head><meta charset=utf-8>"
                              "<title>复盘 ");
  esc(out, r->title);
  g_string_append_printf(out, "</title><style>%s</style></head><body><h1>复盘 · ", style);
  esc(out, r->title);
  g_string_append(out, "</h1><p class=sub>");
  esc(out, r->id);
  g_string_append(out, " · ");
  esc(out, r->started);
  g_string_append(out, " → ");
  esc(out, r->ended);
  g_string_append(out, "</p>");
  key_figures(out, r, rows);
  operator_figures(out, rows);
  g_string_append(out, "<h2>时间线 Timeline</h2>");
  timeline_svg(out, r);
  chapter_table(out, r, SC_CHAPTER_PRODUCT, "商品 Products on air");
  chapter_table(out, r, SC_CHAPTER_FLASH_SALE, "秒杀 Flash sales");
  chapter_table(out, r, SC_CHAPTER_COUPON, "优惠券 Coupons shown");
  chapter_table(out, r, SC_CHAPTER_PRICE_CORRECTION, "价格更正 Price corrections");
  moments_table(out, r->failovers, "切换 Failovers", "what");
  moments_table(out, r->reconnects, "重连 Reconnects", "what");
  destinations(out, r, rows);
  g_string_append(out, "<h2>码率 Bitrate (kb/s)</h2>");
  plot_svg(out, r, G_STRUCT_OFFSET(ScReportDest, kbps), "kb/s");
  g_string_append(out, "<h2>丢帧 Dropped frames (per second)</h2>");
  plot_svg(out, r, G_STRUCT_OFFSET(ScReportDest, dropped_per_s), "/s");
  moments_table(out, r->clipping, "削波 Audio clipping", "clipped 100 ms intervals");
  recording(out, r);
  g_string_append(out, "</body></html>\n");
  return g_string_free(out, FALSE);
}
