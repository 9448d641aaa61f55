/* preview.h - the program preview for the panel: low-resolution JPEG
 * snapshots of the program frames, graphics included, about 5 a second.
 *
 * A branch of the program pipeline after the overlay stage (see pipeline.h):
 *   tee ! queue name=preview-queue (leaky, 1 frame) ! videoscale ! jpegenc
 *       ! appsink name=preview-sink
 * A gate on the queue lets a frame through only while the preview is enabled
 * and at most once per interval; otherwise frames are dropped there, before
 * any scaling or encoding, so a box nobody watches pays nothing. The branch
 * can never hold up the program: its queue drops instead of blocking.
 *
 * Any thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SC_PREVIEW_WIDTH 480 /* the long side, in pixels */

typedef struct _ScPreview ScPreview;

/* The branch's description, to follow a tee of the raw program: the preview
 * of a @width x @height program. */
char *sc_preview_description(guint width, guint height) G_GNUC_WARN_UNUSED_RESULT;

/* Binds to the branch's elements in @pipeline. */
ScPreview *sc_preview_new(GstElement *pipeline, guint interval_ms,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_preview_free(ScPreview *self);

void sc_preview_set_enabled(ScPreview *self, gboolean enabled);
/* The latest JPEG (a new reference) and its sequence number (1, 2, ...);
 * NULL before the first. */
GBytes *sc_preview_get_frame(ScPreview *self, guint64 *sequence) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScPreview, sc_preview_free)

G_END_DECLS
