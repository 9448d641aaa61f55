#define G_LOG_DOMAIN "shopcast-daemon"

#include "firmware/daemon-private.h"

#include "drivers/alsa.h"

#include <malloc.h>
#include <systemd/sd-daemon.h>

/* The box must be healthy this long before the firmware slot is marked good. */
#define SLOT_HEALTHY_S 10
/* How long the end of stream may take to reach the platforms at shutdown. */
#define EOS_TIMEOUT_MS           3000
#define OUTPUT_FINISH_TIMEOUT_MS 2000
/* The send buffer holds this much media: enough to ride out jitter, small
 * enough that a dead path cannot hide seconds of stream in the kernel. */
#define SEND_BUFFER_MS 500

static void finish_and_quit(ScDaemon *self, guint output_timeout_ms);
static void save_state(ScDaemon *self);
static void resume_show(ScDaemon *self);

static void
on_output_state(ScOutput *output, const ScOutputReport *report, gpointer data)
{
  ScDaemon *self = data;
  /* what and where: the masked URL, which ingest, which uplink, and why */
  g_autofree char *detail =
      g_strdup_printf("%s (%s ingest%s%s)%s%s", sc_output_describe_ingest(output, report->ingest),
                      report->ingest == SC_OUTPUT_INGEST_BACKUP ? "backup" : "primary",
                      report->interface ? ", via " : "", report->interface ? report->interface : "",
                      report->reason ? ": " : "", report->reason ? report->reason->message : "");
  sc_event_log_add(self->events, g_get_real_time(), report->state == SC_OUTPUT_STATE_RETRYING,
                   "output", sc_output_get_name(output), sc_output_state_name(report->state),
                   detail);
  sc_failover_output_state(self->failover, output, report);
  sc_adaptive_output_state(self->adaptive, output, report);
  if (self->studio)
    sc_studio_update(self->studio);
}

/* A change of the show's graphics: into the journal, for the panel and the report. */
static void
on_show_change(ScShow *show, const char *what, const char *detail, gpointer data)
{
  ScDaemon *self = data;
  sc_event_log_add(self->events, g_get_real_time(), FALSE, "show", what, "asked", detail);
  if (self->graphics)
    sc_graphics_changed(self->graphics, what, detail);
  if (self->audio)
    sc_audio_control_show_changed(self->audio, show);
  if (self->studio) {
    sc_studio_show_changed(self->studio, what);
    sc_studio_update(self->studio);
  }
  save_state(self);
}

static void
on_pipeline_event(ScPipeline *pipeline, ScPipelineEvent event, const GError *error, gpointer data)
{
  ScDaemon *self = data;
  switch (event) {
  case SC_PIPELINE_EVENT_PLAYING:
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "pipeline-playing", "MESSAGE",
                     "program pipeline playing");
    sd_notify(0, "READY=1\nSTATUS=streaming");
    self->playing = TRUE;
    sc_stall_watch_arm(self->stall, TRUE);
    resume_show(self);
    if (self->studio)
      sc_studio_update(self->studio);
    break;
  case SC_PIPELINE_EVENT_EOS:
    g_info("end of stream reached the outputs");
    finish_and_quit(self, OUTPUT_FINISH_TIMEOUT_MS);
    break;
  case SC_PIPELINE_EVENT_ERROR:
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "EVENT", "pipeline-error", "MESSAGE",
                     "program pipeline failed: %s", error->message);
    if (self->exit_code == 0 && !self->stopping)
      self->exit_code = SC_EXIT_SOFTWARE;
    finish_and_quit(self, 0);
    break;
  }
}

/* A camera lost, back, or switched: into the journal and `status`. */
static void
on_camera_event(const char *camera, const char *state, const char *detail, gboolean warning,
                gpointer data)
{
  ScDaemon *self = data;
  sc_event_log_add(self->events, g_get_real_time(), warning, "camera", camera, state, detail);
}

