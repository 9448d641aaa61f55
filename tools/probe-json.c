/* probe-json.c - the JSON writer of shopcast-probe. */
#include "tools/probe-json.h"

#include <math.h>
#include <string.h>

typedef struct {
  gboolean multiline;
  guint members;
  char close;
} Level;

struct _ScProbeJson {
  GString *out;
  Level levels[SC_PROBE_JSON_MAX_DEPTH];
  guint depth;
};

ScProbeJson *
sc_probe_json_new(void)
{
  ScProbeJson *json = g_new0(ScProbeJson, 1);
  json->out = g_string_new(NULL);
  return json;
}

void
sc_probe_json_free(ScProbeJson *json)
{
  if (json == NULL)
    return;
  g_string_free(json->out, TRUE);
  g_free(json);
}

static void
append_escaped(GString *out, const char *text)
{
  /* JSON is UTF-8: a stray byte (a file name in another encoding) becomes U+FFFD */
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  g_string_append_c(out, '"');
  for (const guchar *p = (const guchar *)valid; *p; p++) {
    const char *named = *p == '"'    ? "\\\""
                        : *p == '\\' ? "\\\\"
                        : *p == '\n' ? "\\n"
                        : *p == '\r' ? "\\r"
                        : *p == '\t' ? "\\t"
                                     : NULL;
    if (named)
      g_string_append(out, named);
    else if (*p < 0x20)
      g_string_append_printf(out, "\\u%04x", *p);
    else
      g_string_append_c(out, (char)*p);
  }
  g_string_append_c(out, '"');
}

static void
indent(ScProbeJson *json)
{
  g_string_append_c(json->out, '\n');
  for (guint i = 0; i < json->depth; i++)
    g_string_append(json->out, "  ");
}

/* The separator and the key that come before every value. */
static void
begin_value(ScProbeJson *json, const char *key)
{
  if (json->depth > 0) {
    Level *level = &json->levels[json->depth - 1];
    if (level->members++ > 0)
      g_string_append(json->out, level->multiline ? "," : ", ");
    if (level->multiline)
      indent(json);
  }
  if (key) {
    append_escaped(json->out, key);
    g_string_append(json->out, ": ");
  }
}

static void
begin_container(ScProbeJson *json, const char *key, gboolean multiline, char open, char close)
{
  g_assert(json->depth < SC_PROBE_JSON_MAX_DEPTH);
  begin_value(json, key);
  g_string_append_c(json->out, open);
  json->levels[json->depth++] = (Level){.multiline = multiline, .close = close};
}

static void
end_container(ScProbeJson *json, char close)
{
  g_assert(json->depth > 0 && json->levels[json->depth - 1].close == close);
  Level *level = &json->levels[--json->depth];
  if (level->multiline && level->members > 0)
    indent(json);
  g_string_append_c(json->out, close);
}

void
sc_probe_json_begin_object(ScProbeJson *json, const char *key, gboolean multiline)
{
  begin_container(json, key, multiline, '{', '}');
}

void
sc_probe_json_end_object(ScProbeJson *json)
{
  end_container(json, '}');
}

void
sc_probe_json_begin_array(ScProbeJson *json, const char *key, gboolean multiline)
{
  begin_container(json, key, multiline, '[', ']');
}

void
sc_probe_json_end_array(ScProbeJson *json)
{
  end_container(json, ']');
}

void
sc_probe_json_string(ScProbeJson *json, const char *key, const char *value)
{
  begin_value(json, key);
  if (value)
    append_escaped(json->out, value);
  else
    g_string_append(json->out, "null");
}

char *
sc_probe_json_format_number(double value, int decimals)
{
  if (!isfinite(value))
    return g_strdup("none");
  char format[] = "%.0f";
  format[2] = (char)('0' + CLAMP(decimals, 0, 9));
  char text[64];
  g_ascii_formatd(text, sizeof text, format, value);
  if (strchr(text, '.')) {
    char *end = text + strlen(text);
    while (end[-1] == '0')
      *--end = '\0';
    if (end[-1] == '.')
      end[-1] = '\0';
  }
  /* a tiny negative value rounds to "-0", which reads as a sign where there is none */
  return g_strdup(strcmp(text, "-0") == 0 ? "0" : text);
}

void
sc_probe_json_number(ScProbeJson *json, const char *key, double value, int decimals)
{
  begin_value(json, key);
  if (!isfinite(value)) {
    g_string_append(json->out, "null");
    return;
  }
  g_autofree char *text = sc_probe_json_format_number(value, decimals);
  g_string_append(json->out, text);
}

void
sc_probe_json_bool(ScProbeJson *json, const char *key, gboolean value)
{
  begin_value(json, key);
  g_string_append(json->out, value ? "true" : "false");
}

void
sc_probe_json_null(ScProbeJson *json, const char *key)
{
  begin_value(json, key);
  g_string_append(json->out, "null");
}

char *
sc_probe_json_steal(ScProbeJson *json)
{
  g_assert(json->depth == 0);
  g_string_append_c(json->out, '\n');
  char *text = g_string_free(json->out, FALSE);
  json->out = g_string_new(NULL);
  return text;
}
