/* audit.h - the on-air audit log: every graphic change that reached the
 * program output, one JSON line each, appended and fsync'd, never rewritten.
 * It is the evidence in a pricing dispute and the input of the post-show
 * report.
 *
 *   {"ts":"2026-11-23T12:03:05.120431Z","stream_ms":734120,"kind":"price-correction",
 *    "detail":{"id":"down-jacket","price":"189","was":"199"}}
 *
 * The file is opened for appending only (O_APPEND): lines already written are
 * never touched, even across restarts. A line is written with one write(2)
 * and then fsync(2), so a power cut loses at most the line being written,
 * never an earlier one. Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ScAuditLog ScAuditLog;

ScAuditLog *sc_audit_log_open(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_audit_log_close(ScAuditLog *log);

/* @detail_json: a JSON object (as ScShowChangeFunc gives it). @realtime_us:
 * the wall-clock time; @stream_ms: the program's stream time of the first
 * frame that showed the change. */
gboolean sc_audit_log_append(ScAuditLog *log, gint64 realtime_us, guint64 stream_ms,
                             const char *kind, const char *detail_json,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAuditLog, sc_audit_log_close)

G_END_DECLS
