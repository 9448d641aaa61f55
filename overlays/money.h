/* money.h - prices as whole fen (1/100 yuan), never floating point.
 *
 * A price on a live-shopping stream is a promise: it is parsed, compared and
 * printed exactly. Text forms accepted: "199", "199.9", "199.00", with an
 * optional leading "¥" or "￥"; no sign, no exponent, at most two decimals,
 * at most SC_MONEY_MAX.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gint64 ScFen;

#define SC_MONEY_MAX ((ScFen)99999999) /* ¥999,999.99 */

/* Parses @text; on failure @error says what is wrong with it (for a message
 * that also names the field). */
gboolean sc_money_parse(const char *text, ScFen *fen, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* "199" when whole, else with two decimals: "199.90", "0.05". */
char *sc_money_format(ScFen fen);

G_END_DECLS
