/* overlay-cost (make bench): the CPU that 4 live-commerce graphics on air add
 * to each 1080p30 program frame, beside ffmpeg's drawbox and drawtext filters
 * drawing the same graphics in the same run.
 *
 *   overlay-cost [--frames N] [--trials T] [--png DIR]
 *
 * shopcast: what the overlay stage does for every frame (pipeline.h), timed
 * with the thread's CPU clock over N frames after a warm-up: the renderer's
 * update at the frame's wall time (1/30 s apart), its composition, and the
 * overlay stage's blend (overlays/blend.h) onto the mapped I420 frame; with
 * --gst-blend, gst_video_overlay_composition_blend instead, for reference. Each frame
 * is a fresh copy of a clean one (the copy is not timed), so nothing is
 * blended onto an already blended frame.
 *
 * ffmpeg: a lavfi colour source (1920x1080, 30 fps, yuv420p, N frames) to the
 * null muxer on one thread, with the same graphics as drawbox and drawtext
 * filters (the same texts, sizes, colours and places, from the same Noto Sans
 * CJK files), minus the same run without them; its CPU is its user + system
 * time from wait4(). Both figures are thus the CPU the graphics add.
 * drawtext opens face 0 of the font collection (the JP face of the same
 * design: a few ideographs take their Japanese forms, at the same cost) and
 * does not round corners.
 *
 * Scenes: "static" (product card, coupon, stock, lower third: nothing
 * changes) and "countdown" (flash-sale countdown, product card, coupon,
 * stock: the countdown is drawn again once a second, as on air; ffmpeg's
 * countdown text is an expression of the frame's time).
 *
 * Each figure is the median of T trials, the range beside it. --png DIR
 * writes each scene's frame at 1 s (after the warm-up: the renderer's fades
 * are over), from both, to DIR to look at.
 */
#include "overlays/blend.h"
#include "overlays/render.h"
#include "tests/support/testutil.h"

#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#define WIDTH    1920
#define HEIGHT   1080
#define FPS      30
#define WARMUP   30        /* frames before the clock runs */
#define BACKDROP 0x3A4450u /* a dim studio backdrop */
#define ACCENT   0xE8231Fu /* the theme's accent: the default red */
/* the first frame's wall time */
#define START_US (G_GINT64_CONSTANT(1795428902) * G_USEC_PER_SEC)

/* Pango's line box for Noto Sans CJK: ascent and ascent + descent, in em. */
#define ASCENT      1.16
#define LINE_HEIGHT 1.448

static const char show_ini[] = "[show]\n"
                               "title = 冬季保暖专场 · 工厂直发\n"
                               "host = 小雅\n"
                               "closing-note = 关注店铺，下次直播 周五晚 8 点见\n"
                               "[product down-jacket]\n"
                               "name = 轻薄白鸭绒羽绒服\n"
                               "price = 199\n"
                               "original-price = 399\n"
                               "points = 90% 白鸭绒; 可机洗不跑绒; 三色可选\n"
                               "coupon-threshold = 199\n"
                               "coupon-value = 20\n"
                               "coupon-quantity = 200\n"
                               "stock = 500\n"
                               "flash-sale = 300\n";

#define GUEST_NAME "王师傅"
#define GUEST_ROLE "连麦嘉宾 · 羽绒工厂厂长"

typedef struct {
  const char *name;
  gboolean countdown;
} Scene;

static const Scene scenes[] = {{"static", FALSE}, {"countdown", TRUE}};

typedef struct {
  char *dir; /* scratch: the show file, ffmpeg's filter scripts and texts */
  ScShowFile *file;
  char *regular, *bold; /* font files */
  guint frames, trials;
  char *png_dir;
  gboolean gst_blend; /* GStreamer's blend instead of the overlay stage's */
  GstVideoInfo info;
  GstBuffer *clean; /* the frame every blend starts from */
} Bench;

typedef struct {
  double median, min, max;
} Stats;

/* ---- setup ---- */

