/* report.h - the post-show report (复盘): what a show put on air and how the
 * stream held up, for the review within 24 hours.
 *
 * How to call it (the daemon when a show ends; the panel's API later):
 *
 *   g_autoptr(GError) error = NULL;
 *   if (!sc_report_generate(show_dir, &error))
 *     g_warning("report: %s", error->message);
 *   // show_dir/report.html and show_dir/report.csv are there now
 *
 *   // figures the box cannot see, typed in by the operator after the show:
 *   if (!sc_report_set_figure(show_dir, "viewers", "12000", &error)) ...
 *   sc_report_generate(show_dir, &error);   // the report shows them, and the ratios
 *
 * Everything is read from the show's folder, which the recording fills
 * (firmware/recording.h): show.json (id, title, start, end, the recording),
 * audit.jsonl (the show's on-air audit lines), events.jsonl (its event
 * journal lines, as `shopcastctl events` prints them), samples.jsonl (once a
 * second: each destination's state, bytes sent and tags dropped, the mic's
 * clipping count) and figures.json (the operator's figures). The report is
 * written next to them, each file replaced whole (written aside, then renamed).
 *
 * What it says, and from where:
 *   products, flash sales, coupons, price corrections: chapters.h over audit.jsonl
 *   failovers: "uplink-choice" events that change the uplink in use (events.jsonl
 *     starts with the choice in force); reconnects: a destination's every "live"
 *     event after its first; uptime %: time a destination spent "live" between
 *     the show's start and end, over the show's length
 *   bitrate and dropped frames per destination (SVG plots): samples.jsonl deltas
 *   audio clipping periods: seconds in which the mic's clipping count rose
 *   operator figures and the seed's formulas: 转化率 = 下单人数 / 观看人数,
 *     客单价 = 成交金额 / 下单人数, UV价值 = 成交金额 / 观看人数
 *
 * No shared state and only blocking file I/O: any thread, one call per folder
 * at a time (the daemon runs it on a worker thread).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The operator's figures: key, what the report calls it. */
typedef struct {
  const char *key;   /* "viewers" */
  const char *label; /* "观看人数 (viewers)" */
  gboolean money;    /* yuan with up to 2 decimals (else a whole count) */
} ScReportFigure;

extern const ScReportFigure sc_report_figures[];
extern const guint sc_report_n_figures;

/* Writes report.html and report.csv in @show_dir. */
gboolean sc_report_generate(const char *show_dir, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Sets an operator figure (@key one of sc_report_figures, @value a count or,
 * for money, yuan) in @show_dir/figures.json; "-" clears it. Does not
 * regenerate the report. */
gboolean sc_report_set_figure(const char *show_dir, const char *key, const char *value,
                              GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The figures set so far, as the JSON object figures.json holds ({} when none). */
char *sc_report_get_figures(const char *show_dir);

G_END_DECLS
