#include "firmware/metrics.h"

#include <math.h>
#include <stdarg.h>

struct _ScMetrics {
  GString *text;
};

ScMetrics *
sc_metrics_new(void)
{
  ScMetrics *self = g_new0(ScMetrics, 1);
  self->text = g_string_new(NULL);
  return self;
}

void
sc_metrics_free(ScMetrics *self)
{
  if (self == NULL)
    return;
  if (self->text)
    g_string_free(self->text, TRUE);
  g_free(self);
}

void
sc_metrics_family(ScMetrics *self, const char *name, const char *type, const char *help)
{
  g_string_append_printf(self->text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
append_label_value(GString *out, const char *value)
{
  for (const char *p = value ? value : ""; *p; p++) {
    if (*p == '\\' || *p == '"')
      g_string_append_c(out, '\\'), g_string_append_c(out, *p);
    else if (*p == '\n')
      g_string_append(out, "\\n");
    else
      g_string_append_c(out, *p);
  }
}

static void
append_number(GString *out, double value)
{
  if (isnan(value))
    g_string_append(out, "NaN");
  else if (isinf(value))
    g_string_append(out, value > 0 ? "+Inf" : "-Inf");
  else if (value == floor(value) && fabs(value) < 1e15)
    g_string_append_printf(out, "%.0f", value);
  else {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.6g", value));
  }
}

void
sc_metrics_value(ScMetrics *self, const char *name, double value, ...)
{
  va_list args;
  va_start(args, value);
  gboolean labelled = FALSE;
  g_string_append(self->text, name);
  const char *key = va_arg(args, const char *);
  for (gboolean first = TRUE; key; key = va_arg(args, const char *), first = FALSE) {
    const char *v = va_arg(args, const char *);
    g_string_append_printf(self->text, "%s%s=\"", first ? "{" : ",", key);
    append_label_value(self->text, v);
    g_string_append_c(self->text, '"');
    labelled = TRUE;
  }
  va_end(args);
  if (labelled)
    g_string_append_c(self->text, '}');
  g_string_append_c(self->text, ' ');
  append_number(self->text, value);
  g_string_append_c(self->text, '\n');
}

void
sc_metrics_single(ScMetrics *self, const char *name, const char *type, const char *help,
                  double value)
{
  sc_metrics_family(self, name, type, help);
  sc_metrics_value(self, name, value, NULL);
}

char *
sc_metrics_finish(ScMetrics *self)
{
  char *text = g_string_free(g_steal_pointer(&self->text), FALSE);
  sc_metrics_free(self);
  return text;
}
