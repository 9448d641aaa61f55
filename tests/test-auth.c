/* Passwords, sessions and the login lockout (firmware/auth.c), on a made-up
 * clock; and the Prometheus text writer (firmware/metrics.c). */
#include "firmware/auth.h"
#include "firmware/metrics.h"
#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>
#include <sys/stat.h>

static ScAuth *
new_auth(const char *name)
{
  g_autofree char *path = g_build_filename(sc_test_dir, name, NULL);
  ScAuthSettings s = {.max_failures = 3,
                      .lockout_s = 60,
                      .idle_s = 600,
                      .lifetime_s = 3600,
                      .now_us = sc_test_mono};
  g_autoptr(GError) error = NULL;
  ScAuth *auth = sc_auth_new(path, &s, &error);
  assert_non_null(auth);
  return auth;
}

static void
store(ScAuth *auth, ScRole role, const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = sc_auth_hash_password(password, &error);
  assert_non_null(hash);
  assert_true(g_str_has_prefix(hash, "$y$")); /* yescrypt */
  assert_true(sc_auth_store_hash(auth, role, hash, &error));
}

static void
test_no_default_password_and_a_stored_hash(void **state)
{
  g_autoptr(ScAuth) auth = new_auth("sub/passwords");
  assert_true(sc_auth_needs_setup(auth));
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = sc_auth_hash_password("operator-pass-1", NULL);
  assert_false(sc_auth_store_hash(auth, SC_ROLE_OPERATOR, hash, &error)); /* technician first */
  assert_true(g_error_matches(error, SC_AUTH_ERROR, SC_AUTH_ERROR_SETUP));
  store(auth, SC_ROLE_TECHNICIAN, "technician-pass-1");
  assert_false(sc_auth_needs_setup(auth));
  assert_true(sc_auth_verify_hash("technician-pass-1", sc_auth_get_hash(auth, SC_ROLE_TECHNICIAN)));
  assert_false(
      sc_auth_verify_hash("technician-pass-2", sc_auth_get_hash(auth, SC_ROLE_TECHNICIAN)));
  /* the file: owner only, the hash and never the password */
  g_autofree char *path = g_build_filename(sc_test_dir, "sub/passwords", NULL);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  assert_null(strstr(text, "technician-pass-1"));
  assert_non_null(strstr(text, "[technician]\nhash=$y$"));
  /* read back by the next start */
  g_autoptr(ScAuth) again = new_auth("sub/passwords");
  assert_false(sc_auth_needs_setup(again));
  assert_true(
      sc_auth_verify_hash("technician-pass-1", sc_auth_get_hash(again, SC_ROLE_TECHNICIAN)));
}

static void
test_password_rules(void **state)
{
  static const char *const weak[] = {"short", "", "tab\there-12", NULL};
  for (guint i = 0; weak[i]; i++) {
    g_autoptr(GError) error = NULL;
    assert_false(sc_auth_check_new_password(weak[i], &error));
    assert_true(g_error_matches(error, SC_AUTH_ERROR, SC_AUTH_ERROR_WEAK));
  }
  assert_false(sc_auth_check_new_password("\xff\xfe invalid utf8", NULL));
  g_autofree char *long_one = g_strnfill(129, 'a');
  assert_false(sc_auth_check_new_password(long_one, NULL));
  assert_true(sc_auth_check_new_password("八个汉字的密码好", NULL)); /* 8 characters, 24 bytes */
}

static void
test_lockout_after_failures_then_expires(void **state)
{
  g_autoptr(ScAuth) auth = new_auth("passwords");
  for (guint i = 0; i < 2; i++) {
    assert_true(sc_auth_may_try(auth, "192.0.2.7", NULL));
    sc_auth_record_attempt(auth, "192.0.2.7", FALSE);
  }
  assert_true(sc_auth_may_try(auth, "192.0.2.7", NULL));
  sc_auth_record_attempt(auth, "192.0.2.7", FALSE); /* the third */
  g_autoptr(GError) error = NULL;
  assert_false(sc_auth_may_try(auth, "192.0.2.7", &error));
  assert_true(g_error_matches(error, SC_AUTH_ERROR, SC_AUTH_ERROR_LOCKED));
  assert_non_null(strstr(error->message, "try again in 60 s"));
  assert_true(sc_auth_may_try(auth, "192.0.2.8", NULL)); /* another address is not */
  sc_test_advance_ms(59 * 1000);
  assert_false(sc_auth_may_try(auth, "192.0.2.7", NULL));
  sc_test_advance_ms(1001);
  assert_true(sc_auth_may_try(auth, "192.0.2.7", NULL));
  sc_auth_record_attempt(auth, "192.0.2.7", FALSE); /* a fresh count after the lockout */
  assert_true(sc_auth_may_try(auth, "192.0.2.7", NULL));
  sc_auth_record_attempt(auth, "192.0.2.7", TRUE);
  sc_auth_record_attempt(auth, "192.0.2.7", FALSE);
  sc_auth_record_attempt(auth, "192.0.2.7", FALSE);
  assert_true(sc_auth_may_try(auth, "192.0.2.7", NULL)); /* a success reset the count */
}

