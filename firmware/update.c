/* update.c - a bundle's upload, then RAUC's installation over D-Bus. */
#define G_LOG_DOMAIN "shopcast-update"

#include "firmware/update.h"

#include "firmware/json.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/statvfs.h>

#define RAUC_NAME       "de.pengutronix.rauc"
#define RAUC_PATH       "/"
#define RAUC_INTERFACE  "de.pengutronix.rauc.Installer"
#define PING_TIMEOUT_MS 5000
#define CALL_TIMEOUT_MS 30000
#define RELEASE_FILE    "/etc/shopcast-release"
#define BUNDLE_NAME     "incoming.raucb"

struct _ScUpdate {
  char *dir, *path;
  ScUpdateEventFunc func;
  gpointer user_data;
  ScUpdateState state;
  char *message;
  int progress;
  goffset size, received;
  GOutputStream *out;
  GError *write_error;
  GDBusConnection *bus;
  guint completed_sub, progress_sub;
  GCancellable *cancel;
};

static const char *const state_names[] = {"idle", "receiving", "installing", "installed", "failed"};

const char *
sc_update_state_name(ScUpdateState state)
{
  return state_names[state];
}

/* The one place the state changes: logged and told to the owner. */
static void
set_state(ScUpdate *self, ScUpdateState state, const char *detail)
{
  if (state != self->state)
    g_info("firmware update: %s -> %s (%s)", state_names[self->state], state_names[state], detail);
  self->state = state;
  g_free(self->message);
  self->message = g_strdup(detail);
  self->func(state, detail, self->user_data);
}

ScUpdate *
sc_update_new(const char *staging_dir, ScUpdateEventFunc func, gpointer user_data)
{
  ScUpdate *self = g_new0(ScUpdate, 1);
  self->dir = g_strdup(staging_dir);
  self->path = g_build_filename(staging_dir, BUNDLE_NAME, NULL);
  self->func = func;
  self->user_data = user_data;
  self->message = g_strdup("");
  self->cancel = g_cancellable_new();
  return self;
}

static void
unsubscribe(ScUpdate *self)
{
  if (self->bus == NULL)
    return;
  if (self->completed_sub)
    g_dbus_connection_signal_unsubscribe(self->bus, self->completed_sub);
  if (self->progress_sub)
    g_dbus_connection_signal_unsubscribe(self->bus, self->progress_sub);
  self->completed_sub = self->progress_sub = 0;
}

void
sc_update_free(ScUpdate *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel(self->cancel);
  unsubscribe(self);
  if (self->out) {
    g_clear_object(&self->out);
    g_unlink(self->path);
  }
  g_clear_object(&self->bus);
  g_clear_object(&self->cancel);
  g_clear_error(&self->write_error);
  g_free(self->message);
  g_free(self->dir);
  g_free(self->path);
  g_free(self);
}

/* ---- the upload ---- */

/* RAUC answers on the system bus (started on demand). */
static gboolean
find_rauc(ScUpdate *self, GError **error)
{
  g_autoptr(GError) e = NULL;
  if (self->bus == NULL)
    self->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &e);
  if (self->bus == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "firmware updates need RAUC, and this system has no system bus for it (%s)",
                e->message);
    return FALSE;
  }
  g_autoptr(GVariant) pong = g_dbus_connection_call_sync(
      self->bus, RAUC_NAME, RAUC_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
      G_DBUS_CALL_FLAGS_NONE, PING_TIMEOUT_MS, NULL, &e);
  if (pong == NULL) {
    g_dbus_error_strip_remote_error(e);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "firmware updates need RAUC, and it does not answer on this system (%s)",
                e->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
has_room(ScUpdate *self, goffset length, GError **error)
{
  struct statvfs fs;
  if (g_mkdir_with_parents(self->dir, 0700) != 0 || statvfs(self->dir, &fs) != 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s: %s", self->dir,
                g_strerror(errno));
    return FALSE;
  }
  guint64 free_bytes = (guint64)fs.f_bavail * fs.f_frsize;
  if ((guint64)length > free_bytes) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                "the bundle (%" G_GOFFSET_FORMAT " MiB) does not fit in %s (%" G_GUINT64_FORMAT
                " MiB free)",
                length >> 20, self->dir, free_bytes >> 20);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_update_begin(ScUpdate *self, goffset length, GError **error)
{
  if (self->state == SC_UPDATE_RECEIVING || self->state == SC_UPDATE_INSTALLING) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                "a firmware update is already %s: wait for it to finish",
                self->state == SC_UPDATE_RECEIVING ? "being uploaded" : "installing");
    return FALSE;
  }
  if (length <= 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "send the bundle (a .raucb file) as the body");
    return FALSE;
  }
  if (!find_rauc(self, error) || !has_room(self, length, error))
    return FALSE;
  g_autoptr(GFile) file = g_file_new_for_path(self->path);
  GFileOutputStream *out =
      g_file_replace(file, NULL, FALSE, G_FILE_CREATE_PRIVATE, self->cancel, error);
  if (out == NULL)
    return FALSE;
  self->out = G_OUTPUT_STREAM(out);
  self->size = length;
  self->received = 0;
  self->progress = 0;
  g_clear_error(&self->write_error);
  g_autofree char *detail =
      g_strdup_printf("receiving a bundle of %" G_GOFFSET_FORMAT " MiB", length >> 20);
  set_state(self, SC_UPDATE_RECEIVING, detail);
  return TRUE;
}

