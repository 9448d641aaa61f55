/* The daemon's face to the panel and the API: the whole status, the board's
 * facts and the Prometheus metrics, and the HTTP server that serves them. */
#define G_LOG_DOMAIN "shopcast-daemon"

#include "firmware/daemon-private.h"

#include "firmware/camera-commands.h"
#include "firmware/log.h"
#include "firmware/metrics.h"
#include "firmware/show-commands.h"
#include "panel-resources.h"
#include "sc-build-config.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* JSON lines -> the members of an array. */
static void
append_array(GString *out, const char *key, const char *lines)
{
  g_string_append_printf(out, ",\"%s\":[", key);
  gboolean first = TRUE;
  g_auto(GStrv) each = g_strsplit(lines ? lines : "", "\n", -1);
  for (guint i = 0; each[i]; i++)
    if (each[i][0] == '{') {
      g_string_append_printf(out, "%s%s", first ? "" : ",", each[i]);
      first = FALSE;
    }
  g_string_append_c(out, ']');
}

static void
append_object(GString *out, const char *key, char *json)
{
  g_string_append_printf(out, ",\"%s\":%s", key, json ? g_strchomp(json) : "null");
  g_free(json);
}

char *
sc_daemon_status_json(ScDaemon *self)
{
  ScTallyState tally = {0};
  sc_daemon_tally_state(&tally, self);
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "{\"live\":%s,\"live_since_ms\":", self->live ? "true" : "false");
  if (self->live)
    g_string_append_printf(out, "%" G_GINT64_FORMAT, self->live_since_us / 1000);
  else
    g_string_append(out, "null");
  g_string_append_printf(out, ",\"encoding\":%s,\"tally\":", self->playing ? "true" : "false");
  sc_json_append_string(out, sc_tally_describe(&tally));
  g_string_append_printf(out, ",\"frames\":%" G_GUINT64_FORMAT ",\"video_bitrate_kbps\":%u",
                         sc_pipeline_get_frame_count(self->pipeline),
                         sc_pipeline_get_video_bitrate(self->pipeline));
  g_autofree char *uplinks = sc_failover_status_json_lines(self->failover);
  g_autofree char *outputs = sc_daemon_outputs_json_lines(self);
  g_autofree char *cameras = sc_camera_status_json_lines(self->cameras);
  append_array(out, "uplinks", uplinks);
  append_array(out, "destinations", outputs);
  append_array(out, "cameras", cameras);
  append_object(out, "bitrate", sc_adaptive_status_json(self->adaptive));
  append_object(out, "show", self->show ? sc_show_status_json(self->show) : NULL);
  append_object(out, "audio", sc_audio_control_status_json(self->audio));
  append_object(out, "studio", sc_studio_status_json(self->studio));
  append_object(out, "recording", sc_recording_status_json(self->recording));
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

/* The hottest readable thermal zone, in degrees Celsius; NAN if none. */
static double
temperature_c(void)
{
  double hottest = NAN;
  for (guint i = 0; i < 16; i++) {
    g_autofree char *path = g_strdup_printf("/sys/class/thermal/thermal_zone%u/temp", i);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
      continue;
    double c = g_ascii_strtod(text, NULL) / 1000.0;
    if (c > -50 && c < 200 && (isnan(hottest) || c > hottest))
      hottest = c;
  }
  return hottest;
}

