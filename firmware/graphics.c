#define G_LOG_DOMAIN "shopcast-graphics"

#include "firmware/graphics.h"

#include "firmware/json.h"
#include "overlays/audit.h"
#include "overlays/blend.h"
#include "overlays/render.h"

/* A change of the picture on its way to the audit log. */
typedef struct {
  char *kind, *detail;
  gint64 asked_ms;          /* stream time of the request; -1: the clock's change */
  guint generation;         /* the first composition that shows it */
  gint64 shown_realtime_us; /* when a frame first showed it */
  GstClockTime shown_time;  /* that frame's running time */
} Change;

struct _ScGraphics {
  ScShow *show;
  ScPipeline *pipeline;
  ScRenderer *renderer;
  ScBlender *blender;    /* the streaming thread's */
  ScAuditLog *audit;     /* NULL: not audited; else written by @auditing's thread only */
  GThreadPool *auditing; /* one thread: appends in order, the main loop never waits for fsync */
  GMutex audit_lock;
  GCond audit_cond;
  guint audit_pending;    /* changes handed to @auditing not yet written */
  gboolean audit_failing; /* said once, not for every change (@auditing's thread) */
  GMainContext *context;
  guint tick;              /* the picture's next change by itself */
  guint redraw;            /* the show changed: drawing it is due */
  GPtrArray *asked;        /* Change*: the show's changes since the last drawing */
  gint64 ended_logged_for; /* the end instant of the flash sale whose end was audited */

  GMutex lock;                             /* the rest is shared with the streaming thread */
  GstVideoOverlayComposition *composition; /* what frames get; NULL: nothing */
  guint generation;                        /* of the composition */
  GQueue waiting;                          /* Change*: no frame has shown them yet */
  GQueue shown;                            /* Change*: shown, for the main thread */
  GSource *flush;                          /* the main thread's pending call, or NULL */
  GstClockTime last_frame;                 /* running time of the latest frame */
};

static void
change_free(gpointer data)
{
  Change *c = data;
  g_free(c->kind);
  g_free(c->detail);
  g_free(c);
}

static Change *
change_new(const char *kind, const char *detail, gint64 asked_ms)
{
  Change *c = g_new0(Change, 1);
  c->kind = g_strdup(kind);
  c->detail = g_strdup(detail);
  c->asked_ms = asked_ms;
  return c;
}

/* ---- the audit thread: append what the frames showed ---- */

static void
audit(ScGraphics *self, const Change *c)
{
  ScAuditEntry entry = {
      .realtime_us = c->shown_realtime_us,
      .stream_ms = c->shown_time / GST_MSECOND,
      .asked_stream_ms = c->asked_ms,
      .kind = c->kind,
      .detail_json = c->detail,
  };
  g_autoptr(GError) error = NULL;
  if (sc_audit_log_append(self->audit, &entry, &error)) {
    if (self->audit_failing)
      g_message("audit log writable again");
    self->audit_failing = FALSE;
    return;
  }
  /* the show goes on; the journal and the log keep what the file lost */
  if (!self->audit_failing)
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "EVENT", "audit-failed", "MESSAGE",
                     "on-air changes are not being audited: %s", error->message);
  self->audit_failing = TRUE;
  g_warning("not audited: %s %s at stream time %" G_GUINT64_FORMAT " ms", c->kind,
            c->detail ? c->detail : "{}", entry.stream_ms);
}

static void
audit_in_thread(gpointer data, gpointer user_data)
{
  ScGraphics *self = user_data;
  audit(self, data);
  change_free(data);
  g_mutex_lock(&self->audit_lock);
  self->audit_pending--;
  g_cond_broadcast(&self->audit_cond);
  g_mutex_unlock(&self->audit_lock);
}

/* ---- the main thread: hand what the frames showed to the audit thread ---- */

static gboolean
flush_shown(gpointer data)
{
  ScGraphics *self = data;
  g_mutex_lock(&self->lock);
  GQueue shown = self->shown;
  g_queue_init(&self->shown);
  if (self->flush) {
    g_source_destroy(self->flush);
    g_clear_pointer(&self->flush, g_source_unref);
  }
  g_mutex_unlock(&self->lock);
  if (self->audit == NULL) {
    g_queue_clear_full(&shown, change_free);
    return G_SOURCE_REMOVE;
  }
  g_mutex_lock(&self->audit_lock);
  self->audit_pending += shown.length;
  g_mutex_unlock(&self->audit_lock);
  for (Change *c = g_queue_pop_head(&shown); c; c = g_queue_pop_head(&shown))
    g_thread_pool_push(self->auditing, c, NULL);
  return G_SOURCE_REMOVE;
}

