/* Tests for firmware/safe-file.c through the technician's config save
 * (firmware/config-edit.c, what POST /api/v1/config runs): a save killed at
 * any instant (SIGKILL, the nearest a test gets to a power cut without
 * losing the page cache) leaves the config either complete and old or
 * complete and new, and it always loads; what a killed save left behind is
 * gone after the next save. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/config-edit.h"
#include "firmware/config.h"
#include "firmware/safe-file.h"
#include "tests/support/testutil.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILLS      300 /* saves killed */
#define TIME_LIMIT 40  /* s, at most */

static const char base_config[] = "# the studio's box\n"
                                  "[box]\nboard = sim\n"
                                  "[video]\nbitrate = 2500\n"
                                  "[destination douyin]\nurl = rtmp://push.example.com/live\n"
                                  "key = abcdef0123456789\n";

/* The change set the panel would send: a new bitrate. */
static JsonObject *
bitrate_change(guint kbps)
{
  g_autofree char *text = g_strdup_printf("{\"groups\":{\"video\":{\"bitrate\":\"%u\"}}}", kbps);
  g_autoptr(JsonParser) parser = json_parser_new();
  assert_true(json_parser_load_from_data(parser, text, -1, NULL));
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static char *
read_text(const char *path)
{
  char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

/* What a completed save of @kbps over @old_text writes, from a scratch copy. */
static char *
saved_text(const char *old_text, guint kbps)
{
  g_autofree char *scratch = sc_test_tmpdir();
  g_autofree char *path = sc_test_write_file(scratch, "shopcast.ini", old_text);
  g_autoptr(JsonObject) change = bitrate_change(kbps);
  g_autoptr(GError) error = NULL;
  assert_true(sc_config_edit_apply(path, change, &error));
  char *text = read_text(path);
  sc_test_rmtree(scratch);
  return text;
}

/* Files in @dir other than @keep. */
static guint
others_in(const char *dir, const char *keep)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  assert_non_null(d);
  guint n = 0;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL)
    n += strcmp(name, keep) != 0;
  return n;
}

/* A child saves; the parent kills it @delay_us later (or it finishes first).
 * Returns how long the child lived. */
static guint
save_killed_after(const char *path, guint kbps, guint delay_us)
{
  gint64 start = g_get_monotonic_time();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    JsonObject *change = bitrate_change(kbps);
    gboolean saved = sc_config_edit_apply(path, change, NULL);
    json_object_unref(change); /* _exit() runs no cleanup, and Memcheck counts leaks here */
    _exit(saved ? 0 : 1);
  }
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && g_get_monotonic_time() - start < delay_us)
    ; /* spin: a sleep would overshoot the short delays */
  if (done == 0) {
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
  }
  if (WIFEXITED(status))
    assert_int_equal(WEXITSTATUS(status), 0);
  return (guint)(g_get_monotonic_time() - start);
}

/* How long one whole save takes here, from the fork to the child's exit
 * (the shortest of a few). */
static guint
save_duration_us(const char *path)
{
  guint best = G_MAXUINT;
  for (guint i = 0; i < 5; i++)
    best = MIN(best, save_killed_after(path, 2500, 2 * G_USEC_PER_SEC));
  return best;
}

static void
test_killed_saves_leave_old_or_new(void **state)
{
  g_autofree char *path = sc_test_write_file(sc_test_dir, "shopcast.ini", base_config);
  guint span_us = save_duration_us(path) * 3 / 2;
  guint olds = 0, news = 0, leftovers = 0;
  gint64 deadline = g_get_monotonic_time() + TIME_LIMIT * G_USEC_PER_SEC;
  for (guint i = 0; i < KILLS && g_get_monotonic_time() < deadline; i++) {
    g_autofree char *old_text = read_text(path);
    guint kbps = 3000 + i;
    g_autofree char *new_text = saved_text(old_text, kbps);
    save_killed_after(path, kbps, g_random_int_range(0, (gint32)span_us));
    g_autofree char *now = read_text(path);
    if (strcmp(now, old_text) == 0)
      olds++;
    else if (strcmp(now, new_text) == 0)
      news++;
    else
      fail_msg("save %u killed: the config is neither old nor new:\n%s", i, now);
    g_autoptr(GError) error = NULL;
    g_autoptr(ScConfig) config = sc_config_load(path, &error);
    if (config == NULL)
      fail_msg("save %u killed: the config does not load: %s", i, error->message);
    leftovers += others_in(sc_test_dir, "shopcast.ini") > 0;
  }
  g_print("%u killed saves over %u us: %u left the old config, %u the new; %u left a temporary\n",
          olds + news, span_us, olds, news, leftovers);
  /* the kills landed before and after the rename, and some in the middle */
  assert_true(olds > 0);
  assert_true(news > 0);
  assert_true(leftovers > 0);
  /* the next save cleans up */
  g_autoptr(JsonObject) change = bitrate_change(4500);
  g_autoptr(GError) error = NULL;
  assert_true(sc_config_edit_apply(path, change, &error));
  assert_int_equal(others_in(sc_test_dir, "shopcast.ini"), 0);
  g_autoptr(ScConfig) config = sc_config_load(path, &error);
  assert_non_null(config);
  assert_int_equal(config->media.video_bitrate_kbps, 4500);
}

/* sc_file_replace() removes only its own leftovers, never another file. */
static void
test_only_own_temps_removed(void **state)
{
  g_autofree char *path = sc_test_write_file(sc_test_dir, "passwords", "old\n");
  g_free(sc_test_write_file(sc_test_dir, "passwords.new-a1B2c3", "stale"));
  g_free(sc_test_write_file(sc_test_dir, "passwords.new-keep", "not ours"));
  g_free(sc_test_write_file(sc_test_dir, "other.new-a1B2c3", "another file's"));
  g_autoptr(GError) error = NULL;
  assert_true(sc_file_replace(path, "new\n", 4, 0600, &error));
  g_autofree char *now = read_text(path);
  assert_string_equal(now, "new\n");
  g_autofree char *stale = g_build_filename(sc_test_dir, "passwords.new-a1B2c3", NULL);
  g_autofree char *keep = g_build_filename(sc_test_dir, "passwords.new-keep", NULL);
  g_autofree char *other = g_build_filename(sc_test_dir, "other.new-a1B2c3", NULL);
  assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(keep, G_FILE_TEST_EXISTS));
  assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_killed_saves_leave_old_or_new, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_only_own_temps_removed, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
