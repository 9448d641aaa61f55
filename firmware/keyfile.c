#include "firmware/keyfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Config files are written by people; anything this large is a mistake. */
#define MAX_FILE_BYTES (256 * 1024)

G_DEFINE_QUARK(sc - keyfile - error - quark, sc_keyfile_error)

void
sc_keyfile_value_error(GError **error, const char *path, const char *group, const char *key,
                       const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_VALUE, "%s: [%s] %s: %s", path, group, key,
              message);
}

const char *
sc_keyfile_group_name(const char *path, const char *group, guint max_len, GError **error)
{
  const char *space = strchr(group, ' ');
  const char *name = space ? space + 1 : "";
  gboolean ok = *name != '\0' && strlen(name) <= max_len;
  for (const char *q = name; ok && *q; q++)
    ok = g_ascii_isalnum(*q) || *q == '-' || *q == '_';
  if (ok)
    return name;
  g_autofree char *kind = space ? g_strndup(group, space - group) : g_strdup(group);
  g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_VALUE,
              "%s: [%s]: a %s's name may hold only letters, digits, '-' and '_' (at most %u)", path,
              group, kind, max_len);
  return NULL;
}

/* GKeyFile merges a group written twice into one, so a second [destination a]
 * or [product a] would silently change the first: refuse it, naming both lines. */
static gboolean
check_unique_groups(const char *path, const char *text, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char *line = g_strstrip(lines[i]);
    gsize len = strlen(line);
    if (len < 3 || line[0] != '[' || line[len - 1] != ']')
      continue;
    char *group = g_strndup(line + 1, len - 2);
    guint first = GPOINTER_TO_UINT(g_hash_table_lookup(seen, group));
    if (first) {
      g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_SYNTAX,
                  "%s: [%s] appears twice (lines %u and %u); give each its own name", path, group,
                  first, i + 1);
      g_free(group);
      return FALSE;
    }
    g_hash_table_insert(seen, group, GUINT_TO_POINTER(i + 1));
  }
  return TRUE;
}

GKeyFile *
sc_keyfile_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ, "%s", local->message);
    return NULL;
  }
  if (len > MAX_FILE_BYTES) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ,
                "%s: file is %zu bytes, the limit is %d", path, len, MAX_FILE_BYTES);
    return NULL;
  }
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_SYNTAX, "%s: not a valid INI file: %s",
                path, local->message);
    return NULL;
  }
  if (!check_unique_groups(path, text, error))
    return NULL;
  return g_steal_pointer(&kf);
}

static gboolean
group_matches(const char *pattern, const char *group)
{
  gsize len = strlen(pattern);
  if (len > 2 && g_str_has_suffix(pattern, " *"))
    return strncmp(pattern, group, len - 1) == 0 && group[len - 1] != '\0';
  return strcmp(pattern, group) == 0;
}

/* Levenshtein distance, to suggest the key a person probably meant. */
static guint
edit_distance(const char *a, const char *b)
{
  gsize la = strlen(a), lb = strlen(b);
  g_autofree guint *row = g_new(guint, lb + 1);
  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++) {
    guint diag = row[0];
    row[0] = i;
    for (gsize j = 1; j <= lb; j++) {
      guint up = row[j];
      guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
      diag = up;
    }
  }
  return row[lb];
}

static char *
describe_choices(const char *const *known, const char *given)
{
  const char *best = NULL;
  guint best_distance = 3; /* suggest only near misses */
  for (const char *const *k = known; *k; k++) {
    guint d = edit_distance(given, *k);
    if (d < best_distance) {
      best = *k;
      best_distance = d;
    }
  }
  g_autofree char *list = g_strjoinv(", ", (char **)known);
  if (best)
    return g_strdup_printf("did you mean '%s'? (known: %s)", best, list);
  return g_strdup_printf("known: %s", list);
}

static const ScKeyfileGroup *
find_group(const ScKeyfileGroup *schema, gsize n, const char *group)
{
  for (gsize i = 0; i < n; i++)
    if (group_matches(schema[i].group, group))
      return &schema[i];
  return NULL;
}

