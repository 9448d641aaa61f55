#define G_LOG_DOMAIN "shopcast-http"

#include "firmware/http.h"

#include "firmware/http-auth.h"
#include "firmware/http-connections.h"
#include "firmware/json.h"

#include <gio/gunixsocketaddress.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define HTTP_TOO_MANY_REQUESTS 429

#define SECURITY_POLICY                                                                            \
  "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; style-src 'self'; "         \
  "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                    \
  "frame-ancestors 'none'"

typedef struct {
  ScHttpRoute route;
  char **segments;
  gpointer data;
} Route;

typedef struct {
  char *path;
  ScRole role;
  ScHttpSocketFunc func;
  gpointer data;
} Socket;

struct _ScHttp {
  SoupServer *server;
  ScAuth *auth;
  char *resource_prefix;
  GPtrArray *routes;  /* Route* */
  GPtrArray *sockets; /* Socket* */
  GPtrArray *uploads; /* Upload*: bodies being streamed (owned by their messages) */
  char *unix_path;
  guint port;
  ScHttpAuth *access;             /* who is asking, and whether they may */
  ScHttpConnections *connections; /* accepts, and closes those their client left */
};

struct _ScHttpRequest {
  ScHttp *http;
  SoupServerMessage *msg;
  const Route *route;
  GHashTable *params; /* char* -> char* */
  GHashTable *query;  /* borrowed from libsoup, may be NULL */
  JsonParser *parser;
  JsonObject *body;
  GBytes *raw;
  ScHttpCaller caller;
  gboolean replied, paused;
  gint refs;
};

/* A streamed body on its way (ScHttpUpload), kept as the message's data. */
typedef struct {
  ScHttp *http; /* NULL once the server is gone */
  const Route *route;
  gboolean done;  /* the body arrived, or the upload was aborted */
  gint64 turn_us; /* when the main loop last had a turn during the upload */
} Upload;

/* libsoup reads a body for as long as the socket has data: a fast client
 * would keep the main loop (the watchdog, the pipeline's messages) waiting
 * for the whole upload. */
#define UPLOAD_TURN_US (20 * 1000)

/* ---- replies ---- */

static void
add_common_headers(SoupServerMessage *msg, gboolean api)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace(h, "X-Frame-Options", "DENY");
  soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace(h, "Content-Security-Policy", SECURITY_POLICY);
  /* One request per connection: libsoup 3.2 keeps a kept-alive connection
   * that the client closed while idle open for good, a descriptor lost per
   * browser tab, shopcastctl call or scrape. The feed's WebSocket stays. */
  soup_message_headers_replace(h, "Connection", "close");
  if (api)
    soup_message_headers_replace(h, "Cache-Control", "no-store");
}

static void
set_error(SoupServerMessage *msg, guint status, const char *message)
{
  GString *body = g_string_new("{\"error\":");
  sc_json_append_string(body, message);
  g_string_append(body, "}\n");
  add_common_headers(msg, TRUE);
  soup_server_message_set_status(msg, status, NULL);
  gsize len = body->len;
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE,
                                   g_string_free(body, FALSE), len);
}

static void
finish_reply(ScHttpRequest *req)
{
  req->replied = TRUE;
  if (req->paused) { /* held: answered later, the message was paused */
    req->paused = FALSE;
    soup_server_message_unpause(req->msg);
  }
}

void
sc_http_reply_json(ScHttpRequest *req, guint status, const char *json)
{
  g_return_if_fail(!req->replied);
  add_common_headers(req->msg, TRUE);
  soup_server_message_set_status(req->msg, status, NULL);
  soup_server_message_set_response(req->msg, "application/json", SOUP_MEMORY_COPY, json,
                                   strlen(json));
  finish_reply(req);
}

void
sc_http_reply_error(ScHttpRequest *req, guint status, const char *format, ...)
{
  g_return_if_fail(!req->replied);
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  set_error(req->msg, status, message);
  finish_reply(req);
}

