#define G_LOG_DOMAIN "shopcast-report"

#include "firmware/report.h"

#include "firmware/chapters.h"
#include "firmware/json.h"
#include "firmware/report-html.h"
#include "overlays/money.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#define MAX_FILE_BYTES (64 * 1024 * 1024) /* a long show's samples and events, with room */

const ScReportFigure sc_report_figures[] = {
    {"viewers", "观看人数 (viewers)", FALSE},
    {"peak-viewers", "最高在线 (peak concurrent viewers)", FALSE},
    {"buyers", "下单人数 (buyers)", FALSE},
    {"orders", "订单数 (orders)", FALSE},
    {"gmv", "成交金额 GMV (¥)", TRUE},
};
const guint sc_report_n_figures = G_N_ELEMENTS(sc_report_figures);

/* ---- reading the show's folder ---- */

static char *
read_file(const char *dir, const char *name, gboolean required, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    if (required || !g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    return g_strdup("");
  }
  if (len > MAX_FILE_BYTES) {
    g_free(text);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: larger than %d MB", path,
                MAX_FILE_BYTES >> 20);
    return NULL;
  }
  return text;
}

static JsonNode *
parse_json(const char *text, const char *what, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, text, -1, error)) {
    g_prefix_error(error, "%s: ", what);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a JSON object", what);
    return NULL;
  }
  return json_node_copy(root);
}

/* Each line of @text that is a JSON object, in order. */
static GPtrArray *
parse_lines(const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (**l == '\0' || !json_parser_load_from_data(parser, *l, -1, NULL))
      continue;
    JsonNode *root = json_parser_get_root(parser);
    if (root && JSON_NODE_HOLDS_OBJECT(root))
      g_ptr_array_add(out, json_node_copy(root));
  }
  return out;
}

static const char *
str(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

static gint64
num(JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
             ? json_node_get_int(n)
             : fallback;
}

static JsonObject *
obj(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static gint64
parse_time_us(const char *iso)
{
  g_autoptr(GDateTime) t = iso ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
  return t ? (g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t)) : -1;
}

/* ---- what the report computes ---- */

static void
dest_free(ScReportDest *d)
{
  g_free(d->name);
  g_array_unref(d->kbps);
  g_array_unref(d->dropped_per_s);
  g_free(d);
}

static void
moment_clear(gpointer p)
{
  g_free(((ScReportMoment *)p)->what);
}

static GArray *
moments_new(void)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(ScReportMoment));
  g_array_set_clear_func(a, moment_clear);
  return a;
}

static void
add_moment(GArray *a, gint64 at_ms, gint64 end_ms, char *what)
{
  ScReportMoment m = {at_ms, end_ms, what};
  g_array_append_val(a, m);
}

static void
report_clear(ScReportData *r)
{
  g_free(r->id);
  g_free(r->title);
  g_free(r->started);
  g_free(r->ended);
  g_free(r->uplink);
  g_clear_pointer(&r->show, json_node_unref);
  g_clear_pointer(&r->figures, json_node_unref);
  g_clear_pointer(&r->chapters, g_ptr_array_unref);
  g_clear_pointer(&r->dests, g_ptr_array_unref);
  g_clear_pointer(&r->failovers, g_array_unref);
  g_clear_pointer(&r->reconnects, g_array_unref);
  g_clear_pointer(&r->clipping, g_array_unref);
  g_clear_pointer(&r->sample_t_ms, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ScReportData, report_clear)

static ScReportDest *
find_dest(ScReportData *r, const char *name)
{
  for (guint i = 0; i < r->dests->len; i++) {
    ScReportDest *d = g_ptr_array_index(r->dests, i);
    if (g_str_equal(d->name, name))
      return d;
  }
  ScReportDest *d = g_new0(ScReportDest, 1);
  d->name = g_strdup(name);
  d->live_since_ms = -1;
  d->kbps = g_array_new(FALSE, TRUE, sizeof(double));
  d->dropped_per_s = g_array_new(FALSE, TRUE, sizeof(double));
  g_ptr_array_add(r->dests, d);
  return d;
}

static gboolean
load_show(ScReportData *r, const char *dir, GError **error)
{
  g_autofree char *text = read_file(dir, "show.json", TRUE, error);
  if (text == NULL || (r->show = parse_json(text, "show.json", error)) == NULL)
    return FALSE;
  JsonObject *show = json_node_get_object(r->show);
  r->id = g_strdup(str(show, "id") ? str(show, "id") : "");
  r->title = g_strdup(str(show, "title") ? str(show, "title") : "");
  r->started = g_strdup(str(show, "started") ? str(show, "started") : "");
  r->ended = g_strdup(str(show, "ended") ? str(show, "ended") : "");
  r->start_us = parse_time_us(r->started);
  r->duration_ms = MAX(num(show, "duration_ms", 0), 0);
  r->recording = obj(show, "recording");
  if (r->start_us < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "show.json: no start time");
    return FALSE;
  }
  if (*r->ended == '\0') /* a report of the show on air: so far */
    r->duration_ms = MAX(0, (g_get_real_time() - r->start_us) / 1000);
  return TRUE;
}

