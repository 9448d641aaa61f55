#define G_LOG_DOMAIN "shopcast-show"

#include "overlays/show.h"

#include "firmware/json.h"

#include <string.h>

/* ---- the show on air ---- */

struct _ScShow {
  ScShowFile *file;
  GPtrArray *order; /* ScProduct* from file->products: the running order, reorderable live */
  int current;      /* index in order of the product on air, -1: none */
  ScOnAir on_air;
  char *lower_name, *lower_role;
  GHashTable *flash_ends; /* product id -> gint64* end instant: fixed once started */
  gint64 last_change_us;  /* monotonic; 0: none yet */
  gboolean restoring;     /* no minimum interval while the state is restored */
  gint64 explain_since_us;
  ScShowChangeFunc func;
  gpointer user_data;
  gint64 (*monotonic)(void);
  gint64 (*realtime)(void);
};

ScShow *
sc_show_new(ScShowFile *file, ScShowChangeFunc func, gpointer user_data)
{
  ScShow *show = g_new0(ScShow, 1);
  show->file = file;
  show->order = g_ptr_array_new();
  for (guint i = 0; i < file->products->len; i++)
    g_ptr_array_add(show->order, g_ptr_array_index(file->products, i));
  show->current = -1;
  show->flash_ends = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  show->func = func;
  show->user_data = user_data;
  show->monotonic = g_get_monotonic_time;
  show->realtime = g_get_real_time;
  return show;
}

void
sc_show_free(ScShow *show)
{
  if (show == NULL)
    return;
  g_ptr_array_unref(show->order);
  sc_show_file_free(show->file);
  g_hash_table_unref(show->flash_ends);
  g_free(show->lower_name);
  g_free(show->lower_role);
  g_free(show);
}

void
sc_show_set_clock(ScShow *show, gint64 (*monotonic)(void), gint64 (*realtime)(void))
{
  show->monotonic = monotonic;
  show->realtime = realtime;
}

const ScShowFile *
sc_show_get_file(ScShow *show)
{
  return show->file;
}

const ScOnAir *
sc_show_get_on_air(ScShow *show)
{
  return &show->on_air;
}

static ScProduct *
on_air_product(ScShow *show)
{
  return show->current >= 0 ? g_ptr_array_index(show->order, show->current) : NULL;
}

static gboolean refuse(GError **error, ScShowError code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean
refuse(GError **error, ScShowError code, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, SC_SHOW_ERROR, code, message);
  return FALSE;
}

/* Changes on air come at most every min-interval-ms: viewers are not flooded. */
static gboolean
check_rate(ScShow *show, GError **error)
{
  if (show->restoring)
    return TRUE;
  gint64 now = show->monotonic();
  gint64 min_us = (gint64)show->file->min_interval_ms * 1000;
  if (show->last_change_us && now - show->last_change_us < min_us)
    return refuse(
        error, SC_SHOW_ERROR_TOO_FAST,
        "too fast: graphics change at most every %u ms; try again in %" G_GINT64_FORMAT " ms",
        show->file->min_interval_ms, (min_us - (now - show->last_change_us) + 999) / 1000);
  return TRUE;
}

static gboolean
need_product(ScShow *show, GError **error)
{
  return on_air_product(show) != NULL ||
         refuse(error, SC_SHOW_ERROR_STATE, "no product is on air: go to a product first");
}

/* Reports a change made on air: "what" and a JSON object of the details,
 * built from key/value pairs (NULL-terminated; values are strings). */
static void changed(ScShow *show, const char *what, ...) G_GNUC_NULL_TERMINATED;

static void
changed(ScShow *show, const char *what, ...)
{
  show->last_change_us = show->monotonic();
  g_autoptr(GString) detail = g_string_new("{");
  va_list args;
  va_start(args, what);
  for (const char *key = va_arg(args, const char *); key; key = va_arg(args, const char *)) {
    const char *value = va_arg(args, const char *);
    if (detail->len > 1)
      g_string_append_c(detail, ',');
    sc_json_append_string(detail, key);
    g_string_append_c(detail, ':');
    sc_json_append_string(detail, value);
  }
  va_end(args);
  g_string_append_c(detail, '}');
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "ACTION", what, "DETAIL", detail->str, "MESSAGE",
                   "on air: %s %s", what, detail->str);
  if (show->func)
    show->func(show, what, detail->str, show->user_data);
}

