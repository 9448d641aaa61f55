/* flash-target.c - the device or file shopcast-flash writes, and the checks
 * that keep it off a disk in use. */
#define _GNU_SOURCE
#include "tools/flash-target.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

G_DEFINE_QUARK(sc - flash - target - error - quark, sc_flash_target_error)

/* Devices stacked on devices (dm on a partition, LVM on dm) are followed this deep. */
#define MAX_HOLDER_DEPTH 8

struct _ScFlashTarget {
  char *path;
  int fd;
  gboolean is_block;
  guint64 size;
};

static const ScFlashTargetSystem default_system = {
    .mountinfo = "/proc/self/mountinfo",
    .swaps = "/proc/swaps",
    .sysfs = "/sys",
};

void
sc_flash_target_free(ScFlashTarget *target)
{
  if (target == NULL)
    return;
  if (target->fd >= 0)
    close(target->fd);
  g_free(target->path);
  g_free(target);
}

static guint64
dev_key(guint maj, guint min)
{
  return ((guint64)maj << 32) | min;
}

static gboolean
read_dev_file(const char *dir, guint64 *key)
{
  g_autofree char *file = g_build_filename(dir, "dev", NULL);
  g_autofree char *text = NULL;
  guint maj, min;
  if (!g_file_get_contents(file, &text, NULL, NULL) || sscanf(text, "%u:%u", &maj, &min) != 2)
    return FALSE;
  *key = dev_key(maj, min);
  return TRUE;
}

static void add_with_holders(GHashTable *set, const char *sysfs, const char *dir, int depth);

static void
add_holders(GHashTable *set, const char *sysfs, const char *dir, int depth)
{
  g_autofree char *holders = g_build_filename(dir, "holders", NULL);
  g_autoptr(GDir) d = g_dir_open(holders, 0, NULL);
  for (const char *name = d ? g_dir_read_name(d) : NULL; name; name = g_dir_read_name(d)) {
    g_autofree char *path = g_build_filename(sysfs, "class", "block", name, NULL);
    g_autofree char *real = realpath(path, NULL);
    if (real)
      add_with_holders(set, sysfs, real, depth + 1);
  }
}

static void
add_with_holders(GHashTable *set, const char *sysfs, const char *dir, int depth)
{
  guint64 key;
  if (depth > MAX_HOLDER_DEPTH || !read_dev_file(dir, &key))
    return;
  g_hash_table_add(set, g_memdup2(&key, sizeof key));
  add_holders(set, sysfs, dir, depth);
}

static gboolean
is_partition_dir(const char *dir)
{
  g_autofree char *file = g_build_filename(dir, "partition", NULL);
  return g_file_test(file, G_FILE_TEST_EXISTS);
}

/* The disk of @rdev, its partitions and what is built on any of them. */
static GHashTable *
related_devices(guint64 rdev, const char *sysfs)
{
  GHashTable *set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  guint64 self = dev_key(major(rdev), minor(rdev));
  g_hash_table_add(set, g_memdup2(&self, sizeof self));
  g_autofree char *link = g_strdup_printf("%s/dev/block/%u:%u", sysfs, major(rdev), minor(rdev));
  g_autofree char *real = realpath(link, NULL);
  if (real == NULL)
    return set;
  g_autofree char *disk = is_partition_dir(real) ? g_path_get_dirname(real) : g_strdup(real);
  add_with_holders(set, sysfs, disk, 0);
  g_autoptr(GDir) d = g_dir_open(disk, 0, NULL);
  for (const char *name = d ? g_dir_read_name(d) : NULL; name; name = g_dir_read_name(d)) {
    g_autofree char *child = g_build_filename(disk, name, NULL);
    if (is_partition_dir(child))
      add_with_holders(set, sysfs, child, 0);
  }
  return set;
}

static gboolean
path_in_set(GHashTable *set, const char *path)
{
  struct stat st;
  if (!g_str_has_prefix(path, "/dev/") || stat(path, &st) != 0 || !S_ISBLK(st.st_mode))
    return FALSE;
  guint64 key = dev_key(major(st.st_rdev), minor(st.st_rdev));
  return g_hash_table_contains(set, &key);
}

static gboolean
refuse_mount(const char *path, const char *mount_point, const char *source, GError **error)
{
  if (strcmp(mount_point, "/") == 0)
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_IN_USE,
                "%s is the disk that holds / (the running system, from %s): refusing to "
                "overwrite it",
                path, source);
  else
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_IN_USE,
                "%s is in use: %s is mounted on %s; unmount it (umount %s) and try again", path,
                source, mount_point, mount_point);
  return FALSE;
}

/* One line of mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE ..." */
static gboolean
check_mount_line(GHashTable *set, const char *path, const char *line, gboolean root_pass,
                 GError **error)
{
  g_auto(GStrv) f = g_strsplit(line, " ", -1);
  guint n = g_strv_length(f), sep = 0;
  for (guint i = 6; i < n && sep == 0; i++)
    if (strcmp(f[i], "-") == 0)
      sep = i;
  guint maj, min;
  if (n < 5 || sscanf(f[2], "%u:%u", &maj, &min) != 2 || root_pass != (strcmp(f[4], "/") == 0))
    return TRUE;
  g_autofree char *source = sep && sep + 2 < n ? g_strcompress(f[sep + 2]) : g_strdup("?");
  guint64 key = dev_key(maj, min);
  if (!g_hash_table_contains(set, &key) && !path_in_set(set, source))
    return TRUE;
  g_autofree char *mount_point = g_strcompress(f[4]);
  return refuse_mount(path, mount_point, source, error);
}

