#define G_LOG_DOMAIN "shopcast-config"

#include "firmware/camera-config.h"

#include "firmware/keyfile.h"

#include <string.h>

const char *const sc_camera_config_keys[] = {"device",        "format", "exposure",
                                             "white-balance", "focus",  NULL};

static gboolean
read_format(GKeyFile *kf, const char *path, const char *group, ScCameraConfig *c, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, path, group, "format", &text, error))
    return FALSE;
  if (text && !sc_v4l2_format_parse(text, &c->format)) {
    sc_keyfile_value_error(error, path, group, "format",
                           "'%s' is not a format (auto, mjpeg, yuyv or nv12)", text);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_controls(GKeyFile *kf, const char *path, const char *group, ScCameraConfig *c, GError **error)
{
  for (guint i = 0; i < SC_V4L2_N_CONTROLS; i++) {
    const char *key = sc_v4l2_control_name(i);
    g_autofree char *text = NULL;
    if (!sc_keyfile_get_string(kf, path, group, key, &text, error))
      return FALSE;
    g_autoptr(GError) local = NULL;
    if (text && !sc_v4l2_setting_parse(i, text, &c->controls[i], &local)) {
      sc_keyfile_value_error(error, path, group, key, "%s", local->message);
      return FALSE;
    }
  }
  return TRUE;
}

static ScCameraConfig *
read_camera(GKeyFile *kf, const char *path, const char *group, GError **error)
{
  const char *name = sc_keyfile_group_name(path, group, 32, error);
  if (name == NULL)
    return NULL;
  g_autoptr(ScCameraConfig) c = g_new0(ScCameraConfig, 1);
  c->name = g_strdup(name);
  if (!sc_keyfile_get_string(kf, path, group, "device", &c->device, error) ||
      !read_format(kf, path, group, c, error) || !read_controls(kf, path, group, c, error))
    return NULL;
  if (c->device && *c->device == '\0') {
    sc_keyfile_value_error(error, path, group, "device",
                           "is empty; name the camera by a stable path, e.g. "
                           "/dev/v4l/by-id/usb-...-video-index0");
    return NULL;
  }
  return g_steal_pointer(&c);
}

gboolean
sc_camera_config_read(GKeyFile *kf, const char *path, GPtrArray *cameras, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    if (!g_str_has_prefix(*g, "camera "))
      continue;
    if (cameras->len == SC_CAMERA_CONFIG_MAX) {
      g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_VALUE, "%s: [%s]: at most %d cameras",
                  path, *g, SC_CAMERA_CONFIG_MAX);
      return FALSE;
    }
    ScCameraConfig *c = read_camera(kf, path, *g, error);
    if (c == NULL)
      return FALSE;
    g_ptr_array_add(cameras, c);
  }
  return TRUE;
}

ScCameraConfig *
sc_camera_config_new_default(const char *device)
{
  ScCameraConfig *c = g_new0(ScCameraConfig, 1);
  c->name = g_strdup("main");
  c->device = g_strdup(device);
  return c;
}
