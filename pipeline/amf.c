/* amf.c - AMF0 encoder and bounded decoder. */
#include "pipeline/amf.h"

#include <string.h>

GQuark
sc_amf_error_quark(void)
{
  return g_quark_from_static_string("sc-amf-error-quark");
}

enum {
  MARKER_NUMBER = 0x00,
  MARKER_BOOLEAN = 0x01,
  MARKER_STRING = 0x02,
  MARKER_OBJECT = 0x03,
  MARKER_NULL = 0x05,
  MARKER_UNDEFINED = 0x06,
  MARKER_ECMA_ARRAY = 0x08,
  MARKER_OBJECT_END = 0x09,
  MARKER_LONG_STRING = 0x0c,
};

struct _ScAmfValue {
  ScAmfType type;
  double number;
  gboolean boolean;
  char *string;      /* NUL-terminated copy */
  GPtrArray *names;  /* objects and ECMA arrays: char * */
  GPtrArray *values; /* ... and their ScAmfValue *, same order */
};

/* ---- encoding ---- */

static void
put_u8(GByteArray *out, guint8 v)
{
  g_byte_array_append(out, &v, 1);
}

static void
put_be16(GByteArray *out, guint16 v)
{
  guint8 b[2] = {v >> 8, v & 0xff};
  g_byte_array_append(out, b, sizeof b);
}

