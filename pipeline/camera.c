#define G_LOG_DOMAIN "shopcast-camera"

#include "pipeline/camera.h"

#include "pipeline/bin.h"

#include <gst/app/gstappsink.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(sc - camera - error - quark, sc_camera_error)

#define DEFAULT_FRAME_TIMEOUT_MS 500
#define WATCH_INTERVAL_MS        100
#define RETRY_FIRST_MS           250
#define RETRY_MAX_MS             2000
#define SILENT_RESTART_MS        3000 /* open but no frame this long: reopen */
#define PROGRAM_ELEMENT          "camera-program"

/* The slate: dark blue, so it is told apart from a black camera picture. */
#define SLATE_COLOUR 0xff102040u
#define SLATE_TEXT   "<b>马上回来</b>\n<span size=\"small\">Be right back</span>"
#define SLATE_FONT   "Noto Sans CJK SC"

typedef struct {
  ScCameras *owner;
  char *name;
  char *device; /* as configured */
  char *resolved;
  char *mode;
  char *caps; /* ${video_caps} */
  char *reason;
  ScV4l2Format format;
  ScV4l2Setting controls[SC_V4L2_N_CONTROLS];
  ScV4l2Controls *ctl;
  ScCameraState state;
  GstElement *pipeline; /* NULL while closed */
  guint bus_watch;
  guint retry_timer;
  guint backoff_ms;
  gint64 opened_us;
  guint64 losses;
  guint64 attempts;    /* opens tried */
  ScCameraDrill drill; /* atomic: read by the appsink */
  gint lost;           /* atomic: state == LOST, for the program tick */

  GMutex lock; /* the latest frame, between the appsink and the program tick */
  GstBuffer *latest;
  gint64 latest_us;
  guint64 frames;
} Camera;

struct _ScCameras {
  ScCamerasParams params; /* source is copied; params->params is borrowed no further */
  char *source;
  char *default_device;
  ScMediaSpec spec;
  GHashTable *vars;
  ScCameraKind kind;
  gint64 timeout_us;
  GPtrArray *cameras; /* Camera* */
  char *program_source;
  GstBuffer *slate;
  gint shown;        /* atomic: index of the camera on program */
  gint slate_on_air; /* atomic */
  guint watch_timer;
  gboolean running;
  GMainContext *context;
  ScCameraEventFunc on_event;
  gpointer user_data;
};

static void camera_close(Camera *cam);
static void schedule_retry(Camera *cam);

const char *
sc_camera_state_name(ScCameraState state)
{
  static const char *const names[] = {"starting", "running", "lost"};
  return state <= SC_CAMERA_STATE_LOST ? names[state] : "?";
}

void
sc_camera_config_free(ScCameraConfig *config)
{
  if (config == NULL)
    return;
  g_free(config->name);
  g_free(config->device);
  g_free(config);
}

static void
emit(ScCameras *self, const char *camera, const char *state, const char *detail, gboolean warning)
{
  if (self->on_event)
    self->on_event(camera, state, detail, warning, self->user_data);
}

/* The one place a camera's state changes: logged and reported. */
static void
set_state(Camera *cam, ScCameraState state, const char *detail)
{
  if (cam->state == state)
    return;
  if (state == SC_CAMERA_STATE_LOST) {
    cam->losses++;
    g_free(cam->reason);
    cam->reason = g_strdup(detail);
  }
  cam->state = state;
  g_atomic_int_set(&cam->lost, state == SC_CAMERA_STATE_LOST);
  emit(cam->owner, cam->name, sc_camera_state_name(state), detail, state == SC_CAMERA_STATE_LOST);
}

/* ---- the slate ---- */

/* Draws the slate once, with pango in Noto Sans CJK, and converts it to the
 * program's format: the program then only references it. */
