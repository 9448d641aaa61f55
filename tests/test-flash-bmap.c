/* Tests for tools/flash-bmap.c: bmaps made by the real bmaptool from sparse
 * files with known data, then damaged in the ways a download or a hand edit
 * damages them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/testutil.h"
#include "tools/flash-bmap.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define MIB            (1024 * 1024)
#define BMAPTOOL_WAITS 60

static char *bmap_text; /* bmaptool's bmap of the image below */
static gsize bmap_len;

/* A 16 MiB sparse image with data at 1 MiB (64 KiB) and 9 MiB (2 MiB + 10 bytes). */
static void
make_image(const char *path)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, 16 * MIB), 0);
  g_autofree char *data = g_malloc(2 * MIB + 10);
  memset(data, 0x5a, 2 * MIB + 10);
  assert_int_equal(pwrite(fd, data, 64 * 1024, 1 * MIB), 64 * 1024);
  assert_int_equal(pwrite(fd, data, 2 * MIB + 10, 9 * MIB), 2 * MIB + 10);
  close(fd);
}

static int
group_setup(void **state)
{
  sc_test_dir_setup(state);
  g_autofree char *image = g_build_filename(sc_test_dir, "disk.img", NULL);
  g_autofree char *bmap = g_build_filename(sc_test_dir, "disk.bmap", NULL);
  make_image(image);
  char *argv[] = {"bmaptool", "create", "-o", bmap, image, NULL};
  g_autofree char *err = NULL;
  if (sc_test_run(argv, BMAPTOOL_WAITS, NULL, &err) != 0)
    fail_msg("bmaptool create failed (tools/install-deps.sh installs bmap-tools): %s", err);
  assert_true(g_file_get_contents(bmap, &bmap_text, &bmap_len, NULL));
  return 0;
}

static int
group_teardown(void **state)
{
  g_free(bmap_text);
  return sc_test_dir_teardown(state);
}

/* @text with its BmapFileChecksum recomputed, as a careful forger would. */
static char *
with_fresh_checksum(const char *text)
{
  const char *open_tag = strstr(text, "<BmapFileChecksum>");
  assert_non_null(open_tag);
  const char *start = open_tag + strlen("<BmapFileChecksum>");
  while (*start == ' ')
    start++;
  g_autofree char *zeroed = g_strdup(text);
  memset(zeroed + (start - text), '0', 64);
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, zeroed, -1);
  char *out = g_strdup(text);
  memcpy(out + (start - text), sum, 64);
  return out;
}

static char *
replaced(const char *text, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit(text, from, 2);
  assert_non_null(parts[1]); /* @from must be there */
  return g_strconcat(parts[0], to, parts[1], NULL);
}

static void
expect_error(const char *text, int code, const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBmap) bmap = sc_bmap_parse(text, strlen(text), &error);
  assert_null(bmap);
  assert_non_null(error);
  if (!g_error_matches(error, SC_BMAP_ERROR, code) || strstr(error->message, words) == NULL)
    fail_msg("expected code %d with '%s', got %d: %s", code, words, error->code, error->message);
}

static void
test_reads_bmaptools_map(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBmap) bmap = sc_bmap_parse(bmap_text, bmap_len, &error);
  if (error)
    fail_msg("%s", error->message);
  assert_int_equal(sc_bmap_get_image_size(bmap), 16 * MIB);
  assert_int_equal(sc_bmap_get_block_size(bmap), 4096);
  assert_int_equal(sc_bmap_get_n_ranges(bmap), 2);
  guint64 offset, length;
  sc_bmap_range_bytes(bmap, sc_bmap_get_range(bmap, 0), &offset, &length);
  assert_int_equal(offset, 1 * MIB);
  assert_int_equal(length, 64 * 1024);
  sc_bmap_range_bytes(bmap, sc_bmap_get_range(bmap, 1), &offset, &length);
  assert_int_equal(offset, 9 * MIB);
  assert_int_equal(length, 2 * MIB + 4096); /* whole blocks */
  assert_int_equal(sc_bmap_get_mapped_bytes(bmap), 64 * 1024 + 2 * MIB + 4096);
  /* the range's checksum is the data's */
  g_autofree char *data = g_malloc(64 * 1024);
  memset(data, 0x5a, 64 * 1024);
  g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, 64 * 1024);
  assert_string_equal(sc_bmap_get_range(bmap, 0)->sha256, sum);
}

