#define G_LOG_DOMAIN "shopcast-failover"

#include "firmware/failover.h"

#include "drivers/uplink.h"
#include "pipeline/rtmp.h"

struct _ScFailover {
  ScUplinkManager *uplinks;
  ScEventLog *events;
  GPtrArray *outputs; /* ScOutput*, borrowed */
  int chosen;         /* the uplink the pushes are on; -1: none usable */
};

static const char *
interface_of(ScFailover *self, int index)
{
  return index < 0 ? NULL : sc_uplink_manager_get_interface(self->uplinks, (guint)index);
}

/* The chosen uplink changed: move every push. The move is abrupt when the
 * uplink left is no longer healthy (its connections are dead or dying), and
 * planned when it is (a fail-back after the hold time). */
static void
apply_choice(ScFailover *self, int chosen)
{
  int old = self->chosen;
  self->chosen = chosen;
  if (chosen < 0)
    return; /* nowhere better to go: the pushes keep retrying where they are */
  gboolean path_failed =
      old >= 0 && sc_uplink_manager_get_state(self->uplinks, (guint)old) != SC_UPLINK_HEALTHY;
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *output = g_ptr_array_index(self->outputs, i);
    sc_output_set_interface(output, interface_of(self, chosen), path_failed);
    /* back from no usable uplink at all: what waits or hangs on a dead path tries again now */
    if (old < 0 && sc_output_get_state(output) != SC_OUTPUT_STATE_LIVE)
      sc_output_reconnect_now(output);
  }
}

static void
on_uplink_event(const ScUplinkEvent *event, gpointer data)
{
  ScFailover *self = data;
  if (event->index == G_MAXUINT) {
    int chosen = sc_uplink_manager_choose(self->uplinks);
    sc_event_log_add(self->events, event->realtime_us, TRUE, "uplink-choice",
                     chosen >= 0 ? sc_uplink_manager_get_name(self->uplinks, (guint)chosen)
                                 : "none",
                     chosen >= 0 ? "chosen" : "none usable", event->reason);
    apply_choice(self, chosen);
    return;
  }
  gboolean bad = event->new_state == SC_UPLINK_DOWN || event->new_state == SC_UPLINK_FAILED ||
                 event->new_state == SC_UPLINK_DRILL;
  sc_event_log_add(self->events, event->realtime_us, bad, "uplink",
                   sc_uplink_manager_get_name(self->uplinks, event->index),
                   sc_uplink_state_name(event->new_state), event->reason);
}

ScFailover *
sc_failover_new(const ScConfig *config, ScEventLog *events, GError **error)
{
  g_autoptr(ScFailover) self = g_new0(ScFailover, 1);
  self->events = events;
  self->outputs = g_ptr_array_new();
  self->chosen = -1;
  guint n = config->uplinks->len;
  if (n == 0)
    return g_steal_pointer(&self);
  g_autofree ScUplinkSpec *specs = g_new0(ScUplinkSpec, n);
  for (guint i = 0; i < n; i++) {
    const ScUplinkConfig *u = g_ptr_array_index(config->uplinks, i);
    specs[i] = (ScUplinkSpec){.name = u->name,
                              .interface = u->interface,
                              .probe_hosts = (const char *const *)u->probe_hosts,
                              .probe_interval_ms = u->probe_interval_ms,
                              .fail_after_ms = u->fail_after_ms};
  }
  /* hold-time 0: fail back at once (the manager reads 0 as its default) */
  self->uplinks = sc_uplink_manager_new(specs, n, MAX(config->hold_time_s * 1000, 1), NULL,
                                        on_uplink_event, self, error);
  if (self->uplinks == NULL)
    return NULL;
  self->chosen = sc_uplink_manager_choose(self->uplinks);
  return g_steal_pointer(&self);
}

void
sc_failover_free(ScFailover *self)
{
  if (self == NULL)
    return;
  g_clear_pointer(&self->uplinks, sc_uplink_manager_free);
  g_ptr_array_unref(self->outputs);
  g_free(self);
}

const char *
sc_failover_get_interface(ScFailover *self)
{
  return self->uplinks ? interface_of(self, self->chosen) : NULL;
}

void
sc_failover_add_output(ScFailover *self, ScOutput *output)
{
  g_ptr_array_add(self->outputs, output);
}

