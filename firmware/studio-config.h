/* studio-config.h - the studio hardware: the board's pin map and the config's
 * buttons, keypads and lighting scenes.
 *
 * The pin map (board/NAME/pins.ini) says what is wired where on a board:
 *
 *   [gpio]          chip = gpiochip0 | sim | none; lines = N (sim only)
 *   [button NAME]   line = 17, active-low = true
 *   [lamp red]      line = 22 (also green, amber), active-low = false
 *   [light NAME]    line = 5 (a relay), or pwm = pwmchip0:0 and period-us = 1000
 *
 * The config (shopcastd's INI) says what they do:
 *
 *   [button NAME]          short = ACTION, long = ACTION, held = ACTION,
 *                          debounce-ms = 30, long-press-ms = 1000
 *   [keypad NAME]          device = /dev/input/by-id/...-event-kbd
 *   [button KEYPAD:KEY]    the same keys, for a key of that keypad
 *   [scene NAME]           lights = key:100; fill:40; back:off
 *                          on = product; flash-start   (show changes that call it up)
 *   [studio]               scene = NAME (at start)
 *
 * Actions: live (go live / end show; long press only), next-product,
 * previous-product, flash-sale (start), coupon (show/hide), stock (show/hide),
 * closeup (close-up camera), mic-mute, scene:NAME, reconnect. `held` means
 * "while the button is down": mic-mute and closeup only.
 *
 * With no [button ...] in the config, the board's buttons 1-4 get the
 * defaults of a 4-button box: 1 long = live, 2 = next-product,
 * 3 = flash-sale, 4 = coupon.
 */
#pragma once
#include "drivers/button.h"

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SC_ACTION_NONE,
  SC_ACTION_LIVE,
  SC_ACTION_NEXT_PRODUCT,
  SC_ACTION_PREVIOUS_PRODUCT,
  SC_ACTION_FLASH_SALE,
  SC_ACTION_COUPON,
  SC_ACTION_STOCK,
  SC_ACTION_CLOSEUP,
  SC_ACTION_MIC_MUTE,
  SC_ACTION_SCENE,
  SC_ACTION_RECONNECT,
} ScAction;

typedef struct {
  ScAction action;
  char *scene; /* SC_ACTION_SCENE */
} ScActionSpec;

typedef enum { SC_LAMP_RED, SC_LAMP_GREEN, SC_LAMP_AMBER, SC_N_LAMPS } ScLampColour;

typedef struct {
  char *name;   /* "2", or "pedal:KEY_PAGEDOWN" */
  char *keypad; /* NULL: a GPIO button */
  int key;      /* keypads: the key code */
  guint line;   /* GPIO: the line, and how it is wired */
  gboolean active_low;
  ScButtonTiming timing;
  ScActionSpec on_short, on_long, on_held;
} ScStudioButton;

typedef struct {
  char *name;
  char *device;
} ScStudioKeypad;

typedef struct {
  char *name;
  gint line; /* a relay on a GPIO line, or -1 */
  gboolean active_low;
  char *pwm_chip; /* or a PWM channel */
  guint pwm_channel;
  guint period_ns;
} ScStudioLight;

typedef struct {
  char *name;
  gint *levels;   /* per light (ScStudioConfig.lights order): 0..100 %, or -1: unchanged */
  char **on_show; /* the show changes ("product", "flash-start", ...) that call it up */
} ScStudioScene;

typedef struct {
  char *pins_path; /* the pin map read, or NULL when the board has none */
  char *chip;      /* NULL: no GPIO; "sim": simulated */
  guint sim_lines;
  gint lamp_line[SC_N_LAMPS]; /* -1: the board has no such lamp */
  gboolean lamp_active_low[SC_N_LAMPS];
  GPtrArray *buttons; /* ScStudioButton* */
  GPtrArray *keypads; /* ScStudioKeypad* */
  GPtrArray *lights;  /* ScStudioLight* */
  GPtrArray *scenes;  /* ScStudioScene* */
  char *start_scene;  /* NULL: lights left as they are */
} ScStudioConfig;

/* The groups and keys the config may hold for the studio (for its schema). */
extern const char *const sc_studio_button_keys[];
extern const char *const sc_studio_keypad_keys[];
extern const char *const sc_studio_scene_keys[];
extern const char *const sc_studio_keys[];

/* Reads @pins_path (may be NULL or absent: no studio hardware) and the studio
 * groups of @kf (the config at @path), checking every name against the pin
 * map. Errors are SC_KEYFILE_ERROR naming the file, group and key. */
ScStudioConfig *sc_studio_config_load(GKeyFile *kf, const char *path, const char *pins_path,
                                      GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_studio_config_free(ScStudioConfig *config);

const char *sc_action_name(ScAction action);
/* "scene:closeup" for a scene. Free with g_free. */
char *sc_action_spec_describe(const ScActionSpec *spec);
/* Parses an action ("next-product", "scene:closeup"); the scene must exist
 * in @config when it is not NULL. */
gboolean sc_action_parse(const char *text, const ScStudioConfig *config, ScActionSpec *spec,
                         GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScStudioConfig, sc_studio_config_free)

G_END_DECLS
