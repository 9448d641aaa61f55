#define G_LOG_DOMAIN "shopcast-audio"

#include "firmware/audio-control.h"

#include "firmware/json.h"

#include <gio/gio.h>

#include <math.h>

struct _ScAudioControl {
  ScAudio *audio;
  ScShow *show;    /* the latest show that changed, borrowed */
  guint end_timer; /* the running flash sale's end */
};

const char *const sc_audio_command_usage = "audio [status] | audio gain DB | audio mute on|off | "
                                           "audio sync MS | audio drill off|stall|on";

ScAudioControl *
sc_audio_control_new(ScAudio *audio)
{
  ScAudioControl *self = g_new0(ScAudioControl, 1);
  self->audio = audio;
  return self;
}

void
sc_audio_control_free(ScAudioControl *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->end_timer, g_source_remove);
  g_free(self);
}

/* ---- the music bed follows the flash sale ---- */

static void follow_flash_sale(ScAudioControl *self);

static gboolean
on_flash_end(gpointer data)
{
  ScAudioControl *self = data;
  self->end_timer = 0;
  follow_flash_sale(self);
  return G_SOURCE_REMOVE;
}

static void
follow_flash_sale(ScAudioControl *self)
{
  const ScOnAir *on_air = sc_show_get_on_air(self->show);
  gint64 now = g_get_real_time();
  gboolean running = on_air->flash_sale && now < on_air->flash_end_us;
  g_clear_handle_id(&self->end_timer, g_source_remove);
  if (running) /* the countdown ends by itself: the show reports no change then */
    self->end_timer = g_timeout_add((guint)MIN((on_air->flash_end_us - now) / 1000 + 1, G_MAXUINT),
                                    on_flash_end, self);
  ScAudioStatus st;
  sc_audio_get_status(self->audio, &st);
  if (st.bed != SC_AUDIO_BED_ON && st.bed != SC_AUDIO_BED_OFF)
    return; /* no bed: nothing to follow */
  g_autoptr(GError) error = NULL;
  if (!sc_audio_set_music_bed(self->audio, running, &error))
    g_warning("music bed: %s", error->message);
}

void
sc_audio_control_show_changed(ScAudioControl *self, ScShow *show)
{
  self->show = show;
  follow_flash_sale(self);
}

/* ---- status ---- */

static void
append_db_list(GString *out, const double *values, guint n)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_c(out, '[');
  for (guint i = 0; i < n; i++)
    g_string_append_printf(out, "%s%s", i ? "," : "",
                           g_ascii_formatd(buf, sizeof buf, "%.1f", values[i]));
  g_string_append_c(out, ']');
}

static void
append_meter(GString *out, const char *name, const ScAudioMeter *m)
{
  g_string_append_printf(out, ",\"%s\":{\"peak_db\":", name);
  append_db_list(out, m->peak_db, m->channels);
  g_string_append(out, ",\"rms_db\":");
  append_db_list(out, m->rms_db, m->channels);
  g_string_append_printf(out, ",\"clipping\":%s,\"clipped_intervals\":%" G_GUINT64_FORMAT "}",
                         m->clipping ? "true" : "false", m->clipped_intervals);
}

/* The mic's state, since when (ms since the epoch), why it was last lost. */
static void
append_mic_state(GString *out, const ScMicInfo *mic)
{
  g_string_append(out, ",\"mic_state\":");
  sc_json_append_string(out, sc_mic_state_name(mic->state));
  g_string_append_printf(
      out, ",\"mic_since_ms\":%" G_GINT64_FORMAT ",\"mic_lost_because\":", mic->since_us / 1000);
  if (mic->reason)
    sc_json_append_string(out, mic->reason);
  else
    g_string_append(out, "null");
  g_string_append(out, ",\"mic_drill\":");
  if (sc_mic_drill_name(mic->drill))
    sc_json_append_string(out, sc_mic_drill_name(mic->drill));
  else
    g_string_append(out, "null");
  g_string_append_printf(out, ",\"mic_losses\":%" G_GUINT64_FORMAT, mic->losses);
}

char *
sc_audio_control_status_json(ScAudioControl *self)
{
  ScAudioStatus st;
  sc_audio_get_status(self->audio, &st);
  char gain[G_ASCII_DTOSTR_BUF_SIZE];
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "{\"gain_db\":%s,\"mute\":%s,\"sync_offset_ms\":%d,\"music_bed\":",
                         g_ascii_formatd(gain, sizeof gain, "%.1f", st.gain_db),
                         st.mute ? "true" : "false", st.sync_offset_ms);
  sc_json_append_string(out, sc_audio_bed_state_name(st.bed));
  append_mic_state(out, &st.mic_state);
  append_meter(out, "mic", &st.mic);
  append_meter(out, "program", &st.program);
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

/* ---- commands ---- */

static gboolean
usage(GError **error)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: %s", sc_audio_command_usage);
  return FALSE;
}

static gboolean
parse_number(const char *text, double *value, GError **error)
{
  char *end = NULL;
  *value = g_ascii_strtod(text, &end);
  if (*text == '\0' || end == NULL || *end != '\0' || !isfinite(*value)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not a number", text);
    return FALSE;
  }
  return TRUE;
}

/* off: the mic fails as an unplugged one does; stall: it sends nothing;
 * on: it comes back. */
static gboolean
drill(ScAudioControl *self, const char *what, GError **error)
{
  static const char *const words[] = {"on", "off", "stall"};
  for (guint d = 0; d < G_N_ELEMENTS(words); d++)
    if (g_str_equal(what, words[d])) {
      sc_audio_drill_mic(self->audio, (ScMicDrill)d);
      return TRUE;
    }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
              "audio drill: '%s' is not off (unplugged), stall (silent) or on (back)", what);
  return FALSE;
}

static gboolean
run(ScAudioControl *self, const char *word, const char *arg, GError **error)
{
  double v = 0;
  if (g_str_equal(word, "gain"))
    return parse_number(arg, &v, error) && sc_audio_set_gain_db(self->audio, v, error);
  if (g_str_equal(word, "sync")) {
    if (!parse_number(arg, &v, error))
      return FALSE;
    if (v != floor(v) || fabs(v) > 100000) { /* whole ms; the range is checked next */
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "sync: '%s' is not a whole number of ms", arg);
      return FALSE;
    }
    return sc_audio_set_sync_offset_ms(self->audio, (int)v, error);
  }
  if (g_str_equal(word, "mute") && (g_str_equal(arg, "on") || g_str_equal(arg, "off"))) {
    sc_audio_set_mute(self->audio, g_str_equal(arg, "on"));
    return TRUE;
  }
  if (g_str_equal(word, "drill"))
    return drill(self, arg, error);
  return usage(error);
}

char *
sc_audio_control_command(ScAudioControl *self, const char *const *argv, GError **error)
{
  guint argc = g_strv_length((char **)argv);
  if (argc == 0 || (argc == 1 && g_str_equal(argv[0], "status")))
    return sc_audio_control_status_json(self);
  if (argc != 2 || !run(self, argv[0], argv[1], error)) {
    if (argc != 2)
      usage(error);
    return NULL;
  }
  g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "EVENT", "audio-command", "MESSAGE",
                   "audio %s %s", argv[0], argv[1]);
  return sc_audio_control_status_json(self);
}