/* The mic lost, back, or drilled: into the journal, `status` and the tally. */
static void
on_mic_event(const char *state, const char *detail, gboolean warning, gpointer data)
{
  ScDaemon *self = data;
  sc_event_log_add(self->events, g_get_real_time(), warning, "audio", "mic", state, detail);
  if (self->studio)
    sc_studio_update(self->studio);
}

static void
keyframe_request(gpointer data)
{
  sc_pipeline_request_keyframe(data);
}

static void
add_output(ScDaemon *self, const ScDestination *d)
{
  const ScMediaSpec *m = &self->config->media;
  guint bytes_per_s = (m->video_bitrate_kbps + m->audio_bitrate_kbps) * 1000 / 8;
  ScOutputParams p = {
      .name = d->name,
      .url = d->url,
      .backup_url = d->backup_url,
      .stream_key = d->stream_key,
      .tls_ca_file = d->tls_ca_file,
      .send_timeout_ms = self->config->stall_timeout_ms,
      .send_buffer_bytes = MAX(bytes_per_s * SEND_BUFFER_MS / 1000, 64 * 1024),
      .bind_interface = sc_failover_get_interface(self->failover),
      .drop_queue_ms = self->config->adaptive.drop_queue_ms,
  };
  ScOutput *output = sc_output_new(&p, on_output_state, self);
  sc_failover_add_output(self->failover, output);
  sc_adaptive_add_output(self->adaptive, output, d->adaptive);
  sc_output_set_keyframe_func(output, keyframe_request, self->pipeline);
  g_mutex_lock(&self->outputs_lock);
  g_ptr_array_add(self->outputs, output);
  g_mutex_unlock(&self->outputs_lock);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "DEST", d->name, "URL",
                   sc_output_describe(output), "PLATFORM", d->platform ? d->platform : "",
                   "MESSAGE", "destination %s: %s", d->name, sc_output_describe(output));
}

/* The program to every destination while live (streaming thread). */
static void
program_to_outputs(GstBuffer *tag, GstCaps *caps, gpointer data)
{
  ScDaemon *self = data;
  g_mutex_lock(&self->outputs_lock);
  for (guint i = 0; i < self->outputs->len; i++)
    sc_output_push(tag, caps, g_ptr_array_index(self->outputs, i));
  g_mutex_unlock(&self->outputs_lock);
}

/* Waits, all told at most @timeout_ms, for @outputs to send the end of their
 * stream and close; stops each regardless. */
static void
finish_outputs(GPtrArray *outputs, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  for (guint i = 0; i < outputs->len; i++) {
    ScOutput *output = g_ptr_array_index(outputs, i);
    gint64 left_ms = MAX(0, (deadline - g_get_monotonic_time()) / 1000);
    if (!sc_output_finish(output, (guint)left_ms))
      g_warning("destination %s: stream end not confirmed in time; connection closed",
                sc_output_get_name(output));
  }
}

/* The show's recording and journal, from before the destinations connect. */
static void
start_recording(ScDaemon *self)
{
  const ScOnAir *air = self->show ? sc_show_get_on_air(self->show) : NULL;
  sc_recording_show_start(self->recording, self->show ? sc_show_get_file(self->show)->title : NULL,
                          air && air->product ? air->product->id : NULL,
                          air && air->product ? air->product->name : NULL);
}

void
sc_daemon_go_live(ScDaemon *self, const char *who)
{
  if (self->live)
    return;
  start_recording(self);
  for (guint i = 0; i < self->config->destinations->len; i++) {
    const ScDestination *d = g_ptr_array_index(self->config->destinations, i);
    if (d->enabled)
      add_output(self, d);
  }
  for (guint i = 0; i < self->outputs->len; i++)
    sc_output_start(g_ptr_array_index(self->outputs, i));
  self->live = TRUE;
  self->live_since_us = g_get_real_time();
  sc_event_log_add(self->events, self->live_since_us, FALSE, "show", "live", "on air", who);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "live", "MESSAGE",
                   "on air (%s): %u destination(s)", who, self->outputs->len);
  save_state(self);
}

