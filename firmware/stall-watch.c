/* stall-watch.c - notices when the program stops moving. */
#include "firmware/stall-watch.h"

#define LOOK_MS 250

struct _ScStallWatch {
  guint stall_ms;
  ScStallCountFunc count;
  ScStallFunc on_stall;
  gpointer user_data;
  guint timer;
  gboolean armed;
  guint64 last;    /* the counter at its last move */
  gint64 moved_us; /* monotonic time of that move (or of arming) */
  guint stalls;
};

static void
restart_clock(ScStallWatch *self)
{
  self->last = self->count(self->user_data);
  self->moved_us = g_get_monotonic_time();
}

static gboolean
look(gpointer data)
{
  ScStallWatch *self = data;
  if (!self->armed)
    return G_SOURCE_CONTINUE;
  guint64 now_count = self->count(self->user_data);
  gint64 now = g_get_monotonic_time();
  if (now_count != self->last) {
    self->last = now_count;
    self->moved_us = now;
    return G_SOURCE_CONTINUE;
  }
  guint stalled_ms = (guint)((now - self->moved_us) / 1000);
  if (stalled_ms < self->stall_ms)
    return G_SOURCE_CONTINUE;
  self->stalls++;
  self->moved_us = now; /* the remedy gets as long again */
  self->on_stall(stalled_ms, self->user_data);
  return G_SOURCE_CONTINUE;
}

ScStallWatch *
sc_stall_watch_new(guint stall_ms, ScStallCountFunc count, ScStallFunc on_stall, gpointer user_data)
{
  ScStallWatch *self = g_new0(ScStallWatch, 1);
  self->stall_ms = stall_ms;
  self->count = count;
  self->on_stall = on_stall;
  self->user_data = user_data;
  self->timer = g_timeout_add(LOOK_MS, look, self);
  return self;
}

void
sc_stall_watch_free(ScStallWatch *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->timer, g_source_remove);
  g_free(self);
}

void
sc_stall_watch_arm(ScStallWatch *self, gboolean armed)
{
  if (armed && !self->armed)
    restart_clock(self);
  self->armed = armed;
}

guint
sc_stall_watch_get_stalls(ScStallWatch *self)
{
  return self->stalls;
}
