#define G_LOG_DOMAIN "shopcast-recording"

#include "firmware/retention.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/statvfs.h>

#define MAX_SHOWS 100000 /* a bound on the folder's listing */

static gint
by_name(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
sc_retention_list(const char *folder)
{
  GPtrArray *shows = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
  const char *name;
  while (dir && shows->len < MAX_SHOWS && (name = g_dir_read_name(dir))) {
    g_autofree char *marker = g_build_filename(folder, name, "show.json", NULL);
    if (g_file_test(marker, G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add(shows, g_strdup(name));
  }
  g_ptr_array_sort(shows, by_name);
  return shows;
}

guint64
sc_retention_free_bytes(const char *folder)
{
  struct statvfs vfs;
  return statvfs(folder, &vfs) == 0 ? (guint64)vfs.f_bavail * vfs.f_frsize : 0;
}

gboolean
sc_retention_delete(const char *path, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, error);
  if (dir == NULL)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name(dir))) {
    g_autofree char *file = g_build_filename(path, name, NULL);
    if (g_unlink(file) != 0 && errno != ENOENT) {
      int saved = errno;
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot delete %s: %s", file,
                  g_strerror(saved));
      return FALSE;
    }
  }
  if (g_rmdir(path) != 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot delete %s: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

guint
sc_retention_apply(const char *folder, const char *keep, guint64 keep_free_bytes, guint keep_shows,
                   ScRetentionFunc func, gpointer user_data)
{
  g_autoptr(GPtrArray) shows = sc_retention_list(folder);
  guint deleted = 0;
  for (guint i = 0; i < shows->len; i++) {
    const char *show = g_ptr_array_index(shows, i);
    gboolean too_many = keep_shows && shows->len - deleted > keep_shows;
    if (!too_many && sc_retention_free_bytes(folder) >= keep_free_bytes)
      break;
    if (keep && g_str_equal(show, keep))
      continue;
    g_autofree char *path = g_build_filename(folder, show, NULL);
    g_autoptr(GError) error = NULL;
    if (!sc_retention_delete(path, &error)) {
      g_warning("retention: %s", error->message);
      break;
    }
    deleted++;
    if (func)
      func(show, sc_retention_free_bytes(folder), user_data);
  }
  return deleted;
}
