/* amf.h - AMF0, the value encoding of RTMP commands (private to the RTMP client).
 *
 * The encoder appends to a GByteArray. The decoder reads what servers send
 * (_result, _error, onStatus, onBWDone ...): numbers, booleans, strings,
 * objects, null/undefined and ECMA arrays. It faces the network: every read is
 * bounds-checked, nesting and sizes are capped, and malformed or truncated
 * input is an error, never a crash. Pure functions; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_AMF_ERROR (sc_amf_error_quark())
GQuark sc_amf_error_quark(void);

typedef enum {
  SC_AMF_ERROR_TRUNCATED,   /* the input ends inside a value */
  SC_AMF_ERROR_MALFORMED,   /* a marker or structure that AMF0 does not allow here */
  SC_AMF_ERROR_UNSUPPORTED, /* a valid AMF0 type RTMP servers do not send (date, XML, AMF3 ...) */
  SC_AMF_ERROR_LIMIT,       /* nesting deeper or objects larger than the limits below */
} ScAmfError;

#define SC_AMF_MAX_DEPTH      16   /* nested objects / arrays */
#define SC_AMF_MAX_PROPERTIES 1024 /* properties in one object or ECMA array */
#define SC_AMF_MAX_VALUES     256  /* top-level values in one message */

typedef enum {
  SC_AMF_NUMBER,
  SC_AMF_BOOLEAN,
  SC_AMF_STRING, /* short or long string */
  SC_AMF_OBJECT,
  SC_AMF_NULL,
  SC_AMF_UNDEFINED,
  SC_AMF_ECMA_ARRAY,
} ScAmfType;

/* Encoding. Strings longer than 65535 bytes are written as long strings.
 * Properties: sc_amf_write_object_begin() (or _ecma_array_begin()), then for
 * each property its name with sc_amf_write_property() followed by one value,
 * then sc_amf_write_object_end(). */
void sc_amf_write_number(GByteArray *out, double value);
void sc_amf_write_boolean(GByteArray *out, gboolean value);
void sc_amf_write_string(GByteArray *out, const char *value);
void sc_amf_write_null(GByteArray *out);
void sc_amf_write_object_begin(GByteArray *out);
void sc_amf_write_ecma_array_begin(GByteArray *out, guint32 count);
void sc_amf_write_property(GByteArray *out, const char *name); /* 1..65535 bytes */
void sc_amf_write_object_end(GByteArray *out);

/* A decoded value, owned by whoever decoded it (or by its container). */
typedef struct _ScAmfValue ScAmfValue;

/* Decodes one value from @data. On success *@consumed (may be NULL) is the
 * number of bytes it took. */
ScAmfValue *sc_amf_decode(const guint8 *data, gsize len, gsize *consumed,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Decodes every value in @data (an RTMP command is a sequence of values);
 * the array owns its values. Empty input gives an empty array. */
GPtrArray *sc_amf_decode_all(const guint8 *data, gsize len,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_amf_value_free(ScAmfValue *value);

ScAmfType sc_amf_value_get_type(const ScAmfValue *value);     /* UNDEFINED for NULL */
double sc_amf_value_get_number(const ScAmfValue *value);      /* 0 unless a number */
gboolean sc_amf_value_get_boolean(const ScAmfValue *value);   /* FALSE unless a boolean */
const char *sc_amf_value_get_string(const ScAmfValue *value); /* NULL unless a string; the
                                                                 text up to any NUL byte */
/* Objects and ECMA arrays, in wire order; 0 / NULL for other types. */
guint sc_amf_value_get_n_properties(const ScAmfValue *value);
const char *sc_amf_value_get_property_name(const ScAmfValue *value, guint index);
const ScAmfValue *sc_amf_value_get_property(const ScAmfValue *value, guint index);
/* The first property called @name, or NULL (also when @value is NULL). */
const ScAmfValue *sc_amf_value_lookup(const ScAmfValue *value, const char *name);
/* The string property @name, or NULL if absent or not a string. */
const char *sc_amf_value_lookup_string(const ScAmfValue *value, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAmfValue, sc_amf_value_free)

G_END_DECLS
