#include "pipeline/preview.h"

#include "pipeline/pipeline.h"

#include <gst/app/gstappsink.h>

struct _ScPreview {
  GstElement *sink;
  GstPad *gate; /* the queue's sink pad */
  gulong probe;
  GstClockTime interval;
  GMutex lock;
  gboolean enabled;
  GstClockTime next_pts; /* the next frame let through is at or after this */
  GBytes *frame;
  guint64 sequence;
};

char *
sc_preview_description(guint width, guint height)
{
  guint w = SC_PREVIEW_WIDTH, h = SC_PREVIEW_WIDTH * height / MAX(width, 1);
  if (height > width)
    h = SC_PREVIEW_WIDTH, w = SC_PREVIEW_WIDTH * width / MAX(height, 1);
  return g_strdup_printf(
      "queue name=preview-queue leaky=downstream max-size-buffers=1 max-size-bytes=0 "
      "max-size-time=0 ! videoscale method=bilinear ! video/x-raw,width=%u,height=%u "
      "! jpegenc quality=70 ! appsink name=preview-sink sync=false async=false max-buffers=1 "
      "drop=true enable-last-sample=false",
      w & ~1u, h & ~1u);
}

static GstPadProbeReturn
on_gate(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ScPreview *self = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstClockTime pts = GST_BUFFER_PTS(buf);
  gboolean pass = FALSE;
  g_mutex_lock(&self->lock);
  if (self->enabled && GST_CLOCK_TIME_IS_VALID(pts) &&
      (!GST_CLOCK_TIME_IS_VALID(self->next_pts) || pts >= self->next_pts ||
       pts + 10 * self->interval < self->next_pts)) {
    self->next_pts = pts + self->interval;
    pass = TRUE;
  }
  g_mutex_unlock(&self->lock);
  return pass ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static GstFlowReturn
on_sample(GstAppSink *sink, gpointer data)
{
  ScPreview *self = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  GstBuffer *buf = sample ? gst_sample_get_buffer(sample) : NULL;
  GstMapInfo map;
  if (buf == NULL || !gst_buffer_map(buf, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  GBytes *jpeg = g_bytes_new(map.data, map.size);
  gst_buffer_unmap(buf, &map);
  g_mutex_lock(&self->lock);
  g_clear_pointer(&self->frame, g_bytes_unref);
  self->frame = jpeg;
  self->sequence++;
  g_mutex_unlock(&self->lock);
  return GST_FLOW_OK;
}

ScPreview *
sc_preview_new(GstElement *pipeline, guint interval_ms, GError **error)
{
  g_autoptr(GstElement) queue = gst_bin_get_by_name(GST_BIN(pipeline), "preview-queue");
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "preview-sink");
  if (queue == NULL || sink == NULL || !GST_IS_APP_SINK(sink)) {
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT,
                "the pipeline has no preview branch (preview-queue ! ... ! appsink "
                "name=preview-sink)");
    return NULL;
  }
  ScPreview *self = g_new0(ScPreview, 1);
  g_mutex_init(&self->lock);
  self->interval = interval_ms * GST_MSECOND;
  self->next_pts = GST_CLOCK_TIME_NONE;
  self->sink = g_steal_pointer(&sink);
  self->gate = gst_element_get_static_pad(queue, "sink");
  self->probe = gst_pad_add_probe(self->gate, GST_PAD_PROBE_TYPE_BUFFER, on_gate, self, NULL);
  GstAppSinkCallbacks callbacks = {.new_sample = on_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(self->sink), &callbacks, self, NULL);
  return self;
}

void
sc_preview_free(ScPreview *self)
{
  if (self == NULL)
    return;
  gst_pad_remove_probe(self->gate, self->probe);
  GstAppSinkCallbacks none = {0};
  gst_app_sink_set_callbacks(GST_APP_SINK(self->sink), &none, NULL, NULL);
  gst_object_unref(self->gate);
  gst_object_unref(self->sink);
  g_clear_pointer(&self->frame, g_bytes_unref);
  g_mutex_clear(&self->lock);
  g_free(self);
}

void
sc_preview_set_enabled(ScPreview *self, gboolean enabled)
{
  g_mutex_lock(&self->lock);
  self->enabled = enabled;
  self->next_pts = GST_CLOCK_TIME_NONE;
  if (!enabled)
    g_clear_pointer(&self->frame, g_bytes_unref);
  g_mutex_unlock(&self->lock);
}

GBytes *
sc_preview_get_frame(ScPreview *self, guint64 *sequence)
{
  g_mutex_lock(&self->lock);
  GBytes *frame = self->frame ? g_bytes_ref(self->frame) : NULL;
  if (sequence)
    *sequence = self->sequence;
  g_mutex_unlock(&self->lock);
  return frame;
}
