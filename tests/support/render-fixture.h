/* render-fixture.h - what the renderer's tests share: the show on the test
 * clock (testutil.h), its updates, and looking at the pictures drawn. Files
 * that use it include cmocka.h first. */
#pragma once
#include "overlays/render.h"

#include <cairo.h>

G_BEGIN_DECLS

/* Runs an action (its GError is e_), then lets the show's minimum interval pass. */
#define ACT(call)                                                                                  \
  do {                                                                                             \
    g_autoptr(GError) e_ = NULL;                                                                   \
    if (!(call))                                                                                   \
      fail_msg("%s: %s", #call, e_ ? e_->message : "?");                                           \
    sc_test_advance_ms(600);                                                                       \
  } while (0)

/* A show file, loaded and on the test clock; failing the test if it does not load. */
ScShow *load_show(const char *path);
/* The example evening show of overlays/examples. */
ScShow *example_show(void);
/* The renderer brought up to the show's state at the test clock's time. */
void update(ScRenderer *r, ScShow *show);
/* Updates, then lets the fades run to their end and updates again. */
void settle(ScRenderer *r, ScShow *show);
/* The frame as written by sc_renderer_write_png (premultiplied ARGB32), over
 * @background; a file in sc_test_dir. */
cairo_surface_t *snapshot(ScRenderer *r, guint32 background);
guint32 pixel(cairo_surface_t *s, int x, int y);
/* The byte of @pixel at bit @shift. */
guint8 channel(guint32 pixel, int shift);
/* Whether the w x h region at x0, y0 is the same in both. */
gboolean same_region(cairo_surface_t *a, cairo_surface_t *b, int x0, int y0, int w, int h);

typedef struct {
  gint x, y;
  guint w, h;
} Box;

/* Where @layer is on the frame; failing the test when it is not on air. */
Box layer_box(ScRenderer *r, ScLayer layer);

G_END_DECLS
