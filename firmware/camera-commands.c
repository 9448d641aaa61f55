#define G_LOG_DOMAIN "shopcast-daemon"

#include "firmware/camera-commands.h"

#include "firmware/json.h"

#include <gio/gio.h>

const char *const sc_camera_command_usage =
    "camera status | camera switch NAME | camera set NAME exposure|white-balance|focus "
    "auto|VALUE | camera get NAME | camera drill NAME off|stall|on";

static void
append_field(GString *out, const char *key, const char *value)
{
  g_string_append_printf(out, ",\"%s\":", key);
  if (value)
    sc_json_append_string(out, value);
  else
    g_string_append(out, "null");
}

static void
append_controls(ScCameras *cameras, const char *name, GString *out)
{
  for (guint c = 0; c < SC_V4L2_N_CONTROLS; c++) {
    ScV4l2Setting s;
    g_autofree char *text =
        sc_cameras_get_control(cameras, name, c, &s, NULL) ? sc_v4l2_setting_to_string(&s) : NULL;
    append_field(out, sc_v4l2_control_name(c), text);
  }
}

char *
sc_camera_status_json_lines(ScCameras *cameras)
{
  static const char *const drills[] = {NULL, "unplug", "stall"};
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < sc_cameras_get_count(cameras); i++) {
    ScCameraInfo info;
    sc_cameras_get_info(cameras, i, &info);
    g_string_append(out, "{\"camera\":");
    sc_json_append_string(out, info.name);
    append_field(out, "state", sc_camera_state_name(info.state));
    g_string_append_printf(out, ",\"program\":%s", info.on_program ? "true" : "false");
    if (info.on_program)
      append_field(out, "showing", sc_cameras_showing_slate(cameras) ? "slate" : "camera");
    append_field(out, "device", info.device);
    append_field(out, "node", info.resolved);
    append_field(out, "format", info.mode);
    append_field(out, "lost_because", info.reason);
    append_field(out, "drill", drills[info.drill]);
    g_string_append_printf(out,
                           ",\"frames\":%" G_GUINT64_FORMAT ",\"losses\":%" G_GUINT64_FORMAT
                           ",\"open_attempts\":%" G_GUINT64_FORMAT,
                           info.frames, info.losses, info.attempts);
    append_controls(cameras, info.name, out);
    g_string_append(out, "}\n");
  }
  return g_string_free(out, FALSE);
}

static char *
controls_text(ScCameras *cameras, const char *name, GError **error)
{
  GString *out = g_string_new(NULL);
  for (guint c = 0; c < SC_V4L2_N_CONTROLS; c++) {
    ScV4l2Setting s;
    if (!sc_cameras_get_control(cameras, name, c, &s, error)) {
      g_string_free(out, TRUE);
      return NULL;
    }
    g_autofree char *text = sc_v4l2_setting_to_string(&s);
    g_string_append_printf(out, "%s %s\n", sc_v4l2_control_name(c), text);
  }
  return g_string_free(out, FALSE);
}

static char *
set_control(ScCameras *cameras, const char *const *argv, GError **error)
{
  ScV4l2Control control;
  ScV4l2Setting setting;
  if (!sc_v4l2_control_parse(argv[2], &control, error) ||
      !sc_v4l2_setting_parse(control, argv[3], &setting, error) ||
      !sc_cameras_set_control(cameras, argv[1], control, &setting, error))
    return NULL;
  return g_strdup_printf("camera %s: %s %s\n", argv[1], sc_v4l2_control_name(control), argv[3]);
}

static char *
drill(ScCameras *cameras, const char *name, const char *what, GError **error)
{
  static const char *const words[] = {"on", "off", "stall"};
  for (guint d = 0; d < G_N_ELEMENTS(words); d++)
    if (g_str_equal(what, words[d]))
      return sc_cameras_drill(cameras, name, (ScCameraDrill)d, error)
                 ? g_strdup_printf("camera %s: drill %s\n", name, what)
                 : NULL;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
              "camera drill: '%s' is not off (unplugged), stall (frozen) or on (back)", what);
  return NULL;
}

typedef struct {
  const char *word;
  guint args; /* after the word */
} Form;

static const Form forms[] = {{"status", 0}, {"switch", 1}, {"set", 3}, {"get", 1}, {"drill", 2}};

char *
sc_camera_command(ScCameras *cameras, const char *const *argv, GError **error)
{
  guint argc = g_strv_length((char **)argv);
  const Form *form = NULL;
  for (guint i = 0; argc > 0 && i < G_N_ELEMENTS(forms) && form == NULL; i++)
    if (g_str_equal(argv[0], forms[i].word))
      form = &forms[i];
  if (form == NULL || argc - 1 != form->args) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: %s",
                sc_camera_command_usage);
    return NULL;
  }
  if (g_str_equal(form->word, "status"))
    return sc_camera_status_json_lines(cameras);
  if (g_str_equal(form->word, "switch"))
    return sc_cameras_switch(cameras, argv[1], error)
               ? g_strdup_printf("camera %s on program\n", argv[1])
               : NULL;
  if (g_str_equal(form->word, "set"))
    return set_control(cameras, argv, error);
  if (g_str_equal(form->word, "get"))
    return controls_text(cameras, argv[1], error);
  return drill(cameras, argv[1], argv[2], error);
}
