#define G_LOG_DOMAIN "shopcast-pipeline"

#include "pipeline/pipeline.h"

#include <gst/app/gstappsink.h>
#include <string.h>

G_DEFINE_QUARK(sc - pipeline - error - quark, sc_pipeline_error)

typedef struct {
  ScProgramFunc func;
  gpointer data;
} ProgramSink;

struct _ScPipeline {
  GstElement *pipeline;
  GstElement *venc;
  ScAudio *audio;
  char *video_encoder;
  char *audio_encoder;
  char *description; /* the graph, with the mic's branch */
  char *mic_source;  /* the board's audio fragment, expanded */
  guint bus_watch;
  gboolean reported_playing;
  ScPipelineEventFunc on_event;
  gpointer user_data;
  GArray *sinks; /* ProgramSink; fixed once started, read by the streaming thread */
  ScPreview *preview;

  GMutex overlay_lock; /* the overlay function may change while frames flow */
  ScOverlayFunc overlay;
  gpointer overlay_data;
  GstCaps *overlay_caps; /* streaming thread only */
  GstVideoInfo overlay_info;

  gsize frames; /* atomic */

  guint video_kbps; /* atomic: the encoder's bitrate now */

  /* Restarts (sc_pipeline_restart): the program's FLV timestamps run on
   * across them; streaming thread, after the restart set @rebase */
  gint64 ts_offset_ms;
  guint32 last_ts_ms;
  gboolean rebase;    /* atomic: the next tag sets the offset */
  GstPad *stage_pad;  /* the overlay stage's output, where a stall drill blocks */
  gulong drill_probe; /* main thread */
  guint drill_timer;
};

static void end_drill(ScPipeline *self);

static const char *const variables[] = {
    "width",        "height",         "framerate",         "bitrate_kbps",
    "bitrate_bps",  "keyint_frames",  "bframes",           "preset",
    "audio_rate",   "audio_channels", "audio_bitrate_bps", "video_device",
    "audio_device", "video_caps",     "x264_hrd",          NULL};

const char *const *
sc_pipeline_variables(void)
{
  return variables;
}

char *
sc_pipeline_expand(const char *fragment, GHashTable *vars, GError **error)
{
  GString *out = g_string_new(NULL);
  const char *p = fragment;
  const char *start;
  while ((start = strstr(p, "${")) != NULL) {
    const char *end = strchr(start, '}');
    g_string_append_len(out, p, start - p);
    g_autofree char *name = end ? g_strndup(start + 2, end - start - 2) : g_strdup(start + 2);
    const char *value = end ? g_hash_table_lookup(vars, name) : NULL;
    if (value == NULL) {
      g_autofree char *known = g_strjoinv(", ", (char **)variables);
      g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT,
                  "unknown or unset variable ${%s} (variables: %s)", name, known);
      g_string_free(out, TRUE);
      return NULL;
    }
    g_string_append(out, value);
    p = end + 1;
  }
  g_string_append(out, p);
  return g_string_free(out, FALSE);
}

static void
set_var(GHashTable *vars, const char *name, char *value)
{
  g_hash_table_insert(vars, (char *)name, value);
}

GHashTable *
sc_pipeline_new_variables(const ScPipelineParams *params)
{
  const ScMediaSpec *s = params->spec;
  GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  set_var(vars, "width", g_strdup_printf("%u", s->width));
  set_var(vars, "height", g_strdup_printf("%u", s->height));
  set_var(vars, "framerate", g_strdup_printf("%u", s->framerate));
  set_var(vars, "bitrate_kbps", g_strdup_printf("%u", s->video_bitrate_kbps));
  set_var(vars, "bitrate_bps", g_strdup_printf("%u", s->video_bitrate_kbps * 1000));
  set_var(vars, "keyint_frames", g_strdup_printf("%u", s->keyframe_interval_s * s->framerate));
  set_var(vars, "bframes", g_strdup_printf("%u", s->bframes));
  set_var(vars, "preset", g_strdup(s->x264_preset ? s->x264_preset : "veryfast"));
  set_var(vars, "x264_hrd", g_strdup(s->variable_bitrate ? "" : "nal-hrd=cbr:"));
  set_var(vars, "audio_rate", g_strdup_printf("%u", s->audio_rate));
  set_var(vars, "audio_channels", g_strdup_printf("%u", s->audio_channels));
  set_var(vars, "audio_bitrate_bps", g_strdup_printf("%u", s->audio_bitrate_kbps * 1000));
  if (params->video_device)
    set_var(vars, "video_device", g_strdup(params->video_device));
  if (params->audio_device)
    set_var(vars, "audio_device", g_strdup(params->audio_device));
  /* a camera whose format was not negotiated decodes whatever it sends */
  set_var(vars, "video_caps", g_strdup(params->video_caps ? params->video_caps : "decodebin"));
  return vars;
}