static char *
font_file(const char *pattern)
{
  FcPattern *pat = FcNameParse((const FcChar8 *)pattern);
  FcConfigSubstitute(NULL, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  FcResult result;
  FcPattern *match = FcFontMatch(NULL, pat, &result);
  FcPatternDestroy(pat);
  FcChar8 *file = NULL, *family = NULL;
  char *out = NULL;
  if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch &&
      FcPatternGetString(match, FC_FAMILY, 0, &family) == FcResultMatch &&
      g_str_has_prefix((const char *)family, "Noto Sans CJK"))
    out = g_strdup((const char *)file);
  if (match)
    FcPatternDestroy(match);
  return out;
}

/* A 1920x1080 I420 frame filled with the backdrop (BT.709, limited range). */
static GstBuffer *
clean_frame(GstVideoInfo *info)
{
  double r = (BACKDROP >> 16) & 0xff, g = (BACKDROP >> 8) & 0xff, b = BACKDROP & 0xff;
  double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  guint8 value[3] = {(guint8)lround(16 + y * 219 / 255),
                     (guint8)lround(128 + (b - y) * 224 / (1.8556 * 255)),
                     (guint8)lround(128 + (r - y) * 224 / (1.5748 * 255))};
  GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
  GstVideoFrame frame;
  g_assert_true(gst_video_frame_map(&frame, info, buffer, GST_MAP_WRITE));
  for (guint p = 0; p < 3; p++)
    memset(GST_VIDEO_FRAME_PLANE_DATA(&frame, p), value[p],
           (gsize)GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p) * GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p));
  gst_video_frame_unmap(&frame);
  return buffer;
}

