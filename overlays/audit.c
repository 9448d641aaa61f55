#define G_LOG_DOMAIN "shopcast-audit"

#include "overlays/audit.h"

#include "firmware/json.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <unistd.h>

struct _ScAuditLog {
  char *path;
  int fd;
};

ScAuditLog *
sc_audit_log_open(const char *path, GError **error)
{
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot open the audit log %s: %s",
                path, g_strerror(saved));
    return NULL;
  }
  ScAuditLog *log = g_new0(ScAuditLog, 1);
  log->path = g_strdup(path);
  log->fd = fd;
  return log;
}

void
sc_audit_log_close(ScAuditLog *log)
{
  if (log == NULL)
    return;
  close(log->fd);
  g_free(log->path);
  g_free(log);
}

static char *
format_time(gint64 realtime_us)
{
  g_autoptr(GDateTime) whole = g_date_time_new_from_unix_utc(realtime_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) t = whole ? g_date_time_add(whole, realtime_us % G_USEC_PER_SEC) : NULL;
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("");
}

gboolean
sc_audit_log_append(ScAuditLog *log, const ScAuditEntry *e, GError **error)
{
  g_autofree char *ts = format_time(e->realtime_us);
  g_autoptr(GString) line = g_string_new("{\"ts\":");
  sc_json_append_string(line, ts);
  g_string_append_printf(line, ",\"stream_ms\":%" G_GUINT64_FORMAT, e->stream_ms);
  if (e->asked_stream_ms >= 0)
    g_string_append_printf(line, ",\"asked_ms\":%" G_GINT64_FORMAT, e->asked_stream_ms);
  g_string_append(line, ",\"kind\":");
  sc_json_append_string(line, e->kind);
  g_string_append_printf(line, ",\"detail\":%s}\n", e->detail_json ? e->detail_json : "{}");
  /* one write: with O_APPEND the line lands whole at the end, or not at all */
  for (guint attempt = 0; attempt < 100; attempt++) {
    ssize_t n = write(log->fd, line->str, line->len);
    if (n == (ssize_t)line->len)
      break;
    if (n >= 0 || errno != EINTR) {
      int saved = n < 0 ? errno : EIO;
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                  "cannot append to the audit log %s: %s", log->path, g_strerror(saved));
      return FALSE;
    }
  }
  if (fsync(log->fd) != 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot sync the audit log %s: %s",
                log->path, g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}
