/* flash-bmap.c - bmaptool's XML block map, read with GMarkupParser. */
#include "tools/flash-bmap.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(sc - bmap - error - quark, sc_bmap_error)

#define SHA256_HEX 64

struct _ScBmap {
  guint64 image_size, blocks_count, mapped_blocks;
  guint32 block_size;
  char *checksum_type;
  char *file_checksum;
  GArray *ranges; /* ScBmapRange */
  /* which header fields were present, by element index below */
  guint seen;
};

/* The header's elements, each a bit in ScBmap.seen. */
enum {
  F_IMAGE_SIZE,
  F_BLOCK_SIZE,
  F_BLOCKS_COUNT,
  F_MAPPED_BLOCKS,
  F_CHECKSUM_TYPE,
  F_FILE_CHECKSUM,
  F_BLOCK_MAP,
  F_COUNT
};
static const char *const field_names[F_COUNT] = {
    "ImageSize",    "BlockSize",        "BlocksCount", "MappedBlocksCount",
    "ChecksumType", "BmapFileChecksum", "BlockMap",
};

typedef struct {
  ScBmap *bmap;
  GString *text;     /* text of the element being read */
  char *range_sum;   /* chksum attribute of the open Range */
  gboolean in_bmap;  /* inside <bmap> */
  gboolean has_root; /* a <bmap> element was seen */
} Reader;

void
sc_bmap_free(ScBmap *bmap)
{
  if (bmap == NULL)
    return;
  g_free(bmap->checksum_type);
  g_free(bmap->file_checksum);
  g_array_unref(bmap->ranges);
  g_free(bmap);
}

static int
field_index(const char *name)
{
  for (int i = 0; i < F_COUNT; i++)
    if (strcmp(field_names[i], name) == 0)
      return i;
  return -1;
}

static gboolean
parse_u64(const char *text, guint64 *out)
{
  g_autofree char *t = g_strstrip(g_strdup(text));
  return t[0] != '\0' && g_ascii_string_to_unsigned(t, 10, 0, G_MAXUINT64, out, NULL);
}

static gboolean
is_sha256_hex(const char *s)
{
  if (strlen(s) != SHA256_HEX)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit(*p))
      return FALSE;
  return TRUE;
}

static gboolean
check_version(const char **names, const char **values, GError **error)
{
  const char *version = NULL;
  for (guint i = 0; names[i]; i++)
    if (strcmp(names[i], "version") == 0)
      version = values[i];
  if (version == NULL) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_SYNTAX, "<bmap> has no version attribute");
    return FALSE;
  }
  if (!g_str_has_prefix(version, "2.") && strcmp(version, "2") != 0) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_UNSUPPORTED,
                "bmap format version %s is not supported (only 2.x; make it with bmaptool 3 or "
                "later)",
                version);
    return FALSE;
  }
  return TRUE;
}

static void
on_start(GMarkupParseContext *ctx, const char *name, const char **names, const char **values,
         gpointer data, GError **error)
{
  Reader *r = data;
  g_string_truncate(r->text, 0);
  if (strcmp(name, "bmap") == 0) {
    if (r->has_root) {
      g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_SYNTAX, "more than one <bmap> element");
      return;
    }
    r->has_root = r->in_bmap = TRUE;
    check_version(names, values, error);
  } else if (!r->in_bmap) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_SYNTAX,
                "<%s> outside <bmap>: this is not a bmap file", name);
  } else if (strcmp(name, "Range") == 0) {
    const char *sum = NULL;
    for (guint i = 0; names[i]; i++)
      if (strcmp(names[i], "chksum") == 0)
        sum = values[i];
    g_free(r->range_sum);
    r->range_sum = g_strdup(sum);
  }
}

/* "12-34" or "12" */
static gboolean
parse_range(const char *text, ScBmapRange *range)
{
  g_autofree char *t = g_strstrip(g_strdup(text));
  char *dash = strchr(t, '-');
  if (dash)
    *dash = '\0';
  if (!parse_u64(t, &range->first))
    return FALSE;
  if (dash == NULL) {
    range->last = range->first;
    return TRUE;
  }
  return parse_u64(dash + 1, &range->last) && range->last >= range->first;
}

