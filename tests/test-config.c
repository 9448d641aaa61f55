/* Tests for firmware/config.c: shopcastd's INI configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/config.h"
#include "firmware/keyfile.h"
#include "tests/support/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

static ScConfig *
load_text(const char *text, GError **error)
{
  g_autofree char *path = sc_test_write_file(sc_test_dir, "shopcast.ini", text);
  return sc_config_load(path, error);
}

static void
test_full_config(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("[box]\nboard = rpi4\nlog-level = debug\n"
                                    "[video]\nwidth = 720\nheight = 1280\nframerate = 25\n"
                                    "bitrate = 4000\nprofile = high\nkeyframe-interval = 1\n"
                                    "b-frames = 2\nx264-preset = ultrafast\ndevice = /dev/video2\n"
                                    "[audio]\nsample-rate = 44100\nchannels = 1\nbitrate = 96\n"
                                    "[destination douyin]\nplatform = douyin\n"
                                    "url = rtmp://push.example.com/live\nkey = abcdef0123456789\n"
                                    "backup-url = rtmp://backup.example.com/live\n"
                                    "[destination yt]\nurl = rtmps://a.rtmp.youtube.com:443/live2\n"
                                    "key = k-1\nenabled = false\n",
                                    &error);
  assert_null(error);
  assert_non_null(c);
  assert_string_equal(c->board, "rpi4");
  assert_int_equal(c->log_level, SC_LOG_DEBUG);
  assert_int_equal(c->media.width, 720);
  assert_int_equal(c->media.height, 1280);
  assert_int_equal(c->media.framerate, 25);
  assert_int_equal(c->media.video_bitrate_kbps, 4000);
  assert_int_equal(c->media.profile, SC_H264_PROFILE_HIGH);
  assert_int_equal(c->media.keyframe_interval_s, 1);
  assert_int_equal(c->media.bframes, 2);
  assert_string_equal(c->media.x264_preset, "ultrafast");
  assert_string_equal(c->video_device, "/dev/video2");
  assert_int_equal(c->media.audio_rate, 44100);
  assert_int_equal(c->media.audio_channels, 1);
  assert_int_equal(c->media.audio_bitrate_kbps, 96);
  assert_int_equal(c->destinations->len, 2);
  ScDestination *d = g_ptr_array_index(c->destinations, 0);
  assert_string_equal(d->name, "douyin");
  assert_string_equal(d->stream_key, "abcdef0123456789");
  assert_string_equal(d->backup_url, "rtmp://backup.example.com/live");
  assert_true(d->enabled);
  d = g_ptr_array_index(c->destinations, 1);
  assert_false(d->enabled);
  assert_int_equal(sc_config_count_enabled(c), 1);
}

/* An empty file is a valid config: the sim board, its defaults, no destination. */
static void
test_defaults_from_board_and_product(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("", &error);
  assert_non_null(c);
  assert_string_equal(c->board, "sim");
  g_autoptr(ScBoard) board = sc_board_load(sc_board_default_dir(), "sim", &error);
  assert_non_null(board);
  sc_config_apply_board(c, board);
  assert_int_equal(c->media.width, 1280);
  assert_int_equal(c->media.height, 720);
  assert_int_equal(c->media.framerate, 30);
  assert_int_equal(c->media.video_bitrate_kbps, 2500);
  assert_int_equal(c->media.profile, SC_H264_PROFILE_MAIN);
  assert_int_equal(c->media.keyframe_interval_s, 2);
  assert_int_equal(c->media.bframes, 0);
  assert_int_equal(c->media.audio_rate, 48000);
  assert_int_equal(c->media.audio_channels, 2);
  assert_int_equal(c->media.audio_bitrate_kbps, 128);
}

/* The file's values win over the board's defaults. */
static void
test_file_overrides_board(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("[box]\nboard = x86-64\n[video]\nbitrate = 3000\n", &error);
  g_autoptr(ScBoard) board = sc_board_load(sc_board_default_dir(), "x86-64", &error);
  assert_non_null(c);
  assert_non_null(board);
  sc_config_apply_board(c, board);
  assert_int_equal(c->media.video_bitrate_kbps, 3000);
  assert_int_equal(c->media.width, 1920); /* the x86-64 board's default */
  assert_string_equal(c->video_device, "/dev/video0");
}

