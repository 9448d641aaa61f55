/* config-edit.h - the technician's view of the config file, through the API.
 *
 * Reading gives every group and key as strings, with stream keys masked
 * (sc_rtmp_url_mask_key): a key is write-only. A change set names groups and
 * keys to set (a string, number or boolean), to remove (null), or whole
 * groups to remove (a group of null); a key sent back masked as it was read
 * is left as it is. The changed file is checked exactly as shopcastd checks
 * its config at start; only a file that passes replaces the old one, and it
 * does so atomically (safe-file.h), comments kept. The running box is not
 * changed: the new config applies at the next start.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* {"path":...,"groups":{"video":{"bitrate":"4500",...},"destination douyin":{...}}} */
char *sc_config_edit_to_json(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* @changes: {"groups":{"GROUP":{"KEY":"VALUE"|null,...}|null,...}} */
gboolean sc_config_edit_apply(const char *path, JsonObject *changes,
                              GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