char *
sc_daemon_board_json(ScDaemon *self)
{
  struct utsname u;
  uname(&u);
  GString *out = g_string_new("{\"board\":");
  sc_json_append_string(out, sc_board_get_name(self->board));
  g_string_append(out, ",\"description\":");
  sc_json_append_string(out, sc_board_get_description(self->board));
  g_string_append(out, ",\"version\":\"" SC_VERSION "\",\"kernel\":");
  sc_json_append_string(out, u.release);
  g_string_append(out, ",\"machine\":");
  sc_json_append_string(out, u.machine);
  g_string_append(out, ",\"hostname\":");
  sc_json_append_string(out, u.nodename);
  g_string_append(out, ",\"video_encoder\":");
  sc_json_append_string(out, sc_pipeline_get_video_encoder(self->pipeline));
  g_string_append(out, ",\"audio_encoder\":");
  sc_json_append_string(out, sc_pipeline_get_audio_encoder(self->pipeline));
  const ScMediaSpec *m = &self->config->media;
  g_string_append_printf(out, ",\"video\":\"%ux%u %u fps %u kb/s\",\"uptime_s\":%" G_GINT64_FORMAT,
                         m->width, m->height, m->framerate, m->video_bitrate_kbps,
                         (g_get_monotonic_time() - self->started_us) / G_USEC_PER_SEC);
  double t = temperature_c();
  if (isnan(t))
    g_string_append(out, ",\"temperature_c\":null");
  else
    g_string_append_printf(out, ",\"temperature_c\":%.1f", t);
  g_string_append(out, ",\"config\":");
  sc_json_append_string(out, self->config->path);
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

/* ---- metrics ---- */

static void
output_metrics(ScDaemon *self, ScMetrics *m)
{
  static const struct {
    const char *name, *help;
    gsize offset;
  } counters[] = {
      {"shopcast_output_tags_sent_total", "FLV tags (video frames and audio packets) sent",
       G_STRUCT_OFFSET(ScOutputStats, tags_sent)},
      {"shopcast_output_tags_dropped_total", "FLV tags dropped because the uplink fell behind",
       G_STRUCT_OFFSET(ScOutputStats, tags_dropped)},
      {"shopcast_output_bytes_sent_total", "bytes of media sent (rate() gives the bitrate)",
       G_STRUCT_OFFSET(ScOutputStats, bytes_sent)},
      {"shopcast_output_connections_total", "successful publishes",
       G_STRUCT_OFFSET(ScOutputStats, connections)},
      {"shopcast_output_reconnects_total", "failed attempts and lost connections",
       G_STRUCT_OFFSET(ScOutputStats, failures)},
      {"shopcast_output_uplink_moves_total", "connections moved to another uplink",
       G_STRUCT_OFFSET(ScOutputStats, moves)},
      {"shopcast_output_frames_dropped_total",
       "video frames dropped because the media waiting exceeded [adaptive] drop-queue",
       G_STRUCT_OFFSET(ScOutputStats, frames_dropped)},
      {"shopcast_output_gops_dropped_total",
       "groups of pictures dropped (the rest of one, up to the next keyframe)",
       G_STRUCT_OFFSET(ScOutputStats, gops_dropped)},
  };
  sc_metrics_family(m, "shopcast_output_live", "gauge", "1 while the destination is live");
  for (guint i = 0; i < self->outputs->len; i++) {
    ScOutput *o = g_ptr_array_index(self->outputs, i);
    sc_metrics_value(m, "shopcast_output_live", sc_output_get_state(o) == SC_OUTPUT_STATE_LIVE,
                     "destination", sc_output_get_name(o), NULL);
  }
  for (guint c = 0; c < G_N_ELEMENTS(counters); c++) {
    sc_metrics_family(m, counters[c].name, "counter", counters[c].help);
    for (guint i = 0; i < self->outputs->len; i++) {
      ScOutput *o = g_ptr_array_index(self->outputs, i);
      ScOutputStats st;
      sc_output_get_stats(o, &st);
      guint64 v = G_STRUCT_MEMBER(guint64, &st, counters[c].offset);
      sc_metrics_value(m, counters[c].name, (double)v, "destination", sc_output_get_name(o), NULL);
    }
  }
}

/* The encoder's rate as the uplinks let it run (adaptive bitrate). */
static void
bitrate_metrics(ScDaemon *self, ScMetrics *m)
{
  ScAdaptiveStatus st;
  sc_adaptive_get_status(self->adaptive, &st);
  sc_metrics_single(m, "shopcast_video_bitrate_bps", "gauge",
                    "the video encoder's target bitrate (adaptive: what the uplinks carry)",
                    st.target_kbps * 1000.0);
  sc_metrics_single(m, "shopcast_video_bitrate_current_bps", "gauge",
                    "the video bitrate the encoder produced over the last second",
                    st.current_kbps * 1000.0);
  sc_metrics_single(m, "shopcast_video_bitrate_changes_total", "counter",
                    "changes of the encoder's bitrate (cuts, raises, uplink moves)",
                    (double)st.changes);
  sc_adaptive_status_clear(&st);
}

static void
audio_metrics(ScDaemon *self, ScMetrics *m)
{
  ScAudioStatus st;
  sc_audio_get_status(sc_pipeline_get_audio(self->pipeline), &st);
  sc_metrics_family(m, "shopcast_audio_peak_dbfs", "gauge", "the latest 100 ms peak, per channel");
  sc_metrics_family(m, "shopcast_audio_rms_dbfs", "gauge", "the latest 100 ms RMS, per channel");
  const struct {
    const char *point;
    const ScAudioMeter *meter;
  } points[] = {{"mic", &st.mic}, {"program", &st.program}};
  for (guint p = 0; p < G_N_ELEMENTS(points); p++)
    for (guint c = 0; c < points[p].meter->channels; c++) {
      char channel[8];
      g_snprintf(channel, sizeof channel, "%u", c);
      sc_metrics_value(m, "shopcast_audio_peak_dbfs", points[p].meter->peak_db[c], "point",
                       points[p].point, "channel", channel, NULL);
      sc_metrics_value(m, "shopcast_audio_rms_dbfs", points[p].meter->rms_db[c], "point",
                       points[p].point, "channel", channel, NULL);
    }
  sc_metrics_single(m, "shopcast_audio_muted", "gauge", "1 while the mic is muted", st.mute);
  sc_metrics_single(m, "shopcast_audio_mic_lost", "gauge",
                    "1 while the mic is lost (silence on air in its place)",
                    st.mic_state.state == SC_MIC_STATE_LOST);
  sc_metrics_single(m, "shopcast_audio_mic_losses_total", "counter",
                    "times the mic was lost (unplugged, failed or silent)",
                    (double)st.mic_state.losses);
  sc_metrics_single(m, "shopcast_audio_clipped_intervals_total", "counter",
                    "100 ms intervals in which the mic clipped", (double)st.mic.clipped_intervals);
}

static void
uplink_metrics(ScDaemon *self, ScMetrics *m)
{
  g_autofree char *lines = sc_failover_status_json_lines(self->failover);
  g_auto(GStrv) each = g_strsplit(lines, "\n", -1);
  sc_metrics_family(m, "shopcast_uplink_healthy", "gauge", "1 while the uplink's probes answer");
  sc_metrics_family(m, "shopcast_uplink_chosen", "gauge", "1 for the uplink the streams use");
  sc_metrics_family(m, "shopcast_uplink_rtt_seconds", "gauge", "the latest probe's round trip");
  for (guint i = 0; each[i]; i++) {
    g_autoptr(JsonParser) p = json_parser_new_immutable();
    if (each[i][0] != '{' || !json_parser_load_from_data(p, each[i], -1, NULL))
      continue;
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    const char *name = json_object_get_string_member_with_default(o, "uplink", "");
    const char *state = json_object_get_string_member_with_default(o, "state", "");
    sc_metrics_value(m, "shopcast_uplink_healthy", g_str_equal(state, "healthy"), "uplink", name,
                     NULL);
    sc_metrics_value(m, "shopcast_uplink_chosen",
                     json_object_get_boolean_member_with_default(o, "chosen", FALSE), "uplink",
                     name, NULL);
    JsonNode *rtt = json_object_get_member(o, "rtt_ms");
    if (rtt && !JSON_NODE_HOLDS_NULL(rtt))
      sc_metrics_value(m, "shopcast_uplink_rtt_seconds", json_node_get_double(rtt) / 1000.0,
                       "uplink", name, NULL);
  }
}

static void
recording_metrics(ScDaemon *self, ScMetrics *m)
{
  ScRecordingTotals t;
  sc_recording_get_totals(self->recording, &t);
  sc_metrics_single(m, "shopcast_recording_active", "gauge",
                    "1 while the show on air is being recorded", t.active);
  sc_metrics_single(m, "shopcast_recording_bytes_total", "counter",
                    "bytes written to the recordings' segments", (double)t.bytes);
  sc_metrics_single(m, "shopcast_recording_dropped_tags_total", "counter",
                    "FLV tags the recording lost because the disk fell behind",
                    (double)t.dropped_tags);
  sc_metrics_single(m, "shopcast_recording_segments_total", "counter", "segments started",
                    (double)t.segments);
  sc_metrics_single(m, "shopcast_recording_stops_total", "counter",
                    "recordings stopped before their show ended (disk full, failed write)",
                    (double)t.stops);
  sc_metrics_single(m, "shopcast_recording_free_bytes", "gauge",
                    "free space where the shows are recorded", (double)t.free_bytes);
}

static void
process_metrics(ScDaemon *self, ScMetrics *m)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu =
      ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  sc_metrics_single(m, "shopcast_process_cpu_seconds_total", "counter",
                    "CPU time used by shopcastd (rate() gives the load)", cpu);
  g_autofree char *statm = NULL;
  if (g_file_get_contents("/proc/self/statm", &statm, NULL, NULL)) {
    guint64 pages = g_ascii_strtoull(strchr(statm, ' ') ? strchr(statm, ' ') + 1 : "0", NULL, 10);
    sc_metrics_single(m, "shopcast_process_resident_memory_bytes", "gauge", "resident memory",
                      (double)pages * (double)sysconf(_SC_PAGESIZE));
  }
  guint fds = 0;
  g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
  while (dir && g_dir_read_name(dir) && fds < 1000000)
    fds++;
  sc_metrics_single(m, "shopcast_process_open_fds", "gauge", "open file descriptors", fds);
  double t = temperature_c();
  if (!isnan(t))
    sc_metrics_single(m, "shopcast_temperature_celsius", "gauge",
                      "the hottest thermal zone of the board", t);
  sc_metrics_single(m, "shopcast_uptime_seconds", "gauge", "seconds since shopcastd started",
                    (g_get_monotonic_time() - self->started_us) / 1e6);
}

