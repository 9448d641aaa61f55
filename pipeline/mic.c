#define G_LOG_DOMAIN "shopcast-audio"

#include "pipeline/mic.h"

#include "pipeline/bin.h"

G_DEFINE_QUARK(sc - mic - error - quark, sc_mic_error)

#define WATCH_INTERVAL_MS 50
#define BRANCH_NAME       "mic-branch"

/* Marks every element of every mic branch built with the branch's number, so
 * that an error from one taken out (its last words, still on the bus, from an
 * element its freed bin no longer holds) is told apart from the current
 * branch's and from the rest of the program's. */
static GQuark
branch_mark_quark(void)
{
  static GQuark q;
  if (q == 0)
    q = g_quark_from_static_string("sc-mic-branch");
  return q;
}

struct _ScMic {
  GstElement *pipeline, *mixer; /* borrowed */
  char *text;                   /* the branch, for gst_parse_bin_from_description */
  char *description;
  ScMicEventFunc on_event;
  gpointer user_data;
  double volume;
  gboolean mute;

  GstElement *bin; /* the branch in the program; NULL while out */
  GstElement *volume_element, *level;
  GstPad *mixer_pad;
  ScMicState state;
  gint64 since_us;
  char *reason;
  gint drill; /* atomic ScMicDrill: read by the stall probe */
  gboolean running;
  guint watch_timer, retry_timer;
  guint backoff_ms;
  gint64 opened_us;
  guint64 losses, attempts;
  GPtrArray *closers; /* GThread*: branches being set to NULL */
  guint branches;     /* the number of the last branch built (its elements' mark):
                       * the one in the program, while there is one */

  GMutex lock; /* between the branch's probe and the main thread */
  gint64 last_us;
  guint64 buffers;
};

static void schedule_retry(ScMic *self);

const char *
sc_mic_state_name(ScMicState state)
{
  static const char *const names[] = {"starting", "live", "lost"};
  return state <= SC_MIC_STATE_LOST ? names[state] : "?";
}

const char *
sc_mic_drill_name(ScMicDrill drill)
{
  static const char *const names[] = {NULL, "off", "stall"};
  return drill <= SC_MIC_DRILL_STALL ? names[drill] : NULL;
}

static void
emit(ScMic *self, const char *state, const char *detail, gboolean warning)
{
  if (self->on_event)
    self->on_event(state, detail, warning, self->user_data);
}

/* The one place the mic's state changes: reported once per change. */
static void
set_state(ScMic *self, ScMicState state, const char *detail)
{
  if (state == SC_MIC_STATE_LOST) {
    g_free(self->reason);
    self->reason = g_strdup(detail);
  }
  if (self->state == state)
    return;
  ScMicState before = self->state;
  self->state = state;
  self->since_us = g_get_real_time();
  if (state == SC_MIC_STATE_LOST) {
    self->losses++;
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "EVENT", "mic-lost", "MESSAGE",
                     "audio mic lost: %s (silence on air until it is back)", detail);
    emit(self, "lost", detail, TRUE);
  } else if (state == SC_MIC_STATE_LIVE) {
    gboolean back = before == SC_MIC_STATE_LOST;
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", back ? "mic-back" : "mic-opened",
                     "MESSAGE", "audio mic %s: %s", back ? "back" : "opened", detail);
    emit(self, back ? "back" : "opened", detail, FALSE);
  }
}

/* ---- the branch ---- */

static GstPadProbeReturn
on_branch_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ScMic *self = data;
  g_mutex_lock(&self->lock);
  self->last_us = g_get_monotonic_time();
  self->buffers++;
  g_mutex_unlock(&self->lock);
  return GST_PAD_PROBE_OK;
}

/* The stall drill: the source runs, nothing leaves it. */
static GstPadProbeReturn
on_source_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  ScMic *self = data;
  return g_atomic_int_get(&self->drill) == SC_MIC_DRILL_STALL ? GST_PAD_PROBE_DROP
                                                              : GST_PAD_PROBE_OK;
}