static void
test_refuses_edited_map(void **state)
{
  /* a range moved by hand, checksum left as it was */
  g_autofree char *edited = replaced(bmap_text, "> 256-271 <", "> 256-272 <");
  expect_error(edited, SC_BMAP_ERROR_CHECKSUM, "does not match its contents");
  /* truncated download */
  g_autofree char *cut = g_strndup(bmap_text, bmap_len / 2);
  g_autoptr(GError) error = NULL;
  assert_null(sc_bmap_parse(cut, strlen(cut), &error));
  assert_non_null(error);
}

static void
test_refuses_inconsistent_map(void **state)
{
  g_autofree char *more = replaced(bmap_text, "> 256-271 <", "> 256-272 <");
  g_autofree char *a = with_fresh_checksum(more);
  expect_error(a, SC_BMAP_ERROR_INVALID, "<MappedBlocksCount>");
  g_autofree char *overlap = replaced(bmap_text, "> 256-271 <", "> 2304-2319 <");
  g_autofree char *b = with_fresh_checksum(overlap);
  expect_error(b, SC_BMAP_ERROR_INVALID, "out of order");
  g_autofree char *size =
      replaced(bmap_text, "<ImageSize> 16777216 </ImageSize>", "<ImageSize> 33554432 </ImageSize>");
  g_autofree char *c = with_fresh_checksum(size);
  expect_error(c, SC_BMAP_ERROR_INVALID, "<BlocksCount>");
  g_autofree char *bad = replaced(bmap_text, "> 256-271 <", "> 271-256 <");
  g_autofree char *d = with_fresh_checksum(bad);
  expect_error(d, SC_BMAP_ERROR_INVALID, "is not N or N-M");
  /* a field given twice (found by make fuzz: the second one leaked the first) */
  g_autofree char *twice =
      replaced(bmap_text, "<ImageSize>", "<ImageSize> 1 </ImageSize><ImageSize>");
  expect_error(twice, SC_BMAP_ERROR_INVALID, "<ImageSize> appears twice");
}

static void
test_refuses_other_formats(void **state)
{
  g_autofree char *old = replaced(bmap_text, "version=\"2.0\"", "version=\"1.4\"");
  expect_error(old, SC_BMAP_ERROR_UNSUPPORTED, "version 1.4");
  g_autofree char *sha1 = replaced(bmap_text, "<ChecksumType> sha256 </ChecksumType>",
                                   "<ChecksumType> sha1 </ChecksumType>");
  g_autofree char *e = with_fresh_checksum(sha1);
  expect_error(e, SC_BMAP_ERROR_UNSUPPORTED, "sha1");
  expect_error("this is not xml <", SC_BMAP_ERROR_SYNTAX, "");
  expect_error("<html><body/></html>", SC_BMAP_ERROR_SYNTAX, "not a bmap");
  g_autofree char *nosum = replaced(bmap_text, "<BmapFileChecksum>", "<Comment>");
  g_autofree char *f = replaced(nosum, "</BmapFileChecksum>", "</Comment>");
  expect_error(f, SC_BMAP_ERROR_INVALID, "<BmapFileChecksum> is missing");
}

static void
test_load_names_the_file(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = sc_test_write_file(sc_test_dir, "x.bmap", "<bmap version=\"2.0\"/>");
  assert_null(sc_bmap_load(path, &error));
  assert_non_null(strstr(error->message, path));
  g_clear_error(&error);
  assert_null(sc_bmap_load("/nonexistent/x.bmap", &error));
  assert_true(g_error_matches(error, SC_BMAP_ERROR, SC_BMAP_ERROR_READ));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_bmaptools_map),      cmocka_unit_test(test_refuses_edited_map),
      cmocka_unit_test(test_refuses_inconsistent_map), cmocka_unit_test(test_refuses_other_formats),
      cmocka_unit_test(test_load_names_the_file),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
