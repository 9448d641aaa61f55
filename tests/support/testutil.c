#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *
root_path(const char *env, const char *rel)
{
  const char *root = g_getenv(env);
  g_assert_nonnull(root); /* set by meson test; run tests through it */
  return g_build_filename(root, rel, NULL);
}

char *
sc_test_source_path(const char *rel)
{
  return root_path("SHOPCAST_SOURCE_ROOT", rel);
}

char *
sc_test_build_path(const char *rel)
{
  return root_path("SHOPCAST_BUILD_ROOT", rel);
}

char *
sc_test_tmpdir(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("shopcast-test-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

/* Whether @name is a log shopcast wrote (the ingest's nginx logs are
 * error.log: stream keys are its business). */
static gboolean
is_our_log(const char *name)
{
  return (g_str_has_suffix(name, ".log") && !g_str_equal(name, "error.log")) ||
         g_str_has_suffix(name, ".jsonl");
}

void
sc_test_keep_logs(const char *dir)
{
  const char *root = g_getenv("SHOPCAST_BUILD_ROOT");
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  if (root == NULL || d == NULL)
    return;
  g_autofree char *keep = g_build_filename(root, "test-logs", NULL);
  g_mkdir_with_parents(keep, 0755);
  g_autofree char *base = g_path_get_basename(dir);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *from = g_build_filename(dir, name, NULL);
    if (!is_our_log(name) || !g_file_test(from, G_FILE_TEST_IS_REGULAR))
      continue;
    g_autofree char *to_name = g_strdup_printf("%s-%s", base, name);
    g_autofree char *to = g_build_filename(keep, to_name, NULL);
    g_autofree char *text = NULL;
    gsize len;
    if (g_file_get_contents(from, &text, &len, NULL))
      g_file_set_contents(to, text, (gssize)len, NULL);
  }
}

void
sc_test_rmtree(const char *path)
{
  if (path == NULL)
    return;
  sc_test_keep_logs(path);
  g_autoptr(GFile) file = g_file_new_for_path(path);
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children(
      file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;
  while (children && (info = g_file_enumerator_next_file(children, NULL, NULL)) != NULL) {
    g_autofree char *child = g_build_filename(path, g_file_info_get_name(info), NULL);
    if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY)
      sc_test_rmtree(child);
    else
      g_unlink(child);
    g_object_unref(info);
  }
  g_rmdir(path);
}

char *
sc_test_read_text(const char *path)
{
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, NULL);
  return text ? text : g_strdup("");
}

char *
sc_test_write_file(const char *dir, const char *name, const char *contents)
{
  char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, contents, -1, &error);
  g_assert_no_error(error);
  return path;
}

guint16
sc_test_free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint(fd, >=, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  socklen_t len = sizeof addr;
  g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
  close(fd);
  return ntohs(addr.sin_port);
}

typedef struct {
  GMainLoop *loop;
  char *out, *err;
  gboolean done;
} RunState;

static void
on_communicated(GObject *proc, GAsyncResult *res, gpointer data)
{
  RunState *st = data;
  g_subprocess_communicate_utf8_finish(G_SUBPROCESS(proc), res, &st->out, &st->err, NULL);
  st->done = TRUE;
  g_main_loop_quit(st->loop);
}

static gboolean
on_run_timeout(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

int
sc_test_run(char **argv, guint timeout_s, char **out, char **err)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
      (out ? G_SUBPROCESS_FLAGS_STDOUT_PIPE : 0) | (err ? G_SUBPROCESS_FLAGS_STDERR_PIPE : 0));
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc =
      g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, &error);
  if (proc == NULL) {
    g_printerr("cannot start %s: %s\n", argv[0], error->message);
    g_main_context_pop_thread_default(ctx);
    return -1;
  }
  RunState st = {.loop = g_main_loop_new(ctx, FALSE)};
  g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_communicated, &st);
  g_autoptr(GSource) timer = g_timeout_source_new_seconds(timeout_s);
  g_source_set_callback(timer, on_run_timeout, st.loop, NULL);
  g_source_attach(timer, ctx);
  g_main_loop_run(st.loop);
  if (!st.done) { /* timed out: kill our own child, then collect what it wrote */
    g_printerr("%s: still running after %u s, killed\n", argv[0], timeout_s);
    g_subprocess_force_exit(proc);
    while (!st.done)
      g_main_context_iteration(ctx, TRUE);
  }
  g_source_destroy(timer);
  g_main_loop_unref(st.loop);
  g_main_context_pop_thread_default(ctx);
  if (out)
    *out = g_steal_pointer(&st.out);
  g_free(st.out);
  if (err)
    *err = g_steal_pointer(&st.err);
  g_free(st.err);
  if (!g_subprocess_get_if_exited(proc))
    return -1;
  return g_subprocess_get_exit_status(proc);
}

gboolean
sc_test_wait_port(guint16 port, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  struct sockaddr_in addr = {
      .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  while (g_get_monotonic_time() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    gboolean ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0)
      close(fd);
    if (ok)
      return TRUE;
    g_usleep(20 * 1000);
  }
  return FALSE;
}

char *sc_test_dir;

int
sc_test_dir_setup(void **state)
{
  (void)state;
  sc_test_dir = sc_test_tmpdir();
  return 0;
}

int
sc_test_dir_teardown(void **state)
{
  (void)state;
  sc_test_rmtree(sc_test_dir);
  g_clear_pointer(&sc_test_dir, g_free);
  return 0;
}

gint64 sc_test_mono_us = 1000 * G_USEC_PER_SEC;
gint64 sc_test_real_us = G_GINT64_CONSTANT(1795428902) * G_USEC_PER_SEC;

gint64
sc_test_mono(void)
{
  return sc_test_mono_us;
}

gint64
sc_test_real(void)
{
  return sc_test_real_us;
}

void
sc_test_advance_ms(guint ms)
{
  sc_test_mono_us += (gint64)ms * 1000;
  sc_test_real_us += (gint64)ms * 1000;
}

gsize
sc_test_heap_in_use(void)
{
  return mallinfo2().uordblks;
}

gboolean
sc_test_heap_measurable(void)
{
  void *probe = g_malloc(4000);
  gsize with_probe = sc_test_heap_in_use();
  g_free(probe);
  if (with_probe == 0 || sc_test_heap_in_use() == with_probe) {
    print_message("skipped: malloc does not report its use here (valgrind's or a sanitizer's)\n");
    return FALSE;
  }
  const char *tunables = g_getenv("GLIBC_TUNABLES");
  if (tunables == NULL || strstr(tunables, "glibc.malloc.tcache_count=0") == NULL) {
    print_message("skipped: malloc's per-thread cache is on (run it with meson test)\n");
    return FALSE;
  }
  return TRUE;
}
