/* api-fixture.c - a shopcastd with its panel on a loopback port for the API's
 * tests, and the calls they make to it (see api-fixture.h). */
#include "tests/support/api-fixture.h"

#include "tests/support/daemon-fixture.h"

#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

void
reply_clear(Reply *r)
{
  g_free(r->body);
  g_free(r->set_cookie);
  g_free(r->csp);
  g_free(r->type);
  g_free(r->disposition);
  memset(r, 0, sizeof *r);
}

void
login_clear(Login *l)
{
  g_free(l->cookie);
  g_free(l->csrf);
  memset(l, 0, sizeof *l);
}

Reply
call_full(Fixture *f, const char *method, const char *path, const char *body, const Login *login,
          gboolean csrf, const char *origin)
{
  g_autofree char *uri = g_strconcat(f->base, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new(method, uri);
  assert_non_null(msg);
  SoupMessageHeaders *h = soup_message_get_request_headers(msg);
  if (login && login->cookie)
    soup_message_headers_replace(h, "Cookie", login->cookie);
  if (login && csrf && login->csrf)
    soup_message_headers_replace(h, "X-CSRF-Token", login->csrf);
  if (origin)
    soup_message_headers_replace(h, "Origin", origin);
  if (body) {
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    soup_message_set_request_body_from_bytes(msg, "application/json", b);
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = soup_session_send_and_read(f->http, msg, NULL, &error);
  if (got == NULL)
    fail_msg("%s %s: %s", method, path, error->message);
  Reply r = {0};
  r.status = soup_message_get_status(msg);
  const char *data = g_bytes_get_data(got, NULL);
  r.body = g_strndup(data ? data : "", g_bytes_get_size(got)); /* "" for an empty body */
  SoupMessageHeaders *rh = soup_message_get_response_headers(msg);
  r.set_cookie = g_strdup(soup_message_headers_get_one(rh, "Set-Cookie"));
  r.csp = g_strdup(soup_message_headers_get_one(rh, "Content-Security-Policy"));
  r.type = g_strdup(soup_message_headers_get_one(rh, "Content-Type"));
  r.disposition = g_strdup(soup_message_headers_get_one(rh, "Content-Disposition"));
  return r;
}

Reply
call(Fixture *f, const char *method, const char *path, const char *body, const Login *login)
{
  return call_full(f, method, path, body, login, TRUE, NULL);
}

char *
member(const char *json, const char *name)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if (!json_parser_load_from_data(p, json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    return NULL;
  JsonObject *o = json_node_get_object(json_parser_get_root(p));
  return g_strdup(json_object_get_string_member_with_default(o, name, NULL));
}

Login
login_from(Reply *r)
{
  Login l = {0};
  assert_int_equal(r->status, 200);
  assert_non_null(r->set_cookie);
  assert_non_null(strstr(r->set_cookie, "HttpOnly"));
  assert_non_null(strstr(r->set_cookie, "SameSite=Strict"));
  l.cookie = g_strndup(r->set_cookie, strcspn(r->set_cookie, ";"));
  l.csrf = member(r->body, "csrf");
  assert_non_null(l.csrf);
  return l;
}

Login
login_as(Fixture *f, const char *role, const char *password)
{
  g_autofree char *body = g_strdup_printf("{\"role\":\"%s\",\"password\":\"%s\"}", role, password);
  Reply r = call(f, "POST", "/api/v1/session", body, NULL);
  Login l = login_from(&r);
  reply_clear(&r);
  return l;
}

int
api_setup_with(void **state, const char *box_lines)
{
  Fixture *f = g_new0(Fixture, 1);
  ScTestIngestOptions opts = {0};
  f->ingest = sc_test_ingest_start_or_fail(&opts);
  f->dir = sc_test_tmpdir();
  f->ctl = sc_test_build_path("tools/shopcastctl");
  f->control = g_build_filename(f->dir, "control", NULL);
  f->port = sc_test_free_port();
  f->base = g_strdup_printf("http://127.0.0.1:%u", f->port);
  g_autofree char *show = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  g_autofree char *text = g_strdup_printf(
      "[box]\nboard = sim\nstart = live\ncontrol-socket = %s\nshow = %s\naudit-log = "
      "%s/audit.jsonl\nupdate-dir = update\n%s"
      "[video]\nwidth = 640\nheight = 360\nbitrate = 800\nx264-preset = ultrafast\n"
      "[destination local]\nurl = %s\nkey = " TEST_KEY "\n"
      "[panel]\nlisten = 127.0.0.1:%u\npasswords = %s/passwords\nlogin-attempts = 3\n"
      "lockout = 30\n",
      f->control, show, f->dir, box_lines ? box_lines : "", url, f->port, f->dir);
  g_autofree char *config = sc_test_write_file(f->dir, "shopcast.ini", text);
  g_autofree char *log = g_build_filename(f->dir, "shopcastd.log", NULL);
  f->daemon = sc_test_daemon_start(config, log, NULL);
  if (!sc_test_wait_port(f->port, 15000))
    fail_msg("the panel did not open on port %u", f->port);
  f->http = soup_session_new_with_options("timeout", 30, NULL);
  *state = f;
  return 0;
}

int
api_setup(void **state)
{
  return api_setup_with(state, NULL);
}

static char *
daemon_log(Fixture *f)
{
  g_autofree char *path = g_build_filename(f->dir, "shopcastd.log", NULL);
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, NULL);
  return text ? text : g_strdup("");
}

int
api_teardown(void **state)
{
  Fixture *f = *state;
  g_subprocess_send_signal(f->daemon, SIGTERM);
  g_subprocess_wait(f->daemon, NULL, NULL);
  g_autofree char *log = daemon_log(f);
  g_object_unref(f->daemon);
  /* no secret ever reaches the log */
  assert_null(strstr(log, TEST_KEY));
  assert_null(strstr(log, TECH_PASS));
  assert_null(strstr(log, OPER_PASS));
  g_object_unref(f->http);
  sc_test_ingest_stop(f->ingest);
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->ctl);
  g_free(f->control);
  g_free(f->base);
  g_free(f);
  return 0;
}

Login
first_start(Fixture *f)
{
  Reply r = call(f, "GET", "/api/v1/status", NULL, NULL);
  assert_int_equal(r.status, 401);
  assert_non_null(strstr(r.body, "first start"));
  reply_clear(&r);
  r = call(f, "GET", "/api/v1/setup", NULL, NULL);
  assert_string_equal(r.body, "{\"needs_setup\":true}\n");
  reply_clear(&r);
  r = call(f, "POST", "/api/v1/session", "{\"role\":\"technician\",\"password\":\"whatever12\"}",
           NULL);
  assert_int_equal(r.status, 401); /* there is no default password */
  reply_clear(&r);
  r = call(f, "POST", "/api/v1/setup", "{\"password\":\"short\"}", NULL);
  assert_int_equal(r.status, 400);
  assert_non_null(strstr(r.body, "8 to 128 characters"));
  reply_clear(&r);
  r = call(f, "POST", "/api/v1/setup", "{\"password\":\"" TECH_PASS "\"}", NULL);
  Login tech = login_from(&r);
  reply_clear(&r);
  r = call(f, "POST", "/api/v1/setup", "{\"password\":\"another-one-99\"}", NULL);
  assert_int_equal(r.status, 409); /* set once; changed only when logged in */
  reply_clear(&r);
  return tech;
}