static char *
metrics_text(gpointer data)
{
  ScDaemon *self = data;
  ScMetrics *m = sc_metrics_new(); /* freed by sc_metrics_finish */
  sc_metrics_family(m, "shopcast_info", "gauge", "the board and the encoders in use");
  sc_metrics_value(m, "shopcast_info", 1, "version", SC_VERSION, "board",
                   sc_board_get_name(self->board), "video_encoder",
                   sc_pipeline_get_video_encoder(self->pipeline), NULL);
  sc_metrics_single(m, "shopcast_live", "gauge", "1 while the show is on air", self->live);
  sc_metrics_single(m, "shopcast_pipeline_restarts_total", "counter",
                    "restarts of the program pipeline after no frame passed for 2 s",
                    (double)sc_stall_watch_get_stalls(self->stall));
  sc_metrics_single(m, "shopcast_frames_encoded_total", "counter",
                    "program frames sent to the encoder",
                    (double)sc_pipeline_get_frame_count(self->pipeline));
  bitrate_metrics(self, m);
  output_metrics(self, m);
  uplink_metrics(self, m);
  audio_metrics(self, m);
  recording_metrics(self, m);
  sc_metrics_single(m, "shopcast_events_total", "counter", "events in the journal since start",
                    (double)sc_event_log_get_total(self->events));
  sc_metrics_single(m, "shopcast_panel_clients", "gauge", "panel feeds connected",
                    self->api ? sc_api_count_clients(self->api) : 0);
  process_metrics(self, m);
  return sc_metrics_finish(m);
}

