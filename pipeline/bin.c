/* bin.c - what the camera and the microphone branches ask of a GstBin. */
#include "pipeline/bin.h"

GstElement *
sc_bin_first_source(GstBin *bin)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_sources(bin);
  GValue item = G_VALUE_INIT;
  GstElement *src = NULL;
  if (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    src = g_value_dup_object(&item);
    g_value_unset(&item);
  }
  return src;
}
