/* shopcast-clip: a clip from a recorded show, for short videos (二次剪辑).
 *
 *   shopcast-clip --product down-jacket SHOW_FOLDER -o down-jacket.mp4
 *   shopcast-clip --all-products SHOW_FOLDER -o clips/
 *   shopcast-clip --from 12:30 --to 14:05 SHOW_FOLDER -o moment.mp4
 *
 * A remux with libavformat, never an encode: the clip starts at the last
 * keyframe at or before its start and ends just before the first keyframe at
 * or after its end (or at the end of the recording), so it may run up to a
 * keyframe interval longer than asked at each end. It reads the show's
 * segments (show.json, else segment-*.mkv) across their boundaries: their
 * timestamps are the show's time and run on from one to the next. A product's
 * clip is its longest time on air (chapters.json). The output's container
 * follows its name (.mp4, .mkv, .mov, .flv, .ts).
 *
 * Prints one JSON object a clip: {"output":"down-jacket.mp4","from_ms":60000,
 * "to_ms":122000,"duration_ms":62000,"video_frames":1860,"segments":2}.
 * Exit status: 0 done, 1 no such product or nothing in the range, 2 the
 * show cannot be read, 64 usage, 73 the output cannot be written.
 */
#include "firmware/chapters.h"
#include "firmware/json.h"
#include "sc-build-config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libavformat/avformat.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_NOTHING = 1, EXIT_UNREADABLE = 2, EXIT_USAGE = 64, EXIT_CANTCREAT = 73 };

#define MS ((AVRational){1, 1000})

typedef struct {
  char *file;
  gint64 start_ms;
} Segment;

typedef struct {
  GArray *segments; /* Segment, in order */
  AVFormatContext *in, *out;
  int map[8];            /* input stream -> output stream, -1: left out */
  gint64 from_ms, to_ms; /* asked */
  gint64 start_ms;       /* the keyframe the clip starts at */
  gint64 end_ms;         /* where it ended */
  guint64 video_frames;
  guint segments_used;
} Clip;

static void
segment_clear(gpointer p)
{
  g_free(((Segment *)p)->file);
}

/* ---- the show's segments and chapters ---- */

static GArray *
segments_new(void)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(Segment));
  g_array_set_clear_func(a, segment_clear);
  return a;
}

static void
add_segment(GArray *a, const char *dir, const char *file, gint64 start_ms)
{
  Segment s = {g_build_filename(dir, file, NULL), start_ms};
  g_array_append_val(a, s);
}

static GArray *
segments_from_show_json(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "show.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_file(parser, path, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  JsonObject *show = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  JsonObject *rec = show ? json_object_get_object_member(show, "recording") : NULL;
  JsonArray *list = rec ? json_object_get_array_member(rec, "segments") : NULL;
  if (list == NULL || json_array_get_length(list) == 0)
    return NULL;
  GArray *a = segments_new();
  for (guint i = 0; i < json_array_get_length(list); i++) {
    JsonObject *o = json_array_get_object_element(list, i);
    const char *file = o ? json_object_get_string_member_with_default(o, "file", NULL) : NULL;
    if (file && !strchr(file, '/'))
      add_segment(a, dir, file, json_object_get_int_member_with_default(o, "start_ms", 0));
  }
  return a;
}

static gint
by_file(gconstpointer a, gconstpointer b)
{
  return strcmp(((const Segment *)a)->file, ((const Segment *)b)->file);
}

/* Without show.json (a show cut short before it was written): the files. */
static GArray *
segments_from_folder(const char *dir)
{
  GArray *a = segments_new();
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_prefix(name, "segment-") && g_str_has_suffix(name, ".mkv"))
      add_segment(a, dir, name, -1);
  g_array_sort(a, by_file);
  return a;
}

static GPtrArray *
load_chapters(const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename(dir, "chapters.json", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error))
    return NULL;
  return sc_chapters_from_json(text, error);
}

/* The product's longest time on air. */
static const ScChapter *
find_product(GPtrArray *chapters, const char *id)
{
  const ScChapter *best = NULL;
  for (guint i = 0; i < chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(chapters, i);
    if (c->kind == SC_CHAPTER_PRODUCT && g_str_equal(c->id, id) &&
        (best == NULL || c->end_ms - c->start_ms > best->end_ms - best->start_ms))
      best = c;
  }
  return best;
}

/* ---- reading ---- */

