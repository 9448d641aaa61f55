/* keyfile.h - strict reading of INI files (GKeyFile) for config and board profiles.
 *
 * Every group and key must be known: an unknown or misspelt one is an error
 * naming the file, the group and the key (with the nearest known key when one
 * is close). Typed getters check ranges and choices, leave the output
 * untouched when the key is absent, and word their errors so a person can fix
 * the file: "shopcast.ini: [video] bitrate: 99999 is out of range (300..20000)".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_KEYFILE_ERROR (sc_keyfile_error_quark())
GQuark sc_keyfile_error_quark(void);

typedef enum {
  SC_KEYFILE_ERROR_READ,    /* missing or unreadable file */
  SC_KEYFILE_ERROR_SYNTAX,  /* not INI */
  SC_KEYFILE_ERROR_UNKNOWN, /* unknown group or key */
  SC_KEYFILE_ERROR_VALUE,   /* a value of the wrong type, out of range, or not a choice */
  SC_KEYFILE_ERROR_MISSING, /* a required group or key is absent */
} ScKeyfileError;

/* A group the file may have and the keys it may hold. A group name ending in
 * " *" matches every group with that prefix ("destination *" matches
 * "destination douyin"). */
typedef struct {
  const char *group;
  const char *const *keys; /* NULL-terminated */
} ScKeyfileGroup;

/* Reads @path, with a cap on its size. */
GKeyFile *sc_keyfile_load(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks that every group and key of @kf is in @schema. */
gboolean sc_keyfile_check(GKeyFile *kf, const char *path, const ScKeyfileGroup *schema,
                          gsize n_groups, GError **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean sc_keyfile_get_string(GKeyFile *kf, const char *path, const char *group, const char *key,
                               char **value, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean sc_keyfile_get_uint(GKeyFile *kf, const char *path, const char *group, const char *key,
                             guint min, guint max, guint *value,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean sc_keyfile_get_bool(GKeyFile *kf, const char *path, const char *group, const char *key,
                             gboolean *value, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* @value becomes the index of the value in @choices (NULL-terminated). */
gboolean sc_keyfile_get_choice(GKeyFile *kf, const char *path, const char *group, const char *key,
                               const char *const *choices, guint *value,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A required string: absent or empty is SC_KEYFILE_ERROR_MISSING. */
gboolean sc_keyfile_require_string(GKeyFile *kf, const char *path, const char *group,
                                   const char *key, char **value,
                                   GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The NAME of a [KIND NAME] group (@group): 1..@max_len letters, digits,
 * '-' and '_', so it can name things in commands, logs and file names.
 * Returns the name, or NULL with an error naming the group. */
const char *sc_keyfile_group_name(const char *path, const char *group, guint max_len,
                                  GError **error);
/* Sets @error to SC_KEYFILE_ERROR_VALUE, "PATH: [GROUP] KEY: <message>". */
void sc_keyfile_value_error(GError **error, const char *path, const char *group, const char *key,
                            const char *format, ...) G_GNUC_PRINTF(5, 6);

G_END_DECLS