static guint
status_of(const GError *error)
{
  if (error->domain == SC_HTTP_AUTH_ERROR)
    return error->code == SC_HTTP_AUTH_ERROR_LOCKED      ? HTTP_TOO_MANY_REQUESTS
           : error->code == SC_HTTP_AUTH_ERROR_FORBIDDEN ? SOUP_STATUS_FORBIDDEN
                                                         : SOUP_STATUS_UNAUTHORIZED;
  if (error->domain == SC_AUTH_ERROR)
    return error->code == SC_AUTH_ERROR_LOCKED   ? HTTP_TOO_MANY_REQUESTS
           : error->code == SC_AUTH_ERROR_DENIED ? SOUP_STATUS_UNAUTHORIZED
           : error->code == SC_AUTH_ERROR_STORE  ? SOUP_STATUS_INTERNAL_SERVER_ERROR
                                                 : SOUP_STATUS_BAD_REQUEST;
  if (error->domain != G_IO_ERROR)
    return SOUP_STATUS_BAD_REQUEST; /* config, show and keyfile errors: the input was wrong */
  switch (error->code) {
  case G_IO_ERROR_NOT_FOUND:
    return SOUP_STATUS_NOT_FOUND;
  case G_IO_ERROR_BUSY:
  case G_IO_ERROR_EXISTS:
    return SOUP_STATUS_CONFLICT;
  case G_IO_ERROR_PERMISSION_DENIED:
    return SOUP_STATUS_FORBIDDEN;
  case G_IO_ERROR_NOT_SUPPORTED:
    return SOUP_STATUS_NOT_IMPLEMENTED;
  case G_IO_ERROR_FAILED:
  case G_IO_ERROR_INVALID_ARGUMENT:
  case G_IO_ERROR_INVALID_DATA:
    return SOUP_STATUS_BAD_REQUEST;
  default:
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  }
}

void
sc_http_reply_gerror(ScHttpRequest *req, const GError *error)
{
  sc_http_reply_error(req, status_of(error), "%s", error->message);
}

void
sc_http_reply_bytes(ScHttpRequest *req, guint status, const char *content_type, GBytes *bytes,
                    const char *download_name)
{
  g_return_if_fail(!req->replied);
  add_common_headers(req->msg, TRUE);
  soup_server_message_set_status(req->msg, status, NULL);
  if (download_name) {
    g_autofree char *value = g_strdup_printf("attachment; filename=\"%s\"", download_name);
    soup_message_headers_replace(soup_server_message_get_response_headers(req->msg),
                                 "Content-Disposition", value);
  }
  gsize len = 0;
  const char *data = g_bytes_get_data(bytes, &len);
  soup_server_message_set_response(req->msg, content_type, SOUP_MEMORY_COPY, data, len);
  finish_reply(req);
}

void
sc_http_request_set_header(ScHttpRequest *req, const char *name, const char *value)
{
  soup_message_headers_replace(soup_server_message_get_response_headers(req->msg), name, value);
}

void
sc_http_reply_session(ScHttpRequest *req, ScRole role)
{
  const ScSession *s = sc_auth_open_session(req->http->auth, role);
  sc_http_auth_set_cookie(req->msg, s->token);
  g_autofree char *json =
      g_strdup_printf("{\"role\":\"%s\",\"csrf\":\"%s\"}\n", sc_role_name(role), s->csrf);
  sc_http_reply_json(req, SOUP_STATUS_OK, json);
}

void
sc_http_reply_logout(ScHttpRequest *req)
{
  sc_auth_close_session(req->http->auth, req->caller.token);
  sc_http_auth_set_cookie(req->msg, NULL);
  sc_http_reply_json(req, SOUP_STATUS_OK, "{}\n");
}

/* ---- request accessors ---- */

const char *
sc_http_request_param(ScHttpRequest *req, const char *name)
{
  return g_hash_table_lookup(req->params, name);
}

const char *
sc_http_request_query(ScHttpRequest *req, const char *name)
{
  return req->query ? g_hash_table_lookup(req->query, name) : NULL;
}

JsonObject *
sc_http_request_body(ScHttpRequest *req)
{
  return req->body;
}

GBytes *
sc_http_request_raw_body(ScHttpRequest *req)
{
  return req->raw;
}

ScRole
sc_http_request_role(ScHttpRequest *req)
{
  return req->caller.role;
}

const char *
sc_http_request_who(ScHttpRequest *req)
{
  return req->caller.who;
}

const char *
sc_http_request_peer(ScHttpRequest *req)
{
  return req->caller.peer;
}

gboolean
sc_http_request_is_local(ScHttpRequest *req)
{
  return req->caller.local;
}

const char *
sc_http_request_route(ScHttpRequest *req)
{
  return req->route->route.pattern;
}