static GstElement *
build_branch(ScMic *self, GError **error)
{
  g_autoptr(GError) local = NULL;
  GstElement *bin = gst_parse_bin_from_description_full(self->text, TRUE, NULL,
                                                        GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (bin == NULL) {
    g_set_error(error, SC_MIC_ERROR, SC_MIC_ERROR_FRAGMENT, "audio source: %s", local->message);
    return NULL;
  }
  gst_object_ref_sink(bin);
  gst_element_set_name(bin, BRANCH_NAME);
  gpointer mark = GUINT_TO_POINTER(++self->branches);
  g_object_set_qdata(G_OBJECT(bin), branch_mark_quark(), mark);
  g_autoptr(GstIterator) it = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    g_object_set_qdata(g_value_get_object(&item), branch_mark_quark(), mark);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  return bin;
}

static gpointer
close_thread(gpointer data)
{
  GstElement *bin = data;
  gst_element_set_state(bin, GST_STATE_NULL);
  gst_object_unref(bin);
  return NULL;
}

static void
join_closers(ScMic *self)
{
  while (self->closers->len > 0)
    g_thread_join(g_ptr_array_steal_index(self->closers, 0));
}

/* Takes the branch out: its mixer pad is released first (a streaming thread
 * waiting in the mixer returns at once), then it leaves the program, and it
 * is set to NULL on a thread of its own: a hung driver blocks that thread,
 * never the main loop. */
static void
branch_close(ScMic *self)
{
  if (self->bin == NULL)
    return;
  if (self->mixer_pad) {
    gst_element_release_request_pad(self->mixer, self->mixer_pad);
    gst_clear_object(&self->mixer_pad);
  }
  gst_clear_object(&self->volume_element);
  gst_clear_object(&self->level);
  GstElement *bin = g_steal_pointer(&self->bin);
  gst_bin_remove(GST_BIN(self->pipeline), bin); /* our reference keeps it */
  g_ptr_array_add(self->closers, g_thread_new("mic-close", close_thread, bin));
  if (self->closers->len > 8) /* bounded: an old closer that hangs is waited for here */
    g_thread_join(g_ptr_array_steal_index(self->closers, 0));
}

static gboolean
branch_link(ScMic *self, GError **error)
{
  self->volume_element = gst_bin_get_by_name(GST_BIN(self->bin), "mic-volume");
  self->level = gst_bin_get_by_name(GST_BIN(self->bin), "mic-level");
  g_autoptr(GstElement) convert = gst_bin_get_by_name(GST_BIN(self->bin), "mic-convert");
  g_autoptr(GstPad) in = gst_element_get_static_pad(convert, "sink");
  g_autoptr(GstPad) out = gst_element_get_static_pad(self->bin, "src");
  gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                    on_source_buffer, self, NULL);
  gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                    on_branch_buffer, self, NULL);
  g_object_set(self->volume_element, "volume", self->volume, "mute", self->mute, NULL);
  /* not floating: the pipeline takes a reference of its own, ours stays ours */
  gst_bin_add(GST_BIN(self->pipeline), self->bin);
  self->mixer_pad = gst_element_request_pad_simple(self->mixer, "sink_%u");
  if (self->mixer_pad == NULL || gst_pad_link(out, self->mixer_pad) != GST_PAD_LINK_OK) {
    g_set_error(error, SC_MIC_ERROR, SC_MIC_ERROR_FRAGMENT, "cannot be linked to the mixer");
    return FALSE;
  }
  return TRUE;
}

