/* camera.h - the studio cameras and the program's picture.
 *
 * Each camera runs in its own GstPipeline, decoupled from the program:
 *
 *   [board video source, ${video_device} = the camera's device,
 *    ${video_caps} = the chosen format] ! queue ! videoconvert ! videoscale
 *     ! video/x-raw,format=I420,<output size> ! appsink   (keeps the latest frame)
 *
 * The program's video source is a live-paced clock at the output frame rate
 * (sc_cameras_program_source()); on each tick the frame shown is the latest
 * frame of the camera on program, or the slate ("马上回来", pre-rendered
 * once) when that camera has had no frame for the frame timeout (500 ms) or
 * has failed. The program's timestamps are the clock's, so the encoder and
 * the outputs see a steady frame rate whatever the cameras do; a camera's
 * error stays in its own pipeline and is never fatal to the program.
 *
 * Switching is a change of which camera the next tick takes from: both are
 * already at the output size and format, so nothing renegotiates.
 *
 * A lost camera is reopened with a bounded backoff (0.25 s doubling to 2 s;
 * a V4L2 device path is resolved again each time, so a camera replugged
 * under another /dev/videoN is found by its by-id path), and the program
 * shows it again as soon as frames flow. A camera that is open but silent
 * for 3 s is closed and reopened.
 *
 * Threading: everything on the main thread (the thread-default main context
 * at sc_cameras_new), except the program tick and the cameras' appsinks,
 * which run on streaming threads and only touch the latest frames under a
 * lock and the program choice atomically. Events are reported on the main
 * thread.
 */
#pragma once

#include "drivers/v4l2.h"
#include "pipeline/pipeline.h"

G_BEGIN_DECLS

#define SC_CAMERA_ERROR (sc_camera_error_quark())
GQuark sc_camera_error_quark(void);

typedef enum {
  SC_CAMERA_ERROR_FRAGMENT,  /* the board's video source does not build */
  SC_CAMERA_ERROR_DEVICE,    /* a device cannot be used (bad format, not a camera) */
  SC_CAMERA_ERROR_NOT_FOUND, /* no camera of that name */
  SC_CAMERA_ERROR_CONTROL,   /* a control the camera lacks or refused */
  SC_CAMERA_ERROR_SLATE,     /* the slate could not be drawn */
} ScCameraError;

/* What the board's cameras are: V4L2 devices (paths resolved, formats
 * negotiated, controls on the device), or test sources (the device is passed
 * to the fragment as it is, e.g. a test pattern; simulated controls). */
typedef enum {
  SC_CAMERA_KIND_V4L2,
  SC_CAMERA_KIND_TEST,
} ScCameraKind;

/* One [camera NAME] group of the config. */
typedef struct {
  char *name;
  char *device; /* V4L2: a stable path such as /dev/v4l/by-id/...; NULL: the board's */
  ScV4l2Format format;
  ScV4l2Setting controls[SC_V4L2_N_CONTROLS];
} ScCameraConfig;

void sc_camera_config_free(ScCameraConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScCameraConfig, sc_camera_config_free)

typedef struct {
  const char *source;             /* the board's video source fragment */
  ScCameraKind kind;              /* of the board's cameras */
  const char *default_device;     /* when a camera names none; may be NULL */
  const ScPipelineParams *params; /* the program's spec and variables */
  guint frame_timeout_ms;         /* no frame this long: lost; 0 means 500 */
} ScCamerasParams;

typedef enum {
  SC_CAMERA_STATE_STARTING, /* opened, no frame yet */
  SC_CAMERA_STATE_LIVE,     /* frames flowing: "running" */
  SC_CAMERA_STATE_LOST,     /* failed, unplugged or silent; being reopened */
} ScCameraState;

const char *sc_camera_state_name(ScCameraState state); /* "starting", "running", "lost" */

/* Rehearsals, on any camera: UNPLUG makes the source fail as an unplugged
 * device does and keeps it absent; STALL keeps it open but drops its frames;
 * NONE ends the drill (the camera comes back by itself). */
typedef enum {
  SC_CAMERA_DRILL_NONE,
  SC_CAMERA_DRILL_UNPLUG,
  SC_CAMERA_DRILL_STALL,
} ScCameraDrill;

/* A camera's state changed, or the program switched (@camera "program").
 * @state: "starting", "running", "lost", "switched"; @detail says why. */
typedef void (*ScCameraEventFunc)(const char *camera, const char *state, const char *detail,
                                  gboolean warning, gpointer user_data);

typedef struct _ScCameras ScCameras;

/* Checks the cameras (a V4L2 device present now must offer a usable format;
 * one absent now is only lost, and opened when it appears) and draws the
 * slate. @configs: ScCameraConfig*, the first is on program; not kept. */
ScCameras *sc_cameras_new(const ScCamerasParams *params, GPtrArray *configs,
                          ScCameraEventFunc on_event, gpointer user_data,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_cameras_free(ScCameras *self);

/* The program's video source fragment (a live clock at the output size,
 * format and rate), for ScPipelineParams.video_source. */
const char *sc_cameras_program_source(ScCameras *self);
/* Takes over the program's video source in @program (built from
 * sc_cameras_program_source()). Before the program starts. */
gboolean sc_cameras_attach(ScCameras *self, ScPipeline *program,
                           GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Opens every camera; one that cannot open now is lost and retried. */
void sc_cameras_start(ScCameras *self);
void sc_cameras_stop(ScCameras *self);

/* Puts camera @name on program from the next frame. */
gboolean sc_cameras_switch(ScCameras *self, const char *name,
                           GError **error) G_GNUC_WARN_UNUSED_RESULT;
const char *sc_cameras_get_program(ScCameras *self);
/* Whether the latest program frame was the slate. Any thread. */
gboolean sc_cameras_showing_slate(ScCameras *self);

gboolean sc_cameras_set_control(ScCameras *self, const char *name, ScV4l2Control control,
                                const ScV4l2Setting *setting,
                                GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean sc_cameras_get_control(ScCameras *self, const char *name, ScV4l2Control control,
                                ScV4l2Setting *setting, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean sc_cameras_drill(ScCameras *self, const char *name, ScCameraDrill drill,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct {
  const char *name;
  ScCameraState state;
  const char *device;   /* as configured */
  const char *resolved; /* the node it resolved to at the last open, or NULL */
  const char *mode;     /* the format in use ("MJPG 1280x720@30"), or NULL */
  const char *reason;   /* why it was last lost, or NULL */
  gboolean on_program;
  ScCameraDrill drill;
  guint64 frames, losses;
  guint64 attempts; /* times it was opened or tried, since start */
} ScCameraInfo;

guint sc_cameras_get_count(ScCameras *self);
/* Borrowed strings, valid until the next call into the module. */
void sc_cameras_get_info(ScCameras *self, guint index, ScCameraInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScCameras, sc_cameras_free)

G_END_DECLS