static void
draw_slate(cairo_t *cr, guint width, guint height)
{
  cairo_set_source_rgb(cr, ((SLATE_COLOUR >> 16) & 0xff) / 255.0,
                       ((SLATE_COLOUR >> 8) & 0xff) / 255.0, (SLATE_COLOUR & 0xff) / 255.0);
  cairo_paint(cr);
  PangoLayout *layout = pango_cairo_create_layout(cr);
  PangoFontDescription *font = pango_font_description_from_string(SLATE_FONT);
  pango_font_description_set_absolute_size(font, MAX(height / 9, 12) * PANGO_SCALE);
  pango_layout_set_font_description(layout, font);
  pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER);
  pango_layout_set_markup(layout, SLATE_TEXT, -1);
  int w = 0, h = 0;
  pango_layout_get_pixel_size(layout, &w, &h);
  cairo_move_to(cr, ((int)width - w) / 2.0, ((int)height - h) / 2.0);
  cairo_set_source_rgb(cr, 1, 1, 1);
  pango_cairo_show_layout(cr, layout);
  pango_font_description_free(font);
  g_object_unref(layout);
}

static GstBuffer *
convert_slate(cairo_surface_t *surface, guint width, guint height)
{
  GstVideoInfo in, out;
  gst_video_info_set_format(&in, GST_VIDEO_FORMAT_BGRA, width, height);
  in.stride[0] = cairo_image_surface_get_stride(surface);
  in.size = (gsize)in.stride[0] * height;
  gst_video_info_set_format(&out, GST_VIDEO_FORMAT_I420, width, height);
  g_autoptr(GstBuffer) src =
      gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, cairo_image_surface_get_data(surface),
                                  in.size, 0, in.size, NULL, NULL);
  GstBuffer *dst = gst_buffer_new_allocate(NULL, out.size, NULL);
  GstVideoFrame from, to;
  gst_video_frame_map(&from, &in, src, GST_MAP_READ);
  gst_video_frame_map(&to, &out, dst, GST_MAP_WRITE);
  GstVideoConverter *converter = gst_video_converter_new(&in, &out, NULL);
  gst_video_converter_frame(converter, &from, &to);
  gst_video_converter_free(converter);
  gst_video_frame_unmap(&to);
  gst_video_frame_unmap(&from);
  return dst;
}

static GstBuffer *
render_slate(const ScMediaSpec *s, GError **error)
{
  cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, s->width, s->height);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_SLATE, "cannot draw the slate: %s",
                cairo_status_to_string(cairo_surface_status(surface)));
    cairo_surface_destroy(surface);
    return NULL;
  }
  cairo_t *cr = cairo_create(surface);
  draw_slate(cr, s->width, s->height);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  GstBuffer *slate = convert_slate(surface, s->width, s->height);
  cairo_surface_destroy(surface);
  return slate;
}

/* ---- the program tick ---- */

/* The camera's latest frame when it is fresh; else the slate once the
 * camera was seen or is lost; else (a camera still starting) NULL: the
 * clock's own black frame. */
static GstBuffer *
take_frame(ScCameras *self)
{
  Camera *cam = g_ptr_array_index(self->cameras, g_atomic_int_get(&self->shown));
  GstBuffer *buf = NULL;
  gint64 now = g_get_monotonic_time();
  g_mutex_lock(&cam->lock);
  if (cam->latest && now - cam->latest_us < self->timeout_us)
    buf = gst_buffer_ref(cam->latest);
  gboolean seen = cam->frames > 0;
  g_mutex_unlock(&cam->lock);
  gboolean slate = buf == NULL && (seen || g_atomic_int_get(&cam->lost));
  g_atomic_int_set(&self->slate_on_air, slate);
  return buf ? buf : slate ? gst_buffer_ref(self->slate) : NULL;
}

/* Each tick of the program's clock leaves with the chosen picture and the
 * clock's timestamps: the memory is shared, not copied (the overlay stage's
 * writable map copies it when it draws). */
static GstPadProbeReturn
on_program_tick(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ScCameras *self = data;
  GstBuffer *tick = GST_PAD_PROBE_INFO_BUFFER(info);
  g_autoptr(GstBuffer) picture = take_frame(self);
  if (picture == NULL)
    return GST_PAD_PROBE_OK;
  GstBuffer *out = gst_buffer_copy(picture);
  GST_BUFFER_PTS(out) = GST_BUFFER_PTS(tick);
  GST_BUFFER_DTS(out) = GST_BUFFER_DTS(tick);
  GST_BUFFER_DURATION(out) = GST_BUFFER_DURATION(tick);
  GST_BUFFER_OFFSET(out) = GST_BUFFER_OFFSET(tick);
  GST_BUFFER_OFFSET_END(out) = GST_BUFFER_OFFSET_END(tick);
  GST_BUFFER_FLAGS(out) = GST_BUFFER_FLAGS(tick);
  gst_buffer_unref(tick);
  GST_PAD_PROBE_INFO_DATA(info) = out;
  return GST_PAD_PROBE_OK;
}