typedef struct {
  const char *what;
  const char *text;
  ScKeyfileError code;
  const char *needles[3]; /* the message must name these */
} BadCase;

static const BadCase bad_cases[] = {
    {"syntax error",
     "this is not an ini file\n",
     SC_KEYFILE_ERROR_SYNTAX,
     {"shopcast.ini", "not a valid INI"}},
    {"unknown key",
     "[video]\nbitrat = 2500\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[video] bitrat", "did you mean 'bitrate'"}},
    {"unknown group",
     "[vidoe]\nwidth = 1280\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[vidoe]", "did you mean 'video'"}},
    {"unknown key, no near miss",
     "[box]\ncolour = red\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[box] colour", "known: board"}},
    {"unknown destination key",
     "[destination a]\nurl = rtmp://h/live\nkey = k\nstreamkey = x\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[destination a] streamkey"}},
    {"recording: misspelt key",
     "[recording]\nsegment-lenght = 60\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[recording] segment-lenght", "did you mean 'segment-length'"}},
    {"recording: segment too short",
     "[recording]\nsegment-length = 5\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[recording] segment-length", "out of range (10..3600)"}},
    {"recording: folder nowhere",
     "[recording]\nfolder = /nonexistent-shopcast/recordings\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[recording] folder", "is in a folder that does not exist"}},
    {"bitrate too high",
     "[video]\nbitrate = 99999\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] bitrate", "out of range (300..20000)"}},
    {"bitrate too low",
     "[video]\nbitrate = 100\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] bitrate", "out of range"}},
    {"bitrate not a number",
     "[video]\nbitrate = fast\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] bitrate", "not a whole number"}},
    {"negative bitrate",
     "[video]\nbitrate = -2500\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] bitrate", "not a whole number"}},
    {"bitrate with unit",
     "[video]\nbitrate = 2500k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] bitrate"}},
    {"width too small",
     "[video]\nwidth = 100\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] width", "out of range"}},
    {"height too large",
     "[video]\nheight = 5000\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] height", "out of range"}},
    {"odd width", "[video]\nwidth = 1281\n", SC_KEYFILE_ERROR_VALUE, {"[video] width", "odd"}},
    {"fps zero",
     "[video]\nframerate = 0\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] framerate", "out of range (10..60)"}},
    {"fps too high", "[video]\nframerate = 120\n", SC_KEYFILE_ERROR_VALUE, {"[video] framerate"}},
    {"keyframe interval zero",
     "[video]\nkeyframe-interval = 0\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] keyframe-interval"}},
    {"baseline profile",
     "[video]\nprofile = baseline\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] profile", "main, high"}},
    {"unknown preset",
     "[video]\nx264-preset = placebo\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[video] x264-preset"}},
    {"sample rate",
     "[audio]\nsample-rate = 22050\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[audio] sample-rate", "44100, 48000"}},
    {"three channels", "[audio]\nchannels = 3\n", SC_KEYFILE_ERROR_VALUE, {"[audio] channels"}},
    {"audio bitrate", "[audio]\nbitrate = 1000\n", SC_KEYFILE_ERROR_VALUE, {"[audio] bitrate"}},
    {"log level", "[box]\nlog-level = loud\n", SC_KEYFILE_ERROR_VALUE, {"[box] log-level"}},
    {"http url",
     "[destination a]\nurl = http://example.com/live\nkey = k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] url"}},
    {"url without host",
     "[destination a]\nurl = rtmp:///live\nkey = k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] url"}},
    {"url without app",
     "[destination a]\nurl = rtmp://example.com\nkey = k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] url"}},
    {"url bad port",
     "[destination a]\nurl = rtmp://example.com:99999/live\nkey = k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] url"}},
    {"bad backup url",
     "[destination a]\nurl = rtmp://h/live\nbackup-url = rtmp://\nkey = k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] backup-url"}},
    {"url missing",
     "[destination a]\nkey = k\n",
     SC_KEYFILE_ERROR_MISSING,
     {"[destination a] url", "required"}},
    {"key missing",
     "[destination a]\nurl = rtmp://h/live\n",
     SC_KEYFILE_ERROR_MISSING,
     {"[destination a] key"}},
    {"key empty",
     "[destination a]\nurl = rtmp://h/live\nkey =\n",
     SC_KEYFILE_ERROR_MISSING,
     {"[destination a] key"}},
    {"key with space",
     "[destination a]\nurl = rtmp://h/live\nkey = ab cd\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] key", "spaces"}},
    {"enabled yes",
     "[destination a]\nurl = rtmp://h/live\nkey = k\nenabled = yes\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] enabled", "false, true"}},
    {"bad destination name",
     "[destination a/b]\nurl = rtmp://h/live\nkey = k\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a/b]", "letters, digits"}},
    {"missing CA file",
     "[destination a]\nurl = rtmps://h/live\nkey = k\ntls-ca-file = /nonexistent/ca.pem\n",
     SC_KEYFILE_ERROR_VALUE,
     {"tls-ca-file", "/nonexistent/ca.pem"}},
    {"invalid UTF-8",
     "[destination a]\nurl = rtmp://h/live\nkey = k\nplatform = \xff\xfe\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] platform"}},
    {"uplink without interface",
     "[uplink wired]\nprobe-hosts = 198.18.0.1\n",
     SC_KEYFILE_ERROR_MISSING,
     {"[uplink wired] interface"}},
    {"uplink without probe hosts",
     "[uplink wired]\ninterface = eth0\n",
     SC_KEYFILE_ERROR_MISSING,
     {"[uplink wired] probe-hosts"}},
    {"probe host not an address",
     "[uplink wired]\ninterface = eth0\nprobe-hosts = 198.18.0.1;ingest.example.com\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink wired] probe-hosts", "'ingest.example.com' is not an IPv4 address"}},
    {"probe hosts only separators",
     "[uplink wired]\ninterface = eth0\nprobe-hosts = ;;\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink wired] probe-hosts", "1 to 8"}},
    {"interface name too long",
     "[uplink wired]\ninterface = enx0123456789abcdef\nprobe-hosts = 198.18.0.1\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink wired] interface", "not a network interface name"}},
    {"interface twice",
     "[uplink a]\ninterface = eth0\nprobe-hosts = 198.18.0.1\n"
     "[uplink b]\ninterface = eth0\nprobe-hosts = 198.18.0.1\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink b] interface", "already the interface of [uplink a]"}},
    {"probe interval out of range",
     "[uplink a]\ninterface = eth0\nprobe-hosts = 198.18.0.1\nprobe-interval = 10\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink a] probe-interval", "50..5000"}},
    {"fail-after shorter than two probes",
     "[uplink a]\ninterface = eth0\nprobe-hosts = 198.18.0.1\nprobe-interval = 500\n"
     "fail-after = 600\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink a] fail-after", "two probe intervals"}},
    {"bad uplink name",
     "[uplink lte 2]\ninterface = wwan0\nprobe-hosts = 198.18.0.1\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[uplink lte 2]", "letters, digits"}},
    {"hold time out of range",
     "[failover]\nhold-time = 7200\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[failover] hold-time", "0..3600"}},
    {"unknown failover key",
     "[failover]\nhold = 10\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[failover] hold", "known: hold-time"}},
    {"destination written twice",
     "[destination a]\nurl = rtmp://h/live\nkey = k\n[destination a]\nkey = other\n",
     SC_KEYFILE_ERROR_SYNTAX,
     {"[destination a] appears twice (lines 1 and 4)"}},
    {"relative control socket",
     "[box]\ncontrol-socket = run/control\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] control-socket", "absolute"}},
    {"audit log in a missing folder",
     "[box]\naudit-log = /nonexistent-shopcast/audit.jsonl\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] audit-log", "'/nonexistent-shopcast/audit.jsonl' is in a folder that does not exist"}},
    {"audit log is a folder",
     "[box]\naudit-log = /\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] audit-log", "is a folder"}},
    {"misspelt adaptive key",
     "[adaptive]\nmin-bitate = 600\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[adaptive] min-bitate", "min-bitrate"}},
    {"floor above ceiling",
     "[adaptive]\nmin-bitrate = 3000\nmax-bitrate = 2000\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[adaptive] min-bitrate", "3000 is above max-bitrate (2000)"}},
    {"clear queue not below cut queue",
     "[adaptive]\ncut-queue = 200\nclear-queue = 200\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[adaptive] clear-queue", "not below cut-queue"}},
    {"frames dropped before a cut",
     "[adaptive]\ndrop-queue = 240\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[adaptive] drop-queue", "not above cut-queue (250 ms)"}},
    {"cut-to out of range",
     "[adaptive]\ncut-to = 100\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[adaptive] cut-to", "30..95"}},
    {"probe wait above its most",
     "[adaptive]\nprobe-wait = 90000\nprobe-wait-max = 60000\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[adaptive] probe-wait", "above probe-wait-max (60000 ms)"}},
    {"hold-below out of range",
     "[adaptive]\nhold-below = 99\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[adaptive] hold-below", "50..98"}},
    {"adaptive not a boolean",
     "[destination a]\nurl = rtmp://h/live\nkey = k\nadaptive = sometimes\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[destination a] adaptive"}},
    {"show state in a missing folder",
     "[box]\nstate = /nonexistent-shopcast/state.json\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] state", "'/nonexistent-shopcast/state.json' is in a folder that does not exist"}},
    {"show state is a folder",
     "[box]\nstate = /\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] state", "is a folder"}},
    {"empty show state",
     "[box]\nstate =\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] state", "empty: name a file, or write off"}},
    {"system settings in a missing folder",
     "[box]\nsystem-dir = /nonexistent-shopcast/system\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] system-dir", "'/nonexistent-shopcast/system' is in a folder that does not exist"}},
    {"system settings folder is a file",
     "[box]\nsystem-dir = /dev/null\n",
     SC_KEYFILE_ERROR_VALUE,
     {"[box] system-dir", "is not a folder"}},
    {"show state misspelt",
     "[box]\nstate-file = state.json\n",
     SC_KEYFILE_ERROR_UNKNOWN,
     {"[box] state-file"}},
};