/* ---- the panel and the API ---- */

static void
want_preview(gboolean want, gpointer data)
{
  ScDaemon *self = data;
  sc_preview_set_enabled(sc_pipeline_get_preview(self->pipeline), want);
}

static GBytes *
preview_frame(guint64 *sequence, gpointer data)
{
  ScDaemon *self = data;
  return sc_preview_get_frame(sc_pipeline_get_preview(self->pipeline), sequence);
}

static char *
log_text(gpointer data)
{
  return sc_log_recent();
}

/* ---- firmware updates ---- */

/* How long the panel has to show "installed" before the box restarts. */
#define REBOOT_DELAY_S 3

static gboolean
on_reboot(gpointer data)
{
  ScDaemon *self = data;
  g_autoptr(GError) error = NULL;
  self->reboot_timer = 0;
  if (self->live) {
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "firmware", "update", "installed",
                     "the box went live: restart it after the show to use the new firmware");
    return G_SOURCE_REMOVE;
  }
  if (!sc_update_reboot(self->update, &error))
    sc_event_log_add(self->events, g_get_real_time(), TRUE, "firmware", "update", "installed",
                     error->message);
  return G_SOURCE_REMOVE;
}

static void
on_update(ScUpdateState state, const char *detail, gpointer data)
{
  ScDaemon *self = data;
  sc_event_log_add(self->events, g_get_real_time(), state == SC_UPDATE_FAILED, "firmware", "update",
                   sc_update_state_name(state), detail);
  if (state == SC_UPDATE_INSTALLED && self->reboot_timer == 0)
    self->reboot_timer = g_timeout_add_seconds(REBOOT_DELAY_S, on_reboot, self);
}

