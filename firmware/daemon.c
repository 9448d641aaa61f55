#define G_LOG_DOMAIN "shopcast-daemon"

#include "firmware/daemon.h"

#include "pipeline/output.h"

#include <systemd/sd-daemon.h>

/* How long the end of stream may take to reach the platforms at shutdown. */
#define EOS_TIMEOUT_MS           3000
#define OUTPUT_FINISH_TIMEOUT_MS 2000

struct _ScDaemon {
  ScConfig *config;
  ScBoard *board;
  ScPipeline *pipeline;
  GPtrArray *outputs; /* ScOutput* */
  GMainLoop *loop;
  guint stop_timer;
  gboolean stopping;
  gboolean finished; /* outputs finished, pipeline stopped, loop told to quit */
  int exit_code;
};

static void finish_and_quit(ScDaemon *self, guint output_timeout_ms);

static void
on_output_state(ScOutput *output, ScOutputState state, const GError *reason, gpointer data)
{
  GLogLevelFlags level = state == SC_OUTPUT_STATE_RETRYING ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO;
  ScOutputStats stats;
  sc_output_get_stats(output, &stats);
  g_autofree char *failures = g_strdup_printf("%" G_GUINT64_FORMAT, stats.failures);
  g_log_structured(G_LOG_DOMAIN, level, "EVENT", "output-state", "DEST", sc_output_get_name(output),
                   "STATE", sc_output_state_name(state), "URL", sc_output_describe(output),
                   "INGEST",
                   sc_output_get_ingest(output) == SC_OUTPUT_INGEST_BACKUP ? "backup" : "primary",
                   "FAILURES", failures, "REASON", reason ? reason->message : "", "MESSAGE",
                   "destination %s: %s", sc_output_get_name(output), sc_output_state_name(state));
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

static void
keyframe_request(gpointer data)
{
  sc_pipeline_request_keyframe(data);
}

static void
add_output(ScDaemon *self, const ScDestination *d)
{
  ScOutputParams p = {
      .name = d->name,
      .url = d->url,
      .backup_url = d->backup_url,
      .stream_key = d->stream_key,
      .tls_ca_file = d->tls_ca_file,
  };
  ScOutput *output = sc_output_new(&p, on_output_state, self);
  sc_output_set_keyframe_func(output, keyframe_request, self->pipeline);
  sc_pipeline_add_program_sink(self->pipeline, sc_output_push, output);
  g_ptr_array_add(self->outputs, output);
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "DEST", d->name, "URL",
                   sc_output_describe(output), "PLATFORM", d->platform ? d->platform : "",
                   "MESSAGE", "destination %s: %s", d->name, sc_output_describe(output));
}

ScDaemon *
sc_daemon_new(ScConfig *config, ScBoard *board, GMainLoop *loop, GError **error)
{
  g_autoptr(ScDaemon) self = g_new0(ScDaemon, 1);
  self->config = config;
  self->board = board;
  self->loop = g_main_loop_ref(loop);
  self->outputs = g_ptr_array_new_with_free_func((GDestroyNotify)sc_output_free);
  ScPipelineParams params = sc_config_pipeline_params(config, board);
  self->pipeline = sc_pipeline_new(&params, on_pipeline_event, self, error);
  if (self->pipeline == NULL)
    return NULL;
  for (guint i = 0; i < config->destinations->len; i++) {
    const ScDestination *d = g_ptr_array_index(config->destinations, i);
    if (d->enabled)
      add_output(self, d);
  }
  if (self->outputs->len == 0)
    g_warning("no enabled destination: encoding, but streaming nowhere");
  return g_steal_pointer(&self);
}

void
sc_daemon_free(ScDaemon *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->stop_timer, g_source_remove);
  /* the pipeline first: no more tags reach the outputs once it is freed */
  g_clear_pointer(&self->pipeline, sc_pipeline_free);
  g_clear_pointer(&self->outputs, g_ptr_array_unref);
  g_clear_pointer(&self->loop, g_main_loop_unref);
  sc_config_free(self->config);
  sc_board_free(self->board);
  g_free(self);
}

gboolean
sc_daemon_start(ScDaemon *self, GError **error)
{
  for (guint i = 0; i < self->outputs->len; i++)
    sc_output_start(g_ptr_array_index(self->outputs, i));
  return sc_pipeline_start(self->pipeline, error);
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
  gint64 deadline = g_get_monotonic_time() + (gint64)output_timeout_ms * 1000;
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *output = g_ptr_array_index(self->outputs, i);
    gint64 left_ms = MAX(0, (deadline - g_get_monotonic_time()) / 1000);
    if (!sc_output_finish(output, (guint)left_ms))
      g_warning("destination %s: stream end not confirmed in time; connection closed",
                sc_output_get_name(output));
  }
  sc_pipeline_stop(self->pipeline);
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
