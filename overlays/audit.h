/* audit.h - the on-air audit log: every graphic change that reached the
 * program output, one JSON line each, appended and fsync'd, never rewritten.
 * It is the evidence in a pricing dispute and the input of the post-show
 * report.
 *
 *   {"ts":"2026-11-23T12:03:05.120431Z","stream_ms":734120,"asked_ms":734087,
 *    "kind":"price-correction","detail":{"id":"down-jacket","price":"189","was":"199"}}
 *
 * ts is the wall-clock time and stream_ms the stream time (the program's
 * running time, which the encoded frame carries) of the first frame that
 * showed the change; asked_ms is the stream time of the program when it was
 * asked for (that of the latest frame sent to the encoder: a change on the
 * very next frame has stream_ms one frame period later), absent for changes
 * the clock makes, such as a flash sale ending.
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

typedef struct {
  gint64 realtime_us;      /* when the first frame showing the change was made */
  guint64 stream_ms;       /* that frame's stream time */
  gint64 asked_stream_ms;  /* the stream time of the request; -1: none (the clock's change) */
  const char *kind;        /* the action: "product", "price-correction", "flash-ended", ... */
  const char *detail_json; /* a JSON object, as ScShowChangeFunc gives it; NULL: {} */
} ScAuditEntry;

gboolean sc_audit_log_append(ScAuditLog *log, const ScAuditEntry *entry,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAuditLog, sc_audit_log_close)

G_END_DECLS
