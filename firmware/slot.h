/* slot.h - tells the system that this firmware works: systemd's watchdog
 * while the main loop turns, and RAUC's "mark good" for the booted slot once
 * the box has been healthy for a while (after an update the boot loader tries
 * the new slot once; a slot never marked good is left for the previous one).
 *
 * Healthy means: the program pipeline encoding and, while live, at least one
 * destination publishing; standing by healthy counts. The daemon reports what
 * it sees with sc_slot_check(); the slot is marked once per process, through
 * RAUC's D-Bus service on the system bus. Without RAUC (a development
 * machine) that is logged once and nothing else happens. Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Asked by the slot when it wants to know whether the box is healthy. */
typedef gboolean (*ScSlotHealthFunc)(gpointer user_data);

typedef struct _ScSlot ScSlot;

/* Starts the watchdog pings when systemd asked for them (WatchdogSec), and
 * asks @health every second; once it has said yes for @healthy_s seconds in
 * a row the slot is marked good. */
ScSlot *sc_slot_new(guint healthy_s, ScSlotHealthFunc health, gpointer user_data);
void sc_slot_free(ScSlot *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScSlot, sc_slot_free)

/* Whether the booted slot has been marked good by this process. */
gboolean sc_slot_is_marked(const ScSlot *slot);

G_END_DECLS