static void
put_be32(GByteArray *out, guint32 v)
{
  guint8 b[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
  g_byte_array_append(out, b, sizeof b);
}

void
sc_amf_write_number(GByteArray *out, double value)
{
  guint64 bits;
  memcpy(&bits, &value, sizeof bits); /* AMF0 numbers are big-endian IEEE 754 doubles */
  bits = GUINT64_TO_BE(bits);
  put_u8(out, MARKER_NUMBER);
  g_byte_array_append(out, (const guint8 *)&bits, sizeof bits);
}

void
sc_amf_write_boolean(GByteArray *out, gboolean value)
{
  put_u8(out, MARKER_BOOLEAN);
  put_u8(out, value ? 1 : 0);
}

void
sc_amf_write_string(GByteArray *out, const char *value)
{
  gsize len = strlen(value);
  if (len > G_MAXUINT16) {
    put_u8(out, MARKER_LONG_STRING);
    put_be32(out, (guint32)MIN(len, G_MAXUINT32));
  } else {
    put_u8(out, MARKER_STRING);
    put_be16(out, (guint16)len);
  }
  g_byte_array_append(out, (const guint8 *)value, (guint)MIN(len, G_MAXUINT32));
}

void
sc_amf_write_null(GByteArray *out)
{
  put_u8(out, MARKER_NULL);
}

void
sc_amf_write_object_begin(GByteArray *out)
{
  put_u8(out, MARKER_OBJECT);
}

void
sc_amf_write_ecma_array_begin(GByteArray *out, guint32 count)
{
  put_u8(out, MARKER_ECMA_ARRAY);
  put_be32(out, count);
}

void
sc_amf_write_property(GByteArray *out, const char *name)
{
  gsize len = strlen(name);
  /* an empty name would read back as the end of the object */
  g_return_if_fail(len > 0 && len <= G_MAXUINT16);
  put_be16(out, (guint16)len);
  g_byte_array_append(out, (const guint8 *)name, (guint)len);
}

void
sc_amf_write_object_end(GByteArray *out)
{
  put_be16(out, 0);
  put_u8(out, MARKER_OBJECT_END);
}

/* ---- decoding ---- */

typedef struct {
  const guint8 *p;
  gsize left;
  guint depth;
} Reader;

static gboolean
need(Reader *r, gsize n, const char *what, GError **error)
{
  if (r->left >= n)
    return TRUE;
  g_set_error(error, SC_AMF_ERROR, SC_AMF_ERROR_TRUNCATED,
              "truncated AMF0 data: %s needs %" G_GSIZE_FORMAT " bytes, only %" G_GSIZE_FORMAT
              " left",
              what, n, r->left);
  return FALSE;
}

/* Callers check need() first. */
static guint32
take_be(Reader *r, guint n)
{
  guint32 v = 0;
  for (guint i = 0; i < n; i++)
    v = (v << 8) | r->p[i];
  r->p += n;
  r->left -= n;
  return v;
}

static ScAmfValue *
value_new(ScAmfType type)
{
  ScAmfValue *v = g_new0(ScAmfValue, 1);
  v->type = type;
  return v;
}

void
sc_amf_value_free(ScAmfValue *value)
{
  if (value == NULL)
    return;
  g_free(value->string);
  if (value->names)
    g_ptr_array_unref(value->names);
  if (value->values)
    g_ptr_array_unref(value->values); /* recursion is bounded by SC_AMF_MAX_DEPTH */
  g_free(value);
}

/* A UTF-8 string with a 2- or 4-byte length prefix. */
static char *
take_string(Reader *r, guint prefix, GError **error)
{
  if (!need(r, prefix, "a string length", error))
    return NULL;
  gsize len = take_be(r, prefix);
  if (!need(r, len, "a string", error))
    return NULL;
  char *s = g_strndup((const char *)r->p, len); /* stops at an embedded NUL */
  r->p += len;
  r->left -= len;
  return s;
}

static ScAmfValue *decode_value(Reader *r, GError **error);

/* Reads one property name; FALSE with *name NULL and no error at the end marker. */
static gboolean
take_property_name(Reader *r, char **name, GError **error)
{
  *name = NULL;
  if (!need(r, 2, "a property name length", error))
    return FALSE;
  if (r->p[0] == 0 && r->p[1] == 0) {
    take_be(r, 2);
    if (!need(r, 1, "the object end marker", error))
      return FALSE;
    if (take_be(r, 1) != MARKER_OBJECT_END) {
      g_set_error_literal(error, SC_AMF_ERROR, SC_AMF_ERROR_MALFORMED,
                          "malformed AMF0 object: empty property name");
      return FALSE;
    }
    return FALSE;
  }
  *name = take_string(r, 2, error);
  return *name != NULL;
}

static gboolean
decode_properties(Reader *r, ScAmfValue *container, GError **error)
{
  container->names = g_ptr_array_new_with_free_func(g_free);
  container->values = g_ptr_array_new_with_free_func((GDestroyNotify)sc_amf_value_free);
  for (guint i = 0; i <= SC_AMF_MAX_PROPERTIES; i++) {
    g_autofree char *name = NULL;
    GError *local = NULL;
    if (!take_property_name(r, &name, &local)) {
      if (local == NULL)
        return TRUE; /* end marker */
      g_propagate_error(error, local);
      return FALSE;
    }
    if (i == SC_AMF_MAX_PROPERTIES)
      break;
    ScAmfValue *value = decode_value(r, error);
    if (value == NULL)
      return FALSE;
    g_ptr_array_add(container->names, g_steal_pointer(&name));
    g_ptr_array_add(container->values, value);
  }
  g_set_error(error, SC_AMF_ERROR, SC_AMF_ERROR_LIMIT, "AMF0 object with more than %d properties",
              SC_AMF_MAX_PROPERTIES);
  return FALSE;
}

static ScAmfValue *
decode_container(Reader *r, ScAmfType type, GError **error)
{
  if (r->depth >= SC_AMF_MAX_DEPTH) {
    g_set_error(error, SC_AMF_ERROR, SC_AMF_ERROR_LIMIT, "AMF0 objects nested deeper than %d",
                SC_AMF_MAX_DEPTH);
    return NULL;
  }
  /* the ECMA array count is only a hint: the end marker ends the array */
  if (type == SC_AMF_ECMA_ARRAY) {
    if (!need(r, 4, "an ECMA array count", error))
      return NULL;
    take_be(r, 4);
  }
  g_autoptr(ScAmfValue) v = value_new(type);
  r->depth++;
  gboolean ok = decode_properties(r, v, error);
  r->depth--;
  return ok ? g_steal_pointer(&v) : NULL;
}

static ScAmfValue *
decode_number(Reader *r, GError **error)
{
  if (!need(r, 8, "a number", error))
    return NULL;
  guint64 bits = ((guint64)take_be(r, 4) << 32) | take_be(r, 4);
  ScAmfValue *v = value_new(SC_AMF_NUMBER);
  memcpy(&v->number, &bits, sizeof bits);
  return v;
}

static ScAmfValue *
decode_boolean(Reader *r, GError **error)
{
  if (!need(r, 1, "a boolean", error))
    return NULL;
  ScAmfValue *v = value_new(SC_AMF_BOOLEAN);
  v->boolean = take_be(r, 1) != 0;
  return v;
}

static ScAmfValue *
decode_string(Reader *r, guint prefix, GError **error)
{
  char *s = take_string(r, prefix, error);
  if (s == NULL)
    return NULL;
  ScAmfValue *v = value_new(SC_AMF_STRING);
  v->string = s;
  return v;
}

static ScAmfValue *
decode_value(Reader *r, GError **error)
{
  if (!need(r, 1, "a type marker", error))
    return NULL;
  guint8 marker = take_be(r, 1);
  switch (marker) {
  case MARKER_NUMBER:
    return decode_number(r, error);
  case MARKER_BOOLEAN:
    return decode_boolean(r, error);
  case MARKER_STRING:
    return decode_string(r, 2, error);
  case MARKER_LONG_STRING:
    return decode_string(r, 4, error);
  case MARKER_NULL:
    return value_new(SC_AMF_NULL);
  case MARKER_UNDEFINED:
    return value_new(SC_AMF_UNDEFINED);
  case MARKER_OBJECT:
    return decode_container(r, SC_AMF_OBJECT, error);
  case MARKER_ECMA_ARRAY:
    return decode_container(r, SC_AMF_ECMA_ARRAY, error);
  case MARKER_OBJECT_END:
    g_set_error_literal(error, SC_AMF_ERROR, SC_AMF_ERROR_MALFORMED,
                        "malformed AMF0: object end marker outside an object");
    return NULL;
  default:
    g_set_error(error, SC_AMF_ERROR, SC_AMF_ERROR_UNSUPPORTED,
                "unsupported AMF0 type marker 0x%02x", marker);
    return NULL;
  }
}

ScAmfValue *
sc_amf_decode(const guint8 *data, gsize len, gsize *consumed, GError **error)
{
  Reader r = {.p = data, .left = data ? len : 0};
  ScAmfValue *v = decode_value(&r, error);
  if (v && consumed)
    *consumed = len - r.left;
  return v;
}

GPtrArray *
sc_amf_decode_all(const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func((GDestroyNotify)sc_amf_value_free);
  Reader r = {.p = data, .left = data ? len : 0};
  for (guint i = 0; r.left > 0; i++) {
    if (i == SC_AMF_MAX_VALUES) {
      g_set_error(error, SC_AMF_ERROR, SC_AMF_ERROR_LIMIT, "more than %d AMF0 values",
                  SC_AMF_MAX_VALUES);
      return NULL;
    }
    ScAmfValue *v = decode_value(&r, error);
    if (v == NULL)
      return NULL;
    g_ptr_array_add(values, v);
  }
  return g_steal_pointer(&values);
}

/* ---- access ---- */

ScAmfType
sc_amf_value_get_type(const ScAmfValue *value)
{
  return value ? value->type : SC_AMF_UNDEFINED;
}

double
sc_amf_value_get_number(const ScAmfValue *value)
{
  return value && value->type == SC_AMF_NUMBER ? value->number : 0;
}

gboolean
sc_amf_value_get_boolean(const ScAmfValue *value)
{
  return value && value->type == SC_AMF_BOOLEAN && value->boolean;
}

const char *
sc_amf_value_get_string(const ScAmfValue *value)
{
  return value && value->type == SC_AMF_STRING ? value->string : NULL;
}

guint
sc_amf_value_get_n_properties(const ScAmfValue *value)
{
  return value && value->names ? value->names->len : 0;
}

const char *
sc_amf_value_get_property_name(const ScAmfValue *value, guint index)
{
  if (index >= sc_amf_value_get_n_properties(value))
    return NULL;
  return g_ptr_array_index(value->names, index);
}

const ScAmfValue *
sc_amf_value_get_property(const ScAmfValue *value, guint index)
{
  if (index >= sc_amf_value_get_n_properties(value))
    return NULL;
  return g_ptr_array_index(value->values, index);
}

const ScAmfValue *
sc_amf_value_lookup(const ScAmfValue *value, const char *name)
{
  guint n = sc_amf_value_get_n_properties(value);
  for (guint i = 0; i < n; i++) {
    if (g_str_equal(g_ptr_array_index(value->names, i), name))
      return g_ptr_array_index(value->values, i);
  }
  return NULL;
}

const char *
sc_amf_value_lookup_string(const ScAmfValue *value, const char *name)
{
  return sc_amf_value_get_string(sc_amf_value_lookup(value, name));
}
