/* alsa.h - finding the microphone by name: an ALSA card's id or name (as in
 * /proc/asound/cards: "Device", "USB Audio Device") becomes the PCM string
 * alsasrc opens ("hw:CARD=Device,DEV=0"); a PCM string is kept as it is.
 *
 * The cards come from a small ops table: alsa-lib on the box, a list in
 * tests. Any thread; nothing is kept open.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_ALSA_ERROR (sc_alsa_error_quark())
GQuark sc_alsa_error_quark(void);

typedef enum {
  SC_ALSA_ERROR_NOT_FOUND, /* no card or PCM of that name */
} ScAlsaError;

typedef struct {
  int index;
  char *id;   /* "Device" */
  char *name; /* "USB Audio Device" */
} ScAlsaCard;

typedef struct {
  /* The cards present (ScAlsaCard*, freed with the array). */
  GPtrArray *(*list_cards)(void);
  /* Whether ALSA's configuration defines a PCM of this name ("default", "dsnoop"). */
  gboolean (*has_pcm)(const char *name);
} ScAlsaOps;

/* alsa-lib's view of this machine. */
const ScAlsaOps *sc_alsa_system_ops(void);

/* The PCM string for @device: a string with ':' or a PCM ALSA knows is kept;
 * a card's id or name (case-insensitive) gives "hw:CARD=ID,DEV=0". Else
 * SC_ALSA_ERROR_NOT_FOUND listing the cards present. @ops NULL: the system's. */
char *sc_alsa_resolve_device(const ScAlsaOps *ops, const char *device,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;

void sc_alsa_card_free(ScAlsaCard *card);

G_END_DECLS