void
sc_update_write(ScUpdate *self, GBytes *chunk)
{
  if (self->out == NULL || self->write_error)
    return;
  gsize len = 0;
  const void *data = g_bytes_get_data(chunk, &len);
  if (g_output_stream_write_all(self->out, data, len, NULL, self->cancel, &self->write_error))
    self->received += (goffset)len;
}

static void
drop_file(ScUpdate *self)
{
  g_clear_object(&self->out);
  g_unlink(self->path);
}

void
sc_update_abort(ScUpdate *self, const char *why)
{
  if (self->state != SC_UPDATE_RECEIVING)
    return;
  drop_file(self);
  set_state(self, SC_UPDATE_FAILED, why);
}

/* ---- RAUC ---- */

static void
on_progress(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
            const char *signal, GVariant *params, gpointer data)
{
  ScUpdate *self = data;
  const char *iface = NULL;
  g_autoptr(GVariant) changed = NULL;
  g_variant_get(params, "(&s@a{sv}as)", &iface, &changed, NULL);
  g_autoptr(GVariant) progress = g_variant_lookup_value(changed, "Progress", NULL);
  if (!g_str_equal(iface, RAUC_INTERFACE) || progress == NULL ||
      !g_variant_is_of_type(progress, G_VARIANT_TYPE("(isi)")) ||
      self->state != SC_UPDATE_INSTALLING)
    return;
  int percent = 0, depth = 0;
  const char *text = NULL;
  g_variant_get(progress, "(i&si)", &percent, &text, &depth);
  self->progress = percent;
  g_autofree char *detail = g_strdup_printf("%d%% %s", percent, text);
  set_state(self, SC_UPDATE_INSTALLING, detail);
}

static void
on_last_error(GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
      g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ScUpdate *self = data;
  g_autoptr(GVariant) value = NULL;
  if (reply)
    g_variant_get(reply, "(v)", &value);
  const char *why = value && g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)
                        ? g_variant_get_string(value, NULL)
                        : "RAUC gave no reason";
  g_autofree char *detail = g_strdup_printf("RAUC refused the bundle: %s", why);
  set_state(self, SC_UPDATE_FAILED, detail);
}

static void
on_completed(GDBusConnection *bus, const char *sender, const char *path, const char *interface,
             const char *signal, GVariant *params, gpointer data)
{
  ScUpdate *self = data;
  if (self->state != SC_UPDATE_INSTALLING)
    return;
  int result = -1;
  g_variant_get(params, "(i)", &result);
  unsubscribe(self);
  g_unlink(self->path);
  if (result == 0) {
    self->progress = 100;
    set_state(self, SC_UPDATE_INSTALLED,
              "installed in the other slot: the box starts it at the next boot");
    return;
  }
  g_dbus_connection_call(self->bus, RAUC_NAME, RAUC_PATH, "org.freedesktop.DBus.Properties", "Get",
                         g_variant_new("(ss)", RAUC_INTERFACE, "LastError"), G_VARIANT_TYPE("(v)"),
                         G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, self->cancel, on_last_error,
                         self);
}

static void
on_install_started(GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
      g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ScUpdate *self = data;
  if (reply != NULL)
    return; /* the outcome comes with Completed */
  unsubscribe(self);
  g_unlink(self->path);
  g_dbus_error_strip_remote_error(error);
  g_autofree char *detail =
      g_strdup_printf("RAUC did not start the installation: %s", error->message);
  set_state(self, SC_UPDATE_FAILED, detail);
}

