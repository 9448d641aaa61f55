#define G_LOG_DOMAIN "shopcast-state"

#include "firmware/show-state.h"

#include "firmware/json.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#define STATE_VERSION   1
#define MAX_STATE_BYTES (64 * 1024)
#define MAX_FLASH_SALES 1000
#define MAX_STOCK       1000000

G_DEFINE_QUARK(sc - show - state - error - quark, sc_show_state_error)

typedef struct {
  char *id;
  gint64 end_us;
} Flash;

struct _ScShowState {
  gboolean live;
  gboolean has_show; /* the "show" object: what was on air */
  char *title;       /* the show's, for people reading the file */
  char *product;     /* on air, or NULL */
  GArray *flashes;   /* Flash: every flash sale's fixed end */
  gboolean flash_on_air, coupon, stock_on_air, opening, closing;
  gint64 stock;     /* of the product on air; -1: not set */
  gint64 corrected; /* fen; 0: no price correction on air */
  char *lower_name; /* NULL: no lower third */
  char *lower_role;
};

static void
flash_clear(gpointer p)
{
  g_free(((Flash *)p)->id);
}

void
sc_show_state_free(ScShowState *state)
{
  if (state == NULL)
    return;
  g_free(state->title);
  g_free(state->product);
  g_clear_pointer(&state->flashes, g_array_unref);
  g_free(state->lower_name);
  g_free(state->lower_role);
  g_free(state);
}

gboolean
sc_show_state_get_live(const ScShowState *state)
{
  return state->live;
}

/* ---- writing ---- */

static ScShowState *
state_new(gboolean live)
{
  ScShowState *s = g_new0(ScShowState, 1);
  s->live = live;
  s->flashes = g_array_new(FALSE, TRUE, sizeof(Flash));
  g_array_set_clear_func(s->flashes, flash_clear);
  s->stock = -1;
  return s;
}

/* What @show has on air now. */
static ScShowState *
capture(ScShow *show, gboolean live)
{
  ScShowState *s = state_new(live);
  if (show == NULL)
    return s;
  const ScOnAir *air = sc_show_get_on_air(show);
  const ScShowFile *file = sc_show_get_file(show);
  s->has_show = TRUE;
  s->title = g_strdup(file->title);
  s->product = air->product ? g_strdup(air->product->id) : NULL;
  for (guint i = 0; i < file->products->len; i++) {
    const ScProduct *p = g_ptr_array_index(file->products, i);
    Flash f = {NULL, 0};
    if (sc_show_get_flash_end(show, p->id, &f.end_us)) {
      f.id = g_strdup(p->id);
      g_array_append_val(s->flashes, f);
    }
  }
  s->flash_on_air = air->flash_sale;
  s->coupon = air->coupon;
  s->stock = air->product ? air->product->stock : -1;
  s->stock_on_air = air->stock;
  s->corrected = air->corrected_price;
  s->lower_name = g_strdup(air->lower_third_name);
  s->lower_role = g_strdup(air->lower_third_role);
  s->opening = air->opening;
  s->closing = air->closing;
  return s;
}

static void
append_bool(GString *out, const char *key, gboolean value)
{
  g_string_append_printf(out, ",\"%s\":%s", key, value ? "true" : "false");
}

static void
append_text(GString *out, const char *key, const char *value)
{
  g_string_append_printf(out, ",\"%s\":", key);
  if (value)
    sc_json_append_string(out, value);
  else
    g_string_append(out, "null");
}

static void
append_show(GString *out, const ScShowState *s)
{
  g_string_append(out, ",\"show\":{\"title\":");
  sc_json_append_string(out, s->title ? s->title : "");
  append_text(out, "product", s->product);
  g_string_append(out, ",\"flash\":[");
  for (guint i = 0; i < s->flashes->len; i++) {
    const Flash *f = &g_array_index(s->flashes, Flash, i);
    g_string_append_printf(out, "%s{\"id\":", i ? "," : "");
    sc_json_append_string(out, f->id);
    g_string_append_printf(out, ",\"end_us\":%" G_GINT64_FORMAT "}", f->end_us);
  }
  g_string_append_c(out, ']');
  append_bool(out, "flash_on_air", s->flash_on_air);
  append_bool(out, "coupon", s->coupon);
  g_string_append_printf(out, ",\"stock\":%" G_GINT64_FORMAT, s->stock);
  append_bool(out, "stock_on_air", s->stock_on_air);
  g_string_append_printf(out, ",\"corrected_price_fen\":%" G_GINT64_FORMAT, s->corrected);
  g_string_append(out, ",\"lower_third\":");
  if (s->lower_name) {
    g_string_append(out, "{\"name\":");
    sc_json_append_string(out, s->lower_name);
    append_text(out, "role", s->lower_role ? s->lower_role : "");
    g_string_append_c(out, '}');
  } else {
    g_string_append(out, "null");
  }
  append_bool(out, "opening", s->opening);
  append_bool(out, "closing", s->closing);
  g_string_append_c(out, '}');
}

