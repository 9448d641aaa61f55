/* pipeline.h - the program pipeline: capture -> scale/convert -> overlay stage
 * -> one H.264 encode + one AAC encode -> FLV -> program sinks.
 *
 *   [video source fragment] ! videoconvert ! videoscale ! videorate
 *       ! video/x-raw,format=I420,WxH,fps ! identity name=overlay-stage ! tee
 *       ! queue ! [video encoder fragment, element "venc"] ! video/x-h264,profile=P
 *       ! h264parse ! queue ! flvmux name=program-mux ! appsink name=program-sink
 *   [audio source fragment] ! audioconvert ! audioresample ! audio/x-raw,rate,channels
 *       ! [mic gain, meters and music bed: pipeline/audio.h]
 *       ! [audio encoder fragment, element "aenc"] ! aacparse ! queue ! program-mux.
 *   tee. ! [the panel's preview: pipeline/preview.h]
 *
 * The encoded stream is produced once: every program sink (RTMP outputs, and
 * tests) receives the same FLV tags. Sinks are called on the streaming thread
 * and must not block: each one queues and returns.
 *
 * Threading: create, start, stop and free on the main thread; the bus is
 * watched on the thread-default main context of the thread that called
 * sc_pipeline_new(), and the event callback runs there.
 */
#pragma once

#include "pipeline/audio.h"
#include "pipeline/preview.h"

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define SC_PIPELINE_ERROR (sc_pipeline_error_quark())
GQuark sc_pipeline_error_quark(void);

typedef enum {
  SC_PIPELINE_ERROR_FRAGMENT,   /* a fragment does not parse, or lacks its named element */
  SC_PIPELINE_ERROR_NO_ENCODER, /* no encoder candidate works on this machine */
  SC_PIPELINE_ERROR_STATE,      /* the pipeline refused to start */
  SC_PIPELINE_ERROR_STREAM,     /* an error while running (a source failed, ...) */
} ScPipelineError;

typedef enum {
  SC_H264_PROFILE_MAIN,
  SC_H264_PROFILE_HIGH,
} ScH264Profile;

/* What the platforms receive. */
typedef struct {
  guint width, height, framerate; /* portrait when height > width */
  guint video_bitrate_kbps;       /* CBR */
  ScH264Profile profile;
  guint keyframe_interval_s;
  guint bframes;
  char *x264_preset; /* used by x264 encoder fragments */
  guint audio_rate, audio_channels, audio_bitrate_kbps;
  /* The bitrate changes while running (adaptive bitrate): ${x264_hrd} is
   * empty, since x264 cannot change the rate of a stream that signals
   * NAL HRD CBR; else "nal-hrd=cbr:". */
  gboolean variable_bitrate;
} ScMediaSpec;

/* A named piece of pipeline in gst-launch syntax, with ${variables}. */
typedef struct {
  char *name;
  char *fragment;
} ScFragment;

typedef struct {
  const char *video_source;  /* produces raw video */
  const char *audio_source;  /* produces raw audio */
  GPtrArray *video_encoders; /* ScFragment*, in order of preference; element "venc" */
  GPtrArray *audio_encoders; /* ScFragment*, element "aenc" */
  const char *video_device;  /* ${video_device}, may be NULL */
  const char *audio_device;  /* ${audio_device}, may be NULL */
  const char *video_caps;    /* ${video_caps}: the camera's caps and decoder; NULL: decodebin */
  const ScMediaSpec *spec;
  const ScAudioSettings *audio; /* gain, mute, sync, music bed; NULL: defaults */
} ScPipelineParams;

typedef struct _ScPipeline ScPipeline;

typedef enum {
  SC_PIPELINE_EVENT_PLAYING, /* first reached PLAYING */
  SC_PIPELINE_EVENT_EOS,     /* end of stream reached every sink */
  SC_PIPELINE_EVENT_ERROR,   /* a fatal error; @error says which element and why */
} ScPipelineEvent;

typedef void (*ScPipelineEventFunc)(ScPipeline *pipeline, ScPipelineEvent event,
                                    const GError *error, gpointer user_data);

