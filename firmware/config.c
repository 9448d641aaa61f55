#define G_LOG_DOMAIN "shopcast-config"

#include "firmware/config.h"

#include "firmware/keyfile.h"
#include "pipeline/rtmp-url.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <math.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONTROL_SOCKET "/run/shopcast/control"
#define DEFAULT_PANEL_LISTEN   "0.0.0.0:8080"
#define DEFAULT_PASSWORDS      "/var/lib/shopcast/panel-passwords"
#define DEFAULT_UPDATE_DIR     "/var/lib/shopcast/update"

static const char *const box_keys[] = {"board", "board-dir",  "log-level",  "control-socket",
                                       "show",  "audit-log",  "update-dir", "start",
                                       "state", "system-dir", NULL};
static const char *const video_keys[] = {
    "width",    "height",      "framerate", "bitrate", "profile", "keyframe-interval",
    "b-frames", "x264-preset", "device",    NULL};
static const char *const audio_keys[] = {
    "sample-rate",    "channels",  "bitrate",           "device", "gain-db", "mute",
    "sync-offset-ms", "music-bed", "music-bed-gain-db", NULL};
static const char *const destination_keys[] = {"platform", "url",      "backup-url",  "key",
                                               "enabled",  "adaptive", "tls-ca-file", NULL};
static const char *const uplink_keys[] = {"interface", "probe-hosts", "probe-interval",
                                          "fail-after", NULL};
static const char *const failover_keys[] = {"hold-time", "stall-timeout", NULL};
static const char *const panel_keys[] = {"listen", "passwords", "login-attempts", "lockout", NULL};

static const ScKeyfileGroup schema[] = {
    {"box", box_keys},
    {"video", video_keys},
    {"audio", audio_keys},
    {"destination *", destination_keys},
    {"uplink *", uplink_keys},
    {"failover", failover_keys},
    {"adaptive", sc_adaptive_config_keys},
    {"panel", panel_keys},
    {"camera *", sc_camera_config_keys},
    {"studio", sc_studio_keys},
    {"button *", sc_studio_button_keys},
    {"keypad *", sc_studio_keypad_keys},
    {"scene *", sc_studio_scene_keys},
    {"recording", sc_recording_config_keys},
};

static const char *const profiles[] = {"main", "high", NULL};
static const char *const x264_presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                           "fast",      "medium",    NULL};
static const char *const log_levels[] = {"error", "warning", "info", "debug", NULL};
static const char *const sample_rates[] = {"44100", "48000", NULL};

static void
uplink_free(gpointer p)
{
  ScUplinkConfig *u = p;
  g_free(u->name);
  g_free(u->interface);
  g_strfreev(u->probe_hosts);
  g_free(u);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScUplinkConfig, uplink_free)

static void
destination_free(gpointer p)
{
  ScDestination *d = p;
  g_free(d->name);
  g_free(d->platform);
  g_free(d->url);
  g_free(d->backup_url);
  if (d->stream_key)
    memset(d->stream_key, 0, strlen(d->stream_key)); /* do not leave it in freed memory */
  g_free(d->stream_key);
  g_free(d->tls_ca_file);
  g_free(d);
}

void
sc_config_free(ScConfig *c)
{
  if (c == NULL)
    return;
  g_free(c->path);
  g_free(c->board);
  g_free(c->board_dir);
  g_free(c->video_device);
  g_free(c->audio_device);
  g_free((char *)c->audio.music_bed);
  g_free(c->media.x264_preset);
  g_clear_pointer(&c->destinations, g_ptr_array_unref);
  g_clear_pointer(&c->uplinks, g_ptr_array_unref);
  g_clear_pointer(&c->cameras, g_ptr_array_unref);
  g_free(c->control_socket);
  g_free(c->panel.address);
  g_free(c->panel.passwords);
  g_clear_pointer(&c->show, sc_show_file_free);
  g_free(c->audit_log);
  g_free(c->update_dir);
  g_free(c->system_dir);
  g_free(c->state);
  sc_studio_config_free(c->studio);
  sc_recording_config_clear(&c->recording);
  g_free(c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScDestination, destination_free)

/* A path key of [box], relative to the config's folder; NULL when unset. */
static gboolean
read_box_path(GKeyFile *kf, ScConfig *c, const char *key, char **path, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, c->path, "box", key, &text, error))
    return FALSE;
  if (text == NULL) {
    *path = NULL;
    return TRUE;
  }
  g_autofree char *dir = g_path_get_dirname(c->path);
  *path = g_path_is_absolute(text) ? g_strdup(text) : g_build_filename(dir, text, NULL);
  return TRUE;
}