static gboolean
put_on_air(ScShow *show, int index, GError **error)
{
  if (!check_rate(show, error))
    return FALSE;
  show->current = index;
  const ScProduct *p = on_air_product(show);
  show->on_air = (ScOnAir){.product = p,
                           .lower_third_name = show->lower_name,
                           .lower_third_role = show->lower_role,
                           .opening = FALSE,
                           .closing = FALSE};
  show->explain_since_us = show->monotonic();
  g_autofree char *price = sc_money_format(p->price);
  g_autofree char *original = p->original_price ? sc_money_format(p->original_price) : NULL;
  g_autofree char *position = g_strdup_printf("%d", index + 1);
  changed(show, "product", "id", p->id, "name", p->name, "price", price, "position", position,
          original ? "original_price" : NULL, original, NULL);
  return TRUE;
}

gboolean
sc_show_next_product(ScShow *show, GError **error)
{
  if (show->current + 1 >= (int)show->order->len)
    return refuse(error, SC_SHOW_ERROR_STATE, "already at the last product (%u of %u)",
                  show->order->len, show->order->len);
  return put_on_air(show, show->current + 1, error);
}

gboolean
sc_show_previous_product(ScShow *show, GError **error)
{
  if (show->current <= 0)
    return refuse(error, SC_SHOW_ERROR_STATE, "already at the first product");
  return put_on_air(show, show->current - 1, error);
}

static int
find_in_order(ScShow *show, const char *id)
{
  for (guint i = 0; i < show->order->len; i++)
    if (g_str_equal(((ScProduct *)g_ptr_array_index(show->order, i))->id, id))
      return (int)i;
  return -1;
}

static gboolean
unknown_product(ScShow *show, const char *which, GError **error)
{
  g_autoptr(GString) ids = g_string_new(NULL);
  for (guint i = 0; i < show->order->len; i++)
    g_string_append_printf(ids, "%s%s", i ? ", " : "",
                           ((ScProduct *)g_ptr_array_index(show->order, i))->id);
  return refuse(error, SC_SHOW_ERROR_ARGUMENT,
                "no product '%s' in the show: give an id (%s) or a position 1..%u", which, ids->str,
                show->order->len);
}

gboolean
sc_show_goto_product(ScShow *show, const char *which, GError **error)
{
  guint64 position = 0;
  int index = g_ascii_string_to_unsigned(which, 10, 1, show->order->len, &position, NULL)
                  ? (int)position - 1
                  : find_in_order(show, which);
  if (index < 0)
    return unknown_product(show, which, error);
  return put_on_air(show, index, error);
}

gboolean
sc_show_move_product(ScShow *show, const char *id, guint position, GError **error)
{
  int from = find_in_order(show, id);
  if (from < 0)
    return unknown_product(show, id, error);
  if (position < 1 || position > show->order->len)
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "position %u: the show has products 1..%u",
                  position, show->order->len);
  ScProduct *on_air = on_air_product(show);
  ScProduct *moved = g_ptr_array_steal_index(show->order, (guint)from);
  g_ptr_array_insert(show->order, (gint)position - 1, moved);
  if (on_air)
    show->current = find_in_order(show, on_air->id);
  g_autofree char *to = g_strdup_printf("%u", position);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "PRODUCT", id, "MESSAGE",
                   "running order: %s moved to position %s", id, to);
  return TRUE;
}

