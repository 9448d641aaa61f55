/* http.h - the HTTP server of the panel and the API, in shopcastd's main loop
 * (libsoup 3), and the security envelope every request passes through before
 * any handler sees it.
 *
 * Two ways in:
 *  - TCP on the studio LAN (the panel, Prometheus, shopcastctl --url): a
 *    session cookie (HttpOnly, SameSite=Strict) says who is there; a request
 *    that changes anything must also carry the session's CSRF token in the
 *    X-CSRF-Token header and, when the browser sends one, an Origin that is
 *    this server. /metrics also takes HTTP Basic authentication (user =
 *    role), for Prometheus.
 *  - A Unix socket (shopcastctl on the box): whoever can open it (root and the
 *    socket's group: mode 0660) acts as the technician.
 *
 * For every request: the body must declare its length (no chunked uploads)
 * and stay under the route's cap (413 otherwise, before it is read); the
 * route must exist (404) for the method (405); the route's role is checked
 * (401 not logged in, 403 wrong role); a JSON body must be a JSON object (400
 * saying where it breaks). Static files come only from the panel's compiled-in
 * resources, by names of one path segment of safe characters, so no request
 * can reach the file system. Every response carries no-sniff, no-framing and a
 * strict Content-Security-Policy; API responses are never cached.
 *
 * http.c routes, reads bodies and replies; who is asking and whether they
 * may is http-auth.h's, and accepting connections and closing those their
 * clients left is http-connections.h's.
 *
 * Main thread only.
 */
#pragma once

#include "firmware/auth.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _ScHttp ScHttp;
typedef struct _ScHttpRequest ScHttpRequest;

typedef void (*ScHttpHandler)(ScHttpRequest *req, gpointer user_data);

/* A route whose body is streamed instead of kept in memory (a firmware
 * bundle): once the request has passed the checks (role, CSRF, Origin, the
 * route's cap) and @open accepted its length, each part of the body goes to
 * @write as it arrives; the route's handler runs when the whole body has
 * arrived; @abort whenever the request ends, so that an upload cut off or
 * refused after its body is dropped (one the handler took stays). @open's error
 * is the reply (its status chosen as for sc_http_reply_gerror()), sent
 * before the body is read. The callbacks get the route's user data. */
typedef struct {
  gboolean (*open)(goffset length, gpointer user_data, GError **error);
  void (*write)(GBytes *chunk, gpointer user_data);
  void (*abort)(gpointer user_data);
} ScHttpUpload;

typedef struct {
  const char *method;  /* "GET", "POST", "PUT", "DELETE" */
  const char *pattern; /* "/api/v1/uplinks/{name}/drill": {x} matches one path segment */
  ScRole role;         /* the least role allowed; SC_ROLE_NONE: anyone (login, setup) */
  ScHttpHandler handler;
  gsize max_body;             /* 0: the default cap (64 KiB) */
  const ScHttpUpload *upload; /* NULL: the body is read into memory */
} ScHttpRoute;

#define SC_HTTP_MAX_BODY (64 * 1024)

typedef struct {
  const char *resource_prefix; /* GResource folder of the panel's files, e.g. "/shopcast/panel" */
} ScHttpSettings;

ScHttp *sc_http_new(ScAuth *auth, const ScHttpSettings *settings);
void sc_http_free(ScHttp *self);

/* Listens on @address (an IP address, "0.0.0.0" for every interface) and
 * @port (0: any free port; see sc_http_get_port()). */
gboolean sc_http_listen_tcp(ScHttp *self, const char *address, guint port,
                            GError **error) G_GNUC_WARN_UNUSED_RESULT;
guint sc_http_get_port(ScHttp *self);

/* Clients' connections not yet let go, WebSockets included (after closing
 * those their clients left). */
guint sc_http_count_connections(ScHttp *self);
/* Listens on a Unix socket at @path (mode 0660; its folder made 0755 if
 * missing). A stale socket of a crashed shopcastd is replaced; one that
 * another shopcastd answers on is an error. Removed by sc_http_free(). */
gboolean sc_http_listen_unix(ScHttp *self, const char *path,
                             GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Adds @n routes; @user_data goes to each handler. */
void sc_http_add_routes(ScHttp *self, const ScHttpRoute *routes, gsize n, gpointer user_data);

/* A WebSocket at @path for @role and above; @func gets each new connection
 * (the server keeps no reference) with the role of its session. Origin must
 * be this server. */
typedef void (*ScHttpSocketFunc)(SoupWebsocketConnection *ws, ScRole role, gpointer user_data);
void sc_http_add_websocket(ScHttp *self, const char *path, ScRole role, ScHttpSocketFunc func,
                           gpointer user_data);

/* ---- inside a handler ---- */

/* A {name} of the route's pattern, or a query parameter; NULL if absent. */
const char *sc_http_request_param(ScHttpRequest *req, const char *name);
const char *sc_http_request_query(ScHttpRequest *req, const char *name);
/* The JSON object of the body ({} for an empty body). */
JsonObject *sc_http_request_body(ScHttpRequest *req);
/* The raw body (uploads). */
GBytes *sc_http_request_raw_body(ScHttpRequest *req);
ScRole sc_http_request_role(ScHttpRequest *req);
/* Who asked, for the event log: "panel operator (192.0.2.7)", "shopcastctl". */
const char *sc_http_request_who(ScHttpRequest *req);
/* The client's address ("local" on the Unix socket). */
const char *sc_http_request_peer(ScHttpRequest *req);
gboolean sc_http_request_is_local(ScHttpRequest *req);
/* The matched route's pattern and method, the server, and the session's CSRF
 * token (NULL without a session). */
const char *sc_http_request_route(ScHttpRequest *req);
const char *sc_http_request_method(ScHttpRequest *req);
ScHttp *sc_http_request_server(ScHttpRequest *req);
const char *sc_http_request_csrf(ScHttpRequest *req);

/* Replies (once per request). @json is a complete JSON document. */
void sc_http_reply_json(ScHttpRequest *req, guint status, const char *json);
void sc_http_reply_error(ScHttpRequest *req, guint status, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* A GError's message, with a status chosen from its code (not found 404,
 * busy 409, invalid 400, denied 403, else 500). */
void sc_http_reply_gerror(ScHttpRequest *req, const GError *error);
void sc_http_reply_bytes(ScHttpRequest *req, guint status, const char *content_type, GBytes *bytes,
                         const char *download_name);
/* Adds a response header (after the reply was set). */
void sc_http_request_set_header(ScHttpRequest *req, const char *name, const char *value);
/* Starts a session for @role: sets the cookie and replies with
 * {"role":...,"csrf":...}. */
void sc_http_reply_session(ScHttpRequest *req, ScRole role);
/* Ends the request's session (cookie cleared) and replies {}. */
void sc_http_reply_logout(ScHttpRequest *req);

/* A handler that answers later (after work in a thread) keeps the request
 * with sc_http_request_hold(), replies, then calls sc_http_request_release(). */
ScHttpRequest *sc_http_request_hold(ScHttpRequest *req);
void sc_http_request_release(ScHttpRequest *req);

ScAuth *sc_http_get_auth(ScHttp *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScHttp, sc_http_free)

G_END_DECLS
