/* show-commands.h - the run of show's actions as control-socket commands
 * (`shopcastctl show ...`), one place for the words the studio types. */
#pragma once

#include "overlays/show.h"

G_BEGIN_DECLS

/* The usage line of the show commands. */
extern const char *const sc_show_command_usage;

/* Runs `show WORDS...` (@argv without the leading "show") on @show. Returns
 * what to print (may be empty), or NULL with @error saying what to fix. */
char *sc_show_command(ScShow *show, const char *const *argv, GError **error);

/* The show's state as one JSON object (on a line): the product on air, what
 * of it is shown, the explanation timer, the running order. */
char *sc_show_status_json(ScShow *show);

G_END_DECLS
