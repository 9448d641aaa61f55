#define G_LOG_DOMAIN "shopcast-audio"

#include "pipeline/audio.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <math.h>

G_DEFINE_QUARK(sc - audio - error - quark, sc_audio_error)

#define LEVEL_INTERVAL_NS (100 * GST_MSECOND)
#define BED_CHUNK_MS      10
#define BED_BPS           2 /* the bed is kept as S16: half the memory of F32 */
#define DECODE_TIMEOUT_S  20

struct _ScAudio {
  GstElement *pipeline;
  GstElement *program_level, *mixer;
  ScMic *mic;
  ScMicEventFunc on_mic_event;
  gpointer mic_event_data;
  GstPad *audio_mux_pad, *video_mux_pad; /* the encoded streams entering the mux */
  guint rate, channels;
  double gain_db;
  gboolean mute;
  int sync_offset_ms;
  ScAudioMeter mic_meter, program;

  /* the music bed */
  ScAudioBedState bed_state;
  double bed_gain_db;
  GBytes *bed_pcm; /* S16 interleaved at the program's rate and channels */
  guint64 bed_frames;
  GstElement *bed_bin, *bed_volume;
  GstPad *mixer_pad;
  GstControlSource *fade; /* the bed's volume over running time */
  GMutex bed_lock;        /* the feeder's position, shared with the main thread */
  guint64 bed_pos;        /* next frame of the clip to play */
  guint64 bed_sent;       /* frames pushed since start: the next buffer's timestamp */
  gboolean bed_restart;   /* play from the clip's start at the next push */
};

static double
db_to_linear(double db)
{
  return pow(10.0, db / 20.0);
}

char *
sc_audio_chain_description(guint rate, guint channels)
{
  /* F32: the gain may push the mic past full scale without wrapping, so the
   * meter sees (and reports) the clipping the encoder will make. The mixer
   * makes 10 ms blocks; the live silence source paces it and keeps it fed
   * while the mic is lost (the mic's branch joins it from pipeline/mic.c),
   * and the bed pad always has data ready ahead of time. */
  return g_strdup_printf(
      "audiotestsrc name=program-silence is-live=true wave=silence samplesperbuffer=%u"
      " ! audio/x-raw,rate=%u,channels=%u,format=F32LE,layout=interleaved"
      " ! audiomixer name=program-audio output-buffer-duration=%" G_GUINT64_FORMAT
      " ! audio/x-raw,rate=%u,channels=%u,format=F32LE,layout=interleaved"
      " ! level name=program-level post-messages=true interval=%" G_GUINT64_FORMAT
      " ! audioconvert",
      MAX(rate / 100, 1), rate, channels, (guint64)(10 * GST_MSECOND), rate, channels,
      (guint64)LEVEL_INTERVAL_NS);
}

/* ---- the music bed: decoded once into memory ---- */

static gboolean
decode_failed(GstBus *bus, GError **error)
{
  g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (msg == NULL)
    return FALSE;
  g_autoptr(GError) err = NULL;
  gst_message_parse_error(msg, &err, NULL);
  g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "%s", err->message);
  return TRUE;
}

static gboolean
append_sample(GByteArray *pcm, GstSample *sample, gsize max_bytes, GError **error)
{
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ))
    return TRUE;
  gboolean fits = pcm->len + map.size <= max_bytes;
  if (fits)
    g_byte_array_append(pcm, map.data, map.size);
  gst_buffer_unmap(buf, &map);
  if (!fits)
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "longer than %d s; use a shorter loop",
                SC_AUDIO_BED_MAX_S);
  return fits;
}

/* Pulls every decoded sample, bounded in time and size. */
static GBytes *
pull_all(GstElement *decoder, gsize max_bytes, GError **error)
{
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(decoder), "sink");
  g_autoptr(GstBus) bus = gst_element_get_bus(decoder);
  g_autoptr(GByteArray) pcm = g_byte_array_new();
  gint64 deadline = g_get_monotonic_time() + DECODE_TIMEOUT_S * G_USEC_PER_SEC;
  while (!gst_app_sink_is_eos(GST_APP_SINK(sink))) {
    if (decode_failed(bus, error))
      return NULL;
    if (g_get_monotonic_time() > deadline) {
      g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "decoding took over %d s",
                  DECODE_TIMEOUT_S);
      return NULL;
    }
    g_autoptr(GstSample) sample =
        gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 100 * GST_MSECOND);
    if (sample && !append_sample(pcm, sample, max_bytes, error))
      return NULL;
  }
  if (pcm->len == 0) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "holds no audio");
    return NULL;
  }
  return g_byte_array_free_to_bytes(g_steal_pointer(&pcm));
}

