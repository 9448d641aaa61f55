/* retention.h - which recorded shows stay on the data partition.
 *
 * A show is a folder of the recordings folder that holds a show.json; shows
 * are ordered by name, which is their start time (UTC, 2026-11-23T101502Z).
 * Nothing else in the folder is ever touched. Blocking file I/O; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The shows in @folder, oldest first (names). */
GPtrArray *sc_retention_list(const char *folder);

/* Free space on @folder's file system, in bytes (0 when unknown). */
guint64 sc_retention_free_bytes(const char *folder);

/* Called after each show deleted: its name, and the free space after. */
typedef void (*ScRetentionFunc)(const char *show, guint64 free_bytes, gpointer user_data);

/* Deletes the oldest shows, never @keep (the show on air; may be NULL),
 * while the disk has less than @keep_free_bytes free or there are more than
 * @keep_shows shows (0: no limit). Returns how many were deleted. */
guint sc_retention_apply(const char *folder, const char *keep, guint64 keep_free_bytes,
                         guint keep_shows, ScRetentionFunc func, gpointer user_data);

/* Deletes the show folder @path: its files, then the folder (one level). */
gboolean sc_retention_delete(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
