#define G_LOG_DOMAIN "shopcast-alsa"

#include "drivers/alsa.h"

#include <alsa/asoundlib.h>

G_DEFINE_QUARK(sc - alsa - error - quark, sc_alsa_error)

void
sc_alsa_card_free(ScAlsaCard *card)
{
  if (card == NULL)
    return;
  g_free(card->id);
  g_free(card->name);
  g_free(card);
}

static ScAlsaCard *
read_card(int index)
{
  char path[32];
  snd_ctl_t *ctl = NULL;
  snd_ctl_card_info_t *info = NULL;
  g_snprintf(path, sizeof path, "hw:%d", index);
  if (snd_ctl_open(&ctl, path, 0) < 0)
    return NULL;
  ScAlsaCard *card = NULL;
  if (snd_ctl_card_info_malloc(&info) == 0 && snd_ctl_card_info(ctl, info) == 0) {
    card = g_new0(ScAlsaCard, 1);
    card->index = index;
    card->id = g_strdup(snd_ctl_card_info_get_id(info));
    card->name = g_strdup(snd_ctl_card_info_get_name(info));
  }
  snd_ctl_card_info_free(info);
  snd_ctl_close(ctl);
  return card;
}

static GPtrArray *
system_list_cards(void)
{
  GPtrArray *cards = g_ptr_array_new_with_free_func((GDestroyNotify)sc_alsa_card_free);
  int index = -1;
  for (guint n = 0; n < 64 && snd_card_next(&index) == 0 && index >= 0; n++) {
    ScAlsaCard *card = read_card(index);
    if (card)
      g_ptr_array_add(cards, card);
  }
  return cards;
}

static gboolean
system_has_pcm(const char *name)
{
  snd_config_t *node = NULL;
  g_autofree char *key = g_strconcat("pcm.", name, NULL);
  return snd_config_update() >= 0 && snd_config_search(snd_config, key, &node) == 0;
}

const ScAlsaOps *
sc_alsa_system_ops(void)
{
  static const ScAlsaOps ops = {system_list_cards, system_has_pcm};
  return &ops;
}

static char *
describe_cards(GPtrArray *cards)
{
  if (cards->len == 0)
    return g_strdup("none");
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < cards->len; i++) {
    const ScAlsaCard *c = g_ptr_array_index(cards, i);
    g_string_append_printf(out, "%s%d '%s' (%s)", i ? ", " : "", c->index, c->id, c->name);
  }
  return g_string_free(out, FALSE);
}

char *
sc_alsa_resolve_device(const ScAlsaOps *ops, const char *device, GError **error)
{
  ops = ops ? ops : sc_alsa_system_ops();
  if (strchr(device, ':') != NULL)
    return g_strdup(device);
  g_autoptr(GPtrArray) cards = ops->list_cards();
  for (guint i = 0; i < cards->len; i++) {
    const ScAlsaCard *c = g_ptr_array_index(cards, i);
    if (g_ascii_strcasecmp(c->id, device) == 0 || g_ascii_strcasecmp(c->name, device) == 0)
      return g_strdup_printf("hw:CARD=%s,DEV=0", c->id);
  }
  if (ops->has_pcm(device))
    return g_strdup(device);
  g_autofree char *present = describe_cards(cards);
  g_set_error(error, SC_ALSA_ERROR, SC_ALSA_ERROR_NOT_FOUND,
              "no ALSA card or PCM named '%s'; the cards present: %s", device, present);
  return NULL;
}
