/* The recording end to end: shopcastd on the simulated board records its
 * shows while streaming to a real nginx-rtmp ingest.
 *
 * - 60 s live through uplink faults (a silent blackhole, a link down, an
 *   operator's reconnect) in a network-namespace lab: every frame recorded
 *   once with continuous timestamps across segments; each segment passes
 *   shopcast-probe; the post-show report's figures are what the event
 *   journal says; a product's clip (shopcast-clip) has its chapter's length,
 *   and the operator's figures appear with the seed's formulas.
 * - SIGKILL in the middle of a segment: the segments on disk play.
 * - the disk fills (a small tmpfs, filled by another writer): the recording
 *   stops with an alert, the stream goes on; retention deleted the oldest
 *   show first and never the one on air.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/chapters.h"
#include "tests/support/daemon-fixture.h"
#include "tests/support/ingest.h"
#include "tests/support/netlab.h"
#include "tests/support/testutil.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libavformat/avformat.h>
#include <signal.h>
#include <math.h>
#include <unistd.h>

#define INGEST_ADDR "198.18.0.1"
#define STREAM_KEY  "recording-key-41c7e2"
#define FRAME_MS    (1000.0 / 30)

typedef struct {
  ScNetLab *lab;
  ScTestIngest *ingest;
  char *dir, *control, *log_path, *recordings;
  GSubprocess *daemon;
  gboolean mounted;
} Fixture;

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = sc_test_tmpdir();
  f->control = g_build_filename(f->dir, "control", NULL);
  f->log_path = g_build_filename(f->dir, "shopcastd.log", NULL);
  f->recordings = g_build_filename(f->dir, "recordings", NULL);
  *state = f;
  return 0;
}

/* The shows' journals (events, audit, samples) join the logs the test run
 * searches for secrets. */
static void
keep_show_logs(const char *recordings)
{
  g_autoptr(GDir) d = g_dir_open(recordings, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *show = g_build_filename(recordings, name, NULL);
    sc_test_keep_logs(show);
  }
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  if (f->daemon) {
    g_subprocess_force_exit(f->daemon);
    g_subprocess_wait(f->daemon, NULL, NULL);
    g_clear_object(&f->daemon);
  }
  sc_test_ingest_stop(f->ingest);
  sc_netlab_free(f->lab);
  keep_show_logs(f->recordings);
  if (f->mounted) {
    char *argv[] = {"umount", "-l", f->recordings, NULL};
    sc_test_run(argv, 10, NULL, NULL);
  }
  sc_test_rmtree(f->dir);
  g_free(f->dir);
  g_free(f->control);
  g_free(f->log_path);
  g_free(f->recordings);
  g_free(f);
  return 0;
}

/* ---- the daemon ---- */

static char *
write_config(Fixture *f, const char *url, const char *extra)
{
  g_autofree char *show = sc_test_source_path("overlays/examples/winter-warmth.ini");
  g_autofree char *rest =
      g_strdup_printf("show = %s\naudit-log = audit.jsonl\n"
                      "[video]\nwidth = 640\nheight = 360\nbitrate = 800\nx264-preset = ultrafast\n"
                      "[recording]\nfolder = recordings\n%s\n"
                      "[destination main]\nurl = %s\nkey = " STREAM_KEY "\n",
                      show, extra, url);
  return sc_test_daemon_write_config(f->dir, f->control, "live", rest);
}

static void
start_daemon(Fixture *f, const char *config, const char *netns)
{
  f->daemon = sc_test_daemon_start(config, f->log_path, netns);
}

static void
stop_daemon(Fixture *f)
{
  sc_test_daemon_stop_cleanly(&f->daemon, f->log_path, STREAM_KEY);
}

/* shopcastctl COMMAND [ARGS...]: its output, or NULL when it fails. */
static char *
ctl(Fixture *f, const char *command, const char *a1, const char *a2, const char *a3)
{
  char *out = NULL;
  g_autofree char *err = NULL;
  if (sc_test_daemon_ctl_run(f->control, &out, &err, command, a1, a2, a3, NULL) != 0) {
    g_print("shopcastctl %s: %s", command, err ? err : "");
    g_clear_pointer(&out, g_free);
  }
  return out;
}

static void
ctl_ok(Fixture *f, const char *command, const char *a1, const char *a2, const char *a3)
{
  g_autofree char *out = ctl(f, command, a1, a2, a3);
  if (out == NULL)
    fail_msg("shopcastctl %s %s failed", command, a1 ? a1 : "");
}

