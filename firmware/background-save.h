/* background-save.h - a file kept up to date by a thread of its own, so the
 * main loop never waits for the disk.
 *
 * Each sc_background_save_put() hands over the file's new contents and
 * returns at once; a thread writes them with sc_file_replace() (temp file,
 * fsync, rename, fsync folder). Contents put while a write is in progress
 * wait, and only the latest of them is written next: the file is never more
 * than one write behind, however slow the disk. A box recording to the disk
 * it saves on can see an fsync take most of a second; the main loop, which
 * draws the graphics and watches the uplinks, goes on meanwhile.
 *
 * The outcome reaches @done on the main context of the thread that made the
 * saver, only when it changes: the first failure, and the first success
 * after failures. Create, put, flush and free from that thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ScBackgroundSave ScBackgroundSave;

/* @error: why the latest write failed; NULL: written again after failures. */
typedef void (*ScBackgroundSaveDone)(const GError *error, gpointer user_data);

/* Saves to @path (its folder must exist) with permissions @mode. */
ScBackgroundSave *sc_background_save_new(const char *path, int mode, ScBackgroundSaveDone done,
                                         gpointer user_data);

/* The file's new contents (@text, taken), written as soon as the thread is free. */
void sc_background_save_put(ScBackgroundSave *self, char *text);

/* Waits until everything put so far is written (or failed). FALSE with
 * @error when the latest write failed. */
gboolean sc_background_save_flush(ScBackgroundSave *self, GError **error);

/* Writes what is waiting, then stops the thread; outcomes not yet reported
 * are not. */
void sc_background_save_free(ScBackgroundSave *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScBackgroundSave, sc_background_save_free)

G_END_DECLS