/* A file of [box] the box writes (the audit log, the show state) must be
 * writable now: a show whose price changes would leave no evidence must not
 * go on air. Checked without creating it. */
static gboolean
check_box_file(ScConfig *c, const char *key, const char *path, GError **error)
{
  if (path == NULL)
    return TRUE;
  g_autofree char *dir = g_path_get_dirname(path);
  gboolean exists = g_file_test(path, G_FILE_TEST_EXISTS);
  const char *problem = NULL;
  if (exists && g_file_test(path, G_FILE_TEST_IS_DIR))
    problem = "is a folder; name a file in it";
  else if (exists && access(path, W_OK) != 0)
    problem = "cannot be written";
  else if (!exists && !g_file_test(dir, G_FILE_TEST_IS_DIR))
    problem = "is in a folder that does not exist";
  else if (!exists && access(dir, W_OK | X_OK) != 0)
    problem = "cannot be created: its folder is not writable";
  if (problem) {
    sc_keyfile_value_error(error, c->path, "box", key, "'%s' %s", path, problem);
    return FALSE;
  }
  return TRUE;
}

/* [box] system-dir: the folder of the box's hostname and network settings
 * (provision.h). It must be a writable folder, or one that can be created. */
static gboolean
read_system_dir(GKeyFile *kf, ScConfig *c, GError **error)
{
  if (!read_box_path(kf, c, "system-dir", &c->system_dir, error))
    return FALSE;
  if (c->system_dir == NULL)
    return TRUE;
  const char *path = c->system_dir;
  g_autofree char *parent = g_path_get_dirname(path);
  const char *problem = NULL;
  if (g_file_test(path, G_FILE_TEST_EXISTS) && !g_file_test(path, G_FILE_TEST_IS_DIR))
    problem = "is not a folder";
  else if (g_file_test(path, G_FILE_TEST_IS_DIR) && access(path, W_OK | X_OK) != 0)
    problem = "cannot be written";
  else if (!g_file_test(path, G_FILE_TEST_EXISTS) && !g_file_test(parent, G_FILE_TEST_IS_DIR))
    problem = "is in a folder that does not exist";
  else if (!g_file_test(path, G_FILE_TEST_EXISTS) && access(parent, W_OK | X_OK) != 0)
    problem = "cannot be created: its folder is not writable";
  if (problem) {
    sc_keyfile_value_error(error, c->path, "box", "system-dir", "'%s' %s", path, problem);
    return FALSE;
  }
  return TRUE;
}

/* [box] state: the show's state for a restart; by default state.json beside
 * the audit log (none without one), "off" for none. */
static gboolean
read_state(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, c->path, "box", "state", &text, error))
    return FALSE;
  if (text && g_str_equal(text, "off"))
    return TRUE;
  if (text && *text == '\0') {
    sc_keyfile_value_error(error, c->path, "box", "state", "empty: name a file, or write off");
    return FALSE;
  }
  if (text == NULL && c->audit_log) {
    g_autofree char *dir = g_path_get_dirname(c->audit_log);
    c->state = g_build_filename(dir, "state.json", NULL);
  } else if (text && !read_box_path(kf, c, "state", &c->state, error)) {
    return FALSE;
  }
  return check_box_file(c, "state", c->state, error);
}

/* The run of show, relative to the config's folder; checked now, so a bad
 * show file stops the box before anything starts, as a bad config does. */
