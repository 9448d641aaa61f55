/* adaptive-config.h - the [adaptive] group of shopcastd's config: how the
 * encoder's bitrate follows the uplink (firmware/adaptive.h).
 *
 *   [adaptive]
 *   enabled = true          # false: a fixed bitrate ([video] bitrate); frames may still drop
 *   min-bitrate = 500       # kb/s, the floor
 *   max-bitrate = 4000      # kb/s, the ceiling; default: [video] bitrate
 *   start-bitrate = 2000    # kb/s on an uplink with no known good rate; default: half the ceiling
 *   sample-interval = 50    # ms between samples of the queues
 *   cut-queue = 250         # ms of media waiting that means congestion ...
 *   cut-after = 300         # ... when it stays above it this long
 *   clear-queue = 100       # ms: below it the queue counts as empty
 *   cut-to = 85             # % of the measured throughput after a cut
 *   raise-step = 10         # % each step up
 *   raise-wait = 1000       # ms of empty queue before each step up
 *   hold-below = 90         # % of the rate the path last congested at: steps stop there
 *   probe-step = 15         # % above that rate a probe goes (one step)
 *   probe-wait = 20000      # ms after the congestion before the first probe
 *   probe-time = 3000       # ms a probe must hold: then the link got better
 *   probe-wait-max = 300000 # ms: the longest wait between probes (each failed one: 4 times longer)
 *   drop-queue = 1000       # ms of video waiting before frames are dropped; 0: never
 *
 * Which destinations count is a key of each: [destination NAME] adaptive.
 */
#pragma once

#include "firmware/rate-control.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean enabled;
  ScRateParams rate; /* max_kbps 0: the [video] bitrate */
  guint start_kbps;  /* 0: half the ceiling */
  guint interval_ms;
  guint drop_queue_ms; /* 0: never */
} ScAdaptiveConfig;

/* The keys of [adaptive], NULL-terminated. */
extern const char *const sc_adaptive_config_keys[];

/* Reads [adaptive] of @kf (the defaults when absent). Errors are
 * SC_KEYFILE_ERROR naming @path, the group and the key. */
gboolean sc_adaptive_config_read(GKeyFile *kf, const char *path, ScAdaptiveConfig *config,
                                 GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
