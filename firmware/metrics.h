/* metrics.h - writing the Prometheus text exposition format (version
 * 0.0.4): families with HELP and TYPE lines, samples with escaped labels.
 * Names are the caller's (all of shopcast's start with "shopcast_").
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ScMetrics ScMetrics;

ScMetrics *sc_metrics_new(void);
void sc_metrics_free(ScMetrics *self);

/* Starts a family: @type "gauge" or "counter". */
void sc_metrics_family(ScMetrics *self, const char *name, const char *type, const char *help);
/* A sample of the family @name, with label pairs (key, value, ..., NULL). */
void sc_metrics_value(ScMetrics *self, const char *name, double value, ...) G_GNUC_NULL_TERMINATED;
/* A family of one sample without labels. */
void sc_metrics_single(ScMetrics *self, const char *name, const char *type, const char *help,
                       double value);
/* The text; frees @self. */
char *sc_metrics_finish(ScMetrics *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScMetrics, sc_metrics_free)

G_END_DECLS
