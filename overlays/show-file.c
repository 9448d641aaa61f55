/* The show file: read, checked field by field, and freed. */
#define G_LOG_DOMAIN "shopcast-show"

#include "overlays/show-file.h"

#include "firmware/keyfile.h"

#include <cairo.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#define MAX_POINT_CHARS 40
#define MAX_NOTE_CHARS  400
#define MAX_IMAGE_BYTES (16 << 20)
#define MAX_IMAGE_SIDE  4096 /* pixels */

G_DEFINE_QUARK(sc - show - error - quark, sc_show_error)

static const char *const show_keys[] = {"title",  "host", "closing-note",    "logo",
                                        "accent", "font", "min-interval-ms", "explain-limit",
                                        NULL};
static const char *const note_keys[] = {"note", NULL};
static const char *const product_keys[] = {"name",
                                           "price",
                                           "original-price",
                                           "points",
                                           "image",
                                           "coupon-threshold",
                                           "coupon-value",
                                           "coupon-percent",
                                           "coupon-quantity",
                                           "stock",
                                           "flash-sale",
                                           "note",
                                           NULL};
static const char *const offer_keys[] = {"product", "note", NULL};

static const ScKeyfileGroup schema[] = {
    {"show", show_keys},          {"opening", note_keys},  {"product *", product_keys},
    {"interaction *", note_keys}, {"offer *", offer_keys}, {"closing", note_keys},
};

static void
product_free(gpointer p)
{
  ScProduct *product = p;
  g_free(product->id);
  g_free(product->name);
  for (guint i = 0; i < SC_SHOW_MAX_POINTS; i++)
    g_free(product->points[i]);
  g_free(product->image);
  g_free(product);
}

static void
block_free(gpointer p)
{
  ScBlock *block = p;
  g_free(block->name);
  g_free(block->product);
  g_free(block->note);
  g_free(block);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScProduct, product_free)

void
sc_show_file_free(ScShowFile *file)
{
  if (file == NULL)
    return;
  g_free(file->path);
  g_free(file->title);
  g_free(file->host);
  g_free(file->closing_note);
  g_free(file->logo);
  g_free(file->font);
  g_clear_pointer(&file->products, g_ptr_array_unref);
  g_clear_pointer(&file->blocks, g_ptr_array_unref);
  g_free(file);
}

static gboolean field_error(GError **error, const ScShowFile *f, const char *group, const char *key,
                            const char *format, ...) G_GNUC_PRINTF(5, 6);

static gboolean
field_error(GError **error, const ScShowFile *f, const char *group, const char *key,
            const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error(error, SC_SHOW_ERROR, SC_SHOW_ERROR_FILE, "%s: [%s]%s%s: %s", f->path, group,
              key ? " " : "", key ? key : "", message);
  return FALSE;
}

/* A keyfile error, in the show's domain (its message already names the field). */
static gboolean
from_keyfile(GError **error, GError *local)
{
  g_set_error_literal(error, SC_SHOW_ERROR, SC_SHOW_ERROR_FILE, local->message);
  g_error_free(local);
  return FALSE;
}

static gboolean
get_text(GKeyFile *kf, const ScShowFile *f, const char *group, const char *key, gboolean required,
         guint max_chars, char **value, GError **error)
{
  GError *local = NULL;
  if (!(required ? sc_keyfile_require_string(kf, f->path, group, key, value, &local)
                 : sc_keyfile_get_string(kf, f->path, group, key, value, &local)))
    return from_keyfile(error, local);
  if (*value && g_utf8_strlen(*value, -1) > (glong)max_chars)
    return field_error(error, f, group, key, "longer than %u characters", max_chars);
  return TRUE;
}

static gboolean
get_uint(GKeyFile *kf, const ScShowFile *f, const char *group, const char *key, guint min,
         guint max, guint *value, GError **error)
{
  GError *local = NULL;
  return sc_keyfile_get_uint(kf, f->path, group, key, min, max, value, &local) ||
         from_keyfile(error, local);
}

static gboolean
get_money(GKeyFile *kf, const ScShowFile *f, const char *group, const char *key, ScFen *value,
          GError **error)
{
  g_autofree char *text = NULL;
  if (!get_text(kf, f, group, key, FALSE, 32, &text, error))
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (text && !sc_money_parse(text, value, &local))
    return field_error(error, f, group, key, "%s", local->message);
  return TRUE;
}

