/* The HTTP server's envelope: who is asking (the Unix socket, a session
 * cookie, HTTP Basic for the metrics scrape) and whether they may (Origin,
 * role, CSRF token). */
#define G_LOG_DOMAIN "shopcast-http"

#include "firmware/http-auth.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>

#define COOKIE_NAME "shopcast_session"
/* A Prometheus scrape with HTTP Basic credentials is checked with yescrypt
 * once, then remembered this long, so scrapes do not cost a hash each. */
#define BASIC_REMEMBER_US (10 * 60 * G_USEC_PER_SEC)

G_DEFINE_QUARK(sc - http - auth - error - quark, sc_http_auth_error)

struct _ScHttpAuth {
  ScAuth *auth;   /* borrowed */
  char *basic_ok; /* the last Authorization header that passed, and its role and time */
  ScRole basic_role;
  gint64 basic_when_us;
};

ScHttpAuth *
sc_http_auth_new(ScAuth *auth)
{
  ScHttpAuth *self = g_new0(ScHttpAuth, 1);
  self->auth = auth;
  return self;
}

void
sc_http_auth_free(ScHttpAuth *self)
{
  if (self == NULL)
    return;
  g_free(self->basic_ok);
  g_free(self);
}

void
sc_http_auth_caller_clear(ScHttpCaller *caller)
{
  g_clear_pointer(&caller->token, g_free);
  g_clear_pointer(&caller->csrf, g_free);
  g_clear_pointer(&caller->who, g_free);
  g_clear_pointer(&caller->peer, g_free);
}

void
sc_http_auth_set_cookie(SoupServerMessage *msg, const char *token)
{
  g_autofree char *header = g_strdup_printf(COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s",
                                            token ? token : "", token ? "" : "; Max-Age=0");
  soup_message_headers_append(soup_server_message_get_response_headers(msg), "Set-Cookie", header);
}

/* ---- who is asking ---- */

static gboolean
is_local(SoupServerMessage *msg)
{
  GSocketAddress *a = soup_server_message_get_remote_address(msg);
  return a && G_IS_UNIX_SOCKET_ADDRESS(a);
}

static char *
cookie_token(SoupServerMessage *msg)
{
  const char *header =
      soup_message_headers_get_list(soup_server_message_get_request_headers(msg), "Cookie");
  if (header == NULL || strlen(header) > 8192)
    return NULL;
  GHashTable *cookies = soup_header_parse_semi_param_list(header);
  char *token = g_strdup(g_hash_table_lookup(cookies, COOKIE_NAME));
  soup_header_free_param_list(cookies);
  return token;
}

/* HTTP Basic (user = role), for the metrics scrape only. */
static ScRole
basic_role(ScHttpAuth *self, SoupServerMessage *msg, const char *peer, GError **error)
{
  const char *header =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  if (header == NULL || !g_str_has_prefix(header, "Basic "))
    return SC_ROLE_NONE;
  gint64 now = g_get_monotonic_time();
  if (self->basic_ok && sc_auth_equal_secret(header, self->basic_ok) &&
      now - self->basic_when_us < BASIC_REMEMBER_US)
    return self->basic_role;
  if (!sc_auth_may_try(self->auth, peer, error))
    return SC_ROLE_NONE;
  gsize len = 0;
  g_autofree char *plain = (char *)g_base64_decode(header + 6, &len);
  g_autofree char *text = g_strndup(plain, len);
  char *colon = strchr(text, ':');
  if (colon == NULL)
    return SC_ROLE_NONE;
  *colon = '\0';
  ScRole role = sc_role_from_name(text);
  gboolean ok =
      role != SC_ROLE_NONE && sc_auth_verify_hash(colon + 1, sc_auth_get_hash(self->auth, role));
  sc_auth_record_attempt(self->auth, peer, ok);
  if (!ok)
    return SC_ROLE_NONE;
  g_free(self->basic_ok);
  self->basic_ok = g_strdup(header);
  self->basic_role = role;
  self->basic_when_us = now;
  return role;
}

static char *
peer_of(SoupServerMessage *msg)
{
  if (is_local(msg))
    return g_strdup("local");
  const char *host = soup_server_message_get_remote_host(msg);
  return g_strdup(host ? host : "unknown");
}