const char *
sc_http_request_method(ScHttpRequest *req)
{
  return soup_server_message_get_method(req->msg);
}

ScHttp *
sc_http_request_server(ScHttpRequest *req)
{
  return req->http;
}

const char *
sc_http_request_csrf(ScHttpRequest *req)
{
  return req->caller.csrf;
}

ScHttpRequest *
sc_http_request_hold(ScHttpRequest *req)
{
  req->refs++;
  req->paused = TRUE;
  soup_server_message_pause(req->msg);
  return req;
}

void
sc_http_request_release(ScHttpRequest *req)
{
  if (--req->refs > 0)
    return;
  if (!req->replied) {
    set_error(req->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the request was not answered");
    if (req->paused)
      soup_server_message_unpause(req->msg);
  }
  g_hash_table_unref(req->params);
  g_clear_object(&req->parser);
  g_clear_pointer(&req->raw, g_bytes_unref);
  g_object_unref(req->msg);
  sc_http_auth_caller_clear(&req->caller);
  g_free(req);
}

ScAuth *
sc_http_get_auth(ScHttp *self)
{
  return self->auth;
}

/* ---- routing ---- */

static const Route *
match_route(ScHttp *self, const char *method, const char *path, GHashTable *params,
            gboolean *path_known)
{
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  guint n = g_strv_length(parts);
  *path_known = FALSE;
  for (guint i = 0; i < self->routes->len; i++) {
    const Route *r = g_ptr_array_index(self->routes, i);
    if (g_strv_length(r->segments) != n)
      continue;
    gboolean same = TRUE;
    for (guint k = 0; k < n && same; k++) {
      const char *want = r->segments[k];
      gboolean variable = want[0] == '{' && parts[k][0] != '\0';
      same = variable || g_str_equal(want, parts[k]);
    }
    if (!same)
      continue;
    *path_known = TRUE;
    /* HEAD is a GET whose body libsoup leaves out. */
    gboolean head_of_get = g_str_equal(method, "HEAD") && g_str_equal(r->route.method, "GET");
    if (!g_str_equal(r->route.method, method) && !head_of_get)
      continue;
    for (guint k = 0; k < n && params; k++)
      if (r->segments[k][0] == '{')
        g_hash_table_insert(params, g_strndup(r->segments[k] + 1, strlen(r->segments[k]) - 2),
                            g_strdup(parts[k]));
    return r;
  }
  return NULL;
}

void
sc_http_add_routes(ScHttp *self, const ScHttpRoute *routes, gsize n, gpointer user_data)
{
  for (gsize i = 0; i < n; i++) {
    Route *r = g_new0(Route, 1);
    r->route = routes[i];
    r->segments = g_strsplit(routes[i].pattern, "/", -1);
    r->data = user_data;
    g_ptr_array_add(self->routes, r);
  }
}

static void
route_free(gpointer data)
{
  Route *r = data;
  g_strfreev(r->segments);
  g_free(r);
}

static void
socket_free(gpointer data)
{
  Socket *s = data;
  g_free(s->path);
  g_free(s);
}

/* Fills in who is asking; FALSE (with the reply set) when they may not. */
static gboolean
admit(ScHttp *self, ScHttpRequest *req)
{
  g_autoptr(GError) error = NULL;
  if (sc_http_auth_admit(self->access, req->msg, req->route->route.pattern, req->route->route.role,
                         &req->caller, &error))
    return TRUE;
  set_error(req->msg, status_of(error), error->message);
  return FALSE;
}

static gboolean
read_body(ScHttpRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_request_body(req->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
  gsize len = g_bytes_get_size(bytes);
  const char *type = soup_message_headers_get_content_type(
      soup_server_message_get_request_headers(req->msg), NULL);
  if (g_strcmp0(type, "application/octet-stream") == 0) {
    req->raw = g_steal_pointer(&bytes);
    return TRUE;
  }
  req->parser = json_parser_new_immutable();
  if (len == 0) {
    req->body = NULL;
    return TRUE;
  }
  g_autoptr(GError) error = NULL;
  if (type && g_strcmp0(type, "application/json") != 0) {
    set_error(req->msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
    return FALSE;
  }
  if (!json_parser_load_from_data(req->parser, g_bytes_get_data(bytes, NULL), (gssize)len,
                                  &error)) {
    g_autofree char *m = g_strdup_printf("malformed JSON: %s", error->message);
    set_error(req->msg, SOUP_STATUS_BAD_REQUEST, m);
    return FALSE;
  }
  JsonNode *root = json_parser_get_root(req->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    set_error(req->msg, SOUP_STATUS_BAD_REQUEST, "the body must be a JSON object");
    return FALSE;
  }
  req->body = json_node_get_object(root);
  return TRUE;
}

/* ---- static files of the panel ---- */

static const char *
content_type_of(const char *name)
{
  static const char *const types[][2] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(types); i++)
    if (g_str_has_suffix(name, types[i][0]))
      return types[i][1];
  return "application/octet-stream";
}

/* One path segment of letters, digits, '-', '_' and single dots. */
static gboolean
safe_name(const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strlen(name) > 64 || strstr(name, ".."))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static void
serve_static(ScHttp *self, SoupServerMessage *msg, const char *method, const char *path)
{
  const char *name = g_str_equal(path, "/") ? "index.html" : path + 1;
  if (!g_str_equal(method, "GET") && !g_str_equal(method, "HEAD")) {
    set_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "the panel's files are read-only");
    return;
  }
  g_autofree char *resource = g_strconcat(self->resource_prefix, "/", name, NULL);
  g_autoptr(GBytes) data =
      safe_name(name) ? g_resources_lookup_data(resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL)
                      : NULL;
  if (data == NULL) {
    set_error(msg, SOUP_STATUS_NOT_FOUND, "no such page");
    return;
  }
  add_common_headers(msg, FALSE);
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                               "no-cache");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
  gsize len = 0;
  const char *bytes = g_bytes_get_data(data, &len);
  soup_server_message_set_response(msg, content_type_of(name), SOUP_MEMORY_COPY, bytes, len);
}