/* The `recording` JSON. */
static JsonObject *
recording(Fixture *f, JsonParser *parser)
{
  g_autofree char *out = ctl(f, "recording", NULL, NULL, NULL);
  if (out == NULL || !json_parser_load_from_data(parser, out, -1, NULL))
    return NULL;
  return json_node_get_object(json_parser_get_root(parser));
}

/* Waits, at most @timeout_s, until the recording has @segments segments (and
 * @frames video frames). */
static void
wait_recording(Fixture *f, guint segments, guint64 frames, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *r = recording(f, parser);
    if (r && json_object_get_int_member(r, "segments") >= segments &&
        (guint64)json_object_get_int_member(r, "video_frames") >= frames)
      return;
    g_usleep(200 * 1000);
  }
  g_autofree char *log = sc_test_read_text(f->log_path);
  g_printerr("shopcastd's log:\n%s\n", log);
  g_clear_pointer(&log, g_free); /* fail_msg() does not return */
  fail_msg("the recording did not reach %u segments and %" G_GUINT64_FORMAT " frames in %u s",
           segments, frames, timeout_s);
}

static char *
show_dir(Fixture *f)
{
  g_autofree char *out = ctl(f, "report", "path", NULL, NULL);
  assert_non_null(out);
  return g_path_get_dirname(g_strstrip(out));
}

/* ---- what is on disk ---- */

typedef struct {
  guint64 video, audio;
  gint64 first_ms, last_ms;
  guint gaps; /* consecutive video frames more than a frame period and a ms apart */
} Track;

/* Reads every video and audio packet of @path into @t, carrying on from the
 * previous segment's last frame. */
static void
read_segment(const char *path, Track *t)
{
  AVFormatContext *fmt = NULL;
  assert_int_equal(avformat_open_input(&fmt, path, NULL, NULL), 0);
  assert_true(avformat_find_stream_info(fmt, NULL) >= 0);
  AVPacket *pkt = av_packet_alloc();
  while (av_read_frame(fmt, pkt) >= 0) {
    AVStream *st = fmt->streams[pkt->stream_index];
    gint64 ms = av_rescale_q(pkt->pts, st->time_base, (AVRational){1, 1000});
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      if (t->video && (ms - t->last_ms > FRAME_MS + 1 || ms <= t->last_ms)) {
        g_print("%s: video %" G_GINT64_FORMAT " ms after %" G_GINT64_FORMAT " ms\n", path, ms,
                t->last_ms);
        t->gaps++;
      }
      if (t->video++ == 0)
        t->first_ms = ms;
      t->last_ms = ms;
    } else {
      t->audio++;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *
segments_in(const char *dir)
{
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_prefix(name, "segment-"))
      g_ptr_array_add(files, g_build_filename(dir, name, NULL));
  g_ptr_array_sort(files, by_name);
  return files;
}

/* shopcast-probe on a file: its exit status, its JSON in *out. */
static int
probe(const char *path, const char *extra, char **out)
{
  g_autofree char *tool = sc_test_build_path("tools/shopcast-probe");
  char *argv[] = {tool, "--duration", "86400", (char *)path, (char *)extra, NULL};
  return sc_test_run(argv, 60, out, NULL);
}

/* ffmpeg decodes every frame of @path without an error. A segment cut short
 * (@cut_short) may end in the middle of a cluster, which the demuxer notes
 * ("File ended prematurely"); nothing else may be said. */
static void
assert_plays(const char *path, gboolean cut_short)
{
  char *argv[] = {"ffmpeg", "-v", "error", "-i", (char *)path, "-f", "null", "-", NULL};
  g_autofree char *err = NULL;
  assert_int_equal(sc_test_run(argv, 60, NULL, &err), 0);
  g_auto(GStrv) lines = g_strsplit(err ? err : "", "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l && !(cut_short && strstr(*l, "File ended prematurely")))
      fail_msg("%s does not decode cleanly: %s", path, err);
}

static double
json_number(const char *json, const char *path_member)
{
  const char *p = strstr(json, path_member);
  assert_non_null(p);
  return g_ascii_strtod(p + strlen(path_member), NULL);
}

/* ---- the report against the journal ---- */

static const char *
csv_value(const char *csv, const char *section, const char *name)
{
  static char value[64];
  g_autofree char *prefix = g_strdup_printf("\n%s,\"%s\",,,,\"", section, name);
  const char *p = strstr(csv, prefix);
  if (p == NULL)
    fail_msg("report.csv has no %s %s", section, name);
  p += strlen(prefix);
  gsize n = strcspn(p, "\"");
  g_strlcpy(value, p, MIN(n + 1, sizeof value));
  return value;
}

static gint64
ts_us(JsonObject *e)
{
  g_autoptr(GDateTime) t =
      g_date_time_new_from_iso8601(json_object_get_string_member(e, "ts"), NULL);
  return g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t);
}

/* From `shopcastctl events` (not the show's own files): the destination's
 * reconnects and live time, and the failovers, between on air and off air. */
static void
journal_figures(const char *events, guint *reconnects, double *uptime_pct, guint *failovers)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_auto(GStrv) lines = g_strsplit(events, "\n", -1);
  gint64 on = -1, off = -1, live_since = -1, live_us = 0;
  guint lives = 0;
  g_autofree char *uplink = NULL;
  *failovers = 0;
  for (char **l = lines; *l; l++) {
    if (!**l || !json_parser_load_from_data(parser, *l, -1, NULL))
      continue;
    JsonObject *e = json_node_get_object(json_parser_get_root(parser));
    const char *kind = json_object_get_string_member(e, "kind");
    const char *state = json_object_get_string_member(e, "state");
    gint64 t = ts_us(e);
    if (g_str_equal(kind, "show") && g_str_equal(state, "on air"))
      on = t;
    if (g_str_equal(kind, "show") && g_str_equal(state, "off air"))
      off = t;
    if (g_str_equal(kind, "uplink-choice")) { /* a change of the uplink in use */
      const char *subject = json_object_get_string_member(e, "subject");
      if (on >= 0 && off < 0 && uplink && !g_str_equal(uplink, subject))
        (*failovers)++;
      g_free(uplink);
      uplink = g_strdup(subject);
    }
    if (on < 0 || off >= 0)
      continue;
    if (!g_str_equal(kind, "output") || g_str_equal(state, "reconnect"))
      continue;
    if (g_str_equal(state, "live") && live_since < 0) {
      live_since = t;
      lives++;
    } else if (!g_str_equal(state, "live") && live_since >= 0) {
      live_us += t - live_since;
      live_since = -1;
    }
  }
  assert_true(on > 0 && off > on);
  if (live_since >= 0)
    live_us += off - live_since;
  *reconnects = lives ? lives - 1 : 0;
  *uptime_pct = 100.0 * (double)live_us / (double)(off - on);
}

