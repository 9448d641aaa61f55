/* graphics.h - the graphics stage: the run of show drawn on the program.
 *
 * The main thread owns the show and the renderer: after every change of the
 * show (and whenever the picture changes by itself: the countdown's next
 * second, a fade step, a flash sale ending) it draws what changed and hands
 * the new composition to the overlay stage under a lock. The streaming
 * thread blends the current composition onto every program frame, and notes
 * the stream time of the first frame that shows each change. Those changes
 * then go to the on-air audit log: what reached the program, not what was
 * asked for. A thread of the stage's own appends them, in order, so the main
 * loop never waits for the fsync of a disk busy with the recording.
 *
 * A change that leaves the picture as it was (stock set while the counter is
 * hidden, a product moved in the running order) is in the event journal but
 * not in the audit log: no viewer saw it.
 */
#pragma once

#include "overlays/show.h"
#include "pipeline/pipeline.h"

G_BEGIN_DECLS

typedef struct _ScGraphics ScGraphics;

/* Draws @show (borrowed; it must outlive the stage) on @pipeline's frames of
 * @width x @height, and appends what reaches them to @audit_path (NULL: no
 * audit log). NULL and @error when the audit log cannot be opened. */
ScGraphics *sc_graphics_new(ScShow *show, ScPipeline *pipeline, guint width, guint height,
                            const char *audit_path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Removes the stage from the pipeline first, so no frame is touched after. */
void sc_graphics_free(ScGraphics *graphics);

/* The show changed (from its ScShowChangeFunc): the new picture is drawn on
 * the main loop's next turn (changes asked together, once), and @what /
 * @detail are audited when a frame shows it, with the stream time of now as
 * when it was asked. Main thread. */
void sc_graphics_changed(ScGraphics *graphics, const char *what, const char *detail);

/* Waits until every change a frame has shown is in the audit log (for a
 * reader of the log: the show's recording at its end). Main thread. */
void sc_graphics_sync_audit(ScGraphics *graphics);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScGraphics, sc_graphics_free)

G_END_DECLS
