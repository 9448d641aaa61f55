/* The post-show report from a show's folder: the figures at the top, the
 * destinations' uptime and reconnects from the journal, failovers as changes
 * of uplink, clipping periods, the operator's figures and the seed's
 * formulas, in the CSV and the page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/report.h"
#include "tests/support/testutil.h"

#include <string.h>

/* 100 s from 10:00:00; the destination is live 10:00:01-10:00:31 and
 * 10:00:41-10:01:40: 89 s of 100; the uplink goes wired -> lte -> wired. */
static const char show_json[] =
    "{\"id\":\"2026-11-23T100000Z\",\"title\":\"冬季专场\",\"started\":\"2026-11-23T10:00:00."
    "000000Z\","
    "\"ended\":\"2026-11-23T10:01:40.000000Z\",\"duration_ms\":100000,\"first_stream_ms\":0,"
    "\"product_at_start\":null,\"recording\":{\"enabled\":true,\"state\":\"stopped\",\"stop\":"
    "\"ended\",\"segments\":[{\"file\":\"segment-001.mkv\",\"start_ms\":0}],\"video_frames\":3000,"
    "\"bytes\":1000000,\"dropped_tags\":0}}\n";

static const char events[] =
    "{\"ts\":\"2026-11-23T09:59:50.000000Z\",\"kind\":\"uplink-choice\",\"subject\":\"wired\","
    "\"state\":\"chosen\"}\n"
    "{\"ts\":\"2026-11-23T10:00:00.000000Z\",\"kind\":\"show\",\"subject\":\"live\",\"state\":\"on "
    "air\"}\n"
    "{\"ts\":\"2026-11-23T10:00:00.100000Z\",\"kind\":\"output\",\"subject\":\"douyin\","
    "\"state\":\"connecting\"}\n"
    "{\"ts\":\"2026-11-23T10:00:01.000000Z\",\"kind\":\"output\",\"subject\":\"douyin\",\"state\":"
    "\"live\"}\n"
    "{\"ts\":\"2026-11-23T10:00:31.000000Z\",\"kind\":\"output\",\"subject\":\"douyin\","
    "\"state\":\"retrying\",\"detail\":\"connection reset\"}\n"
    "{\"ts\":\"2026-11-23T10:00:31.500000Z\",\"kind\":\"uplink-choice\",\"subject\":\"lte\","
    "\"state\":\"chosen\",\"detail\":\"wired failed\"}\n"
    "{\"ts\":\"2026-11-23T10:00:41.000000Z\",\"kind\":\"output\",\"subject\":\"douyin\",\"state\":"
    "\"live\"}\n"
    "{\"ts\":\"2026-11-23T10:00:50.000000Z\",\"kind\":\"output\",\"subject\":\"douyin\","
    "\"state\":\"reconnect\",\"detail\":\"asked by the operator\"}\n"
    "{\"ts\":\"2026-11-23T10:01:10.000000Z\",\"kind\":\"uplink-choice\",\"subject\":\"wired\","
    "\"state\":\"chosen\"}\n"
    "{\"ts\":\"2026-11-23T10:01:40.000000Z\",\"kind\":\"show\",\"subject\":\"live\",\"state\":"
    "\"off air\"}\n";

static const char audit[] =
    "{\"ts\":\"2026-11-23T10:00:02.000000Z\",\"stream_ms\":2000,\"kind\":\"product\","
    "\"detail\":{\"id\":\"a\",\"name\":\"羽绒服\"}}\n"
    "{\"ts\":\"2026-11-23T10:00:20.000000Z\",\"stream_ms\":20000,\"kind\":\"flash-start\","
    "\"detail\":{\"id\":\"a\"}}\n"
    "{\"ts\":\"2026-11-23T10:00:50.000000Z\",\"stream_ms\":50000,\"kind\":\"product\","
    "\"detail\":{\"id\":\"b\",\"name\":\"<围巾>\"}}\n";

/* Three samples: 1 MB/s sent, 10 tags dropped in the last second, the mic
 * clipped in the second one. */
static const char samples[] =
    "{\"t_ms\":1000,\"frames\":30,\"clipped\":0,\"dest\":[{\"name\":\"douyin\",\"state\":\"live\","
    "\"bytes\":0,\"dropped\":0}]}\n"
    "{\"t_ms\":2000,\"frames\":60,\"clipped\":3,\"dest\":[{\"name\":\"douyin\",\"state\":\"live\","
    "\"bytes\":1000000,\"dropped\":0}]}\n"
    "{\"t_ms\":3000,\"frames\":90,\"clipped\":3,\"dest\":[{\"name\":\"douyin\",\"state\":\"live\","
    "\"bytes\":2000000,\"dropped\":10}]}\n";

