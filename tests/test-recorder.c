/* The recorder on its own: a real encode (x264, AAC, flvmux, as the program
 * makes it) feeds sc_recorder_push, and libav reads back what is on disk:
 * segments that start at keyframes, every frame once, timestamps that run on
 * from one segment to the next, chapters embedded in the segments they
 * overlap; and a disk below the recording's floor of free space stops the
 * recording with its segment closed and playable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pipeline/recorder.h"
#include "tests/support/testutil.h"

#include <gst/app/gstappsink.h>
#include <libavformat/avformat.h>

#define FRAMES      360 /* 12 s at 30 fps, a keyframe every 2 s */
#define SEGMENT_S   4
#define RUN_LIMIT_S 60

typedef struct {
  ScRecorder *recorder;
  GMainLoop *loop;
  guint segments_seen;
  gboolean stopped;
  ScRecorderStop stop;
  char *error;
} Run;

static void
on_event(ScRecorder *recorder, const ScRecorderEvent *event, gpointer data)
{
  Run *run = data;
  if (event->kind == SC_RECORDER_EVENT_SEGMENT) {
    run->segments_seen++;
    return;
  }
  run->stopped = TRUE;
  run->stop = event->stop;
  run->error = g_strdup(event->error ? event->error->message : "");
  g_main_loop_quit(run->loop);
}

static GstFlowReturn
on_sample(GstAppSink *sink, gpointer data)
{
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (sample)
    sc_recorder_push(gst_sample_get_buffer(sample), gst_sample_get_caps(sample), data);
  return sample ? GST_FLOW_OK : GST_FLOW_EOS;
}

static void
on_eos(GstAppSink *sink, gpointer data)
{
  sc_recorder_push(NULL, NULL, data);
}

static gboolean
on_timeout(gpointer data)
{
  fail_msg("the recording did not end within %d s", RUN_LIMIT_S);
  return G_SOURCE_REMOVE;
}

/* Encodes FRAMES frames and their audio as the program does, into @params' recorder. */
static void
record(ScRecorderParams *params, Run *run)
{
  const char *description =
      "videotestsrc num-buffers=360 pattern=ball ! video/x-raw,format=I420,width=320,height=240,"
      "framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bframes=0"
      " ! h264parse ! queue ! mux.video"
      " audiotestsrc num-buffers=563 samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2"
      " ! avenc_aac ! aacparse ! queue ! mux.audio"
      " flvmux name=mux streamable=true ! appsink name=sink sync=false";
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
  assert_non_null(pipeline);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  params->width = 320;
  params->height = 240;
  params->framerate = 30;
  params->audio_rate = 48000;
  params->audio_channels = 2;
  params->queue_ms = 60000; /* faster than real time: the disk must not be outrun */
  run->loop = g_main_loop_new(NULL, FALSE);
  run->recorder = sc_recorder_new(params, on_event, run);
  ScRecorderChapter chapters[] = {{0, "opening"}, {5000, "product 羽绒服"}};
  sc_recorder_set_chapters(run->recorder, chapters, G_N_ELEMENTS(chapters));
  sc_recorder_start(run->recorder);
  GstAppSinkCallbacks callbacks = {.eos = on_eos, .new_sample = on_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, run->recorder, NULL);
  assert_int_not_equal(gst_element_set_state(pipeline, GST_STATE_PLAYING),
                       GST_STATE_CHANGE_FAILURE);
  guint timer = g_timeout_add_seconds(RUN_LIMIT_S, on_timeout, NULL);
  g_main_loop_run(run->loop);
  g_source_remove(timer);
  assert_true(sc_recorder_finish(run->recorder, 5000));
  gst_element_set_state(pipeline, GST_STATE_NULL);
}

static void
run_clear(Run *run)
{
  sc_recorder_free(run->recorder);
  g_main_loop_unref(run->loop);
  g_free(run->error);
}

typedef struct {
  guint video, audio, keyframes_first;
  gint64 first_pts, last_pts;
  guint chapters;
  gint64 chapter_start[4], chapter_end[4];
  char *chapter_title[4];
} Segment;

