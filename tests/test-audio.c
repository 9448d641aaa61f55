/* Tests for pipeline/audio.c and firmware/audio-control.c: the mic's gain,
 * mute and meters, the sync offset in the encoded program, and the music bed
 * following the flash sale, on the simulated board (a 1 kHz tone at 0.2 of
 * full scale: peak -14.0 dBFS, RMS -17.0 dBFS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/audio-control.h"
#include "firmware/board.h"
#include "firmware/config.h"
#include "pipeline/flv.h"
#include "pipeline/pipeline.h"
#include "tests/support/testutil.h"

#include <math.h>
#include <string.h>

#define TONE_PEAK_DB -13.98
#define TONE_RMS_DB  -16.99

typedef struct {
  GMutex lock;
  guint audio_tags, video_tags;
  gint64 first_audio_ts, first_video_ts;
  gint64 last_audio_ts, max_audio_step, max_audio_step_at; /* the largest jump between tags */
} FlvTimes;

typedef struct {
  ScBoard *board;
  ScMediaSpec spec;
  ScPipeline *pipeline;
  ScAudioControl *control; /* freed by the teardown, before the pipeline, even after a failure */
  GMainLoop *loop;
  FlvTimes flv;
} Fixture;

static void
on_event(ScPipeline *p, ScPipelineEvent event, const GError *error, gpointer data)
{
  if (event == SC_PIPELINE_EVENT_ERROR)
    fail_msg("pipeline error: %s", error->message);
}

static void
on_program(GstBuffer *tag, GstCaps *caps, gpointer data)
{
  FlvTimes *t = data;
  if (tag == NULL || GST_BUFFER_FLAG_IS_SET(tag, GST_BUFFER_FLAG_HEADER))
    return;
  GstMapInfo m;
  gst_buffer_map(tag, &m, GST_MAP_READ);
  ScFlvTag f;
  g_mutex_lock(&t->lock);
  if (sc_flv_parse_tag(m.data, m.size, &f, NULL) && !sc_flv_tag_is_sequence_header(&f)) {
    if (f.type == SC_FLV_TAG_VIDEO && f.body_len > 1 && f.body[1] == 1) {
      if (t->video_tags++ == 0)
        t->first_video_ts = f.timestamp_ms;
    } else if (f.type == SC_FLV_TAG_AUDIO) {
      if (t->audio_tags++ == 0)
        t->first_audio_ts = f.timestamp_ms;
      else if ((gint64)f.timestamp_ms - t->last_audio_ts > t->max_audio_step) {
        t->max_audio_step = (gint64)f.timestamp_ms - t->last_audio_ts;
        t->max_audio_step_at = f.timestamp_ms;
      }
      t->last_audio_ts = f.timestamp_ms;
    }
  }
  g_mutex_unlock(&t->lock);
  gst_buffer_unmap(tag, &m);
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
  g_mutex_init(&f->flv.lock);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  g_clear_pointer(&f->control, sc_audio_control_free);
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  sc_board_free(f->board);
  g_main_loop_unref(f->loop);
  g_mutex_clear(&f->flv.lock);
  g_free(f);
  return 0;
}

static void wait_mic_on_air(Fixture *f, ScAudio *audio);