/* [adaptive]: every key read; the defaults when absent; which destinations
 * pull the shared rate down. */
static void
test_adaptive(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text(
      "[adaptive]\nmin-bitrate = 800\nmax-bitrate = 6000\nstart-bitrate = 1500\n"
      "sample-interval = 40\ncut-queue = 300\ncut-after = 200\nclear-queue = 80\ncut-to = 80\n"
      "raise-step = 5\nraise-wait = 2000\nhold-below = 85\nprobe-step = 20\nprobe-wait = 30000\n"
      "probe-time = 5000\nprobe-wait-max = 90000\ndrop-queue = 1200\n"
      "[destination a]\nurl = rtmp://h/live\nkey = k\nadaptive = false\n"
      "[destination b]\nurl = rtmp://h/live\nkey = k\n",
      &error);
  g_assert_no_error(error);
  const ScAdaptiveConfig *a = &c->adaptive;
  assert_true(a->enabled);
  assert_int_equal(a->rate.min_kbps, 800);
  assert_int_equal(a->rate.max_kbps, 6000);
  assert_int_equal(a->start_kbps, 1500);
  assert_int_equal(a->interval_ms, 40);
  assert_int_equal(a->rate.cut_queue_ms, 300);
  assert_int_equal(a->rate.cut_after_ms, 200);
  assert_int_equal(a->rate.clear_queue_ms, 80);
  assert_int_equal(a->rate.cut_percent, 80);
  assert_int_equal(a->rate.raise_percent, 5);
  assert_int_equal(a->rate.raise_wait_ms, 2000);
  assert_int_equal(a->rate.hold_percent, 85);
  assert_int_equal(a->rate.probe_percent, 20);
  assert_int_equal(a->rate.probe_wait_ms, 30000);
  assert_int_equal(a->rate.probe_time_ms, 5000);
  assert_int_equal(a->rate.probe_wait_max_ms, 90000);
  assert_int_equal(a->drop_queue_ms, 1200);
  assert_false(((ScDestination *)g_ptr_array_index(c->destinations, 0))->adaptive);
  assert_true(((ScDestination *)g_ptr_array_index(c->destinations, 1))->adaptive);
  assert_true(c->media.variable_bitrate);

  g_autoptr(ScConfig) plain = load_text("[adaptive]\nenabled = false\n", &error);
  g_assert_no_error(error);
  assert_false(plain->adaptive.enabled);
  assert_false(plain->media.variable_bitrate); /* a fixed rate keeps NAL HRD CBR */
  assert_int_equal(plain->adaptive.rate.min_kbps, 500);
  assert_int_equal(plain->adaptive.rate.max_kbps, 0); /* the [video] bitrate */
  assert_int_equal(plain->adaptive.rate.cut_queue_ms, 250);
  assert_int_equal(plain->adaptive.drop_queue_ms, 1000);
  assert_int_equal(plain->adaptive.interval_ms, 50);
  assert_int_equal(plain->adaptive.rate.hold_percent, 90);
  assert_int_equal(plain->adaptive.rate.probe_percent, 15);
  assert_int_equal(plain->adaptive.rate.probe_wait_ms, 20000);
  assert_int_equal(plain->adaptive.rate.probe_time_ms, 3000);
  assert_int_equal(plain->adaptive.rate.probe_wait_max_ms, 300000);
}

