/* daemon.h - shopcastd's controller: owns the program pipeline and the
 * destinations' outputs, reacts to their events, and shuts down cleanly.
 *
 * Main thread only. The daemon quits @loop when it has stopped, by itself
 * (a fatal pipeline error) or after sc_daemon_stop().
 */
#pragma once

#include "firmware/config.h"

G_BEGIN_DECLS

/* sysexits(3) codes shopcastd exits with. */
#define SC_EXIT_USAGE       64
#define SC_EXIT_UNAVAILABLE 69 /* the machine lacks what the board needs (no encoder) */
#define SC_EXIT_SOFTWARE    70 /* the pipeline failed while running */
#define SC_EXIT_CONFIG      78

typedef struct _ScDaemon ScDaemon;

/* Builds the pipeline and the outputs; takes ownership of @config and @board. */
ScDaemon *sc_daemon_new(ScConfig *config, ScBoard *board, GMainLoop *loop,
                        GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_daemon_free(ScDaemon *self);

gboolean sc_daemon_start(ScDaemon *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Ends the stream: EOS through the encoders to every destination, which
 * closes its publication; bounded by a few seconds. A second call stops at once. */
void sc_daemon_stop(ScDaemon *self);

/* 0 after a requested stop, else the sysexits code of what went wrong. */
int sc_daemon_get_exit_code(ScDaemon *self);

ScPipeline *sc_daemon_get_pipeline(ScDaemon *self);
/* The run of show (borrowed), or NULL when the config has none. */
ScShow *sc_daemon_get_show(ScDaemon *self);
/* Puts camera @camera on program from the next frame (the control socket's
 * `camera switch`, the studio's buttons); logged in the event journal. */
gboolean sc_daemon_camera_switch(ScDaemon *self, const char *camera,
                                 GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The cameras (borrowed). */
ScCameras *sc_daemon_get_cameras(ScDaemon *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScDaemon, sc_daemon_free)

G_END_DECLS
