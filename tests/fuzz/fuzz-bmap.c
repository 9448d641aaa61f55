/* fuzz-bmap.c - a block map as shopcast-flash reads it next to an image
 * (whatever a download or a technician's editor left in the file): parsed,
 * and when it is accepted, every range checked against what the parser
 * promises (in order, inside the image, adding up to the mapped size). */
#include "tests/fuzz/fuzz.h"
#include "tools/flash-bmap.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  sc_fuzz_fatal_logs(G_LOG_LEVEL_CRITICAL);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  ScBmap *bmap = sc_bmap_parse((const char *)data, size, &error);
  g_assert((bmap == NULL) == (error != NULL));
  if (bmap == NULL)
    return 0;
  guint64 image = sc_bmap_get_image_size(bmap), mapped = 0, next_block = 0;
  g_assert(sc_bmap_get_block_size(bmap) > 0);
  for (guint i = 0; i < sc_bmap_get_n_ranges(bmap); i++) {
    const ScBmapRange *r = sc_bmap_get_range(bmap, i);
    g_assert(r->first <= r->last && r->first >= next_block);
    next_block = r->last + 1;
    guint64 offset = 0, length = 0;
    sc_bmap_range_bytes(bmap, r, &offset, &length);
    g_assert(length > 0 && offset <= image && length <= image - offset);
    mapped += length;
  }
  g_assert(mapped == sc_bmap_get_mapped_bytes(bmap));
  sc_bmap_free(bmap);
  return 0;
}
