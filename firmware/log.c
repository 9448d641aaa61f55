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

/* The latest lines, for the technician's log download. They live in one ring
 * of RECENT_BYTES taken, and touched, when logging starts, so the log weighs
 * the same in the first minute of a show as in its tenth hour: each line ends
 * with '\n' (a line never holds one: values escape it), the oldest lines go
 * whole to make room, and a line longer than LINE_BYTES is cut at a character
 * with an ellipsis (stderr and the journal keep it whole). */
#define RECENT_BYTES (512 * 1024)
#define LINE_BYTES   4096
#define ELLIPSIS     "…"
static GMutex recent_lock;
static char *recent;                    /* RECENT_BYTES */
static gsize recent_start, recent_used; /* where the oldest line starts; bytes held */

/* Appends @n bytes of @s after the newest line, wrapping at the ring's end. */
static void
ring_append(const char *s, gsize n)
{
  gsize at = (recent_start + recent_used) % RECENT_BYTES, first = MIN(n, RECENT_BYTES - at);
  memcpy(recent + at, s, first);
  memcpy(recent, s + first, n - first);
  recent_used += n;
}

static void
drop_oldest_line(void)
{
  gsize len = 1;
  while (recent[(recent_start + len - 1) % RECENT_BYTES] != '\n')
    len++;
  recent_start = (recent_start + len) % RECENT_BYTES;
  recent_used -= len;
}

static void
remember(const char *line)
{
  gsize keep = strlen(line);
  gboolean cut = keep >= LINE_BYTES;
  if (cut) {
    /* up to the character at the last byte that fits, not inside it */
    const char *c = g_utf8_find_prev_char(line, line + LINE_BYTES - strlen(ELLIPSIS));
    keep = c ? (gsize)(c - line) : 0;
  }
  gsize need = keep + (cut ? strlen(ELLIPSIS) : 0) + 1;
  g_mutex_lock(&recent_lock);
  while (recent_used + need > RECENT_BYTES)
    drop_oldest_line();
  ring_append(line, keep);
  if (cut)
    ring_append(ELLIPSIS, strlen(ELLIPSIS));
  ring_append("\n", 1);
  g_mutex_unlock(&recent_lock);
}

char *
sc_log_recent(void)
{
  g_mutex_lock(&recent_lock);
  char *out = g_malloc(recent_used + 1);
  gsize first = MIN(recent_used, RECENT_BYTES - recent_start);
  if (recent_used > 0) {
    memcpy(out, recent + recent_start, first);
    memcpy(out + first, recent, recent_used - first);
  }
  out[recent_used] = '\0';
  g_mutex_unlock(&recent_lock);
  return out;
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
  g_mutex_lock(&recent_lock);
  if (recent == NULL) {
    recent = g_malloc(RECENT_BYTES);
    memset(recent, 0, RECENT_BYTES); /* every page of the ring taken now */
  }
  g_mutex_unlock(&recent_lock);
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