static void
end_range(Reader *r, int line, GError **error)
{
  ScBmapRange range = {0};
  if (!parse_range(r->text->str, &range)) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID, "line %d: range '%s' is not N or N-M",
                line, g_strstrip(r->text->str));
    return;
  }
  if (r->range_sum == NULL || !is_sha256_hex(r->range_sum)) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID,
                "line %d: range %s has no SHA-256 checksum (chksum attribute)", line,
                g_strstrip(r->text->str));
    return;
  }
  g_strlcpy(range.sha256, r->range_sum, sizeof range.sha256);
  for (char *p = range.sha256; *p; p++)
    *p = g_ascii_tolower(*p);
  g_array_append_val(r->bmap->ranges, range);
}

static void
end_field(Reader *r, int field, int line, GError **error)
{
  ScBmap *b = r->bmap;
  const char *text = r->text->str;
  guint64 value = 0;
  gboolean ok = TRUE;
  if (b->seen & (1u << field)) { /* which one would be meant? */
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID, "line %d: <%s> appears twice", line,
                field_names[field]);
    return;
  }
  b->seen |= 1u << field;
  switch (field) {
  case F_IMAGE_SIZE:
    ok = parse_u64(text, &b->image_size);
    break;
  case F_BLOCK_SIZE:
    ok = parse_u64(text, &value) && value >= 512 && value <= 64 * 1024 * 1024;
    b->block_size = (guint32)value;
    break;
  case F_BLOCKS_COUNT:
    ok = parse_u64(text, &b->blocks_count);
    break;
  case F_MAPPED_BLOCKS:
    ok = parse_u64(text, &b->mapped_blocks);
    break;
  case F_CHECKSUM_TYPE:
    b->checksum_type = g_strstrip(g_strdup(text));
    break;
  case F_FILE_CHECKSUM:
    b->file_checksum = g_strstrip(g_strdup(text));
    break;
  default:
    break;
  }
  if (!ok)
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID, "line %d: <%s> '%s' is not a valid %s",
                line, field_names[field], g_strstrip(r->text->str),
                field == F_BLOCK_SIZE ? "block size (512 B to 64 MiB)" : "number");
}

static void
on_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  Reader *r = data;
  int line = 0;
  g_markup_parse_context_get_position(ctx, &line, NULL);
  if (strcmp(name, "bmap") == 0)
    r->in_bmap = FALSE;
  else if (strcmp(name, "Range") == 0)
    end_range(r, line, error);
  else if (field_index(name) >= 0)
    end_field(r, field_index(name), line, error);
  /* other elements (later minor versions) carry nothing this tool needs */
}

static void
on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
  Reader *r = data;
  g_string_append_len(r->text, text, (gssize)len);
}

static gboolean
check_present(const ScBmap *b, GError **error)
{
  for (int i = 0; i < F_COUNT; i++)
    if (!(b->seen & (1u << i))) {
      g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID, "<%s> is missing", field_names[i]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_header(const ScBmap *b, GError **error)
{
  if (g_ascii_strcasecmp(b->checksum_type, "sha256") != 0) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_UNSUPPORTED,
                "checksum type '%s' is not supported (only sha256)", b->checksum_type);
    return FALSE;
  }
  guint64 blocks = b->image_size / b->block_size + (b->image_size % b->block_size != 0);
  if (blocks != b->blocks_count) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID,
                "<BlocksCount> %" G_GUINT64_FORMAT " does not match <ImageSize> %" G_GUINT64_FORMAT
                " in blocks of %u bytes (%" G_GUINT64_FORMAT ")",
                b->blocks_count, b->image_size, b->block_size, blocks);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_ranges(const ScBmap *b, GError **error)
{
  guint64 mapped = 0;
  for (guint i = 0; i < b->ranges->len; i++) {
    const ScBmapRange *r = &g_array_index(b->ranges, ScBmapRange, i);
    const ScBmapRange *prev = i ? &g_array_index(b->ranges, ScBmapRange, i - 1) : NULL;
    if (r->last >= b->blocks_count || (prev && r->first <= prev->last)) {
      g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID,
                  "range %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                  " is %s (the image has %" G_GUINT64_FORMAT " blocks)",
                  r->first, r->last, prev && r->first <= prev->last ? "out of order" : "too far",
                  b->blocks_count);
      return FALSE;
    }
    mapped += r->last - r->first + 1;
  }
  if (mapped != b->mapped_blocks) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID,
                "the ranges hold %" G_GUINT64_FORMAT
                " blocks but <MappedBlocksCount> says %" G_GUINT64_FORMAT,
                mapped, b->mapped_blocks);
    return FALSE;
  }
  return TRUE;
}