static gboolean
open_segment(Clip *c, guint index, GError **error)
{
  avformat_close_input(&c->in);
  const Segment *s = &g_array_index(c->segments, Segment, index);
  int ret = avformat_open_input(&c->in, s->file, NULL, NULL);
  if (ret >= 0)
    ret = avformat_find_stream_info(c->in, NULL);
  if (ret < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read %s: %s", s->file,
                av_err2str(ret));
    return FALSE;
  }
  c->segments_used++;
  return TRUE;
}

static gint64
pts_ms(AVFormatContext *in, const AVPacket *pkt)
{
  gint64 ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  return av_rescale_q(ts, in->streams[pkt->stream_index]->time_base, MS);
}

static gboolean
is_video(AVFormatContext *in, const AVPacket *pkt)
{
  return in->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
}

/* The segment that holds @ms (by its start; unknown starts are read). */
static guint
segment_for(Clip *c, gint64 ms)
{
  guint at = 0;
  for (guint i = 0; i < c->segments->len; i++) {
    gint64 start = g_array_index(c->segments, Segment, i).start_ms;
    if (start >= 0 && start <= ms)
      at = i;
  }
  return at;
}

/* The last video keyframe at or before @from in the open segment (its first
 * keyframe when @from is before it). -1 when the segment has no video. */
static gint64
find_start(Clip *c, gint64 from)
{
  int v = av_find_best_stream(c->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (v < 0)
    return -1;
  gint64 ts = av_rescale_q(from, MS, c->in->streams[v]->time_base);
  if (av_seek_frame(c->in, v, ts, AVSEEK_FLAG_BACKWARD) < 0)
    av_seek_frame(c->in, -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE);
  AVPacket *pkt = av_packet_alloc();
  gint64 start = -1;
  while (av_read_frame(c->in, pkt) >= 0) {
    gboolean key = is_video(c->in, pkt) && (pkt->flags & AV_PKT_FLAG_KEY);
    gint64 at = pts_ms(c->in, pkt);
    av_packet_unref(pkt);
    if (key && (at <= from || start < 0))
      start = at;
    if (key && at >= from)
      break;
  }
  av_packet_free(&pkt);
  return start;
}

/* ---- writing ---- */

static gboolean
open_output(Clip *c, const char *path, GError **error)
{
  int ret = avformat_alloc_output_context2(&c->out, NULL, NULL, path);
  if (ret < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "%s: no container for this name (use .mp4, .mkv, .mov, .flv or .ts)", path);
    return FALSE;
  }
  for (guint i = 0; i < c->in->nb_streams && i < G_N_ELEMENTS(c->map); i++) {
    AVCodecParameters *par = c->in->streams[i]->codecpar;
    c->map[i] = -1;
    if (par->codec_type != AVMEDIA_TYPE_VIDEO && par->codec_type != AVMEDIA_TYPE_AUDIO)
      continue;
    AVStream *st = avformat_new_stream(c->out, NULL);
    if (st == NULL || avcodec_parameters_copy(st->codecpar, par) < 0)
      return FALSE;
    st->codecpar->codec_tag = 0;
    st->time_base = c->in->streams[i]->time_base;
    c->map[i] = st->index;
  }
  AVDictionary *options = NULL;
  av_dict_set(&options, "movflags", "+faststart", 0); /* mp4 and mov: playable while downloading */
  ret = avio_open(&c->out->pb, path, AVIO_FLAG_WRITE);
  if (ret >= 0)
    ret = avformat_write_header(c->out, &options);
  av_dict_free(&options);
  if (ret < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path, av_err2str(ret));
    return FALSE;
  }
  return TRUE;
}

static gboolean
write_packet(Clip *c, AVPacket *pkt, GError **error)
{
  int to = pkt->stream_index < (int)G_N_ELEMENTS(c->map) ? c->map[pkt->stream_index] : -1;
  if (to < 0)
    return TRUE;
  AVRational tb = c->in->streams[pkt->stream_index]->time_base;
  gint64 base = av_rescale_q(c->start_ms, MS, tb);
  if (pkt->pts != AV_NOPTS_VALUE)
    pkt->pts -= base;
  if (pkt->dts != AV_NOPTS_VALUE)
    pkt->dts -= base;
  pkt->stream_index = to;
  av_packet_rescale_ts(pkt, tb, c->out->streams[to]->time_base);
  pkt->pos = -1;
  int ret = av_interleaved_write_frame(c->out, pkt);
  if (ret < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write the clip: %s", av_err2str(ret));
    return FALSE;
  }
  return TRUE;
}

/* One video frame's length, for where the last frame ends. */
static gint64
frame_ms(AVStream *st)
{
  AVRational rate = st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate;
  return rate.num > 0 ? av_rescale(1000, rate.den, rate.num) : 0;
}

