/* The background saver: what is put reaches the file, the latest contents
 * win, putting never waits for a slow disk, a failure is said once and so is
 * the recovery, and nothing put is lost when the saver is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/background-save.h"
#include "tests/support/slow-disk.h"
#include "tests/support/testutil.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define SLOW_FSYNC_MS 300
/* What putting may take at most, on a loaded machine; a wait for the slow
 * disk would be at least SLOW_FSYNC_MS. */
#define MAX_PUT_MS 100

typedef struct {
  char *dir, *path;
  GPtrArray *outcomes; /* what @done said: an error's message, or "saved" */
} Fixture;

static void
on_done(const GError *error, gpointer data)
{
  Fixture *f = data;
  g_ptr_array_add(f->outcomes, g_strdup(error ? error->message : "saved"));
}

/* Runs the main context until it has nothing more to do (bounded). */
static void
drain(void)
{
  for (int i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
    ;
}

static void
assert_file(const char *path, const char *want)
{
  g_autofree char *text = sc_test_read_text(path);
  assert_string_equal(text, want);
}

/* Nothing beside the file: no temporary left behind. */
static void
assert_alone(Fixture *f)
{
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  assert_non_null(d);
  for (const char *name = g_dir_read_name(d); name; name = g_dir_read_name(d))
    if (!g_str_equal(name, "state.json"))
      fail_msg("left behind: %s", name);
}

static void
test_put_reaches_the_file(void **state)
{
  Fixture *f = *state;
  g_autoptr(ScBackgroundSave) save = sc_background_save_new(f->path, 0600, on_done, f);
  sc_background_save_put(save, g_strdup("{\"live\":true}\n"));
  g_autoptr(GError) error = NULL;
  assert_true(sc_background_save_flush(save, &error));
  g_assert_no_error(error);
  assert_file(f->path, "{\"live\":true}\n");
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_alone(f);
  drain();
  assert_int_equal(f->outcomes->len, 0); /* success after success is no news */
}

/* On a slow disk every put returns at once; contents put while a write is
 * in progress wait, and only the latest of them is written. */
static void
test_slow_disk_latest_wins(void **state)
{
  Fixture *f = *state;
  g_autoptr(ScBackgroundSave) save = sc_background_save_new(f->path, 0600, on_done, f);
  sc_slow_disk_set(f->dir, SLOW_FSYNC_MS);
  gint64 longest = 0;
  for (int i = 1; i <= 20; i++) {
    gint64 t0 = g_get_monotonic_time();
    sc_background_save_put(save, g_strdup_printf("%d\n", i));
    longest = MAX(longest, g_get_monotonic_time() - t0);
    g_usleep(10 * 1000);
  }
  gint64 t0 = g_get_monotonic_time();
  assert_true(sc_background_save_flush(save, NULL));
  gint64 flushed = g_get_monotonic_time() - t0;
  guint syncs = sc_slow_disk_get_syncs();
  sc_slow_disk_set(NULL, 0);
  g_print("longest put %.1f ms; flush %.0f ms; %u fsyncs for 20 puts\n", longest / 1000.0,
          flushed / 1000.0, syncs);
  if (longest > MAX_PUT_MS * G_TIME_SPAN_MILLISECOND)
    fail_msg("a put waited %.0f ms", longest / 1000.0);
  assert_file(f->path, "20\n");
  /* the first write (file and folder), then the latest: two writes, not twenty */
  assert_int_equal(syncs, 4);
  assert_true(flushed >= SLOW_FSYNC_MS * G_TIME_SPAN_MILLISECOND);
  assert_alone(f);
}

/* A disk that refuses (a file size limit here): the file keeps its last good
 * contents, the failure is said once however many writes fail, and the
 * first success after it is said too. */
static void
test_failure_said_once_then_recovery(void **state)
{
  Fixture *f = *state;
  g_autoptr(ScBackgroundSave) save = sc_background_save_new(f->path, 0600, on_done, f);
  sc_background_save_put(save, g_strdup("good\n"));
  assert_true(sc_background_save_flush(save, NULL));

  struct rlimit old, small;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  small = (struct rlimit){.rlim_cur = 4, .rlim_max = old.rlim_max};
  void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  g_autoptr(GError) first = NULL, second = NULL;
  sc_background_save_put(save, g_strdup("too long for the limit\n"));
  gboolean ok1 = sc_background_save_flush(save, &first);
  sc_background_save_put(save, g_strdup("still too long\n"));
  gboolean ok2 = sc_background_save_flush(save, &second);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, was);

  assert_false(ok1);
  assert_false(ok2);
  assert_non_null(first);
  assert_non_null(strstr(first->message, f->path));
  assert_file(f->path, "good\n");
  assert_alone(f);
  drain();
  assert_int_equal(f->outcomes->len, 1);
  assert_non_null(strstr(g_ptr_array_index(f->outcomes, 0), f->path));

  sc_background_save_put(save, g_strdup("good again\n"));
  assert_true(sc_background_save_flush(save, NULL));
  assert_file(f->path, "good again\n");
  drain();
  assert_int_equal(f->outcomes->len, 2);
  assert_string_equal(g_ptr_array_index(f->outcomes, 1), "saved");
}

/* Freed with contents waiting behind a slow write: they are written first. */
static void
test_free_writes_what_waits(void **state)
{
  Fixture *f = *state;
  ScBackgroundSave *save = sc_background_save_new(f->path, 0600, on_done, f);
  sc_slow_disk_set(f->dir, SLOW_FSYNC_MS);
  sc_background_save_put(save, g_strdup("first\n"));
  g_usleep(50 * 1000); /* the first write is under way */
  sc_background_save_put(save, g_strdup("last\n"));
  sc_background_save_free(save);
  sc_slow_disk_set(NULL, 0);
  assert_file(f->path, "last\n");
  assert_alone(f);
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = sc_test_tmpdir();
  f->path = g_build_filename(f->dir, "state.json", NULL);
  f->outcomes = g_ptr_array_new_with_free_func(g_free);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  drain(); /* no report left for the next test */
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->path);
  g_ptr_array_unref(f->outcomes);
  g_free(f);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_reaches_the_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slow_disk_latest_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failure_said_once_then_recovery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_writes_what_waits, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
