/* safe-file.h - replacing a file so that a power cut leaves the old contents
 * or the new, never a mix or nothing: write a temporary file beside it, fsync
 * it, rename it over the old one, fsync the folder. Config and passwords are
 * saved this way.
 *
 * A save cut short (a power cut, SIGKILL) may leave its temporary file,
 * "PATH.new-XXXXXX", beside PATH; the next save of PATH removes it. Main
 * thread (one writer of a given PATH at a time).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Replaces @path with @len bytes of @data, created with permissions @mode
 * (e.g. 0600). The folder must exist. On error @path is untouched. */
gboolean sc_file_replace(const char *path, const char *data, gsize len, int mode,
                         GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* A g_mkstemp() template for a temporary beside @path that the next
 * sc_file_replace(@path) removes if it is left behind. Free with g_free(). */
char *sc_file_temp_name(const char *path);

/* Removes what saves of @path cut short left behind. */
void sc_file_remove_temps(const char *path);

G_END_DECLS
