/* render.h - draws what the show has on air as live-commerce graphics.
 *
 * ScRenderer turns an ScOnAir (see show.h) into layers: the brand logo, the
 * product/price card, the flash-sale countdown, the coupon card, the stock
 * counter, the price-correction card, the lower third, and the opening and
 * closing cards. Each layer is laid out with Pango (CJK text, shaped) and
 * drawn with cairo into its own premultiplied ARGB surface, cached: a layer
 * is drawn again only when its content key (the text and data it shows)
 * changes. The countdown's key is its mm:ss text, so it is drawn once per
 * second of remaining time.
 *
 * Layout follows the frame: sizes scale with its short side, and landscape
 * (16:9) puts the product stack on the right, portrait (9:16) on the left,
 * above the bottom 20% and left of the right 15% where the platform's own UI
 * sits. The logo sits in the top-left corner of that safe area, 8% of the
 * short side high. Long text is ellipsized inside its card, never
 * overflowing it. When the product stack (correction, countdown, product
 * card, coupon, stock) is taller than the room it has (the safe area; in
 * portrait, below the logo and the lower third), it gives way in this order
 * until it fits: the stock counter is dropped, then the coupon card, then
 * the product card is drawn without its image, then the countdown is
 * dropped. The product card and a price correction always stay.
 *
 * Transitions: a layer that comes on air fades in, and one that goes off air
 * fades out, linearly over SC_RENDER_FADE_US (a fade that turns around midway
 * goes back from where it was, at the same speed). A layer fading out stays
 * where it was and takes no room: the others take their new places at once.
 * A layer that stays on air while its content changes (a new price, the
 * countdown's next second, a new stock number, another product) is never
 * faded: its new picture replaces the old one at once, so two prices are
 * never half visible together. A theme change is a content change.
 *
 * Theme: a renderer made with a theme uses it for every show; one made
 * without follows the theme of the show file it is given (ScShowFile.accent
 * and .font, from the [show] keys accent and font), and draws everything
 * again when that changes (a reloaded show).
 *
 * Not thread-safe: one thread (the one that calls sc_renderer_update) owns a
 * renderer; a composition it returns is a GStreamer mini object that may be
 * handed to a streaming thread, and is never changed afterwards (a fade step
 * is a new composition of copied rectangles sharing the layers' pixels).
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

/* How long a layer takes to fade in or out, in us. */
#define SC_RENDER_FADE_US (200 * 1000)

/* A theme that overrides the show file's (see above). */
typedef struct {
  guint32 accent;     /* 0xRRGGBB: prices, countdown, accents */
  const char *family; /* font family; NULL: SC_SHOW_DEFAULT_FONT */
} ScTheme;

/* The layers, bottom to top. */
typedef enum {
  SC_LAYER_LOGO,
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
 * copied; NULL: the theme of the show file given to each update. */
ScRenderer *sc_renderer_new(guint width, guint height, const ScTheme *theme);
void sc_renderer_free(ScRenderer *renderer);

/* Lays out and draws what @on_air shows (@file gives the show's title, host,
 * closing note, logo and theme) at wall-clock time @now_realtime_us (the
 * clock of ScOnAir.flash_end_us), and moves the fades on to that instant.
 * Only the layers whose content changed are drawn again. Neither pointer is
 * kept after the call. Call it after every change on air, and again at
 * sc_renderer_next_update(). */
void sc_renderer_update(ScRenderer *renderer, const ScShowFile *file, const ScOnAir *on_air,
                        gint64 now_realtime_us);

/* The wall-clock instant (the clock of sc_renderer_update) at which the
 * picture next changes by itself: the countdown's next second, or the next
 * step of a running fade (about every 33 ms, and its end); G_MAXINT64 when
 * nothing changes until the show does. Call sc_renderer_update then: one
 * timeout is enough. */
gint64 sc_renderer_next_update(ScRenderer *renderer);

/* The current picture, one GstVideoOverlayRectangle per layer on air or
 * fading out (BGRA, premultiplied alpha; a fading layer's global alpha is
 * below 1, 0 at the update that put it on air), for
 * gst_video_overlay_composition_blend() onto the program frame; NULL when
 * nothing is on air. Transfer full. An update that changes what is on air
 * makes a new composition at once; otherwise the same one is returned until
 * something visible changes (content, place or alpha). A composition once
 * returned is never modified. */
GstVideoOverlayComposition *sc_renderer_get_composition(ScRenderer *renderer);

/* Where layer @layer sits in the frame, in pixels; FALSE when it is not on
 * air (hidden, given way for lack of room, or fading out: the out values
 * then say where it was). Any of the out pointers may be NULL. */
gboolean sc_renderer_get_layer_rect(ScRenderer *renderer, ScLayer layer, gint *x, gint *y,
                                    guint *width, guint *height);

/* For tests and tools: the picture over @background (0xAARRGGBB, 0 for
 * transparent), each layer at its alpha of the last update, written to
 * @path as a PNG of the frame's size. */
gboolean sc_renderer_write_png(ScRenderer *renderer, const char *path, guint32 background,
                               GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* How many times a layer was drawn since the renderer was made (caching). */
guint sc_renderer_get_render_count(ScRenderer *renderer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRenderer, sc_renderer_free)

G_END_DECLS
