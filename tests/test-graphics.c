/* The graphics stage end to end: shopcastd's daemon, in this process, runs
 * the simulated board with the example run of show; the test puts a product
 * on air, corrects its price while live, and keeps the encoded program (the
 * FLV the destinations would get). It then decodes every frame with libav and
 * finds the price change in the product card's region: it must appear at the
 * stream time the audit log gives for it, within a few frames of the request,
 * and the frames before it must show the old card.
 *
 * Then the same show on a disk as slow as one busy with the recording: every
 * fsync takes a second. The pictures must come as promptly, and the main loop
 * must never wait for the disk; the state and the audit log reach it all
 * the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/daemon.h"
#include "overlays/render.h"
#include "tests/support/slow-disk.h"
#include "tests/support/testutil.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define WIDTH         640
#define HEIGHT        360
#define FRAME_MS      (1000.0 / 30)
#define PRODUCT_AT_MS 1500 /* after the start, when the pipeline plays */
#define CORRECT_AT_MS 3500
#define STOP_AT_MS    5500
#define RUN_LIMIT_S   30 /* the whole run, bounded */
/* The slow disk (tests/support/slow-disk.h): each fsync of a file in the
 * test's folder takes this long.
 * The correction then comes while the product's saves are still on their
 * way (the example show allows a change every 500 ms). */
#define SLOW_FSYNC_MS      1000
#define SLOW_CORRECT_AT_MS 2100
/* The longest the main loop may be away between two turns of a 20 ms timer
 * (a loaded machine under the sanitizers included); a wait for the slow
 * disk would be a whole second. */
#define MAX_LOOP_GAP_MS 400
/* From the request to the first frame that shows it: one or two frame periods
 * on a quiet machine (see `make bench`); the bound leaves room for a loaded
 * machine under the sanitizers. */
#define MAX_LATENCY_FRAMES 6

static char *dir;

typedef struct {
  ScDaemon *daemon;
  FILE *flv;
  gboolean header_written;
  GMutex lock;
  GstClockTime first_tag_pts; /* the first tag's running time, and its FLV time */
  guint32 first_tag_ms;
  GMainLoop *loop;
  gboolean product_ok, correction_ok, timed_out;
  guint turns;                         /* a 20 ms timer, from the product on to the stop */
  gint64 last_turn_us, longest_gap_us; /* how long the main loop was away */
} Run;

/* ---- the program, as the destinations get it ---- */

static void
write_buffer(FILE *f, GstBuffer *buffer)
{
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    fwrite(map.data, 1, map.size, f);
    gst_buffer_unmap(buffer, &map);
  }
}

static void
on_tag(GstBuffer *tag, GstCaps *caps, gpointer data)
{
  Run *run = data;
  if (tag == NULL)
    return;
  g_mutex_lock(&run->lock);
  if (!run->header_written && caps) {
    const GValue *headers =
        gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
    for (guint i = 0; headers && i < gst_value_array_get_size(headers); i++)
      write_buffer(run->flv, gst_value_get_buffer(gst_value_array_get_value(headers, i)));
    run->header_written = TRUE;
  }
  GstMapInfo map;
  if (!GST_BUFFER_FLAG_IS_SET(tag, GST_BUFFER_FLAG_HEADER) &&
      gst_buffer_map(tag, &map, GST_MAP_READ)) {
    if (map.size >= 11 && !GST_CLOCK_TIME_IS_VALID(run->first_tag_pts)) {
      run->first_tag_pts = GST_BUFFER_PTS(tag);
      run->first_tag_ms = (guint32)map.data[4] << 16 | (guint32)map.data[5] << 8 |
                          (guint32)map.data[6] | (guint32)map.data[7] << 24;
    }
    fwrite(map.data, 1, map.size, run->flv);
    gst_buffer_unmap(tag, &map);
  }
  g_mutex_unlock(&run->lock);
}

/* ---- the show, driven as the panel would ---- */

/* Every 20 ms from the product on: how long the main loop was away. */
static gboolean
clock_turn(gpointer data)
{
  Run *run = data;
  gint64 now = g_get_monotonic_time();
  if (run->last_turn_us > 0)
    run->longest_gap_us = MAX(run->longest_gap_us, now - run->last_turn_us);
  run->last_turn_us = now;
  return G_SOURCE_CONTINUE;
}

static gboolean
put_product_on_air(gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;
  run->product_ok = sc_show_goto_product(sc_daemon_get_show(run->daemon), "down-jacket", &error);
  g_assert_no_error(error);
  run->turns = g_timeout_add(20, clock_turn, run);
  return G_SOURCE_REMOVE;
}