void
sc_failover_remove_output(ScFailover *self, ScOutput *output)
{
  g_ptr_array_remove(self->outputs, output);
}

gboolean
sc_failover_on_backup(ScFailover *self)
{
  return self->uplinks && self->chosen != 0; /* -1: no uplink usable */
}

/* The index of the uplink whose interface is @interface, or -1. */
static int
uplink_of_interface(ScFailover *self, const char *interface)
{
  guint n = self->uplinks && interface ? sc_uplink_manager_get_count(self->uplinks) : 0;
  for (guint i = 0; i < n; i++)
    if (g_str_equal(sc_uplink_manager_get_interface(self->uplinks, i), interface))
      return (int)i;
  return -1;
}

void
sc_failover_output_state(ScFailover *self, ScOutput *output, const ScOutputReport *report)
{
  /* only a stall says something about the path; a refusal or a reset is the ingest's */
  if (report->state != SC_OUTPUT_STATE_RETRYING ||
      !g_error_matches(report->reason, SC_RTMP_ERROR, SC_RTMP_ERROR_TIMEOUT))
    return;
  int index = uplink_of_interface(self, report->interface);
  if (index < 0)
    return;
  g_autofree char *what = g_strdup_printf("destination %s stalled: %s", sc_output_get_name(output),
                                          report->reason->message);
  sc_uplink_manager_report_stall(self->uplinks, (guint)index, what);
}

gboolean
sc_failover_drill(ScFailover *self, const char *name, guint seconds, GError **error)
{
  guint n = self->uplinks ? sc_uplink_manager_get_count(self->uplinks) : 0;
  for (guint i = 0; i < n; i++) {
    if (!g_str_equal(sc_uplink_manager_get_name(self->uplinks, i), name))
      continue;
    g_autofree char *what =
        seconds ? g_strdup_printf("uplink %s counts as failed for %u s", name, seconds)
                : g_strdup_printf("drill on uplink %s ended", name);
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "drill", name,
                     seconds ? "started" : "ended", what);
    sc_uplink_manager_drill(self->uplinks, i, seconds);
    return TRUE;
  }
  GString *known = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(known, "%s%s", i ? ", " : "",
                           sc_uplink_manager_get_name(self->uplinks, i));
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no uplink named '%s' (configured: %s)",
              name, n ? known->str : "none; add [uplink NAME] groups to the config");
  g_string_free(known, TRUE);
  return FALSE;
}

void
sc_failover_preflight(ScFailover *self, ScPreflight *p)
{
  guint n = self->uplinks ? sc_uplink_manager_get_count(self->uplinks) : 0;
  for (guint i = 0; i < n; i++) {
    g_autofree char *what =
        g_strdup_printf("uplink %s", sc_uplink_manager_get_name(self->uplinks, i));
    ScUplinkState state = sc_uplink_manager_get_state(self->uplinks, i);
    sc_preflight_add(p, what, state == SC_UPLINK_HEALTHY, "%s on %s%s", sc_uplink_state_name(state),
                     sc_uplink_manager_get_interface(self->uplinks, i),
                     (int)i == self->chosen ? " (in use)" : "");
  }
}

char *
sc_failover_status_json_lines(ScFailover *self)
{
  GString *out = g_string_new(NULL);
  guint n = self->uplinks ? sc_uplink_manager_get_count(self->uplinks) : 0;
  for (guint i = 0; i < n; i++) {
    g_string_append(out, "{\"uplink\":");
    sc_json_append_string(out, sc_uplink_manager_get_name(self->uplinks, i));
    g_string_append(out, ",\"interface\":");
    sc_json_append_string(out, sc_uplink_manager_get_interface(self->uplinks, i));
    g_string_append(out, ",\"state\":");
    sc_json_append_string(out, sc_uplink_state_name(sc_uplink_manager_get_state(self->uplinks, i)));
    gint64 rtt = sc_uplink_manager_get_rtt_us(self->uplinks, i);
    if (rtt >= 0)
      g_string_append_printf(out, ",\"rtt_ms\":%.1f", rtt / 1000.0);
    else
      g_string_append(out, ",\"rtt_ms\":null");
    g_string_append_printf(out, ",\"chosen\":%s}\n", (int)i == self->chosen ? "true" : "false");
  }
  return g_string_free(out, FALSE);
}
