/* Tests for pipeline/mic.c: a lost microphone, on the simulated board (a
 * 1 kHz tone at 0.2 of full scale) and with a real ALSA source that cannot
 * open. The program's audio must run on without a gap, silent while the mic
 * is out; the loss and the return are reported within 1 s; the mic comes
 * back at its level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/board.h"
#include "pipeline/flv.h"
#include "pipeline/pipeline.h"

#include <math.h>
#include <string.h>

#define TONE_RMS_DB  -16.99
#define AAC_FRAME_MS (1024.0 * 1000 / 48000)

typedef struct {
  GMutex lock;
  guint audio_tags;
  gint64 first_ts, last_ts, max_step;
} FlvAudio;

typedef struct {
  ScBoard *board;
  ScMediaSpec spec;
  ScPipeline *pipeline;
  GMainLoop *loop;
  FlvAudio flv;
  GPtrArray *events; /* "state detail" */
  gint64 lost_us, back_us;
} Fixture;

static void
on_event(ScPipeline *p, ScPipelineEvent event, const GError *error, gpointer data)
{
  if (event == SC_PIPELINE_EVENT_ERROR)
    fail_msg("the program failed: %s", error->message);
}

static void
on_program(GstBuffer *tag, GstCaps *caps, gpointer data)
{
  FlvAudio *t = data;
  if (tag == NULL || GST_BUFFER_FLAG_IS_SET(tag, GST_BUFFER_FLAG_HEADER))
    return;
  GstMapInfo m;
  gst_buffer_map(tag, &m, GST_MAP_READ);
  ScFlvTag f;
  g_mutex_lock(&t->lock);
  if (sc_flv_parse_tag(m.data, m.size, &f, NULL) && !sc_flv_tag_is_sequence_header(&f) &&
      f.type == SC_FLV_TAG_AUDIO) {
    if (t->audio_tags++ == 0)
      t->first_ts = f.timestamp_ms;
    else
      t->max_step = MAX(t->max_step, (gint64)f.timestamp_ms - t->last_ts);
    t->last_ts = f.timestamp_ms;
  }
  g_mutex_unlock(&t->lock);
  gst_buffer_unmap(tag, &m);
}

static void
on_mic(const char *state, const char *detail, gboolean warning, gpointer data)
{
  Fixture *f = data;
  g_ptr_array_add(f->events, g_strdup_printf("%s %s", state, detail));
  if (g_str_equal(state, "lost") && f->lost_us == 0)
    f->lost_us = g_get_monotonic_time();
  if (g_str_equal(state, "back") && f->back_us == 0)
    f->back_us = g_get_monotonic_time();
}

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  f->board = sc_board_load(sc_board_default_dir(), "sim", &error);
  assert_non_null(f->board);
  f->spec = (ScMediaSpec){.width = 320,
                          .height = 240,
                          .framerate = 30,
                          .video_bitrate_kbps = 500,
                          .keyframe_interval_s = 1,
                          .x264_preset = "ultrafast",
                          .audio_rate = 48000,
                          .audio_channels = 2,
                          .audio_bitrate_kbps = 128};
  f->loop = g_main_loop_new(NULL, FALSE);
  f->events = g_ptr_array_new_with_free_func(g_free);
  g_mutex_init(&f->flv.lock);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  sc_board_free(f->board);
  g_main_loop_unref(f->loop);
  g_ptr_array_unref(f->events);
  g_mutex_clear(&f->flv.lock);
  g_free(f);
  return 0;
}

static ScAudio *
start(Fixture *f, const char *audio_source)
{
  ScPipelineParams p = {
      .video_source = sc_board_get_video_source(f->board),
      .audio_source = audio_source ? audio_source : sc_board_get_audio_source(f->board),
      .video_encoders = sc_board_get_video_encoders(f->board),
      .audio_encoders = sc_board_get_audio_encoders(f->board),
      .video_device = sc_board_get_video_device(f->board),
      .audio_device = sc_board_get_audio_device(f->board),
      .spec = &f->spec,
  };
  g_autoptr(GError) error = NULL;
  f->pipeline = sc_pipeline_new(&p, on_event, f, &error);
  if (f->pipeline == NULL)
    fail_msg("%s", error->message);
  ScAudio *audio = sc_pipeline_get_audio(f->pipeline);
  sc_audio_set_mic_event_func(audio, on_mic, f);
  sc_pipeline_add_program_sink(f->pipeline, on_program, &f->flv);
  assert_true(sc_pipeline_start(f->pipeline, &error));
  return audio;
}