/* ---- one camera's pipeline ---- */

static GstFlowReturn
on_camera_sample(GstAppSink *sink, gpointer data)
{
  Camera *cam = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (sample == NULL)
    return GST_FLOW_EOS;
  if (g_atomic_int_get((gint *)&cam->drill) == SC_CAMERA_DRILL_STALL)
    return GST_FLOW_OK;
  GstBuffer *buf = gst_buffer_ref(gst_sample_get_buffer(sample));
  g_mutex_lock(&cam->lock);
  gst_clear_buffer(&cam->latest);
  cam->latest = buf;
  cam->latest_us = g_get_monotonic_time();
  cam->frames++;
  g_mutex_unlock(&cam->lock);
  return GST_FLOW_OK;
}

static void
forget_frame(Camera *cam)
{
  g_mutex_lock(&cam->lock);
  gst_clear_buffer(&cam->latest);
  g_mutex_unlock(&cam->lock);
}

static void
camera_failed(Camera *cam, const char *why)
{
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "CAMERA", cam->name, "MESSAGE",
                   "camera %s: %s", cam->name, why);
  camera_close(cam);
  set_state(cam, SC_CAMERA_STATE_LOST, why);
  schedule_retry(cam);
}

static gboolean
on_camera_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
  Camera *cam = data;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = NULL;
    gst_message_parse_error(msg, &err, NULL);
    g_autofree char *why =
        g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err->message);
    camera_failed(cam, why);
    return G_SOURCE_REMOVE; /* camera_close removed this watch's pipeline */
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    camera_failed(cam, "the camera ended its stream");
    return G_SOURCE_REMOVE;
  }
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
    g_autoptr(GError) err = NULL;
    gst_message_parse_warning(msg, &err, NULL);
    g_warning("camera %s: %s", cam->name, err->message);
  }
  return G_SOURCE_CONTINUE;
}

static void
camera_close(Camera *cam)
{
  if (cam->bus_watch) {
    GSource *source = g_main_context_find_source_by_id(cam->owner->context, cam->bus_watch);
    if (source && !g_source_is_destroyed(source))
      g_source_destroy(source);
    cam->bus_watch = 0;
  }
  if (cam->pipeline) {
    gst_element_set_state(cam->pipeline, GST_STATE_NULL);
    gst_clear_object(&cam->pipeline);
  }
  forget_frame(cam);
}

/* A V4L2 camera: its node now, and the format to ask it for. */
static gboolean
negotiate(Camera *cam, GError **error)
{
  ScCameras *self = cam->owner;
  g_autofree char *node = realpath(cam->device, NULL);
  if (node == NULL) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_DEVICE, "%s is absent: %s", cam->device,
                g_strerror(errno));
    return FALSE;
  }
  g_autoptr(GArray) offers =
      sc_v4l2_enumerate(node, self->spec.width, self->spec.height, self->spec.framerate, error);
  ScV4l2Offer chosen;
  if (offers == NULL || !sc_v4l2_choose(offers, cam->format, self->spec.width, self->spec.height,
                                        self->spec.framerate, cam->device, &chosen, error))
    return FALSE;
  g_free(cam->resolved);
  cam->resolved = g_steal_pointer(&node);
  g_free(cam->mode);
  cam->mode = sc_v4l2_offer_describe(&chosen);
  g_free(cam->caps);
  cam->caps = sc_v4l2_offer_caps(&chosen);
  sc_v4l2_controls_set_device(cam->ctl, cam->resolved);
  return TRUE;
}

