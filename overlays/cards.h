/* cards.h - how each live-commerce graphic looks: the renderer's drawing.
 *
 * Internal to the renderer (render.c), which decides when, where and how
 * transparent each card is; tested through tests/test-render.c. A card is
 * laid out with Pango and drawn with cairo, from its top-left corner, onto
 * whatever @cr it is given (the renderer gives a recording surface and then
 * copies it to an image surface of the size the card reports).
 *
 * Main thread only, like the renderer.
 */
#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "overlays/render.h"

G_BEGIN_DECLS

/* What every card is drawn with: the frame's unit and shape and the theme. */
typedef struct {
  double u;              /* one unit: the frame's short side / 720 */
  gboolean portrait;     /* taller than wide */
  guint32 accent;        /* 0xRRGGBB */
  const char *family;    /* font family */
  PangoContext *context; /* the renderer's, for its font map */
} ScCardStyle;

/* What is on air, at an instant. */
typedef struct {
  const ScShowFile *file;
  const ScOnAir *on_air;
  gint64 now_us;    /* wall clock, as ScOnAir.flash_end_us */
  gboolean compact; /* the product card without its image: the column is short of room */
} ScCardScene;

typedef struct {
  double w, h;   /* 0 x 0: nothing to show (a logo that could not be read) */
  double shrink; /* how much shorter the card is drawn compact than not (whole pixels) */
} ScCardSize;

/* What @layer shows in @scene, as a string that changes exactly when its
 * picture does (NULL: the layer is not on air). Free with g_free(). */
char *sc_card_key(ScLayer layer, const ScCardScene *scene);

/* Draws @layer at most @max_w wide and returns its size. Only called when
 * sc_card_key() is not NULL. */
ScCardSize sc_card_draw(ScLayer layer, const ScCardStyle *style, const ScCardScene *scene,
                        cairo_t *cr, double max_w);

/* For the next instant the countdown's picture changes by itself: the wall
 * clock at which its mm:ss text next changes, or G_MAXINT64. */
gint64 sc_card_countdown_next_change(const ScCardScene *scene);

G_END_DECLS