static void
read_segment(const char *path, Segment *s)
{
  AVFormatContext *fmt = NULL;
  assert_int_equal(avformat_open_input(&fmt, path, NULL, NULL), 0);
  assert_true(avformat_find_stream_info(fmt, NULL) >= 0);
  AVPacket *pkt = av_packet_alloc();
  s->first_pts = -1;
  while (av_read_frame(fmt, pkt) >= 0) {
    AVStream *st = fmt->streams[pkt->stream_index];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      gint64 ms = av_rescale_q(pkt->pts, st->time_base, (AVRational){1, 1000});
      if (s->first_pts < 0)
        s->keyframes_first = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      if (s->first_pts < 0)
        s->first_pts = ms;
      s->last_pts = ms;
      s->video++;
    } else {
      s->audio++;
    }
    av_packet_unref(pkt);
  }
  s->chapters = MIN(fmt->nb_chapters, 4);
  for (guint i = 0; i < s->chapters; i++) {
    AVChapter *c = fmt->chapters[i];
    s->chapter_start[i] = av_rescale_q(c->start, c->time_base, (AVRational){1, 1000});
    s->chapter_end[i] = av_rescale_q(c->end, c->time_base, (AVRational){1, 1000});
    AVDictionaryEntry *t = av_dict_get(c->metadata, "title", NULL, 0);
    s->chapter_title[i] = g_strdup(t ? t->value : "");
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
}

static void
segment_clear(Segment *s)
{
  for (guint i = 0; i < s->chapters; i++)
    g_free(s->chapter_title[i]);
}

static void
test_segments(void **state)
{
  ScRecorderParams params = {.folder = sc_test_dir, .segment_s = SEGMENT_S};
  Run run = {0};
  record(&params, &run);
  assert_true(run.stopped);
  assert_int_equal(run.stop, SC_RECORDER_STOP_ENDED);
  ScRecorderStats st;
  sc_recorder_get_stats(run.recorder, &st);
  assert_int_equal(st.video_frames, FRAMES);
  assert_int_equal(st.dropped_tags, 0);
  guint video = 0;
  gint64 previous_last = -1;
  for (guint i = 1; i <= st.segments; i++) {
    g_autofree char *name = g_strdup_printf("segment-%03u.mkv", i);
    g_autofree char *path = g_build_filename(sc_test_dir, name, NULL);
    Segment s = {0};
    read_segment(path, &s);
    g_print("%s: %u video, %u audio, %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " ms, %u chapters\n",
            name, s.video, s.audio, s.first_pts, s.last_pts, s.chapters);
    assert_true(s.keyframes_first);
    assert_true(s.audio > 0);
    if (previous_last >= 0) /* the next frame, one period (33 or 34 ms) on */
      assert_in_range(s.first_pts - previous_last, 33, 34);
    else
      assert_int_equal(s.first_pts, 0);
    assert_int_equal(s.first_pts, (i - 1) * SEGMENT_S * 1000);
    previous_last = s.last_pts;
    video += s.video;
    if (i == 2) { /* 4..8 s: the end of "opening", then the product from 5 s */
      assert_int_equal(s.chapters, 2);
      assert_string_equal(s.chapter_title[0], "opening");
      assert_int_equal(s.chapter_start[0], 4000);
      assert_int_equal(s.chapter_end[0], 5000);
      assert_string_equal(s.chapter_title[1], "product 羽绒服");
      assert_int_equal(s.chapter_start[1], 5000);
    }
    if (i == 3) {
      assert_int_equal(s.chapters, 1);
      assert_string_equal(s.chapter_title[0], "product 羽绒服");
    }
    segment_clear(&s);
  }
  assert_int_equal(video, FRAMES);
  assert_int_equal(st.segments, 3); /* keyframes at 0, 2, 4, ... s: cuts at 4 and 8 s */
  assert_int_equal(run.segments_seen, 3);
  assert_int_equal(previous_last, st.duration_ms);
  run_clear(&run);
}

/* More free space asked for than the disk has: the recording stops as if the
 * disk were full, its segment closed properly (it has its cues) and playable. */
static void
test_disk_floor(void **state)
{
  ScRecorderParams params = {.folder = sc_test_dir, .segment_s = 60, .min_free_bytes = G_MAXINT64};
  Run run = {0};
  record(&params, &run);
  assert_true(run.stopped);
  assert_int_equal(run.stop, SC_RECORDER_STOP_DISK_FULL);
  assert_non_null(strstr(run.error, "below the"));
  ScRecorderStats st;
  sc_recorder_get_stats(run.recorder, &st);
  assert_int_equal(st.state, SC_RECORDER_STATE_STOPPED);
  assert_int_equal(st.segments, 1);
  g_autofree char *path = g_build_filename(sc_test_dir, "segment-001.mkv", NULL);
  Segment s = {0};
  read_segment(path, &s);
  assert_true(s.video > 0);
  assert_int_equal(s.video, st.video_frames);
  segment_clear(&s);
  run_clear(&run);
}

int
main(void)
{
  gst_init(NULL, NULL);
  av_log_set_level(AV_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_segments, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_disk_floor, sc_test_dir_setup, sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
