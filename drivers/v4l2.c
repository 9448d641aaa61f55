#define G_LOG_DOMAIN "shopcast-v4l2"

#include "drivers/v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

G_DEFINE_QUARK(sc - v4l2 - error - quark, sc_v4l2_error)

/* Bounds on what a device may list: a broken driver cannot loop us forever. */
#define MAX_FORMATS   32
#define MAX_SIZES     64
#define MAX_INTERVALS 32
#define MAX_DESCRIBED 16

static const char *const format_names[] = {"auto", "mjpeg", "yuyv", "nv12", NULL};

const char *
sc_v4l2_format_name(ScV4l2Format format)
{
  return format <= SC_V4L2_FORMAT_NV12 ? format_names[format] : "?";
}

gboolean
sc_v4l2_format_parse(const char *text, ScV4l2Format *format)
{
  for (guint i = 0; format_names[i]; i++)
    if (g_ascii_strcasecmp(text, format_names[i]) == 0) {
      *format = i;
      return TRUE;
    }
  return FALSE;
}

static ScV4l2Format
format_of(guint32 fourcc)
{
  switch (fourcc) {
  case V4L2_PIX_FMT_MJPEG:
  case V4L2_PIX_FMT_JPEG:
    return SC_V4L2_FORMAT_MJPEG;
  case V4L2_PIX_FMT_YUYV:
    return SC_V4L2_FORMAT_YUYV;
  case V4L2_PIX_FMT_NV12:
    return SC_V4L2_FORMAT_NV12;
  default:
    return SC_V4L2_FORMAT_AUTO; /* not one the program uses */
  }
}

/* ---- enumeration on a real device ---- */

static int
xioctl(int fd, unsigned long request, void *arg)
{
  int r;
  guint tries = 0;
  do
    r = ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR && ++tries < 100);
  return r;
}

static void
add_offer(GArray *offers, guint32 fourcc, guint w, guint h, guint fps_n, guint fps_d)
{
  ScV4l2Offer o = {fourcc, w, h, fps_n, fps_d ? fps_d : 1};
  g_array_append_val(offers, o);
}

static void
add_intervals(int fd, GArray *offers, guint32 fourcc, guint w, guint h, guint want_fps)
{
  guint before = offers->len;
  for (guint i = 0; i < MAX_INTERVALS; i++) {
    struct v4l2_frmivalenum iv = {.index = i, .pixel_format = fourcc, .width = w, .height = h};
    if (xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) < 0)
      break;
    if (iv.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
      add_offer(offers, fourcc, w, h, iv.discrete.denominator, iv.discrete.numerator);
      continue;
    }
    /* stepwise or continuous: the wanted rate when in range, and the fastest */
    const struct v4l2_fract *min = &iv.stepwise.min, *max = &iv.stepwise.max;
    if ((guint64)want_fps * min->numerator <= min->denominator &&
        (guint64)want_fps * max->numerator >= max->denominator)
      add_offer(offers, fourcc, w, h, want_fps, 1);
    add_offer(offers, fourcc, w, h, min->denominator, min->numerator);
    break;
  }
  if (offers->len == before) /* no interval listed: the driver does not say */
    add_offer(offers, fourcc, w, h, 0, 1);
}

static void
add_sizes(int fd, GArray *offers, guint32 fourcc, guint want_w, guint want_h, guint want_fps)
{
  for (guint i = 0; i < MAX_SIZES; i++) {
    struct v4l2_frmsizeenum fs = {.index = i, .pixel_format = fourcc};
    if (xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
      break;
    if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
      add_intervals(fd, offers, fourcc, fs.discrete.width, fs.discrete.height, want_fps);
      continue;
    }
    const struct v4l2_frmsize_stepwise *s = &fs.stepwise;
    if (want_w >= s->min_width && want_w <= s->max_width && want_h >= s->min_height &&
        want_h <= s->max_height)
      add_intervals(fd, offers, fourcc, want_w, want_h, want_fps);
    add_intervals(fd, offers, fourcc, s->max_width, s->max_height, want_fps);
    break;
  }
}

