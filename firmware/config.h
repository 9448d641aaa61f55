/* config.h - shopcastd's configuration (an INI file, see README.md).
 *
 * Every key is read and checked: an unknown or misspelt key, a value out of
 * range or a bad URL is an error that names the file, the group and the key,
 * and shopcastd exits with EX_CONFIG (78) before starting anything.
 * Stream keys are secrets: they are kept here and handed to the outputs, and
 * only ever shown masked (sc_rtmp_url_mask_key).
 */
#pragma once

#include "firmware/adaptive-config.h"
#include "firmware/board.h"
#include "firmware/camera-config.h"
#include "firmware/log.h"
#include "firmware/recording-config.h"
#include "firmware/studio-config.h"
#include "overlays/show.h"
#include "pipeline/pipeline.h"

G_BEGIN_DECLS

typedef struct {
  char *name;        /* from the group name: [destination NAME] */
  char *platform;    /* a label for people ("douyin", "youtube"), may be NULL */
  char *url;         /* rtmp:// or rtmps:// ingest URL, without the key */
  char *backup_url;  /* the platform's backup ingest, may be NULL */
  char *stream_key;  /* secret */
  char *tls_ca_file; /* NULL: the system's trusted CAs */
  gboolean enabled;
  gboolean adaptive; /* the shared encode follows this one's uplink ([adaptive]) */
} ScDestination;

/* A network path the box can stream over, in the order of preference. */
typedef struct {
  char *name;         /* from the group name: [uplink NAME] */
  char *interface;    /* "eth0", "wwan0" */
  char **probe_hosts; /* IPv4 literals the health probes go to */
  guint probe_interval_ms;
  guint fail_after_ms;
} ScUplinkConfig;

/* [panel]: the web panel and the control API on the studio LAN. */
typedef struct {
  gboolean enabled; /* listen = off: only shopcastctl on the box */
  char *address;    /* the IP address listened on ("0.0.0.0": every interface) */
  guint port;
  char *passwords;               /* the password file (absolute) */
  guint max_failures, lockout_s; /* wrong passwords in a row, then locked out this long */
} ScPanelConfig;

typedef struct {
  char *path;
  char *board;     /* profile name */
  char *board_dir; /* NULL: sc_board_default_dir() */
  ScLogLevel log_level;
  char *video_device; /* NULL: the board's default */
  char *audio_device;
  ScAudioSettings audio;   /* [audio] gain, mute, sync, music bed (its path owned here) */
  ScMediaSpec media;       /* after sc_config_apply_board: complete */
  GPtrArray *destinations; /* ScDestination*, in file order */
  GPtrArray *uplinks;      /* ScUplinkConfig*, in file order (= preference); may be empty */
  char *control_socket;    /* the local control socket (shopcastctl) */
  ScShowFile *show;        /* [box] show: the run of show, loaded and checked; may be NULL */
  char *audit_log;         /* [box] audit-log: the on-air audit log (absolute), or NULL */
  char *update_dir;        /* [box] update-dir: where an uploaded firmware bundle is staged */
  char *system_dir;        /* [box] system-dir: the hostname and network settings, or NULL */
  char *state;             /* [box] state: the show's state for a restart (absolute), or NULL */
  guint hold_time_s;       /* [failover] hold-time: healthy this long before failing back */
  guint stall_timeout_ms;  /* [failover] stall-timeout: unacknowledged data ends a connection */
  GPtrArray *cameras;      /* ScCameraConfig*: [camera NAME] in file order, first on program */
  gboolean start_live;     /* [box] start = live: on air at start; standby: ready, not live */
  ScStudioConfig *studio;  /* buttons, keypads, tally, lights (never NULL once loaded) */
  ScPanelConfig panel;

  /* [recording]: where each show's recording, chapters and report go */
  ScRecordingConfig recording;
  /* [adaptive]: the bitrate follows the uplink */
  ScAdaptiveConfig adaptive;
} ScConfig;

/* Reads and checks @path. Errors are SC_KEYFILE_ERROR. */
ScConfig *sc_config_load(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_config_free(ScConfig *config);

/* Fills what the file left unset from the board's defaults, then from the
 * product's (1280x720, 30 fps, 2500 kb/s, Main, 2 s GOP, no B-frames,
 * AAC-LC 48 kHz stereo 128 kb/s). */
void sc_config_apply_board(ScConfig *config, const ScBoard *board);

/* What the program pipeline is built from: the board's fragments and the
 * config's spec and devices. Borrows from both; valid while they live. */
ScPipelineParams sc_config_pipeline_params(const ScConfig *config, const ScBoard *board);

/* Enabled destinations only. */
guint sc_config_count_enabled(const ScConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScConfig, sc_config_free)

G_END_DECLS