static char *
camera_description(Camera *cam, GError **error)
{
  ScCameras *self = cam->owner;
  g_hash_table_insert(self->vars, "video_device",
                      g_strdup(cam->resolved ? cam->resolved
                               : cam->device ? cam->device
                                             : ""));
  g_hash_table_insert(self->vars, "video_caps", g_strdup(cam->caps ? cam->caps : "decodebin"));
  g_autoptr(GError) local = NULL;
  g_autofree char *src = sc_pipeline_expand(self->source, self->vars, &local);
  if (src == NULL) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_FRAGMENT, "video source: %s",
                local->message);
    return NULL;
  }
  return g_strdup_printf(
      "%s ! queue max-size-buffers=2 leaky=downstream ! videoconvert ! videoscale"
      " ! video/x-raw,format=I420,width=%u,height=%u,pixel-aspect-ratio=1/1"
      " ! appsink name=camera-frames max-buffers=1 drop=true sync=false",
      src, self->spec.width, self->spec.height);
}

static GstElement *
build_camera(Camera *cam, GError **error)
{
  g_autofree char *text = camera_description(cam, error);
  if (text == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  GstElement *p = gst_parse_launch_full(text, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (p == NULL) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_FRAGMENT, "camera %s: %s", cam->name,
                local->message);
    return NULL;
  }
  gst_object_ref_sink(p);
  g_autofree char *name = g_strdup_printf("camera-%s", cam->name);
  gst_element_set_name(p, name);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(p), "camera-frames");
  GstAppSinkCallbacks callbacks = {.new_sample = on_camera_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, cam, NULL);
  return p;
}

static void
apply_controls(Camera *cam)
{
  for (guint c = 0; c < SC_V4L2_N_CONTROLS; c++) {
    g_autoptr(GError) error = NULL;
    if (!sc_v4l2_controls_apply(cam->ctl, c, &cam->controls[c], &error))
      g_warning("camera %s: %s", cam->name, error->message);
  }
}

static gboolean
camera_open(Camera *cam, GError **error)
{
  cam->attempts++;
  if (g_atomic_int_get((gint *)&cam->drill) == SC_CAMERA_DRILL_UNPLUG) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_DEVICE,
                "Could not open the camera (drill: unplugged)");
    return FALSE;
  }
  if (cam->owner->kind == SC_CAMERA_KIND_V4L2 && !negotiate(cam, error))
    return FALSE;
  cam->pipeline = build_camera(cam, error);
  if (cam->pipeline == NULL)
    return FALSE;
  g_autoptr(GstBus) bus = gst_element_get_bus(cam->pipeline);
  cam->bus_watch = gst_bus_add_watch(bus, on_camera_bus, cam);
  if (gst_element_set_state(cam->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    camera_close(cam);
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_DEVICE, "%s does not start",
                cam->resolved ? cam->resolved : cam->name);
    return FALSE;
  }
  cam->opened_us = g_get_monotonic_time();
  if (cam->owner->kind == SC_CAMERA_KIND_V4L2)
    apply_controls(cam);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "CAMERA", cam->name, "MESSAGE",
                   "camera %s opened: %s%s%s", cam->name, cam->resolved ? cam->resolved : "",
                   cam->mode ? " " : "", cam->mode ? cam->mode : "");
  return TRUE;
}