static gboolean
correct_price(gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;
  run->correction_ok = sc_show_correct_price(sc_daemon_get_show(run->daemon), "189", &error);
  g_assert_no_error(error);
  return G_SOURCE_REMOVE;
}

static gboolean
stop(gpointer data)
{
  Run *run = data;
  g_clear_handle_id(&run->turns, g_source_remove);
  sc_daemon_stop(run->daemon);
  return G_SOURCE_REMOVE;
}

static gboolean
give_up(gpointer data)
{
  Run *run = data;
  run->timed_out = TRUE;
  g_main_loop_quit(run->loop);
  return G_SOURCE_REMOVE;
}

static ScDaemon *
new_daemon(const char *audit, GMainLoop *loop, GError **error)
{
  g_autofree char *show = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autofree char *text =
      g_strdup_printf("[box]\nboard = sim\nstart = live\nshow = %s\naudit-log = %s\ncontrol-socket "
                      "= %s/ctl\n[panel]\nlisten = off\n"
                      "[video]\nwidth = %d\nheight = %d\nframerate = 30\nbitrate = 1500\n"
                      "x264-preset = ultrafast\n",
                      show, audit, dir, WIDTH, HEIGHT);
  g_autofree char *path = sc_test_write_file(dir, "graphics.ini", text);
  ScConfig *config = sc_config_load(path, error);
  if (config == NULL)
    return NULL;
  g_autofree char *board_dir = sc_test_source_path("board");
  ScBoard *board = sc_board_load(board_dir, config->board, error);
  if (board == NULL) {
    sc_config_free(config);
    return NULL;
  }
  sc_config_apply_board(config, board);
  return sc_daemon_new(config, board, loop, error);
}

/* ---- the audit log ---- */

typedef struct {
  gint64 stream_ms, asked_ms;
} Audited;

static Audited
find_audited(const char *path, const char *kind)
{
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_autofree char *needle = g_strdup_printf("\"kind\":\"%s\"", kind);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (strstr(*l, needle) == NULL)
      continue;
    Audited a = {-1, -1};
    const char *s = strstr(*l, "\"stream_ms\":");
    const char *q = strstr(*l, "\"asked_ms\":");
    assert_non_null(s);
    assert_non_null(q);
    a.stream_ms = g_ascii_strtoll(s + strlen("\"stream_ms\":"), NULL, 10);
    a.asked_ms = g_ascii_strtoll(q + strlen("\"asked_ms\":"), NULL, 10);
    return a;
  }
  fail_msg("no %s in the audit log:\n%s", kind, text);
  return (Audited){-1, -1};
}

/* ---- the encoded program, decoded ---- */

typedef struct {
  double pts_ms; /* FLV time */
  guint8 *luma;  /* the region, row by row */
} Frame;

static void
frame_free(gpointer data)
{
  Frame *f = data;
  g_free(f->luma);
  g_free(f);
}

typedef struct {
  int x, y, w, h;
} Rect;

static void
keep_frame(GPtrArray *frames, const AVFrame *picture, double pts_ms, Rect r)
{
  Frame *f = g_new0(Frame, 1);
  f->pts_ms = pts_ms;
  f->luma = g_malloc((gsize)r.w * r.h);
  for (int row = 0; row < r.h; row++)
    memcpy(f->luma + (gsize)row * r.w,
           picture->data[0] + (gsize)(r.y + row) * picture->linesize[0] + r.x, r.w);
  g_ptr_array_add(frames, f);
}

/* Every video frame of @path with the luma of @r. */
static GPtrArray *
decode(const char *path, Rect r)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func(frame_free);
  AVFormatContext *fmt = NULL;
  assert_int_equal(avformat_open_input(&fmt, path, NULL, NULL), 0);
  assert_true(avformat_find_stream_info(fmt, NULL) >= 0);
  int index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  assert_true(index >= 0);
  AVStream *st = fmt->streams[index];
  const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext *ctx = avcodec_alloc_context3(codec);
  assert_int_equal(avcodec_parameters_to_context(ctx, st->codecpar), 0);
  assert_int_equal(avcodec_open2(ctx, codec, NULL), 0);
  assert_int_equal(ctx->width, WIDTH);
  assert_int_equal(ctx->height, HEIGHT);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *picture = av_frame_alloc();
  double tb = av_q2d(st->time_base) * 1000;
  for (int flushing = 0; flushing < 2; flushing++) {
    gboolean more = TRUE;
    while (more) {
      if (!flushing) {
        more = av_read_frame(fmt, pkt) >= 0;
        if (more && pkt->stream_index != index) {
          av_packet_unref(pkt);
          continue;
        }
        avcodec_send_packet(ctx, more ? pkt : NULL);
        if (more)
          av_packet_unref(pkt);
      } else {
        more = FALSE;
      }
      while (avcodec_receive_frame(ctx, picture) == 0) {
        keep_frame(frames, picture, picture->best_effort_timestamp * tb, r);
        av_frame_unref(picture);
      }
    }
  }
  av_frame_free(&picture);
  av_packet_free(&pkt);
  avcodec_free_context(&ctx);
  avformat_close_input(&fmt);
  return frames;
}

