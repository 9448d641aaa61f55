/* daemon-fixture.c - shopcastd and shopcastctl for the daemon's tests. */
#include "tests/support/daemon-fixture.h"

#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define CTL_TIMEOUT_S  20
#define STOP_TIMEOUT_S 30
#define CTL_MAX_ARGS   8

char *
sc_test_daemon_write_config(const char *dir, const char *control, const char *start,
                            const char *rest)
{
  g_autofree char *text = g_strdup_printf("[box]\nboard = sim\nstart = %s\ncontrol-socket = %s\n"
                                          "%s\n[panel]\nlisten = off\n",
                                          start, control, rest);
  return sc_test_write_file(dir, "shopcast.ini", text);
}

/* In the child: shopcastd ends with the test, also when a timeout kills the
 * test before its teardown (`ip netns exec` keeps this across its exec). */
static void
die_with_parent(gpointer data)
{
  prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
spawn(const char *config, const char *log_path, const char *netns, GError **error)
{
  g_autofree char *shopcastd = sc_test_build_path("firmware/shopcastd");
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stderr_file_path(l, log_path);
  g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
  if (netns)
    return g_subprocess_launcher_spawn(l, error, "ip", "netns", "exec", netns, shopcastd,
                                       "--config", config, NULL);
  return g_subprocess_launcher_spawn(l, error, shopcastd, "--config", config, NULL);
}

GSubprocess *
sc_test_daemon_start(const char *config, const char *log_path, const char *netns)
{
  GError *error = NULL;
  GSubprocess *daemon = spawn(config, log_path, netns, &error);
  if (daemon == NULL) {
    g_printerr("shopcastd: %s\n", error->message);
    g_error_free(error);
    fail_msg("shopcastd did not start (the reason is above)");
  }
  return daemon;
}

static void
on_waited(GObject *source, GAsyncResult *result, gpointer data)
{
  *(gboolean *)data = TRUE;
}

int
sc_test_daemon_wait(GSubprocess *daemon, guint timeout_s)
{
  gboolean done = FALSE;
  g_subprocess_wait_async(daemon, NULL, on_waited, &done);
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(10 * 1000);
  gboolean killed = !done;
  if (killed)
    g_subprocess_force_exit(daemon);
  while (!done)
    g_main_context_iteration(NULL, TRUE);
  return killed || !g_subprocess_get_if_exited(daemon) ? -1 : g_subprocess_get_exit_status(daemon);
}

int
sc_test_daemon_stop(GSubprocess *daemon, guint timeout_s)
{
  g_subprocess_send_signal(daemon, SIGTERM);
  return sc_test_daemon_wait(daemon, timeout_s);
}

/* How @daemon ended, for a person reading a failure. */
static char *
describe_end(GSubprocess *daemon)
{
  if (g_subprocess_get_if_exited(daemon))
    return g_strdup_printf("exited with status %d", g_subprocess_get_exit_status(daemon));
  return g_strdup_printf("died of signal %d", g_subprocess_get_term_sig(daemon));
}

void
sc_test_daemon_stop_cleanly(GSubprocess **daemon, const char *log_path, const char *key)
{
  int status = sc_test_daemon_stop(*daemon, STOP_TIMEOUT_S);
  char *log = sc_test_read_text(log_path);
  char *end = status == 0 ? NULL : describe_end(*daemon);
  g_clear_object(daemon);
  gboolean key_shown = key && strstr(log, key);
  if (end)
    g_printerr("shopcastd %s; its log:\n%s\n", end, log);
  g_free(end);
  g_free(log);
  if (status != 0)
    fail_msg("shopcastd did not stop cleanly (its log is above)");
  if (key_shown)
    fail_msg("shopcastd's log shows the stream key");
}

static int
ctl_runv(const char *control, char **out, char **err, const char *command, va_list ap)
{
  g_autofree char *tool = sc_test_build_path("tools/shopcastctl");
  char *argv[CTL_MAX_ARGS + 5] = {tool, "--socket", (char *)control, (char *)command};
  guint n = 4;
  for (const char *a = va_arg(ap, const char *); a && n < 4 + CTL_MAX_ARGS;
       a = va_arg(ap, const char *))
    argv[n++] = (char *)a;
  return sc_test_run(argv, CTL_TIMEOUT_S, out, err);
}

int
sc_test_daemon_ctl_run(const char *control, char **out, char **err, const char *command, ...)
{
  va_list ap;
  va_start(ap, command);
  int status = ctl_runv(control, out, err, command, ap);
  va_end(ap);
  return status;
}

char *
sc_test_daemon_ctl(const char *control, const char *command, ...)
{
  char *out = NULL;
  g_autofree char *err = NULL;
  va_list ap;
  va_start(ap, command);
  int status = ctl_runv(control, &out, &err, command, ap);
  va_end(ap);
  if (status != 0)
    g_clear_pointer(&out, g_free);
  return out;
}

gint64
sc_test_daemon_wait_status(const char *control, const char *needle, guint timeout_ms,
                           const char *log_path)
{
  gint64 start = g_get_monotonic_time();
  gint64 deadline = start + (gint64)timeout_ms * 1000;
  for (guint i = 0; i < 10000 && g_get_monotonic_time() < deadline; i++) {
    g_autofree char *status = sc_test_daemon_ctl(control, "status", NULL);
    if (status && strstr(status, needle))
      return (g_get_monotonic_time() - start) / 1000;
    g_usleep(50 * 1000);
  }
  g_autofree char *status = sc_test_daemon_ctl(control, "status", NULL);
  g_autofree char *log = sc_test_read_text(log_path);
  g_printerr("status never held %s; last status:\n%s\nshopcastd log:\n%s\n", needle,
             status ? status : "(none)", log);
  return -1;
}