/* Whether every element the fragment names can be loaded: the plugin
 * registry may list an element whose plugin no longer loads (its file
 * removed, or a library it needs missing), and parsing it then fails with a
 * misleading message about a property. */
static gboolean
elements_load(const char *text, GError **error)
{
  g_auto(GStrv) words = g_strsplit_set(text, " \t\n!", -1);
  for (guint i = 0; words[i]; i++) {
    const char *w = words[i];
    if (*w == '\0' || strpbrk(w, "=/,.:\"'()") != NULL)
      continue;
    g_autoptr(GstElementFactory) factory = gst_element_factory_find(w);
    if (factory == NULL)
      continue;
    g_autoptr(GstPluginFeature) loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory));
    if (loaded == NULL) {
      const char *plugin = gst_plugin_feature_get_plugin_name(GST_PLUGIN_FEATURE(factory));
      g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_NO_ENCODER,
                  "element \"%s\" is registered but its plugin \"%s\" does not load (its file "
                  "or a library it needs is missing: reinstall the package that provides it)",
                  w, plugin ? plugin : "?");
      return FALSE;
    }
  }
  return TRUE;
}

/* Parses one fragment on its own, to learn whether it can work here: its
 * elements must exist and load, and it must reach READY (a hardware encoder
 * opens its device there): else SC_PIPELINE_ERROR_NO_ENCODER, and the next
 * candidate is tried. A syntax error or a missing named element is a broken
 * profile: SC_PIPELINE_ERROR_FRAGMENT, which no fallback hides. */
static gboolean
try_fragment(const char *text, const char *element_name, GError **error)
{
  if (!elements_load(text, error))
    return FALSE;
  g_autoptr(GError) local = NULL;
  g_autoptr(GstElement) bin =
      gst_parse_bin_from_description_full(text, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (bin == NULL) {
    gboolean missing = g_error_matches(local, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT);
    g_set_error(error, SC_PIPELINE_ERROR,
                missing ? SC_PIPELINE_ERROR_NO_ENCODER : SC_PIPELINE_ERROR_FRAGMENT, "%s",
                local->message);
    return FALSE;
  }
  g_autoptr(GstElement) named = gst_bin_get_by_name(GST_BIN(bin), element_name);
  if (named == NULL) {
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT,
                "has no element named \"%s\" (add name=%s to its encoder)", element_name,
                element_name);
    return FALSE;
  }
  gboolean ready = gst_element_set_state(bin, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE;
  gst_element_set_state(bin, GST_STATE_NULL);
  if (!ready) {
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_NO_ENCODER,
                "does not open on this machine");
    return FALSE;
  }
  return TRUE;
}

/* The first candidate that works here, expanded; its name in @chosen. */
static char *
choose_encoder(GPtrArray *candidates, const char *element_name, GHashTable *vars, char **chosen,
               GError **error)
{
  const char *kind = strcmp(element_name, "venc") == 0 ? "video" : "audio";
  g_autoptr(GString) tried = g_string_new(NULL);
  for (guint i = 0; candidates && i < candidates->len; i++) {
    const ScFragment *c = g_ptr_array_index(candidates, i);
    g_autoptr(GError) local = NULL;
    g_autofree char *text = sc_pipeline_expand(c->fragment, vars, &local);
    if (text && try_fragment(text, element_name, &local)) {
      *chosen = g_strdup(c->name);
      return g_steal_pointer(&text);
    }
    if (g_error_matches(local, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT)) {
      g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT, "%s encoder %s: %s", kind,
                  c->name, local->message);
      return NULL;
    }
    g_info("%s encoder %s unavailable: %s", kind, c->name, local->message);
    g_string_append_printf(tried, "%s%s (%s)", tried->len ? "; " : "", c->name, local->message);
  }
  g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_NO_ENCODER, "no usable %s encoder: %s",
              kind, tried->len ? tried->str : "the board lists none");
  return NULL;
}

