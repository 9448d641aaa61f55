/* The control API's files, as a client on the studio LAN meets them: the
 * show's recording (its state in the status, its endpoint and the metrics),
 * the post-show report (figures typed in, the HTML and the CSV downloaded,
 * also through shopcastctl on the box), and a firmware bundle uploaded for an
 * update, guarded by role, CSRF token and the show being off air. */
#include "tests/support/api-fixture.h"
#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* ---- the recording and the post-show report ---- */

/* The status, once it holds @needle (at most @timeout_s). */
static char *
wait_status(Fixture *f, const Login *login, const char *needle, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
  char *body = NULL;
  do {
    g_free(body);
    Reply r = call(f, "GET", "/api/v1/status", NULL, login);
    assert_int_equal(r.status, 200);
    body = g_steal_pointer(&r.body);
    reply_clear(&r);
    if (strstr(body, needle))
      return body;
    g_usleep(200 * 1000);
  } while (g_get_monotonic_time() < deadline);
  fail_msg("the status never said %s: %s", needle, body);
  return NULL;
}

/* The status' recording.show. */
static char *
recorded_show(const char *status)
{
  g_autoptr(JsonParser) p = json_parser_new();
  assert_true(json_parser_load_from_data(p, status, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(p));
  JsonObject *rec = json_object_get_object_member(o, "recording");
  assert_non_null(rec);
  return g_strdup(json_object_get_string_member(rec, "show"));
}

/* A sample without labels from /metrics. */
static double
metric(Fixture *f, const Login *login, const char *name)
{
  Reply r = call(f, "GET", "/metrics", NULL, login);
  assert_int_equal(r.status, 200);
  g_autofree char *key = g_strconcat("\n", name, " ", NULL);
  const char *at = strstr(r.body, key);
  if (at == NULL)
    fail_msg("no %s in the metrics:\n%s", name, r.body);
  double value = g_ascii_strtod(at + strlen(key), NULL);
  reply_clear(&r);
  return value;
}

static void
expect(Fixture *f, const char *method, const char *path, const char *body, const Login *login,
       guint status, const char *says)
{
  Reply r = call(f, method, path, body, login);
  g_print("%s %s -> %u %.200s\n", method, path, r.status, r.body);
  assert_int_equal(r.status, status);
  if (says)
    assert_non_null(strstr(r.body, says));
  reply_clear(&r);
}

/* While live: the recording in the status, its endpoint and the metrics; no
 * report to download yet. */
static char *
check_recording_live(Fixture *f, const Login *oper)
{
  g_autofree char *status = wait_status(
      f, oper, "\"recording\":{\"enabled\":true,\"state\":\"recording\",\"live\":true", 15);
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (metric(f, oper, "shopcast_recording_bytes_total") <= 0 &&
         g_get_monotonic_time() < deadline)
    g_usleep(200 * 1000);
  assert_true(metric(f, oper, "shopcast_recording_bytes_total") > 0);
  assert_true(metric(f, oper, "shopcast_recording_active") == 1);
  assert_true(metric(f, oper, "shopcast_recording_free_bytes") > 0);
  expect(f, "GET", "/api/v1/recording", NULL, oper, 200, "\"state\":\"recording\"");
  expect(f, "GET", "/api/v1/report.html", NULL, oper, 404, "no report yet");
  return recorded_show(status);
}

/* After the show: the report made, a figure typed in, both files downloaded. */
static void
check_report_after_show(Fixture *f, const Login *oper, const Login *tech, const char *show)
{
  expect(f, "POST", "/api/v1/live", "{\"on\":false}", oper, 200, NULL);
  g_autofree char *status = wait_status(f, oper, "\"report_ready\":true", 30);
  g_autofree char *listed = g_strdup_printf("{\"show\":\"%s\",\"report\":true}", show);
  expect(f, "GET", "/api/v1/reports", NULL, oper, 200, listed);
  expect(f, "POST", "/api/v1/report/figures", "{\"key\":\"viewers\",\"value\":12000}", oper, 200,
         "report.html");
  expect(f, "POST", "/api/v1/report/figures", "{\"key\":\"buyers\",\"value\":\"360\"}", oper, 200,
         NULL);
  expect(f, "POST", "/api/v1/report/figures", "{\"key\":\"viewers\",\"value\":\"many\"}", oper, 400,
         "viewers");
  g_autofree char *path = g_strdup_printf("/api/v1/report.html?show=%s", show);
  Reply r = call(f, "GET", path, NULL, oper);
  assert_int_equal(r.status, 200);
  assert_true(g_str_has_prefix(r.type, "text/html"));
  g_autofree char *file = g_strdup_printf("filename=\"%s-report.html\"", show);
  assert_non_null(strstr(r.disposition, file));
  assert_non_null(strstr(r.body, "<svg"));
  assert_non_null(strstr(r.body, "3.00%")); /* 转化率: 360 / 12000 */
  reply_clear(&r);
  r = call(f, "GET", "/api/v1/report.csv", NULL, tech);
  assert_int_equal(r.status, 200);
  assert_true(g_str_has_prefix(r.type, "text/csv"));
  assert_non_null(strstr(r.body, "12000"));
  reply_clear(&r);
  expect(f, "GET", "/api/v1/report.html?show=nosuch", NULL, oper, 404, "no show 'nosuch'");
  expect(f, "GET", "/api/v1/report.csv?show=..%2F..%2Fshopcast.ini", NULL, oper, 404, "no show");
  assert_true(metric(f, oper, "shopcast_recording_active") == 0);
  assert_true(metric(f, oper, "shopcast_recording_segments_total") >= 1);
}

/* The recording's state in the status, its endpoint and the metrics; after
 * the show, the report: the operator types in figures and downloads the
 * HTML, the technician the CSV; shopcastctl reads the same on the box. */
static void
test_recording_and_report(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  Reply r = call(f, "PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", &tech);
  reply_clear(&r);
  Login oper = login_as(f, "operator", OPER_PASS);
  g_autofree char *show = check_recording_live(f, &oper);
  check_report_after_show(f, &oper, &tech, show);
  g_autofree char *out = NULL, *err = NULL;
  char *list[] = {f->ctl, "--socket", f->control, "report", "list", NULL};
  assert_int_equal(sc_test_run(list, 20, &out, &err), 0);
  g_autofree char *line = g_strdup_printf("{\"show\":\"%s\",\"report\":true}\n", show);
  assert_non_null(strstr(out, line));
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  char *csv[] = {f->ctl, "--socket", f->control, "report", "csv", show, NULL};
  assert_int_equal(sc_test_run(csv, 20, &out, &err), 0);
  assert_non_null(strstr(out, "12000"));
  login_clear(&tech);
  login_clear(&oper);
}

/* ---- firmware updates ---- */

/* A firmware bundle of @size bytes posted as shopcastctl posts one: the
 * body only after the server said to go on (refusals come before it). */
static Reply
post_bundle(Fixture *f, gsize size, const Login *login, gboolean csrf)
{
  g_autofree char *uri = g_strconcat(f->base, "/api/v1/firmware", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new("POST", uri);
  SoupMessageHeaders *h = soup_message_get_request_headers(msg);
  if (login)
    soup_message_headers_replace(h, "Cookie", login->cookie);
  if (login && csrf)
    soup_message_headers_replace(h, "X-CSRF-Token", login->csrf);
  soup_message_headers_set_expectations(h, SOUP_EXPECTATION_CONTINUE);
  g_autoptr(GBytes) body = g_bytes_new_take(g_malloc0(size), size);
  soup_message_set_request_body_from_bytes(msg, "application/octet-stream", body);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = soup_session_send_and_read(f->http, msg, NULL, &error);
  if (got == NULL)
    fail_msg("POST /api/v1/firmware: %s", error->message);
  Reply r = {0};
  r.status = soup_message_get_status(msg);
  r.body = g_strndup(g_bytes_get_data(got, NULL), g_bytes_get_size(got));
  g_print("POST /api/v1/firmware (%zu bytes) -> %u %s", size, r.status, r.body);
  return r;
}

/* An update: technician only, with CSRF, never while live, and on a machine
 * without RAUC (this one) refused before the bundle is read, saying why. */
static void
test_firmware_update_is_guarded(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  Reply r = call(f, "PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", &tech);
  reply_clear(&r);
  Login oper = login_as(f, "operator", OPER_PASS);
  const gsize size = 1 << 20; /* over the other routes' 64 KiB cap */
  r = post_bundle(f, size, NULL, FALSE);
  assert_int_equal(r.status, 401);
  reply_clear(&r);
  r = post_bundle(f, size, &oper, TRUE);
  assert_int_equal(r.status, 403);
  reply_clear(&r);
  r = post_bundle(f, size, &tech, FALSE);
  assert_int_equal(r.status, 403);
  assert_non_null(strstr(r.body, "CSRF"));
  reply_clear(&r);
  r = post_bundle(f, size, &tech, TRUE); /* the box started live */
  assert_int_equal(r.status, 409);
  assert_non_null(strstr(r.body, "the box is live: stop the stream"));
  reply_clear(&r);
  r = call(f, "POST", "/api/v1/live", "{\"on\":false}", &tech);
  assert_int_equal(r.status, 200);
  reply_clear(&r);
  r = post_bundle(f, size, &tech, TRUE);
  assert_int_equal(r.status, 501);
  assert_non_null(strstr(r.body, "firmware updates need RAUC"));
  reply_clear(&r);
  /* nothing was staged, and the state says what the box runs */
  g_autofree char *staged = g_build_filename(f->dir, "update", "incoming.raucb", NULL);
  assert_false(g_file_test(staged, G_FILE_TEST_EXISTS));
  r = call(f, "GET", "/api/v1/firmware", NULL, &tech);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"state\":\"idle\""));
  reply_clear(&r);
  /* shopcastctl says the same and exits 1 */
  g_autofree char *bundle = sc_test_write_file(f->dir, "test.raucb", "not really a bundle");
  g_autofree char *out = NULL, *err = NULL;
  g_setenv("SHOPCAST_PASSWORD", TECH_PASS, TRUE);
  char *update[] = {f->ctl, "--url", f->base, "update", bundle, NULL};
  assert_int_equal(sc_test_run(update, 20, &out, &err), 1);
  g_unsetenv("SHOPCAST_PASSWORD");
  assert_non_null(strstr(err, "firmware updates need RAUC"));
  login_clear(&tech);
  login_clear(&oper);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_recording_and_report, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_firmware_update_is_guarded, api_setup, api_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