static ScAudio *
start(Fixture *f, const ScAudioSettings *settings)
{
  ScPipelineParams p = {
      .video_source = sc_board_get_video_source(f->board),
      .audio_source = sc_board_get_audio_source(f->board),
      .video_encoders = sc_board_get_video_encoders(f->board),
      .audio_encoders = sc_board_get_audio_encoders(f->board),
      .video_device = sc_board_get_video_device(f->board),
      .audio_device = sc_board_get_audio_device(f->board),
      .spec = &f->spec,
      .audio = settings,
  };
  g_autoptr(GError) error = NULL;
  f->pipeline = sc_pipeline_new(&p, on_event, f, &error);
  if (f->pipeline == NULL)
    fail_msg("%s", error->message);
  sc_pipeline_add_program_sink(f->pipeline, on_program, &f->flv);
  assert_true(sc_pipeline_start(f->pipeline, &error));
  ScAudio *audio = sc_pipeline_get_audio(f->pipeline);
  wait_mic_on_air(f, audio);
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

/* Runs until both meters have @n fresh intervals (after a change: the
 * first may straddle it), at most 5 s. */
static ScAudioStatus
measure(Fixture *f, guint n)
{
  ScAudio *audio = sc_pipeline_get_audio(f->pipeline);
  ScAudioStatus st;
  sc_audio_get_status(audio, &st);
  guint64 mic = st.mic.intervals + n, program = st.program.intervals + n;
  for (guint i = 0; i < 100 && (st.mic.intervals < mic || st.program.intervals < program); i++) {
    run_for(f, 50);
    sc_audio_get_status(audio, &st);
  }
  assert_true(st.mic.intervals >= mic && st.program.intervals >= program);
  assert_int_equal(st.mic.channels, 2);
  return st;
}

/* The mic joins the mixer once the program plays: until it is live, and for
 * the meters' interval that straddles that moment, the program is partly the
 * silence beside it. The tests measure from the first whole interval after. */
static void
wait_mic_on_air(Fixture *f, ScAudio *audio)
{
  ScAudioStatus st;
  sc_audio_get_status(audio, &st);
  for (guint i = 0; i < 100 && st.mic_state.state != SC_MIC_STATE_LIVE; i++) {
    run_for(f, 50);
    sc_audio_get_status(audio, &st);
  }
  assert_int_equal(st.mic_state.state, SC_MIC_STATE_LIVE);
  measure(f, 2);
}

static void
assert_db(double measured, double expected, double tolerance)
{
  if (fabs(measured - expected) > tolerance)
    fail_msg("measured %.2f dB, expected %.2f dB (+-%.2f)", measured, expected, tolerance);
}

/* ---- gain, mute, clipping ---- */

static void
test_gain_changes_the_level(void **state)
{
  Fixture *f = *state;
  ScAudioSettings s = {.gain_db = -6};
  ScAudio *audio = start(f, &s);
  ScAudioStatus st = measure(f, 3);
  assert_db(st.mic.rms_db[0], TONE_RMS_DB - 6, 0.5);
  assert_db(st.mic.peak_db[1], TONE_PEAK_DB - 6, 0.5);
  assert_db(st.program.rms_db[0], TONE_RMS_DB - 6, 0.5); /* no bed: the program is the mic */
  g_autoptr(GError) error = NULL;
  assert_true(sc_audio_set_gain_db(audio, 6, &error));
  st = measure(f, 3);
  assert_db(st.mic.rms_db[0], TONE_RMS_DB + 6, 0.5);
  assert_db(st.mic.rms_db[1], TONE_RMS_DB + 6, 0.5);
  assert_false(sc_audio_set_gain_db(audio, 21, &error));
  assert_true(g_error_matches(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_RANGE));
  assert_db(st.gain_db, 6, 0.01);
}

static void
test_mute_silences_and_unmute_restores(void **state)
{
  Fixture *f = *state;
  ScAudio *audio = start(f, NULL);
  ScAudioStatus st = measure(f, 2);
  assert_db(st.mic.rms_db[0], TONE_RMS_DB, 0.5);
  sc_audio_set_mute(audio, TRUE);
  st = measure(f, 3);
  assert_true(st.mic.rms_db[0] < -90 && st.mic.peak_db[1] < -90);
  assert_true(st.program.rms_db[0] < -90);
  assert_true(st.mute);
  sc_audio_set_mute(audio, FALSE);
  st = measure(f, 3);
  assert_db(st.mic.rms_db[0], TONE_RMS_DB, 0.5);
  assert_db(st.program.rms_db[1], TONE_RMS_DB, 0.5);
}

/* The tone peaks at -14 dBFS: +13 dB leaves it 1 dB short of full scale,
 * +14 dB reaches it. */
static void
test_clipping_is_detected(void **state)
{
  Fixture *f = *state;
  ScAudioSettings s = {.gain_db = 13};
  ScAudio *audio = start(f, &s);
  ScAudioStatus st = measure(f, 3);
  assert_false(st.mic.clipping);
  assert_int_equal(st.mic.clipped_intervals, 0);
  g_autoptr(GError) error = NULL;
  assert_true(sc_audio_set_gain_db(audio, 14, &error));
  st = measure(f, 4);
  assert_true(st.mic.clipping);
  assert_true(st.mic.clipped_intervals >= 3);
  assert_true(st.mic.peak_db[0] >= SC_AUDIO_CLIP_DB);
  assert_true(sc_audio_set_gain_db(audio, 0, &error));
  st = measure(f, 3);
  assert_false(st.mic.clipping);
  guint64 clipped = st.mic.clipped_intervals;
  st = measure(f, 2);
  assert_int_equal(st.mic.clipped_intervals, clipped); /* a count, not a state */
}

/* ---- sync offset ---- */

static gint64
audio_minus_video_ms(Fixture *f, int offset_ms)
{
  ScAudioSettings s = {.sync_offset_ms = offset_ms};
  start(f, &s);
  run_for(f, 1500);
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  g_mutex_lock(&f->flv.lock);
  assert_true(f->flv.audio_tags > 20 && f->flv.video_tags > 15);
  gint64 d = f->flv.first_audio_ts - f->flv.first_video_ts;
  memset(&f->flv.audio_tags, 0, sizeof f->flv - offsetof(FlvTimes, audio_tags));
  g_mutex_unlock(&f->flv.lock);
  return d;
}

static void
test_sync_offset_shifts_audio_timestamps(void **state)
{
  Fixture *f = *state;
  gint64 zero = audio_minus_video_ms(f, 0);
  gint64 later = audio_minus_video_ms(f, 250);
  gint64 earlier = audio_minus_video_ms(f, -250);
  print_message("audio - video: %" G_GINT64_FORMAT " ms at 0, %" G_GINT64_FORMAT
                " at +250, %" G_GINT64_FORMAT " at -250\n",
                zero, later, earlier);
  assert_in_range(later - zero, 250 - 25, 250 + 25);
  assert_in_range(zero - earlier, 250 - 25, 250 + 25);
}

/* On air, a larger offset makes one gap in the audio of the change. */
static void
test_sync_offset_changes_on_air(void **state)
{
  Fixture *f = *state;
  ScAudio *audio = start(f, NULL);
  run_for(f, 1200);
  g_autoptr(GError) error = NULL;
  assert_true(sc_audio_set_sync_offset_ms(audio, 300, &error));
  run_for(f, 1200);
  assert_false(sc_audio_set_sync_offset_ms(audio, 501, &error));
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  /* AAC frames are 21.3 ms apart; the change adds 300 */
  assert_in_range(f->flv.max_audio_step, 321 - 25, 321 + 25);
  assert_in_range(f->flv.max_audio_step_at, 900, 1900);
}

/* ---- music bed ---- */

/* A 1 s, 440 Hz stereo WAV at half of full scale (RMS -9.0 dBFS). */
static char *
write_wav(const char *dir, const char *name, guint seconds)
{
  const guint rate = 48000, channels = 2, frames = rate * seconds;
  guint32 data_len = frames * channels * 2;
  g_autoptr(GByteArray) wav = g_byte_array_new();
  guint32 u32;
  guint16 u16;
#define PUT(bytes, len) g_byte_array_append(wav, (const guint8 *)(bytes), len)
#define PUT32(v)        (u32 = GUINT32_TO_LE(v), PUT(&u32, 4))
#define PUT16(v)        (u16 = GUINT16_TO_LE(v), PUT(&u16, 2))
  PUT("RIFF", 4), PUT32(36 + data_len), PUT("WAVEfmt ", 8), PUT32(16), PUT16(1), PUT16(channels);
  PUT32(rate), PUT32(rate * channels * 2), PUT16(channels * 2), PUT16(16), PUT("data", 4);
  PUT32(data_len);
  for (guint i = 0; i < frames; i++) {
    gint16 v = GINT16_TO_LE((gint16)(0.5 * 32767 * sin(2 * G_PI * 440 * i / rate)));
    PUT(&v, 2), PUT(&v, 2);
  }
#undef PUT
#undef PUT32
#undef PUT16
  char *path = g_build_filename(dir, name, NULL);
  assert_true(g_file_set_contents(path, (char *)wav->data, wav->len, NULL));
  return path;
}

#define BED_RMS_DB -9.03

/* A show with one product and a flash sale; the test clock moves in 1 s
 * steps so the show's minimum interval never refuses an action. */
static gint64 fake_monotonic_us;
static gint64
fake_monotonic(void)
{
  return fake_monotonic_us += G_USEC_PER_SEC;
}

static gint64 realtime_shift_us;
static gint64
shifted_realtime(void)
{
  return g_get_real_time() + realtime_shift_us;
}

static ScShow *
flash_show(const char *dir)
{
  g_autofree char *path = sc_test_write_file(dir, "show.ini",
                                             "[show]\ntitle = t\nhost = h\n"
                                             "[product p1]\nname = P\nprice = 99\n"
                                             "flash-sale = 10\n");
  g_autoptr(GError) error = NULL;
  ScShowFile *file = sc_show_file_load(path, &error);
  if (file == NULL)
    fail_msg("%s", error->message);
  ScShow *show = sc_show_new(file, NULL, NULL);
  sc_show_set_clock(show, fake_monotonic, shifted_realtime);
  return show;
}

static void
assert_silent(const ScAudioStatus *st)
{
  if (st->program.rms_db[0] > -90)
    fail_msg("program at %.1f dB, expected silence", st->program.rms_db[0]);
}

/* The program silent within @max_s seconds (the meters report what left the
 * mixer a little earlier: more so on a slow or loaded machine). */
static ScAudioStatus
wait_silent(Fixture *f, guint max_s)
{
  ScAudioStatus st = measure(f, 3);
  for (guint i = 0; i < max_s * 10 && st.program.rms_db[0] > -90; i++)
    st = measure(f, 1);
  assert_silent(&st);
  return st;
}

static void
test_music_bed_plays_only_during_flash_sale(void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = sc_test_tmpdir();
  g_autofree char *wav = write_wav(dir, "bed.wav", 1);
  /* the mic muted: what the program carries is the bed */
  ScAudioSettings s = {.mute = TRUE, .music_bed = wav, .music_bed_gain_db = 0};
  ScAudio *audio = start(f, &s);
  g_autoptr(ScShow) show = flash_show(dir);
  ScAudioControl *control = f->control = sc_audio_control_new(audio);
  g_autoptr(GError) error = NULL;

  ScAudioStatus st = wait_silent(f, 3);
  assert_int_equal(st.bed, SC_AUDIO_BED_OFF);
  assert_true(sc_show_next_product(show, &error));
  sc_audio_control_show_changed(control, show);
  st = measure(f, 3);
  assert_silent(&st); /* a product on air, no flash sale yet */

  assert_true(sc_show_flash_start(show, &error));
  sc_audio_control_show_changed(control, show);
  st = measure(f, 5); /* the 300 ms fade is over */
  assert_int_equal(st.bed, SC_AUDIO_BED_ON);
  double low = 0, high = -200;
  for (int i = 0; i < 15; i++) { /* 1.5 s: the 1 s loop comes round without a gap */
    st = measure(f, 1);
    low = i ? MIN(low, st.program.rms_db[0]) : st.program.rms_db[0];
    high = MAX(high, st.program.rms_db[1]);
  }
  assert_db(low, BED_RMS_DB, 0.5);
  assert_db(high, BED_RMS_DB, 0.5);
  assert_true(st.mic.rms_db[0] < -90); /* the mic meter never hears the bed */

  assert_true(sc_show_flash_stop(show, &error));
  sc_audio_control_show_changed(control, show);
  st = wait_silent(f, 3); /* after the fade out */
  assert_int_equal(st.bed, SC_AUDIO_BED_OFF);
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  sc_test_rmtree(dir);
}

/* The fade is a ramp: during the 300 ms the level passes through values
 * between silence and the bed's, never jumping straight to full. */
static void
test_music_bed_fades_in(void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = sc_test_tmpdir();
  g_autofree char *wav = write_wav(dir, "bed.wav", 1);
  ScAudioSettings s = {.mute = TRUE, .music_bed = wav, .music_bed_gain_db = 0};
  ScAudio *audio = start(f, &s);
  g_autoptr(GError) error = NULL;
  measure(f, 3);
  assert_true(sc_audio_set_music_bed(audio, TRUE, &error));
  double first_loud = 0;
  for (int i = 0; i < 10 && first_loud == 0; i++) {
    ScAudioStatus st = measure(f, 1);
    if (st.program.rms_db[0] > -60)
      first_loud = st.program.rms_db[0];
  }
  /* the first 100 ms interval that hears the bed holds part of the ramp */
  assert_true(first_loud < BED_RMS_DB - 3);
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  sc_test_rmtree(dir);
}

/* The bed ends by itself with the flash sale's countdown. */
static void
test_music_bed_stops_when_flash_sale_ends(void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = sc_test_tmpdir();
  g_autofree char *wav = write_wav(dir, "bed.wav", 1);
  ScAudioSettings s = {.mute = TRUE, .music_bed = wav, .music_bed_gain_db = -6};
  ScAudio *audio = start(f, &s);
  g_autoptr(ScShow) show = flash_show(dir);
  ScAudioControl *control = f->control = sc_audio_control_new(audio);
  g_autoptr(GError) error = NULL;
  assert_true(sc_show_next_product(show, &error));
  realtime_shift_us = -9 * G_USEC_PER_SEC; /* the 10 s sale ends 1 s from now */
  assert_true(sc_show_flash_start(show, &error));
  realtime_shift_us = 0;
  sc_audio_control_show_changed(control, show);
  ScAudioStatus st = measure(f, 5);
  assert_db(st.program.rms_db[0], BED_RMS_DB - 6, 0.5);
  run_for(f, 1000);
  st = measure(f, 4);
  assert_int_equal(st.bed, SC_AUDIO_BED_OFF);
  assert_silent(&st);
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  sc_test_rmtree(dir);
}

/* A file that is not audio: logged, and the show goes on without a bed. */
static void
test_undecodable_bed_leaves_the_mic_on_air(void **state)
{
  Fixture *f = *state;
  g_autofree char *dir = sc_test_tmpdir();
  g_autofree char *junk = sc_test_write_file(dir, "bed.mp3", "this is not music\n");
  ScAudioSettings s = {.music_bed = junk};
  ScAudio *audio = start(f, &s);
  ScAudioStatus st = measure(f, 3);
  assert_int_equal(st.bed, SC_AUDIO_BED_FAILED);
  assert_db(st.program.rms_db[0], TONE_RMS_DB, 0.5);
  g_autoptr(GError) error = NULL;
  assert_false(sc_audio_set_music_bed(audio, TRUE, &error));
  assert_true(g_error_matches(error, SC_AUDIO_ERROR, SC_AUDIO_ERROR_BED));
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
  sc_test_rmtree(dir);
}

/* ---- control commands ---- */

static void
test_commands(void **state)
{
  Fixture *f = *state;
  ScAudio *audio = start(f, NULL);
  ScAudioControl *control = f->control = sc_audio_control_new(audio);
  measure(f, 2);
  g_autoptr(GError) error = NULL;
  const char *gain[] = {"gain", "-6.5", NULL};
  g_autofree char *out = sc_audio_control_command(control, gain, &error);
  assert_non_null(out);
  assert_non_null(strstr(out, "\"gain_db\":-6.5"));
  const char *mute[] = {"mute", "on", NULL};
  g_autofree char *out2 = sc_audio_control_command(control, mute, &error);
  assert_non_null(strstr(out2, "\"mute\":true"));
  const char *sync[] = {"sync", "-120", NULL};
  g_autofree char *out3 = sc_audio_control_command(control, sync, &error);
  assert_non_null(strstr(out3, "\"sync_offset_ms\":-120"));
  assert_non_null(strstr(out3, "\"music_bed\":\"none\""));
  assert_non_null(strstr(out3, "\"mic\":{\"peak_db\":["));
  const char *bad[][3] = {{"gain", "loud", NULL}, {"gain", "30", NULL},  {"mute", "maybe", NULL},
                          {"sync", "1.5", NULL},  {"sync", "600", NULL}, {"volume", "3", NULL}};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_clear_error(&error);
    g_autofree char *o = sc_audio_control_command(control, bad[i], &error);
    assert_null(o);
    assert_non_null(error);
  }
  const char *status[] = {NULL};
  g_autofree char *out4 = sc_audio_control_command(control, status, &error);
  assert_non_null(strstr(out4, "\"gain_db\":-6.5,\"mute\":true,\"sync_offset_ms\":-120"));
  g_clear_pointer(&f->pipeline, sc_pipeline_free);
}