static char *
expand_source(const char *what, const char *fragment, GHashTable *vars, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *text = fragment ? sc_pipeline_expand(fragment, vars, &local) : NULL;
  if (text == NULL)
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT, "%s source: %s", what,
                local ? local->message : "missing");
  return text;
}

/* The mux waits up to MUX_LATENCY_NS for a late stream before it writes what
 * it has. flvmux keeps its timestamps non-decreasing across both streams, so a
 * video frame written after audio that timed out ahead of it is stamped late:
 * with no wait, an encoder that falls a frame behind (a busy CPU, a slow first
 * keyframe) shifts video timestamps onto the audio's 21 ms grid and a platform
 * sees jitter and gaps. The wait costs nothing while both streams flow. */
#define MUX_LATENCY_NS "500000000"

/* The panel's preview: about 5 frames a second. */
#define PREVIEW_INTERVAL_MS 200

static char *
build_description(const ScPipelineParams *params, const char *vsrc, const char *venc,
                  const char *aenc)
{
  const ScMediaSpec *s = params->spec;
  g_autofree char *audio = sc_audio_chain_description(s->audio_rate, s->audio_channels);
  g_autofree char *preview = sc_preview_description(s->width, s->height);
  return g_strdup_printf(
      "%s ! videoconvert ! videoscale ! videorate"
      " ! video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1,pixel-aspect-ratio=1/1"
      " ! identity name=overlay-stage ! tee name=program-raw"
      " program-raw. ! %s"
      " program-raw. ! queue name=venc-queue"
      " ! %s ! video/x-h264,profile=%s ! h264parse config-interval=-1"
      " ! queue name=video-mux-queue ! program-mux.video"
      " %s"
      " ! %s ! aacparse ! queue name=audio-mux-queue ! program-mux.audio"
      " flvmux name=program-mux streamable=true latency=" MUX_LATENCY_NS
      " ! appsink name=program-sink sync=false async=false",
      vsrc, s->width, s->height, s->framerate, preview, venc,
      s->profile == SC_H264_PROFILE_HIGH ? "high" : "main", audio, aenc);
}

static void
run_overlay(ScPipeline *self, GstPad *pad, GstPadProbeInfo *info, ScOverlayFunc func, gpointer data)
{
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (caps == NULL)
    return;
  if (self->overlay_caps == NULL || !gst_caps_is_equal(caps, self->overlay_caps)) {
    if (!gst_video_info_from_caps(&self->overlay_info, caps)) {
      gst_caps_unref(caps);
      return;
    }
    gst_caps_replace(&self->overlay_caps, caps);
  }
  gst_caps_unref(caps);
  GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buf;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &self->overlay_info, buf, GST_MAP_READWRITE))
    return;
  GstSegment *segment = NULL;
  GstEvent *seg_event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (seg_event)
    gst_event_parse_segment(seg_event, (const GstSegment **)&segment);
  GstClockTime rt = segment
                        ? gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf))
                        : GST_BUFFER_PTS(buf);
  func(&frame, rt, data);
  gst_video_frame_unmap(&frame);
  if (seg_event)
    gst_event_unref(seg_event);
}

/* The overlay stage: every raw program frame passes here on its way to the
 * encoder, in the program's own format. */
static GstPadProbeReturn
on_overlay_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ScPipeline *self = data;
  g_atomic_pointer_add(&self->frames, 1);
  g_mutex_lock(&self->overlay_lock);
  ScOverlayFunc func = self->overlay;
  gpointer func_data = self->overlay_data;
  if (func)
    run_overlay(self, pad, info, func, func_data);
  g_mutex_unlock(&self->overlay_lock);
  return GST_PAD_PROBE_OK;
}

/* An FLV tag's timestamp: 24 bits, then 8 more above them. */
static guint32
tag_ts(const guint8 *t)
{
  return (guint32)t[4] << 16 | (guint32)t[5] << 8 | t[6] | (guint32)t[7] << 24;
}

static void
set_tag_ts(guint8 *t, guint32 ts)
{
  t[4] = (guint8)(ts >> 16);
  t[5] = (guint8)(ts >> 8);
  t[6] = (guint8)ts;
  t[7] = (guint8)(ts >> 24);
}

/* After a restart the muxer starts again from 0: the tags it makes carry on
 * from the last one before (a frame later), so a destination's stream never
 * goes back in time. Returns @tag, or a rewritten copy (a new reference). */