/* The Origin a browser sends must be this server (no cross-site requests). */
static gboolean
origin_ok(SoupServerMessage *msg, gboolean required)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  const char *origin = soup_message_headers_get_one(h, "Origin");
  const char *host = soup_message_headers_get_one(h, "Host");
  if (origin == NULL)
    return !required;
  if (host == NULL)
    return FALSE;
  g_autofree char *http = g_strconcat("http://", host, NULL);
  g_autofree char *https = g_strconcat("https://", host, NULL);
  return g_ascii_strcasecmp(origin, http) == 0 || g_ascii_strcasecmp(origin, https) == 0;
}

static gboolean
changes_state(const char *method)
{
  return !g_str_equal(method, "GET") && !g_str_equal(method, "HEAD");
}

/* ---- whether they may ---- */

static gboolean
refuse(GError **error, ScHttpAuthError code, const char *message)
{
  g_set_error_literal(error, SC_HTTP_AUTH_ERROR, code, message);
  return FALSE;
}

gboolean
sc_http_auth_admit(ScHttpAuth *self, SoupServerMessage *msg, const char *pattern, ScRole need,
                   ScHttpCaller *caller, GError **error)
{
  const char *method = soup_server_message_get_method(msg);
  const ScSession *s = NULL;
  caller->local = is_local(msg);
  caller->peer = peer_of(msg);
  if (caller->local) {
    caller->role = SC_ROLE_TECHNICIAN;
    caller->who = g_strdup("shopcastctl");
    return TRUE;
  }
  caller->token = cookie_token(msg);
  s = sc_auth_lookup(self->auth, caller->token);
  caller->role = s ? s->role : SC_ROLE_NONE;
  caller->csrf = s ? g_strdup(s->csrf) : NULL;
  if (caller->role == SC_ROLE_NONE && g_str_equal(pattern, "/metrics")) {
    g_autoptr(GError) locked = NULL;
    caller->role = basic_role(self, msg, caller->peer, &locked);
    if (locked)
      return refuse(error, SC_HTTP_AUTH_ERROR_LOCKED, locked->message);
  }
  caller->who = g_strdup_printf("panel %s (%s)", sc_role_name(caller->role), caller->peer);
  if (changes_state(method) && !origin_ok(msg, FALSE))
    return refuse(error, SC_HTTP_AUTH_ERROR_FORBIDDEN,
                  "cross-site request refused (Origin is not this box)");
  if (need == SC_ROLE_NONE)
    return TRUE;
  if (sc_auth_needs_setup(self->auth))
    return refuse(error, SC_HTTP_AUTH_ERROR_UNAUTHORIZED,
                  "first start: set the technician password first (POST /api/v1/setup)");
  if (caller->role == SC_ROLE_NONE)
    return refuse(error, SC_HTTP_AUTH_ERROR_UNAUTHORIZED, "log in first (POST /api/v1/session)");
  if (caller->role < need)
    return refuse(error, SC_HTTP_AUTH_ERROR_FORBIDDEN, "this needs the technician's login");
  const char *csrf =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "X-CSRF-Token");
  if (changes_state(method) && s && !sc_auth_equal_secret(csrf, s->csrf))
    return refuse(error, SC_HTTP_AUTH_ERROR_FORBIDDEN,
                  "missing or wrong X-CSRF-Token (reload the panel)");
  return TRUE;
}

ScRole
sc_http_auth_socket_role(ScHttpAuth *self, SoupServerMessage *msg)
{
  if (is_local(msg))
    return SC_ROLE_TECHNICIAN;
  g_autofree char *token = cookie_token(msg);
  const ScSession *s = sc_auth_lookup(self->auth, token);
  return s ? s->role : SC_ROLE_NONE;
}

gboolean
sc_http_auth_admit_socket(ScHttpAuth *self, SoupServerMessage *msg, ScRole need, GError **error)
{
  if (!is_local(msg) && !origin_ok(msg, TRUE))
    return refuse(error, SC_HTTP_AUTH_ERROR_FORBIDDEN,
                  "cross-site WebSocket refused (Origin is not this box)");
  if (sc_http_auth_socket_role(self, msg) < need)
    return refuse(error, SC_HTTP_AUTH_ERROR_UNAUTHORIZED, "log in first (POST /api/v1/session)");
  return TRUE;
}
