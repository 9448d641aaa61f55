#pragma once

#include <glib.h>

/* Queues @func to run on @ctx, always from that context's own loop.
 *
 * g_main_context_invoke_full() is not enough for worker threads: when no
 * loop holds @ctx (the daemon stopping, before the main loop starts) it
 * acquires the context and calls @func right there, on the worker, racing the
 * main thread. A report from a worker must never run anywhere but the main
 * thread, so it always goes through an idle source. */
static inline void
sc_post(GMainContext *ctx, GSourceFunc func, gpointer data, GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, func, data, destroy);
  g_source_set_static_name(source, "sc-post");
  g_source_attach(source, ctx);
  g_source_unref(source);
}
