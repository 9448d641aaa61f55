/* log.h - structured log lines for shopcastd.
 *
 * sc_log_init() installs a GLib structured-log writer. When stderr is connected
 * to the journal (shopcastd under systemd) messages go to journald with their
 * fields kept as journal fields; otherwise each message is one logfmt line on
 * stderr:
 *
 *   ts=2026-11-23T10:15:02.123+08:00 level=info module=output msg="live" dest=douyin
 *
 * Modules set G_LOG_DOMAIN to "shopcast-<module>" and log with g_info(),
 * g_message(), g_warning(), or with g_log_structured() for extra fields; a
 * field named "DEST" prints as dest=... Fields must never hold secrets.
 * Main thread installs it; the writer itself is thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SC_LOG_ERROR,
  SC_LOG_WARNING,
  SC_LOG_INFO,
  SC_LOG_DEBUG,
} ScLogLevel;

void sc_log_init(ScLogLevel max_level);
void sc_log_set_level(ScLogLevel max_level);

/* "error", "warning", "info", "debug" */
gboolean sc_log_level_parse(const char *text, ScLogLevel *level);

/* One logfmt line (no newline) for the given fields, @wall_us the time of the
 * message in microseconds since the epoch. Used by the writer; public for tests. */
char *sc_log_format(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gint64 wall_us);

/* The latest lines written (the last 512 kB of them, oldest first, each ending
 * in a newline; a line over 4 kB is cut with an ellipsis), for the technician's
 * log download. Empty before sc_log_init(). Any thread. */
char *sc_log_recent(void) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
