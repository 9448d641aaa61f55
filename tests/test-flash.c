/* Tests for shopcast-flash (tools/flash*.c): the real tool writes sparse
 * images made here, with bmaps made by the real bmaptool, onto files and onto
 * loop devices (root), and must refuse mounted devices, the disk that holds /,
 * a bmap of another image and a target too small. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/testutil.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB          (1024 * 1024)
#define IMAGE_SIZE   (24 * MIB)
#define TOOL_WAITS_S 120

static char *flash_tool;
static char *image, *image_bmap; /* IMAGE_SIZE, data in two places */
static GPtrArray *loops;         /* loop devices to detach */
static GPtrArray *mounts;        /* mount points to unmount */

/* ---- helpers ---- */

static void
write_at(const char *path, guint64 offset, gsize length, guchar seed)
{
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  assert_true(fd >= 0);
  g_autofree guchar *data = g_malloc(length);
  for (gsize i = 0; i < length; i++)
    data[i] = (guchar)(seed + i * 7 + i / 4093);
  assert_int_equal(pwrite(fd, data, length, (off_t)offset), (ssize_t)length);
  close(fd);
}

static char *
make_image(const char *name, guint64 size, guchar seed)
{
  char *path = g_build_filename(sc_test_dir, name, NULL);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)size), 0);
  close(fd);
  write_at(path, 0, 3 * 4096 + 100, seed);
  write_at(path, 7 * MIB, 5 * MIB, seed + 1);
  return path;
}

static char *
make_bmap(const char *img)
{
  char *bmap = g_strconcat(img, ".bmap", NULL);
  char *argv[] = {"bmaptool", "create", "-o", bmap, (char *)img, NULL};
  g_autofree char *err = NULL;
  if (sc_test_run(argv, TOOL_WAITS_S, NULL, &err) != 0)
    fail_msg("bmaptool create failed (tools/install-deps.sh installs bmap-tools): %s", err);
  return bmap;
}

/* Runs shopcast-flash with the NULL-terminated arguments; returns its status. */
static int
flash(char **out, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, flash_tool);
  va_list ap;
  va_start(ap, err);
  for (char *a = va_arg(ap, char *); a; a = va_arg(ap, char *))
    g_ptr_array_add(argv, a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  return sc_test_run((char **)argv->pdata, TOOL_WAITS_S, out, err);
}

static void
expect_contains(const char *text, const char *words)
{
  if (text == NULL || strstr(text, words) == NULL)
    fail_msg("expected '%s' in: %s", words, text ? text : "(nothing)");
}

/* Whether bytes @offset..+@length of @a and @b are the same. */
static gboolean
same_bytes(const char *a, const char *b, guint64 offset, gsize length)
{
  int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
  assert_true(fa >= 0 && fb >= 0);
  g_autofree char *da = g_malloc(length), *db = g_malloc(length);
  gboolean same = pread(fa, da, length, (off_t)offset) == (ssize_t)length &&
                  pread(fb, db, length, (off_t)offset) == (ssize_t)length &&
                  memcmp(da, db, length) == 0;
  close(fa);
  close(fb);
  return same;
}

static gboolean
same_file(const char *a, const char *b)
{
  struct stat sa, sb;
  assert_int_equal(stat(a, &sa), 0);
  assert_int_equal(stat(b, &sb), 0);
  return sa.st_size == sb.st_size && same_bytes(a, b, 0, (gsize)sa.st_size);
}

static int
run_quiet(const char *cmd)
{
  g_auto(GStrv) argv = g_strsplit(cmd, " ", -1);
  g_autofree char *err = NULL;
  int status = sc_test_run(argv, TOOL_WAITS_S, NULL, &err);
  if (status != 0)
    g_printerr("'%s' failed: %s\n", cmd, err ? err : "");
  return status;
}

/* A loop device over @file (with its partitions when @partitions), or NULL
 * with the test skipped when this machine cannot give one. */
