/* probe-read.h - reads a stream or file with libavformat and reports what a
 * platform would see in it.
 *
 * Reading starts at the first packet (a live stream joined mid-way measures
 * from there) and stops after the asked media duration (by stream timestamps),
 * at the end of the input, or when nothing arrives for the timeout: the
 * connection, the stream analysis and every read are bounded, so a call never
 * hangs. Codec, profile, pixel format and sizes come from the stream's
 * parameters after a bounded analysis; the rest from the packets (see
 * probe-track.h). One thread; nothing global but libav's own state.
 */
#pragma once

#include "tools/probe-track.h"

#include <glib.h>

G_BEGIN_DECLS

#define SC_PROBE_READ_ERROR (sc_probe_read_error_quark())
GQuark sc_probe_read_error_quark(void);

typedef enum {
  SC_PROBE_READ_ERROR_OPEN,    /* could not connect, open or analyse the input */
  SC_PROBE_READ_ERROR_TIMEOUT, /* nothing arrived for the timeout */
  SC_PROBE_READ_ERROR_READ,    /* reading failed */
  SC_PROBE_READ_ERROR_EMPTY,   /* no audio or video packet in the input */
} ScProbeReadError;

typedef struct {
  const char *source; /* URL or path, as libavformat takes it */
  double duration_s;  /* media to read */
  double timeout_s;   /* longest wait for anything to arrive */
} ScProbeReadOptions;

/* Strings point to libav's static tables (or are NULL when unknown). */
typedef struct {
  const char *codec, *profile, *pix_fmt;
  int width, height;
  gboolean bframes; /* reordered PTS, or a decoder reorder delay */
  ScProbeTrackStats stats;
} ScProbeVideo;

typedef struct {
  const char *codec, *profile;
  int sample_rate, channels;
  ScProbeTrackStats stats;
} ScProbeAudio;

typedef struct {
  double duration_s; /* the longer of the streams' elapsed times */
  gboolean has_video, has_audio;
  ScProbeVideo video;
  ScProbeAudio audio;
  double drift_ms; /* video end - audio end; NAN unless both are there */
  /* Why reading stopped before the duration and the end of the input (a
   * timeout or a read error after media arrived); NULL when it did not. */
  char *error;
} ScProbeReport;

/* Reads @options->source. Fails (SC_PROBE_READ_ERROR, with libav's reason)
 * only when no audio or video packet could be read; an error after some media
 * still fills @report and is kept in report->error. Call
 * sc_probe_report_clear() on @report after either outcome. The message never
 * holds the source itself, so the caller decides how to show it. */
gboolean sc_probe_read(const ScProbeReadOptions *options, ScProbeReport *report,
                       GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_probe_report_clear(ScProbeReport *report);

G_END_DECLS
