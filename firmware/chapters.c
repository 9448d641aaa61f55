#define G_LOG_DOMAIN "shopcast-chapters"

#include "firmware/chapters.h"

#include "firmware/json.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

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

/* What an audit entry does to the chapters. */
typedef enum {
  DOES_PRODUCT,
  DOES_FLASH_START,
  DOES_FLASH_END,
  DOES_COUPON_SHOW,
  DOES_COUPON_HIDE,
  DOES_CORRECTION,
  DOES_CLOSING,
} Does;

/* An audit entry that makes or ends a chapter, with what of it the chapters
 * need: its times (both, as the show's time is worked out from one or the
 * other only when the chapters are made) and its product. */
typedef struct {
  Does does;
  gboolean has_stream_ms, has_wall_us;
  gint64 stream_ms, wall_us;
  char *id;   /* the product's, or NULL */
  char *text; /* a product's name, a price correction's title, or NULL */
} Entry;

struct _ScChapterLog {
  GArray *entries; /* Entry, in the audit's order */
  JsonParser *parser;
};

static void
entry_clear(gpointer p)
{
  Entry *e = p;
  g_free(e->id);
  g_free(e->text);
}

ScChapterLog *
sc_chapter_log_new(void)
{
  ScChapterLog *self = g_new0(ScChapterLog, 1);
  self->entries = g_array_new(FALSE, TRUE, sizeof(Entry));
  g_array_set_clear_func(self->entries, entry_clear);
  self->parser = json_parser_new();
  return self;
}

void
sc_chapter_log_free(ScChapterLog *self)
{
  if (self == NULL)
    return;
  g_array_unref(self->entries);
  g_object_unref(self->parser);
  g_free(self);
}

static const char *
member(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

static gboolean
does_from_kind(const char *kind, Does *does)
{
  static const struct {
    const char *kind;
    Does does;
  } kinds[] = {
      {"product", DOES_PRODUCT},
      {"flash-start", DOES_FLASH_START},
      {"flash-ended", DOES_FLASH_END},
      {"flash-stop", DOES_FLASH_END},
      {"coupon-show", DOES_COUPON_SHOW},
      {"coupon-hide", DOES_COUPON_HIDE},
      {"price-correction", DOES_CORRECTION},
      {"closing-show", DOES_CLOSING},
  };
  for (gsize i = 0; kind && i < G_N_ELEMENTS(kinds); i++)
    if (g_str_equal(kind, kinds[i].kind)) {
      *does = kinds[i].does;
      return TRUE;
    }
  return FALSE;
}

static void
read_line(ScChapterLog *self, const char *line, gssize len)
{
  if (!json_parser_load_from_data(self->parser, line, len, NULL))
    return;
  JsonNode *root = json_parser_get_root(self->parser);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  Entry e = {0};
  if (o == NULL || !does_from_kind(member(o, "kind"), &e.does))
    return;
  JsonNode *d = json_object_get_member(o, "detail");
  JsonObject *detail = d && JSON_NODE_HOLDS_OBJECT(d) ? json_node_get_object(d) : NULL;
  const char *id = member(detail, "id");
  if (e.does == DOES_PRODUCT && id == NULL)
    return; /* no product to make a chapter of */
  JsonNode *stream = json_object_get_member(o, "stream_ms");
  e.has_stream_ms =
      stream && JSON_NODE_HOLDS_VALUE(stream) && json_node_get_value_type(stream) == G_TYPE_INT64;
  e.stream_ms = e.has_stream_ms ? json_node_get_int(stream) : 0;
  const char *ts = member(o, "ts");
  g_autoptr(GDateTime) t = ts ? g_date_time_new_from_iso8601(ts, NULL) : NULL;
  e.has_wall_us = t != NULL;
  e.wall_us = t ? g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t) : 0;
  if (!e.has_stream_ms && !e.has_wall_us)
    return;
  e.id = g_strdup(id);
  if (e.does == DOES_PRODUCT)
    e.text = g_strdup(member(detail, "name"));
  else if (e.does == DOES_CORRECTION)
    e.text = g_strdup_printf("¥%s → ¥%s", member(detail, "was") ? member(detail, "was") : "?",
                             member(detail, "price") ? member(detail, "price") : "?");
  g_array_append_val(self->entries, e);
}

