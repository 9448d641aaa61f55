/* testutil.h - small helpers shared by the cmocka tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Absolute path of @rel inside the source tree or the build tree
 * (from SHOPCAST_SOURCE_ROOT / SHOPCAST_BUILD_ROOT, set by meson test). */
char *sc_test_source_path(const char *rel);
char *sc_test_build_path(const char *rel);

/* A new empty temporary directory (removed by sc_test_rmtree). */
char *sc_test_tmpdir(void);
void sc_test_rmtree(const char *path);
/* Copies the logs shopcast wrote in @dir (*.log, *.jsonl; not the ingest's)
 * to BUILD/test-logs/, where the test run looks for secrets in them
 * (tests/check-secrets.sh). sc_test_rmtree() does it first. */
void sc_test_keep_logs(const char *dir);
/* cmocka setup and teardown (per test or per group): sc_test_dir is a new
 * empty temporary directory, removed after. */
extern char *sc_test_dir;
int sc_test_dir_setup(void **state);
int sc_test_dir_teardown(void **state);

/* A made-up clock for timed things (sc_show_set_clock and the like): a
 * monotonic and a wall clock that only move when told, starting at 1000 s
 * and 2026-11-23 10:15:02 UTC. */
extern gint64 sc_test_mono_us, sc_test_real_us;
gint64 sc_test_mono(void);
gint64 sc_test_real(void);
void sc_test_advance_ms(guint ms);

/* The contents of @path, or "" when it cannot be read; g_free() it. */
char *sc_test_read_text(const char *path);

/* Writes @contents to @dir/@name and returns the full path. */
char *sc_test_write_file(const char *dir, const char *name, const char *contents);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
guint16 sc_test_free_port(void);

/* Runs @argv to completion, at most @timeout_s seconds (then SIGKILL), and
 * returns its exit status (-1 if it could not start or was killed), with
 * stdout and stderr captured when the pointers are not NULL. */
int sc_test_run(char **argv, guint timeout_s, char **out, char **err);

/* Waits until something accepts TCP connections on 127.0.0.1:@port, for at
 * most @timeout_ms. */
gboolean sc_test_wait_port(guint16 port, guint timeout_ms);

/* For tests that something stays the same size: bytes malloc has handed out
 * and not had back (mallinfo2's uordblks). Measurable only with glibc's malloc
 * and its per-thread cache off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0,
 * as meson test runs them), as that cache keeps freed chunks counted as in
 * use; otherwise sc_test_heap_measurable() prints why the test skips. */
gboolean sc_test_heap_measurable(void);
gsize sc_test_heap_in_use(void);

G_END_DECLS