static GstBuffer *
continue_timestamps(ScPipeline *self, GstBuffer *tag)
{
  guint8 head[11];
  if (gst_buffer_extract(tag, 0, head, sizeof head) != sizeof head || memcmp(head, "FLV", 3) == 0)
    return gst_buffer_ref(tag); /* the file header has no timestamp */
  guint32 ts = tag_ts(head);
  if (g_atomic_int_compare_and_exchange(&self->rebase, TRUE, FALSE))
    self->ts_offset_ms = (gint64)self->last_ts_ms + 33 - ts;
  guint32 out = (guint32)MAX((gint64)ts + self->ts_offset_ms, 0);
  self->last_ts_ms = MAX(self->last_ts_ms, out);
  if (out == ts)
    return gst_buffer_ref(tag);
  GstBuffer *copy = gst_buffer_copy_deep(tag);
  GstMapInfo map;
  if (gst_buffer_map(copy, &map, GST_MAP_WRITE)) {
    set_tag_ts(map.data, out);
    gst_buffer_unmap(copy, &map);
  }
  return copy;
}

static GstFlowReturn
on_new_sample(GstAppSink *sink, gpointer data)
{
  ScPipeline *self = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (sample == NULL)
    return GST_FLOW_EOS;
  g_autoptr(GstBuffer) tag = continue_timestamps(self, gst_sample_get_buffer(sample));
  GstCaps *caps = gst_sample_get_caps(sample);
  for (guint i = 0; i < self->sinks->len; i++) {
    ProgramSink *s = &g_array_index(self->sinks, ProgramSink, i);
    s->func(tag, caps, s->data);
  }
  return GST_FLOW_OK;
}

static void
on_sink_eos(GstAppSink *sink, gpointer data)
{
  ScPipeline *self = data;
  for (guint i = 0; i < self->sinks->len; i++) {
    ProgramSink *s = &g_array_index(self->sinks, ProgramSink, i);
    s->func(NULL, NULL, s->data);
  }
}

static void
emit(ScPipeline *self, ScPipelineEvent event, const GError *error)
{
  if (self->on_event)
    self->on_event(self, event, error, self->user_data);
}

static void
report_error(ScPipeline *self, GstMessage *msg)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *debug = NULL;
  gst_message_parse_error(msg, &err, &debug);
  g_autofree char *path = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
  g_autoptr(GError) error =
      g_error_new(SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_STREAM, "%s: %s", path, err->message);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "ELEMENT", path, "DETAIL", debug ? debug : "",
                   "MESSAGE", "pipeline error: %s", err->message);
  emit(self, SC_PIPELINE_EVENT_ERROR, error);
}

static gboolean
on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
  ScPipeline *self = data;
  if (self->audio && sc_audio_handle_message(self->audio, msg))
    return G_SOURCE_CONTINUE;
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_ERROR:
    report_error(self, msg);
    break;
  case GST_MESSAGE_WARNING: {
    g_autoptr(GError) err = NULL;
    gst_message_parse_warning(msg, &err, NULL);
    g_autofree char *path = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
    g_warning("%s: %s", path, err->message);
    break;
  }
  case GST_MESSAGE_EOS:
    emit(self, SC_PIPELINE_EVENT_EOS, NULL);
    break;
  case GST_MESSAGE_LATENCY:
    gst_bin_recalculate_latency(GST_BIN(self->pipeline));
    break;
  case GST_MESSAGE_STATE_CHANGED: {
    GstState state;
    gst_message_parse_state_changed(msg, NULL, &state, NULL);
    if (GST_MESSAGE_SRC(msg) == GST_OBJECT(self->pipeline) && state == GST_STATE_PLAYING &&
        !self->reported_playing) {
      self->reported_playing = TRUE;
      emit(self, SC_PIPELINE_EVENT_PLAYING, NULL);
    }
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static GstElement *
get_named(GstElement *pipeline, const char *name, GError **error)
{
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
  if (e == NULL)
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT,
                "the pipeline has no element \"%s\" (a fragment renamed or removed it)", name);
  return e;
}

static gboolean
wire_up(ScPipeline *self, GError **error)
{
  g_autoptr(GstElement) stage = get_named(self->pipeline, "overlay-stage", error);
  g_autoptr(GstElement) sink = stage ? get_named(self->pipeline, "program-sink", error) : NULL;
  self->venc = sink ? get_named(self->pipeline, "venc", error) : NULL;
  if (self->venc == NULL)
    return FALSE;
  self->stage_pad = gst_element_get_static_pad(stage, "src");
  gst_pad_add_probe(self->stage_pad, GST_PAD_PROBE_TYPE_BUFFER, on_overlay_buffer, self, NULL);
  GstAppSinkCallbacks callbacks = {.eos = on_sink_eos, .new_sample = on_new_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, self, NULL);
  g_autoptr(GstBus) bus = gst_element_get_bus(self->pipeline);
  self->bus_watch = gst_bus_add_watch(bus, on_bus_message, self);
  return TRUE;
}