static gboolean
on_retry(gpointer data)
{
  Camera *cam = data;
  cam->retry_timer = 0;
  g_autoptr(GError) error = NULL;
  if (camera_open(cam, &error)) {
    cam->backoff_ms = 0;
    return G_SOURCE_REMOVE;
  }
  g_free(cam->reason);
  cam->reason = g_strdup(error->message);
  set_state(cam, SC_CAMERA_STATE_LOST, error->message);
  g_debug("camera %s: %s", cam->name, error->message);
  schedule_retry(cam);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(Camera *cam)
{
  if (!cam->owner->running || cam->retry_timer)
    return;
  cam->backoff_ms = cam->backoff_ms ? MIN(cam->backoff_ms * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
  cam->retry_timer = g_timeout_add(cam->backoff_ms, on_retry, cam);
}

/* ---- the watchdog: frames seen, frames missing ---- */

static void
watch_camera(Camera *cam, gint64 now, gint64 timeout_us)
{
  g_mutex_lock(&cam->lock);
  gint64 last = cam->latest ? cam->latest_us : 0;
  g_mutex_unlock(&cam->lock);
  gboolean fresh = last && now - last < timeout_us;
  if (fresh && cam->state != SC_CAMERA_STATE_LIVE) {
    g_autofree char *detail = g_strdup_printf("frames from %s%s%s",
                                              cam->resolved ? cam->resolved
                                              : cam->device ? cam->device
                                                            : "the test source",
                                              cam->mode ? ", " : "", cam->mode ? cam->mode : "");
    set_state(cam, SC_CAMERA_STATE_LIVE, detail);
  } else if (!fresh && cam->state == SC_CAMERA_STATE_LIVE) {
    g_autofree char *detail =
        g_strdup_printf("no frame for %" G_GINT64_FORMAT " ms", timeout_us / 1000);
    set_state(cam, SC_CAMERA_STATE_LOST, detail);
  }
  gint64 since = MAX(last, cam->opened_us);
  if (!fresh && cam->pipeline && now - since > SILENT_RESTART_MS * 1000) {
    camera_failed(cam, "open but silent for 3 s: reopening");
  }
}

static gboolean
on_watch(gpointer data)
{
  ScCameras *self = data;
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < self->cameras->len; i++)
    watch_camera(g_ptr_array_index(self->cameras, i), now, self->timeout_us);
  return G_SOURCE_CONTINUE;
}

/* ---- the set ---- */

static void
camera_free(gpointer p)
{
  Camera *cam = p;
  camera_close(cam);
  g_clear_handle_id(&cam->retry_timer, g_source_remove);
  sc_v4l2_controls_free(cam->ctl);
  g_mutex_clear(&cam->lock);
  g_free(cam->name);
  g_free(cam->device);
  g_free(cam->resolved);
  g_free(cam->mode);
  g_free(cam->caps);
  g_free(cam->reason);
  g_free(cam);
}

void
sc_cameras_free(ScCameras *self)
{
  if (self == NULL)
    return;
  sc_cameras_stop(self);
  g_clear_pointer(&self->cameras, g_ptr_array_unref);
  g_clear_pointer(&self->vars, g_hash_table_unref);
  gst_clear_buffer(&self->slate);
  g_main_context_unref(self->context);
  g_free(self->source);
  g_free(self->default_device);
  g_free(self->spec.x264_preset);
  g_free(self->program_source);
  g_free(self);
}

/* A V4L2 camera present now must offer a format the program can use: a
 * wrong device or format is found before the show, not during it. */
static gboolean
check_camera(Camera *cam, GError **error)
{
  if (cam->owner->kind != SC_CAMERA_KIND_V4L2) {
    g_autoptr(GstElement) trial = build_camera(cam, error); /* its fragment must build */
    return trial != NULL;
  }
  if (cam->device == NULL || !g_path_is_absolute(cam->device)) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_DEVICE,
                "camera %s: no device path (set device = /dev/v4l/by-id/...)", cam->name);
    return FALSE;
  }
  g_autoptr(GError) local = NULL;
  if (negotiate(cam, &local))
    return TRUE;
  if (g_error_matches(local, SC_CAMERA_ERROR, SC_CAMERA_ERROR_DEVICE) ||
      g_error_matches(local, SC_V4L2_ERROR, SC_V4L2_ERROR_OPEN)) {
    g_warning("camera %s: %s; it goes on air when it appears", cam->name, local->message);
    return TRUE;
  }
  g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_DEVICE, "camera %s: %s", cam->name,
              local->message);
  return FALSE;
}

static Camera *
camera_new(ScCameras *self, const ScCameraConfig *cfg)
{
  Camera *cam = g_new0(Camera, 1);
  cam->owner = self;
  g_mutex_init(&cam->lock);
  cam->name = g_strdup(cfg->name);
  cam->device = g_strdup(cfg->device ? cfg->device : self->default_device);
  cam->format = cfg->format;
  memcpy(cam->controls, cfg->controls, sizeof cam->controls);
  cam->state = SC_CAMERA_STATE_STARTING;
  if (self->kind == SC_CAMERA_KIND_V4L2) {
    cam->ctl = sc_v4l2_controls_new_device(cam->device);
  } else {
    cam->ctl = sc_v4l2_controls_new_simulated();
    apply_controls(cam);
  }
  return cam;
}

