/* json.h - the little JSON shopcast writes by hand: string literals. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text as a JSON string literal, quotes included (NULL as ""). */
void sc_json_append_string(GString *out, const char *text);

G_END_DECLS
