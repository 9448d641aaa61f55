/* shopcast-flash: writes a shopcast image onto an SD card, an eMMC, a USB
 * stick or a file, only the mapped blocks when there is a bmap, and verifies
 * it by reading it back. Refuses a disk in use. */
#include "tools/flash-bmap.h"
#include "tools/flash-copy.h"
#include "tools/flash-target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* sysexits */
#define EXIT_USAGE     64
#define EXIT_DATAERR   65 /* a bad bmap, or one that does not match the image */
#define EXIT_NOINPUT   66 /* the image cannot be read */
#define EXIT_CANTCREAT 73 /* the target cannot be opened or is too small */
#define EXIT_IOERR     74 /* writing or verifying failed */
#define EXIT_NOPERM    77 /* the target is in use (mounted, swap, holds /) */

#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 4)
#define PROGRESS_LINE_US     (2 * G_USEC_PER_SEC)

typedef struct {
  char *bmap;
  gboolean no_bmap, no_verify, dry_run, quiet;
  char **args;
} Options;

typedef struct {
  gboolean tty;
  gint64 start, last;
  ScFlashPhase phase;
} Progress;

static const char *const phase_names[] = {"writing", "verifying"};

static void
options_clear(Options *o)
{
  g_free(o->bmap);
  g_strfreev(o->args);
}

static gboolean
parse_options(int *argc, char ***argv, Options *o)
{
  GOptionEntry entries[] = {
      {"bmap", 'b', 0, G_OPTION_ARG_FILENAME, &o->bmap,
       "Block map (default: IMAGE.bmap or the image's name with .bmap, when present)", "FILE"},
      {"no-bmap", 0, 0, G_OPTION_ARG_NONE, &o->no_bmap, "Write the whole image, ignoring any bmap",
       NULL},
      {"no-verify", 0, 0, G_OPTION_ARG_NONE, &o->no_verify, "Do not read the target back", NULL},
      {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o->dry_run,
       "Check the image, the bmap and the target; write nothing", NULL},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress on stderr", NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->args, NULL, "IMAGE TARGET"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("IMAGE TARGET");
  g_option_context_set_summary(ctx, "Writes a shopcast image onto a block device or a file and "
                                    "verifies it.\nTARGET is a whole device such as /dev/sdb or "
                                    "/dev/mmcblk0, or a file.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    fprintf(stderr, "shopcast-flash: %s (see --help)\n", error->message);
    return FALSE;
  }
  if (o->args == NULL || g_strv_length(o->args) != 2) {
    fprintf(stderr, "shopcast-flash: give an IMAGE and a TARGET (see --help)\n");
    return FALSE;
  }
  if (o->bmap && o->no_bmap) {
    fprintf(stderr, "shopcast-flash: --bmap and --no-bmap exclude each other\n");
    return FALSE;
  }
  return TRUE;
}

/* bmaptool's names: IMAGE.bmap, then IMAGE without its extension + .bmap */
static char *
find_bmap(const char *image)
{
  g_autofree char *next = g_strconcat(image, ".bmap", NULL);
  if (g_file_test(next, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer(&next);
  const char *dot = strrchr(image, '.');
  const char *slash = strrchr(image, '/');
  if (dot == NULL || (slash && dot < slash))
    return NULL;
  g_autofree char *swapped = g_strdup_printf("%.*s.bmap", (int)(dot - image), image);
  return g_file_test(swapped, G_FILE_TEST_IS_REGULAR) ? g_steal_pointer(&swapped) : NULL;
}

static void
on_progress(ScFlashPhase phase, guint64 done, guint64 total, gpointer data)
{
  Progress *p = data;
  gint64 now = g_get_monotonic_time();
  if (phase != p->phase) {
    p->phase = phase;
    p->start = now;
  }
  gboolean end = done == total;
  if (!end && now - p->last < (p->tty ? PROGRESS_INTERVAL_US : PROGRESS_LINE_US))
    return;
  p->last = now;
  double s = MAX((now - p->start) / 1e6, 1e-6);
  fprintf(stderr, "%s%-9s %3.0f%%  %.1f of %.1f MiB  %.1f MiB/s%s", p->tty ? "\r" : "",
          phase_names[phase], total ? 100.0 * done / total : 100.0, done / 1048576.0,
          total / 1048576.0, done / 1048576.0 / s, p->tty && !end ? "" : "\n");
}

static int
open_image(const char *path, guint64 *size)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fprintf(stderr, "shopcast-flash: image %s: %s\n", path,
            fd < 0 ? g_strerror(errno) : "not a regular file");
    if (fd >= 0)
      close(fd);
    return -1;
  }
  *size = (guint64)st.st_size;
  return fd;
}

static int
exit_for_target(const GError *error)
{
  return g_error_matches(error, SC_FLASH_TARGET_ERROR, SC_FLASH_TARGET_ERROR_IN_USE)
             ? EXIT_NOPERM
             : EXIT_CANTCREAT;
}

static int
exit_for_copy(const GError *error)
{
  if (g_error_matches(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_MISMATCH))
    return EXIT_DATAERR;
  if (g_error_matches(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_READ))
    return EXIT_NOINPUT;
  return EXIT_IOERR;
}

/* The bmap named or found beside the image, checked against the image's size. */
static int
load_bmap(const Options *o, const char *image, guint64 size, ScBmap **out)
{
  g_autofree char *path = o->no_bmap ? NULL : o->bmap ? g_strdup(o->bmap) : find_bmap(image);
  if (path == NULL)
    return 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBmap) bmap = sc_bmap_load(path, &error);
  if (bmap == NULL) {
    fprintf(stderr, "shopcast-flash: %s\n", error->message);
    return EXIT_DATAERR;
  }
  if (sc_bmap_get_image_size(bmap) != size) {
    fprintf(stderr,
            "shopcast-flash: bmap %s is for an image of %" G_GUINT64_FORMAT
            " bytes, but %s has %" G_GUINT64_FORMAT " bytes: it is not this image's bmap\n",
            path, sc_bmap_get_image_size(bmap), image, size);
    return EXIT_DATAERR;
  }
  if (!o->quiet)
    fprintf(stderr, "shopcast-flash: using bmap %s: %.1f of %.1f MiB mapped\n", path,
            sc_bmap_get_mapped_bytes(bmap) / 1048576.0, size / 1048576.0);
  *out = g_steal_pointer(&bmap);
  return 0;
}