static gboolean
add_cameras(ScCameras *self, GPtrArray *configs, GError **error)
{
  for (guint i = 0; i < configs->len; i++) {
    Camera *cam = camera_new(self, g_ptr_array_index(configs, i));
    g_ptr_array_add(self->cameras, cam);
    if (!check_camera(cam, error))
      return FALSE;
  }
  if (self->cameras->len == 0) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_NOT_FOUND, "no camera configured");
    return FALSE;
  }
  return TRUE;
}

ScCameras *
sc_cameras_new(const ScCamerasParams *params, GPtrArray *configs, ScCameraEventFunc on_event,
               gpointer user_data, GError **error)
{
  g_autoptr(ScCameras) self = g_new0(ScCameras, 1);
  self->context = g_main_context_ref_thread_default();
  self->source = g_strdup(params->source);
  self->default_device = g_strdup(params->default_device);
  self->spec = *params->params->spec;
  self->spec.x264_preset = g_strdup(self->spec.x264_preset);
  self->vars = sc_pipeline_new_variables(params->params);
  self->kind = params->kind;
  self->timeout_us =
      (gint64)(params->frame_timeout_ms ? params->frame_timeout_ms : DEFAULT_FRAME_TIMEOUT_MS) *
      1000;
  self->on_event = on_event;
  self->user_data = user_data;
  self->cameras = g_ptr_array_new_with_free_func(camera_free);
  self->program_source = g_strdup_printf(
      "videotestsrc name=" PROGRAM_ELEMENT " is-live=true pattern=black"
      " ! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1,pixel-aspect-ratio=1/1",
      self->spec.width, self->spec.height, self->spec.framerate);
  if (!add_cameras(self, configs, error))
    return NULL;
  self->slate = render_slate(&self->spec, error);
  if (self->slate == NULL)
    return NULL;
  return g_steal_pointer(&self);
}

const char *
sc_cameras_program_source(ScCameras *self)
{
  return self->program_source;
}

gboolean
sc_cameras_attach(ScCameras *self, ScPipeline *program, GError **error)
{
  GstElement *pipeline = sc_pipeline_get_element(program);
  g_autoptr(GstElement) clock = gst_bin_get_by_name(GST_BIN(pipeline), PROGRAM_ELEMENT);
  g_autoptr(GstPad) pad = clock ? gst_element_get_static_pad(clock, "src") : NULL;
  if (pad == NULL) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_FRAGMENT,
                "the program has no element \"" PROGRAM_ELEMENT "\" to take the cameras' frames");
    return FALSE;
  }
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_program_tick, self, NULL);
  return TRUE;
}

void
sc_cameras_start(ScCameras *self)
{
  self->running = TRUE;
  for (guint i = 0; i < self->cameras->len; i++) {
    Camera *cam = g_ptr_array_index(self->cameras, i);
    g_autoptr(GError) error = NULL;
    if (!camera_open(cam, &error)) {
      set_state(cam, SC_CAMERA_STATE_LOST, error->message);
      schedule_retry(cam);
    }
  }
  if (self->watch_timer == 0)
    self->watch_timer = g_timeout_add(WATCH_INTERVAL_MS, on_watch, self);
}

void
sc_cameras_stop(ScCameras *self)
{
  self->running = FALSE;
  g_clear_handle_id(&self->watch_timer, g_source_remove);
  for (guint i = 0; self->cameras && i < self->cameras->len; i++) {
    Camera *cam = g_ptr_array_index(self->cameras, i);
    g_clear_handle_id(&cam->retry_timer, g_source_remove);
    camera_close(cam);
  }
}

static Camera *
find_camera(ScCameras *self, const char *name, guint *index, GError **error)
{
  GString *names = g_string_new(NULL);
  for (guint i = 0; i < self->cameras->len; i++) {
    Camera *cam = g_ptr_array_index(self->cameras, i);
    if (g_str_equal(cam->name, name)) {
      g_string_free(names, TRUE);
      if (index)
        *index = i;
      return cam;
    }
    g_string_append_printf(names, "%s%s", i ? ", " : "", cam->name);
  }
  g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_NOT_FOUND,
              "no camera named '%s' (cameras: %s)", name, names->str);
  g_string_free(names, TRUE);
  return NULL;
}

