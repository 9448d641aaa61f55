#define G_LOG_DOMAIN "shopcast-chapters"

#include "firmware/chapters.h"

#include "firmware/json.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#define FLASH_PREFIX "秒杀 · "

const char *
sc_chapter_kind_name(ScChapterKind kind)
{
  static const char *const names[] = {"product", "flash-sale", "coupon", "price-correction"};
  return kind < G_N_ELEMENTS(names) ? names[kind] : "unknown";
}

void
sc_chapter_free(ScChapter *c)
{
  if (c == NULL)
    return;
  g_free(c->id);
  g_free(c->title);
  g_free(c);
}

static ScChapter *
chapter_new(ScChapterKind kind, const char *id, const char *title, guint64 start_ms)
{
  ScChapter *c = g_new0(ScChapter, 1);
  c->kind = kind;
  c->id = g_strdup(id ? id : "");
  c->title = g_strdup(title ? title : c->id);
  c->start_ms = c->end_ms = start_ms;
  return c;
}

/* The open chapters while the audit lines are read. */
typedef struct {
  const ScChapterShow *show;
  GPtrArray *out;
  ScChapter *product, *flash, *coupon; /* open, owned by @out */
  GHashTable *names;                   /* product id -> name */
} Reader;

static void
close_open(ScChapter **open, guint64 at)
{
  if (*open)
    (*open)->end_ms = MAX(at, (*open)->start_ms);
  *open = NULL;
}

static ScChapter *
open_chapter(Reader *r, ScChapterKind kind, const char *id, guint64 at)
{
  const char *name = id ? g_hash_table_lookup(r->names, id) : NULL;
  ScChapter *c = chapter_new(kind, id, name, at);
  g_ptr_array_add(r->out, c);
  return c;
}

static const char *
member(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

/* The entry's show time; FALSE when it is not of this show. */
static gboolean
show_time(const ScChapterShow *show, JsonObject *entry, guint64 *at)
{
  gint64 ms;
  if (show->first_stream_ms >= 0 && json_object_has_member(entry, "stream_ms")) {
    ms = json_object_get_int_member(entry, "stream_ms") - show->first_stream_ms;
  } else {
    const char *ts = member(entry, "ts");
    g_autoptr(GDateTime) t = ts ? g_date_time_new_from_iso8601(ts, NULL) : NULL;
    if (t == NULL)
      return FALSE;
    ms = ((g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t)) -
          show->start_us) /
         1000;
  }
  *at = (guint64)CLAMP(ms, 0, (gint64)show->duration_ms);
  return TRUE;
}

static void
product(Reader *r, JsonObject *detail, guint64 at)
{
  const char *id = member(detail, "id");
  if (id == NULL)
    return;
  if (member(detail, "name"))
    g_hash_table_insert(r->names, g_strdup(id), g_strdup(member(detail, "name")));
  close_open(&r->flash, at);
  close_open(&r->coupon, at);
  close_open(&r->product, at);
  r->product = open_chapter(r, SC_CHAPTER_PRODUCT, id, at);
}

static void
correction(Reader *r, JsonObject *detail, guint64 at)
{
  ScChapter *c = open_chapter(r, SC_CHAPTER_PRICE_CORRECTION, member(detail, "id"), at);
  g_free(c->title);
  c->title = g_strdup_printf("¥%s → ¥%s", member(detail, "was") ? member(detail, "was") : "?",
                             member(detail, "price") ? member(detail, "price") : "?");
}

static void
apply(Reader *r, const char *kind, JsonObject *detail, guint64 at)
{
  if (g_str_equal(kind, "product"))
    product(r, detail, at);
  else if (g_str_equal(kind, "flash-start")) {
    close_open(&r->flash, at);
    r->flash = open_chapter(r, SC_CHAPTER_FLASH_SALE, member(detail, "id"), at);
  } else if (g_str_equal(kind, "flash-ended") || g_str_equal(kind, "flash-stop"))
    close_open(&r->flash, at);
  else if (g_str_equal(kind, "coupon-show")) {
    close_open(&r->coupon, at);
    r->coupon = open_chapter(r, SC_CHAPTER_COUPON, member(detail, "id"), at);
  } else if (g_str_equal(kind, "coupon-hide"))
    close_open(&r->coupon, at);
  else if (g_str_equal(kind, "price-correction"))
    correction(r, detail, at);
  else if (g_str_equal(kind, "closing-show")) {
    close_open(&r->flash, at);
    close_open(&r->coupon, at);
    close_open(&r->product, at);
  }
}

static void
read_line(Reader *r, JsonParser *parser, const char *line)
{
  if (!json_parser_load_from_data(parser, line, -1, NULL))
    return;
  JsonNode *root = json_parser_get_root(parser);
  JsonObject *entry = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  const char *kind = member(entry, "kind");
  guint64 at = 0;
  if (kind == NULL || !show_time(r->show, entry, &at))
    return;
  JsonNode *d = json_object_get_member(entry, "detail");
  apply(r, kind, d && JSON_NODE_HOLDS_OBJECT(d) ? json_node_get_object(d) : NULL, at);
}

