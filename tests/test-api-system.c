/* The box's name and network through the control API (GET and POST
 * /api/v1/system) and shopcastctl: technician only, CSRF and Origin checked,
 * refused while live, 501 where the box has no system settings directory,
 * every bad field named, and what was set read back and journalled. */
#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "tests/support/api-fixture.h"

#define GOOD_BODY                                                                                  \
  "{\"hostname\":\"Studio-7\",\"network\":\"static\",\"address\":\"192.168.10.20/24\","            \
  "\"gateway\":\"192.168.10.1\",\"dns\":\"223.5.5.5, 119.29.29.29\"}"

static int
setup_with_system_dir(void **state)
{
  return api_setup_with(state, "system-dir = system\n");
}

static char *
system_file(Fixture *f, const char *name)
{
  g_autofree char *path = g_build_filename(f->dir, "system", name, NULL);
  char *text = NULL;
  g_file_get_contents(path, &text, NULL, NULL);
  return text;
}

static void
expect(Reply r, guint status, const char *needle)
{
  if (r.status != status || (needle && strstr(r.body, needle) == NULL))
    fail_msg("expected %u with '%s', got %u: %s", status, needle ? needle : "", r.status, r.body);
  reply_clear(&r);
}

static void
test_roles_csrf_and_origin(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  expect(call(f, "PUT", "/api/v1/passwords/operator", "{\"password\":\"" OPER_PASS "\"}", &tech),
         200, NULL);
  Login oper = login_as(f, "operator", OPER_PASS);
  expect(call(f, "GET", "/api/v1/system", NULL, NULL), 401, NULL);
  expect(call(f, "POST", "/api/v1/system", GOOD_BODY, NULL), 401, NULL);
  expect(call(f, "GET", "/api/v1/system", NULL, &oper), 403, "technician");
  expect(call(f, "POST", "/api/v1/system", GOOD_BODY, &oper), 403, "technician");
  expect(call_full(f, "POST", "/api/v1/system", GOOD_BODY, &tech, FALSE, NULL), 403, "CSRF");
  expect(call_full(f, "POST", "/api/v1/system", GOOD_BODY, &tech, TRUE, "http://evil.example"), 403,
         "cross-site");
  expect(call(f, "GET", "/api/v1/system", NULL, &tech), 200, "\"hostname\":null");
  /* the box started live: a change would drop the stream */
  expect(call(f, "POST", "/api/v1/system", GOOD_BODY, &tech), 409, "the box is live");
  g_autofree char *none = system_file(f, "system.json");
  assert_null(none);
  login_clear(&tech);
  login_clear(&oper);
}

static void
test_set_and_read_back(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  expect(call(f, "POST", "/api/v1/live", "{\"on\":false}", &tech), 200, NULL);
  /* a bad field is named, and nothing is written */
  expect(call(f, "POST", "/api/v1/system",
              "{\"hostname\":\"studio-7\",\"network\":\"static\",\"address\":\"192.168.10.20/24\","
              "\"gateway\":\"192.168.11.1\"}",
              &tech),
         400, "gateway: 192.168.11.1 is not in the address's subnet 192.168.10.0/24");
  expect(call(f, "POST", "/api/v1/system", "{\"hostname\":\"studio_7\"}", &tech), 400,
         "hostname: '_' is not allowed");
  expect(call(f, "POST", "/api/v1/system", "{\"address\":\"192.168.10.20/24\"}", &tech), 400,
         "network: ");
  expect(call(f, "POST", "/api/v1/system", "{\"netmask\":\"255.255.255.0\"}", &tech), 400,
         "unknown field 'netmask'");
  expect(call(f, "POST", "/api/v1/system", "{}", &tech), 400, "nothing to set");
  g_autofree char *none = system_file(f, "hostname");
  assert_null(none);
  /* set, then read back */
  expect(call(f, "POST", "/api/v1/system", GOOD_BODY, &tech), 200, "\"hostname\":\"studio-7\"");
  expect(call(f, "GET", "/api/v1/system", NULL, &tech), 200,
         "\"network\":{\"mode\":\"static\",\"address\":\"192.168.10.20/24\",\"gateway\":"
         "\"192.168.10.1\",\"dns\":[\"223.5.5.5\",\"119.29.29.29\"]}");
  g_autofree char *hostname = system_file(f, "hostname");
  assert_string_equal(hostname, "studio-7\n");
  g_autofree char *unit = system_file(f, "network/50-shopcast.network");
  assert_non_null(strstr(unit, "Address=192.168.10.20/24\nGateway=192.168.10.1\n"));
  expect(call(f, "GET", "/api/v1/events?count=20", NULL, &tech), 200,
         "\"kind\":\"system\",\"subject\":\"settings\",\"state\":\"applied\"");
  /* shopcastctl on the box (the Unix socket) */
  g_autofree char *out = NULL, *err = NULL;
  char *dhcp[] = {f->ctl, "--socket", f->control, "system", "set", "network", "dhcp", NULL};
  assert_int_equal(sc_test_run(dhcp, 20, &out, &err), 0);
  assert_non_null(strstr(out, "\"network\":{\"mode\":\"dhcp\"}"));
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  char *fixed[] = {f->ctl,   "--socket",     f->control,  "system",  "set",     "network",
                   "static", "10.20.0.9/16", "10.20.0.1", "1.1.1.1", "8.8.8.8", NULL};
  assert_int_equal(sc_test_run(fixed, 20, &out, &err), 0);
  assert_non_null(strstr(out, "\"dns\":[\"1.1.1.1\",\"8.8.8.8\"]"));
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  char *bad[] = {f->ctl, "--socket", f->control, "system", "set", "hostname", "-x", NULL};
  assert_int_equal(sc_test_run(bad, 20, &out, &err), 1);
  assert_non_null(strstr(err, "hostname: '-x' starts or ends with '-'"));
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  char *get[] = {f->ctl, "--socket", f->control, "system", NULL};
  assert_int_equal(sc_test_run(get, 20, &out, &err), 0);
  assert_non_null(strstr(out, "\"hostname\":\"studio-7\""));
  assert_non_null(strstr(out, "\"address\":\"10.20.0.9/16\""));
  login_clear(&tech);
}

/* A development machine: no [box] system-dir, the host's own settings. */
static void
test_no_system_dir(void **state)
{
  Fixture *f = *state;
  Login tech = first_start(f);
  expect(call(f, "GET", "/api/v1/system", NULL, &tech), 501, "no system settings directory");
  expect(call(f, "POST", "/api/v1/system", GOOD_BODY, &tech), 501, "no system settings directory");
  login_clear(&tech);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_roles_csrf_and_origin, setup_with_system_dir,
                                      api_teardown),
      cmocka_unit_test_setup_teardown(test_set_and_read_back, setup_with_system_dir, api_teardown),
      cmocka_unit_test_setup_teardown(test_no_system_dir, api_setup, api_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
