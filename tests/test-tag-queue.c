/* The bounded queue of FLV tags between the streaming thread and an
 * output's or the recorder's thread (pipeline/tag-queue.c), on tags made
 * here: what a tag's header says, the overflow that drops what is late, the
 * resync at a keyframe, and the video dropped to keep a stream in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pipeline/flv.h"
#include "pipeline/tag-queue.h"

#include <string.h>

typedef enum { KEY, INTER, DISPOSABLE, AVC_HEADER, AUDIO } Kind;

/* An FLV tag of @kind at @ts: an H.264 frame (FLV frame type 1, 2 or 3),
 * the AVC sequence header, or an AAC frame. */
static GstBuffer *
make_tag(Kind kind, guint32 ts)
{
  static const guint8 bodies[][5] = {
      [KEY] = {0x17, 1, 0, 0, 0},        [INTER] = {0x27, 1, 0, 0, 0},
      [DISPOSABLE] = {0x37, 1, 0, 0, 0}, [AVC_HEADER] = {0x17, 0, 0, 0, 0},
      [AUDIO] = {0xaf, 1, 0x21, 0, 0},
  };
  guint8 tag[SC_FLV_TAG_HEADER_SIZE + 5 + 4] = {kind == AUDIO ? SC_FLV_TAG_AUDIO : SC_FLV_TAG_VIDEO,
                                                0,
                                                0,
                                                5,
                                                (ts >> 16) & 0xff,
                                                (ts >> 8) & 0xff,
                                                ts & 0xff,
                                                ts >> 24};
  memcpy(tag + SC_FLV_TAG_HEADER_SIZE, bodies[kind], 5);
  tag[sizeof tag - 1] = SC_FLV_TAG_HEADER_SIZE + 5;
  return gst_buffer_new_memdup(tag, sizeof tag);
}

static ScTagQueueItem *
item(Kind kind, guint32 ts)
{
  GstBuffer *tag = make_tag(kind, ts);
  ScTagQueueItem *it = sc_tag_queue_item_new(tag);
  gst_buffer_unref(tag);
  assert_non_null(it);
  return it;
}

/* Offers a tag of @kind at @ts as an output does (only keyframes start the
 * stream); TRUE when it joined. */
static gboolean
offer(ScTagQueue *q, Kind kind, guint32 ts, guint *dropped, gboolean *overflowed)
{
  ScTagQueueItem *it = item(kind, ts);
  if (!sc_tag_queue_admit(q, it, it->keyframe, dropped, overflowed)) {
    sc_tag_queue_item_free(it);
    return FALSE;
  }
  sc_tag_queue_push(q, it);
  return TRUE;
}

static void
test_item_reads_the_header(void **state)
{
  g_autoptr(GstBuffer) key = make_tag(KEY, 0x01020304);
  ScTagQueueItem *it = sc_tag_queue_item_new(key);
  assert_non_null(it);
  assert_ptr_equal(it->buffer, key);
  assert_int_equal(it->ts, 0x01020304);
  assert_int_equal(it->type, SC_FLV_TAG_VIDEO);
  assert_true(it->keyframe);
  assert_false(it->disposable);
  assert_false(it->header);
  assert_int_equal(it->size, gst_buffer_get_size(key));
  sc_tag_queue_item_free(it);

  ScTagQueueItem *d = item(DISPOSABLE, 40), *h = item(AVC_HEADER, 0), *a = item(AUDIO, 20);
  assert_true(d->disposable);
  assert_false(d->keyframe);
  assert_true(h->header);
  assert_false(h->keyframe);
  assert_int_equal(a->type, SC_FLV_TAG_AUDIO);
  sc_tag_queue_item_free(d);
  sc_tag_queue_item_free(h);
  sc_tag_queue_item_free(a);

  static const guint8 file_header[SC_FLV_HEADER_SIZE] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9};
  g_autoptr(GstBuffer) not_a_tag = gst_buffer_new_memdup(file_header, sizeof file_header);
  assert_null(sc_tag_queue_item_new(not_a_tag));
}

/* A new queue takes nothing before a keyframe, and what it skips then is
 * not a loss; after it, everything in order, then the end. */
