/* fuzz-util.c - what the fuzz targets share: fatal logs, a private folder. */
#include "tests/fuzz/fuzz.h"

#include <glib/gstdio.h>
#include <stdlib.h>

static char *fuzz_dir;
static GLogLevelFlags fatal_levels;

static GLogWriterOutput
write_or_abort(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  GLogWriterOutput out = g_log_writer_default(level, fields, n_fields, data);
  if (level & fatal_levels)
    abort();
  return out;
}

void
sc_fuzz_fatal_logs(GLogLevelFlags levels)
{
  fatal_levels = levels | G_LOG_LEVEL_ERROR;
  g_log_set_writer_func(write_or_abort, NULL, NULL);
}

static void
remove_dir(void)
{
  g_autoptr(GDir) dir = g_dir_open(fuzz_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *path = g_build_filename(fuzz_dir, name, NULL);
    g_remove(path);
  }
  g_rmdir(fuzz_dir);
}

const char *
sc_fuzz_dir(void)
{
  if (fuzz_dir == NULL) {
    fuzz_dir = g_dir_make_tmp("shopcast-fuzz-XXXXXX", NULL);
    g_assert(fuzz_dir != NULL);
    atexit(remove_dir);
  }
  return fuzz_dir;
}

const char *
sc_fuzz_write(const char *name, const uint8_t *data, size_t size)
{
  static char *path;
  g_free(path);
  path = g_build_filename(sc_fuzz_dir(), name, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, (const char *)data, (gssize)size, &error))
    g_error("fuzz: %s", error->message);
  return path;
}