/* The show ends: each destination gets the end of its stream and its
 * publication closed; the program keeps encoding, ready to go live again. */
/* The show's recording and report end with every audit line of the show in them. */
static void
end_recording(ScDaemon *self)
{
  if (self->graphics)
    sc_graphics_sync_audit(self->graphics);
  sc_recording_show_end(self->recording);
}

void
sc_daemon_end_show(ScDaemon *self, const char *who)
{
  if (!self->live)
    return;
  g_mutex_lock(&self->outputs_lock);
  g_autoptr(GPtrArray) ending = self->outputs;
  self->outputs = g_ptr_array_new_with_free_func((GDestroyNotify)sc_output_free);
  g_mutex_unlock(&self->outputs_lock);
  self->live = FALSE;
  for (guint i = 0; i < ending->len; i++)
    sc_output_push(NULL, NULL, g_ptr_array_index(ending, i)); /* every stream ends at once */
  finish_outputs(ending, OUTPUT_FINISH_TIMEOUT_MS);
  for (guint i = 0; i < ending->len; i++) {
    sc_failover_remove_output(self->failover, g_ptr_array_index(ending, i));
    sc_adaptive_remove_output(self->adaptive, g_ptr_array_index(ending, i));
  }
  sc_event_log_add(self->events, g_get_real_time(), FALSE, "show", "live", "off air", who);
  g_info("off air (%s)", who);
  save_state(self);
  end_recording(self);
}

/* The destinations, for the recording's once-a-second samples (main thread). */
static void
recording_sample(GArray *dests, gpointer data)
{
  ScDaemon *self = data;
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *o = g_ptr_array_index(self->outputs, i);
    ScOutputStats st;
    sc_output_get_stats(o, &st);
    ScRecordingDest d = {sc_output_get_name(o), sc_output_state_name(sc_output_get_state(o)),
                         st.bytes_sent, st.tags_dropped};
    g_array_append_val(dests, d);
  }
}

/* The destinations as status shows them. */
char *
sc_daemon_outputs_json_lines(ScDaemon *self)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *o = g_ptr_array_index(self->outputs, i);
    ScOutputStats st;
    sc_output_get_stats(o, &st);
    g_autofree char *interface = sc_output_dup_interface(o);
    g_string_append(out, "{\"destination\":");
    sc_json_append_string(out, sc_output_get_name(o));
    g_string_append(out, ",\"state\":");
    sc_json_append_string(out, sc_output_state_name(sc_output_get_state(o)));
    g_string_append(out, ",\"url\":");
    sc_json_append_string(out, sc_output_describe(o));
    g_string_append_printf(
        out,
        ",\"ingest\":\"%s\",\"interface\":%s%s%s,\"tags_sent\":%" G_GUINT64_FORMAT
        ",\"tags_dropped\":%" G_GUINT64_FORMAT ",\"connections\":%" G_GUINT64_FORMAT
        ",\"failures\":%" G_GUINT64_FORMAT ",\"moves\":%" G_GUINT64_FORMAT ",\"rate\":",
        sc_output_get_ingest(o) == SC_OUTPUT_INGEST_BACKUP ? "backup" : "primary",
        interface ? "\"" : "", interface ? interface : "null", interface ? "\"" : "", st.tags_sent,
        st.tags_dropped, st.connections, st.failures, st.moves);
    g_autofree char *rate = sc_adaptive_destination_json(self->adaptive, o);
    g_string_append_printf(out, "%s}\n", rate ? rate : "null");
  }
  return g_string_free(out, FALSE);
}

/* ---- the show's state on disk, for a restart ---- */

/* After every change: live (unless stopping cleanly) and what is on air.
 * The write happens off the main loop: the graphics and the uplinks are not
 * kept waiting for an fsync behind the recording. */
static void
save_state(ScDaemon *self)
{
  if (self->state_save == NULL || !self->state_ready)
    return;
  gboolean live = self->live && !self->stopping;
  sc_background_save_put(self->state_save, sc_show_state_to_json(self->show, live));
}