static void
subscribe(ScUpdate *self)
{
  self->completed_sub = g_dbus_connection_signal_subscribe(
      self->bus, RAUC_NAME, RAUC_INTERFACE, "Completed", RAUC_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
      on_completed, self, NULL);
  self->progress_sub = g_dbus_connection_signal_subscribe(
      self->bus, RAUC_NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged", RAUC_PATH,
      RAUC_INTERFACE, G_DBUS_SIGNAL_FLAGS_NONE, on_progress, self, NULL);
}

static gboolean
close_upload(ScUpdate *self, GError **error)
{
  g_autoptr(GError) e = NULL;
  gboolean closed = g_output_stream_close(self->out, self->cancel, &e);
  g_clear_object(&self->out);
  if (self->write_error) {
    g_propagate_prefixed_error(error, g_steal_pointer(&self->write_error),
                               "the bundle could not be written to %s: ", self->dir);
    return FALSE;
  }
  if (!closed) {
    g_propagate_prefixed_error(error, g_steal_pointer(&e), "%s: ", self->path);
    return FALSE;
  }
  if (self->received != self->size) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                "the upload ended after %" G_GOFFSET_FORMAT " of %" G_GOFFSET_FORMAT " bytes",
                self->received, self->size);
    return FALSE;
  }
  return TRUE;
}

gboolean
sc_update_install(ScUpdate *self, GError **error)
{
  if (self->state != SC_UPDATE_RECEIVING || self->out == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no bundle is being uploaded");
    return FALSE;
  }
  if (!close_upload(self, error)) {
    g_unlink(self->path);
    set_state(self, SC_UPDATE_FAILED, (*error)->message);
    return FALSE;
  }
  subscribe(self);
  set_state(self, SC_UPDATE_INSTALLING, "0% RAUC checks the bundle's signature");
  g_dbus_connection_call(self->bus, RAUC_NAME, RAUC_PATH, RAUC_INTERFACE, "InstallBundle",
                         g_variant_new("(sa{sv})", self->path, NULL), NULL, G_DBUS_CALL_FLAGS_NONE,
                         CALL_TIMEOUT_MS, self->cancel, on_install_started, self);
  return TRUE;
}

gboolean
sc_update_reboot(ScUpdate *self, GError **error)
{
  if (self->bus == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no system bus to ask for a reboot");
    return FALSE;
  }
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
      self->bus, "org.freedesktop.login1", "/org/freedesktop/login1",
      "org.freedesktop.login1.Manager", "Reboot", g_variant_new("(b)", FALSE), NULL,
      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
  return reply != NULL;
}

ScUpdateState
sc_update_get_state(const ScUpdate *self)
{
  return self->state;
}

/* The booted slot, as the boot loader told the kernel (rauc.slot=A). */
static char *
booted_slot(void)
{
  g_autofree char *cmdline = NULL;
  if (!g_file_get_contents("/proc/cmdline", &cmdline, NULL, NULL))
    return NULL;
  g_auto(GStrv) words = g_strsplit_set(g_strstrip(cmdline), " \n", -1);
  for (guint i = 0; words[i]; i++)
    if (g_str_has_prefix(words[i], "rauc.slot="))
      return g_strdup(words[i] + 10);
  return NULL;
}

/* The running firmware's version and build, from the image's release file. */
static char *
firmware_version(void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autofree char *text = NULL, *group = NULL;
  if (!g_file_get_contents(RELEASE_FILE, &text, NULL, NULL))
    return NULL;
  group = g_strconcat("[release]\n", text, NULL);
  if (!g_key_file_load_from_data(kf, group, -1, G_KEY_FILE_NONE, NULL))
    return NULL;
  g_autofree char *version = g_key_file_get_string(kf, "release", "SHOPCAST_VERSION", NULL);
  g_autofree char *build = g_key_file_get_string(kf, "release", "SHOPCAST_BUILD", NULL);
  if (version == NULL)
    return NULL;
  return build ? g_strconcat(version, "+", build, NULL) : g_steal_pointer(&version);
}

static void
append_member(GString *s, const char *name, const char *value)
{
  g_string_append_printf(s, ",\"%s\":", name);
  if (value)
    sc_json_append_string(s, value);
  else
    g_string_append(s, "null");
}

char *
sc_update_status_json(ScUpdate *self)
{
  g_autofree char *slot = booted_slot(), *version = firmware_version();
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "{\"state\":\"%s\",\"progress\":%d", state_names[self->state],
                         self->progress);
  append_member(s, "message", self->message);
  g_string_append_printf(s, ",\"received\":%" G_GOFFSET_FORMAT ",\"size\":%" G_GOFFSET_FORMAT,
                         self->received, self->size);
  append_member(s, "slot", slot);
  append_member(s, "version", version);
  g_string_append(s, "}\n");
  return g_string_free(s, FALSE);
}
