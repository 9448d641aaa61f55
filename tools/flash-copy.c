/* flash-copy.c - writes the image's ranges onto the target, then reads them back. */
#define _GNU_SOURCE
#include "tools/flash-copy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

G_DEFINE_QUARK(sc - flash - copy - error - quark, sc_flash_copy_error)

#define CHUNK (4u * 1024 * 1024)

/* One range to write: bytes @offset..@offset+@length of the image, whose
 * SHA-256 is @sha256 (from the bmap) or learnt while writing. */
typedef struct {
  guint64 offset, length;
  guint64 first_block, last_block;
  char sha256[65];
  gboolean known; /* @sha256 came from the bmap */
} Span;

typedef struct {
  const ScFlashCopyParams *p;
  GArray *spans; /* Span */
  guint64 total, done;
  guchar *buffer;
} Copy;

static GArray *
make_spans(const ScFlashCopyParams *p)
{
  GArray *spans = g_array_new(FALSE, TRUE, sizeof(Span));
  if (p->bmap == NULL) {
    Span s = {.offset = 0, .length = p->image_size, .last_block = 0};
    g_array_append_val(spans, s);
    return spans;
  }
  for (guint i = 0; i < sc_bmap_get_n_ranges(p->bmap); i++) {
    const ScBmapRange *r = sc_bmap_get_range(p->bmap, i);
    Span s = {.first_block = r->first, .last_block = r->last, .known = TRUE};
    sc_bmap_range_bytes(p->bmap, r, &s.offset, &s.length);
    memcpy(s.sha256, r->sha256, sizeof s.sha256);
    g_array_append_val(spans, s);
  }
  return spans;
}

static gboolean
read_full(int fd, guchar *buf, gsize length, guint64 offset, GError **error)
{
  gsize got = 0;
  while (got < length) {
    ssize_t n = pread(fd, buf + got, length - got, (off_t)(offset + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_READ,
                  "at byte %" G_GUINT64_FORMAT ": %s", offset + got,
                  n < 0 ? g_strerror(errno) : "unexpected end of file");
      return FALSE;
    }
    got += (gsize)n;
  }
  return TRUE;
}

static gboolean
write_full(int fd, const guchar *buf, gsize length, guint64 offset, GError **error)
{
  gsize put = 0;
  while (put < length) {
    ssize_t n = pwrite(fd, buf + put, length - put, (off_t)(offset + put));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_WRITE,
                  "writing at byte %" G_GUINT64_FORMAT ": %s", offset + put,
                  n < 0 ? g_strerror(errno) : "no room left");
      return FALSE;
    }
    put += (gsize)n;
  }
  return TRUE;
}

static void
report(Copy *c, ScFlashPhase phase, gsize bytes)
{
  c->done += bytes;
  if (c->p->progress)
    c->p->progress(phase, c->done, c->total, c->p->user_data);
}

static gboolean
write_span(Copy *c, Span *s, GError **error)
{
  const ScFlashCopyParams *p = c->p;
  int out = sc_flash_target_get_fd(p->target);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  for (guint64 at = s->offset; at < s->offset + s->length;) {
    gsize n = (gsize)MIN((guint64)CHUNK, s->offset + s->length - at);
    g_autoptr(GError) local = NULL;
    if (!read_full(p->image_fd, c->buffer, n, at, &local)) {
      g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_READ, "reading the image %s",
                  local->message);
      return FALSE;
    }
    g_checksum_update(sum, c->buffer, n);
    if (!write_full(out, c->buffer, n, at, error))
      return FALSE;
    at += n;
    report(c, SC_FLASH_PHASE_WRITE, n);
  }
  const char *hex = g_checksum_get_string(sum);
  if (s->known && g_ascii_strcasecmp(hex, s->sha256) != 0) {
    g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_MISMATCH,
                "the bmap does not match the image: blocks %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                " of the image have another checksum than the bmap says "
                "(a bmap made for another image?); the target is now incomplete",
                s->first_block, s->last_block);
    return FALSE;
  }
  g_strlcpy(s->sha256, hex, sizeof s->sha256);
  return TRUE;
}

static gboolean
prepare_file(const ScFlashCopyParams *p, GError **error)
{
  int fd = sc_flash_target_get_fd(p->target);
  if (sc_flash_target_is_block(p->target))
    return TRUE;
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)p->image_size) != 0) {
    g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_WRITE, "%s: %s",
                sc_flash_target_get_path(p->target), g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
sync_target(const ScFlashCopyParams *p, GError **error)
{
  int fd = sc_flash_target_get_fd(p->target);
  if (fdatasync(fd) != 0) {
    g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_WRITE, "%s: syncing: %s",
                sc_flash_target_get_path(p->target), g_strerror(errno));
    return FALSE;
  }
  /* so the read-back comes from the medium, not from memory */
  if (sc_flash_target_is_block(p->target))
    (void)ioctl(fd, BLKFLSBUF, 0);
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  return TRUE;
}

static gboolean
verify_span(Copy *c, int fd, const Span *s, GError **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  for (guint64 at = s->offset; at < s->offset + s->length;) {
    gsize n = (gsize)MIN((guint64)CHUNK, s->offset + s->length - at);
    g_autoptr(GError) local = NULL;
    if (!read_full(fd, c->buffer, n, at, &local)) {
      g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_VERIFY,
                  "reading back the target %s", local->message);
      return FALSE;
    }
    g_checksum_update(sum, c->buffer, n);
    at += n;
    report(c, SC_FLASH_PHASE_VERIFY, n);
  }
  if (g_ascii_strcasecmp(g_checksum_get_string(sum), s->sha256) == 0)
    return TRUE;
  g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_VERIFY,
              "verification failed: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
              " read back from %s differ from the image (a failing or fake card?)",
              s->offset, s->offset + s->length - 1, sc_flash_target_get_path(c->p->target));
  return FALSE;
}

static gboolean
verify_all(Copy *c, GError **error)
{
  const char *path = sc_flash_target_get_path(c->p->target);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    g_set_error(error, SC_FLASH_COPY_ERROR, SC_FLASH_COPY_ERROR_VERIFY,
                "cannot reopen %s to verify it: %s", path, g_strerror(errno));
    return FALSE;
  }
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  c->done = 0;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < c->spans->len; i++)
    ok = verify_span(c, fd, &g_array_index(c->spans, Span, i), error);
  close(fd);
  return ok;
}

static gboolean
write_all(Copy *c, GError **error)
{
  if (!prepare_file(c->p, error))
    return FALSE;
  for (guint i = 0; i < c->spans->len; i++)
    if (!write_span(c, &g_array_index(c->spans, Span, i), error))
      return FALSE;
  return sync_target(c->p, error);
}

gboolean
sc_flash_copy(const ScFlashCopyParams *params, ScFlashCopyStats *stats, GError **error)
{
  g_autoptr(GArray) spans = make_spans(params);
  Copy c = {.p = params, .spans = spans};
  for (guint i = 0; i < spans->len; i++)
    c.total += g_array_index(spans, Span, i).length;
  g_autofree guchar *buffer = g_malloc(CHUNK);
  c.buffer = buffer;
  *stats = (ScFlashCopyStats){0};
  gint64 start = g_get_monotonic_time();
  if (!write_all(&c, error))
    return FALSE;
  stats->bytes_written = c.total;
  stats->write_s = (g_get_monotonic_time() - start) / 1e6;
  if (!params->verify)
    return TRUE;
  start = g_get_monotonic_time();
  gboolean ok = verify_all(&c, error);
  stats->verify_s = (g_get_monotonic_time() - start) / 1e6;
  return ok;
}