/* A failed save is said once, and so is the first save after it. */
static void
on_state_saved(const GError *error, gpointer data)
{
  ScDaemon *self = data;
  if (error)
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "show", "state", "not saved",
                     error->message);
  else
    sc_event_log_add(self->events, g_get_real_time(), FALSE, "show", "state", "saved again",
                     self->config->state);
}

/* A clean stop: the next start does not go live by itself. Stopped before
 * the program played, the state read at start is kept, no longer live. */
static void
save_stopped(ScDaemon *self)
{
  if (self->state_ready || self->resume == NULL)
    save_state(self);
  else if (self->state_save)
    sc_background_save_put(self->state_save, sc_show_state_text(self->resume, FALSE));
}

/* At start: the state the last run left, kept until the program plays. */
static void
load_state(ScDaemon *self)
{
  const char *path = self->config->state;
  g_autoptr(GError) error = NULL;
  if (path == NULL)
    return;
  self->state_save = sc_background_save_new(path, 0600, on_state_saved, self);
  self->resume = sc_show_state_load(path, &error);
  if (self->resume)
    return;
  if (g_error_matches(error, SC_SHOW_STATE_ERROR, SC_SHOW_STATE_ERROR_ABSENT))
    g_info("no saved show state at %s: a first start", path);
  else
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "show", "state", "ignored",
                     error->message);
}

/* Once the program plays: the show as it was, and live again when the last
 * run was live and did not stop cleanly. Then every change is saved. */
static void
resume_show(ScDaemon *self)
{
  if (self->state_ready)
    return;
  self->state_ready = TRUE;
  g_autoptr(ScShowState) state = g_steal_pointer(&self->resume);
  g_autoptr(GError) error = NULL;
  if (state && self->show && !sc_show_state_restore(state, self->show, &error)) {
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "show", "state", "ignored",
                     error->message);
    g_clear_pointer(&state, sc_show_state_free);
  }
  if (state) {
    g_autofree char *what = sc_show_state_describe(state);
    sc_event_log_add(self->events, g_get_real_time(), FALSE, "show", "state", "restored", what);
    if (sc_show_state_get_live(state) && !self->live)
      sc_daemon_go_live(self, "resumed after an unclean stop");
  }
  save_state(self);
}

/* The tally shows a drop of frames as degraded for this long after it. */
#define TALLY_DROP_HOLD_US (3 * G_USEC_PER_SEC)

/* Whether a destination dropped media since the last look (or lately). */
static gboolean
dropping(ScDaemon *self)
{
  guint64 dropped = 0;
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutputStats st;
    sc_output_get_stats(g_ptr_array_index(self->outputs, i), &st);
    dropped += st.tags_dropped;
  }
  gint64 now = g_get_monotonic_time();
  if (dropped > self->dropped_seen)
    self->dropping_until = now + TALLY_DROP_HOLD_US;
  self->dropped_seen = dropped;
  return now < self->dropping_until;
}

void
sc_daemon_tally_state(ScTallyState *state, gpointer data)
{
  ScDaemon *self = data;
  state->ready = self->playing && !self->stopping;
  state->live = self->live;
  ScAudioStatus audio;
  sc_audio_get_status(sc_pipeline_get_audio(self->pipeline), &audio);
  gboolean troubled = sc_failover_on_backup(self->failover) || dropping(self) ||
                      audio.mic_state.state == SC_MIC_STATE_LOST;
  for (guint i = 0; i < self->outputs->len && !troubled; i++)
    troubled = sc_output_get_state(g_ptr_array_index(self->outputs, i)) != SC_OUTPUT_STATE_LIVE;
  state->degraded = troubled;
  if (self->show) {
    gboolean over = FALSE;
    (void)sc_show_get_explain_seconds(self->show, &over);
    state->preshow = sc_show_get_on_air(self->show)->opening;
    state->product_overtime = over;
  }
}