static char *
serialize(const ScShowState *s, gboolean live)
{
  GString *out = g_string_new(NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *written = g_date_time_format_iso8601(now);
  g_string_append_printf(out, "{\"version\":%d,\"written\":\"%s\"", STATE_VERSION, written);
  append_bool(out, "live", live);
  if (s->has_show)
    append_show(out, s);
  else
    g_string_append(out, ",\"show\":null");
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

char *
sc_show_state_to_json(ScShow *show, gboolean live)
{
  g_autoptr(ScShowState) s = capture(show, live);
  return serialize(s, live);
}

char *
sc_show_state_text(const ScShowState *state, gboolean live)
{
  return serialize(state, live);
}

/* ---- reading ---- */

static gboolean
corrupt(GError **error, const char *path, const char *what)
{
  g_set_error(error, SC_SHOW_STATE_ERROR, SC_SHOW_STATE_ERROR_CORRUPT,
              "%s: not a show state shopcastd wrote (%s)", path, what);
  return FALSE;
}

/* A member of @o of JSON type @type (or null, when @nullable). */
static JsonNode *
member(JsonObject *o, const char *key, GType type, gboolean nullable)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL)
    return NULL;
  if (nullable && JSON_NODE_HOLDS_NULL(n))
    return n;
  if (type == JSON_TYPE_OBJECT)
    return JSON_NODE_HOLDS_OBJECT(n) ? n : NULL;
  if (type == JSON_TYPE_ARRAY)
    return JSON_NODE_HOLDS_ARRAY(n) ? n : NULL;
  return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type ? n : NULL;
}

static gboolean
get_bool(JsonObject *o, const char *key, gboolean *value)
{
  JsonNode *n = member(o, key, G_TYPE_BOOLEAN, FALSE);
  if (n)
    *value = json_node_get_boolean(n);
  return n != NULL;
}

static gboolean
get_int(JsonObject *o, const char *key, gint64 min, gint64 max, gint64 *value)
{
  JsonNode *n = member(o, key, G_TYPE_INT64, FALSE);
  if (n == NULL || json_node_get_int(n) < min || json_node_get_int(n) > max)
    return FALSE;
  *value = json_node_get_int(n);
  return TRUE;
}

/* A string member (NULL when null): valid UTF-8, at most @max bytes. */
static gboolean
get_text(JsonObject *o, const char *key, gsize max, char **value)
{
  JsonNode *n = member(o, key, G_TYPE_STRING, TRUE);
  if (n == NULL)
    return FALSE;
  const char *text = JSON_NODE_HOLDS_NULL(n) ? NULL : json_node_get_string(n);
  if (text && (strlen(text) > max || !g_utf8_validate(text, -1, NULL)))
    return FALSE;
  *value = g_strdup(text);
  return TRUE;
}

static gboolean
read_flashes(ScShowState *s, JsonObject *show, const char *path, GError **error)
{
  JsonNode *n = member(show, "flash", JSON_TYPE_ARRAY, FALSE);
  if (n == NULL)
    return corrupt(error, path, "\"flash\" is not a list");
  JsonArray *a = json_node_get_array(n);
  if (json_array_get_length(a) > MAX_FLASH_SALES)
    return corrupt(error, path, "too many flash sales");
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    Flash f = {0};
    if (!JSON_NODE_HOLDS_OBJECT(e) || !get_text(json_node_get_object(e), "id", 64, &f.id) ||
        f.id == NULL || !get_int(json_node_get_object(e), "end_us", 1, G_MAXINT64, &f.end_us)) {
      g_free(f.id);
      return corrupt(error, path, "a flash sale without its product id and end");
    }
    g_array_append_val(s->flashes, f);
  }
  return TRUE;
}

