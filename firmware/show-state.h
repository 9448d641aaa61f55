/* show-state.h - the show's state on disk, so that shopcastd killed (SIGKILL,
 * a power cut) and started again by systemd resumes the show where it was.
 *
 * The state is one small JSON file ([box] state), replaced atomically
 * (firmware/safe-file.h; shopcastd does it off the main loop,
 * firmware/background-save.h) after every change on air and every go live / end
 * of show: whether the box is live, the product on air, every flash sale's
 * fixed end instant (wall clock), and the graphics on air (coupon, stock
 * shown, price correction, lower third, opening and closing cards).
 *
 * A clean stop (SIGTERM, live off, the end of the show) writes live = false:
 * only an unclean stop leaves a state that goes live again by itself.
 * A state that cannot be read, is damaged or belongs to another run of show
 * is refused whole: a restore either brings back everything or changes
 * nothing.
 *
 * Main thread only.
 */
#pragma once

#include "overlays/show.h"

G_BEGIN_DECLS

#define SC_SHOW_STATE_ERROR (sc_show_state_error_quark())
GQuark sc_show_state_error_quark(void);

typedef enum {
  SC_SHOW_STATE_ERROR_ABSENT,   /* no state file yet: a first start */
  SC_SHOW_STATE_ERROR_READ,     /* cannot be read */
  SC_SHOW_STATE_ERROR_CORRUPT,  /* not a state file shopcastd wrote: damaged, cut, too large */
  SC_SHOW_STATE_ERROR_MISMATCH, /* from another run of show: unknown products, broken rules */
} ScShowStateError;

typedef struct _ScShowState ScShowState;

/* The state now as JSON text: @live, and what @show has on air (@show may
 * be NULL: no run of show). */
char *sc_show_state_to_json(ScShow *show, gboolean live) G_GNUC_WARN_UNUSED_RESULT;
/* @state as JSON text, as live or not (@live): a clean stop before a read
 * state was restored keeps it, no longer live. */
char *sc_show_state_text(const ScShowState *state, gboolean live) G_GNUC_WARN_UNUSED_RESULT;

/* Reads and checks a state file (at most 64 KiB); @path names it in errors. */
ScShowState *sc_show_state_load(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
ScShowState *sc_show_state_parse(const char *path, const char *text, gsize len,
                                 GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_show_state_free(ScShowState *state);

/* Whether the box was live when the state was written. */
gboolean sc_show_state_get_live(const ScShowState *state);
/* A line for the log: "product down-jacket, flash sale until 10:16:02, stock 37 shown". */
char *sc_show_state_describe(const ScShowState *state);

/* Brings back on @show what the state had on air: the product (the show's
 * goto), the flash sales' end instants (a countdown still running carries
 * on to its end; one already over stays over), stock, coupon, price
 * correction, lower third, cards. Each step is a change of the show, so it
 * reaches the event log and the audit log. The whole restore is tried first
 * on a copy of the show read from its file: on any error nothing on @show
 * changes (SC_SHOW_STATE_ERROR_MISMATCH). */
gboolean sc_show_state_restore(const ScShowState *state, ScShow *show,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScShowState, sc_show_state_free)

G_END_DECLS