/* ---- connections (http-connections.c) ---- */

guint
sc_http_count_connections(ScHttp *self)
{
  return sc_http_connections_count(self->connections);
}

/* ---- the server's callbacks ---- */

static gboolean
is_api(const char *path)
{
  return g_str_has_prefix(path, "/api/") || g_str_equal(path, "/metrics");
}

/* ---- streamed bodies ---- */

static void
on_upload_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  Upload *u = data;
  if (u->http && !u->done)
    u->route->route.upload->write(chunk, u->route->data);
  gint64 now = g_get_monotonic_time();
  if (now - u->turn_us > UPLOAD_TURN_US) { /* reading goes on after the loop's next turn */
    u->turn_us = now;
    soup_server_message_pause(msg);
    soup_server_message_unpause(msg);
  }
}

static void
on_upload_body(SoupServerMessage *msg, gpointer data)
{
  Upload *u = data;
  u->done = TRUE;
}

/* The message ends (answered, or the client went away): an upload the
 * handler did not take (cut off, or refused after its body) is dropped. */
static void
on_upload_end(SoupServerMessage *msg, gpointer data)
{
  Upload *u = data;
  if (u->http)
    u->route->route.upload->abort(u->route->data);
  u->done = TRUE;
}

static void
upload_free(gpointer data)
{
  Upload *u = data;
  if (u->http)
    g_ptr_array_remove(u->http->uploads, u);
  g_free(u);
}

static ScHttpRequest *request_new(ScHttp *self, SoupServerMessage *msg, const Route *route);

/* Checks the request as any other before its body is read, lets the route
 * accept the body's length, then streams the body to it. */
static void
start_upload(ScHttp *self, SoupServerMessage *msg, const Route *r, goffset length)
{
  ScHttpRequest *req = request_new(self, msg, r);
  gboolean admitted = admit(self, req);
  req->replied = TRUE; /* refused with the error set, or answered by the handler later */
  sc_http_request_release(req);
  g_autoptr(GError) error = NULL;
  if (!admitted)
    return;
  if (!r->route.upload->open(length, r->data, &error)) {
    set_error(msg, status_of(error), error->message);
    return;
  }
  Upload *u = g_new0(Upload, 1);
  u->http = self;
  u->route = r;
  u->turn_us = g_get_monotonic_time();
  g_ptr_array_add(self->uploads, u);
  g_object_set_data_full(G_OBJECT(msg), "sc-upload", u, upload_free);
  soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  g_signal_connect(msg, "got-chunk", G_CALLBACK(on_upload_chunk), u);
  g_signal_connect(msg, "got-body", G_CALLBACK(on_upload_body), u);
  g_signal_connect(msg, "disconnected", G_CALLBACK(on_upload_end), u);
  g_signal_connect(msg, "finished", G_CALLBACK(on_upload_end), u);
}

