#define G_LOG_DOMAIN "shopcast-config"

#include "firmware/adaptive-config.h"

#include "firmware/keyfile.h"

#define GROUP "adaptive"

const char *const sc_adaptive_config_keys[] = {
    "enabled",    "min-bitrate", "max-bitrate", "start-bitrate",  "sample-interval", "cut-queue",
    "cut-after",  "clear-queue", "cut-to",      "raise-step",     "raise-wait",      "hold-below",
    "probe-step", "probe-wait",  "probe-time",  "probe-wait-max", "drop-queue",      NULL};

typedef struct {
  const char *key;
  guint min, max;
  gsize offset; /* of the guint in ScAdaptiveConfig */
} UintKey;

static const UintKey uint_keys[] = {
    {"min-bitrate", 100, 20000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.min_kbps)},
    {"max-bitrate", 300, 20000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.max_kbps)},
    {"start-bitrate", 100, 20000, G_STRUCT_OFFSET(ScAdaptiveConfig, start_kbps)},
    {"sample-interval", 10, 1000, G_STRUCT_OFFSET(ScAdaptiveConfig, interval_ms)},
    {"cut-queue", 50, 1900, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.cut_queue_ms)},
    {"cut-after", 0, 5000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.cut_after_ms)},
    {"clear-queue", 0, 1000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.clear_queue_ms)},
    {"cut-to", 30, 95, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.cut_percent)},
    {"raise-step", 1, 50, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.raise_percent)},
    {"raise-wait", 100, 60000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.raise_wait_ms)},
    {"hold-below", 50, 98, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.hold_percent)},
    {"probe-step", 2, 50, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.probe_percent)},
    {"probe-wait", 1000, 3600000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.probe_wait_ms)},
    {"probe-time", 500, 60000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.probe_time_ms)},
    {"probe-wait-max", 1000, 3600000, G_STRUCT_OFFSET(ScAdaptiveConfig, rate.probe_wait_max_ms)},
    {"drop-queue", 0, 1900, G_STRUCT_OFFSET(ScAdaptiveConfig, drop_queue_ms)},
};

static gboolean
check(const char *path, const ScAdaptiveConfig *c, GError **error)
{
  const ScRateParams *r = &c->rate;
  if (r->max_kbps && r->min_kbps > r->max_kbps) {
    sc_keyfile_value_error(error, path, GROUP, "min-bitrate", "%u is above max-bitrate (%u)",
                           r->min_kbps, r->max_kbps);
    return FALSE;
  }
  if (r->clear_queue_ms >= r->cut_queue_ms) {
    sc_keyfile_value_error(error, path, GROUP, "clear-queue",
                           "%u ms is not below cut-queue (%u ms)", r->clear_queue_ms,
                           r->cut_queue_ms);
    return FALSE;
  }
  if (r->probe_wait_ms > r->probe_wait_max_ms) {
    sc_keyfile_value_error(error, path, GROUP, "probe-wait",
                           "%u ms is above probe-wait-max (%u ms)", r->probe_wait_ms,
                           r->probe_wait_max_ms);
    return FALSE;
  }
  if (c->drop_queue_ms && c->drop_queue_ms <= r->cut_queue_ms) {
    sc_keyfile_value_error(error, path, GROUP, "drop-queue",
                           "%u ms is not above cut-queue (%u ms): frames would drop before the "
                           "bitrate is cut",
                           c->drop_queue_ms, r->cut_queue_ms);
    return FALSE;
  }
  if (c->drop_queue_ms && c->drop_queue_ms < 200) {
    sc_keyfile_value_error(error, path, GROUP, "drop-queue",
                           "%u ms is out of range (0, or 200..1900)", c->drop_queue_ms);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_adaptive_config_read(GKeyFile *kf, const char *path, ScAdaptiveConfig *c, GError **error)
{
  *c = (ScAdaptiveConfig){.enabled = TRUE, .interval_ms = 50, .drop_queue_ms = 1000};
  sc_rate_params_init(&c->rate, 0);
  c->rate.min_kbps = 500;
  if (!sc_keyfile_get_bool(kf, path, GROUP, "enabled", &c->enabled, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(uint_keys); i++) {
    const UintKey *k = &uint_keys[i];
    guint *value = G_STRUCT_MEMBER_P(c, k->offset);
    if (!sc_keyfile_get_uint(kf, path, GROUP, k->key, k->min, k->max, value, error))
      return FALSE;
  }
  return check(path, c, error);
}
