/* safe-file.h - replacing a file so that a power cut leaves the old contents
 * or the new, never a mix or nothing: write a temporary file beside it, fsync
 * it, rename it over the old one, fsync the folder. Config and passwords are
 * saved this way.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Replaces @path with @len bytes of @data, created with permissions @mode
 * (e.g. 0600). The folder must exist. On error @path is untouched. */
gboolean sc_file_replace(const char *path, const char *data, gsize len, int mode,
                         GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