/* After the headers, before the body: refuse what is too big to read. */
static void
on_early(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer data)
{
  ScHttp *self = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  SoupEncoding encoding = soup_message_headers_get_encoding(h);
  if (encoding == SOUP_ENCODING_CHUNKED) {
    set_error(msg, SOUP_STATUS_LENGTH_REQUIRED, "send the body with a Content-Length");
    return;
  }
  gboolean known = FALSE;
  const Route *r = match_route(self, soup_server_message_get_method(msg), path, NULL, &known);
  gsize cap = r && r->route.max_body ? r->route.max_body : SC_HTTP_MAX_BODY;
  goffset len =
      encoding == SOUP_ENCODING_CONTENT_LENGTH ? soup_message_headers_get_content_length(h) : 0;
  if (len > (goffset)cap) {
    g_autofree char *m = g_strdup_printf("the body is too large (%" G_GOFFSET_FORMAT
                                         " bytes; at most %" G_GSIZE_FORMAT ")",
                                         len, cap);
    set_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, m);
  } else if (r && r->route.upload) {
    start_upload(self, msg, r, len);
  }
  /* refused before the body: the connection cannot carry another request
   * (the body may still be on its way), and a client that asked to
   * "Expect: 100-continue" must not wait for more */
  if (soup_server_message_get_status(msg) != SOUP_STATUS_NONE)
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
}

static ScHttpRequest *
request_new(ScHttp *self, SoupServerMessage *msg, const Route *route)
{
  ScHttpRequest *req = g_new0(ScHttpRequest, 1);
  req->http = self;
  req->msg = g_object_ref(msg);
  req->route = route;
  req->refs = 1;
  req->params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return req;
}

/* Whether the path and every query parameter are UTF-8: the words of a
 * command, names in messages and in the logs are. */
static gboolean
is_text(const char *path, GHashTable *query)
{
  if (!g_utf8_validate(path, -1, NULL))
    return FALSE;
  GHashTableIter iter;
  const char *key, *value;
  if (query)
    for (g_hash_table_iter_init(&iter, query);
         g_hash_table_iter_next(&iter, (gpointer *)&key, (gpointer *)&value);)
      if (!g_utf8_validate(key, -1, NULL) || (value && !g_utf8_validate(value, -1, NULL)))
        return FALSE;
  return TRUE;
}

static void
on_request(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer data)
{
  ScHttp *self = data;
  const char *method = soup_server_message_get_method(msg);
  if (!is_text(path, query)) {
    set_error(msg, SOUP_STATUS_BAD_REQUEST, "the path and the query must be UTF-8 text");
    return;
  }
  if (!is_api(path)) {
    serve_static(self, msg, method, path);
    return;
  }
  ScHttpRequest *req = request_new(self, msg, NULL);
  req->query = query;
  gboolean known = FALSE;
  req->route = match_route(self, method, path, req->params, &known);
  if (req->route && admit(self, req) && read_body(req)) {
    req->route->route.handler(req, req->route->data);
  } else {
    if (req->route == NULL)
      set_error(msg, known ? SOUP_STATUS_METHOD_NOT_ALLOWED : SOUP_STATUS_NOT_FOUND,
                known ? "method not allowed here" : "no such endpoint (see the API in README.md)");
    req->replied = TRUE; /* refused: the error is set */
  }
  req->query = NULL; /* libsoup's, valid only during this call */
  sc_http_request_release(req);
}

static const Socket *
find_socket(ScHttp *self, const char *path)
{
  for (guint i = 0; i < self->sockets->len; i++) {
    const Socket *s = g_ptr_array_index(self->sockets, i);
    if (g_str_equal(s->path, path))
      return s;
  }
  return NULL;
}

/* A WebSocket upgrade is checked like any request, before the handshake. */
static void
on_socket_early(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data)
{
  ScHttp *self = data;
  const Socket *s = find_socket(self, path);
  if (s == NULL)
    return;
  g_autoptr(GError) error = NULL;
  if (!sc_http_auth_admit_socket(self->access, msg, s->role, &error))
    set_error(msg, status_of(error), error->message);
}

