/* Tests for firmware/events.c: the event journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/events.h"
#include "tests/support/testutil.h"

#include <string.h>

/* 2026-11-23T10:15:02.123456Z */
#define T0 G_GINT64_CONSTANT(1795428902123456)

static void
test_keeps_the_latest_in_order(void **state)
{
  g_autoptr(ScEventLog) log = sc_event_log_new(3);
  for (int i = 0; i < 5; i++) {
    g_autofree char *subject = g_strdup_printf("d%d", i);
    sc_event_log_add(log, T0 + i, FALSE, "output", subject, "live", NULL);
  }
  assert_int_equal(sc_event_log_get_count(log), 3);
  assert_int_equal(sc_event_log_get_total(log), 5);
  g_autofree char *all = sc_event_log_to_json_lines(log, 0);
  /* the oldest two fell out; the rest come oldest first */
  assert_null(strstr(all, "\"d1\""));
  const char *d2 = strstr(all, "\"d2\""), *d3 = strstr(all, "\"d3\""), *d4 = strstr(all, "\"d4\"");
  assert_true(d2 && d3 && d4 && d2 < d3 && d3 < d4);
  g_autofree char *last = sc_event_log_to_json_lines(log, 1);
  assert_non_null(strstr(last, "\"d4\""));
  assert_null(strstr(last, "\"d3\""));
  g_autofree char *more = sc_event_log_to_json_lines(log, 10); /* more than held: all */
  assert_string_equal(more, all);
}

static void
test_json_lines(void **state)
{
  g_autoptr(ScEventLog) log = sc_event_log_new(10);
  sc_event_log_add(log, T0, TRUE, "uplink", "wired", "failed",
                   "no echo reply for 700 ms \"quoted\"\n\\ tab\t");
  sc_event_log_add(log, T0 + 1000000, FALSE, "uplink-choice", "lte", "chosen", NULL);
  g_autofree char *text = sc_event_log_to_json_lines(log, 0);
  assert_string_equal(text, "{\"ts\":\"2026-11-23T10:15:02.123456Z\",\"kind\":\"uplink\","
                            "\"subject\":\"wired\",\"state\":\"failed\",\"detail\":\"no echo reply "
                            "for 700 ms \\\"quoted\\\"\\u000a\\\\ tab\\u0009\"}\n"
                            "{\"ts\":\"2026-11-23T10:15:03.123456Z\",\"kind\":\"uplink-choice\","
                            "\"subject\":\"lte\",\"state\":\"chosen\"}\n");
}

static void
test_empty(void **state)
{
  g_autoptr(ScEventLog) log = sc_event_log_new(0); /* at least one is kept */
  g_autofree char *none = sc_event_log_to_json_lines(log, 0);
  assert_string_equal(none, "");
  sc_event_log_add(log, T0, FALSE, "drill", "wired", "started", NULL);
  sc_event_log_add(log, T0, FALSE, "drill", "wired", "ended", NULL);
  assert_int_equal(sc_event_log_get_count(log), 1);
  g_autofree char *one = sc_event_log_to_json_lines(log, 0);
  assert_non_null(strstr(one, "\"ended\""));
}

/* What does not fit its slot is cut at a character, with an ellipsis; the
 * rest of the event stays whole. */
static void
test_long_fields_cut(void **state)
{
  g_autoptr(ScEventLog) log = sc_event_log_new(2);
  g_autoptr(GString) detail = g_string_new(NULL);
  for (int i = 0; i < 300; i++)
    g_string_append(detail, "小"); /* 3 bytes each: 900 in all */
  g_autofree char *subject = g_strnfill(100, 's');
  sc_event_log_add(log, T0, FALSE, "recording", subject, "failed", detail->str);
  g_autofree char *line = sc_event_log_to_json_lines(log, 0);
  assert_true(g_utf8_validate(line, -1, NULL));
  /* the subject: 61 bytes kept and the ellipsis, 64 in all */
  g_autofree char *cut_subject = g_strdup_printf("\"subject\":\"%.*s…\"", 61, subject);
  assert_non_null(strstr(line, cut_subject));
  assert_non_null(strstr(line, "\"state\":\"failed\""));
  const char *d = strstr(line, "\"detail\":\"");
  assert_non_null(d);
  d += strlen("\"detail\":\"");
  const char *end = strstr(d, "…\"}");
  assert_non_null(end);
  /* whole characters only, and as many as the slot holds */
  assert_int_equal((end - d) % 3, 0);
  assert_true(end - d > 200 && end - d < 512);
  for (const char *c = d; c < end; c += 3)
    assert_memory_equal(c, "小", 3);
}

/* A full journal weighs what an empty one does: events come and go in the
 * slots taken at start. */
static void
test_no_memory_as_it_fills(void **state)
{
  if (!sc_test_heap_measurable())
    return;
  g_autoptr(ScEventLog) log = sc_event_log_new(200);
  g_autofree char *detail = g_strnfill(300, 'd');
  /* the first event: the log's own first use allocates */
  sc_event_log_add(log, T0, FALSE, "output", "douyin", "retrying", detail);
  gsize before = sc_test_heap_in_use();
  for (int i = 0; i < 1000; i++) {
    g_autofree char *subject = g_strdup_printf("destination %d", i);
    sc_event_log_add(log, T0 + i, FALSE, "output", subject, "retrying", detail);
  }
  gsize after = sc_test_heap_in_use();
  assert_int_equal(sc_event_log_get_count(log), 200);
  if (after > before + 1024)
    fail_msg("the journal grew by %" G_GSIZE_FORMAT " bytes over 1000 events", after - before);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keeps_the_latest_in_order),
      cmocka_unit_test(test_json_lines),
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_long_fields_cut),
      cmocka_unit_test(test_no_memory_as_it_fills),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
