#define G_LOG_DOMAIN "shopcast-tag-queue"

#include "pipeline/tag-queue.h"

#include "pipeline/flv.h"

struct _ScTagQueue {
  GQueue items; /* ScTagQueueItem* */
  guint bound_ms;
  gboolean resync;     /* refusing tags until one that starts the stream */
  gboolean overflowed; /* the resync follows an overflow: its refusals are losses */
};

ScTagQueueItem *
sc_tag_queue_item_new(GstBuffer *tag)
{
  GstMapInfo map;
  if (!gst_buffer_map(tag, &map, GST_MAP_READ))
    return NULL;
  ScFlvTag parsed;
  ScTagQueueItem *item = NULL;
  if (!sc_flv_is_file_header(map.data, map.size) &&
      sc_flv_parse_tag(map.data, map.size, &parsed, NULL) > 0) {
    item = g_new0(ScTagQueueItem, 1);
    item->buffer = gst_buffer_ref(tag);
    item->type = parsed.type;
    item->ts = parsed.timestamp_ms;
    item->keyframe = sc_flv_tag_is_keyframe(&parsed);
    item->disposable = sc_flv_tag_is_disposable(&parsed);
    item->header = sc_flv_tag_is_sequence_header(&parsed);
    item->size = map.size;
  }
  gst_buffer_unmap(tag, &map);
  return item;
}

ScTagQueueItem *
sc_tag_queue_item_new_end(void)
{
  return g_new0(ScTagQueueItem, 1);
}

void
sc_tag_queue_item_free(ScTagQueueItem *item)
{
  if (item == NULL)
    return;
  if (item->buffer)
    gst_buffer_unref(item->buffer);
  g_free(item);
}

ScTagQueue *
sc_tag_queue_new(guint bound_ms)
{
  ScTagQueue *queue = g_new0(ScTagQueue, 1);
  g_queue_init(&queue->items);
  queue->bound_ms = bound_ms;
  queue->resync = TRUE;
  return queue;
}

void
sc_tag_queue_clear(ScTagQueue *queue)
{
  g_queue_clear_full(&queue->items, (GDestroyNotify)sc_tag_queue_item_free);
}

void
sc_tag_queue_free(ScTagQueue *queue)
{
  if (queue == NULL)
    return;
  sc_tag_queue_clear(queue);
  g_free(queue);
}

void
sc_tag_queue_restart(ScTagQueue *queue)
{
  sc_tag_queue_clear(queue);
  queue->resync = TRUE;
  queue->overflowed = FALSE;
}

guint32
sc_tag_queue_span_ms(ScTagQueue *queue)
{
  ScTagQueueItem *head = g_queue_peek_head(&queue->items);
  ScTagQueueItem *tail = g_queue_peek_tail(&queue->items);
  return head && tail && head->buffer && tail->buffer && tail->ts > head->ts ? tail->ts - head->ts
                                                                             : 0;
}

gboolean
sc_tag_queue_admit(ScTagQueue *queue, const ScTagQueueItem *item, gboolean starts, guint *dropped,
                   gboolean *overflowed)
{
  if (!queue->resync && sc_tag_queue_span_ms(queue) > queue->bound_ms) {
    *dropped += g_queue_get_length(&queue->items);
    sc_tag_queue_clear(queue);
    queue->resync = TRUE;
    queue->overflowed = TRUE;
    *overflowed = TRUE;
  }
  if (queue->resync && !starts) {
    *dropped += queue->overflowed ? 1 : 0;
    return FALSE;
  }
  queue->resync = FALSE;
  queue->overflowed = FALSE;
  return TRUE;
}

void
sc_tag_queue_push(ScTagQueue *queue, ScTagQueueItem *item)
{
  g_queue_push_tail(&queue->items, item);
}

ScTagQueueItem *
sc_tag_queue_pop(ScTagQueue *queue)
{
  return g_queue_pop_head(&queue->items);
}

gboolean
sc_tag_queue_is_empty(ScTagQueue *queue)
{
  return g_queue_is_empty(&queue->items);
}

gsize
sc_tag_queue_bytes(ScTagQueue *queue)
{
  gsize bytes = 0;
  for (GList *l = queue->items.head; l; l = l->next)
    bytes += ((ScTagQueueItem *)l->data)->size;
  return bytes;
}

static gboolean
is_video(const ScTagQueueItem *item)
{
  return item->buffer && item->type == SC_FLV_TAG_VIDEO;
}

gboolean
sc_tag_queue_oldest_video_ts(ScTagQueue *queue, guint32 *ts)
{
  for (GList *l = queue->items.head; l; l = l->next) {
    ScTagQueueItem *it = l->data;
    if (is_video(it)) {
      *ts = it->ts;
      return TRUE;
    }
  }
  return FALSE;
}

static void
drop_link(ScTagQueue *queue, GList *link)
{
  sc_tag_queue_item_free(link->data);
  g_queue_delete_link(&queue->items, link);
}

guint
sc_tag_queue_drop_disposable(ScTagQueue *queue)
{
  guint n = 0;
  for (GList *l = queue->items.head, *next; l; l = next) {
    next = l->next;
    ScTagQueueItem *it = l->data;
    if (is_video(it) && it->disposable) {
      drop_link(queue, l);
      n++;
    }
  }
  return n;
}

gboolean
sc_tag_queue_drop_oldest_gop(ScTagQueue *queue, guint *frames, guint *disposable)
{
  gboolean first = TRUE;
  for (GList *l = queue->items.head, *next; l; l = next) {
    next = l->next;
    ScTagQueueItem *it = l->data;
    if (!is_video(it))
      continue;
    if (it->keyframe && !first)
      return FALSE;
    first = FALSE;
    (*frames)++;
    *disposable += it->disposable ? 1 : 0;
    drop_link(queue, l);
  }
  return TRUE;
}
