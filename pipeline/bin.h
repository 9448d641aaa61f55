#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The first source element of @bin (a new reference), or NULL: where a
 * device's unplug starts when a drill imitates one. */
GstElement *sc_bin_first_source(GstBin *bin);

G_END_DECLS