static gboolean
check_capture(int fd, const char *device, GError **error)
{
  struct v4l2_capability cap;
  memset(&cap, 0, sizeof cap);
  if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_NOT_CAPTURE, "%s is not a V4L2 device: %s",
                device, g_strerror(errno));
    return FALSE;
  }
  guint32 caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_NOT_CAPTURE,
                "%s (%s) is not a video capture node (a camera's metadata node? use the "
                "by-id path ending in -video-index0)",
                device, (const char *)cap.card);
    return FALSE;
  }
  return TRUE;
}

GArray *
sc_v4l2_enumerate(const char *device, guint want_width, guint want_height, guint want_fps,
                  GError **error)
{
  int fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_OPEN, "cannot open %s: %s", device,
                g_strerror(e));
    return NULL;
  }
  if (!check_capture(fd, device, error)) {
    close(fd);
    return NULL;
  }
  GArray *offers = g_array_new(FALSE, FALSE, sizeof(ScV4l2Offer));
  for (guint i = 0; i < MAX_FORMATS; i++) {
    struct v4l2_fmtdesc fd_desc = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    if (xioctl(fd, VIDIOC_ENUM_FMT, &fd_desc) < 0)
      break;
    add_sizes(fd, offers, fd_desc.pixelformat, want_width, want_height, want_fps);
  }
  close(fd);
  return offers;
}

/* ---- choosing a format ---- */

/* Lower is better, compared field by field. */
typedef struct {
  guint slow;       /* does not reach the frame rate */
  guint size_class; /* 0 exact, 1 larger, 2 smaller */
  guint format_rank;
  guint64 size_distance;
  guint64 fps_distance; /* in milli-fps */
} Score;

static guint
format_rank(ScV4l2Format f)
{
  return f == SC_V4L2_FORMAT_NV12 ? 0 : f == SC_V4L2_FORMAT_YUYV ? 1 : 2;
}

static Score
score_offer(const ScV4l2Offer *o, guint w, guint h, guint fps)
{
  guint64 mfps = o->fps_d ? (guint64)o->fps_n * 1000 / o->fps_d : 0;
  guint64 want_mfps = (guint64)fps * 1000;
  guint64 area = (guint64)o->width * o->height, want_area = (guint64)w * h;
  Score s = {0};
  s.slow = mfps + 500 < want_mfps; /* 29.97 counts as 30 */
  s.size_class = o->width == w && o->height == h ? 0 : o->width >= w && o->height >= h ? 1 : 2;
  s.format_rank = format_rank(format_of(o->fourcc));
  /* larger: the nearest; smaller: the largest */
  s.size_distance = s.size_class == 2 ? G_MAXUINT32 - MIN(area, G_MAXUINT32) : area - want_area;
  /* the nearest rate, a slower one only after every faster one */
  s.fps_distance =
      (mfps >= want_mfps ? mfps - want_mfps : want_mfps - mfps) + (s.slow ? G_MAXUINT32 : 0);
  return s;
}

static int
score_compare(const Score *a, const Score *b)
{
  if (a->slow != b->slow)
    return a->slow < b->slow ? -1 : 1;
  if (a->size_class != b->size_class)
    return a->size_class < b->size_class ? -1 : 1;
  if (a->format_rank != b->format_rank)
    return a->format_rank < b->format_rank ? -1 : 1;
  if (a->size_distance != b->size_distance)
    return a->size_distance < b->size_distance ? -1 : 1;
  if (a->fps_distance != b->fps_distance)
    return a->fps_distance < b->fps_distance ? -1 : 1;
  return 0;
}

gboolean
sc_v4l2_choose(const GArray *offers, ScV4l2Format format, guint width, guint height, guint fps,
               const char *device, ScV4l2Offer *chosen, GError **error)
{
  const ScV4l2Offer *best = NULL;
  Score best_score = {0};
  for (guint i = 0; offers && i < offers->len; i++) {
    const ScV4l2Offer *o = &g_array_index(offers, ScV4l2Offer, i);
    ScV4l2Format f = format_of(o->fourcc);
    if (f == SC_V4L2_FORMAT_AUTO || (format != SC_V4L2_FORMAT_AUTO && f != format))
      continue;
    Score s = score_offer(o, width, height, fps);
    if (best == NULL || score_compare(&s, &best_score) < 0) {
      best = o;
      best_score = s;
    }
  }
  if (best == NULL) {
    g_autofree char *list = sc_v4l2_offers_describe(offers);
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_FORMAT, "%s offers %s (it offers: %s)", device,
                format == SC_V4L2_FORMAT_AUTO ? "none of mjpeg, yuyv, nv12"
                                              : (format == SC_V4L2_FORMAT_MJPEG  ? "no mjpeg"
                                                 : format == SC_V4L2_FORMAT_YUYV ? "no yuyv"
                                                                                 : "no nv12"),
                list);
    return FALSE;
  }
  *chosen = *best;
  return TRUE;
}

