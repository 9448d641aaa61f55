/* camera-commands.h - the cameras on the control socket (`shopcastctl camera ...`):
 *
 *   camera status                    one JSON object a camera
 *   camera switch NAME               put camera NAME on program
 *   camera set NAME CONTROL VALUE    exposure | white-balance | focus, auto or a number
 *   camera get NAME                  the controls as the camera reports them
 *   camera drill NAME off|stall|on   rehearse a loss: unplugged, frozen; on ends it
 */
#pragma once

#include "pipeline/camera.h"

G_BEGIN_DECLS

extern const char *const sc_camera_command_usage;

/* Runs `camera WORDS...` (@argv without the leading "camera"). Returns what
 * to print, or NULL with @error saying what to fix. */
char *sc_camera_command(ScCameras *cameras, const char *const *argv,
                        GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* One JSON object a camera, a line each: {"camera":"main","state":"running",
 * "program":true,"showing":"camera",...}. */
char *sc_camera_status_json_lines(ScCameras *cameras);

G_END_DECLS