static char *
loop_attach(const char *file, gboolean partitions)
{
  if (geteuid() != 0) {
    printf("skipped: loop devices need root (CI runs as root)\n");
    return NULL;
  }
  if (!g_file_test("/dev/loop-control", G_FILE_TEST_EXISTS)) {
    printf("skipped: this kernel has no loop devices (/dev/loop-control)\n");
    return NULL;
  }
  char *argv[] = {"losetup", "--find", "--show", partitions ? "-P" : "-v", (char *)file, NULL};
  g_autofree char *out = NULL, *err = NULL;
  if (sc_test_run(argv, TOOL_WAITS_S, &out, &err) != 0)
    fail_msg("losetup: %s", err);
  char *dev = g_strstrip(g_strdup(out));
  g_ptr_array_add(loops, g_strdup(dev));
  return dev;
}

static char *
mount_new(const char *dev, const char *name)
{
  char *dir = g_build_filename(sc_test_dir, name, NULL);
  g_mkdir(dir, 0755);
  g_autofree char *cmd = g_strdup_printf("mount %s %s", dev, dir);
  assert_int_equal(run_quiet(cmd), 0);
  g_ptr_array_add(mounts, g_strdup(dir));
  return dir;
}

static gboolean
wait_for_node(const char *path)
{
  for (int i = 0; i < 40 && !g_file_test(path, G_FILE_TEST_EXISTS); i++)
    g_usleep(50 * 1000);
  return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
  sc_test_dir_setup(state);
  flash_tool = sc_test_build_path("tools/shopcast-flash");
  image = make_image("disk.img", IMAGE_SIZE, 1);
  image_bmap = make_bmap(image);
  loops = g_ptr_array_new_with_free_func(g_free);
  mounts = g_ptr_array_new_with_free_func(g_free);
  return 0;
}

static int
teardown(void **state)
{
  for (guint i = mounts->len; i > 0; i--) {
    g_autofree char *cmd = g_strdup_printf("umount %s", (char *)g_ptr_array_index(mounts, i - 1));
    run_quiet(cmd);
  }
  g_ptr_array_set_size(mounts, 0);
  for (guint i = 0; i < loops->len; i++) {
    g_autofree char *cmd = g_strdup_printf("losetup -d %s", (char *)g_ptr_array_index(loops, i));
    run_quiet(cmd);
  }
  g_ptr_array_set_size(loops, 0);
  return 0;
}

static int
group_teardown(void **state)
{
  teardown(state);
  g_ptr_array_unref(loops);
  g_ptr_array_unref(mounts);
  g_free(flash_tool);
  g_free(image);
  g_free(image_bmap);
  return sc_test_dir_teardown(state);
}

/* ---- file targets ---- */

static void
test_file_with_bmap_writes_mapped_blocks(void **state)
{
  g_autofree char *target = g_build_filename(sc_test_dir, "out-bmap.img", NULL);
  write_at(target, 30 * MIB, 4096, 9); /* an older, larger file in the way */
  g_autofree char *out = NULL, *err = NULL;
  assert_int_equal(flash(&out, &err, image, target, NULL), 0);
  expect_contains(err, "using bmap");
  expect_contains(out, "verified by reading back");
  assert_true(same_file(image, target));
  struct stat st;
  assert_int_equal(stat(target, &st), 0);
  /* only the mapped ~5 MiB landed on disk, not the 24 MiB image */
  assert_true(st.st_blocks * 512 < 8 * MIB);
}

static void
test_file_without_bmap_writes_everything(void **state)
{
  g_autofree char *target = g_build_filename(sc_test_dir, "out-full.img", NULL);
  g_autofree char *out = NULL, *err = NULL;
  assert_int_equal(flash(&out, &err, "--no-bmap", "--quiet", image, target, NULL), 0);
  assert_true(same_file(image, target));
  expect_contains(out, "wrote 24.0 MiB of a 24.0 MiB image");
  assert_null(strstr(err, "using bmap"));
}