static char *
fps_text(const ScV4l2Offer *o)
{
  if (o->fps_n == 0)
    return g_strdup("?");
  if (o->fps_n % o->fps_d == 0)
    return g_strdup_printf("%u", o->fps_n / o->fps_d);
  return g_strdup_printf("%.2f", (double)o->fps_n / o->fps_d);
}

char *
sc_v4l2_offer_caps(const ScV4l2Offer *o)
{
  g_autofree char *rate =
      o->fps_n ? g_strdup_printf(",framerate=%u/%u", o->fps_n, o->fps_d) : g_strdup("");
  switch (format_of(o->fourcc)) {
  case SC_V4L2_FORMAT_MJPEG:
    return g_strdup_printf("image/jpeg,width=%u,height=%u%s ! jpegdec", o->width, o->height, rate);
  case SC_V4L2_FORMAT_YUYV:
    return g_strdup_printf("video/x-raw,format=YUY2,width=%u,height=%u%s", o->width, o->height,
                           rate);
  case SC_V4L2_FORMAT_NV12:
    return g_strdup_printf("video/x-raw,format=NV12,width=%u,height=%u%s", o->width, o->height,
                           rate);
  default:
    return g_strdup("decodebin");
  }
}

char *
sc_v4l2_offer_describe(const ScV4l2Offer *o)
{
  char cc[5];
  for (int i = 0; i < 4; i++) {
    char c = (char)((o->fourcc >> (8 * i)) & 0xff);
    cc[i] = g_ascii_isprint(c) ? c : '?';
  }
  cc[4] = '\0';
  g_autofree char *rate = fps_text(o);
  return g_strdup_printf("%s %ux%u@%s", g_strstrip(cc), o->width, o->height, rate);
}

char *
sc_v4l2_offers_describe(const GArray *offers)
{
  if (offers == NULL || offers->len == 0)
    return g_strdup("nothing");
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < offers->len && i < MAX_DESCRIBED; i++) {
    g_autofree char *one = sc_v4l2_offer_describe(&g_array_index(offers, ScV4l2Offer, i));
    g_string_append_printf(out, "%s%s", i ? "; " : "", one);
  }
  if (offers->len > MAX_DESCRIBED)
    g_string_append_printf(out, "; and %u more", offers->len - MAX_DESCRIBED);
  return g_string_free(out, FALSE);
}

/* ---- controls ---- */

static const char *const control_names[] = {"exposure", "white-balance", "focus"};

const char *
sc_v4l2_control_name(ScV4l2Control control)
{
  return control < SC_V4L2_N_CONTROLS ? control_names[control] : "?";
}

gboolean
sc_v4l2_control_parse(const char *text, ScV4l2Control *control, GError **error)
{
  for (guint i = 0; i < SC_V4L2_N_CONTROLS; i++)
    if (g_str_equal(text, control_names[i])) {
      *control = i;
      return TRUE;
    }
  if (g_str_equal(text, "wb")) {
    *control = SC_V4L2_CONTROL_WHITE_BALANCE;
    return TRUE;
  }
  g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_VALUE,
              "unknown camera control '%s' (controls: exposure, white-balance, focus)", text);
  return FALSE;
}

gboolean
sc_v4l2_setting_parse(ScV4l2Control control, const char *text, ScV4l2Setting *setting,
                      GError **error)
{
  guint64 v = 0;
  if (g_ascii_strcasecmp(text, "auto") == 0) {
    *setting = (ScV4l2Setting){.set = TRUE, .automatic = TRUE};
    return TRUE;
  }
  if (!g_ascii_string_to_unsigned(text, 10, 0, 1000000, &v, NULL)) {
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_VALUE,
                "%s: '%s' is neither auto nor a whole number (%s)", sc_v4l2_control_name(control),
                text,
                control == SC_V4L2_CONTROL_EXPOSURE        ? "exposure time in 100 µs units"
                : control == SC_V4L2_CONTROL_WHITE_BALANCE ? "colour temperature in kelvin"
                                                           : "lens position");
    return FALSE;
  }
  *setting = (ScV4l2Setting){.set = TRUE, .automatic = FALSE, .value = (gint)v};
  return TRUE;
}