static gboolean
read_lower_third(ScShowState *s, JsonObject *show, const char *path, GError **error)
{
  JsonNode *n = member(show, "lower_third", JSON_TYPE_OBJECT, TRUE);
  if (n == NULL)
    return corrupt(error, path, "\"lower_third\"");
  if (JSON_NODE_HOLDS_NULL(n))
    return TRUE;
  JsonObject *o = json_node_get_object(n);
  if (!get_text(o, "name", 1024, &s->lower_name) || s->lower_name == NULL ||
      !get_text(o, "role", 1024, &s->lower_role))
    return corrupt(error, path, "a lower third without its name");
  if (s->lower_role && *s->lower_role == '\0')
    g_clear_pointer(&s->lower_role, g_free);
  return TRUE;
}

static gboolean
read_show(ScShowState *s, JsonObject *o, const char *path, GError **error)
{
  JsonNode *n = member(o, "show", JSON_TYPE_OBJECT, TRUE);
  if (n == NULL)
    return corrupt(error, path, "\"show\"");
  if (JSON_NODE_HOLDS_NULL(n))
    return TRUE;
  JsonObject *show = json_node_get_object(n);
  s->has_show = TRUE;
  if (!get_text(show, "title", 1024, &s->title) || !get_text(show, "product", 64, &s->product))
    return corrupt(error, path, "\"title\" or \"product\"");
  if (!get_bool(show, "flash_on_air", &s->flash_on_air) || !get_bool(show, "coupon", &s->coupon) ||
      !get_bool(show, "stock_on_air", &s->stock_on_air) ||
      !get_bool(show, "opening", &s->opening) || !get_bool(show, "closing", &s->closing))
    return corrupt(error, path, "a graphic on air is neither true nor false");
  if (!get_int(show, "stock", -1, MAX_STOCK, &s->stock) ||
      !get_int(show, "corrected_price_fen", 0, G_MAXINT32, &s->corrected))
    return corrupt(error, path, "the stock or the corrected price");
  return read_flashes(s, show, path, error) && read_lower_third(s, show, path, error);
}

ScShowState *
sc_show_state_parse(const char *path, const char *text, gsize len, GError **error)
{
  if (len > MAX_STATE_BYTES) {
    corrupt(error, path, "larger than 64 KiB");
    return NULL;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_data(parser, text, (gssize)len, &local)) {
    corrupt(error, path, local->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    corrupt(error, path, "not a JSON object");
    return NULL;
  }
  JsonObject *o = json_node_get_object(root);
  gint64 version = 0;
  g_autoptr(ScShowState) s = state_new(FALSE);
  if (!get_int(o, "version", STATE_VERSION, STATE_VERSION, &version)) {
    corrupt(error, path, "no \"version\": 1");
    return NULL;
  }
  if (!get_bool(o, "live", &s->live)) {
    corrupt(error, path, "\"live\" is neither true nor false");
    return NULL;
  }
  if (!read_show(s, o, path, error))
    return NULL;
  return g_steal_pointer(&s);
}

ScShowState *
sc_show_state_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    gboolean absent = g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_set_error(error, SC_SHOW_STATE_ERROR,
                absent ? SC_SHOW_STATE_ERROR_ABSENT : SC_SHOW_STATE_ERROR_READ, "%s",
                local->message);
    return NULL;
  }
  return sc_show_state_parse(path, text, len, error);
}

char *
sc_show_state_describe(const ScShowState *s)
{
  GString *out = g_string_new(s->live ? "live" : "not live");
  if (!s->has_show)
    return g_string_free(out, FALSE);
  g_string_append_printf(out, ", product %s", s->product ? s->product : "none");
  for (guint i = 0; i < s->flashes->len; i++) {
    const Flash *f = &g_array_index(s->flashes, Flash, i);
    g_autoptr(GDateTime) end = g_date_time_new_from_unix_local(f->end_us / G_USEC_PER_SEC);
    g_autofree char *at = end ? g_date_time_format(end, "%H:%M:%S") : g_strdup("?");
    g_string_append_printf(out, ", flash sale of %s ends %s", f->id, at);
  }
  if (s->stock_on_air)
    g_string_append_printf(out, ", stock %" G_GINT64_FORMAT " shown", s->stock);
  if (s->coupon)
    g_string_append(out, ", coupon");
  if (s->corrected)
    g_string_append(out, ", price correction");
  if (s->lower_name)
    g_string_append_printf(out, ", lower third %s", s->lower_name);
  if (s->opening || s->closing)
    g_string_append_printf(out, ", %s card", s->opening ? "opening" : "closing");
  return g_string_free(out, FALSE);
}