static gboolean
load_chapters(ScReportData *r, const char *dir, GError **error)
{
  g_autofree char *audit = read_file(dir, "audit.jsonl", FALSE, error);
  if (audit == NULL)
    return FALSE;
  JsonObject *show = json_node_get_object(r->show);
  JsonObject *at_start = obj(show, "product_at_start");
  ScChapterShow s = {
      .start_us = r->start_us,
      .first_stream_ms = num(show, "first_stream_ms", -1),
      .duration_ms = (guint64)r->duration_ms,
      .product_id = str(at_start, "id"),
      .product_name = str(at_start, "name"),
  };
  r->chapters = sc_chapters_from_audit(audit, &s);
  return TRUE;
}

/* A destination's state changes: live time, connections, reconnects. */
static void
output_event(ScReportData *r, gint64 at, const char *name, const char *state)
{
  ScReportDest *d = find_dest(r, name);
  gboolean live = g_str_equal(state, "live");
  if (live && d->live_since_ms < 0) {
    d->live_since_ms = at;
    if (d->lives++ > 0) {
      d->reconnects++;
      add_moment(r->reconnects, at, at, g_strdup_printf("%s live again", name));
    }
  } else if (!live && d->live_since_ms >= 0) {
    d->live_ms += at - d->live_since_ms;
    d->live_since_ms = -1;
  }
  if (g_str_equal(state, "retrying"))
    d->failures++;
}

/* A failover is a change of the uplink in use; the first choice known (from
 * before the show, or at the box's start) is where it starts from. */
static void
uplink_choice(ScReportData *r, gint64 at, const char *subject, const char *state,
              const char *detail)
{
  gboolean change = r->uplink && !g_str_equal(r->uplink, subject);
  g_free(r->uplink);
  r->uplink = g_strdup(subject);
  if (change)
    add_moment(r->failovers, at, at,
               g_strdup_printf("uplink %s %s%s%s", subject, state, detail ? ": " : "",
                               detail ? detail : ""));
}

static void
read_event(ScReportData *r, JsonObject *e)
{
  const char *kind = str(e, "kind"), *subject = str(e, "subject"), *state = str(e, "state");
  gint64 t = parse_time_us(str(e, "ts"));
  if (kind == NULL || subject == NULL || state == NULL || t < 0)
    return;
  gint64 at = CLAMP((t - r->start_us) / 1000, 0, r->duration_ms);
  const char *detail = str(e, "detail");
  if (g_str_equal(kind, "output") && !g_str_equal(state, "reconnect"))
    output_event(r, at, subject, state);
  else if (g_str_equal(kind, "output"))
    r->operator_reconnects++;
  else if (g_str_equal(kind, "uplink-choice"))
    uplink_choice(r, at, subject, state, detail);
  else if (g_str_equal(kind, "drill") && g_str_equal(state, "started"))
    add_moment(r->failovers, at, at, g_strdup_printf("drill: %s", detail ? detail : subject));
}

static gboolean
load_events(ScReportData *r, const char *dir, GError **error)
{
  g_autofree char *text = read_file(dir, "events.jsonl", FALSE, error);
  if (text == NULL)
    return FALSE;
  g_autoptr(GPtrArray) lines = parse_lines(text);
  for (guint i = 0; i < lines->len; i++)
    read_event(r, json_node_get_object(g_ptr_array_index(lines, i)));
  for (guint i = 0; i < r->dests->len; i++) { /* live until the end */
    ScReportDest *d = g_ptr_array_index(r->dests, i);
    if (d->live_since_ms >= 0)
      d->live_ms += r->duration_ms - d->live_since_ms;
    d->live_since_ms = -1;
  }
  return TRUE;
}