/* Receives each FLV tag of the program (one per buffer, with its caps, whose
 * "streamheader" holds the FLV header, metadata and codec headers), and NULL
 * at the end of the stream. Streaming thread; must not block. */
typedef void (*ScProgramFunc)(GstBuffer *tag, GstCaps *caps, gpointer user_data);

/* The overlay stage: called on the streaming thread for every program frame,
 * in the program's raw format (I420 at the output size), with the frame
 * mapped writable. @running_time is the frame's running time. */
typedef void (*ScOverlayFunc)(GstVideoFrame *frame, GstClockTime running_time, gpointer user_data);

/* The variables fragments may use, NULL-terminated. */
const char *const *sc_pipeline_variables(void);
/* The variables' values for @params (char* -> char*; unset devices absent). */
GHashTable *sc_pipeline_new_variables(const ScPipelineParams *params) G_GNUC_WARN_UNUSED_RESULT;
/* Replaces each ${name} in @fragment by its value in @vars (char* -> char*);
 * an unknown name is an SC_PIPELINE_ERROR_FRAGMENT naming it. */
char *sc_pipeline_expand(const char *fragment, GHashTable *vars,
                         GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Builds the pipeline (not started), choosing the first encoder candidate of
 * each kind whose elements exist and open. */
ScPipeline *sc_pipeline_new(const ScPipelineParams *params, ScPipelineEventFunc on_event,
                            gpointer user_data, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_pipeline_free(ScPipeline *self);

/* The chosen candidates, e.g. "x264" and "avenc_aac". */
const char *sc_pipeline_get_video_encoder(ScPipeline *self);
const char *sc_pipeline_get_audio_encoder(ScPipeline *self);
/* The whole graph in gst-launch syntax, variables filled in. */
const char *sc_pipeline_describe(ScPipeline *self);
GstElement *sc_pipeline_get_element(ScPipeline *self); /* borrowed */
/* The program's audio: mic gain, mute, meters, sync, music bed (borrowed). */
ScAudio *sc_pipeline_get_audio(ScPipeline *self);

/* The panel's preview of the program (borrowed). */
ScPreview *sc_pipeline_get_preview(ScPipeline *self);

/* Before start: add a consumer of the program. */
void sc_pipeline_add_program_sink(ScPipeline *self, ScProgramFunc func, gpointer user_data);
/* Installs (or with NULL removes) the overlay function. Any time. */
void sc_pipeline_set_overlay(ScPipeline *self, ScOverlayFunc func, gpointer user_data);

gboolean sc_pipeline_start(ScPipeline *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Ends the stream cleanly: EOS flows through encoders and muxer to the sinks,
 * then SC_PIPELINE_EVENT_EOS is reported. */
void sc_pipeline_send_eos(ScPipeline *self);
/* Stops at once (state NULL). */
void sc_pipeline_stop(ScPipeline *self);
/* Stops and starts again (a stalled source or encoder gets a new start); the
 * program's FLV timestamps carry on from where they were. */
gboolean sc_pipeline_restart(ScPipeline *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A drill: holds the program's frames at the overlay stage for @seconds, as
 * a hung camera or encoder would (0 ends it). Main thread. */
void sc_pipeline_drill_stall(ScPipeline *self, guint seconds);

/* Asks the video encoder for a keyframe as soon as possible. Any thread. */
void sc_pipeline_request_keyframe(ScPipeline *self);

/* Changes the video encoder's bitrate while it runs (kb/s): the encoder's
 * "bitrate" property (x264enc and vaapih264enc, both in kb/s), else its V4L2
 * video_bitrate control. Takes effect from the next frames. FALSE with
 * SC_PIPELINE_ERROR_STATE when the encoder has neither. Any thread. */
gboolean sc_pipeline_set_video_bitrate(ScPipeline *self, guint kbps,
                                       GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The bitrate the video encoder is set to now (kb/s). Any thread. */
guint sc_pipeline_get_video_bitrate(ScPipeline *self);

/* Frames that reached the encoder since start. Any thread. */
guint64 sc_pipeline_get_frame_count(ScPipeline *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScPipeline, sc_pipeline_free)

G_END_DECLS
