/* Tests for pipeline/pipeline.c: the program pipeline built from board
 * profiles, and run for real on the simulated board. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/board.h"
#include "pipeline/flv.h"
#include "pipeline/pipeline.h"
#include "tests/support/testutil.h"

#include <string.h>

static ScMediaSpec
spec_720p(void)
{
  ScMediaSpec s = {.width = 1280,
                   .height = 720,
                   .framerate = 30,
                   .video_bitrate_kbps = 2500,
                   .profile = SC_H264_PROFILE_MAIN,
                   .keyframe_interval_s = 2,
                   .bframes = 0,
                   .x264_preset = "veryfast",
                   .audio_rate = 48000,
                   .audio_channels = 2,
                   .audio_bitrate_kbps = 128};
  return s;
}

static ScPipelineParams
board_params(const ScBoard *b, const ScMediaSpec *spec)
{
  ScPipelineParams p = {
      .video_source = sc_board_get_video_source(b),
      .audio_source = sc_board_get_audio_source(b),
      .video_encoders = sc_board_get_video_encoders(b),
      .audio_encoders = sc_board_get_audio_encoders(b),
      .video_device = sc_board_get_video_device(b),
      .audio_device = sc_board_get_audio_device(b),
      .spec = spec,
  };
  return p;
}

static ScPipeline *
build_for_board(const char *name, const ScMediaSpec *spec)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBoard) b = sc_board_load(sc_board_default_dir(), name, &error);
  assert_non_null(b);
  ScPipelineParams p = board_params(b, spec);
  ScPipeline *pipeline = sc_pipeline_new(&p, NULL, NULL, &error);
  if (pipeline == NULL)
    fail_msg("board %s: %s", name, error->message);
  return pipeline;
}

static void
assert_contains(const char *haystack, const char *needle)
{
  if (strstr(haystack, needle) == NULL)
    fail_msg("\"%s\" not found in: %s", needle, haystack);
}

static void
test_sim_description(void **state)
{
  ScMediaSpec spec = spec_720p();
  g_autoptr(ScPipeline) p = build_for_board("sim", &spec);
  const char *d = sc_pipeline_describe(p);
  assert_string_equal(sc_pipeline_get_video_encoder(p), "x264");
  assert_string_equal(sc_pipeline_get_audio_encoder(p), "avenc_aac");
  assert_contains(d, "videotestsrc is-live=true");
  assert_contains(d, "audiotestsrc is-live=true");
  assert_contains(d, "video/x-raw,format=I420,width=1280,height=720,framerate=30/1");
  assert_contains(d, "identity name=overlay-stage");
  assert_contains(d, "x264enc name=venc speed-preset=veryfast tune=zerolatency bitrate=2500");
  assert_contains(d, "key-int-max=60 bframes=0");
  assert_contains(d, "nal-hrd=cbr:force-cfr=1:cabac=1:8x8dct=1:scenecut=0");
  assert_contains(d, "video/x-h264,profile=main");
  assert_contains(d, "audio/x-raw,rate=48000,channels=2");
  assert_contains(d, "avenc_aac name=aenc bitrate=128000");
  assert_contains(d, "flvmux name=program-mux streamable=true latency=500000000");
}

/* The hardware boards fall back to x264 on a machine without their encoders,
 * and name their devices in the sources. */
static void
test_hardware_boards_fall_back(void **state)
{
  ScMediaSpec spec = spec_720p();
  g_autoptr(ScPipeline) rpi = build_for_board("rpi4", &spec);
  g_autoptr(ScPipeline) x86 = build_for_board("x86-64", &spec);
  if (gst_element_factory_find("v4l2h264enc") == NULL)
    assert_string_equal(sc_pipeline_get_video_encoder(rpi), "x264");
  if (gst_element_factory_find("vaapih264enc") == NULL)
    assert_string_equal(sc_pipeline_get_video_encoder(x86), "x264");
  assert_contains(sc_pipeline_describe(rpi), "v4l2src device=/dev/video0");
  assert_contains(sc_pipeline_describe(rpi), "alsasrc device=default");
  assert_contains(sc_pipeline_describe(x86), "v4l2src device=/dev/video0");
}

static void
test_portrait_and_high_profile(void **state)
{
  ScMediaSpec spec = spec_720p();
  spec.width = 1080;
  spec.height = 1920;
  spec.profile = SC_H264_PROFILE_HIGH;
  spec.keyframe_interval_s = 1;
  spec.framerate = 25;
  g_autoptr(ScPipeline) p = build_for_board("sim", &spec);
  assert_contains(sc_pipeline_describe(p), "width=1080,height=1920,framerate=25/1");
  assert_contains(sc_pipeline_describe(p), "profile=high");
  assert_contains(sc_pipeline_describe(p), "key-int-max=25");
}