static void
check_report(Fixture *f, const char *dir)
{
  g_autofree char *events = ctl(f, "events", "2000", NULL, NULL);
  assert_non_null(events);
  guint reconnects = 0, failovers = 0;
  double uptime = 0;
  journal_figures(events, &reconnects, &uptime, &failovers);
  g_autofree char *csv_path = g_build_filename(dir, "report.csv", NULL);
  g_autofree char *csv = sc_test_read_text(csv_path);
  g_print("journal: %u reconnects, %u failovers, uptime %.2f%%\n", reconnects, failovers, uptime);
  assert_true(failovers >= 2); /* away from the blackhole, away from the link down */
  assert_true(reconnects >= 3);
  assert_int_equal(atoi(csv_value(csv, "reconnects", "main")), reconnects);
  assert_int_equal(atoi(csv_value(csv, "figure", "reconnects")), reconnects);
  assert_int_equal(atoi(csv_value(csv, "figure", "failovers")), failovers);
  /* the show's bounds in the report are the daemon's, a few ms from the journal's */
  double report_uptime = g_ascii_strtod(csv_value(csv, "uptime_pct", "main"), NULL);
  assert_true(fabs(report_uptime - uptime) < 0.1);
  assert_true(uptime > 50 && uptime < 100);
  assert_int_equal(atoi(csv_value(csv, "figure", "products")), 2);
  assert_int_equal(atoi(csv_value(csv, "figure", "flash_sales")), 1);
  assert_int_equal(atoi(csv_value(csv, "figure", "coupons_shown")), 1);
  g_autofree char *html_path = g_build_filename(dir, "report.html", NULL);
  g_autofree char *html = sc_test_read_text(html_path);
  assert_non_null(strstr(html, "<svg"));
  assert_non_null(strstr(html, "轻薄白鸭绒羽绒服"));
}