static void
write_show(void)
{
  g_free(sc_test_write_file(sc_test_dir, "show.json", show_json));
  g_free(sc_test_write_file(sc_test_dir, "events.jsonl", events));
  g_free(sc_test_write_file(sc_test_dir, "audit.jsonl", audit));
  g_free(sc_test_write_file(sc_test_dir, "samples.jsonl", samples));
}

static char *
read_report(const char *name)
{
  g_autofree char *path = g_build_filename(sc_test_dir, name, NULL);
  char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

static void
assert_row(const char *csv, const char *row)
{
  if (strstr(csv, row) == NULL)
    fail_msg("report.csv has no line %s; it is:\n%s", row, csv);
}

static void
test_figures(void **state)
{
  write_show();
  g_autoptr(GError) error = NULL;
  assert_true(sc_report_generate(sc_test_dir, &error));
  g_autofree char *csv = read_report("report.csv");
  assert_true(g_str_has_prefix(csv, "section,name,start_s,end_s,duration_s,value\n"));
  assert_row(csv, "\nfigure,\"duration_s\",,,,\"100.000\"\n");
  assert_row(csv, "\nfigure,\"products\",,,,\"2\"\n");
  assert_row(csv, "\nfigure,\"flash_sales\",,,,\"1\"\n");
  assert_row(csv, "\nfigure,\"failovers\",,,,\"2\"\n"); /* wired -> lte -> wired */
  assert_row(csv, "\nfigure,\"reconnects\",,,,\"1\"\n");
  assert_row(csv, "\nfigure,\"operator_reconnects\",,,,\"1\"\n");
  assert_row(csv, "\nuptime_pct,\"douyin\",,,,\"89.00\"\n");
  assert_row(csv, "\ndropped,\"douyin\",,,,\"10\"\n");
  assert_row(csv, "\nfigure,\"clipping_s\",,,,\"1\"\n");
  assert_row(csv, "\nclipping,\"mic\",1.000,2.000,1.000,\"3\"\n");
  assert_row(csv, "\nproduct,\"a 羽绒服\",2.000,50.000,48.000,\"\"\n");
  assert_row(csv, "\nflash-sale,\"a 羽绒服\",20.000,50.000,30.000,\"\"\n");
  assert_row(csv, "\nderived,\"转化率 = 下单人数 / 观看人数 (conversion)\",,,,\"-\"\n");
  g_autofree char *html = read_report("report.html");
  assert_non_null(strstr(html, "<title>复盘 冬季专场</title>"));
  assert_non_null(strstr(html, "&lt;围巾&gt;")); /* escaped */
  assert_non_null(strstr(html, "<polyline"));    /* bitrate and drops plotted */
  assert_non_null(strstr(html, ">8000 kb/s<"));  /* 1 MB/s: the top of the bitrate plot */
}

static void
test_operator_figures(void **state)
{
  write_show();
  g_autoptr(GError) error = NULL;
  assert_true(sc_report_set_figure(sc_test_dir, "viewers", "12000", &error));
  assert_true(sc_report_set_figure(sc_test_dir, "buyers", "360", &error));
  assert_true(sc_report_set_figure(sc_test_dir, "gmv", "54000.5", &error));
  assert_true(sc_report_set_figure(sc_test_dir, "orders", "400", &error));
  assert_true(sc_report_set_figure(sc_test_dir, "orders", "-", &error)); /* cleared */
  assert_false(sc_report_set_figure(sc_test_dir, "viewers", "lots", &error));
  assert_non_null(strstr(error->message, "not a whole count"));
  g_clear_error(&error);
  assert_false(sc_report_set_figure(sc_test_dir, "likes", "1", &error));
  assert_non_null(strstr(error->message, "unknown figure 'likes'"));
  g_clear_error(&error);
  assert_true(sc_report_generate(sc_test_dir, &error));
  g_autofree char *csv = read_report("report.csv");
  assert_row(csv, "\noperator,\"观看人数 (viewers)\",,,,\"12000\"\n");
  assert_row(csv, "\noperator,\"订单数 (orders)\",,,,\"-\"\n");
  assert_row(csv, "\noperator,\"成交金额 GMV (¥)\",,,,\"54000.50\"\n");
  assert_row(csv, "\nderived,\"转化率 = 下单人数 / 观看人数 (conversion)\",,,,\"3.00%\"\n");
  assert_row(csv, "\nderived,\"客单价 = 成交金额 / 下单人数 (¥ per buyer)\",,,,\"150.00\"\n");
  assert_row(csv, "\nderived,\"UV价值 = 成交金额 / 观看人数 (¥ per viewer)\",,,,\"4.50\"\n");
  g_autofree char *html = read_report("report.html");
  assert_non_null(strstr(html, "转化率 = 下单人数 / 观看人数"));
}

static void
test_no_show(void **state)
{
  g_autoptr(GError) error = NULL;
  assert_false(sc_report_generate(sc_test_dir, &error));
  assert_non_null(strstr(error->message, "show.json"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_figures, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_operator_figures, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_no_show, sc_test_dir_setup, sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
