/* Tests for firmware/log.c: structured log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/log.h"

#include <string.h>

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

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line_shape),
      cmocka_unit_test(test_levels_and_quoting),
      cmocka_unit_test(test_control_characters_escaped),
      cmocka_unit_test(test_parse_level),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