/* The operator's figures, then the report again, with the seed's formulas. */
static void
check_operator_figures(Fixture *f, const char *dir)
{
  ctl_ok(f, "report", "set", "viewers", "12000");
  ctl_ok(f, "report", "set", "buyers", "360");
  ctl_ok(f, "report", "set", "gmv", "54000");
  g_autofree char *bad = ctl(f, "report", "set", "viewers", "many");
  assert_null(bad);
  g_autofree char *html_path = g_build_filename(dir, "report.html", NULL);
  g_autofree char *html = sc_test_read_text(html_path);
  assert_non_null(strstr(html, "转化率 = 下单人数 / 观看人数"));
  assert_non_null(strstr(html, "3.00%"));  /* 360 / 12000 */
  assert_non_null(strstr(html, "150.00")); /* 客单价 54000 / 360 */
  g_autofree char *status = ctl(f, "report", NULL, NULL, NULL);
  assert_non_null(strstr(status, "\"viewers\":12000"));
}

/* A product's clip: its chapter, from the keyframe before it to the one after. */
static void
check_clip(const char *dir)
{
  g_autofree char *chapters_path = g_build_filename(dir, "chapters.json", NULL);
  g_autofree char *text = sc_test_read_text(chapters_path);
  g_autoptr(GPtrArray) chapters = sc_chapters_from_json(text, NULL);
  assert_non_null(chapters);
  const ScChapter *product = NULL;
  for (guint i = 0; i < chapters->len && !product; i++) {
    const ScChapter *c = g_ptr_array_index(chapters, i);
    if (c->kind == SC_CHAPTER_PRODUCT && g_str_equal(c->id, "down-jacket"))
      product = c;
  }
  assert_non_null(product);
  g_autofree char *clip = g_build_filename(dir, "..", "down-jacket.mp4", NULL);
  g_autofree char *tool = sc_test_build_path("tools/shopcast-clip");
  char *argv[] = {tool, "--product", "down-jacket", (char *)dir, "-o", clip, NULL};
  g_autofree char *out = NULL;
  assert_int_equal(sc_test_run(argv, 60, &out, NULL), 0);
  g_print("chapter %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT " ms; clip: %s", product->start_ms,
          product->end_ms, out);
  double from = json_number(out, "\"from_ms\":"), to = json_number(out, "\"to_ms\":");
  double frames = json_number(out, "\"video_frames\":");
  /* the keyframes around the chapter: at most one interval (2 s) and a frame outside it */
  assert_true(from <= product->start_ms && product->start_ms - from <= 2000 + FRAME_MS);
  assert_true(to >= product->end_ms && to - product->end_ms <= 2000 + FRAME_MS);
  g_autofree char *report = NULL;
  assert_int_equal(probe(clip, "--expect-no-gaps", &report), 0);
  double seconds = json_number(report, "\"duration_s\":");
  g_print("shopcast-probe: %.3f s, clip said %.3f s\n", seconds, (to - from) / 1000);
  assert_true(fabs(seconds - (to - from) / 1000) <= 2 * FRAME_MS / 1000);
  assert_true(fabs(json_number(report, "\"frames\":") - frames) < 0.5);
  assert_plays(clip, FALSE);
}

/* ---- 60 s through uplink faults ---- */

static void
lab(Fixture *f, const char *what, const char *device, const char *how)
{
  sc_netlab_set(f->lab, what, device, how);
}

static void
at_second(gint64 start, guint s)
{
  gint64 wait = start + (gint64)s * G_USEC_PER_SEC - g_get_monotonic_time();
  if (wait > 0)
    g_usleep((gulong)wait);
}