static void
test_bmap_of_another_image_is_refused(void **state)
{
  g_autofree char *other = make_image("other.img", IMAGE_SIZE, 77);
  g_autofree char *target = g_build_filename(sc_test_dir, "out-other.img", NULL);
  g_autofree char *err = NULL;
  assert_int_equal(flash(NULL, &err, "--bmap", image_bmap, other, target, NULL), 65);
  expect_contains(err, "the bmap does not match the image");
  /* a bmap for a different size is refused before anything is written */
  g_autofree char *small = make_image("small.img", 12 * MIB, 1);
  g_autofree char *target2 = g_build_filename(sc_test_dir, "never.img", NULL);
  g_clear_pointer(&err, g_free);
  assert_int_equal(flash(NULL, &err, "--bmap", image_bmap, small, target2, NULL), 65);
  expect_contains(err, "it is not this image's bmap");
  assert_false(g_file_test(target2, G_FILE_TEST_EXISTS));
}

static void
test_bad_input(void **state)
{
  g_autofree char *err = NULL;
  assert_int_equal(flash(NULL, &err, "/nonexistent.img", "/tmp/x", NULL), 66);
  expect_contains(err, "/nonexistent.img");
  g_clear_pointer(&err, g_free);
  assert_int_equal(flash(NULL, &err, image, NULL), 64);
  expect_contains(err, "give an IMAGE and a TARGET");
  g_clear_pointer(&err, g_free);
  g_autofree char *junk = sc_test_write_file(sc_test_dir, "junk.bmap", "<bmap version=\"2.0\">");
  assert_int_equal(flash(NULL, &err, "--bmap", junk, image, "/tmp/never", NULL), 65);
  expect_contains(err, "junk.bmap");
  g_clear_pointer(&err, g_free);
  assert_int_equal(flash(NULL, &err, image, image, NULL), 64);
  expect_contains(err, "is the image itself");
  g_clear_pointer(&err, g_free);
  assert_int_equal(flash(NULL, &err, image, "/dev/null", NULL), 73);
  expect_contains(err, "neither a block device nor a regular file");
}

/* ---- block devices (loop) ---- */

static void
test_loop_device_written_and_verified(void **state)
{
  g_autofree char *backing = g_build_filename(sc_test_dir, "card.img", NULL);
  write_at(backing, 0, 1, 0);
  assert_int_equal(truncate(backing, 32 * MIB), 0);
  write_at(backing, 2 * MIB, MIB, 3); /* old data in an unmapped range */
  g_autofree char *dev = loop_attach(backing, FALSE);
  if (dev == NULL) { /* skip() does not return */
    g_clear_pointer(&backing, g_free);
    skip();
  }
  g_autofree char *out = NULL, *err = NULL;
  assert_int_equal(flash(&out, &err, image, dev, NULL), 0);
  expect_contains(out, "verified by reading back");
  assert_true(same_bytes(image, dev, 0, 3 * 4096 + 100));
  assert_true(same_bytes(image, dev, 7 * MIB, 5 * MIB));
  /* unmapped blocks are not written on a device */
  assert_false(same_bytes(image, dev, 2 * MIB, MIB));
}

static void
test_too_small_device_is_refused(void **state)
{
  g_autofree char *backing = g_build_filename(sc_test_dir, "tiny.img", NULL);
  write_at(backing, 0, 1, 0);
  assert_int_equal(truncate(backing, 16 * MIB), 0);
  g_autofree char *dev = loop_attach(backing, FALSE);
  if (dev == NULL) { /* skip() does not return */
    g_clear_pointer(&backing, g_free);
    skip();
  }
  g_autofree char *err = NULL;
  assert_int_equal(flash(NULL, &err, image, dev, NULL), 73);
  expect_contains(err, "is too small");
  expect_contains(err, "16.0 MiB");
}

static void
test_mounted_device_is_refused(void **state)
{
  g_autofree char *backing = g_build_filename(sc_test_dir, "fs.img", NULL);
  write_at(backing, 0, 1, 0);
  assert_int_equal(truncate(backing, 32 * MIB), 0);
  g_autofree char *mkfs = g_strdup_printf("mkfs.ext4 -q -F %s", backing);
  assert_int_equal(run_quiet(mkfs), 0);
  g_autofree char *dev = loop_attach(backing, FALSE);
  if (dev == NULL) { /* skip() does not return */
    g_clear_pointer(&mkfs, g_free);
    g_clear_pointer(&backing, g_free);
    skip();
  }
  g_autofree char *dir = mount_new(dev, "mnt-whole");
  g_autofree char *err = NULL;
  assert_int_equal(flash(NULL, &err, image, dev, NULL), 77);
  expect_contains(err, dir);
  expect_contains(err, "unmount it");
}

