#define G_LOG_DOMAIN "shopcast-events"

#include "firmware/events.h"

#include <string.h>

/* Each event lives in a slot of its own of EVENT_BYTES, taken when the
 * journal is made: the ring's memory is all taken, and touched, at start, so
 * the journal weighs the same in the first minute of a show as in its tenth
 * hour, when it has long been full. Kind, subject and state keep up to
 * FIELD_MAX bytes each, the detail what is left of the slot; what does not fit
 * is cut at a character and ends with an ellipsis (the log line, written as
 * the event comes, keeps it whole). */
#define EVENT_BYTES 512
#define FIELD_MAX   64
#define ELLIPSIS    "…"

typedef struct {
  gint64 realtime_us;
  guint16 subject, state, detail; /* where each starts in text; detail 0: none */
  char text[EVENT_BYTES - sizeof(gint64) - 3 * sizeof(guint16)]; /* kind first */
} Event;

G_STATIC_ASSERT(sizeof(Event) == EVENT_BYTES);
G_STATIC_ASSERT(3 * (FIELD_MAX + 1) < sizeof(((Event *)NULL)->text) / 2); /* half for the detail */
G_STATIC_ASSERT(FIELD_MAX > sizeof ELLIPSIS);

struct _ScEventLog {
  Event *ring;
  guint capacity, count, next; /* next: where the next event goes */
  guint64 total;
};

ScEventLog *
sc_event_log_new(guint capacity)
{
  ScEventLog *self = g_new0(ScEventLog, 1);
  self->capacity = MAX(capacity, 1);
  self->ring = g_new(Event, self->capacity);
  for (guint i = 0; i < self->capacity; i++) /* every page of the ring written once */
    self->ring[i] = (Event){0};
  return self;
}

void
sc_event_log_free(ScEventLog *self)
{
  if (self == NULL)
    return;
  g_free(self->ring);
  g_free(self);
}

/* Writes @s at *@at in @e's text, at most @max bytes of it (cut at a character,
 * with an ellipsis, when longer), with its NUL; moves *@at past it and gives
 * where it starts. The slot always has room for FIELD_MAX bytes more. */
static guint16
put(Event *e, gsize *at, const char *s, gsize max)
{
  gsize start = *at, room = MIN(max, sizeof e->text - 1 - start), len = strlen(s);
  char *to = e->text + start;
  if (len <= room) {
    memcpy(to, s, len);
  } else {
    gsize keep = room - strlen(ELLIPSIS);
    while (keep > 0 && (s[keep] & 0xC0) == 0x80) /* not inside a character */
      keep--;
    memcpy(to, s, keep);
    memcpy(to + keep, ELLIPSIS, strlen(ELLIPSIS));
    len = keep + strlen(ELLIPSIS);
  }
  to[len] = '\0';
  *at = start + len + 1;
  return (guint16)start;
}

void
sc_event_log_add(ScEventLog *self, gint64 realtime_us, gboolean warning, const char *kind,
                 const char *subject, const char *state, const char *detail)
{
  Event *e = &self->ring[self->next];
  gsize at = 0;
  e->realtime_us = realtime_us;
  put(e, &at, kind, FIELD_MAX);
  e->subject = put(e, &at, subject, FIELD_MAX);
  e->state = put(e, &at, state, FIELD_MAX);
  e->detail = detail ? put(e, &at, detail, G_MAXSIZE) : 0;
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
  sc_json_append_string(out, e->text);
  g_string_append(out, ",\"subject\":");
  sc_json_append_string(out, e->text + e->subject);
  g_string_append(out, ",\"state\":");
  sc_json_append_string(out, e->text + e->state);
  if (e->detail) {
    g_string_append(out, ",\"detail\":");
    sc_json_append_string(out, e->text + e->detail);
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
