/* render-fixture.c - see render-fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/render-fixture.h"

#include "tests/support/testutil.h"

ScShow *
load_show(const char *path)
{
  g_autoptr(GError) error = NULL;
  ScShowFile *f = sc_show_file_load(path, &error);
  if (f == NULL)
    fail_msg("%s", error->message);
  ScShow *show = sc_show_new(f, NULL, NULL);
  sc_show_set_clock(show, sc_test_mono, sc_test_real);
  return show;
}

ScShow *
example_show(void)
{
  g_autofree char *path = sc_test_source_path("overlays/examples/winter-warmth.ini");
  return load_show(path);
}

void
update(ScRenderer *r, ScShow *show)
{
  sc_renderer_update(r, sc_show_get_file(show), sc_show_get_on_air(show), sc_test_real_us);
}

/* Updates, then lets the fades run to their end and updates again. */
void
settle(ScRenderer *r, ScShow *show)
{
  update(r, show);
  sc_test_advance_ms(SC_RENDER_FADE_US / 1000);
  update(r, show);
}

/* The frame as written by sc_renderer_write_png (premultiplied ARGB32). */
cairo_surface_t *
snapshot(ScRenderer *r, guint32 background)
{
  g_autofree char *path = g_build_filename(sc_test_dir, "snapshot.png", NULL);
  g_autoptr(GError) error = NULL;
  if (!sc_renderer_write_png(r, path, background, &error))
    fail_msg("%s", error->message);
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  return s;
}

guint32
pixel(cairo_surface_t *s, int x, int y)
{
  const guint8 *data = cairo_image_surface_get_data(s);
  return *(const guint32 *)(data + (gsize)y * cairo_image_surface_get_stride(s) + (gsize)x * 4);
}

gboolean
same_region(cairo_surface_t *a, cairo_surface_t *b, int x0, int y0, int w, int h)
{
  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      if (pixel(a, x, y) != pixel(b, x, y))
        return FALSE;
  return TRUE;
}

guint8
channel(guint32 pixel, int shift)
{
  return (pixel >> shift) & 0xff;
}

Box
layer_box(ScRenderer *r, ScLayer layer)
{
  Box b;
  if (!sc_renderer_get_layer_rect(r, layer, &b.x, &b.y, &b.w, &b.h))
    fail_msg("layer %d is not on air", layer);
  return b;
}
