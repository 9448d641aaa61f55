/* render.h - draws what the show has on air as live-commerce graphics.
 *
 * ScRenderer turns an ScOnAir (see show.h) into layers: the product/price
 * card, the flash-sale countdown, the coupon card, the stock counter, the
 * price-correction card, the lower third, and the opening and closing cards.
 * Each layer is laid out with Pango (CJK text, shaped) and drawn with cairo
 * into its own premultiplied ARGB surface, cached: a layer is drawn again only
 * when its content key (the text and data it shows) changes. The countdown's
 * key is its mm:ss text, so it is drawn once per second of remaining time.
 *
 * Layout follows the frame: sizes scale with its short side, and landscape
 * (16:9) puts the product stack on the right, portrait (9:16) on the left,
 * above the bottom 20% and left of the right 15% where the platform's own UI
 * sits. Long text is ellipsized inside its card, never overflowing it.
 *
 * There are no transitions: a layer appears and disappears at once.
 *
 * Not thread-safe: one thread (the one that calls sc_renderer_update) owns a
 * renderer; a composition it returns is a GStreamer mini object that may be
 * handed to a streaming thread.
 */
#pragma once

#include <gst/video/video.h>

#include "overlays/show.h"

G_BEGIN_DECLS

#define SC_RENDER_ERROR (sc_render_error_quark())
GQuark sc_render_error_quark(void);

typedef enum {
  SC_RENDER_ERROR_WRITE, /* the PNG could not be written */
} ScRenderError;

typedef struct {
  guint32 accent;     /* 0xRRGGBB: prices, countdown, accents */
  const char *family; /* font family; NULL: "Noto Sans CJK SC" */
} ScTheme;

/* The layers, bottom to top. */
typedef enum {
  SC_LAYER_PRODUCT,
  SC_LAYER_COUNTDOWN,
  SC_LAYER_COUPON,
  SC_LAYER_STOCK,
  SC_LAYER_CORRECTION,
  SC_LAYER_LOWER_THIRD,
  SC_LAYER_OPENING,
  SC_LAYER_CLOSING,
  SC_N_LAYERS
} ScLayer;

typedef struct _ScRenderer ScRenderer;

/* A renderer for frames of @width x @height (at least 160 x 160). @theme is
 * copied (NULL: a red accent and the default family). */
ScRenderer *sc_renderer_new(guint width, guint height, const ScTheme *theme);
void sc_renderer_free(ScRenderer *renderer);

/* Lays out and draws what @on_air shows (@file gives the show's title, host
 * and closing note) at wall-clock time @now_realtime_us (the clock of
 * ScOnAir.flash_end_us). Only the layers whose content changed are drawn
 * again. Neither pointer is kept after the call. */
void sc_renderer_update(ScRenderer *renderer, const ScShowFile *file, const ScOnAir *on_air,
                        gint64 now_realtime_us);

/* The current picture, one GstVideoOverlayRectangle per visible layer (BGRA,
 * premultiplied alpha), for gst_video_overlay_composition_blend() onto the
 * program frame; NULL when nothing is on air. Transfer full. The same
 * composition is returned until an update changes something. */
GstVideoOverlayComposition *sc_renderer_get_composition(ScRenderer *renderer);

/* Where layer @layer sits in the frame, in pixels; FALSE when it is not
 * shown. Any of the out pointers may be NULL. */
gboolean sc_renderer_get_layer_rect(ScRenderer *renderer, ScLayer layer, gint *x, gint *y,
                                    guint *width, guint *height);

/* For tests and tools: all layers over @background (0xAARRGGBB, 0 for
 * transparent), written to @path as a PNG of the frame's size. */
gboolean sc_renderer_write_png(ScRenderer *renderer, const char *path, guint32 background,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* How many times a layer was drawn since the renderer was made (caching). */
guint sc_renderer_get_render_count(ScRenderer *renderer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRenderer, sc_renderer_free)

G_END_DECLS
