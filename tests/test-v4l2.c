/* Tests for drivers/v4l2.c: which format the program asks a camera for,
 * from descriptions of what real cameras offer; settings and the simulated
 * controls; the errors a person reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "drivers/v4l2.h"

#include <string.h>

#define MJPG SC_V4L2_FOURCC('M', 'J', 'P', 'G')
#define YUYV SC_V4L2_FOURCC('Y', 'U', 'Y', 'V')
#define NV12 SC_V4L2_FOURCC('N', 'V', '1', '2')
#define H264 SC_V4L2_FOURCC('H', '2', '6', '4')

static GArray *
offers(const ScV4l2Offer *list, guint n)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(ScV4l2Offer));
  g_array_append_vals(a, list, n);
  return a;
}

/* A typical USB 2 webcam: raw YUYV is slow at 720p, MJPEG is not. */
static const ScV4l2Offer webcam[] = {
    {MJPG, 1920, 1080, 30, 1}, {MJPG, 1280, 720, 60, 1}, {MJPG, 1280, 720, 30, 1},
    {MJPG, 640, 480, 30, 1},   {YUYV, 640, 480, 30, 1},  {YUYV, 1280, 720, 10, 1},
    {H264, 1280, 720, 30, 1},
};

static char *
choose(const ScV4l2Offer *list, guint n, ScV4l2Format f, guint w, guint h, guint fps,
       GError **error)
{
  g_autoptr(GArray) a = offers(list, n);
  ScV4l2Offer chosen;
  if (!sc_v4l2_choose(a, f, w, h, fps, "/dev/v4l/by-id/usb-cam", &chosen, error))
    return NULL;
  return sc_v4l2_offer_describe(&chosen);
}

static void
test_choose_webcam(void **state)
{
  g_autoptr(GError) error = NULL;
  /* 720p30: MJPEG reaches the rate where YUYV does not; 30 fps, not 60 */
  g_autofree char *a =
      choose(webcam, G_N_ELEMENTS(webcam), SC_V4L2_FORMAT_AUTO, 1280, 720, 30, &error);
  assert_string_equal(a, "MJPG 1280x720@30");
  /* 480p30: raw, no decode */
  g_autofree char *b =
      choose(webcam, G_N_ELEMENTS(webcam), SC_V4L2_FORMAT_AUTO, 640, 480, 30, &error);
  assert_string_equal(b, "YUYV 640x480@30");
  /* 1080p60: nothing reaches 60 at 1080p; the rate first, so 720p60 */
  g_autofree char *c =
      choose(webcam, G_N_ELEMENTS(webcam), SC_V4L2_FORMAT_AUTO, 1920, 1080, 60, &error);
  assert_string_equal(c, "MJPG 1280x720@60");
  /* a size the camera lacks: the nearest larger one */
  g_autofree char *d =
      choose(webcam, G_N_ELEMENTS(webcam), SC_V4L2_FORMAT_AUTO, 960, 540, 30, &error);
  assert_string_equal(d, "MJPG 1280x720@30");
  /* forced YUYV: the rate first, so 480p30 scaled up rather than 720p at 10 fps */
  g_autofree char *e =
      choose(webcam, G_N_ELEMENTS(webcam), SC_V4L2_FORMAT_YUYV, 1280, 720, 30, &error);
  assert_string_equal(e, "YUYV 640x480@30");
  /* and at 10 fps, the exact size */
  g_autofree char *f =
      choose(webcam, G_N_ELEMENTS(webcam), SC_V4L2_FORMAT_YUYV, 1280, 720, 10, &error);
  assert_string_equal(f, "YUYV 1280x720@10");
}

