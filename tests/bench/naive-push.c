/* naive-push: the approach shopcast's failover is measured against. A plain
 * GStreamer pipeline (live test card and tone, x264 + AAC, flvmux,
 * rtmp2sink) that, on any error, tears itself down and starts again after
 * a short pause: what a streamer gets from a simple reconnect-on-error loop.
 * rtmp2sink cannot bind to an interface, so it follows the system's routing.
 *
 *   naive-push URL SECONDS
 *
 * Prints one line per event: "<realtime us> started|error <message>". Exits
 * after SECONDS.
 */
#include <gst/gst.h>
#include <stdio.h>

#define RESTART_DELAY_MS 200

typedef struct {
  char *url;
  GstElement *pipeline;
  GMainLoop *loop;
  guint restart;
} Naive;

static gboolean start(gpointer data);

static gboolean
on_message(GstBus *bus, GstMessage *msg, gpointer data)
{
  Naive *n = data;
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR && GST_MESSAGE_TYPE(msg) != GST_MESSAGE_EOS)
    return G_SOURCE_CONTINUE;
  g_autoptr(GError) error = NULL;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error(msg, &error, NULL);
  printf("%" G_GINT64_FORMAT " error %s\n", g_get_real_time(), error ? error->message : "eos");
  fflush(stdout);
  if (n->restart == 0)
    n->restart = g_timeout_add(RESTART_DELAY_MS, start, n);
  return G_SOURCE_CONTINUE;
}

static gboolean
start(gpointer data)
{
  Naive *n = data;
  n->restart = 0;
  if (n->pipeline) {
    gst_element_set_state(n->pipeline, GST_STATE_NULL);
    gst_bus_remove_watch(gst_element_get_bus(n->pipeline));
    g_clear_object(&n->pipeline);
  }
  g_autofree char *desc = g_strdup_printf(
      "videotestsrc is-live=true pattern=smpte75 horizontal-speed=4"
      " ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1"
      " ! x264enc tune=zerolatency speed-preset=veryfast bitrate=2500 key-int-max=60"
      " ! video/x-h264,profile=main ! h264parse ! queue ! mux."
      " audiotestsrc is-live=true freq=1000 volume=0.2 ! audio/x-raw,rate=48000,channels=2"
      " ! avenc_aac bitrate=128000 ! aacparse ! queue ! mux."
      " flvmux name=mux streamable=true latency=500000000 ! rtmp2sink location=\"%s\"",
      n->url);
  g_autoptr(GError) error = NULL;
  n->pipeline = gst_parse_launch(desc, &error);
  if (n->pipeline == NULL) {
    fprintf(stderr, "naive-push: %s\n", error->message);
    g_main_loop_quit(n->loop);
    return G_SOURCE_REMOVE;
  }
  g_autoptr(GstBus) bus = gst_element_get_bus(n->pipeline);
  gst_bus_add_watch(bus, on_message, n);
  gst_element_set_state(n->pipeline, GST_STATE_PLAYING);
  printf("%" G_GINT64_FORMAT " started\n", g_get_real_time());
  fflush(stdout);
  return G_SOURCE_REMOVE;
}

static gboolean
on_done(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  if (argc != 3) {
    fprintf(stderr, "usage: naive-push URL SECONDS\n");
    return 64;
  }
  Naive n = {.url = argv[1], .loop = g_main_loop_new(NULL, FALSE)};
  start(&n);
  g_timeout_add_seconds((guint)g_ascii_strtoull(argv[2], NULL, 10), on_done, n.loop);
  g_main_loop_run(n.loop);
  g_clear_handle_id(&n.restart, g_source_remove);
  if (n.pipeline) {
    gst_element_set_state(n.pipeline, GST_STATE_NULL);
    gst_bus_remove_watch(gst_element_get_bus(n.pipeline));
    g_object_unref(n.pipeline);
  }
  g_main_loop_unref(n.loop);
  return 0;
}