static gboolean
branch_open(ScMic *self, GError **error)
{
  self->attempts++;
  if (g_atomic_int_get(&self->drill) == SC_MIC_DRILL_OFF) {
    g_set_error(error, SC_MIC_ERROR, SC_MIC_ERROR_DEVICE,
                "Could not open the mic (drill: unplugged)");
    return FALSE;
  }
  self->bin = build_branch(self, error);
  if (self->bin == NULL)
    return FALSE;
  g_mutex_lock(&self->lock);
  self->last_us = 0;
  g_mutex_unlock(&self->lock);
  self->opened_us = g_get_monotonic_time();
  if (!branch_link(self, error)) {
    branch_close(self);
    return FALSE;
  }
  /* the source's own ERROR, if it has one, arrives on the bus and is ignored
   * there: this branch is gone by then */
  if (!gst_element_sync_state_with_parent(self->bin)) {
    branch_close(self);
    g_set_error(error, SC_MIC_ERROR, SC_MIC_ERROR_DEVICE, "the audio source does not start");
    return FALSE;
  }
  return TRUE;
}

static void
mic_failed(ScMic *self, const char *why)
{
  branch_close(self);
  set_state(self, SC_MIC_STATE_LOST, why);
  schedule_retry(self);
}

static gboolean
on_retry(gpointer data)
{
  ScMic *self = data;
  self->retry_timer = 0;
  g_autoptr(GError) error = NULL;
  if (branch_open(self, &error))
    return G_SOURCE_REMOVE;
  g_debug("audio mic: %s", error->message);
  mic_failed(self, error->message);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(ScMic *self)
{
  if (!self->running || self->retry_timer)
    return;
  self->backoff_ms =
      self->backoff_ms ? MIN(self->backoff_ms * 2, SC_MIC_RETRY_MAX_MS) : SC_MIC_RETRY_MS;
  self->retry_timer = g_timeout_add(self->backoff_ms, on_retry, self);
}

/* ---- the watch: audio seen, audio missing ---- */

static gboolean
on_watch(gpointer data)
{
  ScMic *self = data;
  if (self->bin == NULL)
    return G_SOURCE_CONTINUE;
  gint64 now = g_get_monotonic_time();
  g_mutex_lock(&self->lock);
  gint64 last = self->last_us;
  g_mutex_unlock(&self->lock);
  gint64 timeout_us = SC_MIC_TIMEOUT_MS * 1000;
  if (last && now - last < timeout_us) {
    if (self->state != SC_MIC_STATE_LIVE) {
      self->backoff_ms = 0;
      set_state(self, SC_MIC_STATE_LIVE, "audio flowing into the program");
    }
  } else if (now - MAX(last, self->opened_us) >= timeout_us) {
    mic_failed(self, last ? "no audio from the mic for 500 ms (stalled)"
                          : "no audio from the mic within 500 ms of opening it");
  }
  return G_SOURCE_CONTINUE;
}

/* ---- messages ---- */

/* The number of the branch @object belongs to; 0: none. */
static guint
branch_of(GstObject *object)
{
  for (GstObject *o = object; o; o = GST_OBJECT_PARENT(o)) {
    guint n = GPOINTER_TO_UINT(g_object_get_qdata(G_OBJECT(o), branch_mark_quark()));
    if (n)
      return n;
  }
  return 0;
}

gboolean
sc_mic_handle_message(ScMic *self, GstMessage *msg)
{
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR)
    return FALSE;
  guint branch = branch_of(GST_MESSAGE_SRC(msg));
  if (branch == 0)
    return FALSE;
  g_autoptr(GError) err = NULL;
  g_autofree char *debug = NULL;
  gst_message_parse_error(msg, &err, &debug);
  g_autofree char *why =
      g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err->message);
  if (self->bin == NULL || branch != self->branches) {
    /* a branch already taken out: its last words say why it did not open */
    if (self->bin == NULL && self->state == SC_MIC_STATE_LOST)
      set_state(self, SC_MIC_STATE_LOST, why);
    return TRUE;
  }
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "DETAIL", debug ? debug : "", "MESSAGE",
                   "audio mic error: %s", why);
  mic_failed(self, why);
  return TRUE;
}

gboolean
sc_mic_is_meter(ScMic *self, GstObject *object)
{
  return self->level && object == GST_OBJECT(self->level);
}

/* ---- the module ---- */

