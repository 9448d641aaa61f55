/* preflight.h - the pre-flight check (开播前检查): before going live, a list
 * of what is ready and what is not, each with a pass or a fail and what was
 * seen, for the technician to read and fix.
 *
 * The daemon asks each part of the box for its items (cameras, microphone,
 * studio hardware, uplinks); the checks that need the system itself (can a
 * destination's ingest be reached, is there room on the disk) are here.
 * Main thread; the network check blocks for at most its timeout.
 */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

typedef struct _ScPreflight ScPreflight;

ScPreflight *sc_preflight_new(void);
void sc_preflight_free(ScPreflight *preflight);

/* One item: @what is checked ("camera main"), @pass or not, and what was seen. */
void sc_preflight_add(ScPreflight *preflight, const char *what, gboolean pass, const char *format,
                      ...) G_GNUC_PRINTF(4, 5);
guint sc_preflight_failures(ScPreflight *preflight);

/* A TCP connection to @host:@port opens within @timeout_ms. */
void sc_preflight_check_reachable(ScPreflight *preflight, const char *what, const char *host,
                                  guint16 port, guint timeout_ms);
/* The file system holding @folder has @need_bytes free; @need says for what. */
void sc_preflight_check_disk(ScPreflight *preflight, const char *folder, guint64 need_bytes,
                             const char *need);

/* One JSON object a line per item ({"check":..,"pass":..,"detail":..}), then
 * {"passed":N,"failed":N}. */
char *sc_preflight_to_json_lines(ScPreflight *preflight);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScPreflight, sc_preflight_free)

G_END_DECLS
