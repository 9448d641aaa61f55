#define G_LOG_DOMAIN "shopcast-board"

#include "firmware/board.h"

#include "firmware/keyfile.h"
#include "sc-build-config.h"

#include <stdlib.h>
#include <string.h>

struct _ScBoard {
  char *name;
  char *description;
  char *video_source;
  char *audio_source;
  char *video_device;
  char *audio_device;
  GPtrArray *video_encoders;
  GPtrArray *audio_encoders;
  ScBoardDefaults defaults;
  ScCameraKind camera_kind;
};

static const char *const board_keys[] = {"description",    "video-source", "audio-source",
                                         "video-device",   "audio-device", "video-encoders",
                                         "audio-encoders", "camera",       NULL};
static const char *const defaults_keys[] = {"width",   "height",      "framerate",
                                            "bitrate", "x264-preset", NULL};
static const char *const encoder_keys[] = {"pipeline", NULL};

static const ScKeyfileGroup board_schema[] = {
    {"board", board_keys},
    {"defaults", defaults_keys},
    {"video-encoder *", encoder_keys},
    {"audio-encoder *", encoder_keys},
};

const char *
sc_board_default_dir(void)
{
  const char *env = g_getenv("SHOPCAST_BOARD_DIR");
  return env && *env ? env : SC_BOARD_DIR;
}

static void
fragment_free(gpointer p)
{
  ScFragment *f = p;
  g_free(f->name);
  g_free(f->fragment);
  g_free(f);
}

void
sc_board_free(ScBoard *board)
{
  if (board == NULL)
    return;
  g_free(board->name);
  g_free(board->description);
  g_free(board->video_source);
  g_free(board->audio_source);
  g_free(board->video_device);
  g_free(board->audio_device);
  g_clear_pointer(&board->video_encoders, g_ptr_array_unref);
  g_clear_pointer(&board->audio_encoders, g_ptr_array_unref);
  g_free(board->defaults.x264_preset);
  g_free(board);
}

/* Every ${name} in a fragment must be a variable the pipeline knows: checked
 * at load so a typo in a profile is found before the show, not during it. */
static gboolean
check_variables(const char *path, const char *group, const char *key, const char *fragment,
                GError **error)
{
  const char *const *known = sc_pipeline_variables();
  for (const char *p = strstr(fragment, "${"); p; p = strstr(p + 2, "${")) {
    const char *end = strchr(p, '}');
    g_autofree char *name = end ? g_strndup(p + 2, end - p - 2) : g_strdup(p + 2);
    if (end == NULL || !g_strv_contains(known, name)) {
      g_autofree char *list = g_strjoinv(", ", (char **)known);
      sc_keyfile_value_error(error, path, group, key, "unknown variable ${%s} (variables: %s)",
                             name, list);
      return FALSE;
    }
  }
  return TRUE;
}

/* [video-encoder NAME] / [audio-encoder NAME] groups of one file, into @defs
 * (name -> fragment text); a later file overrides an earlier one. */
static gboolean
collect_encoders(GKeyFile *kf, const char *path, GHashTable *defs, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    if (!g_str_has_prefix(*g, "video-encoder ") && !g_str_has_prefix(*g, "audio-encoder "))
      continue;
    g_autofree char *text = NULL;
    if (!sc_keyfile_require_string(kf, path, *g, "pipeline", &text, error) ||
        !check_variables(path, *g, "pipeline", text, error))
      return FALSE;
    g_hash_table_insert(defs, g_strdup(*g), g_steal_pointer(&text));
  }
  return TRUE;
}

static GPtrArray *
resolve_encoders(GKeyFile *kf, const char *path, const char *key, const char *kind,
                 GHashTable *defs, GError **error)
{
  g_auto(GStrv) names = g_key_file_get_string_list(kf, "board", key, NULL, NULL);
  if (names == NULL || names[0] == NULL) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_MISSING,
                "%s: [board] %s: required: the %s encoders to try, in order, separated by ';'",
                path, key, kind);
    return NULL;
  }
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(fragment_free);
  for (char **n = names; *n; n++) {
    g_autofree char *group = g_strdup_printf("%s-encoder %s", kind, g_strstrip(*n));
    const char *text = g_hash_table_lookup(defs, group);
    if (text == NULL) {
      sc_keyfile_value_error(error, path, "board", key, "no [%s] group defines encoder '%s'", group,
                             *n);
      return NULL;
    }
    ScFragment *f = g_new0(ScFragment, 1);
    f->name = g_strdup(*n);
    f->fragment = g_strdup(text);
    g_ptr_array_add(list, f);
  }
  return g_steal_pointer(&list);
}

static gboolean
read_defaults(GKeyFile *kf, const char *path, ScBoardDefaults *d, GError **error)
{
  return sc_keyfile_get_uint(kf, path, "defaults", "width", 160, 3840, &d->width, error) &&
         sc_keyfile_get_uint(kf, path, "defaults", "height", 160, 3840, &d->height, error) &&
         sc_keyfile_get_uint(kf, path, "defaults", "framerate", 1, 60, &d->framerate, error) &&
         sc_keyfile_get_uint(kf, path, "defaults", "bitrate", 300, 20000, &d->video_bitrate_kbps,
                             error) &&
         sc_keyfile_get_string(kf, path, "defaults", "x264-preset", &d->x264_preset, error);
}