/* The show actions a button may ask for. */
static gboolean
show_action(ScDaemon *self, ScAction action, GError **error)
{
  if (self->show == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no run of show is loaded");
    return FALSE;
  }
  const ScOnAir *air = sc_show_get_on_air(self->show);
  switch (action) {
  case SC_ACTION_NEXT_PRODUCT:
    return sc_show_next_product(self->show, error);
  case SC_ACTION_PREVIOUS_PRODUCT:
    return sc_show_previous_product(self->show, error);
  case SC_ACTION_FLASH_SALE:
    return sc_show_flash_start(self->show, error);
  case SC_ACTION_COUPON:
    return sc_show_coupon(self->show, !air->coupon, error);
  case SC_ACTION_STOCK:
    return sc_show_stock_visible(self->show, !air->stock, error);
  default:
    g_return_val_if_reached(FALSE);
  }
}

static void
toggle_live(ScDaemon *self, const char *who)
{
  if (self->live)
    sc_daemon_end_show(self, who);
  else
    sc_daemon_go_live(self, who);
  sc_studio_update(self->studio);
}

/* The close-up camera is the second [camera] of the config, the main one the
 * first. A held button shows the close-up while held (@on); a pressed one
 * switches between the two. */
static gboolean
closeup(ScDaemon *self, gboolean held, gboolean on, GError **error)
{
  GPtrArray *cams = self->config->cameras;
  if (cams->len < 2) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "no close-up camera: the config names fewer than two [camera] groups");
    return FALSE;
  }
  const char *main_cam = ((ScCameraConfig *)g_ptr_array_index(cams, 0))->name;
  const char *close_cam = ((ScCameraConfig *)g_ptr_array_index(cams, 1))->name;
  const char *showing = sc_cameras_get_program(self->cameras);
  gboolean want_close = held ? on : !g_str_equal(showing, close_cam);
  return sc_daemon_camera_switch(self, want_close ? close_cam : main_cam, error);
}

/* Held: muted while held. Pressed: muted or not, in turn. */
static void
mic_mute(ScDaemon *self, gboolean held, gboolean on)
{
  ScAudio *audio = sc_pipeline_get_audio(self->pipeline);
  ScAudioStatus st;
  sc_audio_get_status(audio, &st);
  gboolean mute = held ? on : !st.mute;
  sc_audio_set_mute(audio, mute);
  sc_event_log_add(self->events, g_get_real_time(), FALSE, "audio", "mic", mute ? "muted" : "live",
                   "from a studio button");
}

/* What a button or a key asks for, carried out now. */
static void
on_studio_action(const ScActionSpec *action, gboolean held, gboolean on, const char *source,
                 gpointer data)
{
  ScDaemon *self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *who = g_strdup_printf("button %s", source);
  switch (action->action) {
  case SC_ACTION_NONE:
    return;
  case SC_ACTION_LIVE:
    toggle_live(self, who);
    return;
  case SC_ACTION_SCENE:
    if (sc_studio_set_scene(self->studio, action->scene, &error))
      return;
    break;
  case SC_ACTION_RECONNECT:
    g_free(sc_daemon_reconnect(self, NULL, &error));
    break;
  case SC_ACTION_CLOSEUP:
    (void)closeup(self, held, on, &error);
    break;
  case SC_ACTION_MIC_MUTE:
    mic_mute(self, held, on);
    break;
  default:
    (void)show_action(self, action->action, &error);
    break;
  }
  if (error)
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "studio", source,
                     sc_action_name(action->action), error->message);
}

/* The config's cameras, or the board's one camera when it names none. */
static ScCameras *
new_cameras(ScDaemon *self, const ScPipelineParams *program, GError **error)
{
  const ScConfig *c = self->config;
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func((GDestroyNotify)sc_camera_config_free);
  g_ptr_array_add(one, sc_camera_config_new_default(c->video_device));
  ScCamerasParams p = {
      .source = sc_board_get_video_source(self->board),
      .kind = sc_board_get_camera_kind(self->board),
      .default_device = c->video_device,
      .params = program,
  };
  return sc_cameras_new(&p, c->cameras->len ? c->cameras : one, on_camera_event, self, error);
}

