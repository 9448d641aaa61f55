#include "firmware/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ScLogLevel max_level = SC_LOG_INFO;

static ScLogLevel
level_from_flags(GLogLevelFlags flags)
{
  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return SC_LOG_ERROR;
  if (flags & G_LOG_LEVEL_WARNING)
    return SC_LOG_WARNING;
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return SC_LOG_INFO;
  return SC_LOG_DEBUG;
}

static const char *
level_name(GLogLevelFlags flags)
{
  if (flags & G_LOG_LEVEL_ERROR)
    return "fatal";
  if (flags & G_LOG_LEVEL_CRITICAL)
    return "critical";
  static const char *const names[] = {"error", "warning", "info", "debug"};
  return names[level_from_flags(flags)];
}

/* Fields GLib adds for its own bookkeeping, not worth a column. */
static gboolean
is_internal_field(const char *key)
{
  static const char *const internal[] = {"PRIORITY",  "GLIB_OLD_LOG_API", "CODE_FILE",
                                         "CODE_LINE", "CODE_FUNC",        "SYSLOG_IDENTIFIER",
                                         "MESSAGE",   "GLIB_DOMAIN"};
  for (gsize i = 0; i < G_N_ELEMENTS(internal); i++)
    if (strcmp(key, internal[i]) == 0)
      return TRUE;
  return FALSE;
}

/* logfmt value: bare when it is a simple token, otherwise double-quoted with
 * quotes, backslashes and control characters escaped. */
static void
append_value(GString *out, const char *value, gssize len)
{
  if (len < 0)
    len = strlen(value);
  gboolean bare = len > 0;
  for (gssize i = 0; i < len && bare; i++)
    bare = (guchar)value[i] > ' ' && value[i] != '"' && value[i] != '=' && value[i] != '\\';
  if (bare) {
    g_string_append_len(out, value, len);
    return;
  }
  g_string_append_c(out, '"');
  for (gssize i = 0; i < len; i++) {
    guchar c = value[i];
    if (c == '"' || c == '\\')
      g_string_append_printf(out, "\\%c", c);
    else if (c == '\n')
      g_string_append(out, "\\n");
    else if (c < ' ')
      g_string_append_printf(out, "\\x%02x", c);
    else
      g_string_append_c(out, c);
  }
  g_string_append_c(out, '"');
}

static const char *
module_of(const char *domain)
{
  if (domain == NULL)
    return "shopcastd";
  return g_str_has_prefix(domain, "shopcast-") ? domain + strlen("shopcast-") : domain;
}

char *
sc_log_format(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gint64 wall_us)
{
  const char *domain = NULL;
  const GLogField *message = NULL;
  for (gsize i = 0; i < n_fields; i++) {
    if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (strcmp(fields[i].key, "MESSAGE") == 0)
      message = &fields[i];
  }
  g_autoptr(GDateTime) secs = g_date_time_new_from_unix_local(wall_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) now = g_date_time_add(secs, wall_us % G_USEC_PER_SEC);
  g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%f%:z");
  GString *out = g_string_new(NULL);
  /* %f gives microseconds; milliseconds are enough for a log */
  g_string_append_printf(out, "ts=%.23s%s level=%s module=%s msg=", ts, ts + 26, level_name(level),
                         module_of(domain));
  append_value(out, message ? message->value : "", message ? message->length : 0);
  for (gsize i = 0; i < n_fields; i++) {
    gssize len = fields[i].length < 0 ? (gssize)strlen(fields[i].value) : fields[i].length;
    if (is_internal_field(fields[i].key) || len == 0)
      continue;
    g_autofree char *key = g_ascii_strdown(fields[i].key, -1);
    g_string_append_printf(out, " %s=", key);
    append_value(out, fields[i].value, fields[i].length);
  }
  return g_string_free(out, FALSE);
}

/* The latest lines, for the technician's log download. */
#define RECENT_LINES 2000
static GMutex recent_lock;
static char *recent[RECENT_LINES];
static guint recent_next;

static void
remember(const char *line)
{
  g_mutex_lock(&recent_lock);
  g_free(recent[recent_next]);
  recent[recent_next] = g_strdup(line);
  recent_next = (recent_next + 1) % RECENT_LINES;
  g_mutex_unlock(&recent_lock);
}

char *
sc_log_recent(void)
{
  GString *out = g_string_new(NULL);
  g_mutex_lock(&recent_lock);
  for (guint i = 0; i < RECENT_LINES; i++) {
    const char *line = recent[(recent_next + i) % RECENT_LINES];
    if (line)
      g_string_append_printf(out, "%s\n", line);
  }
  g_mutex_unlock(&recent_lock);
  return g_string_free(out, FALSE);
}

static GLogWriterOutput
writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if ((int)level_from_flags(level) > g_atomic_int_get((int *)&max_level))
    return G_LOG_WRITER_HANDLED;
  g_autofree char *line = sc_log_format(level, fields, n_fields, g_get_real_time());
  remember(line);
  if (g_log_writer_is_journald(fileno(stderr)))
    return g_log_writer_journald(level, fields, n_fields, data);
  /* one write per line so lines from several threads never interleave */
  g_autofree char *with_nl = g_strconcat(line, "\n", NULL);
  return write(STDERR_FILENO, with_nl, strlen(with_nl)) < 0 ? G_LOG_WRITER_UNHANDLED
                                                            : G_LOG_WRITER_HANDLED;
}

void
sc_log_init(ScLogLevel level)
{
  sc_log_set_level(level);
  g_log_set_writer_func(writer, NULL, NULL);
}

void
sc_log_set_level(ScLogLevel level)
{
  g_atomic_int_set((int *)&max_level, level);
}

gboolean
sc_log_level_parse(const char *text, ScLogLevel *level)
{
  static const char *const names[] = {"error", "warning", "info", "debug"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    if (g_strcmp0(text, names[i]) == 0) {
      *level = (ScLogLevel)i;
      return TRUE;
    }
  }
  return FALSE;
}
