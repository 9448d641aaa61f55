/* failover.h - puts every destination's push on the right uplink.
 *
 * The uplink manager (drivers/uplink.h) says which uplink pushes should use;
 * this module applies its choice to the outputs: when the chosen uplink
 * changes because the old one failed, every push moves at once, abruptly and
 * to the destination's backup ingest where it has one; when it changes back
 * after the hold time, the move is planned and polite. An output whose
 * connection stalls (sent data unacknowledged for the stall timeout) reports
 * that as evidence against its uplink. Drills make an uplink count as failed
 * for a while. With no [uplink] in the config there is nothing to manage: the
 * pushes follow the system's routing.
 *
 * Main thread only.
 */
#pragma once

#include "firmware/config.h"
#include "firmware/events.h"
#include "firmware/preflight.h"
#include "pipeline/output.h"

G_BEGIN_DECLS

typedef struct _ScFailover ScFailover;

/* Starts watching the config's uplinks. Events go to @events (borrowed). */
ScFailover *sc_failover_new(const ScConfig *config, ScEventLog *events,
                            GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_failover_free(ScFailover *self);

/* The interface a new push should start on (NULL: no uplink usable yet, so
 * the system's routing). */
const char *sc_failover_get_interface(ScFailover *self);

/* Outputs the failover moves; borrowed, must outlive the failover or be removed by freeing it. */
void sc_failover_add_output(ScFailover *self, ScOutput *output);
/* Forgets @output (before it is freed). */
void sc_failover_remove_output(ScFailover *self, ScOutput *output);
/* TRUE while the outputs are on an uplink other than the first, or on none. */
gboolean sc_failover_on_backup(ScFailover *self);

/* An output's state change: a stall while publishing counts against its uplink. */
void sc_failover_output_state(ScFailover *self, ScOutput *output, const ScOutputReport *report);

/* Treat uplink @name as failed for @seconds (0 ends a drill). */
gboolean sc_failover_drill(ScFailover *self, const char *name, guint seconds,
                           GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* A pre-flight item per uplink: healthy or not. */
void sc_failover_preflight(ScFailover *self, ScPreflight *preflight);
/* One JSON object per uplink, a line each: name, interface, state, chosen. */
char *sc_failover_status_json_lines(ScFailover *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScFailover, sc_failover_free)

G_END_DECLS