/* One destination's counters in a sample, against the previous sample's. */
static void
sample_dest(ScReportData *r, JsonObject *o, JsonObject *before, double dt_s)
{
  const char *name = str(o, "name");
  if (name == NULL)
    return;
  ScReportDest *d = find_dest(r, name);
  gint64 bytes = num(o, "bytes", 0), dropped = num(o, "dropped", 0);
  gint64 bytes0 = num(before, "bytes", 0), dropped0 = num(before, "dropped", 0);
  /* a new connection's counters start again: count from zero then */
  double kbps = bytes >= bytes0 ? (double)(bytes - bytes0) * 8 / 1000 / dt_s : 0;
  double drops = dropped >= dropped0 ? (double)(dropped - dropped0) / dt_s : 0;
  g_array_append_val(d->kbps, kbps);
  g_array_append_val(d->dropped_per_s, drops);
  d->bytes = MAX(d->bytes, (guint64)bytes);
  d->dropped = MAX(d->dropped, (guint64)dropped);
}

static JsonObject *
dest_in(JsonObject *sample, const char *name)
{
  JsonNode *n = sample ? json_object_get_member(sample, "dest") : NULL;
  JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonObject *o = json_array_get_object_element(a, i);
    if (o && g_strcmp0(str(o, "name"), name) == 0)
      return o;
  }
  return NULL;
}

/* Seconds in which the mic's clipping count rose, joined into periods. */
static void
sample_clipping(ScReportData *r, gint64 t0, gint64 t, gint64 clipped, gint64 clipped0)
{
  if (clipped <= clipped0)
    return;
  ScReportMoment *last =
      r->clipping->len ? &g_array_index(r->clipping, ScReportMoment, r->clipping->len - 1) : NULL;
  if (last && last->end_ms >= t0)
    last->end_ms = t;
  else
    add_moment(r->clipping, t0, t, g_strdup_printf("%" G_GINT64_FORMAT, clipped - clipped0));
}

static gboolean
load_samples(ScReportData *r, const char *dir, GError **error)
{
  g_autofree char *text = read_file(dir, "samples.jsonl", FALSE, error);
  if (text == NULL)
    return FALSE;
  g_autoptr(GPtrArray) lines = parse_lines(text);
  JsonObject *before = NULL;
  for (guint i = 0; i < lines->len; i++) {
    JsonObject *s = json_node_get_object(g_ptr_array_index(lines, i));
    gint64 t = num(s, "t_ms", -1), t0 = before ? num(before, "t_ms", 0) : 0;
    if (t < 0 || (before && t <= t0))
      continue;
    double dt = (double)(t - t0) / 1000;
    JsonNode *n = json_object_get_member(s, "dest");
    JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    for (guint k = 0; a && k < json_array_get_length(a); k++) {
      JsonObject *o = json_array_get_object_element(a, k);
      sample_dest(r, o, dest_in(before, str(o, "name")), dt);
    }
    sample_clipping(r, t0, t, num(s, "clipped", 0), before ? num(before, "clipped", 0) : 0);
    g_array_append_val(r->sample_t_ms, t);
    before = s;
  }
  return TRUE;
}

static gboolean
load(ScReportData *r, const char *dir, GError **error)
{
  r->dests = g_ptr_array_new_with_free_func((GDestroyNotify)dest_free);
  r->failovers = moments_new();
  r->reconnects = moments_new();
  r->clipping = moments_new();
  r->sample_t_ms = g_array_new(FALSE, TRUE, sizeof(gint64));
  g_autofree char *figures = sc_report_get_figures(dir);
  return load_show(r, dir, error) && load_chapters(r, dir, error) && load_events(r, dir, error) &&
         load_samples(r, dir, error) &&
         (r->figures = parse_json(figures, "figures.json", error)) != NULL;
}

/* ---- the operator's figures ---- */

const ScReportFigure *
sc_report_find_figure(const char *key)
{
  for (guint i = 0; i < sc_report_n_figures; i++)
    if (g_str_equal(sc_report_figures[i].key, key))
      return &sc_report_figures[i];
  return NULL;
}

double
sc_report_figure_value(const ScReportData *r, const char *key, gboolean *set)
{
  JsonObject *f = json_node_get_object(r->figures);
  JsonNode *n = json_object_get_member(f, key);
  *set = n && JSON_NODE_HOLDS_VALUE(n);
  if (!*set)
    return 0;
  if (json_node_get_value_type(n) == G_TYPE_STRING) {
    ScFen fen = 0;
    *set = sc_money_parse(json_node_get_string(n), &fen, NULL);
    return (double)fen / 100;
  }
  return (double)json_node_get_int(n);
}

char *
sc_report_get_figures(const char *show_dir)
{
  g_autofree char *path = g_build_filename(show_dir, "figures.json", NULL);
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL) || *g_strstrip(text) != '{') {
    g_free(text);
    return g_strdup("{}");
  }
  return text;
}

