/* Retention: the oldest shows go first, never the one on air, and nothing
 * that is not a show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/retention.h"
#include "tests/support/testutil.h"

#include <glib/gstdio.h>

static void
make_show(const char *name)
{
  g_autofree char *dir = g_build_filename(sc_test_dir, name, NULL);
  g_mkdir(dir, 0755);
  g_free(sc_test_write_file(dir, "show.json", "{}"));
  g_free(sc_test_write_file(dir, "segment-001.mkv", "media"));
}

static gboolean
exists(const char *name)
{
  g_autofree char *path = g_build_filename(sc_test_dir, name, NULL);
  return g_file_test(path, G_FILE_TEST_EXISTS);
}

static guint deleted;

static void
on_deleted(const char *show, guint64 free_bytes, gpointer data)
{
  deleted++;
}

static void
setup_shows(void)
{
  make_show("2026-11-21T100000Z");
  make_show("2026-11-22T100000Z");
  make_show("2026-11-23T100000Z");
  g_autofree char *other = g_build_filename(sc_test_dir, "not-a-show", NULL);
  g_mkdir(other, 0755);
  deleted = 0;
}

static void
test_keep_shows(void **state)
{
  setup_shows();
  g_autoptr(GPtrArray) shows = sc_retention_list(sc_test_dir);
  assert_int_equal(shows->len, 3);
  assert_string_equal(g_ptr_array_index(shows, 0), "2026-11-21T100000Z");
  assert_int_equal(sc_retention_apply(sc_test_dir, NULL, 0, 2, on_deleted, NULL), 1);
  assert_int_equal(deleted, 1);
  assert_false(exists("2026-11-21T100000Z"));
  assert_true(exists("2026-11-22T100000Z"));
  assert_true(exists("not-a-show"));
}

/* A disk that never has enough room: every show goes but the one on air. */
static void
test_keep_free_never_current(void **state)
{
  setup_shows();
  assert_int_equal(
      sc_retention_apply(sc_test_dir, "2026-11-21T100000Z", G_MAXUINT64, 0, on_deleted, NULL), 2);
  assert_true(exists("2026-11-21T100000Z"));
  assert_false(exists("2026-11-22T100000Z"));
  assert_false(exists("2026-11-23T100000Z"));
  assert_true(exists("not-a-show"));
  /* room enough: nothing goes */
  assert_int_equal(sc_retention_apply(sc_test_dir, NULL, 0, 0, on_deleted, NULL), 0);
  assert_true(exists("2026-11-21T100000Z"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_keep_shows, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_keep_free_never_current, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
