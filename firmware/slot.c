/* slot.c - systemd's watchdog and RAUC's mark-good. */
#define G_LOG_DOMAIN "shopcast-slot"

#include "firmware/slot.h"

#include <gio/gio.h>
#include <systemd/sd-daemon.h>

#define RAUC_NAME       "de.pengutronix.rauc"
#define RAUC_PATH       "/"
#define RAUC_INTERFACE  "de.pengutronix.rauc.Installer"
#define MARK_TIMEOUT_MS 30000

struct _ScSlot {
  guint healthy_s, healthy_for;
  ScSlotHealthFunc health;
  gpointer user_data;
  guint watchdog_timer, health_timer;
  GCancellable *cancel;
  gboolean marking, marked;
};

static gboolean
on_watchdog(gpointer data)
{
  sd_notify(0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static void
on_marked(GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
      g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ScSlot *self = data;
  self->marking = FALSE;
  if (error && g_dbus_error_is_remote_error(error)) {
    g_autofree char *name = g_dbus_error_get_remote_error(error);
    if (g_strcmp0(name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
        g_strcmp0(name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0) {
      g_info("RAUC is not installed on this system: the firmware slot is not marked");
      self->marked = TRUE; /* nothing to mark */
      return;
    }
  }
  if (reply == NULL) {
    g_warning("RAUC did not mark the booted slot good (trying again): %s", error->message);
    self->healthy_for = 0;
    return;
  }
  const char *slot = NULL, *message = NULL;
  g_variant_get(reply, "(&s&s)", &slot, &message);
  self->marked = TRUE;
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "slot-good", "SLOT", slot, "MESSAGE",
                   "the box is healthy: slot %s marked good (%s)", slot, message);
}

static void
mark_good(ScSlot *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus == NULL) {
    g_info("no system bus, so no RAUC: the firmware slot is not marked (%s)", error->message);
    self->marked = TRUE; /* nothing to mark on this machine */
    return;
  }
  self->marking = TRUE;
  g_dbus_connection_call(bus, RAUC_NAME, RAUC_PATH, RAUC_INTERFACE, "Mark",
                         g_variant_new("(ss)", "good", "booted"), G_VARIANT_TYPE("(ss)"),
                         G_DBUS_CALL_FLAGS_NONE, MARK_TIMEOUT_MS, self->cancel, on_marked, self);
}

static gboolean
on_health(gpointer data)
{
  ScSlot *self = data;
  if (self->marked)
    return G_SOURCE_REMOVE;
  if (self->marking)
    return G_SOURCE_CONTINUE;
  self->healthy_for = self->health(self->user_data) ? self->healthy_for + 1 : 0;
  if (self->healthy_for >= self->healthy_s)
    mark_good(self);
  return G_SOURCE_CONTINUE;
}

ScSlot *
sc_slot_new(guint healthy_s, ScSlotHealthFunc health, gpointer user_data)
{
  ScSlot *self = g_new0(ScSlot, 1);
  self->healthy_s = healthy_s;
  self->health = health;
  self->user_data = user_data;
  self->cancel = g_cancellable_new();
  guint64 usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    self->watchdog_timer = g_timeout_add((guint)(usec / 2000), on_watchdog, self);
  self->health_timer = g_timeout_add_seconds(1, on_health, self);
  return self;
}

void
sc_slot_free(ScSlot *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel(self->cancel);
  g_object_unref(self->cancel);
  g_clear_handle_id(&self->watchdog_timer, g_source_remove);
  g_clear_handle_id(&self->health_timer, g_source_remove);
  g_free(self);
}

gboolean
sc_slot_is_marked(const ScSlot *self)
{
  return self->marked;
}
