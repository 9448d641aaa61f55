#define G_LOG_DOMAIN "shopcast-events"

#include "firmware/events.h"

typedef struct {
  gint64 realtime_us;
  char *kind, *subject, *state, *detail;
} Event;

struct _ScEventLog {
  Event *ring;
  guint capacity, count, next; /* next: where the next event goes */
  guint64 total;
};

static void
event_clear(Event *e)
{
  g_free(e->kind);
  g_free(e->subject);
  g_free(e->state);
  g_free(e->detail);
  *e = (Event){0};
}

ScEventLog *
sc_event_log_new(guint capacity)
{
  ScEventLog *self = g_new0(ScEventLog, 1);
  self->capacity = MAX(capacity, 1);
  self->ring = g_new0(Event, self->capacity);
  return self;
}

void
sc_event_log_free(ScEventLog *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->capacity; i++)
    event_clear(&self->ring[i]);
  g_free(self->ring);
  g_free(self);
}

void
sc_event_log_add(ScEventLog *self, gint64 realtime_us, gboolean warning, const char *kind,
                 const char *subject, const char *state, const char *detail)
{
  Event *e = &self->ring[self->next];
  event_clear(e);
  e->realtime_us = realtime_us;
  e->kind = g_strdup(kind);
  e->subject = g_strdup(subject);
  e->state = g_strdup(state);
  e->detail = g_strdup(detail);
  self->next = (self->next + 1) % self->capacity;
  self->count = MIN(self->count + 1, self->capacity);
  self->total++;
  /* "destination douyin: live", with the why in its own field */
  const char *noun = g_str_equal(kind, "output") ? "destination" : kind;
  g_log_structured(G_LOG_DOMAIN, warning ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO, "EVENT", kind,
                   "SUBJECT", subject, "STATE", state, "DETAIL", detail ? detail : "", "MESSAGE",
                   "%s %s: %s", noun, subject, state);
}

guint
sc_event_log_get_count(ScEventLog *self)
{
  return self->count;
}

guint64
sc_event_log_get_total(ScEventLog *self)
{
  return self->total;
}

static void
append_event(GString *out, const Event *e)
{
  g_autoptr(GDateTime) whole = g_date_time_new_from_unix_utc(e->realtime_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) t = whole ? g_date_time_add(whole, e->realtime_us % G_USEC_PER_SEC) : NULL;
  g_autofree char *ts = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("");
  g_string_append(out, "{\"ts\":");
  sc_json_append_string(out, ts);
  g_string_append(out, ",\"kind\":");
  sc_json_append_string(out, e->kind);
  g_string_append(out, ",\"subject\":");
  sc_json_append_string(out, e->subject);
  g_string_append(out, ",\"state\":");
  sc_json_append_string(out, e->state);
  if (e->detail) {
    g_string_append(out, ",\"detail\":");
    sc_json_append_string(out, e->detail);
  }
  g_string_append(out, "}\n");
}

char *
sc_event_log_to_json_lines(ScEventLog *self, guint max)
{
  guint n = max == 0 ? self->count : MIN(max, self->count);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++) {
    guint index = (self->next + self->capacity - n + i) % self->capacity;
    append_event(out, &self->ring[index]);
  }
  return g_string_free(out, FALSE);
}
