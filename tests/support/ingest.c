/* ingest.c - tools/shopcast-ingest as a test fixture. */
#include "tests/support/ingest.h"

#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define START_ATTEMPTS  3
#define START_TIMEOUT_S 5
#define STOP_TIMEOUT_MS 5000

struct _ScTestIngest {
  GSubprocess *proc;
  ScTestIngestOptions options; /* strings below */
  char *key, *netns, *address;
  char *dir;
  char *ca_file;
  guint16 port, auth_port, tls_port;
};

typedef enum {
  START_OK,
  START_PORT_CLASH, /* someone took one of our ports between choosing and binding */
  START_FAILED,
} StartResult;

static void
add_port(GPtrArray *argv, const char *option, guint16 port)
{
  g_ptr_array_add(argv, g_strdup(option));
  g_ptr_array_add(argv, g_strdup_printf("%u", port));
}

/* In the child: the ingest ends with the test that started it, also when the
 * test is killed (a timeout) before its teardown could stop it. */
static void
die_with_parent(gpointer data)
{
  prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
spawn(ScTestIngest *ingest, const ScTestIngestOptions *options, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  if (options->netns) { /* ip execs the command: the PID stays the ingest's */
    g_ptr_array_add(argv, g_strdup("ip"));
    g_ptr_array_add(argv, g_strdup("netns"));
    g_ptr_array_add(argv, g_strdup("exec"));
    g_ptr_array_add(argv, g_strdup(options->netns));
  }
  g_ptr_array_add(argv, sc_test_source_path("tools/shopcast-ingest"));
  if (options->address) {
    g_ptr_array_add(argv, g_strdup("--listen"));
    g_ptr_array_add(argv, g_strdup(options->address));
  }
  g_ptr_array_add(argv, g_strdup("--dir"));
  g_ptr_array_add(argv, g_strdup(ingest->dir));
  add_port(argv, "--port", ingest->port);
  if (options->key) {
    g_ptr_array_add(argv, g_strdup("--key"));
    g_ptr_array_add(argv, g_strdup(options->key));
    add_port(argv, "--auth-port", ingest->auth_port);
  }
  if (options->tls)
    add_port(argv, "--tls-port", ingest->tls_port);
  g_ptr_array_add(argv, NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
  return g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
}

/* Three distinct ports that were free a moment ago. */
static void
choose_ports(ScTestIngest *ingest)
{
  ingest->port = sc_test_free_port();
  for (guint i = 0; i < 100; i++) {
    ingest->auth_port = sc_test_free_port();
    ingest->tls_port = sc_test_free_port();
    if (ingest->auth_port != ingest->port && ingest->tls_port != ingest->port &&
        ingest->tls_port != ingest->auth_port)
      return;
  }
}

static gboolean
ports_ready(ScTestIngest *ingest, const ScTestIngestOptions *options)
{
  if (options->netns) /* not reachable from here; in its own namespace nobody clashes */
    return TRUE;
  return sc_test_wait_port(ingest->port, 50) &&
         (options->key == NULL || sc_test_wait_port(ingest->auth_port, 50)) &&
         (!options->tls || sc_test_wait_port(ingest->tls_port, 50));
}

/* nginx writes its pid file only after it bound every port, so the pid file
 * tells our ingest apart from another process on a clashing port. */
static StartResult
wait_started(ScTestIngest *ingest, const ScTestIngestOptions *options, GError **error)
{
  g_autofree char *pid_file = g_build_filename(ingest->dir, "nginx.pid", NULL);
  gint64 deadline = g_get_monotonic_time() + START_TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    if (g_subprocess_get_identifier(ingest->proc) == NULL) { /* it exited */
      g_autofree char *log = sc_test_ingest_read_log(ingest);
      if (strstr(log, "Address already in use"))
        return START_PORT_CLASH;
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "shopcast-ingest exited at start:\n%s",
                  log);
      return START_FAILED;
    }
    if (g_file_test(pid_file, G_FILE_TEST_EXISTS) && ports_ready(ingest, options))
      return START_OK;
    g_usleep(20 * 1000);
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
              "shopcast-ingest did not accept connections within %d s", START_TIMEOUT_S);
  return START_FAILED;
}

/* Stops and forgets the process; keeps the directory. */
static void
stop_process(ScTestIngest *ingest)
{
  if (ingest->proc == NULL)
    return;
  g_subprocess_send_signal(ingest->proc, SIGTERM); /* only if still running: race-free */
  gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_MS * 1000;
  while (g_subprocess_get_identifier(ingest->proc) && g_get_monotonic_time() < deadline)
    g_usleep(10 * 1000);
  if (g_subprocess_get_identifier(ingest->proc)) {
    g_printerr("shopcast-ingest ignored SIGTERM for %d ms: killing it\n", STOP_TIMEOUT_MS);
    g_subprocess_force_exit(ingest->proc);
  }
  g_subprocess_wait(ingest->proc, NULL, NULL); /* reaped already, or right after SIGKILL */
  g_clear_object(&ingest->proc);
}

