/* daemon-fixture.h - shopcastd as a test fixture, for the tests of the whole
 * daemon (test-shopcastd.c, test-failover.c, test-adaptive.c,
 * test-recording.c): its config, starting it (on this host or inside a
 * network lab's box), asking it through shopcastctl, and stopping it.
 *
 * The checks fail the running cmocka test, so call them only from the
 * test's own thread. They free what they hold before failing (fail_msg()
 * does not return), so that a failure is not also a leak under the
 * sanitizers. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writes @dir/shopcast.ini and returns its path: the sim board, [box] with
 * start = @start and control-socket = @control, then @rest (more [box] keys
 * first, then other groups), then the panel off ([panel] listen = off). */
char *sc_test_daemon_write_config(const char *dir, const char *control, const char *start,
                                  const char *rest);

/* Starts shopcastd --config @config with its stderr in @log_path, inside the
 * network namespace @netns (`ip netns exec`) unless NULL. Fails the test if
 * it cannot start. */
GSubprocess *sc_test_daemon_start(const char *config, const char *log_path, const char *netns);
/* Waits at most @timeout_s for @daemon to exit; returns its exit status, or
 * -1 if it died of a signal or had to be killed (SIGKILL) after the wait. */
int sc_test_daemon_wait(GSubprocess *daemon, guint timeout_s);
/* SIGTERM to @daemon, then sc_test_daemon_wait(). */
int sc_test_daemon_stop(GSubprocess *daemon, guint timeout_s);
/* Stops *@daemon (SIGTERM, at most 30 s), unrefs it, and fails the test
 * unless it exited with 0, printing its whole log first (a failure message
 * would cut it short), or unless the log at @log_path never shows @key
 * (unless NULL): a stream key never appears in a log. */
void sc_test_daemon_stop_cleanly(GSubprocess **daemon, const char *log_path, const char *key);

/* `shopcastctl --socket @control COMMAND ARGS...` (the arguments end at the
 * first NULL), within 20 s: its exit status, and its stdout and stderr in
 * @out and @err unless NULL. */
int sc_test_daemon_ctl_run(const char *control, char **out, char **err, const char *command,
                           ...) G_GNUC_NULL_TERMINATED;
/* The same: its stdout, or NULL when it fails (as it does while the daemon
 * starts: "no shopcastd answers"). */
char *sc_test_daemon_ctl(const char *control, const char *command, ...) G_GNUC_NULL_TERMINATED;

/* Polls `shopcastctl status` until it holds @needle, at most @timeout_ms;
 * returns how long that took in ms, or -1 after printing the last status
 * and the daemon's log at @log_path. */
gint64 sc_test_daemon_wait_status(const char *control, const char *needle, guint timeout_ms,
                                  const char *log_path);

G_END_DECLS