static GBytes *
decode_bed(const char *path, guint rate, guint channels, GError **error)
{
  g_autofree char *text =
      g_strdup_printf("filesrc name=file ! decodebin ! audioconvert ! audioresample"
                      " ! audio/x-raw,format=S16LE,layout=interleaved,rate=%u,channels=%u"
                      " ! appsink name=sink sync=false",
                      rate, channels);
  g_autoptr(GError) local = NULL;
  g_autoptr(GstElement) decoder = gst_parse_launch(text, &local);
  if (decoder == NULL) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "%s", local->message);
    return NULL;
  }
  g_autoptr(GstElement) file = gst_bin_get_by_name(GST_BIN(decoder), "file");
  g_object_set(file, "location", path, NULL);
  gsize max_bytes = (gsize)SC_AUDIO_BED_MAX_S * rate * channels * BED_BPS;
  GBytes *pcm = NULL;
  if (gst_element_set_state(decoder, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstBus) bus = gst_element_get_bus(decoder);
    if (!decode_failed(bus, error))
      g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "cannot be opened");
  } else {
    pcm = pull_all(decoder, max_bytes, error);
  }
  gst_element_set_state(decoder, GST_STATE_NULL);
  return pcm;
}

/* ---- the music bed: played in a loop into the mixer ---- */

/* Appsrc's streaming thread: the next 10 ms of the loop, timestamped by the
 * frames sent, so the bed's running time never jumps or drifts. */
static void
bed_need_data(GstAppSrc *src, guint length, gpointer data)
{
  ScAudio *self = data;
  guint64 chunk = MAX(1, self->rate * BED_CHUNK_MS / 1000);
  gsize bpf = (gsize)self->channels * BED_BPS;
  g_mutex_lock(&self->bed_lock);
  if (self->bed_restart)
    self->bed_pos = 0;
  self->bed_restart = FALSE;
  guint64 n = MIN(chunk, self->bed_frames - self->bed_pos);
  g_autoptr(GBytes) part = g_bytes_new_from_bytes(self->bed_pcm, self->bed_pos * bpf, n * bpf);
  GstBuffer *buf = gst_buffer_new_wrapped_bytes(part);
  GST_BUFFER_PTS(buf) = gst_util_uint64_scale(self->bed_sent, GST_SECOND, self->rate);
  GST_BUFFER_DURATION(buf) =
      gst_util_uint64_scale(self->bed_sent + n, GST_SECOND, self->rate) - GST_BUFFER_PTS(buf);
  self->bed_sent += n;
  self->bed_pos = (self->bed_pos + n) % self->bed_frames;
  g_mutex_unlock(&self->bed_lock);
  gst_app_src_push_buffer(src, buf);
}

static gboolean
build_bed_branch(ScAudio *self, GError **error)
{
  g_autofree char *text = g_strdup_printf(
      "appsrc name=bed-src format=time is-live=false max-bytes=%u"
      " caps=audio/x-raw,format=S16LE,layout=interleaved,rate=%u,channels=%u"
      " ! volume name=bed-volume volume=0",
      self->rate * self->channels * BED_BPS * BED_CHUNK_MS * 2 / 1000, self->rate, self->channels);
  g_autoptr(GError) local = NULL;
  self->bed_bin = gst_parse_bin_from_description(text, TRUE, &local);
  if (self->bed_bin == NULL) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "%s", local->message);
    return FALSE;
  }
  gst_object_ref_sink(self->bed_bin);
  gst_element_set_name(self->bed_bin, "music-bed");
  g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(self->bed_bin), "bed-src");
  self->bed_volume = gst_bin_get_by_name(GST_BIN(self->bed_bin), "bed-volume");
  GstAppSrcCallbacks callbacks = {.need_data = bed_need_data};
  gst_app_src_set_callbacks(GST_APP_SRC(src), &callbacks, self, NULL);
  self->fade = gst_interpolation_control_source_new();
  g_object_set(self->fade, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(self->fade), 0, 0.0);
  gst_object_add_control_binding(
      GST_OBJECT(self->bed_volume),
      gst_direct_control_binding_new_absolute(GST_OBJECT(self->bed_volume), "volume", self->fade));
  return TRUE;
}

