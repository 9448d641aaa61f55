/* show.h - the run of show (直播脚本) and what its graphics say on air.
 *
 * The show comes from a show file (show-file.h: the products, the blocks in
 * running order, the theme), read and checked before the show starts.
 *
 * ScShow holds the show and the state of its graphics, and takes the
 * studio's actions (next product, start the flash sale, set the stock, ...).
 * Every action either changes what is on air and reports the change, or
 * changes nothing and says why. Honest pricing is built in: prices are whole
 * fen; a struck-through original price is always above the price shown; a
 * flash sale's end instant is fixed when it starts and a second start of the
 * same offer is refused unless explicitly reset; stock is only ever what was
 * set; and changes cannot come faster than the show's minimum interval.
 *
 * Main thread only.
 */
#pragma once

#include "overlays/show-file.h"

G_BEGIN_DECLS

/* What the graphics show now. */
typedef struct {
  const ScProduct *product; /* the product card, or NULL */
  ScFen corrected_price;    /* a price correction on air (价格更正), or 0 */
  gboolean coupon;          /* the coupon card of the product on air */
  gboolean stock;           /* the stock counter of the product on air */
  gboolean flash_sale;      /* the countdown of the product on air */
  gint64 flash_end_us;      /* its fixed end instant (wall clock), when flash_sale */
  const char *lower_third_name, *lower_third_role; /* NULL: none */
  gboolean opening, closing;
} ScOnAir;

typedef struct _ScShow ScShow;

/* Called after every change on air: @what is the action ("product", "flash-start",
 * "stock", ...), @detail a short JSON object of what changed. */
typedef void (*ScShowChangeFunc)(ScShow *show, const char *what, const char *detail,
                                 gpointer user_data);

/* Takes @file. Nothing is on air at first. */
ScShow *sc_show_new(ScShowFile *file, ScShowChangeFunc func, gpointer user_data);
void sc_show_free(ScShow *show);

const ScShowFile *sc_show_get_file(ScShow *show);
const ScOnAir *sc_show_get_on_air(ScShow *show);

/* Reads @path again; on any error nothing changes. The product on air stays
 * on air (with its new data) when the new file still has it. */
gboolean sc_show_reload(ScShow *show, GError **error);

/* ---- actions: TRUE and a change, or FALSE, @error and nothing changed ---- */
gboolean sc_show_next_product(ScShow *show, GError **error);
gboolean sc_show_previous_product(ScShow *show, GError **error);
/* @which: a product id, or its position in the running order from 1 */
gboolean sc_show_goto_product(ScShow *show, const char *which, GError **error);
/* Moves product @id to @position (from 1) in the running order, live. */
gboolean sc_show_move_product(ScShow *show, const char *id, guint position, GError **error);
gboolean sc_show_flash_start(ScShow *show, GError **error);
gboolean sc_show_flash_stop(ScShow *show, GError **error);
/* Forgets the end instant of the product on air's flash sale, so it can start
 * again: an explicit, logged act. */
gboolean sc_show_flash_reset(ScShow *show, GError **error);
gboolean sc_show_coupon(ScShow *show, gboolean visible, GError **error);
gboolean sc_show_set_stock(ScShow *show, gint stock, GError **error);
gboolean sc_show_stock_visible(ScShow *show, gboolean visible, GError **error);
gboolean sc_show_correct_price(ScShow *show, const char *price, GError **error);
gboolean sc_show_lower_third(ScShow *show, const char *name, const char *role, GError **error);
gboolean sc_show_hide_lower_third(ScShow *show, GError **error);
gboolean sc_show_opening(ScShow *show, gboolean visible, GError **error);
gboolean sc_show_closing(ScShow *show, gboolean visible, GError **error);

/* How long the product on air has been explained, and whether that is past
 * the show's limit (the 8-minute warning). 0 and FALSE with none on air. */
guint sc_show_get_explain_seconds(ScShow *show, gboolean *over_limit);

/* ---- resuming after an unclean stop (firmware/show-state.c) ---- */

/* While @restoring, the actions above skip the minimum interval: the show
 * comes back as it was in one go, each step still checked and reported. */
void sc_show_set_restoring(ScShow *show, gboolean restoring);
/* A new show read again from @show's file, with @show's clocks, nothing on
 * air and no change callback: to rehearse a restore on. */
ScShow *sc_show_new_rehearsal(ScShow *show, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The fixed end instant (wall clock, us) of product @id's flash sale, or
 * FALSE when it has not started (or was reset). */
gboolean sc_show_get_flash_end(ScShow *show, const char *id, gint64 *end_us);
/* Fixes product @id's flash-sale end at @end_us (wall clock), as it was
 * before a restart, so that it cannot start again. With @on_air and @id on
 * air, its countdown goes back on air, carrying on to the same end; a
 * countdown already over is not put back, nor restarted. Refused for a
 * product that has no flash sale, an end already fixed, or an end further
 * away than the sale's length. */
gboolean sc_show_restore_flash(ScShow *show, const char *id, gint64 end_us, gboolean on_air,
                               GError **error);

/* For tests: the clocks the show reads (monotonic and wall, in us). */
void sc_show_set_clock(ScShow *show, gint64 (*monotonic)(void), gint64 (*realtime)(void));

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScShow, sc_show_free)

G_END_DECLS
