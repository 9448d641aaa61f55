/* rtmp-fixture.c - helpers shared by the RTMP tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/rtmp-fixture.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

ScRtmpParams
sc_test_rtmp_params(const char *url, const char *key)
{
  return (ScRtmpParams){
      .url = url, .stream_key = key, .connect_timeout_ms = 5000, .send_timeout_ms = 3000};
}

void
sc_test_rtmp_check_error(const GError *error, ScRtmpError code, const char *fragment,
                         const char *key)
{
  if (error == NULL)
    fail_msg("no error");
  if (!g_error_matches(error, SC_RTMP_ERROR, (gint)code))
    fail_msg("error %s/%d (%s), expected code %d", g_quark_to_string(error->domain), error->code,
             error->message, code);
  if (fragment && strstr(error->message, fragment) == NULL)
    fail_msg("message '%s' lacks '%s'", error->message, fragment);
  if (key && strstr(error->message, key))
    fail_msg("message '%s' shows the stream key", error->message);
}

gint64
sc_test_rtmp_elapsed_ms(gint64 start_us)
{
  return (g_get_monotonic_time() - start_us) / 1000;
}

guint8 *
sc_test_rtmp_pattern(gsize len, guint seed)
{
  guint8 *body = g_malloc(MAX(len, 1));
  for (gsize i = 0; i < len; i++)
    body[i] = (guint8)(i * 7 + seed);
  return body;
}

void
sc_test_rtmp_listen_loopback(int fd, guint16 *port)
{
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(listen(fd, 8), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
  *port = ntohs(addr.sin_port);
}