/* A file named in the show, relative to the show file's folder; it must exist. */
static gboolean
get_file(GKeyFile *kf, const ScShowFile *f, const char *group, const char *key, char **value,
         GError **error)
{
  g_autofree char *text = NULL;
  if (!get_text(kf, f, group, key, FALSE, 4096, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  g_autofree char *dir = g_path_get_dirname(f->path);
  g_autofree char *path =
      g_path_is_absolute(text) ? g_strdup(text) : g_build_filename(dir, text, NULL);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
    return field_error(error, f, group, key, "no such file: %s", path);
  *value = g_steal_pointer(&path);
  return TRUE;
}

/* Why the PNG at @path cannot be drawn, or NULL. Its header is read first,
 * so that a small file cannot ask for gigabytes of pixels. */
static char *
png_problem(const char *path)
{
  static const guint8 signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  GStatBuf st;
  if (g_stat(path, &st) != 0)
    return g_strdup_printf("cannot be read: %s", g_strerror(errno));
  if (st.st_size > MAX_IMAGE_BYTES)
    return g_strdup_printf("%" G_GINT64_FORMAT " bytes: an image is at most %d MiB",
                           (gint64)st.st_size, MAX_IMAGE_BYTES >> 20);
  guint8 head[24] = {0};
  FILE *fp = fopen(path, "rb");
  if (fp == NULL)
    return g_strdup_printf("cannot be read: %s", g_strerror(errno));
  size_t n = fread(head, 1, sizeof head, fp);
  fclose(fp);
  if (n < sizeof head || memcmp(head, signature, 8) != 0 || memcmp(head + 12, "IHDR", 4) != 0)
    return g_strdup("not a PNG image (JPEG and other formats are not read: save it as PNG)");
  guint32 w, h;
  memcpy(&w, head + 16, 4);
  memcpy(&h, head + 20, 4);
  w = GUINT32_FROM_BE(w);
  h = GUINT32_FROM_BE(h);
  if (w == 0 || h == 0 || w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE)
    return g_strdup_printf("%u x %u pixels: an image is at most %d x %d", w, h, MAX_IMAGE_SIDE,
                           MAX_IMAGE_SIDE);
  cairo_surface_t *image = cairo_image_surface_create_from_png(path);
  cairo_status_t status = cairo_surface_status(image);
  cairo_surface_destroy(image);
  if (status != CAIRO_STATUS_SUCCESS)
    return g_strdup_printf("a damaged PNG image that cannot be read (%s)",
                           cairo_status_to_string(status));
  return NULL;
}

/* A PNG image named in the show: it must exist and be read whole now, so
 * that it is not found broken on air. */
static gboolean
get_png(GKeyFile *kf, const ScShowFile *f, const char *group, const char *key, char **value,
        GError **error)
{
  g_autofree char *path = NULL;
  if (!get_file(kf, f, group, key, &path, error))
    return FALSE;
  if (path == NULL)
    return TRUE;
  g_autofree char *problem = png_problem(path);
  if (problem)
    return field_error(error, f, group, key, "%s: %s", path, problem);
  *value = g_steal_pointer(&path);
  return TRUE;
}

static gboolean
get_accent(GKeyFile *kf, ScShowFile *f, GError **error)
{
  g_autofree char *text = NULL;
  if (!get_text(kf, f, "show", "accent", FALSE, 32, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  gboolean ok = strlen(text) == 7 && text[0] == '#';
  for (int i = 1; ok && i < 7; i++)
    ok = g_ascii_isxdigit(text[i]);
  if (!ok)
    return field_error(error, f, "show", "accent",
                       "'%s' is not a colour: write #RRGGBB, six hexadecimal digits (the "
                       "default is #%06X)",
                       text, SC_SHOW_DEFAULT_ACCENT);
  f->accent = (guint32)g_ascii_strtoull(text + 1, NULL, 16);
  return TRUE;
}

/* The installed family called @name (ASCII case aside), spelt as the font
 * map spells it, or NULL; @installed gets the first few families' names. */
static char *
find_font_family(const char *name, GString *installed)
{
  PangoFontMap *map = pango_cairo_font_map_new();
  PangoFontFamily **families = NULL;
  int n = 0;
  pango_font_map_list_families(map, &families, &n);
  char *found = NULL;
  for (int i = 0; i < n && found == NULL; i++) {
    const char *family = pango_font_family_get_name(families[i]);
    if (g_ascii_strcasecmp(family, name) == 0)
      found = g_strdup(family);
    if (i < 8)
      g_string_append_printf(installed, "%s%s", i ? ", " : "", family);
  }
  if (n > 8)
    g_string_append(installed, ", ...");
  g_free(families);
  g_object_unref(map);
  return found;
}

static gboolean
get_font(GKeyFile *kf, ScShowFile *f, GError **error)
{
  g_autofree char *text = NULL;
  if (!get_text(kf, f, "show", "font", FALSE, 100, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  g_autoptr(GString) installed = g_string_new(NULL);
  char *family = find_font_family(text, installed);
  if (family == NULL)
    return field_error(error, f, "show", "font",
                       "no font family '%s' is installed (installed: %s); the graphics are made "
                       "for \"%s\", which the package fonts-noto-cjk provides",
                       text, installed->len ? installed->str : "none", SC_SHOW_DEFAULT_FONT);
  g_free(f->font);
  f->font = family;
  return TRUE;
}

static gboolean
read_points(GKeyFile *kf, const ScShowFile *f, const char *group, ScProduct *p, GError **error)
{
  g_autofree char *text = NULL;
  if (!get_text(kf, f, group, "points", FALSE, 4 * MAX_POINT_CHARS, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(text, ";", -1);
  guint n = 0;
  for (char **part = parts; *part; part++) {
    char *point = g_strstrip(*part);
    if (*point == '\0')
      continue;
    if (n == SC_SHOW_MAX_POINTS)
      return field_error(error, f, group, "points", "at most %d selling points, separated by ';'",
                         SC_SHOW_MAX_POINTS);
    if (g_utf8_strlen(point, -1) > MAX_POINT_CHARS)
      return field_error(error, f, group, "points", "'%s' is longer than %d characters", point,
                         MAX_POINT_CHARS);
    p->points[n++] = g_strdup(point);
  }
  return TRUE;
}

/* The honest-pricing rules a product must meet in the file. */
static gboolean
check_product(const ScShowFile *f, const char *group, const ScProduct *p, GError **error)
{
  if (p->price <= 0)
    return field_error(error, f, group, "price", "must be more than 0");
  if (p->original_price && p->original_price <= p->price) {
    g_autofree char *o = sc_money_format(p->original_price), *s = sc_money_format(p->price);
    return field_error(error, f, group, "original-price",
                       "¥%s is not above the price ¥%s: a struck-through price must be higher", o,
                       s);
  }
  gboolean amount = p->coupon_threshold || p->coupon_value;
  if (amount && p->coupon_percent)
    return field_error(error, f, group, "coupon-percent",
                       "a coupon is either 满减 (coupon-threshold and coupon-value) or a "
                       "percentage, not both");
  if (amount && (p->coupon_value <= 0 || p->coupon_value >= p->coupon_threshold))
    return field_error(error, f, group, "coupon-value",
                       "a 满减 coupon takes off more than 0 and less than its threshold");
  if (p->coupon_quantity && !amount && !p->coupon_percent)
    return field_error(error, f, group, "coupon-quantity", "there is no coupon to count");
  return TRUE;
}

static ScProduct *
read_product(GKeyFile *kf, const ScShowFile *f, const char *group, GError **error)
{
  g_autoptr(ScProduct) p = g_new0(ScProduct, 1);
  p->id = g_strdup(group + strlen("product "));
  p->stock = -1;
  guint stock = G_MAXUINT, percent = 0;
  g_autofree char *note = NULL;
  if (!get_text(kf, f, group, "name", TRUE, SC_SHOW_MAX_NAME_CHARS, &p->name, error) ||
      !get_money(kf, f, group, "price", &p->price, error) ||
      !get_money(kf, f, group, "original-price", &p->original_price, error) ||
      !read_points(kf, f, group, p, error) || !get_png(kf, f, group, "image", &p->image, error) ||
      !get_money(kf, f, group, "coupon-threshold", &p->coupon_threshold, error) ||
      !get_money(kf, f, group, "coupon-value", &p->coupon_value, error) ||
      !get_uint(kf, f, group, "coupon-percent", 1, 99, &percent, error) ||
      !get_uint(kf, f, group, "coupon-quantity", 1, SC_SHOW_MAX_QUANTITY, &p->coupon_quantity,
                error) ||
      !get_uint(kf, f, group, "stock", 0, SC_SHOW_MAX_QUANTITY, &stock, error) ||
      !get_uint(kf, f, group, "flash-sale", 10, 24 * 3600, &p->flash_sale_s, error) ||
      !get_text(kf, f, group, "note", FALSE, MAX_NOTE_CHARS, &note, error))
    return NULL;
  if (!g_key_file_has_key(kf, group, "price", NULL)) {
    field_error(error, f, group, "price", "missing: every product needs a price");
    return NULL;
  }
  p->coupon_percent = percent;
  p->stock = stock == G_MAXUINT ? -1 : (gint)stock;
  if (!check_product(f, group, p, error))
    return NULL;
  return g_steal_pointer(&p);
}

static const ScProduct *
find_product(GPtrArray *products, const char *id)
{
  for (guint i = 0; i < products->len; i++) {
    const ScProduct *p = g_ptr_array_index(products, i);
    if (g_str_equal(p->id, id))
      return p;
  }
  return NULL;
}

static gboolean
valid_id(const char *id)
{
  if (*id == '\0' || strlen(id) > 64)
    return FALSE;
  for (const char *q = id; *q; q++)
    if (!g_ascii_isalnum(*q) && *q != '-' && *q != '_')
      return FALSE;
  return TRUE;
}

static gboolean
read_block(GKeyFile *kf, ScShowFile *f, const char *group, GError **error)
{
  static const struct {
    const char *prefix;
    ScBlockKind kind;
  } kinds[] = {{"opening", SC_BLOCK_OPENING},
               {"product ", SC_BLOCK_PRODUCT},
               {"interaction ", SC_BLOCK_INTERACTION},
               {"offer ", SC_BLOCK_OFFER},
               {"closing", SC_BLOCK_CLOSING}};
  for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
    if (!g_str_has_prefix(group, kinds[k].prefix))
      continue;
    const char *name = group + strlen(kinds[k].prefix);
    if (g_str_has_suffix(kinds[k].prefix, " ") && !valid_id(name))
      return field_error(error, f, group, NULL,
                         "'%s' is not a valid id: letters, digits, '-' and '_' (at most 64)", name);
    ScBlock *b = g_new0(ScBlock, 1);
    b->kind = kinds[k].kind;
    b->name = g_strdup(*name ? name : kinds[k].prefix);
    g_ptr_array_add(f->blocks, b);
    if (!get_text(kf, f, group, "note", FALSE, MAX_NOTE_CHARS, &b->note, error))
      return FALSE;
    if (b->kind == SC_BLOCK_PRODUCT) {
      if (find_product(f->products, name))
        return field_error(error, f, group, NULL, "product '%s' is listed twice", name);
      ScProduct *p = read_product(kf, f, group, error);
      if (p == NULL)
        return FALSE;
      g_ptr_array_add(f->products, p);
      b->product = g_strdup(name);
    } else if (b->kind == SC_BLOCK_OFFER) {
      if (!get_text(kf, f, group, "product", TRUE, 64, &b->product, error))
        return FALSE;
    }
    return TRUE;
  }
  return TRUE; /* [show]: read separately */
}

ScShowFile *
sc_show_file_load(const char *path, GError **error)
{
  GError *local = NULL;
  g_autoptr(GKeyFile) kf = sc_keyfile_load(path, &local);
  if (kf == NULL || !sc_keyfile_check(kf, path, schema, G_N_ELEMENTS(schema), &local)) {
    from_keyfile(error, local);
    return NULL;
  }
  g_autoptr(ScShowFile) f = g_new0(ScShowFile, 1);
  f->path = g_strdup(path);
  f->products = g_ptr_array_new_with_free_func(product_free);
  f->blocks = g_ptr_array_new_with_free_func(block_free);
  f->min_interval_ms = 500;
  f->explain_limit_s = 8 * 60;
  f->accent = SC_SHOW_DEFAULT_ACCENT;
  f->font = g_strdup(SC_SHOW_DEFAULT_FONT);
  if (!g_key_file_has_group(kf, "show")) {
    field_error(error, f, "show", NULL, "missing: the show needs a [show] block with its title");
    return NULL;
  }
  if (!get_text(kf, f, "show", "title", TRUE, SC_SHOW_MAX_NAME_CHARS, &f->title, error) ||
      !get_text(kf, f, "show", "host", FALSE, SC_SHOW_MAX_NAME_CHARS, &f->host, error) ||
      !get_text(kf, f, "show", "closing-note", FALSE, MAX_NOTE_CHARS, &f->closing_note, error) ||
      !get_png(kf, f, "show", "logo", &f->logo, error) || !get_accent(kf, f, error) ||
      !get_font(kf, f, error) ||
      !get_uint(kf, f, "show", "min-interval-ms", 0, 10000, &f->min_interval_ms, error) ||
      !get_uint(kf, f, "show", "explain-limit", 60, 3600, &f->explain_limit_s, error))
    return NULL;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++)
    if (!read_block(kf, f, *g, error))
      return NULL;
  for (guint i = 0; i < f->blocks->len; i++) {
    const ScBlock *b = g_ptr_array_index(f->blocks, i);
    if (b->kind == SC_BLOCK_OFFER && find_product(f->products, b->product) == NULL) {
      g_autofree char *group = g_strdup_printf("offer %s", b->name);
      field_error(error, f, group, "product", "no product '%s' in this show", b->product);
      return NULL;
    }
  }
  if (f->products->len == 0) {
    field_error(error, f, "show", NULL, "no [product ID] block: a show sells something");
    return NULL;
  }
  return g_steal_pointer(&f);
}