/* The bed stays linked for the whole show, silent when off: the graph never
 * changes while streaming, so there is no pad to add or remove under a
 * running mixer, and the bed is decoded and checked before the stream starts. */
static gboolean
attach_bed(ScAudio *self, GError **error)
{
  if (!build_bed_branch(self, error))
    return FALSE;
  /* not floating: the pipeline takes a reference of its own, ours stays ours */
  gst_bin_add(GST_BIN(self->pipeline), self->bed_bin);
  self->mixer_pad = gst_element_request_pad_simple(self->mixer, "sink_%u");
  g_autoptr(GstPad) src = gst_element_get_static_pad(self->bed_bin, "src");
  if (gst_pad_link(src, self->mixer_pad) != GST_PAD_LINK_OK) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "cannot be linked to the mixer");
    return FALSE;
  }
  gst_element_sync_state_with_parent(self->bed_bin);
  return TRUE;
}

static void
setup_bed(ScAudio *self, const char *path)
{
  g_autoptr(GError) error = NULL;
  self->bed_pcm = decode_bed(path, self->rate, self->channels, &error);
  if (self->bed_pcm)
    self->bed_frames = g_bytes_get_size(self->bed_pcm) / (self->channels * BED_BPS);
  if (self->bed_frames > 0 && attach_bed(self, &error)) {
    self->bed_state = SC_AUDIO_BED_OFF;
    g_info("music bed %s: %.1f s, loops under the mic at %.1f dB", path,
           (double)self->bed_frames / self->rate, self->bed_gain_db);
    return;
  }
  self->bed_state = SC_AUDIO_BED_FAILED;
  if (error == NULL)
    g_set_error(&error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "holds no audio");
  g_clear_pointer(&self->bed_pcm, g_bytes_unref);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "EVENT", "music-bed-failed", "FILE", path,
                   "MESSAGE", "music bed %s cannot be used (%s): the show goes on without it", path,
                   error->message);
}

/* The running time the pipeline is at now, or 0 before it plays. */
static GstClockTime
running_time_now(ScAudio *self)
{
  g_autoptr(GstClock) clock = gst_element_get_clock(self->pipeline);
  if (clock == NULL)
    return 0;
  GstClockTime now = gst_clock_get_time(clock);
  GstClockTime base = gst_element_get_base_time(self->pipeline);
  return now > base ? now - base : 0;
}

/* Ramps the bed's volume to @target over SC_AUDIO_FADE_MS, starting with
 * the next buffer the feeder makes: every sample before it was (or will be)
 * processed with the old curve, so the ramp is continuous and never clicks. */
static void
fade_bed(ScAudio *self, double target, gboolean restart)
{
  g_mutex_lock(&self->bed_lock);
  GstClockTime start = gst_util_uint64_scale(self->bed_sent, GST_SECOND, self->rate);
  if (restart)
    self->bed_restart = TRUE;
  g_mutex_unlock(&self->bed_lock);
  start = MAX(start, running_time_now(self));
  gdouble from = 0.0;
  if (!gst_control_source_get_value(self->fade, start, &from))
    from = 0.0;
  GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE(self->fade);
  gst_timed_value_control_source_unset_all(tv);
  gst_timed_value_control_source_set(tv, start, from);
  gst_timed_value_control_source_set(tv, start + SC_AUDIO_FADE_MS * GST_MSECOND, target);
}

gboolean
sc_audio_set_music_bed(ScAudio *self, gboolean on, GError **error)
{
  if (self->bed_state == SC_AUDIO_BED_NONE || self->bed_state == SC_AUDIO_BED_FAILED) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED, "%s",
                self->bed_state == SC_AUDIO_BED_NONE
                    ? "no music bed is configured ([audio] music-bed = FILE)"
                    : "the music bed could not be decoded at start (see the log)");
    return FALSE;
  }
  ScAudioBedState state = on ? SC_AUDIO_BED_ON : SC_AUDIO_BED_OFF;
  if (state == self->bed_state)
    return TRUE;
  /* a bed coming in starts from its beginning; it is silent at that moment */
  fade_bed(self, on ? db_to_linear(self->bed_gain_db) : 0.0, on);
  self->bed_state = state;
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", on ? "music-bed-in" : "music-bed-out",
                   "MESSAGE", "music bed fades %s", on ? "in" : "out");
  return TRUE;
}

/* ---- the mic: gain, mute, meters ---- */

