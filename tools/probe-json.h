/* probe-json.h - a small JSON writer for shopcast-probe's report.
 *
 * Values are written in order into one text: a member's @key is NULL for the
 * outermost value and inside arrays. Strings are escaped (and made valid
 * UTF-8), numbers are locale-independent with trailing zeros dropped, and a
 * non-finite number or a NULL string is written as null. A container is
 * either multiline (one member per line, indented) or inline
 * ({"a": 1, "b": 2}), so the layout stays the same from run to run and can be
 * matched by text. Nesting is limited to SC_PROBE_JSON_MAX_DEPTH. One thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_PROBE_JSON_MAX_DEPTH 8

typedef struct _ScProbeJson ScProbeJson;

ScProbeJson *sc_probe_json_new(void);
void sc_probe_json_free(ScProbeJson *json);

void sc_probe_json_begin_object(ScProbeJson *json, const char *key, gboolean multiline);
void sc_probe_json_end_object(ScProbeJson *json);
void sc_probe_json_begin_array(ScProbeJson *json, const char *key, gboolean multiline);
void sc_probe_json_end_array(ScProbeJson *json);

void sc_probe_json_string(ScProbeJson *json, const char *key, const char *value);
/* At most @decimals (0-9) decimals: 2.0 -> 2, 33.36 with 1 -> 33.4. */
void sc_probe_json_number(ScProbeJson *json, const char *key, double value, int decimals);
void sc_probe_json_bool(ScProbeJson *json, const char *key, gboolean value);
void sc_probe_json_null(ScProbeJson *json, const char *key);

/* The text written so far, with a final newline, once every container is
 * closed. The writer is empty again afterwards. */
char *sc_probe_json_steal(ScProbeJson *json) G_GNUC_WARN_UNUSED_RESULT;

/* @value as the writer formats numbers ("none" when not finite), for texts
 * that must agree with the JSON. */
char *sc_probe_json_format_number(double value, int decimals) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScProbeJson, sc_probe_json_free)

G_END_DECLS