/* An update restarts the box: never during a show. */
static gboolean
may_update(gpointer data, GError **error)
{
  ScDaemon *self = data;
  if (!self->live)
    return TRUE;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
              "the box is live: stop the stream (live off) before updating the firmware; the box "
              "restarts to use it");
  return FALSE;
}

char *
sc_daemon_firmware_json(ScDaemon *self, GError **error)
{
  if (self->update == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "firmware updates are off");
    return NULL;
  }
  return sc_update_status_json(self->update);
}

void
sc_daemon_open_api(ScDaemon *self)
{
  const ScPanelConfig *pc = &self->config->panel;
  g_autoptr(GError) error = NULL;
  ScAuthSettings settings = {.max_failures = pc->max_failures, .lockout_s = pc->lockout_s};
  self->auth = sc_auth_new(pc->passwords, &settings, &error);
  if (self->auth == NULL) {
    g_warning("panel passwords unreadable (%s): the panel and shopcastctl are off", error->message);
    return;
  }
  /* the panel's files: referencing them keeps the linker from dropping them */
  g_return_if_fail(sc_panel_get_resource() != NULL);
  self->http = sc_http_new(self->auth, NULL);
  self->update = sc_update_new(self->config->update_dir, on_update, self);
  ScApiHost host = {
      .command = sc_daemon_run_command,
      .metrics = metrics_text,
      .want_preview = want_preview,
      .preview_frame = preview_frame,
      .log_text = log_text,
      .user_data = self,
      .events = self->events,
      .config_path = self->config->path,
      .update = self->update,
      .may_update = may_update,
  };
  self->api = sc_api_new(self->http, &host);
  if (!sc_http_listen_unix(self->http, self->config->control_socket, &error)) {
    g_warning("control socket unavailable (shopcastctl cannot reach the box): %s",
              error->message); /* the show goes on */
    g_clear_error(&error);
  }
  if (!pc->enabled)
    return;
  if (!sc_http_listen_tcp(self->http, pc->address, pc->port, &error)) {
    g_warning("panel unavailable on %s:%u: %s", pc->address, pc->port, error->message);
    return;
  }
  g_log_structured(
      G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "panel", "MESSAGE",
      "panel on http://%s:%u/ (studio LAN only)%s", pc->address, sc_http_get_port(self->http),
      sc_auth_needs_setup(self->auth) ? ": first start, set the technician password" : "");
}

void
sc_daemon_close_api(ScDaemon *self)
{
  g_clear_handle_id(&self->reboot_timer, g_source_remove);
  g_clear_pointer(&self->api, sc_api_free);
  g_clear_pointer(&self->http, sc_http_free);
  g_clear_pointer(&self->update, sc_update_free);
  g_clear_pointer(&self->auth, sc_auth_free);
}