/* Uplinks keep the file's order: it is the order of preference. */
static void
test_uplinks(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("[box]\ncontrol-socket = /run/sc/ctl\n"
                                    "[uplink wired]\ninterface = eth0\n"
                                    "probe-hosts = 198.18.0.1, 198.18.0.2\n"
                                    "[uplink lte]\ninterface = wwan0\nprobe-hosts = 198.18.0.3\n"
                                    "probe-interval = 500\nfail-after = 2000\n"
                                    "[failover]\nhold-time = 10\nstall-timeout = 800\n",
                                    &error);
  assert_null(error);
  assert_string_equal(c->control_socket, "/run/sc/ctl");
  assert_int_equal(c->uplinks->len, 2);
  const ScUplinkConfig *u = g_ptr_array_index(c->uplinks, 0);
  assert_string_equal(u->name, "wired");
  assert_string_equal(u->interface, "eth0");
  assert_int_equal(g_strv_length(u->probe_hosts), 2);
  assert_string_equal(u->probe_hosts[1], "198.18.0.2");
  assert_int_equal(u->probe_interval_ms, 200);
  assert_int_equal(u->fail_after_ms, 700);
  u = g_ptr_array_index(c->uplinks, 1);
  assert_string_equal(u->name, "lte");
  assert_int_equal(u->probe_interval_ms, 500);
  assert_int_equal(u->fail_after_ms, 2000);
  assert_int_equal(c->hold_time_s, 10);
  assert_int_equal(c->stall_timeout_ms, 800);

  /* no uplinks: the system's routing, product defaults for failover */
  g_autoptr(ScConfig) plain = load_text("", &error);
  assert_int_equal(plain->uplinks->len, 0);
  assert_int_equal(plain->hold_time_s, 30);
  assert_string_equal(plain->control_socket, "/run/shopcast/control");
}

