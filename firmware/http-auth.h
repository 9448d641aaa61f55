/* http-auth.h - the HTTP server's envelope of who is asking and whether they
 * may, checked before any handler sees a request (see http.h for the rules).
 *
 *  - On the Unix socket the caller is shopcastctl, the technician.
 *  - On TCP the session cookie (HttpOnly, SameSite=Strict) says who is there;
 *    a request that changes anything must come from this server's Origin
 *    when the browser sends one and, for a route that needs a role, carry the
 *    session's CSRF token in X-CSRF-Token. /metrics also takes HTTP Basic
 *    authentication (user = role), checked with yescrypt once and then
 *    remembered for 10 minutes so that Prometheus's scrapes cost no hash.
 *  - A WebSocket's upgrade must come from this server's Origin, with a
 *    session of the socket's role.
 *
 * Main thread only.
 */
#pragma once

#include "firmware/auth.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SC_HTTP_AUTH_ERROR (sc_http_auth_error_quark())
GQuark sc_http_auth_error_quark(void);

/* Why a request is refused; the HTTP status it gets is in brackets. */
typedef enum {
  SC_HTTP_AUTH_ERROR_UNAUTHORIZED, /* (401) not logged in, or no technician password yet */
  SC_HTTP_AUTH_ERROR_FORBIDDEN,    /* (403) another site, the wrong role or CSRF token */
  SC_HTTP_AUTH_ERROR_LOCKED,       /* (429) too many wrong passwords from this address */
} ScHttpAuthError;

/* Who is asking; filled in by sc_http_auth_admit(), strings owned. */
typedef struct {
  ScRole role;    /* SC_ROLE_NONE: nobody logged in */
  gboolean local; /* on the Unix socket */
  char *peer;     /* the client's address, "local" on the Unix socket */
  char *who;      /* for the event log: "panel operator (192.0.2.7)", "shopcastctl" */
  char *token;    /* the session's cookie, if it came with one */
  char *csrf;     /* the session's CSRF token, NULL without a session */
} ScHttpCaller;

/* Frees @caller's strings. */
void sc_http_auth_caller_clear(ScHttpCaller *caller);

typedef struct _ScHttpAuth ScHttpAuth;

/* Checks requests against @auth's passwords and sessions (@auth must outlive
 * the handle). */
ScHttpAuth *sc_http_auth_new(ScAuth *auth);
void sc_http_auth_free(ScHttpAuth *self);

/* Fills in @caller for the request @msg to a route of @pattern that needs at
 * least @need (SC_ROLE_NONE: anyone); FALSE with SC_HTTP_AUTH_ERROR when the
 * caller may not. */
gboolean sc_http_auth_admit(ScHttpAuth *self, SoupServerMessage *msg, const char *pattern,
                            ScRole need, ScHttpCaller *caller,
                            GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* A WebSocket upgrade for @need and above, before the handshake: FALSE with
 * SC_HTTP_AUTH_ERROR when the caller may not. */
gboolean sc_http_auth_admit_socket(ScHttpAuth *self, SoupServerMessage *msg, ScRole need,
                                   GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The role of the caller of @msg for a WebSocket (the technician on the Unix
 * socket, else the session's role or SC_ROLE_NONE). */
ScRole sc_http_auth_socket_role(ScHttpAuth *self, SoupServerMessage *msg);

/* Sets the session cookie to @token on @msg's response; @token NULL clears
 * it. */
void sc_http_auth_set_cookie(SoupServerMessage *msg, const char *token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScHttpAuth, sc_http_auth_free)

G_END_DECLS