/* The mic by name: a card's id or name becomes its PCM string. */
static gboolean
resolve_audio_device(ScConfig *config, const ScBoard *board, GError **error)
{
  const char *source = sc_board_get_audio_source(board);
  if (config->audio_device == NULL || source == NULL || !strstr(source, "${audio_device}"))
    return TRUE;
  char *pcm = sc_alsa_resolve_device(NULL, config->audio_device, error);
  if (pcm == NULL) {
    g_prefix_error(error, "%s: [audio] device: ", config->path);
    return FALSE;
  }
  g_free(config->audio_device);
  config->audio_device = pcm;
  return TRUE;
}

#define STALL_MS 2000

static guint64
program_frames(gpointer data)
{
  ScDaemon *self = data;
  return sc_pipeline_get_frame_count(self->pipeline);
}

/* No frame for 2 s: a camera, the mixer or the encoder hangs. The pipeline
 * starts again (the destinations' connections stay, their timestamps carry
 * on); if it cannot, shopcastd ends with an error and systemd starts it
 * again. */
static void
on_program_stalled(guint stalled_ms, gpointer data)
{
  ScDaemon *self = data;
  if (self->stopping || self->finished)
    return;
  g_autofree char *why = g_strdup_printf("no program frame for %.1f s", stalled_ms / 1000.0);
  sc_event_log_add(self->events, g_get_real_time(), TRUE, "pipeline", "program", "stalled", why);
  g_autoptr(GError) error = NULL;
  if (!sc_pipeline_restart(self->pipeline, &error)) {
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "EVENT", "pipeline-error", "MESSAGE",
                     "the stalled pipeline did not start again: %s", error->message);
    if (self->exit_code == 0)
      self->exit_code = SC_EXIT_SOFTWARE;
    finish_and_quit(self, 0);
    return;
  }
  sc_pipeline_request_keyframe(self->pipeline);
  g_autofree char *count = g_strdup_printf("restart %u", sc_stall_watch_get_stalls(self->stall));
  sc_event_log_add(self->events, g_get_real_time(), FALSE, "pipeline", "program", "restarted",
                   count);
}

/* glibc keeps the memory the streaming threads free in their own arenas, so a
 * show's RSS creeps up over the hours while the heap in use stays flat (a soak
 * measured 20.5 MB in use through 15 minutes of faults, and RSS 1.3 MB higher
 * after 50 minutes). Every minute the free pages go back to the system. */
#define TRIM_INTERVAL_S 60

static gboolean
on_trim(gpointer data)
{
  gint64 t0 = g_get_monotonic_time();
  malloc_trim(0);
  g_debug("free memory given back in %" G_GINT64_FORMAT " us", g_get_monotonic_time() - t0);
  return G_SOURCE_CONTINUE;
}