static void
on_socket(SoupServer *server, SoupServerMessage *msg, const char *path, SoupWebsocketConnection *ws,
          gpointer data)
{
  ScHttp *self = data;
  const Socket *s = find_socket(self, path);
  ScRole role = sc_http_auth_socket_role(self->access, msg);
  if (s == NULL || role < s->role) {
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "log in first");
    return;
  }
  sc_http_connections_upgraded(self->connections, msg);
  s->func(ws, role, s->data);
}

void
sc_http_add_websocket(ScHttp *self, const char *path, ScRole role, ScHttpSocketFunc func,
                      gpointer user_data)
{
  Socket *s = g_new0(Socket, 1);
  s->path = g_strdup(path);
  s->role = role;
  s->func = func;
  s->data = user_data;
  g_ptr_array_add(self->sockets, s);
  soup_server_add_early_handler(self->server, path, on_socket_early, self, NULL);
  soup_server_add_websocket_handler(self->server, path, NULL, NULL, on_socket, self, NULL);
}

/* ---- life ---- */

ScHttp *
sc_http_new(ScAuth *auth, const ScHttpSettings *settings)
{
  ScHttp *self = g_new0(ScHttp, 1);
  self->auth = auth;
  self->access = sc_http_auth_new(auth);
  self->resource_prefix = g_strdup(settings && settings->resource_prefix ? settings->resource_prefix
                                                                         : "/shopcast/panel");
  self->routes = g_ptr_array_new_with_free_func(route_free);
  self->sockets = g_ptr_array_new_with_free_func(socket_free);
  self->uploads = g_ptr_array_new();
  self->server = soup_server_new("server-header", "shopcast", NULL);
  soup_server_add_early_handler(self->server, NULL, on_early, self, NULL);
  soup_server_add_handler(self->server, NULL, on_request, self, NULL);
  self->connections = sc_http_connections_new(self->server);
  return self;
}

void
sc_http_free(ScHttp *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->uploads->len; i++) /* their routes go with the server */
    ((Upload *)g_ptr_array_index(self->uploads, i))->http = NULL;
  g_ptr_array_unref(self->uploads);
  g_clear_pointer(&self->connections, sc_http_connections_free); /* before the server */
  soup_server_disconnect(self->server);
  g_clear_object(&self->server);
  if (self->unix_path)
    g_unlink(self->unix_path);
  g_free(self->unix_path);
  g_ptr_array_unref(self->routes);
  g_ptr_array_unref(self->sockets);
  sc_http_auth_free(self->access);
  g_free(self->resource_prefix);
  g_free(self);
}

gboolean
sc_http_listen_tcp(ScHttp *self, const char *address, guint port, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
  if (inet == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "'%s' is not an IP address (e.g. 0.0.0.0 or 192.168.1.20)", address);
    return FALSE;
  }
  g_autoptr(GSocketAddress) where = g_inet_socket_address_new(inet, port);
  g_autoptr(GSocket) socket = g_socket_new(g_socket_address_get_family(where), G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL || !g_socket_bind(socket, where, TRUE, error) ||
      !g_socket_listen(socket, error) ||
      !sc_http_connections_listen(self->connections, socket, error))
    return FALSE;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address(socket, error);
  if (local == NULL)
    return FALSE;
  self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
  return TRUE;
}

guint
sc_http_get_port(ScHttp *self)
{
  return self->port;
}

/* Whether a shopcastd answers on the socket at @path. */
static gboolean
someone_listens(const char *path)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  g_autoptr(GSocketConnection) c =
      g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
  return c != NULL;
}

gboolean
sc_http_listen_unix(ScHttp *self, const char *path, GError **error)
{
  g_autofree char *folder = g_path_get_dirname(path);
  if (g_mkdir_with_parents(folder, 0755) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s: %s", folder,
                g_strerror(errno));
    return FALSE;
  }
  if (g_file_test(path, G_FILE_TEST_EXISTS)) {
    if (someone_listens(path)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                  "%s: another shopcastd is already running", path);
      return FALSE;
    }
    g_unlink(path); /* left by a crashed shopcastd */
  }
  g_autoptr(GSocket) socket =
      g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  mode_t old = umask(0117);
  gboolean bound = socket && g_socket_bind(socket, address, FALSE, error);
  umask(old);
  if (!bound || !g_socket_listen(socket, error) ||
      !sc_http_connections_listen(self->connections, socket, error))
    return FALSE;
  g_chmod(path, 0660);
  self->unix_path = g_strdup(path);
  return TRUE;
}