static gboolean
bench_init(Bench *b)
{
  g_autofree char *ffmpeg = g_find_program_in_path("ffmpeg");
  b->regular = font_file("Noto Sans CJK SC");
  b->bold = font_file("Noto Sans CJK SC:bold");
  if (ffmpeg == NULL || b->regular == NULL || b->bold == NULL) {
    g_printerr("overlay-cost: needs ffmpeg and the Noto Sans CJK fonts (packages ffmpeg and "
               "fonts-noto-cjk: tools/install-deps.sh)\n");
    return FALSE;
  }
  b->dir = sc_test_tmpdir();
  g_autofree char *path = sc_test_write_file(b->dir, "show.ini", show_ini);
  g_autoptr(GError) error = NULL;
  b->file = sc_show_file_load(path, &error);
  if (b->file == NULL) {
    g_printerr("overlay-cost: %s\n", error->message);
    return FALSE;
  }
  gst_video_info_set_format(&b->info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  GST_VIDEO_INFO_FPS_N(&b->info) = FPS;
  b->clean = clean_frame(&b->info);
  return TRUE;
}

static void
bench_clear(Bench *b)
{
  sc_test_rmtree(b->dir);
  g_free(b->dir);
  g_clear_pointer(&b->file, sc_show_file_free);
  g_free(b->regular);
  g_free(b->bold);
  g_free(b->png_dir);
  g_clear_pointer(&b->clean, gst_buffer_unref);
}

static const ScProduct *
product(const Bench *b)
{
  return g_ptr_array_index(b->file->products, 0);
}

static ScOnAir
scene_on_air(const Bench *b, const Scene *s)
{
  ScOnAir a = {.product = product(b), .coupon = TRUE, .stock = TRUE};
  if (s->countdown) {
    a.flash_sale = TRUE;
    a.flash_end_us = START_US + (gint64)a.product->flash_sale_s * G_USEC_PER_SEC;
  } else {
    a.lower_third_name = GUEST_NAME;
    a.lower_third_role = GUEST_ROLE;
  }
  return a;
}

/* ---- shopcast ---- */

static gint64
thread_cpu_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gint64
frame_time_us(guint frame)
{
  return START_US + (gint64)frame * G_USEC_PER_SEC / FPS;
}

/* One frame's overlay work; returns how many graphics it blended. */
static guint
overlay_frame(ScRenderer *r, ScBlender *blender, const ScShowFile *file, const ScOnAir *a,
              gint64 now_us, GstVideoFrame *frame)
{
  sc_renderer_update(r, file, a, now_us);
  GstVideoOverlayComposition *comp = sc_renderer_get_composition(r);
  if (comp == NULL)
    return 0;
  if (blender)
    sc_blender_blend(blender, comp, frame);
  else
    gst_video_overlay_composition_blend(comp, frame);
  guint n = gst_video_overlay_composition_n_rectangles(comp);
  gst_video_overlay_composition_unref(comp);
  return n;
}

static ScRenderer *
new_renderer(void)
{
  /* the theme both sides draw with, whatever the show file says */
  ScTheme theme = {ACCENT, "Noto Sans CJK SC"};
  return sc_renderer_new(WIDTH, HEIGHT, &theme);
}

/* Runs frames 0 to @count - 1 of scene @s, each blended onto a fresh copy of
 * the clean frame in @work (the copy is not timed), and returns the thread
 * CPU of the frames from @timed_from on, in ns. @overlays: how many graphics
 * the last frame had. */
static gint64
run_frames(const Bench *b, const Scene *s, guint count, guint timed_from, GstBuffer *work,
           guint *overlays)
{
  g_autoptr(ScRenderer) r = new_renderer();
  g_autoptr(ScBlender) blender = b->gst_blend ? NULL : sc_blender_new();
  ScOnAir a = scene_on_air(b, s);
  GstVideoFrame clean, frame;
  g_assert_true(gst_video_frame_map(&clean, &b->info, b->clean, GST_MAP_READ));
  g_assert_true(gst_video_frame_map(&frame, &b->info, work, GST_MAP_READWRITE));
  gint64 cpu_ns = 0;
  for (guint i = 0; i < count; i++) {
    gst_video_frame_copy(&frame, &clean);
    gint64 t0 = thread_cpu_ns();
    *overlays = overlay_frame(r, blender, b->file, &a, frame_time_us(i), &frame);
    if (i >= timed_from)
      cpu_ns += thread_cpu_ns() - t0;
  }
  gst_video_frame_unmap(&frame);
  gst_video_frame_unmap(&clean);
  return cpu_ns;
}

/* Milliseconds of thread CPU per frame, over b->frames frames after the warm-up. */
static double
shopcast_trial(const Bench *b, const Scene *s)
{
  g_autoptr(GstBuffer) work = gst_buffer_copy_deep(b->clean);
  guint overlays;
  gint64 cpu_ns = run_frames(b, s, WARMUP + b->frames, WARMUP, work, &overlays);
  return cpu_ns / 1e6 / b->frames;
}

static void
write_png(const Bench *b, GstBuffer *buffer, const char *path)
{
  g_autoptr(GstCaps) caps = gst_video_info_to_caps(&b->info);
  g_autoptr(GstSample) sample = gst_sample_new(buffer, caps, NULL, NULL);
  g_autoptr(GstCaps) png_caps = gst_caps_new_empty_simple("image/png");
  g_autoptr(GError) error = NULL;
  g_autoptr(GstSample) out = gst_video_convert_sample(sample, png_caps, 10 * GST_SECOND, &error);
  GstMapInfo map;
  if (out == NULL || !gst_buffer_map(gst_sample_get_buffer(out), &map, GST_MAP_READ)) {
    g_printerr("overlay-cost: %s: %s\n", path, error ? error->message : "no PNG");
    return;
  }
  if (!g_file_set_contents(path, (const char *)map.data, (gssize)map.size, &error))
    g_printerr("overlay-cost: %s\n", error->message);
  gst_buffer_unmap(gst_sample_get_buffer(out), &map);
}

/* The scene's first frame after the warm-up (layers faded in): how many
 * graphics it has; with @png, the frame is written there. */
static guint
shopcast_snapshot(const Bench *b, const Scene *s, const char *png)
{
  g_autoptr(GstBuffer) work = gst_buffer_copy_deep(b->clean);
  guint overlays;
  run_frames(b, s, WARMUP + 1, WARMUP + 1, work, &overlays);
  if (png)
    write_png(b, work, png);
  return overlays;
}

/* ---- ffmpeg's filter graph: the same graphics as drawbox and drawtext ---- */

typedef struct {
  const Bench *b;
  const Scene *scene;
  ScRenderer *r; /* where shopcast put each graphic */
  GString *graph;
  guint texts;
  double u; /* the renderer's unit: the short side / 720 */
} Graph;

static guint32
mix_white(guint32 rgb, double amount)
{
  guint32 out = 0;
  for (int shift = 0; shift <= 16; shift += 8)
    out |= (guint32)lround(((rgb >> shift) & 0xff) * amount + 255.0 * (1.0 - amount)) << shift;
  return out;
}

static void
add_box(Graph *g, double x, double y, double w, double h, guint32 rgb, double alpha)
{
  g_string_append_printf(g->graph, "%sdrawbox=x=%ld:y=%ld:w=%ld:h=%ld:color=0x%06X@%.2f:t=fill",
                         g->graph->len ? ",\n" : "", lround(x), lround(y), lround(w), lround(h),
                         rgb, alpha);
}

/* An estimate of Noto Sans CJK's advance: ideographs 1 em, Latin and digits ~0.57. */
static double
text_width(const char *text, double px)
{
  double em = 0;
  for (const char *p = text; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    em += c == ' ' ? 0.22 : c < 0x80 ? 0.57 : c < 0x2E80 ? 0.5 : 1.0;
  }
  return em * px;
}

/* @text (from a file of its own: nothing to escape; @expand: an expression
 * text) with its baseline at @baseline; returns the x after it. drawtext puts
 * the tallest glyph's top at y: ideographs ~0.88 em, digits ~0.73. */
static double
add_text(Graph *g, const char *text, double px, gboolean bold, guint32 rgb, double x,
         double baseline, gboolean expand)
{
  g_autofree char *name = g_strdup_printf("%s-%02u.txt", g->scene->name, g->texts++);
  g_autofree char *path = sc_test_write_file(g->b->dir, name, text);
  gboolean ideographs = FALSE;
  for (const char *c = text; *c; c = g_utf8_next_char(c))
    ideographs |= g_utf8_get_char(c) >= 0x2E80;
  double top = baseline - (ideographs ? 0.88 : 0.73) * px;
  g_string_append_printf(g->graph,
                         "%sdrawtext=fontfile=%s:textfile=%s:fontsize=%ld:fontcolor=0x%06X:x=%ld:"
                         "y=%ld:expansion=%s",
                         g->graph->len ? ",\n" : "", bold ? g->b->bold : g->b->regular, path,
                         lround(px), rgb, lround(x), lround(top), expand ? "normal" : "none");
  return x + text_width(text, px);
}

typedef struct {
  gint x, y;
  guint w, h;
} Rect;

static Rect
layer_rect(Graph *g, ScLayer layer)
{
  Rect l;
  g_assert_true(sc_renderer_get_layer_rect(g->r, layer, &l.x, &l.y, &l.w, &l.h));
  return l;
}

/* render.c's product card: white card, accent stripe, name, price line, points. */
static void
graph_product(Graph *g, const ScProduct *p)
{
  Rect l = layer_rect(g, SC_LAYER_PRODUCT);
  double u = g->u, pad = 20 * u, top = l.y + 6 * u + pad;
  add_box(g, l.x, l.y, l.w, l.h, 0xFFFFFF, 0.96);
  add_box(g, l.x, l.y, l.w, 6 * u, ACCENT, 1);
  add_text(g, p->name, 30 * u, TRUE, 0x1A1A1A, l.x + pad, top + ASCENT * 30 * u, FALSE);
  top += LINE_HEIGHT * 30 * u;
  double base = top + ASCENT * 64 * u;
  g_autofree char *price = sc_money_format(p->price);
  g_autofree char *amount = sc_money_format(p->original_price);
  g_autofree char *original = g_strconcat("¥", amount, NULL);
  double x = add_text(g, "直播价 ", 22 * u, TRUE, ACCENT, l.x + pad, base, FALSE);
  x = add_text(g, "¥", 34 * u, TRUE, ACCENT, x, base, FALSE);
  x = add_text(g, price, 64 * u, TRUE, ACCENT, x, base, FALSE) + text_width("  ", 24 * u);
  double end = add_text(g, original, 26 * u, FALSE, 0x999999, x, base, FALSE);
  add_box(g, x, base - 0.3 * 26 * u, end - x, 2 * u, 0x999999, 1); /* struck through */
  top += LINE_HEIGHT * 64 * u;
  for (int i = 0; i < SC_SHOW_MAX_POINTS && p->points[i]; i++) {
    double h = LINE_HEIGHT * 22 * u;
    add_box(g, l.x + pad + 1 * u, top + h / 2 - 4 * u, 8 * u, 8 * u, ACCENT, 1);
    add_text(g, p->points[i], 22 * u, FALSE, 0x444444, l.x + pad + 18 * u, top + ASCENT * 22 * u,
             FALSE);
    top += h + 4 * u;
  }
}

/* The countdown: "限时秒杀" and "距结束 mm:ss", mm:ss computed from the frame's time. */
static void
graph_countdown(Graph *g, const ScProduct *p)
{
  Rect l = layer_rect(g, SC_LAYER_COUNTDOWN);
  double u = g->u, pad = 20 * u;
  add_box(g, l.x, l.y, l.w, l.h, ACCENT, 0.95);
  add_text(g, "限时秒杀", 28 * u, TRUE, 0xFFFFFF, l.x + pad,
           l.y + (l.h - LINE_HEIGHT * 28 * u) / 2 + ASCENT * 28 * u, FALSE);
  double base = l.y + (l.h - LINE_HEIGHT * 48 * u) / 2 + ASCENT * 48 * u;
  double x = l.x + l.w - pad - text_width("距结束 ", 20 * u) - text_width("00:00", 48 * u);
  x = add_text(g, "距结束 ", 20 * u, FALSE, 0xFFFFFF, x, base, FALSE);
  g_autofree char *left = g_strdup_printf("(%u-t)", p->flash_sale_s);
  g_autofree char *mmss =
      g_strdup_printf("%%{eif:floor(ceil%s/60):d:2}:%%{eif:mod(ceil%s,60):d:2}", left, left);
  add_text(g, mmss, 48 * u, TRUE, 0xFFFFFF, x, base, TRUE);
}

/* The coupon: an accent stub with the value, a perforation, title and count. */
static void
graph_coupon(Graph *g, const ScProduct *p)
{
  Rect l = layer_rect(g, SC_LAYER_COUPON);
  double u = g->u, pad = 18 * u, stub = MIN(0.36 * l.w, 150 * u);
  add_box(g, l.x, l.y, l.w, l.h, mix_white(ACCENT, 0.12), 0.97);
  add_box(g, l.x, l.y, stub, l.h, ACCENT, 1);
  add_box(g, l.x + stub, l.y + 8 * u, 2 * u, l.h - 16 * u, ACCENT, 0.6);
  g_autofree char *amount = sc_money_format(p->coupon_value);
  g_autofree char *value = g_strconcat("¥", amount, NULL);
  add_text(g, value, 40 * u, TRUE, 0xFFFFFF, l.x + (stub - text_width(value, 40 * u)) / 2,
           l.y + (l.h - LINE_HEIGHT * 40 * u) / 2 + ASCENT * 40 * u, FALSE);
  g_autofree char *threshold = sc_money_format(p->coupon_threshold);
  g_autofree char *title = g_strdup_printf("满%s减%s", threshold, amount);
  g_autofree char *count = g_strdup_printf("优惠券 · 剩 %u 张", p->coupon_quantity);
  double top = l.y + (l.h - LINE_HEIGHT * (28 + 20) * u) / 2;
  add_text(g, title, 28 * u, TRUE, ACCENT, l.x + stub + pad, top + ASCENT * 28 * u, FALSE);
  top += LINE_HEIGHT * 28 * u;
  add_text(g, count, 20 * u, FALSE, 0x666666, l.x + stub + pad, top + ASCENT * 20 * u, FALSE);
}

/* The stock pill: "仅剩 500 件". */
static void
graph_stock(Graph *g, const ScProduct *p)
{
  Rect l = layer_rect(g, SC_LAYER_STOCK);
  double u = g->u, base = l.y + (l.h - LINE_HEIGHT * 32 * u) / 2 + ASCENT * 32 * u;
  g_autofree char *number = g_strdup_printf("%d", p->stock);
  add_box(g, l.x, l.y, l.w, l.h, 0x111111, 0.78);
  double x = add_text(g, "仅剩 ", 24 * u, FALSE, 0xFFFFFF, l.x + 22 * u, base, FALSE);
  x = add_text(g, number, 32 * u, TRUE, 0xFFD54A, x, base, FALSE);
  add_text(g, " 件", 24 * u, FALSE, 0xFFFFFF, x, base, FALSE);
}

/* The lower third: an accent bar, the name and the role. */
static void
graph_lower_third(Graph *g)
{
  Rect l = layer_rect(g, SC_LAYER_LOWER_THIRD);
  double u = g->u, x = l.x + 8 * u + 20 * u, top = l.y + 12 * u;
  add_box(g, l.x, l.y, l.w, l.h, 0x14141A, 0.85);
  add_box(g, l.x, l.y, 8 * u, l.h, ACCENT, 1);
  add_text(g, GUEST_NAME, 34 * u, TRUE, 0xFFFFFF, x, top + ASCENT * 34 * u, FALSE);
  top += LINE_HEIGHT * 34 * u;
  add_text(g, GUEST_ROLE, 22 * u, FALSE, mix_white(ACCENT, 0.35), x, top + ASCENT * 22 * u, FALSE);
}

/* Writes the scene's filter script (placed where shopcast places the same
 * graphics) and returns its path. */
static char *
write_graph(const Bench *b, const Scene *s)
{
  g_autoptr(ScRenderer) r = new_renderer();
  g_autoptr(ScBlender) blender = b->gst_blend ? NULL : sc_blender_new();
  ScOnAir a = scene_on_air(b, s);
  sc_renderer_update(r, b->file, &a, frame_time_us(0));
  sc_renderer_update(r, b->file, &a, frame_time_us(WARMUP));
  g_autoptr(GString) graph = g_string_new(NULL);
  Graph g = {b, s, r, graph, 0, MIN(WIDTH, HEIGHT) / 720.0};
  graph_product(&g, a.product);
  if (s->countdown)
    graph_countdown(&g, a.product);
  graph_coupon(&g, a.product);
  graph_stock(&g, a.product);
  if (!s->countdown)
    graph_lower_third(&g);
  g_autofree char *name = g_strdup_printf("%s.filter", s->name);
  return sc_test_write_file(b->dir, name, graph->str);
}

/* ---- ffmpeg ---- */

static G_GNUC_NULL_TERMINATED void
add_args(GPtrArray *argv, ...)
{
  va_list ap;
  va_start(ap, argv);
  for (const char *arg; (arg = va_arg(ap, const char *)) != NULL;)
    g_ptr_array_add(argv, (gpointer)arg);
  va_end(ap);
}

/* Runs ffmpeg on @frames frames, with the filter script @graph (NULL: none),
 * to @png (NULL: the null muxer); returns its CPU seconds, or -1. */
static double
run_ffmpeg(guint frames, const char *graph, const char *png)
{
  g_autofree char *source =
      g_strdup_printf("color=c=0x%06X:s=%ux%u:r=%u,format=yuv420p", BACKDROP, WIDTH, HEIGHT, FPS);
  g_autofree char *count = g_strdup_printf("%u", frames);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  add_args(argv, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", NULL);
  add_args(argv, "-filter_threads", "1", "-filter_complex_threads", "1", NULL);
  add_args(argv, "-threads", "1", "-f", "lavfi", "-i", source, NULL);
  add_args(argv, "-threads", "1", "-frames:v", count, NULL);
  if (graph)
    add_args(argv, "-filter_script:v", graph, NULL);
  if (png)
    add_args(argv, "-update", "1", "-y", png, NULL);
  else
    add_args(argv, "-f", "null", "-", NULL);
  g_ptr_array_add(argv, NULL);

  GPid pid;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_async(NULL, (char **)argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, &pid, &error)) {
    g_printerr("overlay-cost: ffmpeg: %s\n", error->message);
    return -1;
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    g_printerr("overlay-cost: ffmpeg failed (status 0x%x)\n", status);
    return -1;
  }
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Milliseconds of CPU per frame that ffmpeg's graphics add, or -1. */
static double
ffmpeg_trial(const Bench *b, const char *graph)
{
  double with = run_ffmpeg(b->frames, graph, NULL);
  double without = run_ffmpeg(b->frames, NULL, NULL);
  if (with < 0 || without < 0)
    return -1;
  return (with - without) * 1000 / b->frames;
}

/* ---- the run ---- */

static int
compare_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static Stats
stats(double *v, guint n)
{
  qsort(v, n, sizeof *v, compare_double);
  return (Stats){v[(n - 1) / 2], v[0], v[n - 1]};
}

static void
write_pngs(const Bench *b, const Scene *s, const char *graph)
{
  g_autofree char *ours = g_strdup_printf("%s/shopcast-%s.png", b->png_dir, s->name);
  g_autofree char *theirs = g_strdup_printf("%s/ffmpeg-%s.png", b->png_dir, s->name);
  shopcast_snapshot(b, s, ours);
  if (run_ffmpeg(WARMUP + 1, graph, theirs) >= 0) /* -update 1: the file holds the last frame */
    g_printerr("overlay-cost: wrote %s and %s\n", ours, theirs);
}

static gboolean
run_scene(const Bench *b, const Scene *s)
{
  guint overlays = shopcast_snapshot(b, s, NULL);
  g_autofree char *graph = write_graph(b, s);
  if (b->png_dir)
    write_pngs(b, s, graph);
  g_autofree double *ours = g_new(double, b->trials);
  g_autofree double *theirs = g_new(double, b->trials);
  for (guint i = 0; i < b->trials; i++) {
    ours[i] = shopcast_trial(b, s);
    theirs[i] = ffmpeg_trial(b, graph);
    if (theirs[i] < 0)
      return FALSE;
  }
  Stats o = stats(ours, b->trials), t = stats(theirs, b->trials);
  printf("overlay-cost %up%u overlays=%u %s shopcast_ms_per_frame=%.2f ffmpeg_ms_per_frame=%.2f "
         "ratio=%.2f trials=%u frames=%u shopcast_range=%.2f-%.2f ffmpeg_range=%.2f-%.2f\n",
         HEIGHT, FPS, overlays, s->name, o.median, t.median, t.median > 0 ? o.median / t.median : 0,
         b->trials, b->frames, o.min, o.max, t.min, t.max);
  fflush(stdout);
  return TRUE;
}

int
main(int argc, char **argv)
{
  Bench b = {0};
  gint frames = 600, trials = 5;
  GOptionEntry entries[] = {
      {"frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames per trial (600)", "N"},
      {"trials", 't', 0, G_OPTION_ARG_INT, &trials, "Trials per figure (5)", "T"},
      {"png", 0, 0, G_OPTION_ARG_FILENAME, &b.png_dir, "Write each scene's frame at 1 s here",
       "DIR"},
      {"gst-blend", 0, 0, G_OPTION_ARG_NONE, &b.gst_blend,
       "Blend with gst_video_overlay_composition_blend (for reference)", NULL},
      {NULL}};
  g_autoptr(GOptionContext) context = g_option_context_new("- the overlays' CPU per frame");
  g_option_context_add_main_entries(context, entries, NULL);
  g_option_context_add_group(context, gst_init_get_option_group());
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || frames <= 0 || trials <= 0) {
    g_printerr("overlay-cost: %s\n", error ? error->message : "--frames and --trials must be > 0");
    g_free(b.png_dir);
    return 64;
  }
  b.frames = (guint)frames;
  b.trials = (guint)trials;
  if (!bench_init(&b)) {
    bench_clear(&b);
    return 1;
  }
  printf("overlay-cost: CPU per %ux%u I420 frame at %u fps that 4 graphics on air add (goal <= 1 "
         "ms): shopcast's update + composition + %s (thread CPU), ffmpeg's drawbox + drawtext "
         "drawing the same (its CPU minus the same run without them, 1 thread).\n",
         WIDTH, HEIGHT, FPS,
         b.gst_blend ? "gst_video_overlay_composition_blend" : "the overlay stage's blend");
  printf("overlay-cost: median of %u trials of %u frames, range beside it; static: nothing "
         "changes, countdown: the countdown ticks each second.\n",
         b.trials, b.frames);
  fflush(stdout);
  gboolean ok = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(scenes) && ok; i++)
    ok = run_scene(&b, &scenes[i]);
  bench_clear(&b);
  return ok ? 0 : 1;
}
