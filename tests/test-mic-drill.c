/* The lost microphone as the box reports it: shopcastd on the simulated
 * board, live to a local ingest, drilled through shopcastctl (`audio drill
 * off|stall|on`): the audio status says lost (and why) and live again, the
 * journal has "audio mic lost" and "audio mic back", the tally shows the
 * show degraded while the mic is out, each within 1 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/api-fixture.h"
#include "tests/support/testutil.h"

#include <string.h>

static char *
ctl(Fixture *f, const char *a, const char *b, const char *c)
{
  char *argv[] = {f->ctl, "--socket", f->control, (char *)a, (char *)b, (char *)c, NULL};
  g_autofree char *err = NULL;
  char *out = NULL;
  if (sc_test_run(argv, 20, &out, &err) != 0)
    fail_msg("shopcastctl %s %s %s: %s", a, b ? b : "", c ? c : "", err);
  return out;
}

/* Polls `shopcastctl audio` until it holds @text, at most @max_ms; returns
 * the ms it took and the status in @status. */
static gint64
wait_audio(Fixture *f, const char *text, guint max_ms, char **status)
{
  gint64 start = g_get_monotonic_time();
  while (g_get_monotonic_time() - start < (gint64)max_ms * 1000) {
    char *out = ctl(f, "audio", NULL, NULL);
    if (strstr(out, text)) {
      *status = out;
      return (g_get_monotonic_time() - start) / 1000;
    }
    g_free(out);
    g_usleep(20 * 1000);
  }
  fail_msg("the audio status did not show %s within %u ms", text, max_ms);
  return -1;
}

static void
drill(Fixture *f, const char *mode, const char *reason)
{
  g_autofree char *status = NULL;
  wait_audio(f, "\"mic_state\":\"live\"", 10000, &status);
  g_free(ctl(f, "audio", "drill", mode));
  g_clear_pointer(&status, g_free);
  gint64 lost_ms = wait_audio(f, "\"mic_state\":\"lost\"", 1000, &status);
  if (strstr(status, reason) == NULL)
    fail_msg("the audio status after the %s drill gives no reason \"%s\": %s", mode, reason,
             status);
  g_autofree char *whole = ctl(f, "status", NULL, NULL);
  assert_non_null(strstr(whole, "\"tally\":\"on air, degraded\""));
  g_autofree char *events = ctl(f, "events", "20", NULL);
  assert_non_null(strstr(events, "\"lost\""));
  g_free(ctl(f, "audio", "drill", "on"));
  g_clear_pointer(&status, g_free);
  gint64 back_ms = wait_audio(f, "\"mic_state\":\"live\"", 1000, &status);
  g_autofree char *after = ctl(f, "events", "20", NULL);
  assert_non_null(strstr(after, "\"back\""));
  print_message("audio drill %s: status lost after %" G_GINT64_FORMAT
                " ms, live again %" G_GINT64_FORMAT " ms after \"on\"\n",
                mode, lost_ms, back_ms);
}

static void
test_drills_through_shopcastctl(void **state)
{
  Fixture *f = *state;
  drill(f, "off", "drill: unplugged");
  drill(f, "stall", "no audio from the mic");
  g_autofree char *metrics = NULL;
  char *argv[] = {f->ctl, "--socket", f->control, "metrics", NULL};
  assert_int_equal(sc_test_run(argv, 20, &metrics, NULL), 0);
  assert_non_null(strstr(metrics, "shopcast_audio_mic_losses_total 2"));
  assert_non_null(strstr(metrics, "shopcast_audio_mic_lost 0"));
}

static void
test_bad_drill_word(void **state)
{
  Fixture *f = *state;
  char *argv[] = {f->ctl, "--socket", f->control, "audio", "drill", "sideways", NULL};
  g_autofree char *out = NULL, *err = NULL;
  assert_int_not_equal(sc_test_run(argv, 20, &out, &err), 0);
  assert_non_null(strstr(err, "off (unplugged), stall (silent) or on (back)"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_drills_through_shopcastctl, api_setup, api_teardown),
      cmocka_unit_test_setup_teardown(test_bad_drill_word, api_setup, api_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