/* ---- config ---- */

static void
expect_config_error(const char *dir, const char *audio, const char *needle)
{
  g_autofree char *text = g_strdup_printf("[audio]\n%s\n", audio);
  g_autofree char *path = sc_test_write_file(dir, "shopcast.ini", text);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = sc_config_load(path, &error);
  if (c != NULL)
    fail_msg("accepted: %s", audio);
  if (strstr(error->message, needle) == NULL)
    fail_msg("\"%s\" not in: %s", needle, error->message);
}

static void
test_config(void **state)
{
  g_autofree char *dir = sc_test_tmpdir();
  g_autofree char *wav = write_wav(dir, "bed.wav", 1);
  g_autofree char *path = sc_test_write_file(dir, "shopcast.ini",
                                             "[audio]\ngain-db = -6.5\nmute = true\n"
                                             "sync-offset-ms = -120\nmusic-bed = bed.wav\n"
                                             "music-bed-gain-db = -20\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = sc_config_load(path, &error);
  if (c == NULL)
    fail_msg("%s", error->message);
  assert_db(c->audio.gain_db, -6.5, 0.001);
  assert_true(c->audio.mute);
  assert_int_equal(c->audio.sync_offset_ms, -120);
  assert_string_equal(c->audio.music_bed, wav); /* relative to the config's folder */
  assert_db(c->audio.music_bed_gain_db, -20, 0.001);
  g_autoptr(ScConfig) plain = NULL;
  g_autofree char *empty = sc_test_write_file(dir, "plain.ini", "[audio]\n");
  plain = sc_config_load(empty, &error);
  assert_non_null(plain);
  assert_db(plain->audio.gain_db, 0, 0.001);
  assert_db(plain->audio.music_bed_gain_db, SC_AUDIO_BED_DEFAULT_DB, 0.001);
  assert_null(plain->audio.music_bed);

  expect_config_error(dir, "gain-db = 21", "[audio] gain-db: 21 is out of range (-60..20)");
  expect_config_error(dir, "gain-db = -61", "[audio] gain-db");
  expect_config_error(dir, "gain-db = loud", "[audio] gain-db: 'loud' is not a number");
  expect_config_error(dir, "mute = perhaps", "[audio] mute");
  expect_config_error(dir, "sync-offset-ms = 501", "[audio] sync-offset-ms: 501 is out of range");
  expect_config_error(dir, "sync-offset-ms = -501", "[audio] sync-offset-ms");
  expect_config_error(dir, "sync-offset-ms = 1.5", "[audio] sync-offset-ms");
  expect_config_error(dir, "music-bed = nowhere.wav", "[audio] music-bed: no such file");
  expect_config_error(dir, "music-bed = .", "[audio] music-bed");
  expect_config_error(dir, "music-bed-gain-db = 7", "[audio] music-bed-gain-db");
  expect_config_error(dir, "music-bed-gain = -6", "[audio] music-bed-gain: unknown key");
  sc_test_rmtree(dir);
}

static int
init_gst(void **state)
{
  gst_init(NULL, NULL);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_gain_changes_the_level, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mute_silences_and_unmute_restores, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clipping_is_detected, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sync_offset_shifts_audio_timestamps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sync_offset_changes_on_air, setup, teardown),
      cmocka_unit_test_setup_teardown(test_music_bed_plays_only_during_flash_sale, setup, teardown),
      cmocka_unit_test_setup_teardown(test_music_bed_fades_in, setup, teardown),
      cmocka_unit_test_setup_teardown(test_music_bed_stops_when_flash_sale_ends, setup, teardown),
      cmocka_unit_test_setup_teardown(test_undecodable_bed_leaves_the_mic_on_air, setup, teardown),
      cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
      cmocka_unit_test(test_config),
  };
  return cmocka_run_group_tests(tests, init_gst, NULL);
}
