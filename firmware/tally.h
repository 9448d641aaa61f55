/* tally.h - what the tally lamps say, from the state of the box.
 *
 * One table, nothing else decides it:
 *
 *   state                                      red    green  amber
 *   not ready (not encoding)                   off    off    -
 *   ready, not live                            off    on     -
 *   ready, not live, pre-show (opening card)   off    on     on
 *   live and healthy                           on     off    -
 *   live and degraded (backup uplink,          blink  off    -
 *     reconnecting, dropping frames, not encoding, mic lost)
 *   live, the product's 8 minutes are up       (as above)    on
 *
 * Without an amber lamp, its warnings are not shown: red and green keep
 * their meanings, so nobody mistakes a warning for "on air".
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean ready;            /* the program pipeline is encoding */
  gboolean live;             /* the show is on air */
  gboolean degraded;         /* on a backup uplink, reconnecting, dropping frames, mic lost */
  gboolean preshow;          /* not live yet, the opening card is up */
  gboolean product_overtime; /* the product on air has had its 8 minutes */
} ScTallyState;

typedef enum { SC_TALLY_OFF, SC_TALLY_ON, SC_TALLY_BLINK } ScTallyLamp;

typedef struct {
  ScTallyLamp red, green, amber;
} ScTallyLamps;

ScTallyLamps sc_tally_lamps(const ScTallyState *state);
/* For people: "on air", "on air, degraded", "ready", "not ready". */
const char *sc_tally_describe(const ScTallyState *state);

G_END_DECLS