/* Mean absolute difference of two regions' luma. */
static double
distance(const Frame *a, const Frame *b, Rect r)
{
  guint64 sum = 0;
  gsize n = (gsize)r.w * r.h;
  for (gsize i = 0; i < n; i++)
    sum += (guint64)ABS((int)a->luma[i] - (int)b->luma[i]);
  return (double)sum / n;
}

static const Frame *
frame_at(GPtrArray *frames, double pts_ms)
{
  const Frame *best = NULL;
  for (guint i = 0; i < frames->len; i++) {
    const Frame *f = g_ptr_array_index(frames, i);
    if (best == NULL || fabs(f->pts_ms - pts_ms) < fabs(best->pts_ms - pts_ms))
      best = f;
  }
  return best;
}

/* The product card's region at the program's size, from a renderer of its own
 * (layout depends only on the size and what is shown), shrunk by a margin so
 * no edge of the card's antialiasing is in it. */
static Rect
product_card(void)
{
  g_autofree char *show = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowFile) file = sc_show_file_load(show, &error);
  g_assert_no_error(error);
  ScOnAir on_air = {.product = g_ptr_array_index(file->products, 0)};
  g_autoptr(ScRenderer) r = sc_renderer_new(WIDTH, HEIGHT, NULL);
  sc_renderer_update(r, file, &on_air, g_get_real_time());
  gint x, y;
  guint w, h;
  assert_true(sc_renderer_get_layer_rect(r, SC_LAYER_PRODUCT, &x, &y, &w, &h));
  const int margin = 4;
  return (Rect){x + margin, y + margin, (int)w - 2 * margin, (int)h - 2 * margin};
}

/* shopcastd from the start to a clean stop, the product put on air and its
 * price corrected @correct_at_ms after the start. */
static void
run_show(Run *run, const char *audit, const char *flv, guint correct_at_ms)
{
  g_autoptr(GError) error = NULL;
  run->first_tag_pts = GST_CLOCK_TIME_NONE;
  g_mutex_init(&run->lock);
  run->loop = g_main_loop_new(NULL, FALSE);
  run->daemon = new_daemon(audit, run->loop, &error);
  g_assert_no_error(error);
  run->flv = fopen(flv, "wb");
  assert_non_null(run->flv);
  sc_pipeline_add_program_sink(sc_daemon_get_pipeline(run->daemon), on_tag, run);
  assert_true(sc_daemon_start(run->daemon, &error));
  g_timeout_add(PRODUCT_AT_MS, put_product_on_air, run);
  g_timeout_add(correct_at_ms, correct_price, run);
  g_timeout_add(STOP_AT_MS, stop, run);
  guint limit = g_timeout_add_seconds(RUN_LIMIT_S, give_up, run);
  g_main_loop_run(run->loop); /* the daemon quits it when the stream has ended */
  if (run->timed_out)
    fail_msg("the daemon did not stop within %d s", RUN_LIMIT_S);
  g_source_remove(limit);
  g_clear_handle_id(&run->turns, g_source_remove);
  g_main_loop_unref(run->loop);
  assert_int_equal(sc_daemon_get_exit_code(run->daemon), 0);
  sc_daemon_free(run->daemon);
  fclose(run->flv);
  g_mutex_clear(&run->lock);
  assert_true(run->product_ok && run->correction_ok);
}