static void
test_faults(void **state)
{
  Fixture *f = *state;
  sc_netlab_skip_unless_usable();
  g_autoptr(GError) error = NULL;
  f->lab = sc_netlab_new(&error);
  assert_non_null(f->lab);
  ScTestIngestOptions o = {
      .netns = sc_netlab_namespace(f->lab, SC_NETLAB_NET), .address = INGEST_ADDR, .port = 1935};
  f->ingest = sc_test_ingest_start_or_fail(&o);
  g_autofree char *config =
      write_config(f, "rtmp://" INGEST_ADDR ":1935/live",
                   "segment-length = 20\n"
                   "[uplink wired]\ninterface = up0\nprobe-hosts = " INGEST_ADDR "\n"
                   "[uplink lte]\ninterface = up1\nprobe-hosts = " INGEST_ADDR "\n"
                   "[failover]\nhold-time = 5");
  start_daemon(f, config, sc_netlab_namespace(f->lab, SC_NETLAB_BOX));
  wait_recording(f, 1, 1, 20);
  gint64 start = g_get_monotonic_time();
  at_second(start, 4);
  ctl_ok(f, "show", "next", NULL, NULL);
  at_second(start, 10);
  lab(f, "blackhole", "up0", "on"); /* silent: packets vanish, the link stays up */
  at_second(start, 18);
  ctl_ok(f, "show", "flash", "start", NULL);
  lab(f, "blackhole", "up0", "off");
  at_second(start, 30);
  lab(f, "link", "up0", "down"); /* hard */
  at_second(start, 36);
  ctl_ok(f, "show", "coupon", "on", NULL);
  g_usleep(700 * 1000); /* the show takes a change at most every 500 ms */
  ctl_ok(f, "show", "next", NULL, NULL);
  lab(f, "link", "up0", "up");
  at_second(start, 48);
  ctl_ok(f, "reconnect", "main", NULL, NULL);
  at_second(start, 60);
  ctl_ok(f, "live", "off", NULL, NULL);

  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *r = recording(f, parser);
  assert_non_null(r);
  g_autofree char *dir = show_dir(f);
  g_autoptr(GPtrArray) files = segments_in(dir);
  Track t = {0};
  for (guint i = 0; i < files->len; i++) {
    const char *file = g_ptr_array_index(files, i);
    g_autofree char *report = NULL;
    assert_int_equal(probe(file, "--expect-no-gaps", &report), 0);
    read_segment(file, &t);
  }
  double expected = (t.last_ms - t.first_ms) / FRAME_MS + 1;
  g_print("recorded %u segments: %" G_GUINT64_FORMAT " video frames over %.3f s (%.1f expected), "
          "%" G_GUINT64_FORMAT " audio frames\n",
          files->len, t.video, (t.last_ms - t.first_ms) / 1000.0, expected, t.audio);
  assert_string_equal(json_object_get_string_member(r, "stop"), "ended");
  assert_int_equal(json_object_get_int_member(r, "dropped_tags"), 0);
  assert_int_equal(json_object_get_int_member(r, "video_frames"), t.video);
  assert_int_equal(json_object_get_int_member(r, "segments"), files->len);
  assert_true(files->len >= 3);
  assert_int_equal(t.gaps, 0);
  assert_true(fabs(t.video - expected) <= 1);
  assert_true(t.last_ms - t.first_ms >= 58000);
  wait_recording(f, 0, 0, 1);
  check_report(f, dir);
  check_clip(dir);
  check_operator_figures(f, dir);
  stop_daemon(f);
}

/* ---- power cut ---- */

static void
test_sigkill(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) error = NULL;
  ScTestIngestOptions o = {0};
  f->ingest = sc_test_ingest_start(&o, &error);
  assert_non_null(f->ingest);
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  g_autofree char *config = write_config(f, url, "segment-length = 10");
  start_daemon(f, config, NULL);
  wait_recording(f, 2, 15 * 30, 40); /* 5 s into the second segment */
  g_autofree char *dir = show_dir(f);
  g_subprocess_send_signal(f->daemon, SIGKILL);
  g_subprocess_wait(f->daemon, NULL, NULL);
  g_clear_object(&f->daemon);
  g_autoptr(GPtrArray) files = segments_in(dir);
  assert_int_equal(files->len, 2);
  Track t = {0};
  for (guint i = 0; i < files->len; i++) {
    const char *file = g_ptr_array_index(files, i);
    assert_plays(file, i == files->len - 1);
    read_segment(file, &t);
  }
  g_print("after SIGKILL: %" G_GUINT64_FORMAT " frames over %.3f s\n", t.video,
          (t.last_ms - t.first_ms) / 1000.0);
  assert_int_equal(t.gaps, 0);
  /* what was lost: at most the last cluster (1 s) and what waited to be written */
  assert_true(t.last_ms >= 13000);
  g_autofree char *report = NULL;
  assert_int_equal(probe(g_ptr_array_index(files, 1), "--expect-no-gaps", &report), 0);
  /* a clip across the cut-short segment's boundary */
  g_autofree char *clip = g_build_filename(f->dir, "across.mkv", NULL);
  g_autofree char *tool = sc_test_build_path("tools/shopcast-clip");
  char *argv[] = {tool, "--from", "6", "--to", "12", dir, "-o", clip, NULL};
  g_autofree char *out = NULL;
  assert_int_equal(sc_test_run(argv, 60, &out, NULL), 0);
  assert_non_null(strstr(out, "\"segments\":2"));
  assert_plays(clip, FALSE);
}