void
sc_chapter_log_add(ScChapterLog *self, const char *lines, gsize len)
{
  const char *end = lines + len;
  for (const char *line = lines; line < end;) {
    const char *nl = memchr(line, '\n', (gsize)(end - line));
    const char *line_end = nl ? nl : end;
    if (line_end > line)
      read_line(self, line, line_end - line);
    line = line_end + 1;
  }
}

/* The open chapters while the entries are gone through. */
typedef struct {
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

/* The product ends, and with it its flash sale and coupon. */
static void
close_product(Reader *r, guint64 at)
{
  close_open(&r->flash, at);
  close_open(&r->coupon, at);
  close_open(&r->product, at);
}

static ScChapter *
open_chapter(Reader *r, ScChapterKind kind, const char *id, guint64 at)
{
  const char *name = id ? g_hash_table_lookup(r->names, id) : NULL;
  ScChapter *c = chapter_new(kind, id, name, at);
  g_ptr_array_add(r->out, c);
  return c;
}

/* The entry's show time; FALSE when it has none in this show. */
static gboolean
show_time(const ScChapterShow *show, const Entry *e, guint64 *at)
{
  gint64 ms;
  if (show->first_stream_ms >= 0 && e->has_stream_ms)
    ms = e->stream_ms - show->first_stream_ms;
  else if (e->has_wall_us)
    ms = (e->wall_us - show->start_us) / 1000;
  else
    return FALSE;
  *at = (guint64)CLAMP(ms, 0, (gint64)show->duration_ms);
  return TRUE;
}

static void
apply(Reader *r, const Entry *e, guint64 at)
{
  switch (e->does) {
  case DOES_PRODUCT:
    if (e->text)
      g_hash_table_insert(r->names, g_strdup(e->id), g_strdup(e->text));
    close_product(r, at);
    r->product = open_chapter(r, SC_CHAPTER_PRODUCT, e->id, at);
    break;
  case DOES_FLASH_START:
    close_open(&r->flash, at);
    r->flash = open_chapter(r, SC_CHAPTER_FLASH_SALE, e->id, at);
    break;
  case DOES_FLASH_END:
    close_open(&r->flash, at);
    break;
  case DOES_COUPON_SHOW:
    close_open(&r->coupon, at);
    r->coupon = open_chapter(r, SC_CHAPTER_COUPON, e->id, at);
    break;
  case DOES_COUPON_HIDE:
    close_open(&r->coupon, at);
    break;
  case DOES_CORRECTION: {
    ScChapter *c = open_chapter(r, SC_CHAPTER_PRICE_CORRECTION, e->id, at);
    g_free(c->title);
    c->title = g_strdup(e->text);
    break;
  }
  case DOES_CLOSING:
    close_product(r, at);
    break;
  }
}

static gint
by_start(gconstpointer a, gconstpointer b)
{
  const ScChapter *x = *(ScChapter *const *)a, *y = *(ScChapter *const *)b;
  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

GPtrArray *
sc_chapter_log_get_chapters(ScChapterLog *self, const ScChapterShow *show)
{
  Reader r = {.out = g_ptr_array_new_with_free_func((GDestroyNotify)sc_chapter_free),
              .names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
  if (show->product_id) {
    g_hash_table_insert(r.names, g_strdup(show->product_id),
                        g_strdup(show->product_name ? show->product_name : show->product_id));
    r.product = open_chapter(&r, SC_CHAPTER_PRODUCT, show->product_id, 0);
  }
  for (guint i = 0; i < self->entries->len; i++) {
    const Entry *e = &g_array_index(self->entries, Entry, i);
    guint64 at;
    if (show_time(show, e, &at))
      apply(&r, e, at);
  }
  close_product(&r, show->duration_ms);
  g_hash_table_unref(r.names);
  g_ptr_array_sort(r.out, by_start); /* stable: entries at one instant keep their order */
  return r.out;
}

GPtrArray *
sc_chapters_from_audit(const char *audit, const ScChapterShow *show)
{
  g_autoptr(ScChapterLog) log = sc_chapter_log_new();
  if (audit)
    sc_chapter_log_add(log, audit, strlen(audit));
  return sc_chapter_log_get_chapters(log, show);
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