/* ---- restoring ---- */

static gboolean
restore_product(const ScShowState *s, ScShow *show, GError **error)
{
  if (s->product == NULL)
    return TRUE;
  const ScShowFile *file = sc_show_get_file(show);
  gboolean known = FALSE;
  for (guint i = 0; i < file->products->len && !known; i++)
    known = g_str_equal(((const ScProduct *)g_ptr_array_index(file->products, i))->id, s->product);
  if (!known) {
    g_set_error(error, SC_SHOW_ERROR, SC_SHOW_ERROR_ARGUMENT, "no product '%s' in the show",
                s->product);
    return FALSE;
  }
  if (!sc_show_goto_product(show, s->product, error))
    return FALSE;
  const ScProduct *on_air = sc_show_get_on_air(show)->product;
  if (on_air && g_str_equal(on_air->id, s->product))
    return TRUE;
  g_set_error(error, SC_SHOW_ERROR, SC_SHOW_ERROR_ARGUMENT,
              "product '%s' is also a position in the running order", s->product);
  return FALSE;
}

static gboolean
restore_flashes(const ScShowState *s, ScShow *show, GError **error)
{
  for (guint i = 0; i < s->flashes->len; i++) {
    const Flash *f = &g_array_index(s->flashes, Flash, i);
    gboolean on_air = s->flash_on_air && s->product && g_str_equal(f->id, s->product);
    if (!sc_show_restore_flash(show, f->id, f->end_us, on_air, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
restore_stock(const ScShowState *s, ScShow *show, GError **error)
{
  const ScProduct *p = sc_show_get_on_air(show)->product;
  if (p == NULL || s->stock < 0 || (!s->stock_on_air && s->stock == p->stock))
    return TRUE;
  return sc_show_set_stock(show, (gint)s->stock, error) &&
         (s->stock_on_air || sc_show_stock_visible(show, FALSE, error));
}

static gboolean
restore_price(const ScShowState *s, ScShow *show, GError **error)
{
  if (s->corrected == 0)
    return TRUE;
  g_autofree char *price = sc_money_format((ScFen)s->corrected);
  return sc_show_correct_price(show, price, error);
}

static gboolean
apply(const ScShowState *s, ScShow *show, GError **error)
{
  return restore_product(s, show, error) && restore_flashes(s, show, error) &&
         restore_stock(s, show, error) && (!s->coupon || sc_show_coupon(show, TRUE, error)) &&
         restore_price(s, show, error) &&
         (s->lower_name == NULL ||
          sc_show_lower_third(show, s->lower_name, s->lower_role, error)) &&
         (!s->opening || sc_show_opening(show, TRUE, error)) &&
         (!s->closing || sc_show_closing(show, TRUE, error));
}

static gboolean
apply_restoring(const ScShowState *s, ScShow *show, GError **error)
{
  sc_show_set_restoring(show, TRUE);
  gboolean ok = apply(s, show, error);
  sc_show_set_restoring(show, FALSE);
  return ok;
}

gboolean
sc_show_state_restore(const ScShowState *s, ScShow *show, GError **error)
{
  if (!s->has_show)
    return TRUE;
  /* a rehearsal on the same show, fresh from its file: nothing on air changes
   * unless every step will succeed */
  const char *path = sc_show_get_file(show)->path;
  g_autoptr(GError) local = NULL;
  g_autoptr(ScShow) rehearsal = sc_show_new_rehearsal(show, &local);
  if (rehearsal == NULL || !apply_restoring(s, rehearsal, &local) ||
      !apply_restoring(s, show, &local)) {
    g_set_error(error, SC_SHOW_STATE_ERROR, SC_SHOW_STATE_ERROR_MISMATCH,
                "the saved state does not fit the run of show %s: %s", path, local->message);
    return FALSE;
  }
  return TRUE;
}