static GPtrArray *
fragments(const char *name, const char *text, ...)
{
  GPtrArray *list = g_ptr_array_new();
  va_list args;
  va_start(args, text);
  for (; name; name = va_arg(args, const char *), text = name ? va_arg(args, const char *) : NULL) {
    ScFragment *f = g_new0(ScFragment, 1);
    f->name = (char *)name;
    f->fragment = (char *)text;
    g_ptr_array_add(list, f);
  }
  va_end(args);
  g_ptr_array_set_free_func(list, g_free);
  return list;
}

static ScPipeline *
build_custom(const char *vsrc, GPtrArray *venc, GPtrArray *aenc, const ScMediaSpec *spec,
             GError **error)
{
  ScPipelineParams p = {.video_source = vsrc,
                        .audio_source = "audiotestsrc is-live=true",
                        .video_encoders = venc,
                        .audio_encoders = aenc,
                        .spec = spec};
  return sc_pipeline_new(&p, NULL, NULL, error);
}

static void
test_encoder_selection_and_errors(void **state)
{
  ScMediaSpec spec = spec_720p();
  g_autoptr(GPtrArray) aenc = fragments("aac", "avenc_aac name=aenc", NULL);
  g_autoptr(GError) error = NULL;

  /* a missing element falls through to the next candidate */
  g_autoptr(GPtrArray) venc =
      fragments("hw", "nosuchh264enc name=venc", "sw", "x264enc name=venc", NULL);
  g_autoptr(ScPipeline) p = build_custom("videotestsrc is-live=true", venc, aenc, &spec, &error);
  assert_non_null(p);
  assert_string_equal(sc_pipeline_get_video_encoder(p), "sw");

  /* none works: the error lists what was tried */
  g_autoptr(GPtrArray) none = fragments("hw", "nosuchh264enc name=venc", NULL);
  g_autoptr(ScPipeline) p2 = build_custom("videotestsrc", none, aenc, &spec, &error);
  assert_null(p2);
  assert_true(g_error_matches(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_NO_ENCODER));
  assert_contains(error->message, "hw");
  g_clear_error(&error);

  /* an encoder without the element the later stages need is a broken profile */
  g_autoptr(GPtrArray) unnamed = fragments("bad", "x264enc", "sw", "x264enc name=venc", NULL);
  g_autoptr(ScPipeline) p3 = build_custom("videotestsrc", unnamed, aenc, &spec, &error);
  assert_null(p3);
  assert_true(g_error_matches(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT));
  assert_contains(error->message, "name=venc");
  g_clear_error(&error);

  /* a syntax error is not hidden by falling back */
  g_autoptr(GPtrArray) broken =
      fragments("bad", "x264enc name=venc ! !", "sw", "x264enc name=venc", NULL);
  g_autoptr(ScPipeline) p4 = build_custom("videotestsrc", broken, aenc, &spec, &error);
  assert_null(p4);
  assert_true(g_error_matches(error, SC_PIPELINE_ERROR, SC_PIPELINE_ERROR_FRAGMENT));
}

static void
test_expand(void **state)
{
  g_autoptr(GHashTable) vars = g_hash_table_new(g_str_hash, g_str_equal);
  g_hash_table_insert(vars, "width", "1280");
  g_autoptr(GError) error = NULL;
  g_autofree char *ok = sc_pipeline_expand("a w=${width} $HOME ${width}", vars, &error);
  assert_string_equal(ok, "a w=1280 $HOME 1280");
  g_autofree char *bad = sc_pipeline_expand("x=${height}", vars, &error);
  assert_null(bad);
  assert_contains(error->message, "${height}");
  g_clear_error(&error);
  g_autofree char *open = sc_pipeline_expand("x=${width", vars, &error);
  assert_null(open);
}

/* ---- running the pipeline ---- */

typedef struct {
  GMainLoop *loop;
  GMutex lock;
  GByteArray *flv; /* what a file sink would hold */
  gboolean got_header;
  guint video_tags, audio_tags, keyframes;
  gboolean starts_with_keyframe;
  guint32 last_video_ts, first_video_ts, first_audio_ts, last_audio_ts;
  guint32 requested_at_ts; /* the stream time when the keyframe was asked for */
  guint32 keyframe_ts[64];
  gboolean eos_tag;
  guint overlay_calls;
  gboolean overlay_format_ok;
  gboolean eos_event;
} RunState;