static gint
by_start(gconstpointer a, gconstpointer b)
{
  const ScChapter *x = *(ScChapter *const *)a, *y = *(ScChapter *const *)b;
  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

GPtrArray *
sc_chapters_from_audit(const char *audit, const ScChapterShow *show)
{
  Reader r = {.show = show,
              .out = g_ptr_array_new_with_free_func((GDestroyNotify)sc_chapter_free),
              .names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
  if (show->product_id) {
    g_hash_table_insert(r.names, g_strdup(show->product_id),
                        g_strdup(show->product_name ? show->product_name : show->product_id));
    r.product = open_chapter(&r, SC_CHAPTER_PRODUCT, show->product_id, 0);
  }
  g_autoptr(JsonParser) parser = json_parser_new();
  g_auto(GStrv) lines = g_strsplit(audit ? audit : "", "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l)
      read_line(&r, parser, *l);
  close_open(&r.flash, show->duration_ms);
  close_open(&r.coupon, show->duration_ms);
  close_open(&r.product, show->duration_ms);
  g_hash_table_unref(r.names);
  g_ptr_array_sort(r.out, by_start); /* stable: entries at one instant keep their order */
  return r.out;
}

static void
mark_clear(gpointer p)
{
  g_free(((ScChapterMark *)p)->title);
}

static void
add_mark(GArray *marks, guint64 at, const char *title)
{
  ScChapterMark m = {at, g_strdup(title)};
  g_array_append_val(marks, m);
}

static gint
mark_by_start(gconstpointer a, gconstpointer b)
{
  const ScChapterMark *x = a, *y = b;
  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

GArray *
sc_chapters_marks(GPtrArray *chapters)
{
  GArray *marks = g_array_new(FALSE, TRUE, sizeof(ScChapterMark));
  g_array_set_clear_func(marks, mark_clear);
  const ScChapter *product = NULL;
  for (guint i = 0; i < chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(chapters, i);
    if (c->kind == SC_CHAPTER_PRODUCT) {
      add_mark(marks, c->start_ms, c->title);
      product = c;
    } else if (c->kind == SC_CHAPTER_FLASH_SALE) {
      g_autofree char *title = g_strconcat(FLASH_PREFIX, c->title, NULL);
      add_mark(marks, c->start_ms, title);
      if (product && c->end_ms < product->end_ms) /* the product goes on after its sale */
        add_mark(marks, c->end_ms, product->title);
    }
  }
  g_array_sort(marks, mark_by_start);
  return marks;
}

char *
sc_chapters_to_json(GPtrArray *chapters)
{
  GString *out = g_string_new("[");
  for (guint i = 0; i < chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(chapters, i);
    g_string_append(out, i ? ",\n {\"kind\":" : "{\"kind\":");
    sc_json_append_string(out, sc_chapter_kind_name(c->kind));
    g_string_append(out, ",\"id\":");
    sc_json_append_string(out, c->id);
    g_string_append(out, ",\"title\":");
    sc_json_append_string(out, c->title);
    g_string_append_printf(out,
                           ",\"start_ms\":%" G_GUINT64_FORMAT ",\"end_ms\":%" G_GUINT64_FORMAT "}",
                           c->start_ms, c->end_ms);
  }
  g_string_append(out, "]\n");
  return g_string_free(out, FALSE);
}

static gboolean
kind_from_name(const char *name, ScChapterKind *kind)
{
  for (guint k = SC_CHAPTER_PRODUCT; k <= SC_CHAPTER_PRICE_CORRECTION; k++)
    if (name && g_str_equal(name, sc_chapter_kind_name(k))) {
      *kind = k;
      return TRUE;
    }
  return FALSE;
}

GPtrArray *
sc_chapters_from_json(const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, json, -1, error))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "chapters: not a JSON array");
    return NULL;
  }
  JsonArray *array = json_node_get_array(root);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)sc_chapter_free);
  for (guint i = 0; i < json_array_get_length(array); i++) {
    JsonObject *o = json_array_get_object_element(array, i);
    ScChapterKind kind;
    if (o == NULL || !kind_from_name(member(o, "kind"), &kind)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "chapters: entry %u is not a chapter",
                  i + 1);
      return NULL;
    }
    ScChapter *c = chapter_new(kind, member(o, "id"), member(o, "title"),
                               (guint64)json_object_get_int_member_with_default(o, "start_ms", 0));
    c->end_ms = (guint64)json_object_get_int_member_with_default(o, "end_ms", 0);
    g_ptr_array_add(out, c);
  }
  return g_steal_pointer(&out);
}

/* FFMETADATA escapes '=', ';', '#', '\' and newlines with a backslash. */
static void
append_escaped(GString *out, const char *text)
{
  for (const char *p = text; *p; p++) {
    if (strchr("=;#\\\n", *p))
      g_string_append_c(out, '\\');
    g_string_append_c(out, *p);
  }
}

char *
sc_chapters_to_ffmetadata(GArray *marks, guint64 duration_ms)
{
  GString *out = g_string_new(";FFMETADATA1\n");
  for (guint i = 0; i < marks->len; i++) {
    const ScChapterMark *m = &g_array_index(marks, ScChapterMark, i);
    guint64 end = i + 1 < marks->len ? g_array_index(marks, ScChapterMark, i + 1).start_ms
                                     : MAX(duration_ms, m->start_ms);
    if (end <= m->start_ms && i + 1 < marks->len)
      continue; /* replaced at the same instant */
    g_string_append_printf(out,
                           "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=%" G_GUINT64_FORMAT
                           "\nEND=%" G_GUINT64_FORMAT "\ntitle=",
                           m->start_ms, end);
    append_escaped(out, m->title);
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}