/* What the cameras are: V4L2 devices, or simulated (the device goes to the
 * fragment as it is, and camera controls are only kept). */
static gboolean
read_camera_kind(GKeyFile *kf, const char *path, ScBoard *b, GError **error)
{
  static const char *const kinds[] = {"v4l2", "simulated", NULL};
  guint kind = 1;
  if (!sc_keyfile_get_choice(kf, path, "board", "camera", kinds, &kind, error))
    return FALSE;
  b->camera_kind = kind == 0 ? SC_CAMERA_KIND_V4L2 : SC_CAMERA_KIND_TEST;
  return TRUE;
}

static gboolean
read_board(ScBoard *b, GKeyFile *kf, const char *path, GHashTable *defs, GError **error)
{
  if (!sc_keyfile_check(kf, path, board_schema, G_N_ELEMENTS(board_schema), error) ||
      !sc_keyfile_require_string(kf, path, "board", "description", &b->description, error) ||
      !sc_keyfile_require_string(kf, path, "board", "video-source", &b->video_source, error) ||
      !sc_keyfile_require_string(kf, path, "board", "audio-source", &b->audio_source, error) ||
      !check_variables(path, "board", "video-source", b->video_source, error) ||
      !check_variables(path, "board", "audio-source", b->audio_source, error) ||
      !sc_keyfile_get_string(kf, path, "board", "video-device", &b->video_device, error) ||
      !sc_keyfile_get_string(kf, path, "board", "audio-device", &b->audio_device, error) ||
      !read_camera_kind(kf, path, b, error) || !read_defaults(kf, path, &b->defaults, error) ||
      !collect_encoders(kf, path, defs, error))
    return FALSE;
  b->video_encoders = resolve_encoders(kf, path, "video-encoders", "video", defs, error);
  b->audio_encoders =
      b->video_encoders ? resolve_encoders(kf, path, "audio-encoders", "audio", defs, error) : NULL;
  return b->audio_encoders != NULL;
}

static gboolean
valid_board_name(const char *name)
{
  if (name == NULL || *name == '\0' || strcmp(name, "common") == 0)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

ScBoard *
sc_board_load(const char *board_dir, const char *name, GError **error)
{
  if (!valid_board_name(name)) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ,
                "'%s' is not a board name (letters, digits, '-' and '_')", name ? name : "");
    return NULL;
  }
  g_autofree char *common_path = g_build_filename(board_dir, "common", "encoders.ini", NULL);
  g_autofree char *path = g_build_filename(board_dir, name, "board.ini", NULL);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    g_auto(GStrv) known = sc_board_list(board_dir);
    g_autofree char *list = g_strjoinv(", ", known);
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ, "no board '%s' in %s (boards: %s)",
                name, board_dir, *list ? list : "none");
    return NULL;
  }
  g_autoptr(GHashTable) defs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GKeyFile) common = g_file_test(common_path, G_FILE_TEST_EXISTS)
                                   ? sc_keyfile_load(common_path, error)
                                   : g_key_file_new();
  if (common == NULL || !sc_keyfile_check(common, common_path, board_schema + 2, 2, error) ||
      !collect_encoders(common, common_path, defs, error))
    return NULL;
  g_autoptr(GKeyFile) kf = sc_keyfile_load(path, error);
  g_autoptr(ScBoard) board = g_new0(ScBoard, 1);
  board->name = g_strdup(name);
  if (kf == NULL || !read_board(board, kf, path, defs, error))
    return NULL;
  return g_steal_pointer(&board);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

GStrv
sc_board_list(const char *board_dir)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new();
  g_autoptr(GDir) dir = g_dir_open(board_dir, 0, NULL);
  const char *entry;
  while (dir && (entry = g_dir_read_name(dir)) != NULL) {
    g_autofree char *ini = g_build_filename(board_dir, entry, "board.ini", NULL);
    if (valid_board_name(entry) && g_file_test(ini, G_FILE_TEST_IS_REGULAR))
      g_strv_builder_add(names, entry);
  }
  GStrv list = g_strv_builder_end(names);
  qsort(list, g_strv_length(list), sizeof *list, compare_names);
  return list;
}

const char *
sc_board_get_name(const ScBoard *b)
{
  return b->name;
}

const char *
sc_board_get_description(const ScBoard *b)
{
  return b->description;
}

const char *
sc_board_get_video_source(const ScBoard *b)
{
  return b->video_source;
}

const char *
sc_board_get_audio_source(const ScBoard *b)
{
  return b->audio_source;
}

const char *
sc_board_get_video_device(const ScBoard *b)
{
  return b->video_device;
}

const char *
sc_board_get_audio_device(const ScBoard *b)
{
  return b->audio_device;
}

GPtrArray *
sc_board_get_video_encoders(const ScBoard *b)
{
  return b->video_encoders;
}

GPtrArray *
sc_board_get_audio_encoders(const ScBoard *b)
{
  return b->audio_encoders;
}

const ScBoardDefaults *
sc_board_get_defaults(const ScBoard *b)
{
  return &b->defaults;
}

ScCameraKind
sc_board_get_camera_kind(const ScBoard *b)
{
  return b->camera_kind;
}