static char *
format_instant(gint64 realtime_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(realtime_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = utc ? g_date_time_to_local(utc) : NULL;
  return local ? g_date_time_format(local, "%H:%M:%S") : g_strdup("?");
}

static char *
format_iso(gint64 realtime_us)
{
  g_autoptr(GDateTime) whole = g_date_time_new_from_unix_utc(realtime_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) t = whole ? g_date_time_add(whole, realtime_us % G_USEC_PER_SEC) : NULL;
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("");
}

gboolean
sc_show_flash_start(ScShow *show, GError **error)
{
  if (!need_product(show, error))
    return FALSE;
  const ScProduct *p = on_air_product(show);
  if (p->flash_sale_s == 0)
    return refuse(error, SC_SHOW_ERROR_STATE,
                  "product %s has no flash sale (flash-sale = SECONDS in its show block)", p->id);
  const gint64 *fixed = g_hash_table_lookup(show->flash_ends, p->id);
  if (fixed) {
    g_autofree char *end = format_instant(*fixed);
    if (show->on_air.flash_sale)
      return refuse(error, SC_SHOW_ERROR_STATE, "the flash sale of %s is running; it ends at %s",
                    p->id, end);
    return refuse(error, SC_SHOW_ERROR_RULE,
                  "the flash sale of %s was started already (end %s); a countdown cannot start "
                  "again for the same offer unless it is reset first (flash-reset, which is "
                  "logged)",
                  p->id, end);
  }
  if (!check_rate(show, error))
    return FALSE;
  gint64 end = show->realtime() + (gint64)p->flash_sale_s * G_USEC_PER_SEC;
  g_hash_table_insert(show->flash_ends, g_strdup(p->id), g_memdup2(&end, sizeof end));
  show->on_air.flash_sale = TRUE;
  show->on_air.flash_end_us = end;
  g_autofree char *iso = format_iso(end);
  changed(show, "flash-start", "id", p->id, "ends", iso, NULL);
  return TRUE;
}

gboolean
sc_show_flash_stop(ScShow *show, GError **error)
{
  if (!show->on_air.flash_sale)
    return refuse(error, SC_SHOW_ERROR_STATE, "no flash sale countdown is on air");
  if (!check_rate(show, error))
    return FALSE;
  show->on_air.flash_sale = FALSE;
  changed(show, "flash-stop", "id", on_air_product(show)->id, NULL);
  return TRUE;
}

gboolean
sc_show_flash_reset(ScShow *show, GError **error)
{
  if (!need_product(show, error))
    return FALSE;
  const ScProduct *p = on_air_product(show);
  const gint64 *fixed = g_hash_table_lookup(show->flash_ends, p->id);
  if (fixed == NULL)
    return refuse(error, SC_SHOW_ERROR_STATE,
                  "the flash sale of %s has not started: nothing to reset", p->id);
  if (!check_rate(show, error))
    return FALSE;
  g_autofree char *was = format_iso(*fixed);
  g_hash_table_remove(show->flash_ends, p->id);
  show->on_air.flash_sale = FALSE;
  g_warning("flash sale of %s reset by the operator (its end was %s)", p->id, was);
  changed(show, "flash-reset", "id", p->id, "previous_end", was, NULL);
  return TRUE;
}

gboolean
sc_show_coupon(ScShow *show, gboolean visible, GError **error)
{
  if (!need_product(show, error))
    return FALSE;
  const ScProduct *p = on_air_product(show);
  if (visible && !p->coupon_value && !p->coupon_percent)
    return refuse(error, SC_SHOW_ERROR_STATE, "product %s has no coupon in the show file", p->id);
  if (!check_rate(show, error))
    return FALSE;
  show->on_air.coupon = visible;
  changed(show, visible ? "coupon-show" : "coupon-hide", "id", p->id, NULL);
  return TRUE;
}

gboolean
sc_show_set_stock(ScShow *show, gint stock, GError **error)
{
  if (stock < 0 || stock > SC_SHOW_MAX_QUANTITY)
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "stock %d: give 0..%d", stock,
                  SC_SHOW_MAX_QUANTITY);
  if (!need_product(show, error) || !check_rate(show, error))
    return FALSE;
  ScProduct *p = on_air_product(show);
  p->stock = stock; /* only ever what the studio set: nothing counts it down */
  show->on_air.stock = TRUE;
  g_autofree char *text = g_strdup_printf("%d", stock);
  changed(show, "stock", "id", p->id, "stock", text, NULL);
  return TRUE;
}