static char *
build_graph_text(ScPipeline *self, const ScPipelineParams *params, GError **error)
{
  g_autoptr(GHashTable) vars = sc_pipeline_new_variables(params);
  g_autofree char *vsrc = expand_source("video", params->video_source, vars, error);
  g_autofree char *asrc = vsrc ? expand_source("audio", params->audio_source, vars, error) : NULL;
  if (asrc == NULL)
    return NULL;
  g_autofree char *venc =
      choose_encoder(params->video_encoders, "venc", vars, &self->video_encoder, error);
  g_autofree char *aenc =
      venc ? choose_encoder(params->audio_encoders, "aenc", vars, &self->audio_encoder, error)
           : NULL;
  if (aenc == NULL)
    return NULL;
  self->mic_source = g_steal_pointer(&asrc);
  return build_description(params, vsrc, venc, aenc);
}

ScPipeline *
sc_pipeline_new(const ScPipelineParams *params, ScPipelineEventFunc on_event, gpointer user_data,
                GError **error)
{
  g_autoptr(ScPipeline) self = g_new0(ScPipeline, 1);
  g_mutex_init(&self->overlay_lock);
  self->sinks = g_array_new(FALSE, FALSE, sizeof(ProgramSink));
  self->on_event = on_event;
  self->user_data = user_data;
  self->description = build_graph_text(self, params, error);
  if (self->description == NULL)
    return NULL;
  g_autoptr(GError) local = NULL;
  self->pipeline =
      gst_parse_launch_full(self->description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (self->pipeline == NULL) {
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT,
                "cannot build the pipeline: %s", local->message);
    return NULL;
  }
  gst_object_ref_sink(self->pipeline);
  /* never the mic's clock (an ALSA source offers one): a mic unplugged
   * would stop the program's clock with it */
  g_autoptr(GstClock) clock = gst_system_clock_obtain();
  gst_pipeline_use_clock(GST_PIPELINE(self->pipeline), clock);
  gst_element_set_name(self->pipeline, "program");
  if (!wire_up(self, error))
    return NULL;
  self->audio = sc_audio_new(self->pipeline, self->mic_source, params->audio,
                             params->spec->audio_rate, params->spec->audio_channels, error);
  if (self->audio == NULL)
    return NULL;
  char *whole = g_strdup_printf("%s %s", self->description, sc_audio_describe_mic(self->audio));
  g_free(self->description);
  self->description = whole;
  self->video_kbps = params->spec->video_bitrate_kbps;
  self->preview = sc_preview_new(self->pipeline, PREVIEW_INTERVAL_MS, error);
  if (self->preview == NULL)
    return NULL;
  g_info("pipeline built: video encoder %s, audio encoder %s", self->video_encoder,
         self->audio_encoder);
  return g_steal_pointer(&self);
}

void
sc_pipeline_free(ScPipeline *self)
{
  if (self == NULL)
    return;
  if (self->pipeline)
    gst_element_set_state(self->pipeline, GST_STATE_NULL);
  if (self->bus_watch)
    g_source_remove(self->bus_watch);
  g_clear_pointer(&self->audio, sc_audio_free);
  g_clear_pointer(&self->preview, sc_preview_free);
  end_drill(self);
  g_clear_object(&self->stage_pad);
  g_clear_object(&self->venc);
  g_clear_object(&self->pipeline);
  gst_caps_replace(&self->overlay_caps, NULL);
  g_array_unref(self->sinks);
  g_mutex_clear(&self->overlay_lock);
  g_free(self->video_encoder);
  g_free(self->audio_encoder);
  g_free(self->description);
  g_free(self->mic_source);
  g_free(self);
}

ScPreview *
sc_pipeline_get_preview(ScPipeline *self)
{
  return self->preview;
}

const char *
sc_pipeline_get_video_encoder(ScPipeline *self)
{
  return self->video_encoder;
}

const char *
sc_pipeline_get_audio_encoder(ScPipeline *self)
{
  return self->audio_encoder;
}