static void
test_starts_at_a_keyframe(void **state)
{
  ScTagQueue *q = sc_tag_queue_new(1000);
  guint dropped = 0;
  gboolean overflowed = FALSE;
  assert_false(offer(q, INTER, 0, &dropped, &overflowed));
  assert_false(offer(q, AUDIO, 10, &dropped, &overflowed));
  assert_true(offer(q, KEY, 33, &dropped, &overflowed));
  assert_true(offer(q, AUDIO, 40, &dropped, &overflowed));
  assert_true(offer(q, INTER, 66, &dropped, &overflowed));
  assert_int_equal(dropped, 0);
  assert_false(overflowed);
  assert_int_equal(sc_tag_queue_span_ms(q), 66 - 33);
  assert_int_equal(sc_tag_queue_bytes(q), 3 * (SC_FLV_TAG_HEADER_SIZE + 5 + 4));
  sc_tag_queue_push(q, sc_tag_queue_item_new_end());
  assert_int_equal(sc_tag_queue_span_ms(q), 0); /* the end spans no media */
  static const guint32 order[] = {33, 40, 66};
  for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
    ScTagQueueItem *it = sc_tag_queue_pop(q);
    assert_int_equal(it->ts, order[i]);
    sc_tag_queue_item_free(it);
  }
  ScTagQueueItem *end = sc_tag_queue_pop(q);
  assert_null(end->buffer);
  sc_tag_queue_item_free(end);
  assert_true(sc_tag_queue_is_empty(q));
  assert_null(sc_tag_queue_pop(q));
  sc_tag_queue_free(q);
}

/* Past its bound, the queue drops all that waits and every tag until the
 * next keyframe, counting them all lost. A restart drops what waits too,
 * but what it skips is not counted. */
static void
test_overflow_drops_until_a_keyframe(void **state)
{
  ScTagQueue *q = sc_tag_queue_new(100);
  guint dropped = 0;
  gboolean overflowed = FALSE;
  assert_true(offer(q, KEY, 0, &dropped, &overflowed));
  for (guint32 ts = 33; ts <= 132; ts += 33)
    assert_true(offer(q, INTER, ts, &dropped, &overflowed));
  assert_false(overflowed);
  assert_false(offer(q, INTER, 165, &dropped, &overflowed)); /* 132 ms waited */
  assert_true(overflowed);
  assert_int_equal(dropped, 5 + 1);
  assert_true(sc_tag_queue_is_empty(q));
  overflowed = FALSE;
  assert_false(offer(q, AUDIO, 170, &dropped, &overflowed));
  assert_int_equal(dropped, 7);
  assert_true(offer(q, KEY, 198, &dropped, &overflowed));
  assert_false(overflowed);
  assert_int_equal(dropped, 7);

  sc_tag_queue_restart(q);
  assert_true(sc_tag_queue_is_empty(q));
  assert_false(offer(q, INTER, 231, &dropped, &overflowed));
  assert_int_equal(dropped, 7);
  /* an owner may let other tags start its stream: the recorder, sequence headers */
  ScTagQueueItem *h = item(AVC_HEADER, 240);
  assert_true(sc_tag_queue_admit(q, h, h->keyframe || h->header, &dropped, &overflowed));
  sc_tag_queue_push(q, h);
  sc_tag_queue_free(q); /* with what waits */
}

/* Keeping video in time: the disposable frames go first, then whole groups
 * of pictures from the oldest; audio stays. */
static void
test_drops_video_to_keep_in_time(void **state)
{
  ScTagQueue *q = sc_tag_queue_new(10000);
  guint dropped = 0;
  gboolean overflowed = FALSE;
  static const Kind kinds[] = {KEY, AUDIO, DISPOSABLE, INTER, KEY, DISPOSABLE, INTER};
  for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
    assert_true(offer(q, kinds[i], 100 + i * 10, &dropped, &overflowed));
  guint32 ts = 0;
  assert_true(sc_tag_queue_oldest_video_ts(q, &ts));
  assert_int_equal(ts, 100);
  assert_int_equal(sc_tag_queue_drop_disposable(q), 2);
  guint frames = 0, disposable = 0;
  assert_false(sc_tag_queue_drop_oldest_gop(q, &frames, &disposable)); /* the key at 140 stays */
  assert_int_equal(frames, 2);
  assert_int_equal(disposable, 0);
  assert_true(sc_tag_queue_oldest_video_ts(q, &ts));
  assert_int_equal(ts, 140);
  assert_true(sc_tag_queue_drop_oldest_gop(q, &frames, &disposable)); /* no keyframe left */
  assert_int_equal(frames, 4);
  assert_false(sc_tag_queue_oldest_video_ts(q, &ts));
  ScTagQueueItem *audio = sc_tag_queue_pop(q);
  assert_int_equal(audio->type, SC_FLV_TAG_AUDIO);
  sc_tag_queue_item_free(audio);
  assert_true(sc_tag_queue_is_empty(q));
  sc_tag_queue_free(q);
}

int
main(void)
{
  gst_init(NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_item_reads_the_header),
      cmocka_unit_test(test_starts_at_a_keyframe),
      cmocka_unit_test(test_overflow_drops_until_a_keyframe),
      cmocka_unit_test(test_drops_video_to_keep_in_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