ScDaemon *
sc_daemon_new(ScConfig *config, ScBoard *board, GMainLoop *loop, GError **error)
{
  g_autoptr(ScDaemon) self = g_new0(ScDaemon, 1);
  self->config = config;
  self->board = board;
  self->loop = g_main_loop_ref(loop);
  self->outputs = g_ptr_array_new_with_free_func((GDestroyNotify)sc_output_free);
  g_mutex_init(&self->outputs_lock);
  self->events = sc_event_log_new(SC_DAEMON_EVENTS_KEPT);
  self->provision = sc_provision_new(config->system_dir, self->events);
  self->failover = sc_failover_new(config, self->events, error);
  if (self->failover == NULL)
    return NULL;
  if (config->show)
    self->show = sc_show_new(g_steal_pointer(&config->show), on_show_change, self);
  if (!resolve_audio_device(config, board, error))
    return NULL;
  ScPipelineParams params = sc_config_pipeline_params(config, board);
  self->cameras = new_cameras(self, &params, error);
  if (self->cameras == NULL)
    return NULL;
  params.video_source = sc_cameras_program_source(self->cameras);
  self->pipeline = sc_pipeline_new(&params, on_pipeline_event, self, error);
  if (self->pipeline == NULL || !sc_cameras_attach(self->cameras, self->pipeline, error))
    return NULL;
  self->audio = sc_audio_control_new(sc_pipeline_get_audio(self->pipeline));
  sc_audio_set_mic_event_func(sc_pipeline_get_audio(self->pipeline), on_mic_event, self);
  if (self->show) {
    self->graphics = sc_graphics_new(self->show, self->pipeline, config->media.width,
                                     config->media.height, config->audit_log, error);
    if (self->graphics == NULL)
      return NULL;
    if (config->audit_log == NULL)
      g_warning("no [box] audit-log: what the show puts on air leaves no evidence");
  }
  self->adaptive = sc_adaptive_new(config, self->pipeline, self->events);
  sc_pipeline_add_program_sink(self->pipeline, sc_adaptive_count_tag, self->adaptive);
  sc_pipeline_add_program_sink(self->pipeline, program_to_outputs, self);
  self->recording = sc_recording_new(&config->recording, &config->media, config->audit_log,
                                     self->events, self->pipeline, recording_sample, self);
  sc_pipeline_add_program_sink(self->pipeline, sc_recording_push, self->recording);
  self->stall = sc_stall_watch_new(STALL_MS, program_frames, on_program_stalled, self);
  if (sc_config_count_enabled(config) == 0)
    g_warning("no enabled destination: encoding, but streaming nowhere");
  self->studio = sc_studio_new(config->studio, on_studio_action, sc_daemon_tally_state, self);
  self->trim_timer = g_timeout_add_seconds(TRIM_INTERVAL_S, on_trim, self);
  return g_steal_pointer(&self);
}

void
sc_daemon_free(ScDaemon *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->stop_timer, g_source_remove);
  g_clear_handle_id(&self->trim_timer, g_source_remove);
  g_clear_pointer(&self->stall, sc_stall_watch_free);
  g_clear_pointer(&self->slot, sc_slot_free);
  g_autoptr(GError) error = NULL;
  if (self->state_save && !sc_background_save_flush(self->state_save, &error))
    g_warning("show state: %s", error->message);
  g_clear_pointer(&self->state_save, sc_background_save_free);
  sc_daemon_close_api(self); /* no request reaches what is freed next */
  /* the graphics stage leaves the pipeline first, and then the pipeline: no
   * more tags reach the outputs once it is freed */
  g_clear_pointer(&self->studio, sc_studio_free);
  g_clear_pointer(&self->graphics, sc_graphics_free);
  g_clear_pointer(&self->audio, sc_audio_control_free); /* before the pipeline's audio */
  g_clear_pointer(&self->pipeline, sc_pipeline_free);
  g_clear_pointer(&self->adaptive, sc_adaptive_free);   /* after the program, before the outputs */
  g_clear_pointer(&self->recording, sc_recording_free); /* after the program that feeds it */
  g_clear_pointer(&self->cameras, sc_cameras_free); /* after the program that takes their frames */
  g_clear_pointer(&self->show, sc_show_free);
  g_clear_pointer(&self->resume, sc_show_state_free);
  g_clear_pointer(&self->failover, sc_failover_free); /* moves no output after this */
  g_clear_pointer(&self->outputs, g_ptr_array_unref);
  g_mutex_clear(&self->outputs_lock);
  g_clear_pointer(&self->provision, sc_provision_free);
  g_clear_pointer(&self->events, sc_event_log_free);
  g_clear_pointer(&self->loop, g_main_loop_unref);
  sc_config_free(self->config);
  sc_board_free(self->board);
  g_free(self);
}

/* Encoding, and while live at least one destination publishing. */
static gboolean
healthy(gpointer data)
{
  ScDaemon *self = data;
  if (!self->playing || self->stopping)
    return FALSE;
  if (!self->live)
    return TRUE;
  for (guint i = 0; i < self->outputs->len; i++)
    if (sc_output_get_state(g_ptr_array_index(self->outputs, i)) == SC_OUTPUT_STATE_LIVE)
      return TRUE;
  return FALSE;
}