void
sc_graphics_sync_audit(ScGraphics *self)
{
  flush_shown(self);
  g_mutex_lock(&self->audit_lock);
  while (self->audit_pending > 0)
    g_cond_wait(&self->audit_cond, &self->audit_lock);
  g_mutex_unlock(&self->audit_lock);
}

/* ---- the streaming thread: every program frame ---- */

static void
on_frame(GstVideoFrame *frame, GstClockTime running_time, gpointer data)
{
  ScGraphics *self = data;
  g_mutex_lock(&self->lock);
  self->last_frame = running_time;
  GstVideoOverlayComposition *composition =
      self->composition ? gst_video_overlay_composition_ref(self->composition) : NULL;
  gboolean any = FALSE;
  for (Change *c = g_queue_peek_head(&self->waiting);
       c && (gint)(self->generation - c->generation) >= 0; c = g_queue_peek_head(&self->waiting)) {
    g_queue_pop_head(&self->waiting);
    c->shown_time = running_time;
    c->shown_realtime_us = g_get_real_time();
    g_queue_push_tail(&self->shown, c);
    any = TRUE;
  }
  if (any && self->flush == NULL) {
    self->flush = g_idle_source_new();
    g_source_set_priority(self->flush, G_PRIORITY_DEFAULT);
    g_source_set_callback(self->flush, flush_shown, self, NULL);
    g_source_attach(self->flush, self->context);
  }
  g_mutex_unlock(&self->lock);
  /* the composition is never changed once handed out: blend outside the lock */
  if (composition) {
    sc_blender_blend(self->blender, composition, frame);
    gst_video_overlay_composition_unref(composition);
  }
}

/* ---- the main thread: draw and publish ---- */

/* Hands the renderer's picture to the frames. @changes (taken) are audited
 * when a frame shows the new picture; dropped when the picture is as it was. */
static void
publish(ScGraphics *self, GPtrArray *changes)
{
  GstVideoOverlayComposition *composition = sc_renderer_get_composition(self->renderer);
  g_mutex_lock(&self->lock);
  gboolean changed = composition != self->composition;
  if (changed) {
    if (self->composition)
      gst_video_overlay_composition_unref(self->composition);
    self->composition = composition;
    self->generation++;
  } else if (composition) {
    gst_video_overlay_composition_unref(composition);
  }
  for (guint i = 0; changed && i < changes->len; i++) {
    Change *c = g_ptr_array_index(changes, i);
    c->generation = self->generation;
    g_queue_push_tail(&self->waiting, c);
  }
  g_mutex_unlock(&self->lock);
  for (guint i = 0; !changed && i < changes->len; i++) {
    Change *c = g_ptr_array_index(changes, i);
    g_debug("%s: nothing visible changed, not audited", c->kind);
    change_free(c);
  }
  g_ptr_array_unref(changes);
}

/* The flash sale on air has just reached its end: the picture changes by
 * itself, and that goes into the audit log too, once per end instant. */
static Change *
flash_ended(ScGraphics *self, const ScOnAir *on_air, gint64 now)
{
  if (!on_air->flash_sale || on_air->product == NULL || now < on_air->flash_end_us ||
      self->ended_logged_for == on_air->flash_end_us)
    return NULL;
  self->ended_logged_for = on_air->flash_end_us;
  g_autoptr(GString) detail = g_string_new("{\"id\":");
  sc_json_append_string(detail, on_air->product->id);
  g_string_append(detail, "}");
  return change_new("flash-ended", detail->str, -1);
}

static void render(ScGraphics *self);

static gboolean
on_tick(gpointer data)
{
  ScGraphics *self = data;
  self->tick = 0;
  render(self);
  return G_SOURCE_REMOVE;
}

/* One timeout for the renderer's next change by itself, if any. */
static void
schedule_tick(ScGraphics *self)
{
  g_clear_handle_id(&self->tick, g_source_remove);
  gint64 next = sc_renderer_next_update(self->renderer);
  if (next == G_MAXINT64)
    return;
  gint64 delay_us = MAX(next - g_get_real_time(), 0);
  guint delay_ms = (guint)MIN((delay_us + 999) / 1000, G_MAXUINT);
  self->tick = g_timeout_add_full(G_PRIORITY_HIGH, delay_ms, on_tick, self, NULL);
}