static gboolean
read_show(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_autofree char *path = NULL;
  if (!read_box_path(kf, c, "show", &path, error) ||
      !read_box_path(kf, c, "audit-log", &c->audit_log, error) ||
      !check_box_file(c, "audit-log", c->audit_log, error) || !read_state(kf, c, error))
    return FALSE;
  if (path == NULL)
    return TRUE;
  g_autoptr(GError) local = NULL;
  c->show = sc_show_file_load(path, &local);
  if (c->show == NULL) {
    sc_keyfile_value_error(error, c->path, "box", "show", "%s", local->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_box(GKeyFile *kf, ScConfig *c, GError **error)
{
  guint level = SC_LOG_INFO;
  if (!sc_keyfile_get_string(kf, c->path, "box", "board", &c->board, error) ||
      !sc_keyfile_get_string(kf, c->path, "box", "board-dir", &c->board_dir, error) ||
      !sc_keyfile_get_choice(kf, c->path, "box", "log-level", log_levels, &level, error) ||
      !sc_keyfile_get_string(kf, c->path, "box", "control-socket", &c->control_socket, error))
    return FALSE;
  if (c->control_socket == NULL)
    c->control_socket = g_strdup(DEFAULT_CONTROL_SOCKET);
  if (!g_path_is_absolute(c->control_socket)) {
    sc_keyfile_value_error(error, c->path, "box", "control-socket", "'%s' is not an absolute path",
                           c->control_socket);
    return FALSE;
  }
  c->log_level = level;
  if (c->board == NULL)
    c->board = g_strdup("sim");
  if (!read_box_path(kf, c, "update-dir", &c->update_dir, error))
    return FALSE;
  if (c->update_dir == NULL)
    c->update_dir = g_strdup(DEFAULT_UPDATE_DIR);
  return read_system_dir(kf, c, error) && read_show(kf, c, error);
}

/* Sizes must be even: the encoders take 4:2:0 video. */
static gboolean
check_even(const ScConfig *c, const char *key, guint value, GError **error)
{
  if (value % 2 == 0)
    return TRUE;
  sc_keyfile_value_error(error, c->path, "video", key, "%u is odd; use an even number of pixels",
                         value);
  return FALSE;
}

static gboolean
read_video(GKeyFile *kf, ScConfig *c, GError **error)
{
  ScMediaSpec *m = &c->media;
  guint profile = SC_H264_PROFILE_MAIN, preset = G_MAXUINT;
  const char *p = c->path;
  if (!sc_keyfile_get_uint(kf, p, "video", "width", 160, 3840, &m->width, error) ||
      !sc_keyfile_get_uint(kf, p, "video", "height", 160, 3840, &m->height, error) ||
      !check_even(c, "width", m->width, error) || !check_even(c, "height", m->height, error) ||
      !sc_keyfile_get_uint(kf, p, "video", "framerate", 10, 60, &m->framerate, error) ||
      !sc_keyfile_get_uint(kf, p, "video", "bitrate", 300, 20000, &m->video_bitrate_kbps, error) ||
      !sc_keyfile_get_choice(kf, p, "video", "profile", profiles, &profile, error) ||
      !sc_keyfile_get_uint(kf, p, "video", "keyframe-interval", 1, 10, &m->keyframe_interval_s,
                           error) ||
      !sc_keyfile_get_uint(kf, p, "video", "b-frames", 0, 4, &m->bframes, error) ||
      !sc_keyfile_get_choice(kf, p, "video", "x264-preset", x264_presets, &preset, error) ||
      !sc_keyfile_get_string(kf, p, "video", "device", &c->video_device, error))
    return FALSE;
  m->profile = profile;
  if (preset != G_MAXUINT)
    m->x264_preset = g_strdup(x264_presets[preset]);
  return TRUE;
}

/* A number with a fraction ("-6.5"), from @min to @max; untouched when absent. */
static gboolean
read_double(GKeyFile *kf, const ScConfig *c, const char *key, double min, double max, double *value,
            GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, c->path, "audio", key, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  char *end = NULL;
  double v = g_ascii_strtod(text, &end);
  if (*text == '\0' || *end != '\0' || !isfinite(v)) {
    sc_keyfile_value_error(error, c->path, "audio", key, "'%s' is not a number", text);
    return FALSE;
  }
  if (v < min || v > max) {
    sc_keyfile_value_error(error, c->path, "audio", key, "%s is out of range (%g..%g)", text, min,
                           max);
    return FALSE;
  }
  *value = v;
  return TRUE;
}

static gboolean
read_offset(GKeyFile *kf, ScConfig *c, GError **error)
{
  double ms = 0;
  if (!read_double(kf, c, "sync-offset-ms", -SC_AUDIO_SYNC_MAX_MS, SC_AUDIO_SYNC_MAX_MS, &ms,
                   error))
    return FALSE;
  if (ms != floor(ms)) {
    sc_keyfile_value_error(error, c->path, "audio", "sync-offset-ms",
                           "%g is not a whole number of ms", ms);
    return FALSE;
  }
  c->audio.sync_offset_ms = (int)ms;
  return TRUE;
}

/* The music bed must be a readable file now; whether it decodes is learnt
 * when the pipeline starts (a bed that does not is left out, with a log). */
static gboolean
read_music_bed(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, c->path, "audio", "music-bed", &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  g_autofree char *dir = g_path_get_dirname(c->path);
  g_autofree char *path =
      g_path_is_absolute(text) ? g_strdup(text) : g_build_filename(dir, text, NULL);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) || access(path, R_OK) != 0) {
    sc_keyfile_value_error(error, c->path, "audio", "music-bed",
                           "no such file, or it cannot be read: %s", path);
    return FALSE;
  }
  c->audio.music_bed = g_steal_pointer(&path);
  return TRUE;
}

/* Gain, mute, sync and the music bed: what pipeline/audio.h applies. */
static gboolean
read_audio_mix(GKeyFile *kf, ScConfig *c, GError **error)
{
  ScAudioSettings *a = &c->audio;
  a->music_bed_gain_db = SC_AUDIO_BED_DEFAULT_DB;
  return read_double(kf, c, "gain-db", SC_AUDIO_GAIN_MIN_DB, SC_AUDIO_GAIN_MAX_DB, &a->gain_db,
                     error) &&
         sc_keyfile_get_bool(kf, c->path, "audio", "mute", &a->mute, error) &&
         read_offset(kf, c, error) && read_music_bed(kf, c, error) &&
         read_double(kf, c, "music-bed-gain-db", SC_AUDIO_GAIN_MIN_DB, 6, &a->music_bed_gain_db,
                     error);
}

static gboolean
read_audio(GKeyFile *kf, ScConfig *c, GError **error)
{
  ScMediaSpec *m = &c->media;
  guint rate = G_MAXUINT;
  if (!sc_keyfile_get_choice(kf, c->path, "audio", "sample-rate", sample_rates, &rate, error) ||
      !sc_keyfile_get_uint(kf, c->path, "audio", "channels", 1, 2, &m->audio_channels, error) ||
      !sc_keyfile_get_uint(kf, c->path, "audio", "bitrate", 64, 320, &m->audio_bitrate_kbps,
                           error) ||
      !sc_keyfile_get_string(kf, c->path, "audio", "device", &c->audio_device, error))
    return FALSE;
  if (rate != G_MAXUINT)
    m->audio_rate = (guint)g_ascii_strtoull(sample_rates[rate], NULL, 10);
  return read_audio_mix(kf, c, error);
}

/* A key goes into the RTMP publish command as it is: no spaces or controls. */
static gboolean
valid_stream_key(const char *key)
{
  if (strlen(key) > 512)
    return FALSE;
  for (const char *q = key; *q; q++)
    if ((guchar)*q <= ' ' || *q == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
check_url(const ScConfig *c, const char *group, const char *key, const char *text, GError **error)
{
  g_autoptr(GError) url_error = NULL;
  g_autoptr(ScRtmpUrl) url = text ? sc_rtmp_url_parse(text, &url_error) : NULL;
  if (text && url == NULL) {
    sc_keyfile_value_error(error, c->path, group, key, "%s", url_error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_destination(const ScConfig *c, const char *group, ScDestination *d, GError **error)
{
  if (!check_url(c, group, "url", d->url, error) ||
      !check_url(c, group, "backup-url", d->backup_url, error))
    return FALSE;
  if (!valid_stream_key(d->stream_key)) {
    sc_keyfile_value_error(error, c->path, group, "key",
                           "must not hold spaces or control characters (at most 512 bytes)");
    return FALSE;
  }
  if (d->tls_ca_file && !g_file_test(d->tls_ca_file, G_FILE_TEST_IS_REGULAR)) {
    sc_keyfile_value_error(error, c->path, group, "tls-ca-file", "no such file: %s",
                           d->tls_ca_file);
    return FALSE;
  }
  return TRUE;
}

static ScDestination *
read_destination(GKeyFile *kf, const ScConfig *c, const char *group, GError **error)
{
  const char *name = sc_keyfile_group_name(c->path, group, 64, error);
  if (name == NULL)
    return NULL;
  g_autoptr(ScDestination) d = g_new0(ScDestination, 1);
  d->name = g_strdup(name);
  d->enabled = TRUE;
  d->adaptive = TRUE;
  if (!sc_keyfile_get_string(kf, c->path, group, "platform", &d->platform, error) ||
      !sc_keyfile_require_string(kf, c->path, group, "url", &d->url, error) ||
      !sc_keyfile_get_string(kf, c->path, group, "backup-url", &d->backup_url, error) ||
      !sc_keyfile_require_string(kf, c->path, group, "key", &d->stream_key, error) ||
      !sc_keyfile_get_bool(kf, c->path, group, "enabled", &d->enabled, error) ||
      !sc_keyfile_get_bool(kf, c->path, group, "adaptive", &d->adaptive, error) ||
      !sc_keyfile_get_string(kf, c->path, group, "tls-ca-file", &d->tls_ca_file, error) ||
      !check_destination(c, group, d, error))
    return NULL;
  return g_steal_pointer(&d);
}

static gboolean
read_destinations(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    if (!g_str_has_prefix(*g, "destination "))
      continue;
    ScDestination *d = read_destination(kf, c, *g, error);
    if (d == NULL)
      return FALSE;
    g_ptr_array_add(c->destinations, d);
  }
  return TRUE;
}

static gboolean
valid_interface(const char *name)
{
  if (*name == '\0' || strlen(name) >= IFNAMSIZ)
    return FALSE;
  for (const char *q = name; *q; q++)
    if ((guchar)*q <= ' ' || *q == '/' || *q == ':' || *q == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
read_probe_hosts(GKeyFile *kf, const ScConfig *c, const char *group, ScUplinkConfig *u,
                 GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_require_string(kf, c->path, group, "probe-hosts", &text, error))
    return FALSE;
  g_auto(GStrv) hosts = g_strsplit_set(text, ";, ", -1);
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new();
  guint n = 0;
  for (char **h = hosts; *h; h++) {
    if (**h == '\0')
      continue;
    struct in_addr addr;
    if (inet_pton(AF_INET, *h, &addr) != 1) {
      sc_keyfile_value_error(error, c->path, group, "probe-hosts",
                             "'%s' is not an IPv4 address; list addresses that answer ping, "
                             "e.g. 223.5.5.5;119.29.29.29",
                             *h);
      return FALSE;
    }
    g_strv_builder_add(kept, *h);
    n++;
  }
  if (n == 0 || n > 8) {
    sc_keyfile_value_error(error, c->path, group, "probe-hosts",
                           "give 1 to 8 IPv4 addresses that answer ping");
    return FALSE;
  }
  u->probe_hosts = g_strv_builder_end(kept);
  return TRUE;
}

static ScUplinkConfig *
read_uplink(GKeyFile *kf, const ScConfig *c, const char *group, GError **error)
{
  const char *name = sc_keyfile_group_name(c->path, group, 64, error);
  if (name == NULL)
    return NULL;
  g_autoptr(ScUplinkConfig) u = g_new0(ScUplinkConfig, 1);
  u->name = g_strdup(name);
  u->probe_interval_ms = 200;
  u->fail_after_ms = 700;
  if (!sc_keyfile_require_string(kf, c->path, group, "interface", &u->interface, error) ||
      !read_probe_hosts(kf, c, group, u, error) ||
      !sc_keyfile_get_uint(kf, c->path, group, "probe-interval", 50, 5000, &u->probe_interval_ms,
                           error) ||
      !sc_keyfile_get_uint(kf, c->path, group, "fail-after", 200, 30000, &u->fail_after_ms, error))
    return NULL;
  if (!valid_interface(u->interface)) {
    sc_keyfile_value_error(error, c->path, group, "interface",
                           "'%s' is not a network interface name (1 to %d characters, no spaces, "
                           "'/' or ':')",
                           u->interface, IFNAMSIZ - 1);
    return NULL;
  }
  if (u->fail_after_ms < 2 * u->probe_interval_ms) {
    sc_keyfile_value_error(error, c->path, group, "fail-after",
                           "%u ms is less than two probe intervals (%u ms): one late reply "
                           "would fail the uplink",
                           u->fail_after_ms, 2 * u->probe_interval_ms);
    return NULL;
  }
  return g_steal_pointer(&u);
}

static gboolean
read_uplinks(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    if (!g_str_has_prefix(*g, "uplink "))
      continue;
    ScUplinkConfig *u = read_uplink(kf, c, *g, error);
    if (u == NULL)
      return FALSE;
    for (guint i = 0; i < c->uplinks->len; i++) {
      const ScUplinkConfig *other = g_ptr_array_index(c->uplinks, i);
      if (g_str_equal(other->interface, u->interface)) {
        sc_keyfile_value_error(error, c->path, *g, "interface",
                               "%s is already the interface of [uplink %s]", u->interface,
                               other->name);
        uplink_free(u);
        return FALSE;
      }
    }
    g_ptr_array_add(c->uplinks, u);
  }
  c->hold_time_s = 30;
  c->stall_timeout_ms = 1500;
  return sc_keyfile_get_uint(kf, c->path, "failover", "hold-time", 0, 3600, &c->hold_time_s,
                             error) &&
         sc_keyfile_get_uint(kf, c->path, "failover", "stall-timeout", 500, 30000,
                             &c->stall_timeout_ms, error);
}

/* [panel] listen: ADDRESS:PORT ("[::]:8080" for IPv6), or off. */
static gboolean
read_listen(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_autofree char *text = NULL;
  if (!sc_keyfile_get_string(kf, c->path, "panel", "listen", &text, error))
    return FALSE;
  if (text == NULL)
    text = g_strdup(DEFAULT_PANEL_LISTEN);
  c->panel.enabled = !g_str_equal(text, "off");
  if (!c->panel.enabled)
    return TRUE;
  char *colon = strrchr(text, ':');
  guint64 port = 0;
  if (colon && !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL))
    colon = NULL;
  if (colon) {
    *colon = '\0';
    const char *address = text;
    if (address[0] == '[' && g_str_has_suffix(address, "]"))
      address++, text[strlen(text) - 1] = '\0';
    g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
    if (inet) {
      c->panel.address = g_strdup(address);
      c->panel.port = (guint)port;
      return TRUE;
    }
  }
  sc_keyfile_value_error(error, c->path, "panel", "listen",
                         "expected ADDRESS:PORT (e.g. 0.0.0.0:8080 for every interface, "
                         "192.168.1.20:8080 for the studio LAN only) or off");
  return FALSE;
}

static gboolean
read_panel(GKeyFile *kf, ScConfig *c, GError **error)
{
  g_autofree char *passwords = NULL;
  c->panel.max_failures = 5;
  c->panel.lockout_s = 60;
  if (!read_listen(kf, c, error) ||
      !sc_keyfile_get_string(kf, c->path, "panel", "passwords", &passwords, error) ||
      !sc_keyfile_get_uint(kf, c->path, "panel", "login-attempts", 3, 20, &c->panel.max_failures,
                           error) ||
      !sc_keyfile_get_uint(kf, c->path, "panel", "lockout", 10, 3600, &c->panel.lockout_s, error))
    return FALSE;
  g_autofree char *dir = g_path_get_dirname(c->path);
  c->panel.passwords = passwords == NULL               ? g_strdup(DEFAULT_PASSWORDS)
                       : g_path_is_absolute(passwords) ? g_strdup(passwords)
                                                       : g_build_filename(dir, passwords, NULL);
  return TRUE;
}

static gboolean
read_start(GKeyFile *kf, ScConfig *c, GError **error)
{
  static const char *const starts[] = {"standby", "live", NULL};
  guint start = 0;
  if (!sc_keyfile_get_choice(kf, c->path, "box", "start", starts, &start, error))
    return FALSE;
  c->start_live = start == 1;
  return TRUE;
}

/* The board's pin map (board/NAME/pins.ini) and what the config maps to it. */
static gboolean
read_studio(GKeyFile *kf, ScConfig *c, GError **error)
{
  const char *dir = c->board_dir ? c->board_dir : sc_board_default_dir();
  g_autofree char *pins = g_build_filename(dir, c->board, "pins.ini", NULL);
  c->studio = sc_studio_config_load(kf, c->path, pins, error);
  return c->studio != NULL;
}

ScConfig *
sc_config_load(const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = sc_keyfile_load(path, error);
  if (kf == NULL)
    return NULL;
  g_autoptr(ScConfig) c = g_new0(ScConfig, 1);
  c->path = g_strdup(path);
  c->destinations = g_ptr_array_new_with_free_func(destination_free);
  c->uplinks = g_ptr_array_new_with_free_func(uplink_free);
  c->cameras = g_ptr_array_new_with_free_func((GDestroyNotify)sc_camera_config_free);
  if (!sc_keyfile_check(kf, path, schema, G_N_ELEMENTS(schema), error) || !read_box(kf, c, error) ||
      !read_video(kf, c, error) || !read_audio(kf, c, error) || !read_destinations(kf, c, error) ||
      !sc_camera_config_read(kf, path, c->cameras, error) || !read_uplinks(kf, c, error) ||
      !read_start(kf, c, error) || !read_panel(kf, c, error) || !read_studio(kf, c, error) ||
      !sc_recording_config_read(kf, path, c->audit_log, &c->recording, error) ||
      !sc_adaptive_config_read(kf, path, &c->adaptive, error))
    return NULL;
  c->media.variable_bitrate = c->adaptive.enabled;
  return g_steal_pointer(&c);
}

static void
default_uint(guint *value, guint board_value, guint product_value)
{
  if (*value == 0)
    *value = board_value ? board_value : product_value;
}

void
sc_config_apply_board(ScConfig *c, const ScBoard *board)
{
  const ScBoardDefaults *d = sc_board_get_defaults(board);
  ScMediaSpec *m = &c->media;
  default_uint(&m->width, d->width, 1280);
  default_uint(&m->height, d->height, 720);
  default_uint(&m->framerate, d->framerate, 30);
  default_uint(&m->video_bitrate_kbps, d->video_bitrate_kbps, 2500);
  default_uint(&m->keyframe_interval_s, 0, 2);
  default_uint(&m->audio_rate, 0, 48000);
  default_uint(&m->audio_channels, 0, 2);
  default_uint(&m->audio_bitrate_kbps, 0, 128);
  if (m->x264_preset == NULL)
    m->x264_preset = g_strdup(d->x264_preset ? d->x264_preset : "veryfast");
  if (c->video_device == NULL)
    c->video_device = g_strdup(sc_board_get_video_device(board));
  if (c->audio_device == NULL)
    c->audio_device = g_strdup(sc_board_get_audio_device(board));
}

guint
sc_config_count_enabled(const ScConfig *c)
{
  guint n = 0;
  for (guint i = 0; i < c->destinations->len; i++)
    n += ((ScDestination *)g_ptr_array_index(c->destinations, i))->enabled ? 1 : 0;
  return n;
}

ScPipelineParams
sc_config_pipeline_params(const ScConfig *c, const ScBoard *board)
{
  ScPipelineParams params = {
      .video_source = sc_board_get_video_source(board),
      .audio_source = sc_board_get_audio_source(board),
      .video_encoders = sc_board_get_video_encoders(board),
      .audio_encoders = sc_board_get_audio_encoders(board),
      .video_device = c->video_device,
      .audio_device = c->audio_device,
      .spec = &c->media,
      .audio = &c->audio,
  };
  return params;
}
