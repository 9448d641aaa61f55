/* v4l2.h - the studio cameras' V4L2 side: which formats a camera offers,
 * which one the program uses, and the picture controls (exposure, white
 * balance, focus).
 *
 * Formats: sc_v4l2_enumerate() asks the device (VIDIOC_ENUM_FMT,
 * VIDIOC_ENUM_FRAMESIZES, VIDIOC_ENUM_FRAMEINTERVALS) for what it offers;
 * sc_v4l2_choose() picks one for the program's size and frame rate from such
 * a list, which tests build by hand. Only MJPEG, YUYV and NV12 are used; the
 * others are listed in errors so a person sees what the camera has.
 *
 * Controls sit behind a small ops table: the V4L2 backend sets them on the
 * device (VIDIOC_QUERYCTRL, VIDIOC_S_CTRL, VIDIOC_G_CTRL), opening it for each
 * call, so it works while a capture pipeline streams and after a replug; the
 * simulated backend keeps the values and reports them, with ranges like a
 * typical USB camera's. Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_V4L2_ERROR (sc_v4l2_error_quark())
GQuark sc_v4l2_error_quark(void);

typedef enum {
  SC_V4L2_ERROR_OPEN,        /* the device is absent or cannot be opened */
  SC_V4L2_ERROR_NOT_CAPTURE, /* the node is not a video capture device */
  SC_V4L2_ERROR_FORMAT,      /* the camera offers nothing usable for the program */
  SC_V4L2_ERROR_CONTROL,     /* the camera lacks a control, or refused a value */
  SC_V4L2_ERROR_VALUE,       /* a setting that does not parse */
} ScV4l2Error;

typedef enum {
  SC_V4L2_FORMAT_AUTO, /* the best the camera offers among the three */
  SC_V4L2_FORMAT_MJPEG,
  SC_V4L2_FORMAT_YUYV,
  SC_V4L2_FORMAT_NV12,
} ScV4l2Format;

/* "auto", "mjpeg", "yuyv", "nv12". */
const char *sc_v4l2_format_name(ScV4l2Format format);
gboolean sc_v4l2_format_parse(const char *text, ScV4l2Format *format);

/* One mode a camera offers: a pixel format (V4L2 fourcc), a size and a frame
 * rate (fps_n / fps_d frames per second). */
typedef struct {
  guint32 fourcc;
  guint width, height;
  guint fps_n, fps_d;
} ScV4l2Offer;

#define SC_V4L2_FOURCC(a, b, c, d)                                                                 \
  ((guint32)(a) | ((guint32)(b) << 8) | ((guint32)(c) << 16) | ((guint32)(d) << 24))

/* What @device (a capture node, e.g. /dev/video2) offers: an array of
 * ScV4l2Offer. Stepwise or continuous sizes and intervals are listed as the
 * wanted size and rate when they fall in range, and as their largest size and
 * fastest rate. */
GArray *sc_v4l2_enumerate(const char *device, guint want_width, guint want_height, guint want_fps,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Picks the offer for a program of @width x @height at @fps: one that reaches
 * the frame rate first, then the exact size (else the nearest larger one,
 * else the largest), then raw formats before MJPEG (no decode), then the
 * lowest rate that reaches @fps. @format limits the choice to one format.
 * @device only names the camera in errors, which list what it offers. */
gboolean sc_v4l2_choose(const GArray *offers, ScV4l2Format format, guint width, guint height,
                        guint fps, const char *device, ScV4l2Offer *chosen,
                        GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The GStreamer caps (and decoder) that follow v4l2src for @offer, e.g.
 * "image/jpeg,width=1280,height=720,framerate=30/1 ! jpegdec". */
char *sc_v4l2_offer_caps(const ScV4l2Offer *offer);
/* "MJPG 1280x720@30", and a list of at most 16 of them ("; " between). */
char *sc_v4l2_offer_describe(const ScV4l2Offer *offer);
char *sc_v4l2_offers_describe(const GArray *offers);

/* ---- controls ---- */

typedef enum {
  SC_V4L2_CONTROL_EXPOSURE,      /* manual value: exposure time in 100 µs units */
  SC_V4L2_CONTROL_WHITE_BALANCE, /* manual value: colour temperature in kelvin */
  SC_V4L2_CONTROL_FOCUS,         /* manual value: the lens position, camera units */
  SC_V4L2_N_CONTROLS,
} ScV4l2Control;

/* A control's setting: automatic, or manual with a value. */
typedef struct {
  gboolean set; /* FALSE: leave the camera's own setting */
  gboolean automatic;
  gint value;
} ScV4l2Setting;

/* "exposure", "white-balance", "focus"; parse also accepts "wb". */
const char *sc_v4l2_control_name(ScV4l2Control control);
gboolean sc_v4l2_control_parse(const char *text, ScV4l2Control *control, GError **error);
/* "auto", or a whole number in 0..1000000; range checks against a camera
 * happen when it is applied. */
gboolean sc_v4l2_setting_parse(ScV4l2Control control, const char *text, ScV4l2Setting *setting,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* "auto", "300", or "unset". */
char *sc_v4l2_setting_to_string(const ScV4l2Setting *setting);

typedef struct _ScV4l2Controls ScV4l2Controls;

/* Controls of the device at @device (re-pointed with _set_device after a
 * replug moves it to another node). */
ScV4l2Controls *sc_v4l2_controls_new_device(const char *device);
/* Simulated controls: values kept and reported; exposure 1..5000,
 * white balance 2800..6500 K, focus 0..255. */
ScV4l2Controls *sc_v4l2_controls_new_simulated(void);
void sc_v4l2_controls_free(ScV4l2Controls *self);
void sc_v4l2_controls_set_device(ScV4l2Controls *self, const char *device);

/* Applies @setting (automatic, or manual with its value); a value out of the
 * camera's range or a control the camera lacks is SC_V4L2_ERROR_CONTROL
 * naming both. An unset @setting does nothing. */
gboolean sc_v4l2_controls_apply(ScV4l2Controls *self, ScV4l2Control control,
                                const ScV4l2Setting *setting,
                                GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* What the camera reports now. */
gboolean sc_v4l2_controls_get(ScV4l2Controls *self, ScV4l2Control control, ScV4l2Setting *setting,
                              GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScV4l2Controls, sc_v4l2_controls_free)

G_END_DECLS
