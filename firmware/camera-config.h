/* camera-config.h - the [camera NAME] groups of shopcastd's config.
 *
 *   [camera main]                       # the first camera is on program at start
 *   device = /dev/v4l/by-id/usb-...-video-index0   # a stable path (by-id or by-path)
 *   format = auto                       # auto, mjpeg, yuyv or nv12
 *   exposure = auto                     # auto, or manual: 100 µs units
 *   white-balance = auto                # auto, or manual: kelvin
 *   focus = auto                        # auto, or manual: lens position
 *
 * A control left out keeps the camera's own setting. On the simulated board
 * the device names the test camera's pattern instead (e.g. "ball").
 */
#pragma once

#include "pipeline/camera.h"

G_BEGIN_DECLS

#define SC_CAMERA_CONFIG_MAX 4

/* The keys a [camera NAME] group may hold, NULL-terminated. */
extern const char *const sc_camera_config_keys[];

/* Reads every [camera NAME] group of @kf into @cameras (ScCameraConfig*, in
 * file order). Errors are SC_KEYFILE_ERROR naming @path, group and key. */
gboolean sc_camera_config_read(GKeyFile *kf, const char *path, GPtrArray *cameras,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The camera a config without [camera] groups has: "main" on @device. */
ScCameraConfig *sc_camera_config_new_default(const char *device);

G_END_DECLS
