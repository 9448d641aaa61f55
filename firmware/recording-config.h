/* recording-config.h - the [recording] group of shopcastd's config.
 *
 *   [recording]
 *   enabled = true          # record every show while live (the default)
 *   folder = recordings     # the data partition's folder; relative to the config file;
 *                           # default: "recordings" beside the audit log (or the config)
 *   segment-length = 300    # seconds, 10..3600: a new segment file at the next keyframe
 *   keep-free = 2048        # MB: while the disk has less free, the oldest shows are deleted
 *   keep-shows = 0          # at most this many shows kept (0: no limit)
 *
 * The folder must exist or be creatable when the config is read.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean enabled;
  char *folder; /* absolute */
  guint segment_s;
  guint keep_free_mb;
  guint keep_shows; /* 0: no limit */
} ScRecordingConfig;

/* The keys [recording] may hold, NULL-terminated. */
extern const char *const sc_recording_config_keys[];

/* Reads [recording] of @kf (@path: the config file, for relative folders and
 * errors); @beside: the file whose folder holds "recordings" by default.
 * Errors are SC_KEYFILE_ERROR naming @path, group and key. */
gboolean sc_recording_config_read(GKeyFile *kf, const char *path, const char *beside,
                                  ScRecordingConfig *config,
                                  GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_recording_config_clear(ScRecordingConfig *config);

G_END_DECLS
