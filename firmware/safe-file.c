#include "firmware/safe-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gboolean
fail(const char *what, const char *path, int err, GError **error)
{
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s %s: %s", what, path,
              g_strerror(err));
  return FALSE;
}

static gboolean
write_all(int fd, const char *data, gsize len)
{
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= (gsize)n;
  }
  return TRUE;
}

static gboolean
sync_folder(const char *path, GError **error)
{
  g_autofree char *folder = g_path_get_dirname(path);
  int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fail("cannot open the folder", folder, errno, error);
  int ok = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return ok == 0 || fail("cannot sync the folder", folder, ok, error);
}

/* Whether @name is "@base.new-XXXXXX": a temporary of sc_file_replace(). */
static gboolean
is_temp_of(const char *name, const char *base)
{
  gsize n = strlen(base);
  return strncmp(name, base, n) == 0 && strncmp(name + n, ".new-", 5) == 0 &&
         strlen(name + n + 5) == 6;
}

void
sc_file_remove_temps(const char *path)
{
  g_autofree char *folder = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
  const char *name;
  for (guint i = 0; dir && i < 10000 && (name = g_dir_read_name(dir)) != NULL; i++) {
    if (!is_temp_of(name, base))
      continue;
    g_autofree char *stale = g_build_filename(folder, name, NULL);
    g_unlink(stale);
  }
}

char *
sc_file_temp_name(const char *path)
{
  return g_strdup_printf("%s.new-XXXXXX", path);
}

gboolean
sc_file_replace(const char *path, const char *data, gsize len, int mode, GError **error)
{
  sc_file_remove_temps(path);
  g_autofree char *temp = sc_file_temp_name(path);
  int fd = g_mkstemp_full(temp, O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0)
    return fail("cannot create", temp, errno, error);
  int err = 0;
  if (!write_all(fd, data, len) || fchmod(fd, mode) != 0 || fsync(fd) != 0)
    err = errno ? errno : EIO;
  if (close(fd) != 0 && err == 0)
    err = errno;
  if (err == 0 && g_rename(temp, path) != 0)
    err = errno;
  if (err != 0) {
    g_unlink(temp);
    return fail("cannot write", path, err, error);
  }
  return sync_folder(path, error);
}