/* bmaptool's rule: the SHA-256 of the file with the checksum's own digits
 * replaced by zeros. */
static gboolean
check_file_checksum(const ScBmap *b, const char *text, gsize length, GError **error)
{
  if (!is_sha256_hex(b->file_checksum)) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_INVALID,
                "<BmapFileChecksum> '%s' is not a SHA-256", b->file_checksum);
    return FALSE;
  }
  g_autofree char *copy = g_strndup(text, length);
  for (char *p = strstr(copy, b->file_checksum); p; p = strstr(p + SHA256_HEX, b->file_checksum))
    memset(p, '0', SHA256_HEX);
  g_autofree char *sum =
      g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)copy, length);
  if (g_ascii_strcasecmp(sum, b->file_checksum) != 0) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_CHECKSUM,
                "the bmap's checksum does not match its contents (edited or damaged)");
    return FALSE;
  }
  return TRUE;
}

ScBmap *
sc_bmap_parse(const char *text, gsize length, GError **error)
{
  static const GMarkupParser parser = {on_start, on_end, on_text, NULL, NULL};
  g_autoptr(ScBmap) bmap = g_new0(ScBmap, 1);
  bmap->ranges = g_array_new(FALSE, FALSE, sizeof(ScBmapRange));
  Reader r = {.bmap = bmap, .text = g_string_new(NULL)};
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&parser, 0, &r, NULL);
  g_autoptr(GError) local = NULL;
  gboolean ok = g_markup_parse_context_parse(ctx, text, (gssize)length, &local) &&
                g_markup_parse_context_end_parse(ctx, &local);
  g_string_free(r.text, TRUE);
  g_free(r.range_sum);
  if (!ok && local->domain != SC_BMAP_ERROR) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_SYNTAX, "not a bmap: %s", local->message);
    return NULL;
  }
  if (!ok) {
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  if (!r.has_root) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_SYNTAX, "no <bmap> element");
    return NULL;
  }
  /* the file's integrity first: a damaged file is reported as such */
  if (!check_present(bmap, error) || !check_file_checksum(bmap, text, length, error) ||
      !check_header(bmap, error) || !check_ranges(bmap, error))
    return NULL;
  return g_steal_pointer(&bmap);
}

ScBmap *
sc_bmap_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &length, &local)) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_READ, "%s", local->message);
    return NULL;
  }
  if (length > SC_BMAP_MAX_BYTES) {
    g_set_error(error, SC_BMAP_ERROR, SC_BMAP_ERROR_READ, "%s is larger than %u MiB", path,
                SC_BMAP_MAX_BYTES / (1024 * 1024));
    return NULL;
  }
  ScBmap *bmap = sc_bmap_parse(text, length, &local);
  if (bmap == NULL)
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "bmap %s: ", path);
  return bmap;
}

guint64
sc_bmap_get_image_size(const ScBmap *bmap)
{
  return bmap->image_size;
}

guint32
sc_bmap_get_block_size(const ScBmap *bmap)
{
  return bmap->block_size;
}

guint64
sc_bmap_get_mapped_bytes(const ScBmap *bmap)
{
  guint64 total = 0;
  for (guint i = 0; i < bmap->ranges->len; i++) {
    guint64 offset, length;
    sc_bmap_range_bytes(bmap, &g_array_index(bmap->ranges, ScBmapRange, i), &offset, &length);
    total += length;
  }
  return total;
}

guint
sc_bmap_get_n_ranges(const ScBmap *bmap)
{
  return bmap->ranges->len;
}

const ScBmapRange *
sc_bmap_get_range(const ScBmap *bmap, guint index)
{
  g_return_val_if_fail(index < bmap->ranges->len, NULL);
  return &g_array_index(bmap->ranges, ScBmapRange, index);
}

void
sc_bmap_range_bytes(const ScBmap *bmap, const ScBmapRange *range, guint64 *offset, guint64 *length)
{
  *offset = range->first * bmap->block_size;
  guint64 end = MIN((range->last + 1) * bmap->block_size, bmap->image_size);
  *length = end - *offset;
}
