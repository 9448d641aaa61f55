/* flash-bmap.h - reads a block map (bmaptool's XML format, version 2) for
 * shopcast-flash: which ranges of an image hold data, and the SHA-256 of each.
 *
 * Everything is checked at load: the format version, the sizes, the ranges
 * (in order, not overlapping, inside the image, adding up to the mapped count)
 * and the file's own checksum, so a truncated or edited bmap is refused before
 * anything is written. Whether the image matches the ranges' checksums is
 * learnt while copying (flash-copy.h). Plain data; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_BMAP_ERROR (sc_bmap_error_quark())
GQuark sc_bmap_error_quark(void);

typedef enum {
  SC_BMAP_ERROR_READ,        /* the file could not be read, or is too large */
  SC_BMAP_ERROR_SYNTAX,      /* not well-formed XML, or not a bmap */
  SC_BMAP_ERROR_UNSUPPORTED, /* a version or checksum type this tool does not read */
  SC_BMAP_ERROR_INVALID,     /* sizes or ranges that do not add up */
  SC_BMAP_ERROR_CHECKSUM,    /* the file's own checksum does not match its contents */
} ScBmapError;

/* Largest bmap file read (a bmap of a 64 GB image with a badly fragmented
 * layout stays far below this). */
#define SC_BMAP_MAX_BYTES (64u * 1024 * 1024)

/* Blocks @first..@last (inclusive) hold data whose SHA-256 is @sha256. */
typedef struct {
  guint64 first, last;
  char sha256[65]; /* lowercase hex */
} ScBmapRange;

typedef struct _ScBmap ScBmap;

ScBmap *sc_bmap_parse(const char *text, gsize length, GError **error) G_GNUC_WARN_UNUSED_RESULT;
ScBmap *sc_bmap_load(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_bmap_free(ScBmap *bmap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScBmap, sc_bmap_free)

guint64 sc_bmap_get_image_size(const ScBmap *bmap);
guint32 sc_bmap_get_block_size(const ScBmap *bmap);
/* Bytes inside the mapped ranges (the last block may be shorter than a block). */
guint64 sc_bmap_get_mapped_bytes(const ScBmap *bmap);
guint sc_bmap_get_n_ranges(const ScBmap *bmap);
const ScBmapRange *sc_bmap_get_range(const ScBmap *bmap, guint index);
/* Byte offset and length of @range in the image. */
void sc_bmap_range_bytes(const ScBmap *bmap, const ScBmapRange *range, guint64 *offset,
                         guint64 *length);

G_END_DECLS
