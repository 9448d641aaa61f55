/* blend.h - the overlay stage's blend: a composition onto I420 program frames.
 *
 * gst_video_overlay_composition_blend() converts every rectangle from ARGB
 * on every frame, about 12 ns per overlay pixel: 5 ms a frame for four cards
 * at 1080p, most of a core at 30 fps. ScBlender converts a layer's pixels once
 * into the frame's own format (premultiplied Y, Cb and Cr, with the alpha at
 * luma and at chroma resolution, in the frame's matrix and range), keeps that
 * while the layer's pixels stay the same, and blends with integer arithmetic.
 * A layer's global alpha (a fade step) is applied while blending, so a fade
 * costs no conversion.
 *
 * One thread uses a blender (the streaming thread); the compositions it is
 * given are never changed, as GStreamer's rules for them say.
 */
#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef struct _ScBlender ScBlender;

ScBlender *sc_blender_new(void);
void sc_blender_free(ScBlender *blender);

/* Blends @composition onto @frame, mapped writable. Frames other than I420
 * and rectangles drawn scaled go through gst_video_overlay_composition_blend. */
void sc_blender_blend(ScBlender *blender, GstVideoOverlayComposition *composition,
                      GstVideoFrame *frame);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScBlender, sc_blender_free)

G_END_DECLS
