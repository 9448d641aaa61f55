/* flash-target.h - where shopcast-flash writes: a block device (an SD card,
 * an eMMC, a USB stick) or a regular file.
 *
 * A block device is refused when it, its disk or any partition of its disk
 * (or a device built on them: LVM, dm-crypt, RAID) holds a mounted file
 * system or swap; the message names the mount point, and says so when that
 * is /. It is then opened exclusively (O_EXCL), which the kernel also refuses
 * while anything has it mounted. A regular file is created if missing and
 * grows as needed. The mount table and sysfs are read from their usual places
 * unless told otherwise (tests). One thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_FLASH_TARGET_ERROR (sc_flash_target_error_quark())
GQuark sc_flash_target_error_quark(void);

typedef enum {
  SC_FLASH_TARGET_ERROR_OPEN,   /* missing, not a block device or file, no permission */
  SC_FLASH_TARGET_ERROR_IN_USE, /* mounted, swap, holds /, or busy */
  SC_FLASH_TARGET_ERROR_SIZE,   /* smaller than the image */
} ScFlashTargetError;

typedef struct {
  const char *mountinfo; /* default /proc/self/mountinfo */
  const char *swaps;     /* default /proc/swaps */
  const char *sysfs;     /* default /sys */
} ScFlashTargetSystem;

typedef struct _ScFlashTarget ScFlashTarget;

/* Checks @path and opens it for writing (@dry_run: checks only, opened for
 * reading). @system may be NULL. */
ScFlashTarget *sc_flash_target_open(const char *path, const ScFlashTargetSystem *system,
                                    gboolean dry_run, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_flash_target_free(ScFlashTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScFlashTarget, sc_flash_target_free)

/* The refusal alone: an error when the block device @rdev (major:minor) or
 * anything on its disk is mounted or swap. */
gboolean sc_flash_target_check_unused(const char *path, guint64 rdev,
                                      const ScFlashTargetSystem *system,
                                      GError **error) G_GNUC_WARN_UNUSED_RESULT;

int sc_flash_target_get_fd(const ScFlashTarget *target);
const char *sc_flash_target_get_path(const ScFlashTarget *target);
gboolean sc_flash_target_is_block(const ScFlashTarget *target);
/* The device's size in bytes; G_MAXUINT64 for a regular file. */
guint64 sc_flash_target_get_size(const ScFlashTarget *target);
/* An error unless @bytes fit on the target. */
gboolean sc_flash_target_check_room(const ScFlashTarget *target, guint64 bytes,
                                    GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
