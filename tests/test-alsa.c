/* Tests for drivers/alsa.c: the microphone named by its card, with a
 * simulated list of cards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "drivers/alsa.h"

#include <string.h>

static ScAlsaCard *
card(int index, const char *id, const char *name)
{
  ScAlsaCard *c = g_new0(ScAlsaCard, 1);
  c->index = index;
  c->id = g_strdup(id);
  c->name = g_strdup(name);
  return c;
}

static GPtrArray *
two_cards(void)
{
  GPtrArray *cards = g_ptr_array_new_with_free_func((GDestroyNotify)sc_alsa_card_free);
  g_ptr_array_add(cards, card(0, "PCH", "HDA Intel PCH"));
  g_ptr_array_add(cards, card(1, "Device", "USB Audio Device"));
  return cards;
}

static GPtrArray *
no_cards(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)sc_alsa_card_free);
}

static gboolean
has_pcm(const char *name)
{
  return g_str_equal(name, "default") || g_str_equal(name, "dsnoop");
}

static const ScAlsaOps with_cards = {two_cards, has_pcm};
static const ScAlsaOps without_cards = {no_cards, has_pcm};

static void
resolves(const ScAlsaOps *ops, const char *device, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pcm = sc_alsa_resolve_device(ops, device, &error);
  if (pcm == NULL)
    fail_msg("%s: %s", device, error->message);
  assert_string_equal(pcm, expected);
}

static void
test_card_names_become_pcm_strings(void **state)
{
  resolves(&with_cards, "Device", "hw:CARD=Device,DEV=0");
  resolves(&with_cards, "usb audio device", "hw:CARD=Device,DEV=0");
  resolves(&with_cards, "HDA Intel PCH", "hw:CARD=PCH,DEV=0");
  resolves(&with_cards, "hw:CARD=Device,DEV=0", "hw:CARD=Device,DEV=0");
  resolves(&without_cards, "plughw:1,0", "plughw:1,0");
  resolves(&with_cards, "default", "default");
}

static void
test_unknown_device_lists_the_cards(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pcm = sc_alsa_resolve_device(&with_cards, "Blue Yeti", &error);
  assert_null(pcm);
  assert_true(g_error_matches(error, SC_ALSA_ERROR, SC_ALSA_ERROR_NOT_FOUND));
  assert_non_null(strstr(error->message, "'Blue Yeti'"));
  assert_non_null(strstr(error->message, "0 'PCH' (HDA Intel PCH), 1 'Device' (USB Audio Device)"));
  g_clear_error(&error);
  g_autofree char *none = sc_alsa_resolve_device(&without_cards, "Device", &error);
  assert_null(none);
  assert_non_null(strstr(error->message, "the cards present: none"));
}

/* This machine's own ALSA: whatever cards it has, "default" is a PCM. */
static void
test_system_ops(void **state)
{
  g_autoptr(GPtrArray) cards = sc_alsa_system_ops()->list_cards();
  assert_non_null(cards);
  g_autoptr(GError) error = NULL;
  g_autofree char *pcm = sc_alsa_resolve_device(NULL, "no-such-card-here", &error);
  assert_null(pcm);
  assert_non_null(error);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_card_names_become_pcm_strings),
      cmocka_unit_test(test_unknown_device_lists_the_cards),
      cmocka_unit_test(test_system_ops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
