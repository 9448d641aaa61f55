/* events.h - the box's event journal: every state change of an uplink or a
 * destination's push, with the time it happened.
 *
 * The journal keeps the latest events in memory (a ring), for the control
 * socket now and for the panel, the metrics and the post-show report later;
 * each event is also a structured log line. The ring's memory is all taken
 * when it is made (512 bytes an event), so a full journal weighs what an
 * empty one does; a detail too long for its slot is cut with an ellipsis
 * there, and kept whole in the log line. Events never hold secrets: a
 * destination's URL is always the masked one. Main thread only.
 */
#pragma once

#include "firmware/json.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ScEventLog ScEventLog;

ScEventLog *sc_event_log_new(guint capacity);
void sc_event_log_free(ScEventLog *self);

/* @kind: "uplink", "uplink-choice", "output", "drill"; @subject: the uplink's
 * or the destination's name; @state: the new state; @detail: why, or what
 * (may be NULL). @realtime_us: when it happened (g_get_real_time()). Also
 * logged, at warning level when @warning. */
void sc_event_log_add(ScEventLog *self, gint64 realtime_us, gboolean warning, const char *kind,
                      const char *subject, const char *state, const char *detail);

guint sc_event_log_get_count(ScEventLog *self);   /* held now, at most the capacity */
guint64 sc_event_log_get_total(ScEventLog *self); /* added since start */

/* The latest @max events (all held when 0), oldest first, one JSON object a
 * line: {"ts":"2026-11-23T10:15:02.123456Z","kind":"uplink","subject":"wired",
 * "state":"failed","detail":"no echo reply for 700 ms"} */
char *sc_event_log_to_json_lines(ScEventLog *self, guint max);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScEventLog, sc_event_log_free)

G_END_DECLS
