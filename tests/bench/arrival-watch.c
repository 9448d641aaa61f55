/* arrival-watch: plays RTMP streams the way a viewer's player does and
 * prints when each packet arrives, for measuring how long a stream is gone
 * during a fault (make bench-failover, make soak, make fault-matrix).
 *
 *   arrival-watch [--detail [--decode]] SECONDS URL...
 *
 * By default one line per video packet:
 *
 *   <realtime us> <url index> <timestamp ms>
 *
 * With --detail, audio packets too, with the kind and what the picture shows:
 *
 *   <realtime us> <url index> v <timestamp ms> <picture>
 *   <realtime us> <url index> a <timestamp ms> -
 *
 * <picture> comes from a strip near the frame's top when --decode is given:
 * B the sim board's colour bars (every hue), S the box's camera-lost slate
 * (flat dark blue), O anything else, - not decoded (before the first keyframe,
 * or without --decode: decoding costs CPU the box under test may need).
 *
 * One thread per URL; each waits for its stream to be published (a player may
 * join before the publisher) and opens it again when it ends, until SECONDS
 * have passed. A new publication on the same URL shows as timestamps starting
 * again near 0. The arrival time is taken when the packet is read, before it
 * is decoded.
 */
#include <glib.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdio.h>

typedef struct {
  const char *url;
  guint index;
  gint64 deadline;
} Watch;

static GMutex print_lock;
static gboolean detail, decode_video;

static int
interrupt(void *data)
{
  return g_get_monotonic_time() > ((Watch *)data)->deadline;
}

/* Colour bars have a wide spread of U across a row; the slate is flat and
 * dark blue (Y 30..60, U above 136). */
static char
classify(const AVFrame *f)
{
  if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P)
    return 'O';
  guint ymin = 255, ymax = 0, umin = 255, umax = 0, ysum = 0, usum = 0, n = 0;
  for (int row = 8; row < 16 && row < f->height; row++)
    for (int col = 0; col < f->width; col++, n++) {
      guint y = f->data[0][row * f->linesize[0] + col];
      guint u = f->data[1][(row / 2) * f->linesize[1] + col / 2];
      ymin = MIN(ymin, y), ymax = MAX(ymax, y), umin = MIN(umin, u), umax = MAX(umax, u);
      ysum += y, usum += u;
    }
  if (n == 0)
    return 'O';
  if (umax - umin > 100)
    return 'B';
  if (ymax - ymin < 20 && usum / n > 136 && ysum / n > 30 && ysum / n < 60)
    return 'S';
  return 'O';
}

static AVCodecContext *
open_decoder(const AVCodecParameters *par)
{
  const AVCodec *codec = avcodec_find_decoder(par->codec_id);
  AVCodecContext *dec = codec ? avcodec_alloc_context3(codec) : NULL;
  if (dec == NULL)
    return NULL;
  dec->thread_count = 1;
  if (avcodec_parameters_to_context(dec, par) < 0 || avcodec_open2(dec, codec, NULL) < 0)
    avcodec_free_context(&dec);
  return dec;
}

static char
decode(AVCodecContext *dec, const AVPacket *pkt, AVFrame *frame)
{
  char picture = '-';
  if (dec == NULL || avcodec_send_packet(dec, pkt) < 0)
    return picture;
  while (avcodec_receive_frame(dec, frame) == 0) {
    picture = classify(frame);
    av_frame_unref(frame);
  }
  return picture;
}

static void
print_packet(const Watch *w, gint64 arrived, char kind, gint64 ms, char picture)
{
  if (!detail && kind != 'v')
    return;
  g_mutex_lock(&print_lock);
  if (detail)
    printf("%" G_GINT64_FORMAT " %u %c %" G_GINT64_FORMAT " %c\n", arrived, w->index, kind, ms,
           picture);
  else
    printf("%" G_GINT64_FORMAT " %u %" G_GINT64_FORMAT "\n", arrived, w->index, ms);
  fflush(stdout);
  g_mutex_unlock(&print_lock);
}

static void
read_packets(Watch *w, AVFormatContext *ctx)
{
  AVCodecContext *dec = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  for (guint n = 0; n < 10000000 && !interrupt(w) && av_read_frame(ctx, pkt) >= 0; n++) {
    gint64 arrived = g_get_real_time();
    AVStream *st = ctx->streams[pkt->stream_index];
    gint64 ms = pkt->dts == AV_NOPTS_VALUE
                    ? -1
                    : av_rescale_q(pkt->dts, st->time_base, (AVRational){1, 1000});
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      if (dec == NULL && decode_video)
        dec = open_decoder(st->codecpar);
      print_packet(w, arrived, 'v', ms, decode(dec, pkt, frame));
    } else if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      print_packet(w, arrived, 'a', ms, '-');
    }
    av_packet_unref(pkt);
  }
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
}

static void
watch_once(Watch *w)
{
  AVFormatContext *ctx = avformat_alloc_context();
  ctx->interrupt_callback = (AVIOInterruptCB){interrupt, w};
  AVDictionary *opts = NULL;
  av_dict_set(&opts, "rtmp_live", "live", 0);
  int ret = avformat_open_input(&ctx, w->url, NULL, &opts);
  av_dict_free(&opts);
  if (ret < 0) {
    g_usleep(100 * 1000);
    return;
  }
  read_packets(w, ctx);
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
  for (; argc > 1 && g_str_has_prefix(argv[1], "--"); argc--, argv++) {
    if (g_str_equal(argv[1], "--detail"))
      detail = TRUE;
    else if (g_str_equal(argv[1], "--decode"))
      decode_video = TRUE;
    else
      argc = 0; /* the usage below */
  }
  if (argc < 3 || (decode_video && !detail)) {
    fprintf(stderr, "usage: arrival-watch [--detail [--decode]] SECONDS URL...\n");
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
