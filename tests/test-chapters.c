/* Chapters from the on-air audit log: what was on air when, in the show's
 * time, and the marks a player shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/chapters.h"
#include "tests/support/testutil.h"

#include <string.h>

/* A show whose first recorded frame had stream time 1000 ms. */
static const char audit[] =
    "{\"ts\":\"2026-11-23T10:00:02.000000Z\",\"stream_ms\":2000,\"asked_ms\":1966,\"kind\":"
    "\"product\","
    "\"detail\":{\"id\":\"down-jacket\",\"name\":\"羽绒服\",\"price\":\"199\",\"position\":\"1\"}}"
    "\n"
    "{\"ts\":\"2026-11-23T10:00:05.000000Z\",\"stream_ms\":5000,\"asked_ms\":4966,"
    "\"kind\":\"flash-start\",\"detail\":{\"id\":\"down-jacket\",\"ends\":\"x\"}}\n"
    "not json at all\n"
    "{\"ts\":\"2026-11-23T10:00:08.000000Z\",\"stream_ms\":8000,\"kind\":\"flash-ended\","
    "\"detail\":{\"id\":\"down-jacket\"}}\n"
    "{\"ts\":\"2026-11-23T10:00:09.000000Z\",\"stream_ms\":9000,\"asked_ms\":8966,"
    "\"kind\":\"coupon-show\",\"detail\":{\"id\":\"down-jacket\"}}\n"
    "{\"ts\":\"2026-11-23T10:00:12.000000Z\",\"stream_ms\":12000,\"asked_ms\":11966,"
    "\"kind\":\"product\",\"detail\":{\"id\":\"scarf\",\"name\":\"围巾=羊毛\",\"price\":\"59\"}}\n"
    "{\"ts\":\"2026-11-23T10:00:13.000000Z\",\"stream_ms\":13000,\"asked_ms\":12966,"
    "\"kind\":\"price-correction\",\"detail\":{\"id\":\"scarf\",\"price\":\"49\",\"was\":\"59\"}}\n"
    "{\"ts\":\"2026-11-23T10:00:15.000000Z\",\"stream_ms\":15000,\"asked_ms\":14966,"
    "\"kind\":\"closing-show\",\"detail\":{\"title\":\"t\"}}\n";

#define START_US (G_GINT64_CONSTANT(1795428000) * G_USEC_PER_SEC) /* 2026-11-23T10:00:00Z */

static void
assert_chapter(GPtrArray *chapters, guint i, ScChapterKind kind, const char *id, const char *title,
               guint64 start, guint64 end)
{
  assert_true(i < chapters->len);
  const ScChapter *c = g_ptr_array_index(chapters, i);
  assert_int_equal(c->kind, kind);
  assert_string_equal(c->id, id);
  assert_string_equal(c->title, title);
  assert_int_equal(c->start_ms, start);
  assert_int_equal(c->end_ms, end);
}

static void
test_from_audit(void **state)
{
  ScChapterShow show = {.start_us = START_US, .first_stream_ms = 1000, .duration_ms = 20000};
  g_autoptr(GPtrArray) c = sc_chapters_from_audit(audit, &show);
  assert_int_equal(c->len, 5);
  assert_chapter(c, 0, SC_CHAPTER_PRODUCT, "down-jacket", "羽绒服", 1000, 11000);
  assert_chapter(c, 1, SC_CHAPTER_FLASH_SALE, "down-jacket", "羽绒服", 4000, 7000);
  assert_chapter(c, 2, SC_CHAPTER_COUPON, "down-jacket", "羽绒服", 8000, 11000); /* ends with it */
  assert_chapter(c, 3, SC_CHAPTER_PRODUCT, "scarf", "围巾=羊毛", 11000, 14000);  /* closing card */
  assert_chapter(c, 4, SC_CHAPTER_PRICE_CORRECTION, "scarf", "¥59 → ¥49", 12000, 12000);
}

/* A product already on air when the show went live has a chapter from 0;
 * without a recording, times come from the wall clock. */
static void
test_on_air_at_start_and_wall_clock(void **state)
{
  ScChapterShow show = {.start_us = START_US + 500 * 1000,
                        .first_stream_ms = -1,
                        .duration_ms = 20000,
                        .product_id = "boots",
                        .product_name = "雪地靴"};
  g_autoptr(GPtrArray) c = sc_chapters_from_audit(audit, &show);
  assert_chapter(c, 0, SC_CHAPTER_PRODUCT, "boots", "雪地靴", 0, 1500);
  assert_chapter(c, 1, SC_CHAPTER_PRODUCT, "down-jacket", "羽绒服", 1500, 11500);
}

