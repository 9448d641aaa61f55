/* daemon-private.h - the daemon's state, shared by its files: daemon.c (the
 * controller: the show going live and off air, the outputs, the buttons, the
 * saved state), daemon-commands.c (the control socket's commands and the
 * pre-flight check) and daemon-api.c (the panel, the status and the
 * metrics). Nothing else includes this. Main thread only.
 */
#pragma once

#include "firmware/adaptive.h"
#include "firmware/api.h"
#include "firmware/audio-control.h"
#include "firmware/background-save.h"
#include "firmware/daemon.h"
#include "firmware/events.h"
#include "firmware/failover.h"
#include "firmware/graphics.h"
#include "firmware/http.h"
#include "firmware/provision.h"
#include "firmware/recording.h"
#include "firmware/show-state.h"
#include "firmware/slot.h"
#include "firmware/stall-watch.h"
#include "firmware/studio.h"
#include "firmware/update.h"
#include "pipeline/output.h"

G_BEGIN_DECLS

/* The journal keeps this many events; `events N` asks for at most as many. */
#define SC_DAEMON_EVENTS_KEPT 2000

struct _ScDaemon {
  ScConfig *config;
  ScBoard *board;
  ScPipeline *pipeline;
  GPtrArray *outputs;    /* ScOutput*: the destinations' pushes while live, else empty */
  GMutex outputs_lock;   /* the streaming thread reads @outputs to fan the program out */
  gboolean live;         /* the show is on air: the destinations receive the program */
  gint64 live_since_us;  /* wall clock of going live, for the show clock */
  gint64 started_us;     /* monotonic, at start */
  gboolean playing;      /* the program pipeline is encoding */
  ScStallWatch *stall;   /* restarts the pipeline when no frame passes for 2 s */
  ScStudio *studio;      /* buttons, tally, lights */
  guint64 dropped_seen;  /* tags the outputs had dropped at the last look */
  gint64 dropping_until; /* the tally shows degraded until then after a drop */
  ScCameras *cameras;    /* the studio cameras and the program's picture */
  ScEventLog *events;
  ScFailover *failover;
  ScAuth *auth; /* the panel's passwords and sessions */
  ScHttp *http; /* the panel and the API (LAN), shopcastctl (Unix socket) */
  ScApi *api;
  ScShow *show;                 /* the run of show, or NULL */
  ScGraphics *graphics;         /* the show on the program frames, with the show */
  ScAudioControl *audio;        /* gain, mute, sync; the music bed follows the flash sale */
  ScRecording *recording;       /* each show's recording, chapters and report */
  ScAdaptive *adaptive;         /* the encoder's bitrate follows the uplinks */
  ScShowState *resume;          /* the state read at start, restored once the program plays */
  gboolean state_ready;         /* the saved state was dealt with: changes are saved from now on */
  ScBackgroundSave *state_save; /* writes the state off the main loop; NULL: [box] state = off */
  ScSlot *slot;                 /* systemd's watchdog, RAUC's mark-good once healthy */
  ScUpdate *update;             /* firmware updates through the API, with the API */
  ScProvision *provision;       /* the box's hostname and network (system-dir) */
  guint reboot_timer;           /* a freshly installed firmware starts soon */
  GMainLoop *loop;
  guint trim_timer; /* free memory given back to the system now and then */
  guint stop_timer;
  gboolean stopping;
  gboolean finished; /* outputs finished, pipeline stopped, loop told to quit */
  int exit_code;
};

/* daemon.c: the show goes on air (every enabled destination connects) or
 * off air (each destination's stream ends); @who for the event log. Either
 * does nothing when the show already is there. */
void sc_daemon_go_live(ScDaemon *self, const char *who);
void sc_daemon_end_show(ScDaemon *self, const char *who);

/* daemon-commands.c: the destination @name (or every one, @name NULL)
 * reconnects now. Returns what was done for the operator, or NULL with
 * @error when no destination has that name. */
char *sc_daemon_reconnect(ScDaemon *self, const char *name, GError **error);

/* daemon-commands.c: the daemon's commands (the API's actions): @argv the
 * words, @who for the event log. Returns the output, or NULL with @error. */
char *sc_daemon_run_command(const char *const *argv, const char *who, gpointer data,
                            GError **error);

/* The tally's inputs now. */
void sc_daemon_tally_state(ScTallyState *state, gpointer data);

/* The destinations' pushes, one JSON object a line. */
char *sc_daemon_outputs_json_lines(ScDaemon *self);

/* daemon-api.c: opens the API on the Unix socket and, unless [panel]
 * listen = off, on the studio LAN. Only the Unix socket failing is fatal
 * for the API; the show goes on either way. */
void sc_daemon_open_api(ScDaemon *self);
void sc_daemon_close_api(ScDaemon *self);
/* The whole status as one JSON object (one line). */
char *sc_daemon_status_json(ScDaemon *self);
/* The board, the software and the machine, as one JSON object. */
char *sc_daemon_board_json(ScDaemon *self);
/* The running firmware and the state of an update, as one JSON object. */
char *sc_daemon_firmware_json(ScDaemon *self, GError **error);

G_END_DECLS
