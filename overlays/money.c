#include "overlays/money.h"

#include <string.h>

static gboolean
invalid(GError **error, const char *text, const char *why)
{
  g_set_error(error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
              "'%s' is not a price: %s (write it like 199 or 199.90)", text, why);
  return FALSE;
}

gboolean
sc_money_parse(const char *text, ScFen *fen, GError **error)
{
  const char *p = text;
  if (g_str_has_prefix(p, "¥"))
    p += strlen("¥");
  else if (g_str_has_prefix(p, "￥"))
    p += strlen("￥");
  if (*p == '-')
    return invalid(error, text, "it is negative");
  if (!g_ascii_isdigit(*p))
    return invalid(error, text, "it does not start with a digit");
  ScFen yuan = 0;
  for (; g_ascii_isdigit(*p); p++) {
    yuan = yuan * 10 + (*p - '0');
    if (yuan * 100 > SC_MONEY_MAX)
      return invalid(error, text, "it is more than 999999.99");
  }
  ScFen cents = 0;
  if (*p == '.') {
    p++;
    int digits = 0;
    for (; g_ascii_isdigit(*p); p++, digits++) {
      if (digits == 2)
        return invalid(error, text, "it has more than two decimals");
      cents = cents * 10 + (*p - '0');
    }
    if (digits == 0)
      return invalid(error, text, "nothing after the decimal point");
    if (digits == 1)
      cents *= 10;
  }
  if (*p != '\0')
    return invalid(error, text, "it holds something other than digits and one decimal point");
  *fen = yuan * 100 + cents;
  if (*fen > SC_MONEY_MAX)
    return invalid(error, text, "it is more than 999999.99");
  return TRUE;
}

char *
sc_money_format(ScFen fen)
{
  if (fen % 100 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT, fen / 100);
  return g_strdup_printf("%" G_GINT64_FORMAT ".%02" G_GINT64_FORMAT, fen / 100, fen % 100);
}