gboolean
sc_show_stock_visible(ScShow *show, gboolean visible, GError **error)
{
  if (!need_product(show, error))
    return FALSE;
  ScProduct *p = on_air_product(show);
  if (visible && p->stock < 0)
    return refuse(error, SC_SHOW_ERROR_STATE, "the stock of %s is not set: set it first", p->id);
  if (!check_rate(show, error))
    return FALSE;
  show->on_air.stock = visible;
  changed(show, visible ? "stock-show" : "stock-hide", "id", p->id, NULL);
  return TRUE;
}

gboolean
sc_show_correct_price(ScShow *show, const char *text, GError **error)
{
  ScFen price = 0;
  g_autoptr(GError) local = NULL;
  if (!sc_money_parse(text, &price, &local))
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "price correction: %s", local->message);
  if (price <= 0)
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "price correction: the price must be above 0");
  if (!need_product(show, error))
    return FALSE;
  ScProduct *p = on_air_product(show);
  if (p->original_price && price >= p->original_price) {
    g_autofree char *o = sc_money_format(p->original_price), *n = sc_money_format(price);
    return refuse(error, SC_SHOW_ERROR_RULE,
                  "price correction: ¥%s is not below the struck-through original price ¥%s", n, o);
  }
  if (!check_rate(show, error))
    return FALSE;
  g_autofree char *was = sc_money_format(p->price), *now = sc_money_format(price);
  p->price = price;
  show->on_air.corrected_price = price;
  changed(show, "price-correction", "id", p->id, "price", now, "was", was, NULL);
  return TRUE;
}

static gboolean
check_person(const char *what, const char *text, gboolean required, GError **error)
{
  if (text == NULL || *text == '\0')
    return !required || refuse(error, SC_SHOW_ERROR_ARGUMENT, "%s: empty", what);
  if (!g_utf8_validate(text, -1, NULL))
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "%s: not valid UTF-8 text", what);
  if (g_utf8_strlen(text, -1) > SC_SHOW_MAX_NAME_CHARS)
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "%s: longer than %d characters", what,
                  SC_SHOW_MAX_NAME_CHARS);
  return TRUE;
}

gboolean
sc_show_lower_third(ScShow *show, const char *name, const char *role, GError **error)
{
  if (!check_person("lower third name", name, TRUE, error) ||
      !check_person("lower third role", role, FALSE, error) || !check_rate(show, error))
    return FALSE;
  g_free(show->lower_name);
  g_free(show->lower_role);
  show->lower_name = g_strdup(name);
  show->lower_role = role && *role ? g_strdup(role) : NULL;
  show->on_air.lower_third_name = show->lower_name;
  show->on_air.lower_third_role = show->lower_role;
  changed(show, "lower-third", "name", name, show->lower_role ? "role" : NULL, show->lower_role,
          NULL);
  return TRUE;
}

gboolean
sc_show_hide_lower_third(ScShow *show, GError **error)
{
  if (show->lower_name == NULL)
    return refuse(error, SC_SHOW_ERROR_STATE, "no lower third is on air");
  if (!check_rate(show, error))
    return FALSE;
  g_clear_pointer(&show->lower_name, g_free);
  g_clear_pointer(&show->lower_role, g_free);
  show->on_air.lower_third_name = show->on_air.lower_third_role = NULL;
  changed(show, "lower-third-hide", NULL);
  return TRUE;
}

static gboolean
full_card(ScShow *show, gboolean *flag, const char *what, gboolean visible, GError **error)
{
  if (!check_rate(show, error))
    return FALSE;
  *flag = visible;
  g_autofree char *action = g_strdup_printf("%s-%s", what, visible ? "show" : "hide");
  changed(show, action, "title", show->file->title, NULL);
  return TRUE;
}

gboolean
sc_show_opening(ScShow *show, gboolean visible, GError **error)
{
  return full_card(show, &show->on_air.opening, "opening", visible, error);
}

gboolean
sc_show_closing(ScShow *show, gboolean visible, GError **error)
{
  return full_card(show, &show->on_air.closing, "closing", visible, error);
}