static gboolean
figure_node(const ScReportFigure *f, const char *value, JsonNode **node, GError **error)
{
  guint64 count = 0;
  ScFen fen = 0;
  if (f->money && sc_money_parse(value, &fen, NULL) && fen >= 0) {
    g_autofree char *yuan = sc_money_format(fen);
    *node = json_node_init_string(json_node_alloc(), yuan);
    return TRUE;
  }
  if (!f->money && g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &count, NULL)) {
    *node = json_node_init_int(json_node_alloc(), (gint64)count);
    return TRUE;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: '%s' is not %s", f->key, value,
              f->money ? "an amount in yuan (e.g. 54000 or 129.90)" : "a whole count (0, 1, ...)");
  return FALSE;
}

gboolean
sc_report_set_figure(const char *show_dir, const char *key, const char *value, GError **error)
{
  const ScReportFigure *f = sc_report_find_figure(key);
  if (f == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "unknown figure '%s'; the figures are: viewers, peak-viewers, buyers, orders, gmv",
                key);
    return FALSE;
  }
  JsonNode *node = NULL;
  if (!g_str_equal(value, "-") && !figure_node(f, value, &node, error))
    return FALSE;
  g_autofree char *text = sc_report_get_figures(show_dir);
  g_autoptr(JsonNode) root = parse_json(text, "figures.json", NULL);
  if (root == NULL)
    root = json_node_init_object(json_node_alloc(), json_object_new());
  JsonObject *o = json_node_get_object(root);
  if (node)
    json_object_set_member(o, key, node);
  else if (json_object_has_member(o, key))
    json_object_remove_member(o, key);
  g_autofree char *out = json_to_string(root, TRUE);
  g_autofree char *path = g_build_filename(show_dir, "figures.json", NULL);
  return g_file_set_contents(path, out, -1, error);
}

/* ---- the CSV ---- */

static void
csv_field(GString *out, const char *text)
{
  g_string_append_c(out, '"');
  for (const char *p = text; *p; p++) {
    if (*p == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, *p);
  }
  g_string_append_c(out, '"');
}

static void
csv_row(GString *out, const char *section, const char *name, gint64 start_ms, gint64 end_ms,
        const char *value)
{
  g_string_append_printf(out, "%s,", section);
  csv_field(out, name);
  if (start_ms >= 0)
    g_string_append_printf(out, ",%.3f,%.3f,%.3f,", start_ms / 1000.0, end_ms / 1000.0,
                           (end_ms - start_ms) / 1000.0);
  else
    g_string_append(out, ",,,,");
  csv_field(out, value ? value : "");
  g_string_append_c(out, '\n');
}

static void
csv_figures(GString *out, const ScReportData *r)
{
  g_autoptr(GPtrArray) rows = sc_report_key_figures(r);
  for (guint i = 0; i < rows->len; i++) {
    const ScReportRow *row = g_ptr_array_index(rows, i);
    csv_row(out, row->section, row->name, -1, -1, row->value);
  }
}

static char *
build_csv(const ScReportData *r)
{
  GString *out = g_string_new("section,name,start_s,end_s,duration_s,value\n");
  csv_figures(out, r);
  for (guint i = 0; i < r->chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(r->chapters, i);
    g_autofree char *name = g_strdup_printf("%s %s", c->id, c->title);
    csv_row(out, sc_chapter_kind_name(c->kind), name, (gint64)c->start_ms, (gint64)c->end_ms, "");
  }
  const struct {
    const char *section;
    GArray *moments;
  } lists[] = {{"failover", r->failovers}, {"reconnect", r->reconnects}, {"clipping", r->clipping}};
  for (guint l = 0; l < G_N_ELEMENTS(lists); l++)
    for (guint i = 0; i < lists[l].moments->len; i++) {
      const ScReportMoment *m = &g_array_index(lists[l].moments, ScReportMoment, i);
      csv_row(out, lists[l].section, lists[l].section[0] == 'c' ? "mic" : m->what, m->at_ms,
              m->end_ms, lists[l].section[0] == 'c' ? m->what : "");
    }
  return g_string_free(out, FALSE);
}

/* ---- the figures at the top (the HTML's and the CSV's) ---- */

static void
row_free(ScReportRow *row)
{
  g_free(row->name);
  g_free(row->value);
  g_free(row);
}

static void
add_row(GPtrArray *rows, const char *section, const char *name, char *value)
{
  ScReportRow *row = g_new0(ScReportRow, 1);
  row->section = section;
  row->name = g_strdup(name);
  row->value = value;
  g_ptr_array_add(rows, row);
}

