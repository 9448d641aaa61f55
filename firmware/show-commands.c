#include "firmware/show-commands.h"

#include "firmware/json.h"

#include <gio/gio.h>

const char *const sc_show_command_usage =
    "show status | next | previous | goto ID-OR-POSITION | move ID POSITION | "
    "flash start|stop|reset | coupon on|off | stock N|on|off | price PRICE | "
    "lower NAME [ROLE] | lower off | opening on|off | closing on|off | reload";

static gboolean
usage(GError **error)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: %s", sc_show_command_usage);
  return FALSE;
}

/* "on" / "off" */
static gboolean
parse_switch(const char *word, gboolean *on)
{
  *on = g_str_equal(word, "on");
  return *on || g_str_equal(word, "off");
}

static gboolean
run(ScShow *show, const char *const *w, guint n, GError **error)
{
  const char *cmd = w[0];
  gboolean on = FALSE;
  guint64 number = 0;
  if (g_str_equal(cmd, "next") && n == 1)
    return sc_show_next_product(show, error);
  if (g_str_equal(cmd, "previous") && n == 1)
    return sc_show_previous_product(show, error);
  if (g_str_equal(cmd, "goto") && n == 2)
    return sc_show_goto_product(show, w[1], error);
  if (g_str_equal(cmd, "move") && n == 3) {
    if (!g_ascii_string_to_unsigned(w[2], 10, 1, G_MAXUINT, &number, NULL)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "move: '%s' is not a position (1, 2, ...)", w[2]);
      return FALSE;
    }
    return sc_show_move_product(show, w[1], (guint)number, error);
  }
  if (g_str_equal(cmd, "flash") && n == 2) {
    if (g_str_equal(w[1], "start"))
      return sc_show_flash_start(show, error);
    if (g_str_equal(w[1], "stop"))
      return sc_show_flash_stop(show, error);
    if (g_str_equal(w[1], "reset"))
      return sc_show_flash_reset(show, error);
    return usage(error);
  }
  if (g_str_equal(cmd, "coupon") && n == 2 && parse_switch(w[1], &on))
    return sc_show_coupon(show, on, error);
  if (g_str_equal(cmd, "stock") && n == 2) {
    if (parse_switch(w[1], &on))
      return sc_show_stock_visible(show, on, error);
    if (!g_ascii_string_to_unsigned(w[1], 10, 0, G_MAXINT, &number, NULL)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "stock: '%s' is not a count of items (0, 1, 2, ...) nor on/off", w[1]);
      return FALSE;
    }
    return sc_show_set_stock(show, (gint)number, error);
  }
  if (g_str_equal(cmd, "price") && n == 2)
    return sc_show_correct_price(show, w[1], error);
  if (g_str_equal(cmd, "lower") && n == 2 && g_str_equal(w[1], "off"))
    return sc_show_hide_lower_third(show, error);
  if (g_str_equal(cmd, "lower") && (n == 2 || n == 3))
    return sc_show_lower_third(show, w[1], n == 3 ? w[2] : NULL, error);
  if (g_str_equal(cmd, "opening") && n == 2 && parse_switch(w[1], &on))
    return sc_show_opening(show, on, error);
  if (g_str_equal(cmd, "closing") && n == 2 && parse_switch(w[1], &on))
    return sc_show_closing(show, on, error);
  if (g_str_equal(cmd, "reload") && n == 1)
    return sc_show_reload(show, error);
  return usage(error);
}

char *
sc_show_command(ScShow *show, const char *const *argv, GError **error)
{
  guint n = g_strv_length((char **)argv);
  if (n == 0) {
    usage(error);
    return NULL;
  }
  if (g_str_equal(argv[0], "status") && n == 1)
    return sc_show_status_json(show);
  if (!run(show, argv, n, error))
    return NULL;
  return sc_show_status_json(show);
}

/* The countdown's end (wall clock, ms since the epoch) and what is left. */
static void
append_flash(GString *out, const ScOnAir *air)
{
  if (!air->flash_sale) {
    g_string_append(out, ",\"flash_end_ms\":null,\"flash_left_s\":null");
    return;
  }
  gint64 left_us = MAX(air->flash_end_us - g_get_real_time(), 0);
  g_string_append_printf(
      out, ",\"flash_end_ms\":%" G_GINT64_FORMAT ",\"flash_left_s\":%" G_GINT64_FORMAT,
      air->flash_end_us / 1000, (left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* The run of show: every product in running order, and the next one. */
static void
append_products(GString *out, const ScShowFile *file, const ScProduct *current)
{
  const char *next = NULL;
  g_string_append(out, ",\"products\":[");
  for (guint i = 0; i < file->products->len; i++) {
    const ScProduct *p = g_ptr_array_index(file->products, i);
    g_autofree char *price = sc_money_format(p->price);
    if (current && p == current && i + 1 < file->products->len)
      next = ((const ScProduct *)g_ptr_array_index(file->products, i + 1))->id;
    if (current == NULL && i == 0)
      next = p->id; /* before the first product: the first is next */
    g_string_append_printf(out, "%s{\"id\":", i ? "," : "");
    sc_json_append_string(out, p->id);
    g_string_append(out, ",\"name\":");
    sc_json_append_string(out, p->name);
    g_string_append(out, ",\"price\":");
    sc_json_append_string(out, price);
    g_string_append_printf(out, ",\"stock\":%d,\"flash_sale_s\":%u,\"on_air\":%s}", p->stock,
                           p->flash_sale_s, p == current ? "true" : "false");
  }
  g_string_append(out, "],\"next\":");
  if (next)
    sc_json_append_string(out, next);
  else
    g_string_append(out, "null");
}

char *
sc_show_status_json(ScShow *show)
{
  const ScOnAir *air = sc_show_get_on_air(show);
  const ScShowFile *file = sc_show_get_file(show);
  GString *out = g_string_new("{\"show\":");
  sc_json_append_string(out, file->title);
  g_string_append(out, ",\"product\":");
  if (air->product) {
    sc_json_append_string(out, air->product->id);
    g_autofree char *price = sc_money_format(air->product->price);
    g_string_append(out, ",\"price\":");
    sc_json_append_string(out, price);
  } else {
    g_string_append(out, "null");
  }
  gboolean over = FALSE;
  guint seconds = sc_show_get_explain_seconds(show, &over);
  g_string_append_printf(
      out,
      ",\"coupon\":%s,\"stock\":%s,\"flash_sale\":%s,\"opening\":%s,"
      "\"closing\":%s,\"explain_s\":%u,\"explain_over_limit\":%s,\"lower_third\":",
      air->coupon ? "true" : "false", air->stock ? "true" : "false",
      air->flash_sale ? "true" : "false", air->opening ? "true" : "false",
      air->closing ? "true" : "false", seconds, over ? "true" : "false");
  if (air->lower_third_name)
    sc_json_append_string(out, air->lower_third_name);
  else
    g_string_append(out, "null");
  append_flash(out, air);
  append_products(out, file, air->product);
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}
