/* Tests for firmware/log.c: structured log lines and the latest ones kept. */
#define G_LOG_DOMAIN "shopcast-test"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/log.h"
#include "tests/support/testutil.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char *
format(GLogLevelFlags level, const GLogField *fields, gsize n)
{
  /* 2026-11-23 02:00:00.250 UTC */
  g_setenv("TZ", "UTC", TRUE);
  return sc_log_format(level, fields, n, G_GINT64_CONSTANT(1795399200250000));
}

static void
test_line_shape(void **state)
{
  GLogField fields[] = {
      {"GLIB_DOMAIN", "shopcast-output", -1},
      {"MESSAGE", "destination douyin: live", -1},
      {"DEST", "douyin", -1},
      {"PRIORITY", "6", -1},
      {"CODE_FILE", "output.c", -1},
  };
  g_autofree char *line = format(G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS(fields));
  assert_string_equal(line, "ts=2026-11-23T02:00:00.250+00:00 level=info module=output "
                            "msg=\"destination douyin: live\" dest=douyin");
}

static void
test_levels_and_quoting(void **state)
{
  GLogField fields[] = {
      {"MESSAGE", "plain", -1},
      {"REASON", "said \"no\"\nthen closed", -1},
      {"EMPTY", "", -1},
  };
  g_autofree char *warn = format(G_LOG_LEVEL_WARNING, fields, G_N_ELEMENTS(fields));
  assert_non_null(strstr(warn, " level=warning module=shopcastd msg=plain "));
  assert_non_null(strstr(warn, "reason=\"said \\\"no\\\"\\nthen closed\""));
  assert_null(strstr(warn, "empty=")); /* empty fields are left out */
  assert_null(strchr(warn, '\n'));     /* one line, always */
  g_autofree char *crit = format(G_LOG_LEVEL_CRITICAL, fields, 1);
  assert_non_null(strstr(crit, "level=critical"));
  g_autofree char *dbg = format(G_LOG_LEVEL_DEBUG, fields, 1);
  assert_non_null(strstr(dbg, "level=debug"));
}

static void
test_control_characters_escaped(void **state)
{
  GLogField fields[] = {{"MESSAGE",
                         "a\x01"
                         "b\tc",
                         -1}};
  g_autofree char *line = format(G_LOG_LEVEL_MESSAGE, fields, 1);
  assert_non_null(strstr(line, "msg=\"a\\x01b\\x09c\""));
}

static void
test_parse_level(void **state)
{
  ScLogLevel level = SC_LOG_ERROR;
  assert_true(sc_log_level_parse("debug", &level));
  assert_int_equal(level, SC_LOG_DEBUG);
  assert_true(sc_log_level_parse("warning", &level));
  assert_int_equal(level, SC_LOG_WARNING);
  assert_false(sc_log_level_parse("verbose", &level));
  assert_false(sc_log_level_parse(NULL, &level));
  assert_int_equal(level, SC_LOG_WARNING);
}

/* stderr on /dev/null while the tests log; gives the real one back. */
static int
mute_stderr(void)
{
  int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
  assert_true(saved >= 0 && null >= 0);
  dup2(null, STDERR_FILENO);
  close(null);
  return saved;
}

static void
unmute_stderr(int saved)
{
  dup2(saved, STDERR_FILENO);
  close(saved);
}

/* Logs lines "line N <pad>" for N in [@from, @to), stderr muted. */
static void
log_lines(int from, int to, gsize pad)
{
  g_autofree char *padding = g_strnfill(pad, 'p');
  int saved = mute_stderr();
  for (int i = from; i < to; i++)
    g_info("line %d %s", i, padding);
  unmute_stderr(saved);
}

static int
recent_setup(void **state)
{
  sc_log_init(SC_LOG_INFO); /* once a process: GLib takes one writer */
  return 0;
}

/* The latest lines come whole and in order, oldest first, and weigh at most
 * the ring's 512 kB however many were written. */
static void
test_recent_keeps_the_latest_whole_lines(void **state)
{
  log_lines(0, 4000, 200);
  g_autofree char *recent = sc_log_recent();
  gsize len = strlen(recent);
  assert_true(len <= 512 * 1024);
  assert_true(len > 500 * 1024); /* full, less at most one line */
  assert_int_equal(recent[len - 1], '\n');
  g_auto(GStrv) lines = g_strsplit(recent, "\n", -1);
  guint n = g_strv_length(lines) - 1; /* after the last newline: "" */
  assert_true(n > 1000 && n < 4000);
  for (guint i = 0; i < n; i++) {
    g_autofree char *want = g_strdup_printf("msg=\"line %u ", 4000 - n + i);
    if (!g_str_has_prefix(lines[i], "ts=") || strstr(lines[i], want) == NULL)
      fail_msg("line %u of %u is not the line logged %uth: %.80s", i, n, 4000 - n + i, lines[i]);
  }
}

/* A line longer than 4 kB is kept cut at a character, with an ellipsis. */
static void
test_recent_cuts_a_long_line(void **state)
{
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 3000; i++)
    g_string_append(text, "小");
  int saved = mute_stderr();
  g_info("%s", text->str);
  g_info("after");
  unmute_stderr(saved);
  g_string_free(text, TRUE);
  g_autofree char *recent = sc_log_recent();
  g_auto(GStrv) lines = g_strsplit(recent, "\n", -1);
  guint n = g_strv_length(lines) - 1;
  assert_true(n >= 2);
  const char *cut = lines[n - 2];
  assert_true(strlen(cut) + 1 <= 4096 && strlen(cut) > 4000);
  assert_true(g_utf8_validate(cut, -1, NULL));
  assert_true(g_str_has_suffix(cut, "小…"));
  assert_non_null(strstr(lines[n - 1], "msg=after"));
}

/* Writing lines takes no memory once logging started, from an empty ring to
 * a full one and on: they come and go in the ring taken at start. */
static void
test_recent_no_memory_as_it_fills(void **state)
{
  if (!sc_test_heap_measurable())
    return;
  log_lines(0, 10, 300); /* GLib's own first use of anything */
  gsize before = sc_test_heap_in_use();
  log_lines(10, 3010, 300); /* about twice what the ring holds */
  gsize after = sc_test_heap_in_use();
  if (after > before + 1024)
    fail_msg("logging grew the heap by %" G_GSIZE_FORMAT " bytes over 3000 lines", after - before);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line_shape),
      cmocka_unit_test(test_levels_and_quoting),
      cmocka_unit_test(test_control_characters_escaped),
      cmocka_unit_test(test_parse_level),
  };
  /* after sc_log_init(), in this order: the first fills the ring from empty */
  const struct CMUnitTest recent[] = {
      cmocka_unit_test(test_recent_no_memory_as_it_fills),
      cmocka_unit_test(test_recent_keeps_the_latest_whole_lines),
      cmocka_unit_test(test_recent_cuts_a_long_line),
  };
  g_autofree char *before_init = sc_log_recent();
  if (before_init[0] != '\0')
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL) |
         cmocka_run_group_tests_name("recent", recent, recent_setup, NULL);
}
