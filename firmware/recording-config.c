#define G_LOG_DOMAIN "shopcast-config"

#include "firmware/recording-config.h"

#include "firmware/keyfile.h"

#include <unistd.h>

#define GROUP "recording"

const char *const sc_recording_config_keys[] = {"enabled",   "folder",     "segment-length",
                                                "keep-free", "keep-shows", NULL};

static char *
resolve(const char *path, const char *text)
{
  if (g_path_is_absolute(text))
    return g_strdup(text);
  g_autofree char *dir = g_path_get_dirname(path);
  return g_build_filename(dir, text, NULL);
}

/* The folder exists and is writable, or can be created (its parent is). */
static gboolean
check_folder(const char *path, const char *folder, GError **error)
{
  const char *problem = NULL;
  g_autofree char *parent = g_path_get_dirname(folder);
  if (g_file_test(folder, G_FILE_TEST_EXISTS)) {
    if (!g_file_test(folder, G_FILE_TEST_IS_DIR))
      problem = "is not a folder";
    else if (access(folder, W_OK | X_OK) != 0)
      problem = "cannot be written";
  } else if (!g_file_test(parent, G_FILE_TEST_IS_DIR)) {
    problem = "is in a folder that does not exist";
  } else if (access(parent, W_OK | X_OK) != 0) {
    problem = "cannot be created: its parent folder is not writable";
  }
  if (problem) {
    sc_keyfile_value_error(error, path, GROUP, "folder", "'%s' %s", folder, problem);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_recording_config_read(GKeyFile *kf, const char *path, const char *beside, ScRecordingConfig *c,
                         GError **error)
{
  g_autofree char *folder = NULL;
  c->enabled = TRUE;
  c->segment_s = 300;
  c->keep_free_mb = 2048;
  c->keep_shows = 0;
  if (!sc_keyfile_get_bool(kf, path, GROUP, "enabled", &c->enabled, error) ||
      !sc_keyfile_get_string(kf, path, GROUP, "folder", &folder, error) ||
      !sc_keyfile_get_uint(kf, path, GROUP, "segment-length", 10, 3600, &c->segment_s, error) ||
      !sc_keyfile_get_uint(kf, path, GROUP, "keep-free", 0, 1024 * 1024, &c->keep_free_mb, error) ||
      !sc_keyfile_get_uint(kf, path, GROUP, "keep-shows", 0, 100000, &c->keep_shows, error))
    return FALSE;
  if (folder && *folder == '\0') {
    sc_keyfile_value_error(error, path, GROUP, "folder", "is empty; name a folder");
    return FALSE;
  }
  g_autofree char *dir = g_path_get_dirname(beside ? beside : path);
  c->folder = folder ? resolve(path, folder) : g_build_filename(dir, "recordings", NULL);
  return !c->enabled || check_folder(path, c->folder, error);
}

void
sc_recording_config_clear(ScRecordingConfig *c)
{
  g_clear_pointer(&c->folder, g_free);
}