/* The audit log is relative to the config's folder, and checking the config
 * does not create it. */
static void
test_audit_log_path(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("[box]\naudit-log = audit.jsonl\n", &error);
  g_assert_no_error(error);
  assert_true(g_path_is_absolute(c->audit_log));
  assert_true(g_str_has_suffix(c->audit_log, "/audit.jsonl"));
  assert_false(g_file_test(c->audit_log, G_FILE_TEST_EXISTS));
  g_autoptr(ScConfig) none = load_text("", &error);
  assert_null(none->audit_log);
}

/* Recordings go beside the audit log unless [recording] folder says where;
 * every key has a default. */
static void
test_recording(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("[box]\naudit-log = audit.jsonl\n", &error);
  g_assert_no_error(error);
  assert_true(c->recording.enabled);
  g_autofree char *beside = g_build_filename(sc_test_dir, "recordings", NULL);
  assert_string_equal(c->recording.folder, beside);
  assert_int_equal(c->recording.segment_s, 300);
  assert_int_equal(c->recording.keep_free_mb, 2048);
  assert_int_equal(c->recording.keep_shows, 0);
  g_autoptr(ScConfig) set = load_text("[recording]\nenabled = false\nfolder = shows\n"
                                      "segment-length = 60\nkeep-free = 100\nkeep-shows = 20\n",
                                      &error);
  g_assert_no_error(error);
  assert_false(set->recording.enabled);
  assert_true(g_str_has_suffix(set->recording.folder, "/shows"));
  assert_int_equal(set->recording.segment_s, 60);
  assert_int_equal(set->recording.keep_free_mb, 100);
  assert_int_equal(set->recording.keep_shows, 20);
}