/* A partition of the card is mounted; the whole card is the target. */
static void
test_disk_with_mounted_partition_is_refused(void **state)
{
  g_autofree char *backing = g_build_filename(sc_test_dir, "parts.img", NULL);
  write_at(backing, 0, 1, 0);
  assert_int_equal(truncate(backing, 40 * MIB), 0);
  g_autofree char *layout = sc_test_write_file(sc_test_dir, "layout", "label: gpt\n,8M\n,16M\n");
  g_autofree char *cmd = g_strdup_printf("sfdisk -q %s < %s", backing, layout);
  char *shell[] = {"sh", "-c", cmd, NULL};
  assert_int_equal(sc_test_run(shell, TOOL_WAITS_S, NULL, NULL), 0);
  g_autofree char *dev = loop_attach(backing, TRUE);
  g_autofree char *part = dev ? g_strconcat(dev, "p2", NULL) : NULL;
  gboolean have_part = part && wait_for_node(part);
  if (dev && !have_part)
    printf("skipped: this kernel made no partition devices for %s (loop partition scan)\n", dev);
  if (!have_part) { /* skip() does not return: nothing of ours may be left to free */
    g_clear_pointer(&part, g_free);
    g_clear_pointer(&dev, g_free);
    g_clear_pointer(&cmd, g_free);
    g_clear_pointer(&layout, g_free);
    g_clear_pointer(&backing, g_free);
    skip();
  }
  g_autofree char *mkfs = g_strdup_printf("mkfs.ext4 -q -F %s", part);
  assert_int_equal(run_quiet(mkfs), 0);
  g_autofree char *dir = mount_new(part, "mnt-part");
  g_autofree char *err = NULL;
  assert_int_equal(flash(NULL, &err, image, dev, NULL), 77);
  expect_contains(err, dir);
  expect_contains(err, part);
  /* and the partition itself */
  g_clear_pointer(&err, g_free);
  assert_int_equal(flash(NULL, &err, image, part, NULL), 77);
  expect_contains(err, dir);
}

/* The running system's disk, checked with --dry-run so a failure of this very
 * check could not overwrite it. */
static void
test_root_disk_is_refused(void **state)
{
  g_autofree char *out = NULL;
  char *argv[] = {"findmnt", "-n", "-o", "SOURCE", "/", NULL};
  if (sc_test_run(argv, TOOL_WAITS_S, &out, NULL) != 0 || !g_str_has_prefix(out, "/dev/")) {
    printf("skipped: / is not on a block device here (%s)\n", out ? g_strstrip(out) : "?");
    g_clear_pointer(&out, g_free); /* skip() does not return */
    skip();
  }
  g_autofree char *dev = g_strstrip(g_strdup(out));
  g_autofree char *err = NULL;
  assert_int_equal(flash(NULL, &err, "--dry-run", image, dev, NULL), 77);
  expect_contains(err, "the disk that holds /");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_file_with_bmap_writes_mapped_blocks, teardown),
      cmocka_unit_test_teardown(test_file_without_bmap_writes_everything, teardown),
      cmocka_unit_test_teardown(test_bmap_of_another_image_is_refused, teardown),
      cmocka_unit_test_teardown(test_bad_input, teardown),
      cmocka_unit_test_teardown(test_loop_device_written_and_verified, teardown),
      cmocka_unit_test_teardown(test_too_small_device_is_refused, teardown),
      cmocka_unit_test_teardown(test_mounted_device_is_refused, teardown),
      cmocka_unit_test_teardown(test_disk_with_mounted_partition_is_refused, teardown),
      cmocka_unit_test_teardown(test_root_disk_is_refused, teardown),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