static void
test_choose_capture_card(void **state)
{
  /* an HDMI capture card: NV12 and MJPEG at 1080p60 and 30 */
  static const ScV4l2Offer card[] = {
      {MJPG, 1920, 1080, 60, 1}, {NV12, 1920, 1080, 60, 1}, {NV12, 1920, 1080, 30, 1},
      {YUYV, 1920, 1080, 30, 1}, {NV12, 1280, 720, 60, 1},  {NV12, 1280, 720, 30000, 1001},
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *a =
      choose(card, G_N_ELEMENTS(card), SC_V4L2_FORMAT_AUTO, 1920, 1080, 30, &error);
  assert_string_equal(a, "NV12 1920x1080@30");
  g_autofree char *b = choose(card, G_N_ELEMENTS(card), SC_V4L2_FORMAT_AUTO, 1280, 720, 30, &error);
  assert_string_equal(b, "NV12 1280x720@29.97"); /* 29.97 counts as 30 */
  g_autofree char *c =
      choose(card, G_N_ELEMENTS(card), SC_V4L2_FORMAT_MJPEG, 1280, 720, 30, &error);
  assert_string_equal(c, "MJPG 1920x1080@60");
}

static void
test_choose_errors(void **state)
{
  g_autoptr(GError) error = NULL;
  static const ScV4l2Offer mjpeg_only[] = {{MJPG, 1280, 720, 30, 1}, {MJPG, 640, 480, 30, 1}};
  g_autofree char *a =
      choose(mjpeg_only, G_N_ELEMENTS(mjpeg_only), SC_V4L2_FORMAT_NV12, 1280, 720, 30, &error);
  assert_null(a);
  assert_true(g_error_matches(error, SC_V4L2_ERROR, SC_V4L2_ERROR_FORMAT));
  assert_string_equal(error->message, "/dev/v4l/by-id/usb-cam offers no nv12 (it offers: MJPG "
                                      "1280x720@30; MJPG 640x480@30)");
  g_clear_error(&error);
  static const ScV4l2Offer h264_only[] = {{H264, 1920, 1080, 30, 1}};
  g_autofree char *b =
      choose(h264_only, G_N_ELEMENTS(h264_only), SC_V4L2_FORMAT_AUTO, 1280, 720, 30, &error);
  assert_null(b);
  assert_string_equal(error->message, "/dev/v4l/by-id/usb-cam offers none of mjpeg, yuyv, nv12 "
                                      "(it offers: H264 1920x1080@30)");
}

static void
test_caps(void **state)
{
  ScV4l2Offer m = {MJPG, 1280, 720, 30, 1}, y = {YUYV, 640, 480, 30, 1};
  ScV4l2Offer n = {NV12, 1920, 1080, 30000, 1001};
  g_autofree char *a = sc_v4l2_offer_caps(&m);
  g_autofree char *b = sc_v4l2_offer_caps(&y);
  g_autofree char *c = sc_v4l2_offer_caps(&n);
  assert_string_equal(a, "image/jpeg,width=1280,height=720,framerate=30/1 ! jpegdec");
  assert_string_equal(b, "video/x-raw,format=YUY2,width=640,height=480,framerate=30/1");
  assert_string_equal(c, "video/x-raw,format=NV12,width=1920,height=1080,framerate=30000/1001");
  ScV4l2Format f;
  assert_true(sc_v4l2_format_parse("MJPEG", &f));
  assert_int_equal(f, SC_V4L2_FORMAT_MJPEG);
  assert_false(sc_v4l2_format_parse("h264", &f));
}

static void
test_settings(void **state)
{
  g_autoptr(GError) error = NULL;
  ScV4l2Setting s;
  assert_true(sc_v4l2_setting_parse(SC_V4L2_CONTROL_EXPOSURE, "auto", &s, &error));
  assert_true(s.set && s.automatic);
  assert_true(sc_v4l2_setting_parse(SC_V4L2_CONTROL_EXPOSURE, "300", &s, &error));
  assert_true(s.set && !s.automatic && s.value == 300);
  g_autofree char *text = sc_v4l2_setting_to_string(&s);
  assert_string_equal(text, "300");
  assert_false(sc_v4l2_setting_parse(SC_V4L2_CONTROL_WHITE_BALANCE, "-5", &s, &error));
  assert_non_null(strstr(error->message, "colour temperature in kelvin"));
  g_clear_error(&error);
  ScV4l2Control c;
  assert_true(sc_v4l2_control_parse("wb", &c, &error));
  assert_int_equal(c, SC_V4L2_CONTROL_WHITE_BALANCE);
  assert_false(sc_v4l2_control_parse("zoom", &c, &error));
  assert_string_equal(error->message,
                      "unknown camera control 'zoom' (controls: exposure, white-balance, focus)");
}

static void
test_simulated_controls(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScV4l2Controls) ctl = sc_v4l2_controls_new_simulated();
  ScV4l2Setting s, manual = {.set = TRUE, .value = 3200},
                   automatic = {.set = TRUE, .automatic = TRUE};
  assert_true(sc_v4l2_controls_get(ctl, SC_V4L2_CONTROL_WHITE_BALANCE, &s, &error));
  assert_true(s.automatic);
  assert_true(sc_v4l2_controls_apply(ctl, SC_V4L2_CONTROL_WHITE_BALANCE, &manual, &error));
  assert_true(sc_v4l2_controls_get(ctl, SC_V4L2_CONTROL_WHITE_BALANCE, &s, &error));
  assert_true(!s.automatic && s.value == 3200);
  /* back to automatic: the camera keeps the last manual value for later */
  assert_true(sc_v4l2_controls_apply(ctl, SC_V4L2_CONTROL_WHITE_BALANCE, &automatic, &error));
  assert_true(sc_v4l2_controls_get(ctl, SC_V4L2_CONTROL_WHITE_BALANCE, &s, &error));
  assert_true(s.automatic && s.value == 3200);
  ScV4l2Setting far = {.set = TRUE, .value = 300};
  assert_false(sc_v4l2_controls_apply(ctl, SC_V4L2_CONTROL_FOCUS, &far, &error));
  assert_string_equal(error->message,
                      "simulated camera: focus 300 is out of the camera's range (0..255)");
}

/* The real backend on nodes that are no camera. */
static void
test_device_errors(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) a =
      sc_v4l2_enumerate("/dev/v4l/by-id/none-video-index0", 1280, 720, 30, &error);
  assert_null(a);
  assert_true(g_error_matches(error, SC_V4L2_ERROR, SC_V4L2_ERROR_OPEN));
  g_clear_error(&error);
  g_autoptr(GArray) b = sc_v4l2_enumerate("/dev/null", 1280, 720, 30, &error);
  assert_null(b);
  assert_true(g_error_matches(error, SC_V4L2_ERROR, SC_V4L2_ERROR_NOT_CAPTURE));
  g_clear_error(&error);
  g_autoptr(ScV4l2Controls) ctl = sc_v4l2_controls_new_device("/dev/null");
  ScV4l2Setting s = {.set = TRUE, .value = 300};
  assert_false(sc_v4l2_controls_apply(ctl, SC_V4L2_CONTROL_EXPOSURE, &s, &error));
  assert_string_equal(error->message, "/dev/null has no automatic exposure control");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_choose_webcam), cmocka_unit_test(test_choose_capture_card),
      cmocka_unit_test(test_choose_errors), cmocka_unit_test(test_caps),
      cmocka_unit_test(test_settings),      cmocka_unit_test(test_simulated_controls),
      cmocka_unit_test(test_device_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