gboolean
sc_audio_set_gain_db(ScAudio *self, double gain_db, GError **error)
{
  if (!(gain_db >= SC_AUDIO_GAIN_MIN_DB && gain_db <= SC_AUDIO_GAIN_MAX_DB)) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_RANGE,
                "gain %.1f dB is out of range (%.0f..%.0f dB)", gain_db, SC_AUDIO_GAIN_MIN_DB,
                SC_AUDIO_GAIN_MAX_DB);
    return FALSE;
  }
  self->gain_db = gain_db;
  sc_mic_set_volume(self->mic, db_to_linear(gain_db), self->mute);
  return TRUE;
}

void
sc_audio_set_mute(ScAudio *self, gboolean mute)
{
  self->mute = mute;
  sc_mic_set_volume(self->mic, db_to_linear(self->gain_db), mute);
}

/* The later stream is the one delayed: audio for a positive offset, video
 * for a negative one. Nothing is made late, so the mux never waits longer
 * than it does for the encoders. */
gboolean
sc_audio_set_sync_offset_ms(ScAudio *self, int offset_ms, GError **error)
{
  if (offset_ms < -SC_AUDIO_SYNC_MAX_MS || offset_ms > SC_AUDIO_SYNC_MAX_MS) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_RANGE,
                "sync offset %d ms is out of range (-%d..%d ms)", offset_ms, SC_AUDIO_SYNC_MAX_MS,
                SC_AUDIO_SYNC_MAX_MS);
    return FALSE;
  }
  self->sync_offset_ms = offset_ms;
  gint64 ns = (gint64)offset_ms * GST_MSECOND;
  gst_pad_set_offset(self->audio_mux_pad, ns > 0 ? ns : 0);
  gst_pad_set_offset(self->video_mux_pad, ns < 0 ? -ns : 0);
  return TRUE;
}

static double
array_db(const GValue *array, guint i)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS /* level's fields are GValueArrays */
      GValueArray *a = g_value_get_boxed(array);
  double db = g_value_get_double(g_value_array_get_nth(a, i));
  G_GNUC_END_IGNORE_DEPRECATIONS
  return isfinite(db) ? MAX(db, SC_AUDIO_METER_FLOOR) : SC_AUDIO_METER_FLOOR;
}

static guint
array_len(const GValue *array)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *a =
      array && G_VALUE_HOLDS(array, g_value_array_get_type()) ? g_value_get_boxed(array) : NULL;
  return a ? a->n_values : 0;
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
read_meter(ScAudioMeter *m, const GstStructure *s)
{
  const GValue *peak = gst_structure_get_value(s, "peak");
  const GValue *rms = gst_structure_get_value(s, "rms");
  guint n = MIN(MIN(array_len(peak), array_len(rms)), SC_AUDIO_MAX_CHANNELS);
  m->channels = n;
  m->clipping = FALSE;
  for (guint i = 0; i < n; i++) {
    m->peak_db[i] = array_db(peak, i);
    m->rms_db[i] = array_db(rms, i);
    m->clipping |= m->peak_db[i] >= SC_AUDIO_CLIP_DB;
  }
  m->intervals++;
  m->clipped_intervals += m->clipping ? 1 : 0;
}

gboolean
sc_audio_handle_message(ScAudio *self, GstMessage *msg)
{
  if (sc_mic_handle_message(self->mic, msg))
    return TRUE;
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ELEMENT)
    return FALSE;
  const GstStructure *s = gst_message_get_structure(msg);
  if (s == NULL || !gst_structure_has_name(s, "level"))
    return FALSE;
  GstObject *src = GST_MESSAGE_SRC(msg);
  if (sc_mic_is_meter(self->mic, src))
    read_meter(&self->mic_meter, s);
  else if (src == GST_OBJECT(self->program_level))
    read_meter(&self->program, s);
  else
    return FALSE;
  return TRUE;
}

void
sc_audio_get_status(ScAudio *self, ScAudioStatus *status)
{
  *status = (ScAudioStatus){.gain_db = self->gain_db,
                            .mute = self->mute,
                            .sync_offset_ms = self->sync_offset_ms,
                            .bed = self->bed_state,
                            .mic = self->mic_meter,
                            .program = self->program};
  sc_mic_get_info(self->mic, &status->mic_state);
}

void
sc_audio_set_mic_event_func(ScAudio *self, ScMicEventFunc func, gpointer user_data)
{
  self->on_mic_event = func;
  self->mic_event_data = user_data;
}

void
sc_audio_start(ScAudio *self)
{
  sc_mic_start(self->mic);
}

