/* board.h - board profiles: what a board captures with and encodes with.
 *
 * A board is data: BOARD_DIR/<name>/board.ini (documented in board/README.md)
 * names the GStreamer fragments of its video and audio sources, its encoder
 * candidates in order of preference (defined in BOARD_DIR/common/encoders.ini
 * or in the board's own file) and its defaults for the output spec. The code
 * never tests a board's name: it asks the profile.
 *
 * Loading checks every group and key (an unknown one is an error naming file,
 * group and key) and every ${variable} in the fragments. Whether the elements
 * exist is a question for the machine, answered when the pipeline is built.
 */
#pragma once

#include "pipeline/camera.h"
#include "pipeline/pipeline.h"

G_BEGIN_DECLS

typedef struct {
  guint width, height, framerate; /* 0: not set by the board */
  guint video_bitrate_kbps;
  char *x264_preset; /* NULL: not set */
} ScBoardDefaults;

typedef struct _ScBoard ScBoard;

/* $SHOPCAST_BOARD_DIR if set, else the installed location. */
const char *sc_board_default_dir(void);

/* Errors are SC_KEYFILE_ERROR (see keyfile.h); READ when the board does not exist. */
ScBoard *sc_board_load(const char *board_dir, const char *name,
                       GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_board_free(ScBoard *board);

const char *sc_board_get_name(const ScBoard *board);
const char *sc_board_get_description(const ScBoard *board);
const char *sc_board_get_video_source(const ScBoard *board);
const char *sc_board_get_audio_source(const ScBoard *board);
const char *sc_board_get_video_device(const ScBoard *board); /* may be NULL */
const char *sc_board_get_audio_device(const ScBoard *board); /* may be NULL */
/* Candidates in order of preference: arrays of ScFragment*. */
GPtrArray *sc_board_get_video_encoders(const ScBoard *board);
GPtrArray *sc_board_get_audio_encoders(const ScBoard *board);
const ScBoardDefaults *sc_board_get_defaults(const ScBoard *board);
/* [board] camera: v4l2, or simulated (the default). */
ScCameraKind sc_board_get_camera_kind(const ScBoard *board);

/* The names of the boards in @board_dir, sorted. */
GStrv sc_board_list(const char *board_dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScBoard, sc_board_free)

G_END_DECLS