gboolean
sc_daemon_start(ScDaemon *self, GError **error)
{
  self->started_us = g_get_monotonic_time();
  self->slot = sc_slot_new(SLOT_HEALTHY_S, healthy, self);
  sc_daemon_open_api(self);
  sc_cameras_start(self->cameras);
  load_state(self);
  if (!sc_pipeline_start(self->pipeline, error))
    return FALSE;
  if (self->config->start_live)
    sc_daemon_go_live(self, "[box] start = live");
  else
    g_info("ready, not live: go live with the live button or `shopcastctl live on`");
  return TRUE;
}

static void
log_totals(ScDaemon *self)
{
  g_autofree char *frames =
      g_strdup_printf("%" G_GUINT64_FORMAT, sc_pipeline_get_frame_count(self->pipeline));
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "totals", "FRAMES", frames, "MESSAGE",
                   "program: %s frames encoded", frames);
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *output = g_ptr_array_index(self->outputs, i);
    ScOutputStats st;
    sc_output_get_stats(output, &st);
    g_autofree char *sent = g_strdup_printf("%" G_GUINT64_FORMAT, st.tags_sent);
    g_autofree char *dropped = g_strdup_printf("%" G_GUINT64_FORMAT, st.tags_dropped);
    g_autofree char *bytes = g_strdup_printf("%" G_GUINT64_FORMAT, st.bytes_sent);
    g_autofree char *connections = g_strdup_printf("%" G_GUINT64_FORMAT, st.connections);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "totals", "DEST",
                     sc_output_get_name(output), "TAGS_SENT", sent, "TAGS_DROPPED", dropped,
                     "BYTES_SENT", bytes, "CONNECTIONS", connections, "MESSAGE",
                     "destination %s: totals", sc_output_get_name(output));
  }
}

static void
finish_and_quit(ScDaemon *self, guint output_timeout_ms)
{
  g_clear_handle_id(&self->stop_timer, g_source_remove);
  if (self->finished) /* the end of stream can arrive just after the stop timer fired */
    return;
  self->finished = TRUE;
  sc_stall_watch_arm(self->stall, FALSE);
  finish_outputs(self->outputs, output_timeout_ms);
  sc_pipeline_stop(self->pipeline);
  if (self->live) /* the show ends with the box: its recording and report are complete */
    end_recording(self);
  sc_cameras_stop(self->cameras);
  log_totals(self);
  g_main_loop_quit(self->loop);
}

static gboolean
on_stop_timeout(gpointer data)
{
  ScDaemon *self = data;
  self->stop_timer = 0;
  g_warning("end of stream did not complete within %d ms; stopping now", EOS_TIMEOUT_MS);
  finish_and_quit(self, 0);
  return G_SOURCE_REMOVE;
}

void
sc_daemon_stop(ScDaemon *self)
{
  if (self->stopping) {
    g_warning("second stop request: stopping now");
    finish_and_quit(self, 0);
    return;
  }
  self->stopping = TRUE;
  save_stopped(self);
  sd_notify(0, "STOPPING=1");
  g_info("stopping: ending the stream");
  self->stop_timer = g_timeout_add(EOS_TIMEOUT_MS, on_stop_timeout, self);
  sc_pipeline_send_eos(self->pipeline);
}

int
sc_daemon_get_exit_code(ScDaemon *self)
{
  return self->exit_code;
}

ScPipeline *
sc_daemon_get_pipeline(ScDaemon *self)
{
  return self->pipeline;
}

ScShow *
sc_daemon_get_show(ScDaemon *self)
{
  return self->show;
}

gboolean
sc_daemon_camera_switch(ScDaemon *self, const char *camera, GError **error)
{
  return sc_cameras_switch(self->cameras, camera, error);
}

ScCameras *
sc_daemon_get_cameras(ScDaemon *self)
{
  return self->cameras;
}