static void
remove_dir(ScTestIngest *ingest)
{
  sc_test_rmtree(ingest->dir);
  g_clear_pointer(&ingest->dir, g_free);
}

static StartResult
start_once(ScTestIngest *ingest, const ScTestIngestOptions *options, GError **error)
{
  remove_dir(ingest);
  ingest->dir = sc_test_tmpdir();
  if (options->netns) {
    ingest->port = options->port;
    ingest->auth_port = options->port + 10000;
    ingest->tls_port = options->port + 20000;
  } else {
    choose_ports(ingest);
  }
  ingest->proc = spawn(ingest, options, error);
  if (ingest->proc == NULL)
    return START_FAILED;
  StartResult result = wait_started(ingest, options, error);
  if (result != START_OK)
    stop_process(ingest);
  return result;
}

ScTestIngest *
sc_test_ingest_start(const ScTestIngestOptions *options, GError **error)
{
  static const ScTestIngestOptions defaults = {0};
  options = options ? options : &defaults;
  g_return_val_if_fail(options->netns == NULL || (options->address && options->port), NULL);
  g_autoptr(ScTestIngest) ingest = g_new0(ScTestIngest, 1);
  ingest->key = g_strdup(options->key);
  ingest->netns = g_strdup(options->netns);
  ingest->address = g_strdup(options->address);
  ingest->options = *options;
  ingest->options.key = ingest->key;
  ingest->options.netns = ingest->netns;
  ingest->options.address = ingest->address;
  StartResult result = START_PORT_CLASH;
  for (guint i = 0; i < START_ATTEMPTS && result == START_PORT_CLASH; i++)
    result = start_once(ingest, options, error);
  if (result == START_PORT_CLASH)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                "shopcast-ingest found its ports taken %d times in a row", START_ATTEMPTS);
  if (result != START_OK)
    return NULL;
  if (options->tls)
    ingest->ca_file = g_build_filename(ingest->dir, "cert.pem", NULL);
  return g_steal_pointer(&ingest);
}

ScTestIngest *
sc_test_ingest_start_or_fail(const ScTestIngestOptions *options)
{
  GError *error = NULL;
  ScTestIngest *ingest = sc_test_ingest_start(options, &error);
  if (ingest)
    return ingest;
  g_printerr("ingest on port %u: %s\n", options ? options->port : 0, error->message);
  g_error_free(error);
  fail_msg("the ingest did not start (the reason is above)");
  return NULL;
}

gboolean
sc_test_ingest_restart(ScTestIngest *ingest, GError **error)
{
  stop_process(ingest);
  g_autofree char *pid_file = g_build_filename(ingest->dir, "nginx.pid", NULL);
  g_unlink(pid_file); /* nginx removes it at exit; a killed one may not have */
  ingest->proc = spawn(ingest, &ingest->options, error);
  if (ingest->proc == NULL)
    return FALSE;
  if (wait_started(ingest, &ingest->options, error) == START_OK)
    return TRUE;
  stop_process(ingest);
  return FALSE;
}

void
sc_test_ingest_stop(ScTestIngest *ingest)
{
  if (ingest == NULL)
    return;
  stop_process(ingest);
  remove_dir(ingest);
  g_free(ingest->ca_file);
  g_free(ingest->key);
  g_free(ingest->netns);
  g_free(ingest->address);
  g_free(ingest);
}

guint16
sc_test_ingest_port(ScTestIngest *ingest)
{
  return ingest->port;
}

guint16
sc_test_ingest_tls_port(ScTestIngest *ingest)
{
  return ingest->ca_file ? ingest->tls_port : 0;
}

char *
sc_test_ingest_url(ScTestIngest *ingest, gboolean tls)
{
  const char *address = ingest->address ? ingest->address : "127.0.0.1";
  if (tls)
    return g_strdup_printf("rtmps://%s:%u/live", address, sc_test_ingest_tls_port(ingest));
  return g_strdup_printf("rtmp://%s:%u/live", address, ingest->port);
}

const char *
sc_test_ingest_ca_file(ScTestIngest *ingest)
{
  return ingest->ca_file;
}

char *
sc_test_ingest_read_log(ScTestIngest *ingest)
{
  g_autofree char *path = g_build_filename(ingest->dir, "error.log", NULL);
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return g_strdup("");
  return text;
}
