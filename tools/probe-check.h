/* probe-check.h - the --expect-* expectations of shopcast-probe and their
 * checks against a report.
 *
 * Names compare without regard to case; a profile must match as a whole
 * ("main" never matches "High"), except that an H.264 "Constrained Baseline"
 * stream meets "baseline" (it is decodable by every baseline decoder).
 * Tolerances: fps 2 %, keyint 10 % or one frame (the larger), bitrates 25 %;
 * sizes, rates and channels exactly. An expectation about a stream that is not
 * there fails (got "none"). Pure functions; one thread.
 */
#pragma once

#include "tools/probe-read.h"

#include <glib.h>

G_BEGIN_DECLS

#define SC_PROBE_EXPECT_ERROR (sc_probe_expect_error_quark())
GQuark sc_probe_expect_error_quark(void);

typedef enum {
  SC_PROBE_EXPECT_ERROR_UNKNOWN_NAME, /* a codec, profile or pixel format libav does not know */
} ScProbeExpectError;

typedef struct {
  /* NULL: not asked. Owned (g_free). */
  char *video_codec, *profile, *pix_fmt, *audio_codec, *audio_profile;
  /* NAN: not asked. */
  double width, height, fps, keyint_s, video_kbps, min_frames;
  double audio_rate, audio_channels, audio_kbps, max_drift_ms;
  gboolean no_bframes, no_gaps, monotonic;
} ScProbeExpect;

void sc_probe_expect_init(ScProbeExpect *expect); /* nothing asked */
void sc_probe_expect_clear(ScProbeExpect *expect);

/* Fails with a message naming the option when a codec, profile (looked up
 * for the expected codec, h264 / aac when none is given) or pixel format is
 * not one libav knows; a typo then cannot read as a failed stream. */
gboolean sc_probe_expect_validate(const ScProbeExpect *expect,
                                  GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct {
  char *name; /* what was measured, as the report names it: "width", "gaps" */
  char *expected, *actual;
  gboolean ok;
} ScProbeCheck;

/* One check per asked expectation, in the order of --help. Returns a new
 * array owning its ScProbeChecks (g_ptr_array_unref frees them). */
GPtrArray *sc_probe_check_run(const ScProbeExpect *expect, const ScProbeReport *report);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ScProbeExpect, sc_probe_expect_clear)

G_END_DECLS