static void
on_program(GstBuffer *tag, GstCaps *caps, gpointer data)
{
  RunState *st = data;
  g_mutex_lock(&st->lock);
  if (tag == NULL) {
    st->eos_tag = TRUE;
  } else if (!GST_BUFFER_FLAG_IS_SET(tag, GST_BUFFER_FLAG_HEADER)) {
    if (!st->got_header) { /* the stream headers travel in the caps */
      const GValue *h = gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
      for (guint i = 0; h && i < gst_value_array_get_size(h); i++) {
        GstBuffer *b = gst_value_get_buffer(gst_value_array_get_value(h, i));
        GstMapInfo m;
        gst_buffer_map(b, &m, GST_MAP_READ);
        g_byte_array_append(st->flv, m.data, m.size);
        gst_buffer_unmap(b, &m);
      }
      st->got_header = h != NULL;
    }
    GstMapInfo m;
    gst_buffer_map(tag, &m, GST_MAP_READ);
    ScFlvTag t;
    if (sc_flv_parse_tag(m.data, m.size, &t, NULL)) {
      if (t.type == SC_FLV_TAG_VIDEO && st->video_tags == 0)
        st->starts_with_keyframe = sc_flv_tag_is_keyframe(&t);
      /* media frames only: not the codec headers, not H.264's end of sequence */
      gboolean frame = t.type == SC_FLV_TAG_VIDEO ? t.body_len > 1 && t.body[1] == 1
                                                  : !sc_flv_tag_is_sequence_header(&t);
      if (frame && t.type == SC_FLV_TAG_VIDEO) {
        if (st->video_tags++ == 0)
          st->first_video_ts = t.timestamp_ms;
        st->last_video_ts = t.timestamp_ms;
      } else if (frame && t.type == SC_FLV_TAG_AUDIO) {
        if (st->audio_tags++ == 0)
          st->first_audio_ts = t.timestamp_ms;
        st->last_audio_ts = t.timestamp_ms;
      }
      if (sc_flv_tag_is_keyframe(&t) && st->keyframes < G_N_ELEMENTS(st->keyframe_ts))
        st->keyframe_ts[st->keyframes++] = t.timestamp_ms;
    }
    g_byte_array_append(st->flv, m.data, m.size);
    gst_buffer_unmap(tag, &m);
  }
  g_mutex_unlock(&st->lock);
}