/* Where the clip stops: the first video keyframe at or after to_ms. */
static gboolean
at_end(Clip *c, const AVPacket *pkt, gint64 at)
{
  return is_video(c->in, pkt) && (pkt->flags & AV_PKT_FLAG_KEY) && at >= c->to_ms &&
         at > c->start_ms;
}

/* Copies from the start keyframe to the end, segment after segment. */
static gboolean
copy(Clip *c, guint segment, GError **error)
{
  int v = av_find_best_stream(c->in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (av_seek_frame(c->in, v, av_rescale_q(c->start_ms, MS, c->in->streams[v]->time_base),
                    AVSEEK_FLAG_BACKWARD) < 0)
    av_seek_frame(c->in, -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE);
  AVPacket *pkt = av_packet_alloc();
  gboolean ok = TRUE;
  c->end_ms = c->start_ms;
  while (ok) {
    if (av_read_frame(c->in, pkt) < 0) {
      if (++segment >= c->segments->len)
        break; /* the end of the recording */
      ok = open_segment(c, segment, error);
      continue;
    }
    gint64 at = pts_ms(c->in, pkt);
    if (at_end(c, pkt, at)) {
      c->end_ms = at;
      break;
    }
    if (at >= c->start_ms) {
      if (is_video(c->in, pkt)) {
        c->video_frames++;
        c->end_ms = MAX(c->end_ms, at + frame_ms(c->in->streams[pkt->stream_index]));
      }
      ok = write_packet(c, pkt, error);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  return ok;
}

static void
clip_clear(Clip *c)
{
  avformat_close_input(&c->in);
  if (c->out) {
    avio_closep(&c->out->pb);
    avformat_free_context(c->out);
    c->out = NULL;
  }
}

/* Cuts [from, to) of the show's time into @output; prints what it did. */
static int
cut(GArray *segments, gint64 from, gint64 to, const char *output, GError **error)
{
  Clip c = {.segments = segments, .from_ms = from, .to_ms = to};
  guint first = segment_for(&c, from);
  if (!open_segment(&c, first, error)) {
    clip_clear(&c);
    return EXIT_UNREADABLE;
  }
  c.start_ms = find_start(&c, from);
  if (c.start_ms < 0 || c.start_ms >= to) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no video from %.3f s to %.3f s",
                from / 1000.0, to / 1000.0);
    clip_clear(&c);
    return EXIT_NOTHING;
  }
  c.segments_used = 0;
  gboolean ok = open_segment(&c, first, error) && open_output(&c, output, error);
  if (!ok) {
    clip_clear(&c);
    return EXIT_CANTCREAT;
  }
  ok = copy(&c, first, error);
  int ret = av_write_trailer(c.out);
  clip_clear(&c);
  if (!ok || ret < 0) {
    if (ok)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot finish %s: %s", output,
                  av_err2str(ret));
    return EXIT_CANTCREAT;
  }
  g_autoptr(GString) out = g_string_new("{\"output\":");
  sc_json_append_string(out, output);
  g_string_append_printf(out,
                         ",\"from_ms\":%" G_GINT64_FORMAT ",\"to_ms\":%" G_GINT64_FORMAT
                         ",\"duration_ms\":%" G_GINT64_FORMAT ",\"video_frames\":%" G_GUINT64_FORMAT
                         ",\"segments\":%u}\n",
                         c.start_ms, c.end_ms, c.end_ms - c.start_ms, c.video_frames,
                         c.segments_used);
  fputs(out->str, stdout);
  return EXIT_OK;
}

/* ---- the command line ---- */

typedef struct {
  char *product, *from, *to, *output;
  gboolean all, version;
  char **rest;
} Options;