void
sc_audio_stop(ScAudio *self, gboolean close_mic)
{
  sc_mic_stop(self->mic, close_mic);
}

void
sc_audio_drill_mic(ScAudio *self, ScMicDrill drill)
{
  sc_mic_drill(self->mic, drill);
}

const char *
sc_audio_describe_mic(ScAudio *self)
{
  return sc_mic_describe(self->mic);
}

const char *
sc_audio_bed_state_name(ScAudioBedState state)
{
  static const char *const names[] = {"none", "failed", "off", "on"};
  return names[state];
}

/* ---- construction ---- */

static GstElement *
get_named(GstElement *pipeline, const char *name, GError **error)
{
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
  if (e == NULL)
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_PIPELINE,
                "the pipeline has no element \"%s\" (the audio chain needs it)", name);
  return e;
}

static GstPad *
get_src_pad(GstElement *pipeline, const char *name, GError **error)
{
  g_autoptr(GstElement) e = get_named(pipeline, name, error);
  return e ? gst_element_get_static_pad(e, "src") : NULL;
}

static gboolean
bind_elements(ScAudio *self, GError **error)
{
  GstElement *p = self->pipeline;
  return (self->program_level = get_named(p, "program-level", error)) &&
         (self->mixer = get_named(p, "program-audio", error)) &&
         (self->audio_mux_pad = get_src_pad(p, "audio-mux-queue", error)) &&
         (self->video_mux_pad = get_src_pad(p, "video-mux-queue", error));
}

/* The mic lost: its meter reads silence until it is back. */
static void
on_mic_event(const char *state, const char *detail, gboolean warning, gpointer data)
{
  ScAudio *self = data;
  if (g_str_equal(state, "lost")) {
    for (guint c = 0; c < SC_AUDIO_MAX_CHANNELS; c++)
      self->mic_meter.peak_db[c] = self->mic_meter.rms_db[c] = SC_AUDIO_METER_FLOOR;
    self->mic_meter.clipping = FALSE;
  }
  if (self->on_mic_event)
    self->on_mic_event(state, detail, warning, self->mic_event_data);
}

static gboolean
bind_mic(ScAudio *self, const char *mic_source, GError **error)
{
  g_autoptr(GError) local = NULL;
  self->mic =
      sc_mic_new(self->pipeline, self->mixer, mic_source, self->rate, self->channels, &local);
  if (self->mic == NULL) {
    g_set_error(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_PIPELINE, "%s", local->message);
    return FALSE;
  }
  sc_mic_set_event_func(self->mic, on_mic_event, self);
  return TRUE;
}

ScAudio *
sc_audio_new(GstElement *pipeline, const char *mic_source, const ScAudioSettings *settings,
             guint rate, guint channels, GError **error)
{
  static const ScAudioSettings defaults = {.music_bed_gain_db = SC_AUDIO_BED_DEFAULT_DB};
  const ScAudioSettings *s = settings ? settings : &defaults;
  g_autoptr(ScAudio) self = g_new0(ScAudio, 1);
  g_mutex_init(&self->bed_lock);
  self->pipeline = gst_object_ref(pipeline);
  self->rate = rate;
  self->channels = channels;
  self->bed_gain_db = s->music_bed_gain_db;
  if (!bind_elements(self, error) || !bind_mic(self, mic_source, error) ||
      !sc_audio_set_gain_db(self, s->gain_db, error) ||
      !sc_audio_set_sync_offset_ms(self, s->sync_offset_ms, error))
    return NULL;
  sc_audio_set_mute(self, s->mute);
  if (s->music_bed)
    setup_bed(self, s->music_bed);
  return g_steal_pointer(&self);
}

void
sc_audio_free(ScAudio *self)
{
  if (self == NULL)
    return;
  if (self->mixer_pad) {
    gst_element_release_request_pad(self->mixer, self->mixer_pad);
    gst_object_unref(self->mixer_pad);
  }
  g_clear_object(&self->bed_volume);
  g_clear_object(&self->bed_bin);
  g_clear_object(&self->fade);
  g_clear_pointer(&self->bed_pcm, g_bytes_unref);
  g_clear_pointer(&self->mic, sc_mic_free);
  g_clear_object(&self->program_level);
  g_clear_object(&self->mixer);
  g_clear_object(&self->audio_mux_pad);
  g_clear_object(&self->video_mux_pad);
  g_clear_object(&self->pipeline);
  g_mutex_clear(&self->bed_lock);
  g_free(self);
}