static gboolean
check_keys(GKeyFile *kf, const char *path, const char *group, const ScKeyfileGroup *spec,
           GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
  for (char **k = keys; k && *k; k++) {
    if (g_strv_contains(spec->keys, *k))
      continue;
    g_autofree char *hint = describe_choices(spec->keys, *k);
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_UNKNOWN, "%s: [%s] %s: unknown key; %s",
                path, group, *k, hint);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_keyfile_check(GKeyFile *kf, const char *path, const ScKeyfileGroup *schema, gsize n_groups,
                 GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    const ScKeyfileGroup *spec = find_group(schema, n_groups, *g);
    if (spec == NULL) {
      g_autofree const char **names = g_new0(const char *, n_groups + 1);
      for (gsize i = 0; i < n_groups; i++)
        names[i] = schema[i].group;
      g_autofree char *hint = describe_choices(names, *g);
      g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_UNKNOWN, "%s: [%s]: unknown group; %s",
                  path, *g, hint);
      return FALSE;
    }
    if (!check_keys(kf, path, *g, spec, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
sc_keyfile_get_string(GKeyFile *kf, const char *path, const char *group, const char *key,
                      char **value, GError **error)
{
  if (!g_key_file_has_key(kf, group, key, NULL))
    return TRUE;
  g_autoptr(GError) local = NULL;
  char *text = g_key_file_get_string(kf, group, key, &local);
  if (text == NULL) {
    sc_keyfile_value_error(error, path, group, key, "%s", local->message);
    return FALSE;
  }
  if (!g_utf8_validate(text, -1, NULL)) {
    g_free(text);
    sc_keyfile_value_error(error, path, group, key, "not valid UTF-8");
    return FALSE;
  }
  g_free(*value);
  *value = text;
  return TRUE;
}

gboolean
sc_keyfile_require_string(GKeyFile *kf, const char *path, const char *group, const char *key,
                          char **value, GError **error)
{
  if (!sc_keyfile_get_string(kf, path, group, key, value, error))
    return FALSE;
  if (*value == NULL || **value == '\0') {
    g_set_error(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_MISSING,
                "%s: [%s] %s: required, and missing", path, group, key);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_keyfile_get_uint(GKeyFile *kf, const char *path, const char *group, const char *key, guint min,
                    guint max, guint *value, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, path, group, key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  char *end = NULL;
  errno = 0;
  unsigned long long n = g_ascii_strtoull(text, &end, 10);
  if (text[0] == '\0' || !g_ascii_isdigit(text[0]) || *end != '\0' || errno != 0) {
    sc_keyfile_value_error(error, path, group, key, "'%s' is not a whole number", text);
    return FALSE;
  }
  if (n < min || n > max) {
    sc_keyfile_value_error(error, path, group, key, "%s is out of range (%u..%u)", text, min, max);
    return FALSE;
  }
  *value = (guint)n;
  return TRUE;
}

gboolean
sc_keyfile_get_choice(GKeyFile *kf, const char *path, const char *group, const char *key,
                      const char *const *choices, guint *value, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, path, group, key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  for (guint i = 0; choices[i]; i++) {
    if (strcmp(text, choices[i]) == 0) {
      *value = i;
      return TRUE;
    }
  }
  g_autofree char *list = g_strjoinv(", ", (char **)choices);
  sc_keyfile_value_error(error, path, group, key, "'%s' is not one of: %s", text, list);
  return FALSE;
}

gboolean
sc_keyfile_get_bool(GKeyFile *kf, const char *path, const char *group, const char *key,
                    gboolean *value, GError **error)
{
  static const char *const choices[] = {"false", "true", NULL};
  guint index = *value ? 1 : 0;
  if (!sc_keyfile_get_choice(kf, path, group, key, choices, &index, error))
    return FALSE;
  *value = index == 1;
  return TRUE;
}