const char *
sc_pipeline_describe(ScPipeline *self)
{
  return self->description;
}

GstElement *
sc_pipeline_get_element(ScPipeline *self)
{
  return self->pipeline;
}

ScAudio *
sc_pipeline_get_audio(ScPipeline *self)
{
  return self->audio;
}

void
sc_pipeline_add_program_sink(ScPipeline *self, ScProgramFunc func, gpointer user_data)
{
  ProgramSink sink = {func, user_data};
  g_array_append_val(self->sinks, sink);
}

void
sc_pipeline_set_overlay(ScPipeline *self, ScOverlayFunc func, gpointer user_data)
{
  g_mutex_lock(&self->overlay_lock);
  self->overlay = func;
  self->overlay_data = user_data;
  g_mutex_unlock(&self->overlay_lock);
}

gboolean
sc_pipeline_start(ScPipeline *self, GError **error)
{
  if (gst_element_set_state(self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_STATE,
                "the pipeline refused to start (a source or encoder could not open its device)");
    return FALSE;
  }
  sc_audio_start(self->audio); /* the mic joins the playing program */
  return TRUE;
}

void
sc_pipeline_send_eos(ScPipeline *self)
{
  sc_audio_stop(self->audio, FALSE);
  gst_element_send_event(self->pipeline, gst_event_new_eos());
}

void
sc_pipeline_stop(ScPipeline *self)
{
  end_drill(self);
  sc_audio_stop(self->audio, TRUE);
  gst_element_set_state(self->pipeline, GST_STATE_NULL);
}

gboolean
sc_pipeline_restart(ScPipeline *self, GError **error)
{
  sc_pipeline_stop(self);
  g_atomic_int_set(&self->rebase, TRUE);
  return sc_pipeline_start(self, error);
}

static GstPadProbeReturn
hold_frames(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_OK; /* blocked until the probe goes */
}

static void
end_drill(ScPipeline *self)
{
  g_clear_handle_id(&self->drill_timer, g_source_remove);
  if (self->drill_probe && self->stage_pad)
    gst_pad_remove_probe(self->stage_pad, self->drill_probe);
  self->drill_probe = 0;
}

static gboolean
on_drill_over(gpointer data)
{
  ScPipeline *self = data;
  self->drill_timer = 0;
  end_drill(self);
  return G_SOURCE_REMOVE;
}

void
sc_pipeline_drill_stall(ScPipeline *self, guint seconds)
{
  end_drill(self);
  if (seconds == 0 || self->stage_pad == NULL)
    return;
  self->drill_probe =
      gst_pad_add_probe(self->stage_pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
                        hold_frames, NULL, NULL);
  self->drill_timer = g_timeout_add_seconds(seconds, on_drill_over, self);
}

void
sc_pipeline_request_keyframe(ScPipeline *self)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad(self->venc, "src");
  if (pad)
    gst_pad_send_event(pad,
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

guint64
sc_pipeline_get_frame_count(ScPipeline *self)
{
  return (guint64)g_atomic_pointer_get(&self->frames);
}

/* A V4L2 encoder takes its bitrate as a control, in b/s. */
static gboolean
set_v4l2_bitrate(GstElement *venc, guint kbps)
{
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(venc), "extra-controls") == NULL)
    return FALSE;
  GstStructure *controls = NULL;
  g_object_get(venc, "extra-controls", &controls, NULL);
  if (controls == NULL)
    controls = gst_structure_new_empty("controls");
  gst_structure_set(controls, "video_bitrate", G_TYPE_INT, (int)MIN(kbps * 1000u, G_MAXINT), NULL);
  g_object_set(venc, "extra-controls", controls, NULL);
  gst_structure_free(controls);
  return TRUE;
}

gboolean
sc_pipeline_set_video_bitrate(ScPipeline *self, guint kbps, GError **error)
{
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(self->venc), "bitrate");
  if (spec && spec->value_type == G_TYPE_UINT)
    g_object_set(self->venc, "bitrate", kbps, NULL);
  else if (!set_v4l2_bitrate(self->venc, kbps)) {
    g_set_error(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_STATE,
                "video encoder %s cannot change its bitrate while it runs", self->video_encoder);
    return FALSE;
  }
  g_atomic_int_set(&self->video_kbps, kbps);
  return TRUE;
}

guint
sc_pipeline_get_video_bitrate(ScPipeline *self)
{
  return (guint)g_atomic_int_get(&self->video_kbps);
}