static void
test_sessions_expire_and_end_with_a_new_password(void **state)
{
  g_autoptr(ScAuth) auth = new_auth("passwords");
  store(auth, SC_ROLE_TECHNICIAN, "technician-pass-1");
  store(auth, SC_ROLE_OPERATOR, "operator-pass-1");
  const ScSession *s = sc_auth_open_session(auth, SC_ROLE_OPERATOR);
  g_autofree char *token = g_strdup(s->token);
  assert_int_equal(strlen(token), 64);
  assert_string_not_equal(s->token, s->csrf);
  assert_null(sc_auth_lookup(auth, "0000"));
  sc_test_advance_ms(599 * 1000);
  assert_non_null(sc_auth_lookup(auth, token)); /* used: the idle time starts again */
  sc_test_advance_ms(599 * 1000);
  assert_non_null(sc_auth_lookup(auth, token));
  sc_test_advance_ms(601 * 1000); /* idle too long */
  assert_null(sc_auth_lookup(auth, token));
  /* however busy, a session ends after its lifetime */
  s = sc_auth_open_session(auth, SC_ROLE_OPERATOR);
  g_free(token);
  token = g_strdup(s->token);
  for (guint i = 0; i < 7; i++) {
    sc_test_advance_ms(500 * 1000);
    assert_non_null(sc_auth_lookup(auth, token));
  }
  sc_test_advance_ms(200 * 1000);
  assert_null(sc_auth_lookup(auth, token));
  /* a changed password ends that role's sessions, not the other's */
  const ScSession *o = sc_auth_open_session(auth, SC_ROLE_OPERATOR);
  g_autofree char *oper = g_strdup(o->token);
  const ScSession *t = sc_auth_open_session(auth, SC_ROLE_TECHNICIAN);
  g_autofree char *tech = g_strdup(t->token);
  store(auth, SC_ROLE_OPERATOR, "operator-pass-2");
  assert_null(sc_auth_lookup(auth, oper));
  assert_non_null(sc_auth_lookup(auth, tech));
  assert_true(sc_auth_remove_operator(auth, NULL));
  assert_false(sc_auth_has_password(auth, SC_ROLE_OPERATOR));
}

static void
test_metrics_text(void **state)
{
  ScMetrics *m = sc_metrics_new();
  sc_metrics_family(m, "shopcast_x_total", "counter", "things");
  sc_metrics_value(m, "shopcast_x_total", 3, "destination", "a\"b\\c\nd", NULL);
  sc_metrics_value(m, "shopcast_x_total", 0.25, "destination", "e", "ingest", "backup", NULL);
  sc_metrics_single(m, "shopcast_y", "gauge", "why", -1.5);
  g_autofree char *text = sc_metrics_finish(m);
  assert_string_equal(text, "# HELP shopcast_x_total things\n# TYPE shopcast_x_total counter\n"
                            "shopcast_x_total{destination=\"a\\\"b\\\\c\\nd\"} 3\n"
                            "shopcast_x_total{destination=\"e\",ingest=\"backup\"} 0.25\n"
                            "# HELP shopcast_y why\n# TYPE shopcast_y gauge\nshopcast_y -1.5\n");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_default_password_and_a_stored_hash),
      cmocka_unit_test(test_password_rules),
      cmocka_unit_test(test_lockout_after_failures_then_expires),
      cmocka_unit_test(test_sessions_expire_and_end_with_a_new_password),
      cmocka_unit_test(test_metrics_text),
  };
  return cmocka_run_group_tests(tests, sc_test_dir_setup, sc_test_dir_teardown);
}
