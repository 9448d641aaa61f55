/* report-html.h - the post-show report's page, and what report.c has
 * computed for it. Private to the report (report.c, report-html.c); the
 * report's callers use report.h.
 */
#pragma once

#include "firmware/report.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A moment or a period of the show, in show time (ms). */
typedef struct {
  gint64 at_ms, end_ms;
  char *what;
} ScReportMoment;

typedef struct {
  char *name;
  gint64 live_ms;       /* time live between the show's start and end */
  gint64 live_since_ms; /* while reading the events; -1: not live */
  guint lives;          /* "live" events: the first connection and every reconnect */
  guint reconnects;     /* lives after the first */
  guint failures;       /* "retrying" events */
  guint64 bytes, dropped;
  GArray *kbps;          /* double, a value per sample interval */
  GArray *dropped_per_s; /* double, idem */
} ScReportDest;

typedef struct {
  char *id, *title, *started, *ended;
  gint64 start_us, duration_ms;
  JsonNode *show;                            /* show.json */
  JsonObject *recording;                     /* in @show, or NULL */
  JsonNode *figures;                         /* figures.json, an object */
  GPtrArray *chapters;                       /* ScChapter* */
  GPtrArray *dests;                          /* ScReportDest*, in order of first appearance */
  GArray *failovers, *reconnects, *clipping; /* ScReportMoment */
  guint operator_reconnects;
  char *uplink;        /* the uplink in use, while reading the events */
  GArray *sample_t_ms; /* gint64: the samples' times, for the plots */
} ScReportData;

/* A line of the key figures: section ("figure", "uptime_pct", "operator",
 * "derived", ...), name, value. */
typedef struct {
  const char *section;
  char *name, *value;
} ScReportRow;

GPtrArray *sc_report_key_figures(const ScReportData *r); /* ScReportRow* */
const ScReportFigure *sc_report_find_figure(const char *key);
/* An operator's figure (yuan for money); *set says whether it was typed in. */
double sc_report_figure_value(const ScReportData *r, const char *key, gboolean *set);

/* The whole page: self-contained HTML with inline CSS and SVG. */
char *sc_report_html(const ScReportData *r);

G_END_DECLS
