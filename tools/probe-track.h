/* probe-track.h - what shopcast-probe measures on one stream of packets.
 *
 * A track collects the timestamps, sizes and keyframe flags of one stream's
 * packets in arrival (decode) order; sc_probe_track_stats() turns them into the
 * figures of the report. The definitions (see tools/probe.c for the user's view):
 *   elapsed     latest PTS - PTS of the first packet (what --duration counts)
 *   fps         (packets - 1) / (latest PTS - earliest PTS)
 *   keyint      median interval between keyframe PTS (keyint_max: the largest)
 *   kbps        payload bytes * 8 / (end - earliest PTS), end = latest PTS + its duration
 *   gap         a DTS step larger than twice the nominal packet duration
 *   non_monotonic  packets whose DTS is lower than the previous packet's
 *   reordered   a PTS lower than an earlier packet's (B-frames)
 * A packet without PTS uses its DTS and the other way round; a packet with
 * neither counts in packets and bytes only.
 * Plain data, no libav state kept; one thread.
 */
#pragma once

#include <glib.h>
#include <libavcodec/packet.h>
#include <libavutil/rational.h>

G_BEGIN_DECLS

typedef struct _ScProbeTrack ScProbeTrack;

/* @time_base: of the packets' timestamps. */
ScProbeTrack *sc_probe_track_new(AVRational time_base);
void sc_probe_track_free(ScProbeTrack *track);

void sc_probe_track_add(ScProbeTrack *track, const AVPacket *packet);

/* Seconds from the first packet's PTS to the latest PTS; 0 before two timed packets. */
double sc_probe_track_elapsed(const ScProbeTrack *track);
guint64 sc_probe_track_packets(const ScProbeTrack *track);

typedef struct {
  guint64 packets, keyframes, bytes;
  double elapsed_s;
  double fps;                    /* NAN with fewer than two timed packets */
  double keyint_s, keyint_max_s; /* NAN with fewer than two keyframes */
  double kbps;                   /* NAN without a media duration */
  double end_s;                  /* latest PTS + its duration, in stream time; NAN untimed */
  guint64 gaps, non_monotonic;
  double max_gap_s; /* largest forward DTS step; 0 with one packet */
  gboolean reordered;
} ScProbeTrackStats;

/* @nominal_s: the expected packet duration, for gaps and for the end of a last
 * packet that carries no duration; 0 or NAN: derive it from the measured fps
 * (video). */
void sc_probe_track_stats(const ScProbeTrack *track, double nominal_s, ScProbeTrackStats *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScProbeTrack, sc_probe_track_free)

G_END_DECLS
