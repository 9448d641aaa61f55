#include "firmware/json.h"

void
sc_json_append_string(GString *out, const char *text)
{
  g_string_append_c(out, '"');
  for (const guchar *p = (const guchar *)(text ? text : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf(out, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      g_string_append_printf(out, "\\u%04x", *p);
    else
      g_string_append_c(out, (char)*p);
  }
  g_string_append_c(out, '"');
}
