/* update.h - firmware updates: a signed RAUC bundle uploaded through the
 * panel or shopcastctl is written to a staging folder on the data partition
 * as it arrives, then installed by RAUC (its D-Bus service) into the slot
 * that is not booted; RAUC checks the signature and each block. The boot
 * loader tries the new slot once at the next boot (README.md, "Images and
 * updates").
 *
 * States: idle -> receiving -> installing -> installed | failed; a new upload
 * may start from any state but receiving and installing. Each change is
 * reported to the owner's ScUpdateEventFunc (the daemon's event log), RAUC's
 * progress included.
 *
 * Without a system bus or without RAUC (a development machine) an upload is
 * refused before its body is read, saying so. Main thread only.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  SC_UPDATE_IDLE,
  SC_UPDATE_RECEIVING,
  SC_UPDATE_INSTALLING,
  SC_UPDATE_INSTALLED,
  SC_UPDATE_FAILED,
} ScUpdateState;

/* A change: @state, @detail a line for people ("40% Copying image to rootfs.1"). */
typedef void (*ScUpdateEventFunc)(ScUpdateState state, const char *detail, gpointer user_data);

typedef struct _ScUpdate ScUpdate;

/* @staging_dir: where bundles are written while they arrive (made when
 * needed, mode 0700); one file at a time, removed after the installation. */
ScUpdate *sc_update_new(const char *staging_dir, ScUpdateEventFunc func, gpointer user_data);
void sc_update_free(ScUpdate *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScUpdate, sc_update_free)

/* Accepts an upload of @length bytes: refused (G_IO_ERROR_BUSY) while one is
 * being received or installed, (G_IO_ERROR_NOT_SUPPORTED) where RAUC is not
 * available, (G_IO_ERROR_NO_SPACE) when the staging folder has no room. May
 * block up to 5 s while RAUC's service starts. */
gboolean sc_update_begin(ScUpdate *self, goffset length, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The next part of the bundle; a write error is kept and reported by
 * sc_update_install(). */
void sc_update_write(ScUpdate *self, GBytes *chunk);
/* The upload ended before the whole bundle arrived: the file is removed. */
void sc_update_abort(ScUpdate *self, const char *why);
/* The whole bundle arrived: RAUC installs it; the outcome comes as events. */
gboolean sc_update_install(ScUpdate *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Restarts the machine (systemd-logind), into the slot RAUC made the boot
 * loader's first choice. */
gboolean sc_update_reboot(ScUpdate *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;

ScUpdateState sc_update_get_state(const ScUpdate *self);
const char *sc_update_state_name(ScUpdateState state);
/* {"state":"installing","progress":40,"message":"...","received":N,"size":N,
 * "slot":"A","version":"0.1.0+20261123164519"}: slot is the booted one (the
 * kernel's rauc.slot), version the running firmware's. */
char *sc_update_status_json(ScUpdate *self);

G_END_DECLS
