/* adaptive.h - the encoder's bitrate follows the uplink it is on.
 *
 * Every sample-interval (50 ms) this module reads each destination's
 * congestion (sc_output_get_congestion: media waiting in the output's queue
 * and in the socket, the bytes the ingest has acknowledged, the RTT), turns
 * it into a queue in milliseconds and a throughput, and feeds that
 * destination's rate controller (rate-control.h). The one shared H.264
 * encode runs at the lowest proposal of the live destinations configured as
 * adaptive ([destination] adaptive = true, the default): the weakest one
 * sets the rate, the others receive the same stream with room to spare.
 * Destinations that are not adaptive never pull the rate down; their
 * outputs drop frames past [adaptive] drop-queue instead.
 *
 * When the pushes move to another uplink (failover or fail-back), the rate
 * starts at that uplink's last known good rate (the last rate held there
 * for 4 s without a cut with its queue empty, or the rate of its last cut),
 * or at start-bitrate on an uplink never used, instead of carrying the old
 * uplink's rate over. (From the system's routing
 * to a first uplink, at start, the rate goes on.)
 *
 * Every change of the encoder's rate is an event (kind "bitrate", subject
 * the destination that caused it, state cut / undo / raise / probe / uplink) in the
 * journal, for the panel, the metrics and the report; the status getters
 * below give the target and the rate the encoder actually produces.
 *
 * Main thread only, except sc_adaptive_count_tag (the streaming thread).
 */
#pragma once

#include "firmware/config.h"
#include "firmware/events.h"
#include "firmware/rate-control.h"
#include "pipeline/output.h"
#include "pipeline/pipeline.h"

G_BEGIN_DECLS

typedef struct _ScAdaptive ScAdaptive;

/* Borrows @pipeline and @events, which must outlive it. */
ScAdaptive *sc_adaptive_new(const ScConfig *config, ScPipeline *pipeline, ScEventLog *events);
void sc_adaptive_free(ScAdaptive *self);

/* An ScProgramFunc (add it to the pipeline, @user_data the ScAdaptive):
 * counts the encoded video, for the rate the encoder really produces. */
void sc_adaptive_count_tag(GstBuffer *tag, GstCaps *caps, gpointer user_data);

/* Outputs to watch; borrowed until removed. @adaptive: whether this
 * destination's uplink may pull the shared rate down. */
void sc_adaptive_add_output(ScAdaptive *self, ScOutput *output, gboolean adaptive);
void sc_adaptive_remove_output(ScAdaptive *self, ScOutput *output);

/* An output's state change (from the daemon's handler): a connection on
 * another uplink starts the rate at that uplink's known good rate. */
void sc_adaptive_output_state(ScAdaptive *self, ScOutput *output, const ScOutputReport *report);

typedef struct {
  gboolean enabled;   /* [adaptive] enabled; FALSE: the rate is fixed */
  guint target_kbps;  /* the video bitrate the encoder is set to */
  guint current_kbps; /* what it produced over the last second */
  guint min_kbps, max_kbps;
  guint64 changes;  /* rate changes since start */
  char *limited_by; /* the destination whose uplink sets the rate, or NULL */
  char *interface;  /* the uplink the pushes are on, or NULL */
} ScAdaptiveStatus;

void sc_adaptive_get_status(ScAdaptive *self, ScAdaptiveStatus *status);
void sc_adaptive_status_clear(ScAdaptiveStatus *status);

typedef struct {
  const char *name; /* borrowed: valid while the output is watched */
  gboolean adaptive;
  ScRateState state;
  guint proposal_kbps;   /* the rate this destination's uplink could carry */
  guint queue_ms;        /* media waiting to be sent, now */
  guint throughput_kbps; /* acknowledged by the ingest over the last second */
  guint rtt_ms;
  guint64 frames_dropped, gops_dropped;
} ScAdaptiveDestination;

guint sc_adaptive_get_destination_count(ScAdaptive *self);
void sc_adaptive_get_destination(ScAdaptive *self, guint index, ScAdaptiveDestination *out);

/* For the status: the bitrate as one JSON object (mode, target_kbps,
 * current_kbps, min_kbps, max_kbps, changes, limited_by, interface). */
char *sc_adaptive_status_json(ScAdaptive *self);
/* @output's controller as one JSON object (adaptive, state, proposal_kbps,
 * queue_ms, throughput_kbps, rtt_ms, frames_dropped, gops_dropped); NULL if
 * it is not watched. */
char *sc_adaptive_destination_json(ScAdaptive *self, ScOutput *output);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAdaptive, sc_adaptive_free)

G_END_DECLS