guint
sc_show_get_explain_seconds(ScShow *show, gboolean *over_limit)
{
  guint seconds = show->current < 0
                      ? 0
                      : (guint)((show->monotonic() - show->explain_since_us) / G_USEC_PER_SEC);
  if (over_limit)
    *over_limit = show->current >= 0 && seconds >= show->file->explain_limit_s;
  return seconds;
}

gboolean
sc_show_reload(ScShow *show, GError **error)
{
  ScShowFile *fresh = sc_show_file_load(show->file->path, error);
  if (fresh == NULL)
    return FALSE;
  ScProduct *on_air = on_air_product(show);
  g_autofree char *on_air_id = on_air ? g_strdup(on_air->id) : NULL;
  g_ptr_array_set_size(show->order, 0);
  for (guint i = 0; i < fresh->products->len; i++)
    g_ptr_array_add(show->order, g_ptr_array_index(fresh->products, i));
  sc_show_file_free(show->file);
  show->file = fresh;
  show->current = on_air_id ? find_in_order(show, on_air_id) : -1;
  show->on_air.product = on_air_product(show);
  if (show->on_air.product == NULL) /* it left the show: nothing of it stays on air */
    show->on_air =
        (ScOnAir){.lower_third_name = show->lower_name, .lower_third_role = show->lower_role};
  g_autofree char *count = g_strdup_printf("%u", fresh->products->len);
  changed(show, "show-reloaded", "products", count,
          on_air_id && show->current >= 0 ? "on_air" : NULL, on_air_id, NULL);
  return TRUE;
}

/* ---- resuming after an unclean stop ---- */

void
sc_show_set_restoring(ScShow *show, gboolean restoring)
{
  show->restoring = restoring;
}

ScShow *
sc_show_new_rehearsal(ScShow *show, GError **error)
{
  ScShowFile *file = sc_show_file_load(show->file->path, error);
  if (file == NULL)
    return NULL;
  ScShow *copy = sc_show_new(file, NULL, NULL);
  sc_show_set_clock(copy, show->monotonic, show->realtime);
  return copy;
}

gboolean
sc_show_get_flash_end(ScShow *show, const char *id, gint64 *end_us)
{
  const gint64 *fixed = g_hash_table_lookup(show->flash_ends, id);
  if (fixed)
    *end_us = *fixed;
  return fixed != NULL;
}

/* Slack for the end of a restored flash sale against its length: clocks. */
#define RESTORE_SLACK_US G_USEC_PER_SEC

gboolean
sc_show_restore_flash(ScShow *show, const char *id, gint64 end_us, gboolean on_air, GError **error)
{
  int index = find_in_order(show, id);
  if (index < 0)
    return unknown_product(show, id, error);
  const ScProduct *p = g_ptr_array_index(show->order, index);
  if (p->flash_sale_s == 0)
    return refuse(error, SC_SHOW_ERROR_ARGUMENT, "product %s has no flash sale in the show file",
                  id);
  if (g_hash_table_contains(show->flash_ends, id))
    return refuse(error, SC_SHOW_ERROR_STATE, "the flash sale of %s has an end already", id);
  gint64 now = show->realtime();
  if (end_us <= 0 || end_us - now > (gint64)p->flash_sale_s * G_USEC_PER_SEC + RESTORE_SLACK_US)
    return refuse(error, SC_SHOW_ERROR_RULE,
                  "the flash sale of %s cannot end further away than its %u s", id,
                  p->flash_sale_s);
  g_hash_table_insert(show->flash_ends, g_strdup(id), g_memdup2(&end_us, sizeof end_us));
  gboolean running = end_us > now;
  gboolean shown = on_air && running && index == show->current;
  if (shown) {
    show->on_air.flash_sale = TRUE;
    show->on_air.flash_end_us = end_us;
  }
  g_autofree char *iso = format_iso(end_us);
  changed(show, "flash-restore", "id", id, "ends", iso, "countdown",
          shown     ? "on air"
          : running ? "off air"
                    : "over",
          NULL);
  return TRUE;
}
