/* control.h - shopcastd's local control socket (shopcastctl talks to it).
 *
 * A Unix stream socket; a client sends one command line and reads the reply:
 * "ok" or "error: <what to fix>" on the first line, then the command's output.
 * Commands (see README.md): status, events [N], drill UPLINK SECONDS,
 * reconnect [DESTINATION]. The socket is created with mode 0660, in a
 * directory made 0755 if missing; only root (and the socket's group) can
 * use it. Main thread only; clients are served asynchronously, one line
 * each, with a bound on the line's length and on how long a client may take.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _ScControl ScControl;

/* Runs one command (@argv: the words of the line). Returns the output (may
 * be empty), or NULL with @error, whose message is sent to the client. */
typedef char *(*ScControlFunc)(const char *const *argv, gpointer user_data, GError **error);

/* Listens on @path. A stale socket file left by a crashed shopcastd is
 * replaced; one another running shopcastd listens on is an error. */
ScControl *sc_control_new(const char *path, ScControlFunc func, gpointer user_data,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Stops listening and removes the socket file. NULL-safe. */
void sc_control_free(ScControl *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScControl, sc_control_free)

G_END_DECLS