char *
sc_v4l2_setting_to_string(const ScV4l2Setting *s)
{
  if (!s->set)
    return g_strdup("unset");
  return s->automatic ? g_strdup("auto") : g_strdup_printf("%d", s->value);
}

typedef struct {
  gboolean (*apply)(ScV4l2Controls *self, ScV4l2Control control, const ScV4l2Setting *setting,
                    GError **error);
  gboolean (*get)(ScV4l2Controls *self, ScV4l2Control control, ScV4l2Setting *setting,
                  GError **error);
} ControlOps;

struct _ScV4l2Controls {
  const ControlOps *ops;
  char *device;                          /* V4L2 backend */
  ScV4l2Setting sim[SC_V4L2_N_CONTROLS]; /* simulated backend */
};

/* The V4L2 controls behind each of ours: the switch between automatic and
 * manual, its values, and the manual value. */
typedef struct {
  guint32 auto_id, value_id;
  gint32 auto_on, auto_off;
} ControlIds;

static const ControlIds control_ids[] = {
    [SC_V4L2_CONTROL_EXPOSURE] = {V4L2_CID_EXPOSURE_AUTO, V4L2_CID_EXPOSURE_ABSOLUTE,
                                  V4L2_EXPOSURE_APERTURE_PRIORITY, V4L2_EXPOSURE_MANUAL},
    [SC_V4L2_CONTROL_WHITE_BALANCE] = {V4L2_CID_AUTO_WHITE_BALANCE,
                                       V4L2_CID_WHITE_BALANCE_TEMPERATURE, 1, 0},
    [SC_V4L2_CONTROL_FOCUS] = {V4L2_CID_FOCUS_AUTO, V4L2_CID_FOCUS_ABSOLUTE, 1, 0},
};

static int
open_device(ScV4l2Controls *self, GError **error)
{
  int fd = open(self->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_OPEN, "cannot open %s: %s", self->device,
                g_strerror(e));
  }
  return fd;
}

static gboolean
query(int fd, const char *device, guint32 id, const char *what, struct v4l2_queryctrl *q,
      GError **error)
{
  memset(q, 0, sizeof *q);
  q->id = id;
  if (xioctl(fd, VIDIOC_QUERYCTRL, q) < 0 || (q->flags & V4L2_CTRL_FLAG_DISABLED)) {
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_CONTROL, "%s has no %s control", device, what);
    return FALSE;
  }
  return TRUE;
}

