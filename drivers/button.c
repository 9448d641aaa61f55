#include "drivers/button.h"

struct _ScButton {
  ScButtonTiming timing;
  ScButtonFunc func;
  gpointer user_data;
  gboolean raw;      /* the level last seen on the wire */
  gint64 raw_since;  /* when it changed to that */
  gboolean down;     /* the debounced level */
  gint64 pressed_at; /* when the debounced press began */
  gboolean long_reported;
};

ScButton *
sc_button_new(const ScButtonTiming *timing, ScButtonFunc func, gpointer user_data)
{
  g_return_val_if_fail(timing->long_press_ms > 0, NULL);
  ScButton *b = g_new0(ScButton, 1);
  b->timing = *timing;
  b->func = func;
  b->user_data = user_data;
  return b;
}

void
sc_button_free(ScButton *button)
{
  g_free(button);
}

static gint64
settle_time(ScButton *b)
{
  return b->raw != b->down ? b->raw_since + (gint64)b->timing.debounce_ms * 1000 : -1;
}

static gint64
long_time(ScButton *b)
{
  return b->down && !b->long_reported ? b->pressed_at + (gint64)b->timing.long_press_ms * 1000 : -1;
}

static void
settle(ScButton *b, gint64 at)
{
  b->down = b->raw;
  if (b->down) {
    b->pressed_at = at;
    b->long_reported = FALSE;
    b->func(b, SC_BUTTON_PRESS, at, b->user_data);
    return;
  }
  if (!b->long_reported)
    b->func(b, SC_BUTTON_SHORT, at, b->user_data);
  b->func(b, SC_BUTTON_RELEASE, at, b->user_data);
}

void
sc_button_tick(ScButton *b, gint64 now_us)
{
  /* at most a settle and a long press are due: report them in time order */
  for (guint i = 0; i < 3; i++) {
    gint64 s = settle_time(b), l = long_time(b);
    if (l >= 0 && l <= now_us && (s < 0 || l <= s)) {
      b->long_reported = TRUE;
      b->func(b, SC_BUTTON_LONG, l, b->user_data);
    } else if (s >= 0 && s <= now_us) {
      settle(b, s);
    } else {
      return;
    }
  }
}

void
sc_button_edge(ScButton *b, gboolean down, gint64 at_us)
{
  sc_button_tick(b, at_us); /* what settled before this edge comes first */
  down = !!down;
  if (down == b->raw)
    return;
  b->raw = down;
  b->raw_since = at_us;
  if (b->timing.debounce_ms == 0)
    settle(b, at_us);
}

gint64
sc_button_deadline(ScButton *b)
{
  gint64 s = settle_time(b), l = long_time(b);
  if (s < 0)
    return l;
  if (l < 0)
    return s;
  return MIN(s, l);
}

gboolean
sc_button_is_down(ScButton *b)
{
  return b->down;
}

const char *
sc_button_event_name(ScButtonEvent event)
{
  switch (event) {
  case SC_BUTTON_PRESS:
    return "press";
  case SC_BUTTON_SHORT:
    return "short";
  case SC_BUTTON_LONG:
    return "long";
  case SC_BUTTON_RELEASE:
    return "release";
  }
  return "?";
}