/* The show's state for a restart: beside the audit log by default, none
 * without one, a path relative to the config's folder, or off. */
static void
test_state_path(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) beside = load_text("[box]\naudit-log = logs/audit.jsonl\n", &error);
  assert_null(beside); /* logs/ does not exist */
  g_clear_error(&error);
  g_autofree char *logs = g_build_filename(sc_test_dir, "logs", NULL);
  assert_int_equal(g_mkdir(logs, 0700), 0);
  g_autoptr(ScConfig) c = load_text("[box]\naudit-log = logs/audit.jsonl\n", &error);
  g_assert_no_error(error);
  g_autofree char *want = g_build_filename(logs, "state.json", NULL);
  assert_string_equal(c->state, want);
  assert_false(g_file_test(c->state, G_FILE_TEST_EXISTS)); /* not created by checking */
  g_autoptr(ScConfig) own =
      load_text("[box]\naudit-log = logs/audit.jsonl\nstate = s.json\n", &error);
  g_autofree char *own_want = g_build_filename(sc_test_dir, "s.json", NULL);
  assert_string_equal(own->state, own_want);
  g_autoptr(ScConfig) off = load_text("[box]\naudit-log = logs/audit.jsonl\nstate = off\n", &error);
  assert_null(off->state);
  g_autoptr(ScConfig) none = load_text("", &error);
  assert_null(none->state);
}

/* [box] system-dir: relative to the config's folder; may be made later. */
static void
test_system_dir(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text("[box]\nsystem-dir = system\n", &error);
  g_assert_no_error(error);
  g_autofree char *want = g_build_filename(sc_test_dir, "system", NULL);
  assert_string_equal(c->system_dir, want);
  assert_false(g_file_test(want, G_FILE_TEST_EXISTS)); /* not created by checking */
  g_autoptr(ScConfig) none = load_text("", &error);
  assert_null(none->system_dir);
}

static void
test_bad_input(void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
    const BadCase *bc = &bad_cases[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(ScConfig) c = load_text(bc->text, &error);
    if (c != NULL || !g_error_matches(error, SC_KEYFILE_ERROR, bc->code))
      fail_msg("%s: expected error %d, got %s", bc->what, bc->code,
               error ? error->message : "success");
    for (gsize n = 0; n < G_N_ELEMENTS(bc->needles) && bc->needles[n]; n++)
      if (strstr(error->message, bc->needles[n]) == NULL)
        fail_msg("%s: message \"%s\" does not say \"%s\"", bc->what, error->message,
                 bc->needles[n]);
  }
}

static void
test_missing_file(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename(sc_test_dir, "nope.ini", NULL);
  g_autoptr(ScConfig) c = sc_config_load(path, &error);
  assert_null(c);
  assert_true(g_error_matches(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ));
  assert_non_null(strstr(error->message, "nope.ini"));
}

static void
test_oversize_file(void **state)
{
  g_autofree char *big = g_strnfill(300 * 1024, '#');
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c = load_text(big, &error);
  assert_null(c);
  assert_true(g_error_matches(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ));
  assert_non_null(strstr(error->message, "limit"));
}

/* The key must not leak into error messages about the destination. */
static void
test_errors_do_not_show_the_key(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScConfig) c =
      load_text("[destination a]\nurl = ftp://h/live\nkey = SECRET-KEY-0123456789\n", &error);
  assert_null(c);
  assert_null(strstr(error->message, "SECRET-KEY"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_full_config, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_defaults_from_board_and_product, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_file_overrides_board, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_bad_input, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_uplinks, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_adaptive, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_audit_log_path, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_recording, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_state_path, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_system_dir, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_missing_file, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_oversize_file, sc_test_dir_setup, sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_errors_do_not_show_the_key, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