static gboolean
quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static void
run_for(Fixture *f, guint ms)
{
  g_timeout_add(ms, quit_loop, f->loop);
  g_main_loop_run(f->loop);
}

/* Runs until @when is set, at most @max_ms; returns the ms it took. */
static gint64
wait_for(Fixture *f, gint64 *when, gint64 from_us, guint max_ms)
{
  for (guint i = 0; i < max_ms / 10 && *when == 0; i++)
    run_for(f, 10);
  if (*when == 0)
    fail_msg("no event within %u ms", max_ms);
  return (*when - from_us) / 1000;
}

/* Both meters' latest interval after @n fresh program intervals. */
static ScAudioStatus
measure(Fixture *f, guint n)
{
  ScAudio *audio = sc_pipeline_get_audio(f->pipeline);
  ScAudioStatus st;
  sc_audio_get_status(audio, &st);
  guint64 want = st.program.intervals + n;
  for (guint i = 0; i < 100 && st.program.intervals < want; i++) {
    run_for(f, 50);
    sc_audio_get_status(audio, &st);
  }
  assert_true(st.program.intervals >= want);
  return st;
}

static void
assert_tone(const ScAudioMeter *m)
{
  if (fabs(m->rms_db[0] - TONE_RMS_DB) > 0.5)
    fail_msg("the meter reads %.2f dB, the tone is %.2f dB", m->rms_db[0], TONE_RMS_DB);
}

/* The program's audio ran on without a gap: one AAC frame after another,
 * as many as the time they cover. */
static void
assert_no_gap(Fixture *f)
{
  g_mutex_lock(&f->flv.lock);
  gint64 span = f->flv.last_ts - f->flv.first_ts;
  guint tags = f->flv.audio_tags;
  gint64 step = f->flv.max_step;
  g_mutex_unlock(&f->flv.lock);
  print_message("program audio: %u tags over %" G_GINT64_FORMAT
                " ms, largest step %" G_GINT64_FORMAT " ms\n",
                tags, span, step);
  assert_true(tags > 100);
  assert_true(step <= 23); /* one AAC frame is 21.3 ms */
  assert_true(fabs((tags - 1) * AAC_FRAME_MS - span) < 3 * AAC_FRAME_MS);
}

static gboolean
has_event(Fixture *f, const char *prefix)
{
  for (guint i = 0; i < f->events->len; i++)
    if (g_str_has_prefix(g_ptr_array_index(f->events, i), prefix))
      return TRUE;
  return FALSE;
}

/* Lost by @drill, back after "on": both within 1 s, silence between. */
static void
drill_and_return(Fixture *f, ScMicDrill drill, const char *reason)
{
  ScAudio *audio = start(f, NULL);
  ScAudioStatus st = measure(f, 5);
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LIVE);
  assert_tone(&st.mic);
  gint64 t0 = g_get_monotonic_time();
  sc_audio_drill_mic(audio, drill);
  gint64 lost_ms = wait_for(f, &f->lost_us, t0, 1000);
  st = measure(f, 3);
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LOST);
  assert_non_null(strstr(st.mic_state.reason, reason));
  assert_true(st.mic.rms_db[0] <= SC_AUDIO_METER_FLOOR);
  assert_true(st.program.rms_db[0] < -90); /* silence on air, not the tone */
  run_for(f, 1500);
  t0 = g_get_monotonic_time();
  sc_audio_drill_mic(audio, SC_MIC_DRILL_NONE);
  gint64 back_ms = wait_for(f, &f->back_us, t0, 1000);
  st = measure(f, 3);
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LIVE);
  assert_tone(&st.mic);
  assert_tone(&st.program);
  assert_int_equal(st.mic_state.losses, 1);
  assert_true(has_event(f, "lost ") && has_event(f, "back "));
  print_message("mic %s: lost after %" G_GINT64_FORMAT " ms, back %" G_GINT64_FORMAT
                " ms after the drill ended\n",
                sc_mic_drill_name(drill), lost_ms, back_ms);
  assert_no_gap(f);
}