static guint
count_kind(const ScReportData *r, ScChapterKind kind, gboolean distinct)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  guint n = 0;
  for (guint i = 0; i < r->chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(r->chapters, i);
    if (c->kind == kind && (!distinct || g_hash_table_add(seen, c->id)))
      n++;
  }
  return n;
}

static void
add_derived(GPtrArray *rows, const ScReportData *r)
{
  gboolean v_set, b_set, g_set;
  double viewers = sc_report_figure_value(r, "viewers", &v_set);
  double buyers = sc_report_figure_value(r, "buyers", &b_set);
  double gmv = sc_report_figure_value(r, "gmv", &g_set);
  add_row(rows, "derived", "转化率 = 下单人数 / 观看人数 (conversion)",
          v_set && b_set && viewers > 0 ? g_strdup_printf("%.2f%%", 100 * buyers / viewers)
                                        : g_strdup("-"));
  add_row(rows, "derived", "客单价 = 成交金额 / 下单人数 (¥ per buyer)",
          g_set && b_set && buyers > 0 ? g_strdup_printf("%.2f", gmv / buyers) : g_strdup("-"));
  add_row(rows, "derived", "UV价值 = 成交金额 / 观看人数 (¥ per viewer)",
          g_set && v_set && viewers > 0 ? g_strdup_printf("%.2f", gmv / viewers) : g_strdup("-"));
}

GPtrArray *
sc_report_key_figures(const ScReportData *r)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)row_free);
  add_row(rows, "figure", "duration_s", g_strdup_printf("%.3f", r->duration_ms / 1000.0));
  add_row(rows, "figure", "products",
          g_strdup_printf("%u", count_kind(r, SC_CHAPTER_PRODUCT, TRUE)));
  add_row(rows, "figure", "product_changes",
          g_strdup_printf("%u", count_kind(r, SC_CHAPTER_PRODUCT, FALSE)));
  add_row(rows, "figure", "flash_sales",
          g_strdup_printf("%u", count_kind(r, SC_CHAPTER_FLASH_SALE, FALSE)));
  add_row(rows, "figure", "coupons_shown",
          g_strdup_printf("%u", count_kind(r, SC_CHAPTER_COUPON, FALSE)));
  add_row(rows, "figure", "price_corrections",
          g_strdup_printf("%u", count_kind(r, SC_CHAPTER_PRICE_CORRECTION, FALSE)));
  add_row(rows, "figure", "failovers", g_strdup_printf("%u", r->failovers->len));
  add_row(rows, "figure", "reconnects", g_strdup_printf("%u", r->reconnects->len));
  add_row(rows, "figure", "operator_reconnects", g_strdup_printf("%u", r->operator_reconnects));
  gint64 clipping_ms = 0;
  for (guint i = 0; i < r->clipping->len; i++) {
    const ScReportMoment *m = &g_array_index(r->clipping, ScReportMoment, i);
    clipping_ms += m->end_ms - m->at_ms;
  }
  add_row(rows, "figure", "clipping_s", g_strdup_printf("%.0f", clipping_ms / 1000.0));
  for (guint i = 0; i < r->dests->len; i++) {
    const ScReportDest *d = g_ptr_array_index(r->dests, i);
    double pct = r->duration_ms ? 100.0 * d->live_ms / r->duration_ms : 0;
    add_row(rows, "uptime_pct", d->name, g_strdup_printf("%.2f", pct));
    add_row(rows, "reconnects", d->name, g_strdup_printf("%u", d->reconnects));
    add_row(rows, "dropped", d->name, g_strdup_printf("%" G_GUINT64_FORMAT, d->dropped));
  }
  for (guint i = 0; i < sc_report_n_figures; i++) {
    gboolean set;
    double v = sc_report_figure_value(r, sc_report_figures[i].key, &set);
    add_row(rows, "operator", sc_report_figures[i].label,
            !set                         ? g_strdup("-")
            : sc_report_figures[i].money ? g_strdup_printf("%.2f", v)
                                         : g_strdup_printf("%.0f", v));
  }
  add_derived(rows, r);
  return rows;
}

/* ---- writing ---- */

gboolean
sc_report_generate(const char *show_dir, GError **error)
{
  g_auto(ScReportData) r = {0};
  if (!load(&r, show_dir, error)) {
    g_prefix_error(error, "%s: ", show_dir);
    return FALSE;
  }
  g_autofree char *csv = build_csv(&r);
  g_autofree char *html = sc_report_html(&r);
  g_autofree char *csv_path = g_build_filename(show_dir, "report.csv", NULL);
  g_autofree char *html_path = g_build_filename(show_dir, "report.html", NULL);
  return g_file_set_contents(csv_path, csv, -1, error) &&
         g_file_set_contents(html_path, html, -1, error);
}