static gboolean
set_ctrl(int fd, const char *device, guint32 id, gint32 value, const char *what, GError **error)
{
  struct v4l2_control c = {.id = id, .value = value};
  if (xioctl(fd, VIDIOC_S_CTRL, &c) < 0) {
    int e = errno;
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_CONTROL, "%s refused %s = %d: %s", device, what,
                value, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

static gboolean
device_apply_on(int fd, ScV4l2Controls *self, ScV4l2Control control, const ScV4l2Setting *s,
                GError **error)
{
  const ControlIds *ids = &control_ids[control];
  const char *name = sc_v4l2_control_name(control);
  g_autofree char *auto_name = g_strdup_printf("automatic %s", name);
  struct v4l2_queryctrl q;
  if (!query(fd, self->device, ids->auto_id, auto_name, &q, error) ||
      !set_ctrl(fd, self->device, ids->auto_id, s->automatic ? ids->auto_on : ids->auto_off,
                auto_name, error))
    return FALSE;
  if (s->automatic)
    return TRUE;
  if (!query(fd, self->device, ids->value_id, name, &q, error))
    return FALSE;
  if (s->value < q.minimum || s->value > q.maximum) {
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_CONTROL,
                "%s: %s %d is out of the camera's range (%d..%d)", self->device, name, s->value,
                q.minimum, q.maximum);
    return FALSE;
  }
  return set_ctrl(fd, self->device, ids->value_id, s->value, name, error);
}

static gboolean
device_apply(ScV4l2Controls *self, ScV4l2Control control, const ScV4l2Setting *s, GError **error)
{
  int fd = open_device(self, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = device_apply_on(fd, self, control, s, error);
  close(fd);
  return ok;
}

static gboolean
get_ctrl(int fd, const char *device, guint32 id, const char *what, gint32 *value, GError **error)
{
  struct v4l2_control c = {.id = id};
  if (xioctl(fd, VIDIOC_G_CTRL, &c) < 0) {
    int e = errno;
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_CONTROL, "%s: cannot read %s: %s", device, what,
                g_strerror(e));
    return FALSE;
  }
  *value = c.value;
  return TRUE;
}

static gboolean
device_get(ScV4l2Controls *self, ScV4l2Control control, ScV4l2Setting *s, GError **error)
{
  int fd = open_device(self, error);
  if (fd < 0)
    return FALSE;
  const ControlIds *ids = &control_ids[control];
  gint32 mode = 0, value = 0;
  gboolean ok =
      get_ctrl(fd, self->device, ids->auto_id, sc_v4l2_control_name(control), &mode, error) &&
      get_ctrl(fd, self->device, ids->value_id, sc_v4l2_control_name(control), &value, error);
  close(fd);
  if (ok)
    *s = (ScV4l2Setting){.set = TRUE, .automatic = mode != ids->auto_off, .value = value};
  return ok;
}

static const ControlOps device_ops = {device_apply, device_get};

/* The simulated camera's ranges: those of a common USB webcam. */
static const gint sim_min[] = {1, 2800, 0};
static const gint sim_max[] = {5000, 6500, 255};

static gboolean
sim_apply(ScV4l2Controls *self, ScV4l2Control control, const ScV4l2Setting *s, GError **error)
{
  if (!s->automatic && (s->value < sim_min[control] || s->value > sim_max[control])) {
    g_set_error(error, SC_V4L2_ERROR, SC_V4L2_ERROR_CONTROL,
                "simulated camera: %s %d is out of the camera's range (%d..%d)",
                sc_v4l2_control_name(control), s->value, sim_min[control], sim_max[control]);
    return FALSE;
  }
  gint keep = self->sim[control].value; /* automatic keeps the last manual value, as cameras do */
  self->sim[control] = *s;
  if (s->automatic)
    self->sim[control].value = keep;
  return TRUE;
}

static gboolean
sim_get(ScV4l2Controls *self, ScV4l2Control control, ScV4l2Setting *s, GError **error)
{
  *s = self->sim[control];
  return TRUE;
}

static const ControlOps sim_ops = {sim_apply, sim_get};

ScV4l2Controls *
sc_v4l2_controls_new_device(const char *device)
{
  ScV4l2Controls *self = g_new0(ScV4l2Controls, 1);
  self->ops = &device_ops;
  self->device = g_strdup(device);
  return self;
}

ScV4l2Controls *
sc_v4l2_controls_new_simulated(void)
{
  ScV4l2Controls *self = g_new0(ScV4l2Controls, 1);
  self->ops = &sim_ops;
  self->device = g_strdup("simulated camera");
  static const gint initial[] = {156, 4600, 0};
  for (guint i = 0; i < SC_V4L2_N_CONTROLS; i++)
    self->sim[i] = (ScV4l2Setting){.set = TRUE, .automatic = TRUE, .value = initial[i]};
  return self;
}

void
sc_v4l2_controls_free(ScV4l2Controls *self)
{
  if (self == NULL)
    return;
  g_free(self->device);
  g_free(self);
}

void
sc_v4l2_controls_set_device(ScV4l2Controls *self, const char *device)
{
  if (self->ops != &device_ops)
    return;
  g_free(self->device);
  self->device = g_strdup(device);
}

gboolean
sc_v4l2_controls_apply(ScV4l2Controls *self, ScV4l2Control control, const ScV4l2Setting *setting,
                       GError **error)
{
  g_return_val_if_fail(control < SC_V4L2_N_CONTROLS, FALSE);
  if (!setting->set)
    return TRUE;
  return self->ops->apply(self, control, setting, error);
}

gboolean
sc_v4l2_controls_get(ScV4l2Controls *self, ScV4l2Control control, ScV4l2Setting *setting,
                     GError **error)
{
  g_return_val_if_fail(control < SC_V4L2_N_CONTROLS, FALSE);
  return self->ops->get(self, control, setting, error);
}
