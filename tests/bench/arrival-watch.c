/* arrival-watch: plays RTMP streams the way a viewer's player does and
 * prints when each video packet arrives, for measuring how long a stream
 * is gone during a fault.
 *
 *   arrival-watch SECONDS URL...
 *
 * One thread per URL; each waits for its stream to be published (a player
 * may join before the publisher), then prints "<realtime us> <url index>
 * <timestamp ms>" for every video packet, until SECONDS have passed. A new
 * publication on the same URL shows as timestamps starting again near 0; a
 * stream that ends is opened again.
 */
#include <glib.h>
#include <libavformat/avformat.h>
#include <stdio.h>

typedef struct {
  const char *url;
  guint index;
  gint64 deadline;
} Watch;

static GMutex print_lock;

static int
interrupt(void *data)
{
  return g_get_monotonic_time() > ((Watch *)data)->deadline;
}

static void
watch_once(Watch *w)
{
  AVFormatContext *ctx = avformat_alloc_context();
  ctx->interrupt_callback = (AVIOInterruptCB){interrupt, w};
  AVDictionary *opts = NULL;
  av_dict_set(&opts, "rtmp_live", "live", 0);
  if (avformat_open_input(&ctx, w->url, NULL, &opts) < 0) {
    av_dict_free(&opts);
    g_usleep(100 * 1000);
    return;
  }
  av_dict_free(&opts);
  AVPacket *pkt = av_packet_alloc();
  while (!interrupt(w) && av_read_frame(ctx, pkt) >= 0) {
    if (ctx->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      g_mutex_lock(&print_lock);
      AVRational tb = ctx->streams[pkt->stream_index]->time_base;
      gint64 ms =
          pkt->dts == AV_NOPTS_VALUE ? -1 : av_rescale_q(pkt->dts, tb, (AVRational){1, 1000});
      printf("%" G_GINT64_FORMAT " %u %" G_GINT64_FORMAT "\n", g_get_real_time(), w->index, ms);
      fflush(stdout);
      g_mutex_unlock(&print_lock);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&ctx);
}

static gpointer
run(gpointer data)
{
  Watch *w = data;
  for (guint i = 0; i < 100000 && !interrupt(w); i++)
    watch_once(w);
  return NULL;
}

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: arrival-watch SECONDS URL...\n");
    return 64;
  }
  av_log_set_level(AV_LOG_QUIET);
  avformat_network_init();
  gint64 deadline = g_get_monotonic_time() + (gint64)g_ascii_strtoull(argv[1], NULL, 10) * 1000000;
  guint n = (guint)argc - 2;
  Watch *watches = g_new0(Watch, n);
  GThread **threads = g_new0(GThread *, n);
  for (guint i = 0; i < n; i++) {
    watches[i] = (Watch){.url = argv[i + 2], .index = i, .deadline = deadline};
    threads[i] = g_thread_new("watch", run, &watches[i]);
  }
  for (guint i = 0; i < n; i++)
    g_thread_join(threads[i]);
  g_free(threads);
  g_free(watches);
  avformat_network_deinit();
  return 0;
}