static void
options_clear(Options *o)
{
  g_free(o->product);
  g_free(o->from);
  g_free(o->to);
  g_free(o->output);
  g_strfreev(o->rest);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

/* Seconds ("754.5"), or [HH:]MM:SS[.mmm]. */
static gboolean
parse_time(const char *text, gint64 *ms)
{
  g_auto(GStrv) parts = g_strsplit(text, ":", 3);
  guint n = g_strv_length(parts);
  double total = 0;
  for (guint i = 0; i < n; i++) {
    char *end = NULL;
    double v = g_ascii_strtod(parts[i], &end);
    if (end == parts[i] || *end || v < 0 || (i + 1 < n && v != (gint64)v))
      return FALSE;
    total = total * 60 + v;
  }
  *ms = (gint64)(total * 1000 + 0.5);
  return n > 0;
}

static int
usage_error(GOptionContext *ctx, const char *message)
{
  g_printerr("shopcast-clip: %s\n\n", message);
  g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
  g_printerr("%s", help);
  return EXIT_USAGE;
}

static int
all_products(GArray *segments, GPtrArray *chapters, const char *folder)
{
  if (g_mkdir_with_parents(folder, 0755) != 0) {
    g_printerr("shopcast-clip: cannot create %s\n", folder);
    return EXIT_CANTCREAT;
  }
  g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);
  int worst = EXIT_OK;
  for (guint i = 0; i < chapters->len; i++) {
    const ScChapter *c = g_ptr_array_index(chapters, i);
    if (c->kind != SC_CHAPTER_PRODUCT || !g_hash_table_add(done, c->id))
      continue;
    const ScChapter *longest = find_product(chapters, c->id);
    g_autofree char *name = g_strdup_printf("%s.mp4", c->id);
    g_autofree char *path = g_build_filename(folder, name, NULL);
    g_autoptr(GError) error = NULL;
    int rc = cut(segments, (gint64)longest->start_ms, (gint64)longest->end_ms, path, &error);
    if (rc != EXIT_OK)
      g_printerr("shopcast-clip: %s: %s\n", c->id, error->message);
    worst = MAX(worst, rc);
  }
  return worst;
}

static int
run(Options *o, GOptionContext *ctx)
{
  const char *dir = o->rest[0];
  g_autoptr(GArray) segments = segments_from_show_json(dir);
  if (segments == NULL)
    segments = segments_from_folder(dir);
  if (segments->len == 0) {
    g_printerr("shopcast-clip: %s: no recorded segments\n", dir);
    return EXIT_UNREADABLE;
  }
  g_autoptr(GError) error = NULL;
  gint64 from = 0, to = G_MAXINT64;
  if (o->product || o->all) {
    g_autoptr(GPtrArray) chapters = load_chapters(dir, &error);
    if (chapters == NULL) {
      g_printerr("shopcast-clip: %s: %s\n", dir, error->message);
      return EXIT_UNREADABLE;
    }
    if (o->all)
      return all_products(segments, chapters, o->output ? o->output : "clips");
    const ScChapter *c = find_product(chapters, o->product);
    if (c == NULL) {
      g_printerr("shopcast-clip: product '%s' was never on air in this show\n", o->product);
      return EXIT_NOTHING;
    }
    from = (gint64)c->start_ms;
    to = (gint64)c->end_ms;
  } else if ((o->from && !parse_time(o->from, &from)) || (o->to && !parse_time(o->to, &to))) {
    return usage_error(ctx, "--from and --to take seconds or [HH:]MM:SS");
  }
  g_autofree char *fallback = g_strdup_printf("%s.mp4", o->product ? o->product : "clip");
  int rc = cut(segments, from, to, o->output ? o->output : fallback, &error);
  if (rc != EXIT_OK)
    g_printerr("shopcast-clip: %s\n", error->message);
  return rc;
}

int
main(int argc, char **argv)
{
  g_auto(Options) o = {0};
  GOptionEntry entries[] = {
      {"product", 0, 0, G_OPTION_ARG_STRING, &o.product, "The product's longest time on air", "ID"},
      {"all-products", 0, 0, G_OPTION_ARG_NONE, &o.all, "One clip per product, into -o FOLDER",
       NULL},
      {"from", 0, 0, G_OPTION_ARG_STRING, &o.from, "Start, in the show's time", "TIME"},
      {"to", 0, 0, G_OPTION_ARG_STRING, &o.to, "End, in the show's time", "TIME"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
       "The clip (default ID.mp4), or the folder for --all-products (default clips)", "PATH"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.rest, NULL, "SHOW_FOLDER"},
      {NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("SHOW_FOLDER");
  g_option_context_set_summary(ctx, "A clip from a recorded show: remuxed, cut at keyframes.");
  g_option_context_set_description(ctx, "TIME: seconds (754.5) or [HH:]MM:SS[.mmm] of the show.\n"
                                        "Exit status: 0 done, 1 nothing to cut, 2 unreadable "
                                        "show, 64 usage, 73 output not written.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error))
    return usage_error(ctx, error->message);
  if (o.version) {
    printf("shopcast-clip %s\n", SC_VERSION);
    return EXIT_OK;
  }
  if (o.rest == NULL || g_strv_length(o.rest) != 1)
    return usage_error(ctx, "give one show folder");
  guint modes = (o.product != NULL) + o.all + (o.from || o.to);
  if (modes != 1)
    return usage_error(ctx, "give one of --product, --all-products, or --from/--to");
  av_log_set_level(AV_LOG_ERROR);
  return run(&o, ctx);
}
