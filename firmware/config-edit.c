#define G_LOG_DOMAIN "shopcast-config"

#include "firmware/config-edit.h"

#include "firmware/config.h"
#include "firmware/json.h"
#include "firmware/safe-file.h"
#include "pipeline/rtmp-url.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <stdarg.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <string.h>

static gboolean
is_secret(const char *group, const char *key)
{
  return g_str_has_prefix(group, "destination ") && g_str_equal(key, "key");
}

static GKeyFile *
load(const char *path, GError **error)
{
  GKeyFile *kf = g_key_file_new();
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, error)) {
    g_key_file_unref(kf);
    return NULL;
  }
  return kf;
}

char *
sc_config_edit_to_json(const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = load(path, error);
  if (kf == NULL)
    return NULL;
  GString *out = g_string_new("{\"path\":");
  sc_json_append_string(out, path);
  g_string_append(out, ",\"groups\":{");
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (guint g = 0; groups[g]; g++) {
    g_string_append_printf(out, "%s", g ? "," : "");
    sc_json_append_string(out, groups[g]);
    g_string_append_c(out, ':');
    g_string_append_c(out, '{');
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
    for (guint k = 0; keys && keys[k]; k++) {
      g_autofree char *value = g_key_file_get_value(kf, groups[g], keys[k], NULL);
      g_autofree char *shown =
          is_secret(groups[g], keys[k]) ? sc_rtmp_url_mask_key(value) : g_strdup(value);
      g_string_append_printf(out, "%s", k ? "," : "");
      sc_json_append_string(out, keys[k]);
      g_string_append_c(out, ':');
      sc_json_append_string(out, shown ? shown : "");
    }
    g_string_append_c(out, '}');
  }
  g_string_append(out, "}}\n");
  return g_string_free(out, FALSE);
}

static gboolean invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

static gboolean
has_control(const char *text)
{
  for (const char *p = text; *p; p++)
    if (g_ascii_iscntrl(*p))
      return TRUE;
  return FALSE;
}

/* What keeps @group from being a group of the file ("[group]" on a line of
 * its own), or NULL. GLib's key file would refuse it without saying so, and
 * the change would be lost on save. */
static const char *
group_name_problem(const char *group)
{
  if (group[0] == '\0')
    return "it is empty";
  if (strlen(group) > 96)
    return "more than 96 bytes";
  if (strpbrk(group, "[]"))
    return "'[' and ']' cannot be in it";
  if (has_control(group))
    return "a control character (tab, line break...) cannot be in it";
  return NULL;
}

/* What keeps @key from being a key of the file ("key=value"), or NULL. */
static const char *
key_name_problem(const char *key)
{
  gsize len = strlen(key);
  if (len == 0)
    return "it is empty";
  if (len > 64)
    return "more than 64 bytes";
  if (strpbrk(key, "=[]"))
    return "'=', '[' and ']' cannot be in it";
  if (has_control(key))
    return "a control character (tab, line break...) cannot be in it";
  if (key[0] == ' ' || key[len - 1] == ' ')
    return "it cannot start or end with a space";
  if (key[0] == '#')
    return "a line starting with '#' is a comment";
  return NULL;
}

static gboolean
set_key(GKeyFile *kf, const char *group, const char *key, JsonNode *value, GError **error)
{
  const char *why = key_name_problem(key);
  if (why)
    return invalid(error, "[%s] '%s': not a key name: %s", group, key, why);
  if (JSON_NODE_HOLDS_NULL(value)) {
    g_key_file_remove_key(kf, group, key, NULL);
    return TRUE;
  }
  g_autofree char *text = NULL;
  if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == G_TYPE_STRING)
    text = g_strdup(json_node_get_string(value));
  else if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == G_TYPE_BOOLEAN)
    text = g_strdup(json_node_get_boolean(value) ? "true" : "false");
  else if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == G_TYPE_INT64)
    text = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(value));
  else
    return invalid(error, "[%s] %s: give a string, a number, true/false or null", group, key);
  if (strpbrk(text, "\n\r") || strlen(text) > 4096)
    return invalid(error, "[%s] %s: one line of at most 4096 bytes", group, key);
  if (is_secret(group, key)) {
    g_autofree char *old = g_key_file_get_value(kf, group, key, NULL);
    g_autofree char *masked = old ? sc_rtmp_url_mask_key(old) : NULL;
    if (masked && g_str_equal(masked, text))
      return TRUE; /* sent back as it was shown: unchanged */
  }
  g_key_file_set_value(kf, group, key, text);
  return TRUE;
}

static gboolean
apply_group(GKeyFile *kf, const char *group, JsonNode *node, GError **error)
{
  const char *why = group_name_problem(group);
  if (why)
    return invalid(error, "'%s': not a group name: %s", group, why);
  if (JSON_NODE_HOLDS_NULL(node)) {
    g_key_file_remove_group(kf, group, NULL);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_OBJECT(node))
    return invalid(error, "[%s]: give an object of keys, or null to remove the group", group);
  JsonObject *keys = json_node_get_object(node);
  g_autoptr(GList) names = json_object_get_members(keys);
  for (GList *k = names; k; k = k->next)
    if (!set_key(kf, group, k->data, json_object_get_member(keys, k->data), error))
      return FALSE;
  return TRUE;
}

/* The changed file must load as shopcastd loads its config. It is checked
 * beside the real one, so relative paths in it mean the same. */
static gboolean
check(const char *path, const char *text, gsize len, GError **error)
{
  g_autofree char *folder = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  /* named as the save's own temporary: one cut short is removed by the next save */
  sc_file_remove_temps(path);
  g_autofree char *temp = sc_file_temp_name(path);
  int fd = g_mkstemp_full(temp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, text, len) != (gssize)len) {
    if (fd >= 0)
      close(fd), g_unlink(temp);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot check the new config in %s", folder);
    return FALSE;
  }
  close(fd);
  g_autoptr(GError) local = NULL;
  g_autoptr(ScConfig) config = sc_config_load(temp, &local);
  g_unlink(temp);
  if (config)
    return TRUE;
  g_autofree char *temp_base = g_path_get_basename(temp);
  GString *message = g_string_new(local->message);
  g_string_replace(message, temp, base, 0);
  g_string_replace(message, temp_base, base, 0);
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not saved: %s", message->str);
  g_string_free(message, TRUE);
  return FALSE;
}

gboolean
sc_config_edit_apply(const char *path, JsonObject *changes, GError **error)
{
  JsonNode *groups = changes ? json_object_get_member(changes, "groups") : NULL;
  if (groups == NULL || !JSON_NODE_HOLDS_OBJECT(groups) || json_object_get_size(changes) != 1)
    return invalid(error, "send {\"groups\":{\"GROUP\":{\"KEY\":\"VALUE\"}}}");
  g_autoptr(GKeyFile) kf = load(path, error);
  if (kf == NULL)
    return FALSE;
  JsonObject *o = json_node_get_object(groups);
  g_autoptr(GList) names = json_object_get_members(o);
  for (GList *g = names; g; g = g->next)
    if (!apply_group(kf, g->data, json_object_get_member(o, g->data), error))
      return FALSE;
  gsize len = 0;
  g_autofree char *text = g_key_file_to_data(kf, &len, NULL);
  return check(path, text, len, error) && sc_file_replace(path, text, len, 0600, error);
}
