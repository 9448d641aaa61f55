/* recording-commands.h - the recording and the post-show report as daemon
 * commands (the API's /api/v1/recording and /api/v1/report..., and
 * `shopcastctl recording`, `shopcastctl report ...`):
 *
 *   recording                        the recording's state, one JSON object
 *   report [status [SHOW]]           the latest show's (or SHOW's) report: paths and figures
 *   report list                      the recorded shows, oldest first: {"show","report"} lines
 *   report set KEY VALUE [SHOW]      an operator figure (viewers, peak-viewers, buyers,
 *                                    orders, gmv; "-" clears it), then the report again
 *   report generate [SHOW]           make the report again
 *   report path [SHOW]               where report.html is
 *   report file html|csv [SHOW]      where report.html or .csv is, once made (else not found)
 *
 * SHOW is a show's folder name (2026-11-23T101502Z); without it, the latest.
 */
#pragma once

#include "firmware/recording.h"

G_BEGIN_DECLS

extern const char *const sc_report_command_usage;

/* Runs `report WORDS...` (@argv without the leading "report"). Returns what
 * to print, or NULL with @error saying what to fix. Main thread. */
char *sc_report_command(ScRecording *recording, const char *const *argv,
                        GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
