/* tag-queue.h - a bounded queue of FLV tags, from the pipeline's streaming
 * thread to a thread that sends or writes them (an output's, the
 * recorder's).
 *
 * Each tag waits with what its header says. The queue is bounded by the
 * media time it spans: once it spans more than its bound, all that waits is
 * late, so it is dropped (an overflow) and the queue takes nothing more
 * until a tag that can start the stream again, a keyframe (a resync). A
 * new connection or recording starts with a resync too, and what it skips
 * was never late.
 *
 * Not locked: its owner guards it with its own lock, which also guards the
 * owner's other state, and wakes its reader with its own condition. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  GstBuffer *buffer; /* a reference; NULL marks the end of the stream */
  guint32 ts;
  guint8 type; /* SC_FLV_TAG_* */
  gboolean keyframe;
  gboolean disposable; /* a video frame no other refers to */
  gboolean header;     /* a codec's sequence header */
  gsize size;
} ScTagQueueItem;

/* @tag with what its FLV header says, holding a reference to it; NULL when
 * it is not an FLV tag (an FLV file header is not). */
ScTagQueueItem *sc_tag_queue_item_new(GstBuffer *tag);
/* The end of the stream. */
ScTagQueueItem *sc_tag_queue_item_new_end(void);
void sc_tag_queue_item_free(ScTagQueueItem *item);

typedef struct _ScTagQueue ScTagQueue;

/* An empty queue bounded at @bound_ms of media, waiting for a keyframe. */
ScTagQueue *sc_tag_queue_new(guint bound_ms);
/* Frees it with the tags that wait. NULL-safe. */
void sc_tag_queue_free(ScTagQueue *queue);

/* Drops all that waits. */
void sc_tag_queue_clear(ScTagQueue *queue);
/* Drops all that waits, and waits for a keyframe: for a new connection or
 * recording. */
void sc_tag_queue_restart(ScTagQueue *queue);

/* Whether @item (a tag, not the end) may join the queue. First, when the
 * queue spans more than its bound, it overflows: all that waits is dropped,
 * counted in *@dropped, *@overflowed is set, and a resync begins. Then,
 * during a resync, @item is refused unless @starts (the owner says which
 * tags can start its stream: keyframes, perhaps sequence headers), and
 * counted in *@dropped when the resync follows an overflow. A tag that
 * starts ends the resync. The item stays the caller's. */
gboolean sc_tag_queue_admit(ScTagQueue *queue, const ScTagQueueItem *item, gboolean starts,
                            guint *dropped, gboolean *overflowed);
/* Appends @item (taking it): an admitted tag, or the end. */
void sc_tag_queue_push(ScTagQueue *queue, ScTagQueueItem *item);
/* The oldest item (the caller's now), or NULL when none waits. */
ScTagQueueItem *sc_tag_queue_pop(ScTagQueue *queue);
gboolean sc_tag_queue_is_empty(ScTagQueue *queue);

/* The media time between the oldest and the newest tag waiting, in ms. */
guint32 sc_tag_queue_span_ms(ScTagQueue *queue);
/* The bytes of the tags waiting. */
gsize sc_tag_queue_bytes(ScTagQueue *queue);

/* For an owner that keeps its video in time by dropping frames: the
 * timestamp of the oldest video frame waiting (FALSE when none); */
gboolean sc_tag_queue_oldest_video_ts(ScTagQueue *queue, guint32 *ts);
/* drops the waiting video frames no other frame refers to, returning how
 * many; */
guint sc_tag_queue_drop_disposable(ScTagQueue *queue);
/* drops the oldest waiting group of pictures (every video frame up to the
 * next keyframe after the first), adding the frames to *@frames and the
 * disposable ones among them to *@disposable; TRUE when no keyframe is left
 * waiting. */
gboolean sc_tag_queue_drop_oldest_gop(ScTagQueue *queue, guint *frames, guint *disposable);

G_END_DECLS