static void
test_marks_and_files(void **state)
{
  ScChapterShow show = {.start_us = START_US, .first_stream_ms = 1000, .duration_ms = 20000};
  g_autoptr(GPtrArray) c = sc_chapters_from_audit(audit, &show);
  g_autoptr(GArray) marks = sc_chapters_marks(c);
  assert_int_equal(marks->len, 4);
  const char *titles[] = {"羽绒服", "秒杀 · 羽绒服", "羽绒服", "围巾=羊毛"};
  guint64 starts[] = {1000, 4000, 7000, 11000};
  for (guint i = 0; i < marks->len; i++) {
    assert_string_equal(g_array_index(marks, ScChapterMark, i).title, titles[i]);
    assert_int_equal(g_array_index(marks, ScChapterMark, i).start_ms, starts[i]);
  }
  g_autofree char *ffmeta = sc_chapters_to_ffmetadata(marks, 20000);
  assert_true(g_str_has_prefix(ffmeta, ";FFMETADATA1\n"));
  assert_non_null(strstr(ffmeta, "START=11000\nEND=20000\ntitle=围巾\\=羊毛\n"));
  g_autofree char *json = sc_chapters_to_json(c);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) back = sc_chapters_from_json(json, &error);
  assert_non_null(back);
  assert_int_equal(back->len, c->len);
  assert_chapter(back, 4, SC_CHAPTER_PRICE_CORRECTION, "scarf", "¥59 → ¥49", 12000, 12000);
  assert_null(sc_chapters_from_json("[{\"kind\":\"dance\"}]", &error));
}

static void
assert_same_chapters(GPtrArray *a, GPtrArray *b)
{
  assert_int_equal(a->len, b->len);
  for (guint i = 0; i < a->len; i++) {
    const ScChapter *c = g_ptr_array_index(b, i);
    assert_chapter(a, i, c->kind, c->id, c->title, c->start_ms, c->end_ms);
  }
}

/* A show on air: its audit lines read as they come, a few at a time, give
 * the chapters the whole text gives, with the recording's start known or
 * not yet. */
static void
test_log_read_as_it_comes(void **state)
{
  ScChapterShow wall = {.start_us = START_US, .first_stream_ms = -1, .duration_ms = 20000};
  ScChapterShow stream = {.start_us = START_US, .first_stream_ms = 1000, .duration_ms = 20000};
  g_autoptr(ScChapterLog) log = sc_chapter_log_new();
  const char *at = audit;
  for (guint n = 1; *at; n++) { /* 1 line, then 2, then 3... */
    const char *end = at;
    for (guint i = 0; i < n && *end; i++)
      end = strchr(end, '\n') + 1;
    sc_chapter_log_add(log, at, end - at);
    at = end;
  }
  g_autoptr(GPtrArray) from_wall = sc_chapter_log_get_chapters(log, &wall);
  g_autoptr(GPtrArray) whole_wall = sc_chapters_from_audit(audit, &wall);
  assert_same_chapters(from_wall, whole_wall);
  g_autoptr(GPtrArray) from_stream = sc_chapter_log_get_chapters(log, &stream);
  g_autoptr(GPtrArray) whole_stream = sc_chapters_from_audit(audit, &stream);
  assert_same_chapters(from_stream, whole_stream);
  assert_chapter(from_stream, 3, SC_CHAPTER_PRODUCT, "scarf", "围巾=羊毛", 11000, 14000);
}

/* What makes no chapter (stock, lower thirds, prices on the card...) takes
 * no memory however long the show: only chapter entries are kept. */
static void
test_log_keeps_only_chapter_entries(void **state)
{
  if (!sc_test_heap_measurable())
    return;
  g_autoptr(ScChapterLog) log = sc_chapter_log_new();
  sc_chapter_log_add(log, audit, strlen(audit));
  gsize before = sc_test_heap_in_use();
  for (int i = 0; i < 2000; i++) {
    g_autofree char *lines = g_strdup_printf(
        "{\"ts\":\"2026-11-23T10:00:16.000000Z\",\"stream_ms\":%d,\"kind\":\"stock-show\","
        "\"detail\":{\"id\":\"scarf\",\"stock\":\"%d\"}}\n"
        "{\"ts\":\"2026-11-23T10:00:16.000000Z\",\"stream_ms\":%d,\"kind\":\"lower-third\","
        "\"detail\":{\"name\":\"小雅\",\"role\":\"主播\"}}\n",
        16000 + i, 300 - i % 300, 16000 + i);
    sc_chapter_log_add(log, lines, strlen(lines));
  }
  gsize after = sc_test_heap_in_use();
  if (after > before + 1024)
    fail_msg("4000 lines that make no chapter took %" G_GSIZE_FORMAT " bytes", after - before);
  ScChapterShow show = {.start_us = START_US, .first_stream_ms = 1000, .duration_ms = 20000};
  g_autoptr(GPtrArray) c = sc_chapter_log_get_chapters(log, &show);
  assert_int_equal(c->len, 5);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_from_audit),
      cmocka_unit_test(test_on_air_at_start_and_wall_clock),
      cmocka_unit_test(test_marks_and_files),
      cmocka_unit_test(test_log_read_as_it_comes),
      cmocka_unit_test(test_log_keeps_only_chapter_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
