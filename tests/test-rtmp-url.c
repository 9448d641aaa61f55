/* test-rtmp-url.c - ingest URL parsing, description and key masking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/rtmp-url.h"

#include <string.h>

typedef struct {
  const char *text;
  gboolean tls;
  const char *host;
  guint16 port;
  const char *app;
  const char *tc_url;
} ValidCase;

static const ValidCase valid_cases[] = {
    {"rtmp://live.example.com/app", FALSE, "live.example.com", 1935, "app",
     "rtmp://live.example.com/app"},
    {"rtmps://live.example.com/app", TRUE, "live.example.com", 443, "app",
     "rtmps://live.example.com/app"},
    {"rtmp://10.0.0.5:1936/live", FALSE, "10.0.0.5", 1936, "live", "rtmp://10.0.0.5:1936/live"},
    {"rtmps://ingest.example.com:8443/live", TRUE, "ingest.example.com", 8443, "live",
     "rtmps://ingest.example.com:8443/live"},
    {"rtmp://[2001:db8::1]:1935/live", FALSE, "2001:db8::1", 1935, "live",
     "rtmp://[2001:db8::1]:1935/live"},
    {"rtmp://[::1]/live", FALSE, "::1", 1935, "live", "rtmp://[::1]/live"},
    {"rtmp://a.example.com/live/instance-2", FALSE, "a.example.com", 1935, "live/instance-2",
     "rtmp://a.example.com/live/instance-2"},
    {"RTMP://Host.Example/live/", FALSE, "Host.Example", 1935, "live", "rtmp://Host.Example/live"},
    {"rtmp://push-rtmp_1.example.com:65535/app", FALSE, "push-rtmp_1.example.com", 65535, "app",
     "rtmp://push-rtmp_1.example.com:65535/app"},
};

static void
test_valid_urls(void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS(valid_cases); i++) {
    const ValidCase *c = &valid_cases[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(c->text, &error);
    if (url == NULL)
      fail_msg("%s: %s", c->text, error->message);
    assert_int_equal(url->tls, c->tls);
    assert_string_equal(url->host, c->host);
    assert_int_equal(url->port, c->port);
    assert_string_equal(url->app, c->app);
    assert_string_equal(url->tc_url, c->tc_url);
  }
}

typedef struct {
  const char *text;
  const char *message; /* a fragment the message must hold */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
    {"", "empty"},
    {"live.example.com/app", "missing scheme"},
    {"://live.example.com/app", "missing scheme"},
    {"http://live.example.com/app", "unsupported scheme 'http'"},
    {"rtmpt://live.example.com/app", "unsupported scheme 'rtmpt'"},
    {"rtmp:///app", "missing host"},
    {"rtmp://:1935/app", "missing host"},
    {"rtmp://live.example.com", "missing application path"},
    {"rtmp://live.example.com/", "missing application path"},
    {"rtmp://live.example.com//app", "empty application name"},
    {"rtmp://live.example.com:abc/app", "invalid port 'abc'"},
    {"rtmp://live.example.com:0/app", "invalid port '0'"},
    {"rtmp://live.example.com:65536/app", "invalid port '65536'"},
    {"rtmp://live.example.com:/app", "invalid port ''"},
    {"rtmp://live.example.com:-1/app", "invalid port '-1'"},
    {"rtmp://live.example.com:1935x/app", "invalid port"},
    {"rtmp://live.exa mple.com/app", "space or control character at position 16"},
    {" rtmp://live.example.com/app", "space or control character at position 1"},
    {"rtmp://live.example.com/app ", "space or control character"},
    {"rtmp://live.example.com/app\n", "space or control character"},
    {"rtmp://live.example.com/a\tpp", "space or control character"},
    {"rtmp://2001:db8::1/app", "must be in brackets"},
    {"rtmp://[2001:db8::zz]/app", "invalid IPv6 address"},
    {"rtmp://[::1/app", "invalid IPv6 address"},
    {"rtmp://[10.0.0.1]/app", "invalid IPv6 address"},
    {"rtmp://[::1]x/app", "after the IPv6 address"},
    {"rtmp://user:secret@live.example.com/app", "user names and passwords"},
    {"rtmp://live.exa$mple.com/app", "invalid character '$'"},
};

static void
test_invalid_urls(void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS(invalid_cases); i++) {
    const InvalidCase *c = &invalid_cases[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(c->text, &error);
    if (url != NULL)
      fail_msg("'%s' was accepted", c->text);
    assert_true(g_error_matches(error, SC_RTMP_URL_ERROR, SC_RTMP_URL_ERROR_INVALID));
    if (strstr(error->message, c->message) == NULL)
      fail_msg("'%s': message '%s' lacks '%s'", c->text, error->message, c->message);
  }
}

static void
test_null_url(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(NULL, &error);
  assert_null(url);
  assert_non_null(strstr(error->message, "empty"));
}

/* People paste the key into the URL; an error must not repeat it. */
static void
test_error_does_not_echo_url(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScRtmpUrl) url =
      sc_rtmp_url_parse("rtmp://live.example.com:bad/app/SECRETKEY0123456789", &error);
  assert_null(url);
  assert_null(strstr(error->message, "SECRETKEY"));
}

static void
check_mask(const char *key, const char *expected)
{
  g_autofree char *masked = sc_rtmp_url_mask_key(key);
  assert_string_equal(masked, expected);
  if (key && *key)
    assert_null(strstr(masked, key));
}

static void
test_mask_key(void **state)
{
  check_mask(NULL, "");
  check_mask("", "");
  check_mask("a", "****");
  check_mask("abcd", "****");
  check_mask("live_123456", "****");      /* 11 characters: entirely masked */
  check_mask("live_1234567", "****4567"); /* 12: keeps the last 4 */
  check_mask("live_8f2c91e07f3a", "****7f3a");
  check_mask("k3y?token=0123456789ab", "****89ab");
}

static void
test_mask_key_utf8(void **state)
{
  /* the tail is counted in characters, so it stays valid UTF-8 */
  g_autofree char *masked = sc_rtmp_url_mask_key("clé-de-flux-éèêë");
  assert_string_equal(masked, "****éèêë");
  assert_true(g_utf8_validate(masked, -1, NULL));
}

static void
test_describe(void **state)
{
  g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse("rtmp://live.example.com/app", NULL);
  g_autoptr(ScRtmpUrl) v6 = sc_rtmp_url_parse("rtmps://[2001:db8::1]/live/x", NULL);
  assert_non_null(url);
  assert_non_null(v6);
  g_autofree char *with_key = sc_rtmp_url_describe(url, "live_8f2c91e07f3a");
  g_autofree char *short_key = sc_rtmp_url_describe(url, "abc");
  g_autofree char *no_key = sc_rtmp_url_describe(url, NULL);
  g_autofree char *ipv6 = sc_rtmp_url_describe(v6, "live_8f2c91e07f3a");
  assert_string_equal(with_key, "rtmp://live.example.com:1935/app/****7f3a");
  assert_string_equal(short_key, "rtmp://live.example.com:1935/app/****");
  assert_string_equal(no_key, "rtmp://live.example.com:1935/app");
  assert_string_equal(ipv6, "rtmps://[2001:db8::1]:443/live/x/****7f3a");
  assert_null(strstr(with_key, "live_8f2c91e07f3a"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_urls), cmocka_unit_test(test_invalid_urls),
      cmocka_unit_test(test_null_url),   cmocka_unit_test(test_error_does_not_echo_url),
      cmocka_unit_test(test_mask_key),   cmocka_unit_test(test_mask_key_utf8),
      cmocka_unit_test(test_describe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