ScMic *
sc_mic_new(GstElement *pipeline, GstElement *mixer, const char *source, guint rate, guint channels,
           GError **error)
{
  g_autoptr(ScMic) self = g_new0(ScMic, 1);
  g_mutex_init(&self->lock);
  self->closers = g_ptr_array_new();
  self->since_us = g_get_real_time();
  self->pipeline = pipeline;
  self->mixer = mixer;
  self->volume = 1.0;
  self->text = g_strdup_printf("%s ! audioconvert name=mic-convert ! audioresample"
                               " ! audio/x-raw,rate=%u,channels=%u,format=F32LE,layout=interleaved"
                               " ! volume name=mic-volume ! level name=mic-level "
                               "post-messages=true interval=%" G_GUINT64_FORMAT,
                               source, rate, channels, (guint64)(100 * GST_MSECOND));
  self->description = g_strdup_printf("%s ! program-audio.", self->text);
  g_autoptr(GstElement) trial = build_branch(self, error); /* the fragment must build */
  if (trial == NULL)
    return NULL;
  return g_steal_pointer(&self);
}

void
sc_mic_free(ScMic *self)
{
  if (self == NULL)
    return;
  sc_mic_stop(self, TRUE);
  join_closers(self);
  g_ptr_array_unref(self->closers);
  g_mutex_clear(&self->lock);
  g_free(self->reason);
  g_free(self->text);
  g_free(self->description);
  g_free(self);
}

void
sc_mic_set_event_func(ScMic *self, ScMicEventFunc func, gpointer user_data)
{
  self->on_event = func;
  self->user_data = user_data;
}

const char *
sc_mic_describe(ScMic *self)
{
  return self->description;
}

void
sc_mic_start(ScMic *self)
{
  self->running = TRUE;
  self->backoff_ms = 0;
  if (self->watch_timer == 0)
    self->watch_timer = g_timeout_add(WATCH_INTERVAL_MS, on_watch, self);
  if (self->bin || self->retry_timer)
    return;
  g_autoptr(GError) error = NULL;
  if (!branch_open(self, &error))
    mic_failed(self, error->message);
}

void
sc_mic_stop(ScMic *self, gboolean close)
{
  self->running = FALSE;
  g_clear_handle_id(&self->watch_timer, g_source_remove);
  g_clear_handle_id(&self->retry_timer, g_source_remove);
  if (close)
    branch_close(self);
}

void
sc_mic_set_volume(ScMic *self, double linear, gboolean mute)
{
  self->volume = linear;
  self->mute = mute;
  if (self->volume_element)
    g_object_set(self->volume_element, "volume", linear, "mute", mute, NULL);
}

void
sc_mic_drill(ScMic *self, ScMicDrill drill)
{
  g_atomic_int_set(&self->drill, drill);
  if (drill == SC_MIC_DRILL_OFF && self->bin) {
    /* the source fails as a vanished capture device does, through the bus */
    g_autoptr(GstElement) src = sc_bin_first_source(GST_BIN(self->bin));
    GstElement *from = src ? src : self->bin;
    g_autoptr(GError) gone = g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                                         "Could not read from resource (drill: unplugged)");
    gst_element_post_message(from, gst_message_new_error(GST_OBJECT(from), gone, "drill"));
  }
  if (drill == SC_MIC_DRILL_NONE && self->bin == NULL && self->running) {
    g_clear_handle_id(&self->retry_timer, g_source_remove);
    self->backoff_ms = 0;
    self->retry_timer = g_idle_add(on_retry, self);
  }
  const char *name = sc_mic_drill_name(drill);
  emit(self, "drill", name ? name : "ended", FALSE);
}

void
sc_mic_get_info(ScMic *self, ScMicInfo *info)
{
  g_mutex_lock(&self->lock);
  guint64 buffers = self->buffers;
  g_mutex_unlock(&self->lock);
  *info = (ScMicInfo){
      .state = self->state,
      .since_us = self->since_us,
      .reason = self->reason,
      .drill = g_atomic_int_get(&self->drill),
      .losses = self->losses,
      .attempts = self->attempts,
      .buffers = buffers,
  };
}