static gboolean
same_file(int image_fd, const char *target)
{
  struct stat a, b;
  return fstat(image_fd, &a) == 0 && stat(target, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

static int
check_target(const Options *o, int image_fd, guint64 size, ScFlashTarget **out)
{
  const char *path = o->args[1];
  g_autoptr(GError) error = NULL;
  if (same_file(image_fd, path)) {
    fprintf(stderr, "shopcast-flash: %s is the image itself\n", path);
    return EXIT_USAGE;
  }
  g_autoptr(ScFlashTarget) target = sc_flash_target_open(path, NULL, o->dry_run, &error);
  if (target == NULL || !sc_flash_target_check_room(target, size, &error)) {
    fprintf(stderr, "shopcast-flash: %s\n", error->message);
    return exit_for_target(error);
  }
  *out = g_steal_pointer(&target);
  return 0;
}

static int
flash(const Options *o, int image_fd, guint64 size, const ScBmap *bmap, ScFlashTarget *target)
{
  Progress progress = {.tty = isatty(STDERR_FILENO), .start = g_get_monotonic_time()};
  ScFlashCopyParams params = {
      .image_fd = image_fd,
      .image_size = size,
      .bmap = bmap,
      .target = target,
      .verify = !o->no_verify,
      .progress = o->quiet ? NULL : on_progress,
      .user_data = &progress,
  };
  ScFlashCopyStats stats;
  g_autoptr(GError) error = NULL;
  if (!sc_flash_copy(&params, &stats, &error)) {
    fprintf(stderr, "%sshopcast-flash: %s: %s\n", progress.tty ? "\n" : "", o->args[1],
            error->message);
    return exit_for_copy(error);
  }
  double mib = stats.bytes_written / 1048576.0;
  printf("wrote %.1f MiB of a %.1f MiB image to %s in %.2f s (%.1f MiB/s)", mib, size / 1048576.0,
         o->args[1], stats.write_s, mib / MAX(stats.write_s, 1e-6));
  if (o->no_verify)
    printf(", not verified\n");
  else
    printf(", verified by reading back in %.2f s\n", stats.verify_s);
  return 0;
}

static int
run(const Options *o)
{
  guint64 size = 0;
  int image_fd = open_image(o->args[0], &size);
  if (image_fd < 0)
    return EXIT_NOINPUT;
  g_autoptr(ScBmap) bmap = NULL;
  g_autoptr(ScFlashTarget) target = NULL;
  int status = load_bmap(o, o->args[0], size, &bmap);
  if (status == 0)
    status = check_target(o, image_fd, size, &target);
  if (status == 0 && o->dry_run)
    printf("%s can be written to %s (nothing written: --dry-run)\n", o->args[0], o->args[1]);
  else if (status == 0)
    status = flash(o, image_fd, size, bmap, target);
  close(image_fd);
  return status;
}

int
main(int argc, char **argv)
{
  Options o = {0};
  int status = parse_options(&argc, &argv, &o) ? run(&o) : EXIT_USAGE;
  options_clear(&o);
  return status;
}