static void
test_drill_off_and_back(void **state)
{
  drill_and_return(*state, SC_MIC_DRILL_OFF, "drill: unplugged");
}

static void
test_drill_stall_and_back(void **state)
{
  drill_and_return(*state, SC_MIC_DRILL_STALL, "no audio from the mic");
}

/* Gain and mute set while the mic is out apply to it when it is back. */
static void
test_gain_and_mute_survive_a_loss(void **state)
{
  Fixture *f = *state;
  ScAudio *audio = start(f, NULL);
  g_autoptr(GError) error = NULL;
  assert_true(sc_audio_set_gain_db(audio, -6, &error));
  measure(f, 3);
  sc_audio_drill_mic(audio, SC_MIC_DRILL_OFF);
  wait_for(f, &f->lost_us, g_get_monotonic_time(), 1000);
  assert_true(sc_audio_set_gain_db(audio, -10, &error));
  sc_audio_drill_mic(audio, SC_MIC_DRILL_NONE);
  wait_for(f, &f->back_us, g_get_monotonic_time(), 1000);
  ScAudioStatus st = measure(f, 3);
  if (fabs(st.mic.rms_db[0] - (TONE_RMS_DB - 10)) > 0.5)
    fail_msg("back at %.2f dB, expected %.2f dB", st.mic.rms_db[0], TONE_RMS_DB - 10);
  sc_audio_set_mute(audio, TRUE);
  sc_audio_drill_mic(audio, SC_MIC_DRILL_OFF);
  run_for(f, 300);
  sc_audio_drill_mic(audio, SC_MIC_DRILL_NONE);
  run_for(f, 500);
  st = measure(f, 3);
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LIVE);
  assert_true(st.mic.rms_db[0] < -90 && st.program.rms_db[0] < -90);
}

/* A mic whose source ends its stream by itself (no drill) goes silent: it
 * is lost, reopened, and back, with the program running throughout. */
static void
test_source_that_ends_is_reopened(void **state)
{
  Fixture *f = *state;
  start(f, "audiotestsrc is-live=true wave=sine freq=1000 volume=0.2 num-buffers=60"
           " ! audio/x-raw,rate=${audio_rate},channels=${audio_channels}");
  gint64 t0 = g_get_monotonic_time();
  wait_for(f, &f->lost_us, t0, 3000);
  wait_for(f, &f->back_us, t0, 5000);
  ScAudioStatus st = measure(f, 3);
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LIVE);
  assert_true(st.mic_state.attempts >= 2);
  assert_tone(&st.program);
  assert_no_gap(f);
}

/* A real ALSA capture device that is not there (this machine has no sound
 * card): alsasrc's own error takes the mic out, never the program, and the
 * box keeps trying to open it. */
static void
test_missing_alsa_device_leaves_the_program_running(void **state)
{
  Fixture *f = *state;
  start(f, "alsasrc device=hw:CARD=ShopcastNoSuchMic do-timestamp=true");
  run_for(f, 3500);
  ScAudioStatus st = measure(f, 3);
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LOST);
  print_message("lost because: %s; %" G_GUINT64_FORMAT " attempts\n", st.mic_state.reason,
                st.mic_state.attempts);
  assert_true(st.mic_state.attempts >= 3); /* 0 s, 1 s, 3 s */
  assert_true(st.program.rms_db[0] < -90);
  assert_no_gap(f);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_drill_off_and_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_drill_stall_and_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gain_and_mute_survive_a_loss, setup, teardown),
      cmocka_unit_test_setup_teardown(test_source_that_ends_is_reopened, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_alsa_device_leaves_the_program_running, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