static gboolean
check_mounts(GHashTable *set, const char *path, const char *mountinfo, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(mountinfo, &text, NULL, &local)) {
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_OPEN,
                "cannot read the mount table to check %s: %s", path, local->message);
    return FALSE;
  }
  /* / first, so the disk that holds it is named as such */
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint pass = 0; pass < 2; pass++)
    for (char **l = lines; *l; l++)
      if (!check_mount_line(set, path, *l, pass == 0, error))
        return FALSE;
  return TRUE;
}

static gboolean
check_swaps(GHashTable *set, const char *path, const char *swaps, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents(swaps, &text, NULL, NULL))
    return TRUE; /* no swap support at all */
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    g_auto(GStrv) f = g_strsplit_set(*l, " \t", 2);
    g_autofree char *dev = f[0] ? g_strcompress(f[0]) : NULL;
    if (dev && path_in_set(set, dev)) {
      g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_IN_USE,
                  "%s is in use: %s is swap; swapoff %s and try again", path, dev, dev);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
sc_flash_target_check_unused(const char *path, guint64 rdev, const ScFlashTargetSystem *system,
                             GError **error)
{
  const ScFlashTargetSystem *s = system ? system : &default_system;
  g_autoptr(GHashTable) set = related_devices(rdev, s->sysfs);
  return check_mounts(set, path, s->mountinfo, error) && check_swaps(set, path, s->swaps, error);
}

static gboolean
open_block(ScFlashTarget *t, const struct stat *st, const ScFlashTargetSystem *system,
           gboolean dry_run, GError **error)
{
  t->is_block = TRUE;
  if (!sc_flash_target_check_unused(t->path, st->st_rdev, system, error))
    return FALSE;
  t->fd = open(t->path, (dry_run ? O_RDONLY : O_WRONLY | O_EXCL) | O_CLOEXEC);
  if (t->fd < 0) {
    int e = errno;
    g_set_error(error, SC_FLASH_TARGET_ERROR,
                e == EBUSY ? SC_FLASH_TARGET_ERROR_IN_USE : SC_FLASH_TARGET_ERROR_OPEN, "%s: %s%s",
                t->path, g_strerror(e),
                e == EBUSY ? " (the kernel says something holds it: a mount, swap, a RAID or LVM)"
                           : "");
    return FALSE;
  }
  if (ioctl(t->fd, BLKGETSIZE64, &t->size) != 0) {
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_OPEN,
                "%s: cannot read the device's size: %s", t->path, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
open_file(ScFlashTarget *t, gboolean dry_run, GError **error)
{
  t->size = G_MAXUINT64;
  if (dry_run)
    return TRUE;
  t->fd = open(t->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (t->fd < 0) {
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_OPEN, "%s: %s", t->path,
                g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

ScFlashTarget *
sc_flash_target_open(const char *path, const ScFlashTargetSystem *system, gboolean dry_run,
                     GError **error)
{
  g_autoptr(ScFlashTarget) t = g_new0(ScFlashTarget, 1);
  t->path = g_strdup(path);
  t->fd = -1;
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT && !g_str_has_prefix(path, "/dev/"))
      return open_file(t, dry_run, error) ? g_steal_pointer(&t) : NULL;
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_OPEN, "%s: %s", path,
                g_strerror(errno));
    return NULL;
  }
  gboolean ok;
  if (S_ISBLK(st.st_mode))
    ok = open_block(t, &st, system, dry_run, error);
  else if (S_ISREG(st.st_mode))
    ok = open_file(t, dry_run, error);
  else {
    g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_OPEN,
                "%s is neither a block device nor a regular file", path);
    ok = FALSE;
  }
  return ok ? g_steal_pointer(&t) : NULL;
}

int
sc_flash_target_get_fd(const ScFlashTarget *target)
{
  return target->fd;
}

const char *
sc_flash_target_get_path(const ScFlashTarget *target)
{
  return target->path;
}

gboolean
sc_flash_target_is_block(const ScFlashTarget *target)
{
  return target->is_block;
}

guint64
sc_flash_target_get_size(const ScFlashTarget *target)
{
  return target->size;
}

gboolean
sc_flash_target_check_room(const ScFlashTarget *target, guint64 bytes, GError **error)
{
  if (bytes <= target->size)
    return TRUE;
  g_set_error(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_SIZE,
              "%s is too small: it holds %" G_GUINT64_FORMAT " bytes (%.1f MiB) and the image "
              "needs %" G_GUINT64_FORMAT " bytes (%.1f MiB)",
              target->path, target->size, target->size / 1048576.0, bytes, bytes / 1048576.0);
  return FALSE;
}