gboolean
sc_cameras_switch(ScCameras *self, const char *name, GError **error)
{
  guint index = 0;
  Camera *cam = find_camera(self, name, &index, error);
  if (cam == NULL)
    return FALSE;
  guint before = (guint)g_atomic_int_get(&self->shown);
  g_atomic_int_set(&self->shown, (gint)index);
  if (before != index) {
    Camera *old = g_ptr_array_index(self->cameras, before);
    g_autofree char *detail = g_strdup_printf(
        "%s -> %s%s", old->name, cam->name,
        cam->state == SC_CAMERA_STATE_LIVE ? "" : " (not live: the slate shows until it is)");
    emit(self, "program", "switched", detail, FALSE);
  }
  return TRUE;
}

const char *
sc_cameras_get_program(ScCameras *self)
{
  Camera *cam = g_ptr_array_index(self->cameras, g_atomic_int_get(&self->shown));
  return cam->name;
}

gboolean
sc_cameras_showing_slate(ScCameras *self)
{
  return g_atomic_int_get(&self->slate_on_air);
}

gboolean
sc_cameras_set_control(ScCameras *self, const char *name, ScV4l2Control control,
                       const ScV4l2Setting *setting, GError **error)
{
  Camera *cam = find_camera(self, name, NULL, error);
  if (cam == NULL)
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (!sc_v4l2_controls_apply(cam->ctl, control, setting, &local)) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_CONTROL, "camera %s: %s", name,
                local->message);
    return FALSE;
  }
  cam->controls[control] = *setting; /* applied again when the camera reopens */
  return TRUE;
}

gboolean
sc_cameras_get_control(ScCameras *self, const char *name, ScV4l2Control control,
                       ScV4l2Setting *setting, GError **error)
{
  Camera *cam = find_camera(self, name, NULL, error);
  if (cam == NULL)
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (!sc_v4l2_controls_get(cam->ctl, control, setting, &local)) {
    g_set_error(error, SC_CAMERA_ERROR, SC_CAMERA_ERROR_CONTROL, "camera %s: %s", name,
                local->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_cameras_drill(ScCameras *self, const char *name, ScCameraDrill drill, GError **error)
{
  Camera *cam = find_camera(self, name, NULL, error);
  if (cam == NULL)
    return FALSE;
  g_atomic_int_set((gint *)&cam->drill, drill);
  if (drill == SC_CAMERA_DRILL_UNPLUG && cam->pipeline) {
    /* the source fails as an unplugged camera's does, through the bus */
    g_autoptr(GstElement) src = sc_bin_first_source(GST_BIN(cam->pipeline));
    GstElement *from = src ? src : cam->pipeline;
    g_autoptr(GError) gone = g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                                         "Could not read from resource (drill: unplugged)");
    gst_element_post_message(from, gst_message_new_error(GST_OBJECT(from), gone, "drill"));
  }
  if (drill == SC_CAMERA_DRILL_NONE && cam->pipeline == NULL && self->running) {
    g_clear_handle_id(&cam->retry_timer, g_source_remove);
    cam->backoff_ms = 0;
    cam->retry_timer = g_idle_add(on_retry, cam);
  }
  const char *what[] = {"ended", "unplug", "stall"};
  emit(self, cam->name, "drill", what[drill], FALSE);
  return TRUE;
}

guint
sc_cameras_get_count(ScCameras *self)
{
  return self->cameras->len;
}

void
sc_cameras_get_info(ScCameras *self, guint index, ScCameraInfo *info)
{
  Camera *cam = g_ptr_array_index(self->cameras, index);
  g_mutex_lock(&cam->lock);
  guint64 frames = cam->frames;
  g_mutex_unlock(&cam->lock);
  *info = (ScCameraInfo){
      .name = cam->name,
      .state = cam->state,
      .device = cam->device,
      .resolved = cam->resolved,
      .mode = cam->mode,
      .reason = cam->reason,
      .on_program = (guint)g_atomic_int_get(&self->shown) == index,
      .drill = g_atomic_int_get((gint *)&cam->drill),
      .frames = frames,
      .losses = cam->losses,
      .attempts = cam->attempts,
  };
}
