/* uplink.h - the uplink manager: which network path each push should use.
 *
 * An uplink is a network interface the box can stream over (wired primary,
 * LTE or Wi-Fi backups), in the order of preference the config gives. For
 * each one the manager follows
 *   - its link state, from rtnetlink notifications (RTMGRP_LINK and the IPv4
 *     address groups; never by polling commands), and
 *   - its real health, from ICMP echo probes sent out of that interface only
 *     (SO_BINDTODEVICE) to its probe hosts, so an uplink whose link is up
 *     but whose packets vanish is found within fail_after_ms;
 * and it chooses the uplink the pushes use: the first healthy one in order,
 * except that after a failure the manager stays on the backup until the
 * preferred uplink has been healthy for hold_ms without a break (no flapping).
 * Outputs can add evidence they see on their own connection
 * (sc_uplink_manager_report_stall), and a drill makes an uplink count as
 * failed for a while so the studio can rehearse.
 *
 * Everything runs on the GMainContext given at creation; the functions are
 * called from that context's thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_UPLINK_ERROR (sc_uplink_error_quark())
GQuark sc_uplink_error_quark(void);

typedef enum {
  SC_UPLINK_ERROR_CONFIG, /* a spec that cannot work: no interface name, bad probe host */
  SC_UPLINK_ERROR_SYSTEM, /* a socket the manager needs could not be opened */
} ScUplinkError;

typedef enum {
  SC_UPLINK_DOWN,    /* no carrier, interface missing, or no IPv4 address */
  SC_UPLINK_PROBING, /* link up, health not yet known */
  SC_UPLINK_HEALTHY, /* link up and probes answered */
  SC_UPLINK_FAILED,  /* link up but probes lost (a silent outage), or an output saw a stall */
  SC_UPLINK_DRILL,   /* counted as failed on purpose until the drill ends */
} ScUplinkState;

const char *sc_uplink_state_name(ScUplinkState state); /* "down", "probing", ... */

typedef struct {
  const char *name;               /* as the config names it: "wired", "lte" */
  const char *interface;          /* "eth0", "wwan0" */
  const char *const *probe_hosts; /* NULL-terminated IPv4 literals; at least one */
  guint probe_interval_ms;        /* 0 = 200 */
  guint fail_after_ms;            /* no answer for this long: FAILED; 0 = 700 */
} ScUplinkSpec;

typedef struct {
  guint index; /* into the specs given to sc_uplink_manager_new */
  ScUplinkState old_state, new_state;
  const char *reason;  /* "carrier lost", "no echo reply for 700 ms", "drill for 30 s", ... */
  gint64 realtime_us;  /* g_get_real_time() when the change was seen */
  gint64 monotonic_us; /* g_get_monotonic_time() at the same moment */
} ScUplinkEvent;

/* Every state change of an uplink; and, with index == G_MAXUINT and both
 * states equal, a change of the chosen uplink (reason says which and why). */
typedef void (*ScUplinkEventFunc)(const ScUplinkEvent *event, gpointer user_data);

typedef struct _ScUplinkManager ScUplinkManager;

/* Copies @specs. Opens the netlink and probe sockets and starts probing at
 * once; events are delivered on @context (NULL: the thread-default one). */
ScUplinkManager *sc_uplink_manager_new(const ScUplinkSpec *specs, guint n_specs, guint hold_ms,
                                       GMainContext *context, ScUplinkEventFunc func,
                                       gpointer user_data, GError **error);
void sc_uplink_manager_free(ScUplinkManager *self);

guint sc_uplink_manager_get_count(ScUplinkManager *self);
const char *sc_uplink_manager_get_name(ScUplinkManager *self, guint index);
const char *sc_uplink_manager_get_interface(ScUplinkManager *self, guint index);
ScUplinkState sc_uplink_manager_get_state(ScUplinkManager *self, guint index);
/* The round trip of the latest answered probe, in microseconds; -1 while
 * the uplink is not healthy. */
gint64 sc_uplink_manager_get_rtt_us(ScUplinkManager *self, guint index);

/* The uplink pushes should use now, or -1 when none is usable. */
int sc_uplink_manager_choose(ScUplinkManager *self);

/* An output saw its connection over @index stall (data unacknowledged for
 * longer than the path allows): the uplink counts as FAILED until its probes
 * have been answered again for a probe interval. */
void sc_uplink_manager_report_stall(ScUplinkManager *self, guint index, const char *what);

/* Treat @index as failed for @seconds (0 ends a running drill early). */
void sc_uplink_manager_drill(ScUplinkManager *self, guint index, guint seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScUplinkManager, sc_uplink_manager_free)

G_END_DECLS