/* Paints a white 64x64 square at (32, 32) from 1 s on. */
static void
paint_square(GstVideoFrame *frame, GstClockTime running_time, gpointer data)
{
  RunState *st = data;
  st->overlay_calls++;
  st->overlay_format_ok = GST_VIDEO_FRAME_FORMAT(frame) == GST_VIDEO_FORMAT_I420 &&
                          GST_VIDEO_FRAME_WIDTH(frame) == 320 &&
                          GST_VIDEO_FRAME_HEIGHT(frame) == 240;
  if (running_time < GST_SECOND)
    return;
  guint8 *y = GST_VIDEO_FRAME_PLANE_DATA(frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
  for (int row = 32; row < 96; row++)
    memset(y + row * stride + 32, 235, 64);
}

static void
on_event(ScPipeline *p, ScPipelineEvent event, const GError *error, gpointer data)
{
  RunState *st = data;
  if (event == SC_PIPELINE_EVENT_ERROR)
    fail_msg("pipeline error: %s", error->message);
  if (event == SC_PIPELINE_EVENT_EOS) {
    st->eos_event = TRUE;
    g_main_loop_quit(st->loop);
  }
}

static gboolean
send_eos(gpointer p)
{
  sc_pipeline_send_eos(p);
  return G_SOURCE_REMOVE;
}

typedef struct {
  ScPipeline *pipeline;
  RunState *st;
} KeyframeRequest;

static gboolean
request_keyframe(gpointer data)
{
  KeyframeRequest *r = data;
  g_mutex_lock(&r->st->lock);
  r->st->requested_at_ts = r->st->last_video_ts;
  g_mutex_unlock(&r->st->lock);
  sc_pipeline_request_keyframe(r->pipeline);
  return G_SOURCE_REMOVE;
}

static gboolean
give_up(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

/* Mean luma of the square's area in decoded frame @n of @flv_path. */
static double
square_luma(const char *flv_path, guint n)
{
  g_autofree char *select = g_strdup_printf("select=eq(n\\,%u)", n);
  g_autofree char *raw = g_strconcat(flv_path, ".gray", NULL);
  char *argv[] = {"ffmpeg",   "-v",   "error",     "-y", "-i", (char *)flv_path,
                  "-vf",      select, "-frames:v", "1",  "-f", "rawvideo",
                  "-pix_fmt", "gray", raw,         NULL};
  assert_int_equal(sc_test_run(argv, 30, NULL, NULL), 0);
  g_autofree char *data = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(raw, &data, &len, NULL));
  assert_int_equal(len, 320 * 240);
  double sum = 0;
  for (int row = 40; row < 88; row++)
    for (int col = 40; col < 88; col++)
      sum += (guint8)data[row * 320 + col];
  return sum / (48 * 48);
}

static void
test_runs_with_overlay_and_keyframe_requests(void **state)
{
  ScMediaSpec spec = spec_720p();
  spec.width = 320;
  spec.height = 240;
  spec.video_bitrate_kbps = 500;
  spec.keyframe_interval_s = 10; /* so a keyframe at ~1.5 s can only come from the request */
  g_autoptr(GPtrArray) venc = fragments("x264",
                                        "x264enc name=venc tune=zerolatency speed-preset=ultrafast "
                                        "bitrate=${bitrate_kbps} key-int-max=${keyint_frames}",
                                        NULL);
  g_autoptr(GPtrArray) aenc = fragments("aac", "avenc_aac name=aenc", NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  RunState st = {.loop = loop, .flv = g_byte_array_new()};
  g_mutex_init(&st.lock);
  ScPipelineParams params = {.video_source = "videotestsrc is-live=true pattern=black",
                             .audio_source = "audiotestsrc is-live=true",
                             .video_encoders = venc,
                             .audio_encoders = aenc,
                             .spec = &spec};
  g_autoptr(GError) error = NULL;
  g_autoptr(ScPipeline) p = sc_pipeline_new(&params, on_event, &st, &error);
  assert_non_null(p);
  sc_pipeline_add_program_sink(p, on_program, &st);
  sc_pipeline_set_overlay(p, paint_square, &st);
  assert_true(sc_pipeline_start(p, &error));
  KeyframeRequest request = {p, &st};
  g_timeout_add(1500, request_keyframe, &request);
  g_timeout_add(2500, send_eos, p);
  guint guard = g_timeout_add_seconds(15, give_up, st.loop);
  g_main_loop_run(st.loop);
  g_source_remove(guard);
  sc_pipeline_stop(p);

  assert_true(st.eos_event);
  assert_true(st.eos_tag);
  assert_true(st.got_header);
  assert_true(st.overlay_format_ok);
  /* Every frame of the stream time covered arrived, none twice: 30 fps video
   * and 1024-sample AAC frames at 48 kHz (1 ms timestamps: one frame either
   * way). The span, not the wall clock, sets the count, so a slow start
   * cannot fail it. */
  guint video_frames = (st.last_video_ts - st.first_video_ts) * 30 / 1000 + 1;
  guint audio_frames = (st.last_audio_ts - st.first_audio_ts) * 48 / 1024 + 1;
  assert_true(video_frames > 30); /* more than a second of the 2.5 s reached the sink */
  assert_in_range(st.video_tags, video_frames - 1, video_frames + 1);
  assert_in_range(st.audio_tags, audio_frames - 1, audio_frames + 1);
  assert_int_equal(sc_pipeline_get_frame_count(p), st.overlay_calls);
  /* the stream opens on a keyframe; the requested one follows within 0.3 s of
   * the request (the GOP is 10 s, so no other keyframe is due) */
  assert_true(st.starts_with_keyframe);
  assert_true(st.keyframes >= 2);
  assert_true(st.requested_at_ts > 0);
  assert_in_range(st.keyframe_ts[1], st.requested_at_ts, st.requested_at_ts + 300);

  g_autofree char *dir = sc_test_tmpdir();
  g_autofree char *path = g_build_filename(dir, "program.flv", NULL);
  assert_true(g_file_set_contents(path, (char *)st.flv->data, st.flv->len, NULL));
  assert_true(square_luma(path, 10) < 40);  /* 0.33 s: black */
  assert_true(square_luma(path, 45) > 200); /* 1.5 s: the overlay's white square */
  sc_test_rmtree(dir);
  g_byte_array_unref(st.flv);
  g_mutex_clear(&st.lock);
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
      cmocka_unit_test(test_sim_description),
      cmocka_unit_test(test_hardware_boards_fall_back),
      cmocka_unit_test(test_portrait_and_high_profile),
      cmocka_unit_test(test_encoder_selection_and_errors),
      cmocka_unit_test(test_expand),
      cmocka_unit_test(test_runs_with_overlay_and_keyframe_requests),
  };
  return cmocka_run_group_tests(tests, init_gst, NULL);
}
