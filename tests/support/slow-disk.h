/* slow-disk.h - a disk as slow as one busy with the recording, for the code
 * under test in this process: every fsync(2) of a file in a given folder
 * takes a set time before it reaches the real disk. Linked into a test
 * program, its fsync() is the one the program's code calls. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* From now on, fsync() of a file in @folder (or the folder itself) takes
 * @ms longer; 0: as fast as the disk again. */
void sc_slow_disk_set(const char *folder, guint ms);

/* How many fsync() calls reached a file in that folder since the last set. */
guint sc_slow_disk_get_syncs(void);

G_END_DECLS
