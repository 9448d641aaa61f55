/* Tests for firmware/board.c: board profiles as data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/board.h"
#include "firmware/keyfile.h"
#include "tests/support/testutil.h"

#include <string.h>

static const char *
encoder_name(GPtrArray *list, guint i)
{
  return ((ScFragment *)g_ptr_array_index(list, i))->name;
}

static void
test_shipped_boards_load(void **state)
{
  g_auto(GStrv) names = sc_board_list(sc_board_default_dir());
  assert_int_equal(g_strv_length(names), 3);
  assert_string_equal(names[0], "rpi4");
  assert_string_equal(names[1], "sim");
  assert_string_equal(names[2], "x86-64");
  for (char **n = names; *n; n++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ScBoard) b = sc_board_load(sc_board_default_dir(), *n, &error);
    if (b == NULL)
      fail_msg("board %s: %s", *n, error->message);
    assert_non_null(strstr(sc_board_get_description(b), " "));
  }
}

static void
test_encoder_preferences(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBoard) rpi = sc_board_load(sc_board_default_dir(), "rpi4", &error);
  g_autoptr(ScBoard) x86 = sc_board_load(sc_board_default_dir(), "x86-64", &error);
  g_autoptr(ScBoard) sim = sc_board_load(sc_board_default_dir(), "sim", &error);
  assert_string_equal(encoder_name(sc_board_get_video_encoders(rpi), 0), "v4l2");
  assert_string_equal(encoder_name(sc_board_get_video_encoders(rpi), 1), "x264");
  assert_string_equal(encoder_name(sc_board_get_video_encoders(x86), 0), "vaapi");
  assert_string_equal(encoder_name(sc_board_get_video_encoders(x86), 1), "x264");
  assert_string_equal(encoder_name(sc_board_get_video_encoders(sim), 0), "x264");
  assert_non_null(strstr(sc_board_get_video_source(rpi), "v4l2src"));
  assert_non_null(strstr(sc_board_get_audio_source(rpi), "alsasrc"));
  assert_non_null(strstr(sc_board_get_video_source(sim), "is-live=true"));
  assert_non_null(strstr(sc_board_get_audio_source(sim), "is-live=true"));
  assert_string_equal(sc_board_get_video_device(x86), "/dev/video0");
  assert_string_equal(sc_board_get_video_device(sim), "smpte75"); /* the test camera's pattern */
  assert_int_equal(sc_board_get_camera_kind(sim), SC_CAMERA_KIND_TEST);
  assert_int_equal(sc_board_get_camera_kind(rpi), SC_CAMERA_KIND_V4L2);
  assert_int_equal(sc_board_get_camera_kind(x86), SC_CAMERA_KIND_V4L2);
  assert_int_equal(sc_board_get_defaults(x86)->width, 1920);
}

static char *
make_board(const char *dir, const char *name, const char *text)
{
  g_autofree char *sub = g_build_filename(dir, name, NULL);
  g_mkdir_with_parents(sub, 0755);
  return sc_test_write_file(sub, "board.ini", text);
}

#define GOOD_BOARD                                                                                 \
  "[board]\ndescription = test board\nvideo-source = videotestsrc\naudio-source = audiotestsrc\n"  \
  "video-encoders = mine\naudio-encoders = mine\n"                                                 \
  "[video-encoder mine]\npipeline = x264enc name=venc bitrate=${bitrate_kbps}\n"                   \
  "[audio-encoder mine]\npipeline = avenc_aac name=aenc\n"

typedef struct {
  const char *what;
  const char *text;
  const char *needle;
} BadBoard;

static const BadBoard bad_boards[] = {
    {"unknown key", GOOD_BOARD "[defaults]\nwidht = 1280\n", "[defaults] widht"},
    {"unknown group", GOOD_BOARD "[pins]\nx = 1\n", "[pins]"},
    {"unknown variable",
     "[board]\ndescription = d\nvideo-source = videotestsrc pattern=${patern}\n"
     "audio-source = a\nvideo-encoders = x\naudio-encoders = y\n",
     "${patern}"},
    {"undefined encoder",
     "[board]\ndescription = d\nvideo-source = v\naudio-source = a\n"
     "video-encoders = nosuch\naudio-encoders = nosuch\n",
     "no [video-encoder nosuch] group"},
    {"no encoders", "[board]\ndescription = d\nvideo-source = v\naudio-source = a\n",
     "video-encoders"},
    {"no source", "[board]\ndescription = d\naudio-source = a\n", "video-source"},
    {"bad default", GOOD_BOARD "[defaults]\nframerate = 500\n", "[defaults] framerate"},
};

static void
test_bad_boards(void **state)
{
  g_autofree char *dir = sc_test_tmpdir();
  for (gsize i = 0; i < G_N_ELEMENTS(bad_boards); i++) {
    g_autofree char *path = make_board(dir, "bad", bad_boards[i].text);
    g_autoptr(GError) error = NULL;
    g_autoptr(ScBoard) b = sc_board_load(dir, "bad", &error);
    if (b != NULL)
      fail_msg("%s: loaded", bad_boards[i].what);
    if (strstr(error->message, bad_boards[i].needle) == NULL ||
        strstr(error->message, "board.ini") == NULL)
      fail_msg("%s: message \"%s\" does not name \"%s\" and the file", bad_boards[i].what,
               error->message, bad_boards[i].needle);
  }
  g_autofree char *path = make_board(dir, "good", GOOD_BOARD);
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBoard) good = sc_board_load(dir, "good", &error);
  assert_non_null(good);
  sc_test_rmtree(dir);
}

static void
test_unknown_board_lists_known(void **state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScBoard) b = sc_board_load(sc_board_default_dir(), "rpi3", &error);
  assert_null(b);
  assert_true(g_error_matches(error, SC_KEYFILE_ERROR, SC_KEYFILE_ERROR_READ));
  assert_non_null(strstr(error->message, "no board 'rpi3'"));
  assert_non_null(strstr(error->message, "rpi4, sim, x86-64"));
}

static void
test_board_name_cannot_escape(void **state)
{
  const char *names[] = {"../etc", "sim/../sim", "", "common", "a b"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ScBoard) b = sc_board_load(sc_board_default_dir(), names[i], &error);
    if (b != NULL)
      fail_msg("board name '%s' accepted", names[i]);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shipped_boards_load),
      cmocka_unit_test(test_encoder_preferences),
      cmocka_unit_test(test_bad_boards),
      cmocka_unit_test(test_unknown_board_lists_known),
      cmocka_unit_test(test_board_name_cannot_escape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