/* The audit log has both changes, each shown within a few frames of its request. */
static void
assert_prompt(const char *audit, Audited *product, Audited *correction)
{
  *product = find_audited(audit, "product");
  *correction = find_audited(audit, "price-correction");
  for (const Audited *a = product; a; a = a == product ? correction : NULL) {
    if (a->stream_ms < a->asked_ms + FRAME_MS - 2 ||
        a->stream_ms > a->asked_ms + MAX_LATENCY_FRAMES * FRAME_MS)
      fail_msg("asked at %" G_GINT64_FORMAT " ms, shown at %" G_GINT64_FORMAT " ms", a->asked_ms,
               a->stream_ms);
  }
}

static void
test_price_change_reaches_the_encoded_frames(void **state)
{
  g_autofree char *audit = g_build_filename(dir, "audit.jsonl", NULL);
  g_autofree char *flv = g_build_filename(dir, "program.flv", NULL);
  Run run = {0};
  run_show(&run, audit, flv, CORRECT_AT_MS);
  Audited product, correction;
  assert_prompt(audit, &product, &correction);

  /* the encoded frames: FLV time = running time - the first tag's offset */
  double offset_ms = (double)run.first_tag_pts / GST_MSECOND - run.first_tag_ms;
  double change_ms = correction.stream_ms - offset_ms;
  Rect r = product_card();
  g_autoptr(GPtrArray) frames = decode(flv, r);
  assert_true(frames->len > 100);
  const Frame *old_card = frame_at(frames, change_ms - 300);
  const Frame *new_card = frame_at(frames, change_ms + 300);
  double apart = distance(old_card, new_card, r);
  if (apart < 2)
    fail_msg("the card looks the same before and after the correction (%.2f)", apart);
  /* every frame from the product's arrival on looks like the old card until
   * the audited frame, and like the new one from it on */
  const Frame *first_new = NULL;
  guint old_frames = 0, new_frames = 0;
  for (guint i = 0; i < frames->len; i++) {
    const Frame *f = g_ptr_array_index(frames, i);
    if (f->pts_ms < change_ms - 600 || f->pts_ms > change_ms + 600)
      continue;
    gboolean looks_new = distance(f, new_card, r) < distance(f, old_card, r);
    if (looks_new && first_new == NULL)
      first_new = f;
    if (!looks_new && first_new)
      fail_msg("frame at %.1f ms shows the old card after the new one at %.1f ms", f->pts_ms,
               first_new->pts_ms);
    if (looks_new)
      new_frames++;
    else
      old_frames++;
  }
  assert_non_null(first_new);
  if (fabs(first_new->pts_ms - change_ms) > 1.5)
    fail_msg("the new card first shows at %.1f ms, the audit log says %.1f ms", first_new->pts_ms,
             change_ms);
  assert_true(old_frames >= 15 && new_frames >= 15);
}

/* Every fsync takes a second: the pictures are as prompt, the main loop
 * never waits, and the show state and the audit log are complete on disk
 * once shopcastd has stopped. */
static void
test_slow_disk_holds_nothing_up(void **state)
{
  g_autofree char *audit = g_build_filename(dir, "audit.jsonl", NULL);
  g_autofree char *flv = g_build_filename(dir, "program.flv", NULL);
  Run run = {0};
  sc_slow_disk_set(dir, SLOW_FSYNC_MS);
  run_show(&run, audit, flv, SLOW_CORRECT_AT_MS);
  guint syncs = sc_slow_disk_get_syncs();
  sc_slow_disk_set(NULL, 0);
  assert_true(syncs > 0); /* the slow disk was used */
  Audited product, correction;
  assert_prompt(audit, &product, &correction);
  g_print("main loop away at most %.0f ms; shown %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
          " ms after the requests\n",
          run.longest_gap_us / 1000.0, product.stream_ms - product.asked_ms,
          correction.stream_ms - correction.asked_ms);
  if (run.longest_gap_us > MAX_LOOP_GAP_MS * G_TIME_SPAN_MILLISECOND)
    fail_msg("the main loop was away %.0f ms", run.longest_gap_us / 1000.0);
  g_autofree char *state_path = g_build_filename(dir, "state.json", NULL);
  g_autofree char *saved = sc_test_read_text(state_path);
  assert_non_null(strstr(saved, "\"product\":\"down-jacket\""));
  assert_non_null(strstr(saved, "\"corrected_price_fen\":18900"));
  assert_non_null(strstr(saved, "\"live\":false")); /* the clean stop's */
}

static int
setup(void **state)
{
  dir = sc_test_tmpdir();
  return 0;
}

static int
teardown(void **state)
{
  sc_test_rmtree(dir);
  g_free(dir);
  return 0;
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_price_change_reaches_the_encoded_frames, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_slow_disk_holds_nothing_up, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
