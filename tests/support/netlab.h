/* netlab.h - the network-namespace lab of tests/netns/lab.sh, for cmocka
 * tests: a "box" namespace with uplinks up0 and up1 to a "net" namespace
 * whose 198.18.0.1 hosts the ingests. Each lab has a name of its own (from
 * the PID), so tests in parallel do not meet. Needs root. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum { SC_NETLAB_BOX, SC_NETLAB_NET } ScNetLabSide;

typedef struct _ScNetLab ScNetLab;

/* Whether labs can be made here: root, and a kernel with network namespaces,
 * veth and nftables. If not, *reason says what is missing (for a skip). */
gboolean sc_netlab_available(char **reason);

/* sc_netlab_available(), asked once per process. */
gboolean sc_netlab_usable(void);
/* In a cmocka test: skips it, printing why, where labs cannot be made here.
 * skip() does not return. */
void sc_netlab_skip_unless_usable(void);

ScNetLab *sc_netlab_new(GError **error);
/* Deletes the namespaces, and with them everything in them. NULL-safe. */
void sc_netlab_free(ScNetLab *lab);

/* "NAME-box" or "NAME-net", for `ip netns exec`. */
const char *sc_netlab_namespace(ScNetLab *lab, ScNetLabSide side);

/* Runs `lab.sh CMD NAME ARGS...` (NULL-terminated after @cmd), e.g.
 * sc_netlab_run(lab, &error, "blackhole", "up0", "on", NULL). */
gboolean sc_netlab_run(ScNetLab *lab, GError **error, const char *cmd, ...) G_GNUC_NULL_TERMINATED;

/* sc_netlab_run(lab, error, @cmd, @device, @how, NULL), failing the test on
 * an error, e.g. sc_netlab_set(lab, "link", "up0", "down"). */
void sc_netlab_set(ScNetLab *lab, const char *cmd, const char *device, const char *how);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScNetLab, sc_netlab_free)

G_END_DECLS