/* ---- the disk fills ---- */

/* Another writer takes all the room left. */
static void
fill_disk(const char *folder)
{
  g_autofree char *path = g_build_filename(folder, "filler", NULL);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  static char block[1 << 16];
  for (guint i = 0; i < 100000 && write(fd, block, sizeof block) > 0; i++)
    ;
  close(fd);
}

static void
test_disk_full(void **state)
{
  Fixture *f = *state;
  g_mkdir_with_parents(f->recordings, 0755);
  char *mount[] = {"mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", f->recordings, NULL};
  g_autofree char *err = NULL;
  if (geteuid() != 0 || sc_test_run(mount, 10, NULL, &err) != 0) {
    g_print("skipped: cannot mount a small tmpfs here (%s)\n", geteuid() != 0 ? "not root" : err);
    skip();
  }
  f->mounted = TRUE;
  /* an old show, 12 MB: 12 MB free is below keep-free, so it goes first */
  g_autofree char *old = g_build_filename(f->recordings, "2020-01-01T000000Z", NULL);
  g_mkdir(old, 0755);
  g_free(sc_test_write_file(old, "show.json", "{\"id\":\"2020-01-01T000000Z\"}\n"));
  g_autofree char *big = g_build_filename(old, "segment-001.mkv", NULL);
  int fd = open(big, O_WRONLY | O_CREAT, 0644);
  assert_int_equal(posix_fallocate(fd, 0, 12 << 20), 0);
  close(fd);
  g_autoptr(GError) error = NULL;
  ScTestIngestOptions o = {.key = STREAM_KEY};
  f->ingest = sc_test_ingest_start(&o, &error);
  assert_non_null(f->ingest);
  g_autofree char *url = sc_test_ingest_url(f->ingest, FALSE);
  g_autofree char *config = write_config(f, url, "keep-free = 16");
  start_daemon(f, config, NULL);
  wait_recording(f, 1, 240, 30);
  assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
  g_autofree char *dir = show_dir(f);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *before = recording(f, parser);
  assert_non_null(before);
  gint64 frames_before = json_object_get_int_member(before, "video_frames");
  fill_disk(f->recordings);
  gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  g_autofree char *stopped = NULL;
  while (g_get_monotonic_time() < deadline) {
    g_free(stopped);
    stopped = ctl(f, "recording", NULL, NULL, NULL);
    if (stopped && strstr(stopped, "\"stop\":\"disk-full\""))
      break;
    g_usleep(200 * 1000);
  }
  g_print("after the disk filled: %s", stopped);
  assert_non_null(strstr(stopped, "\"state\":\"stopped\""));
  assert_non_null(strstr(stopped, "\"stop\":\"disk-full\""));
  g_autofree char *events = ctl(f, "events", "200", NULL, NULL);
  assert_non_null(strstr(events, "\"state\":\"deleted\""));
  assert_non_null(strstr(events, "\"state\":\"disk-full\""));
  /* the stream goes on: 3 s of frames at least in 6 s read (a reader joining
   * mid-stream waits up to a 2 s keyframe interval for its first frame), nothing dropped */
  g_autofree char *play = g_strdup_printf("%s/" STREAM_KEY, url);
  g_autofree char *tool = sc_test_build_path("tools/shopcast-probe");
  char *argv[] = {tool, "--duration", "6", "--expect-min-frames", "90", play, NULL};
  assert_int_equal(sc_test_run(argv, 30, NULL, NULL), 0);
  g_autofree char *status = ctl(f, "status", NULL, NULL, NULL);
  assert_non_null(strstr(status, "\"state\":\"live\""));
  assert_non_null(strstr(status, "\"tags_dropped\":0,"));
  assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR)); /* the show on air is never deleted */
  g_autoptr(GPtrArray) files = segments_in(dir);
  assert_true(files->len >= 1);
  Track t = {0};
  read_segment(g_ptr_array_index(files, 0), &t);
  /* on disk: everything before the disk filled but the last cluster (1 s) */
  g_print("%" G_GINT64_FORMAT " frames recorded before the disk filled, %" G_GUINT64_FORMAT
          " readable\n",
          frames_before, t.video);
  assert_true((gint64)t.video >= frames_before - 31);
  assert_int_equal(t.gaps, 0);
  stop_daemon(f);
}

int
main(void)
{
  av_log_set_level(AV_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_sigkill, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
