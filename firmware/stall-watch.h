/* stall-watch.h - notices when the program stops moving.
 *
 * Looks at a frame counter every 250 ms; when it has not moved for
 * @stall_ms while the watch is armed, calls @on_stall once and waits
 * @stall_ms again before it can call it again (the restart it triggers has
 * that long to bring frames back). Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef guint64 (*ScStallCountFunc)(gpointer user_data);
/* @stalled_ms: how long the counter had not moved. */
typedef void (*ScStallFunc)(guint stalled_ms, gpointer user_data);

typedef struct _ScStallWatch ScStallWatch;

ScStallWatch *sc_stall_watch_new(guint stall_ms, ScStallCountFunc count, ScStallFunc on_stall,
                                 gpointer user_data);
void sc_stall_watch_free(ScStallWatch *self);

/* Armed: the counter must move (once the program plays); disarmed while it
 * may rightly stand still (before the first frame, while stopping). */
void sc_stall_watch_arm(ScStallWatch *self, gboolean armed);

/* How many times it found the counter stalled. */
guint sc_stall_watch_get_stalls(ScStallWatch *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScStallWatch, sc_stall_watch_free)

G_END_DECLS
