/* api.h - shopcast's control API, version 1 (/api/v1/...), its WebSocket
 * feed and the Prometheus metrics, on top of the HTTP server (http.h).
 *
 * Every action the API offers is one of the daemon's commands: an endpoint
 * turns its JSON body into the command's words and the command's answer back
 * into JSON (or, for the post-show report's files, into a download of the
 * file the command named), so the panel, shopcastctl and the studio buttons
 * share one implementation of each action and of its checks. The endpoints,
 * their roles and bodies are listed in README.md ("Control API").
 *
 * The feed (/api/v1/ws) pushes, as text messages, {"type":"status",...} when
 * the status changes (at most 10 times a second, and at least every second
 * for the audio meters), {"type":"event",...} for each new event, and, to
 * clients that sent {"preview":true}, the program preview as binary JPEG
 * messages (about 5 a second, low resolution). The preview is produced only
 * while someone watches.
 *
 * Main thread only.
 */
#pragma once

#include "firmware/events.h"
#include "firmware/http.h"
#include "firmware/update.h"

G_BEGIN_DECLS

/* Runs one command (@argv: its words) for @who ("shopcastctl", "panel
 * operator (192.0.2.7)"). Returns its output: JSON (an object, or JSON lines)
 * or a line of text; NULL with @error. */
typedef char *(*ScCommandFunc)(const char *const *argv, const char *who, gpointer user_data,
                               GError **error);

typedef struct {
  ScCommandFunc command;
  /* The box's metrics in the Prometheus text format. */
  char *(*metrics)(gpointer user_data);
  /* Someone watches the preview (or no one any more). */
  void (*want_preview)(gboolean want, gpointer user_data);
  /* The latest preview JPEG (a new reference, NULL before the first) and its
   * sequence number. */
  GBytes *(*preview_frame)(guint64 *sequence, gpointer user_data);
  /* A recent part of shopcastd's log, as text, for the log download. */
  char *(*log_text)(gpointer user_data);
  gpointer user_data;
  ScEventLog *events;
  const char *config_path; /* the config the technician edits */
  /* Firmware updates (POST /api/v1/firmware), or NULL: refused. @may_update
   * says whether the box may take one now (not while live). */
  ScUpdate *update;
  gboolean (*may_update)(gpointer user_data, GError **error);
  guint max_login_failures, lockout_s; /* for the session endpoint's messages */
} ScApiHost;

typedef struct _ScApi ScApi;

/* Adds the API's routes and its WebSocket to @http. @host is copied. */
ScApi *sc_api_new(ScHttp *http, const ScApiHost *host);
void sc_api_free(ScApi *self);

/* How many WebSocket clients are connected. */
guint sc_api_count_clients(ScApi *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScApi, sc_api_free)

G_END_DECLS
