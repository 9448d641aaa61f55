/* flash-copy.h - copies an image onto a flash target and verifies it.
 *
 * With a bmap only the mapped ranges are written, each checked against the
 * bmap's SHA-256 as it is read from the image (a bmap made for another image
 * stops the copy at the first range that differs); a regular-file target is
 * first emptied and sized to the image, so the unmapped ranges read as zeros.
 * Without a bmap the whole image is written. After the data is synced to the
 * medium and dropped from the page cache, every written range is read back
 * and its SHA-256 compared with the image's. One thread; blocking I/O.
 */
#pragma once

#include "tools/flash-bmap.h"
#include "tools/flash-target.h"

#include <glib.h>

G_BEGIN_DECLS

#define SC_FLASH_COPY_ERROR (sc_flash_copy_error_quark())
GQuark sc_flash_copy_error_quark(void);

typedef enum {
  SC_FLASH_COPY_ERROR_READ,     /* the image could not be read, or is shorter than its bmap */
  SC_FLASH_COPY_ERROR_MISMATCH, /* the image is not the one the bmap describes */
  SC_FLASH_COPY_ERROR_WRITE,    /* writing or syncing the target failed */
  SC_FLASH_COPY_ERROR_VERIFY,   /* what was read back differs from the image */
} ScFlashCopyError;

typedef enum {
  SC_FLASH_PHASE_WRITE,
  SC_FLASH_PHASE_VERIFY,
} ScFlashPhase;

/* Called after each chunk with the bytes done and to do in @phase. */
typedef void (*ScFlashProgressFunc)(ScFlashPhase phase, guint64 done, guint64 total,
                                    gpointer user_data);

typedef struct {
  int image_fd;                 /* read with pread from offset 0 */
  guint64 image_size;           /* bytes */
  const ScBmap *bmap;           /* NULL: the whole image */
  ScFlashTarget *target;        /* opened for writing */
  gboolean verify;              /* read back and compare */
  ScFlashProgressFunc progress; /* may be NULL */
  gpointer user_data;
} ScFlashCopyParams;

typedef struct {
  guint64 bytes_written;
  double write_s;  /* writing, including the final sync */
  double verify_s; /* reading back */
} ScFlashCopyStats;

gboolean sc_flash_copy(const ScFlashCopyParams *params, ScFlashCopyStats *stats,
                       GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