/* Draws what the show has on air now, for the changes asked since the last time. */
static void
render(ScGraphics *self)
{
  gint64 now = g_get_real_time();
  const ScOnAir *on_air = sc_show_get_on_air(self->show);
  sc_renderer_update(self->renderer, sc_show_get_file(self->show), on_air, now);
  GPtrArray *changes = g_steal_pointer(&self->asked);
  self->asked = g_ptr_array_new();
  g_clear_handle_id(&self->redraw, g_source_remove);
  Change *ended = flash_ended(self, on_air, now);
  if (ended)
    g_ptr_array_add(changes, ended);
  publish(self, changes);
  schedule_tick(self);
}

/* Where the program is now: the stream time of the latest frame that went
 * to the encoder, in ms; -1 before the first. A change shown on the very
 * next frame is one frame period after it. */
static gint64
stream_ms_now(ScGraphics *self)
{
  g_mutex_lock(&self->lock);
  GstClockTime t = self->last_frame;
  g_mutex_unlock(&self->lock);
  return GST_CLOCK_TIME_IS_VALID(t) ? (gint64)(t / GST_MSECOND) : -1;
}

static gboolean
on_redraw(gpointer data)
{
  ScGraphics *self = data;
  self->redraw = 0;
  render(self);
  return G_SOURCE_REMOVE;
}

/* The show's state has changed already; the drawing follows at once, on the
 * main loop's next turn, so the action that asked is not kept waiting for
 * Pango and cairo, and changes asked together are drawn once. */
void
sc_graphics_changed(ScGraphics *self, const char *what, const char *detail)
{
  g_ptr_array_add(self->asked, change_new(what, detail, stream_ms_now(self)));
  if (self->redraw == 0)
    self->redraw = g_idle_add_full(G_PRIORITY_HIGH, on_redraw, self, NULL);
}

ScGraphics *
sc_graphics_new(ScShow *show, ScPipeline *pipeline, guint width, guint height,
                const char *audit_path, GError **error)
{
  g_autoptr(ScAuditLog) audit = NULL;
  if (audit_path && (audit = sc_audit_log_open(audit_path, error)) == NULL)
    return NULL;
  ScGraphics *self = g_new0(ScGraphics, 1);
  self->show = show;
  self->pipeline = pipeline;
  self->renderer = sc_renderer_new(width, height, NULL);
  self->blender = sc_blender_new();
  self->audit = g_steal_pointer(&audit);
  g_mutex_init(&self->audit_lock);
  g_cond_init(&self->audit_cond);
  if (self->audit)
    self->auditing = g_thread_pool_new(audit_in_thread, self, 1, FALSE, NULL);
  self->context = g_main_context_ref_thread_default();
  self->last_frame = GST_CLOCK_TIME_NONE;
  g_mutex_init(&self->lock);
  g_queue_init(&self->waiting);
  g_queue_init(&self->shown);
  self->asked = g_ptr_array_new();
  render(self); /* what the show has on air from the start */
  sc_pipeline_set_overlay(pipeline, on_frame, self);
  return self;
}

void
sc_graphics_free(ScGraphics *self)
{
  if (self == NULL)
    return;
  sc_pipeline_set_overlay(self->pipeline, NULL, NULL); /* waits for a frame in progress */
  g_clear_handle_id(&self->tick, g_source_remove);
  g_clear_handle_id(&self->redraw, g_source_remove);
  g_ptr_array_set_free_func(self->asked, change_free); /* asked, never drawn: never on air */
  g_ptr_array_unref(self->asked);
  /* what frames showed is still audited; what none showed never reached air */
  sc_graphics_sync_audit(self);
  if (self->auditing)
    g_thread_pool_free(self->auditing, FALSE, TRUE);
  g_mutex_clear(&self->audit_lock);
  g_cond_clear(&self->audit_cond);
  g_queue_clear_full(&self->waiting, change_free);
  if (self->composition)
    gst_video_overlay_composition_unref(self->composition);
  g_mutex_clear(&self->lock);
  sc_renderer_free(self->renderer);
  sc_blender_free(self->blender);
  sc_audit_log_close(self->audit);
  g_main_context_unref(self->context);
  g_free(self);
}
