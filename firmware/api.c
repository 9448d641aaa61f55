#define G_LOG_DOMAIN "shopcast-api"

#include "firmware/api.h"

#include "firmware/config-edit.h"
#include "firmware/json.h"

#include <string.h>

#define FEED_TICK_MS      100                  /* the feed's status at most 10 times a second */
#define FEED_REFRESH_US   (1 * G_USEC_PER_SEC) /* and at least once a second, for the meters */
#define FEED_EVENTS_MAX   100                  /* events sent in one tick at most */
#define PREVIEW_IN_FLIGHT 2 /* preview frames sent to a client and not yet acknowledged */
/* A firmware bundle carries a whole root file system. */
#define FIRMWARE_MAX_BODY ((gsize)2 << 30)

/* How a command's answer becomes the response body. */
typedef enum {
  OUT_JSON,  /* one JSON object, as it is */
  OUT_LINES, /* JSON lines: an array */
  OUT_TEXT,  /* a line of text: {"message": ...} */
  OUT_FILE,  /* the path of a file the command chose (never one from the request): a download */
} Output;

/* An action of the API: its route and the command it runs. In @words, {key}
 * is a required member of the JSON body, {key?} an optional one, {key:on} a
 * boolean given to the command as on/off, {=name} a part of the path and
 * {?name} an optional query parameter. Alternatives are separated by '|': the
 * first whose required members are all in the body is used. */
typedef struct {
  const char *method, *pattern;
  ScRole role;
  const char *words;
  Output output;
} Action;

static const Action actions[] = {
    {"GET", "/api/v1/status", SC_ROLE_OPERATOR, "status", OUT_JSON},
    {"GET", "/api/v1/events", SC_ROLE_OPERATOR, "events {?count}", OUT_LINES},
    {"POST", "/api/v1/live", SC_ROLE_OPERATOR, "live {on:on}", OUT_TEXT},
    {"GET", "/api/v1/show", SC_ROLE_OPERATOR, "show status", OUT_JSON},
    {"POST", "/api/v1/show/next", SC_ROLE_OPERATOR, "show next", OUT_JSON},
    {"POST", "/api/v1/show/previous", SC_ROLE_OPERATOR, "show previous", OUT_JSON},
    {"POST", "/api/v1/show/goto", SC_ROLE_OPERATOR, "show goto {product}", OUT_JSON},
    {"POST", "/api/v1/show/move", SC_ROLE_OPERATOR, "show move {product} {position}", OUT_JSON},
    {"POST", "/api/v1/show/flash", SC_ROLE_OPERATOR, "show flash {action}", OUT_JSON},
    {"POST", "/api/v1/show/coupon", SC_ROLE_OPERATOR, "show coupon {on:on}", OUT_JSON},
    {"POST", "/api/v1/show/stock", SC_ROLE_OPERATOR, "show stock {count}|show stock {on:on}",
     OUT_JSON},
    {"POST", "/api/v1/show/price", SC_ROLE_OPERATOR, "show price {price}", OUT_JSON},
    {"POST", "/api/v1/show/lower-third", SC_ROLE_OPERATOR, "show lower {name} {role?}", OUT_JSON},
    {"DELETE", "/api/v1/show/lower-third", SC_ROLE_OPERATOR, "show lower off", OUT_JSON},
    {"POST", "/api/v1/show/opening", SC_ROLE_OPERATOR, "show opening {on:on}", OUT_JSON},
    {"POST", "/api/v1/show/closing", SC_ROLE_OPERATOR, "show closing {on:on}", OUT_JSON},
    {"POST", "/api/v1/show/reload", SC_ROLE_OPERATOR, "show reload", OUT_JSON},
    {"GET", "/api/v1/audio", SC_ROLE_OPERATOR, "audio status", OUT_JSON},
    {"POST", "/api/v1/audio/gain", SC_ROLE_OPERATOR, "audio gain {db}", OUT_JSON},
    {"POST", "/api/v1/audio/mute", SC_ROLE_OPERATOR, "audio mute {on:on}", OUT_JSON},
    {"POST", "/api/v1/audio/sync", SC_ROLE_TECHNICIAN, "audio sync {ms}", OUT_JSON},
    {"POST", "/api/v1/audio/drill", SC_ROLE_TECHNICIAN, "audio drill {mode}", OUT_JSON},
    {"GET", "/api/v1/cameras", SC_ROLE_OPERATOR, "camera status", OUT_LINES},
    {"POST", "/api/v1/cameras/switch", SC_ROLE_OPERATOR, "camera switch {camera}", OUT_TEXT},
    {"GET", "/api/v1/cameras/{name}", SC_ROLE_TECHNICIAN, "camera get {=name}", OUT_JSON},
    {"POST", "/api/v1/cameras/{name}/controls", SC_ROLE_TECHNICIAN,
     "camera set {=name} {control} {value}", OUT_JSON},
    {"POST", "/api/v1/cameras/{name}/drill", SC_ROLE_TECHNICIAN, "camera drill {=name} {mode}",
     OUT_TEXT},
    {"GET", "/api/v1/studio", SC_ROLE_OPERATOR, "studio", OUT_JSON},
    {"POST", "/api/v1/studio/scene", SC_ROLE_OPERATOR, "studio scene {scene}", OUT_TEXT},
    {"POST", "/api/v1/studio/press", SC_ROLE_TECHNICIAN, "studio press {button} {ms?}", OUT_TEXT},
    {"POST", "/api/v1/destinations/reconnect", SC_ROLE_OPERATOR, "reconnect {destination?}",
     OUT_TEXT},
    {"POST", "/api/v1/uplinks/{name}/drill", SC_ROLE_TECHNICIAN, "drill {=name} {seconds}",
     OUT_TEXT},
    {"POST", "/api/v1/pipeline/drill", SC_ROLE_TECHNICIAN, "drill pipeline {seconds}", OUT_TEXT},
    {"POST", "/api/v1/preflight", SC_ROLE_TECHNICIAN, "preflight", OUT_LINES},
    {"GET", "/api/v1/board", SC_ROLE_TECHNICIAN, "board", OUT_JSON},
    {"GET", "/api/v1/recording", SC_ROLE_OPERATOR, "recording", OUT_JSON},
    {"GET", "/api/v1/reports", SC_ROLE_OPERATOR, "report list", OUT_LINES},
    {"GET", "/api/v1/report", SC_ROLE_OPERATOR, "report status {?show}", OUT_JSON},
    {"GET", "/api/v1/report/path", SC_ROLE_OPERATOR, "report path {?show}", OUT_TEXT},
    {"POST", "/api/v1/report/figures", SC_ROLE_OPERATOR, "report set {key} {value} {show?}",
     OUT_TEXT},
    {"POST", "/api/v1/report/generate", SC_ROLE_OPERATOR, "report generate {show?}", OUT_TEXT},
    {"GET", "/api/v1/report.html", SC_ROLE_OPERATOR, "report file html {?show}", OUT_FILE},
    {"GET", "/api/v1/report.csv", SC_ROLE_OPERATOR, "report file csv {?show}", OUT_FILE},
    {"GET", "/api/v1/firmware", SC_ROLE_TECHNICIAN, "firmware", OUT_JSON},
    {"GET", "/api/v1/system", SC_ROLE_TECHNICIAN, "system", OUT_JSON},
    {"POST", "/api/v1/system", SC_ROLE_TECHNICIAN,
     "system set --hostname {hostname?} --network {network?} --address {address?} --gateway "
     "{gateway?} --dns {dns?}",
     OUT_JSON},
};

typedef struct {
  ScApi *api;
  SoupWebsocketConnection *ws;
  gboolean preview;
  guint in_flight;
} Client;

struct _ScApi {
  ScHttp *http;
  ScApiHost host;
  char *config_path;
  GPtrArray *clients; /* Client* */
  guint tick;
  char *last_status;
  gint64 last_status_us;
  guint64 events_seen;
  guint64 preview_sent;         /* the sequence number of the latest frame sent */
  gboolean feed_preview;        /* a feed client watches */
  gint64 http_preview_until_us; /* preview.jpg was asked for lately */
  guint http_preview_timer;
};

/* ---- actions: JSON body -> command words -> JSON answer ---- */

static char *
json_word(JsonNode *node, gboolean as_switch, const char *key, GError **error)
{
  if (node && JSON_NODE_HOLDS_VALUE(node)) {
    GType type = json_node_get_value_type(node);
    if (as_switch && type == G_TYPE_BOOLEAN)
      return g_strdup(json_node_get_boolean(node) ? "on" : "off");
    if (!as_switch && type == G_TYPE_STRING && strlen(json_node_get_string(node)) <= 256)
      return g_strdup(json_node_get_string(node));
    if (!as_switch && type == G_TYPE_INT64)
      return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
    if (!as_switch && type == G_TYPE_DOUBLE) {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup(g_ascii_dtostr(buf, sizeof buf, json_node_get_double(node)));
    }
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' must be %s", key,
              as_switch ? "true or false" : "a string (at most 256 bytes) or a number");
  return NULL;
}

/* The words of one alternative; NULL when a required member is missing
 * (@missing set) or a member has the wrong type (@error set). */
static GPtrArray *
fill_words(ScHttpRequest *req, const char *alternative, char **missing, GError **error)
{
  g_auto(GStrv) templ = g_strsplit(alternative, " ", -1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  JsonObject *body = sc_http_request_body(req);
  for (guint i = 0; templ[i]; i++) {
    const char *t = templ[i];
    if (t[0] != '{') {
      g_ptr_array_add(argv, g_strdup(t));
      continue;
    }
    g_autofree char *name = g_strndup(t + 1, strlen(t) - 2);
    gboolean optional = g_str_has_suffix(name, "?"), as_switch = g_str_has_suffix(name, ":on");
    if (optional || as_switch)
      name[strlen(name) - (optional ? 1 : 3)] = '\0';
    const char *value = NULL;
    if (name[0] == '=' || name[0] == '?') {
      value = name[0] == '=' ? sc_http_request_param(req, name + 1)
                             : sc_http_request_query(req, name + 1);
      if (value)
        g_ptr_array_add(argv, g_strdup(value));
      continue;
    }
    JsonNode *node = body ? json_object_get_member(body, name) : NULL;
    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
      if (optional)
        continue;
      *missing = g_steal_pointer(&name);
      return NULL;
    }
    char *word = json_word(node, as_switch, name, error);
    if (word == NULL)
      return NULL;
    g_ptr_array_add(argv, word);
  }
  g_ptr_array_add(argv, NULL);
  return g_steal_pointer(&argv);
}

/* Every member of the body must be one the action knows. */
static gboolean
check_members(ScHttpRequest *req, const char *words, GError **error)
{
  JsonObject *body = sc_http_request_body(req);
  if (body == NULL)
    return TRUE;
  g_autoptr(GList) names = json_object_get_members(body);
  for (GList *n = names; n; n = n->next) {
    g_autofree char *braced = g_strconcat("{", (char *)n->data, NULL);
    const char *at = strstr(words, braced);
    char after = at ? at[strlen(braced)] : '\0';
    if (at == NULL || (after != '}' && after != '?' && after != ':')) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "unknown field '%s' (this endpoint takes: %s)", (char *)n->data, words);
      return FALSE;
    }
  }
  return TRUE;
}

static GPtrArray *
action_words(ScHttpRequest *req, const Action *a, GError **error)
{
  if (!check_members(req, a->words, error))
    return NULL;
  g_auto(GStrv) alternatives = g_strsplit(a->words, "|", -1);
  g_autofree char *missing = NULL;
  for (guint i = 0; alternatives[i]; i++) {
    g_clear_pointer(&missing, g_free);
    GPtrArray *argv = fill_words(req, alternatives[i], &missing, error);
    if (argv || missing == NULL)
      return argv;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "missing field '%s' (%s)", missing,
              a->words);
  return NULL;
}

static char *
to_json(const char *output, Output kind)
{
  if (kind == OUT_JSON && output[0] == '{')
    return g_strdup(output);
  if (kind != OUT_TEXT && (output[0] == '{' || output[0] == '\0')) {
    g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
    GString *out = g_string_new("[");
    for (guint i = 0; lines[i]; i++)
      if (lines[i][0] == '{')
        g_string_append_printf(out, "%s%s", out->len > 1 ? "," : "", lines[i]);
    g_string_append(out, "]\n");
    return g_string_free(out, FALSE);
  }
  g_autofree char *line = g_strstrip(g_strdup(output));
  GString *out = g_string_new("{\"message\":");
  sc_json_append_string(out, line);
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

#define FILE_MAX_BYTES (32 << 20)

/* A file a command named, as a download: "SHOW-report.html" for
 * recordings/SHOW/report.html. */
static void
reply_file(ScHttpRequest *req, const char *output)
{
  g_autofree char *path = g_strstrip(g_strdup(output));
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &data, &len, &error)) {
    sc_http_reply_error(req, SOUP_STATUS_NOT_FOUND, "%s", error->message);
    return;
  }
  if (len > FILE_MAX_BYTES) {
    sc_http_reply_error(req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s: larger than %d MB", path,
                        FILE_MAX_BYTES >> 20);
    return;
  }
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *folder = g_path_get_basename(dir);
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *name = g_strdup_printf("%s-%s", folder, base);
  g_strcanon(name, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "._-", '_'); /* a header's value */
  const char *type = g_str_has_suffix(path, ".html")  ? "text/html; charset=utf-8"
                     : g_str_has_suffix(path, ".csv") ? "text/csv; charset=utf-8"
                                                      : "application/octet-stream";
  g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&data), len);
  sc_http_reply_bytes(req, SOUP_STATUS_OK, type, bytes, name);
}

static void
on_action(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  const Action *a = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(actions) && a == NULL; i++)
    if (g_str_equal(actions[i].pattern, sc_http_request_route(req)) &&
        g_str_equal(actions[i].method, sc_http_request_method(req)))
      a = &actions[i];
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = a ? action_words(req, a, &error) : NULL;
  g_autofree char *output =
      argv ? self->host.command((const char *const *)argv->pdata, sc_http_request_who(req),
                                self->host.user_data, &error)
           : NULL;
  if (output == NULL) {
    sc_http_reply_gerror(req, error);
    return;
  }
  if (a->output == OUT_FILE) {
    reply_file(req, output);
    return;
  }
  g_autofree char *json = to_json(output, a->output);
  sc_http_reply_json(req, SOUP_STATUS_OK, json);
}

/* ---- first start, sessions, passwords ---- */

static const char *
member_string(ScHttpRequest *req, const char *name)
{
  JsonObject *body = sc_http_request_body(req);
  JsonNode *node = body ? json_object_get_member(body, name) : NULL;
  return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
             ? json_node_get_string(node)
             : NULL;
}

static void
on_setup_get(ScHttpRequest *req, gpointer data)
{
  ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
  sc_http_reply_json(req, SOUP_STATUS_OK,
                     sc_auth_needs_setup(auth) ? "{\"needs_setup\":true}\n"
                                               : "{\"needs_setup\":false}\n");
}

typedef struct {
  ScHttpRequest *req;
  ScRole role;
  char *password, *hash; /* what to check or to store, and the stored hash */
  gboolean store;        /* a new password: hash and store; else: check against @hash */
  gboolean ok;
  GError *error;
} PasswordJob;

static void
password_job_free(PasswordJob *job)
{
  if (job->password)
    explicit_bzero(job->password, strlen(job->password));
  g_free(job->password);
  g_free(job->hash);
  g_clear_error(&job->error);
  g_free(job);
}

/* yescrypt takes tens of milliseconds: off the main loop. */
static void
password_work(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  PasswordJob *job = data;
  if (job->store) {
    g_free(job->hash);
    job->hash = sc_auth_hash_password(job->password, &job->error);
    job->ok = job->hash != NULL;
  } else {
    job->ok = sc_auth_verify_hash(job->password, job->hash);
  }
  g_task_return_boolean(task, TRUE);
}

static void
password_done(GObject *source, GAsyncResult *result, gpointer data)
{
  PasswordJob *job = g_task_get_task_data(G_TASK(result));
  ScHttpRequest *req = job->req;
  ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
  const char *peer = sc_http_request_peer(req);
  if (job->store) {
    gboolean first = job->role == SC_ROLE_TECHNICIAN && sc_auth_needs_setup(auth);
    if (job->ok && sc_auth_store_hash(auth, job->role, job->hash, &job->error)) {
      g_info("the %s's password was %s by %s", sc_role_name(job->role), first ? "set" : "changed",
             sc_http_request_who(req));
      if (first || sc_http_request_role(req) == SC_ROLE_NONE)
        sc_http_reply_session(req, job->role);
      else
        sc_http_reply_json(req, SOUP_STATUS_OK, "{}\n");
    } else {
      sc_http_reply_gerror(req, job->error);
    }
  } else {
    sc_auth_record_attempt(auth, peer, job->ok);
    if (job->ok)
      sc_http_reply_session(req, job->role);
    else
      sc_http_reply_error(req, SOUP_STATUS_UNAUTHORIZED, "wrong password");
  }
  sc_http_request_release(req);
}

static void
run_password_job(ScHttpRequest *req, ScRole role, const char *password, gboolean store)
{
  ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
  PasswordJob *job = g_new0(PasswordJob, 1);
  job->req = sc_http_request_hold(req);
  job->role = role;
  job->password = g_strdup(password);
  job->store = store;
  job->hash = g_strdup(sc_auth_get_hash(auth, role));
  g_autoptr(GTask) task = g_task_new(NULL, NULL, password_done, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)password_job_free);
  g_task_run_in_thread(task, password_work);
}

static gboolean
new_password(ScHttpRequest *req, const char **password)
{
  g_autoptr(GError) error = NULL;
  *password = member_string(req, "password");
  if (!sc_auth_check_new_password(*password, &error)) {
    sc_http_reply_gerror(req, error);
    return FALSE;
  }
  return TRUE;
}

/* First start: anyone on the studio network (or shopcastctl) sets the
 * technician's password, once. */
static void
on_setup(ScHttpRequest *req, gpointer data)
{
  ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
  const char *password = NULL;
  if (!sc_auth_needs_setup(auth)) {
    sc_http_reply_error(req, SOUP_STATUS_CONFLICT,
                        "the technician's password is already set: log in, or change it in the "
                        "technician view");
    return;
  }
  if (new_password(req, &password))
    run_password_job(req, SC_ROLE_TECHNICIAN, password, TRUE);
}

static void
on_session_get(ScHttpRequest *req, gpointer data)
{
  const char *csrf = sc_http_request_csrf(req);
  ScRole role = sc_http_request_role(req);
  if (role == SC_ROLE_NONE) {
    ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
    sc_http_reply_error(req, SOUP_STATUS_UNAUTHORIZED,
                        sc_auth_needs_setup(auth) ? "first start: set the password"
                                                  : "not logged in");
    return;
  }
  g_autofree char *json =
      g_strdup_printf("{\"role\":\"%s\",\"csrf\":\"%s\"}\n", sc_role_name(role), csrf ? csrf : "");
  sc_http_reply_json(req, SOUP_STATUS_OK, json);
}

static void
on_login(ScHttpRequest *req, gpointer data)
{
  ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
  const char *password = member_string(req, "password");
  const char *role_name = member_string(req, "role");
  ScRole role = role_name ? sc_role_from_name(role_name) : SC_ROLE_OPERATOR;
  g_autoptr(GError) error = NULL;
  if (password == NULL || role == SC_ROLE_NONE) {
    sc_http_reply_error(req, SOUP_STATUS_BAD_REQUEST,
                        "send {\"role\":\"operator\"|\"technician\",\"password\":\"...\"}");
    return;
  }
  if (!sc_auth_may_try(auth, sc_http_request_peer(req), &error)) {
    sc_http_reply_gerror(req, error);
    return;
  }
  if (!sc_auth_has_password(auth, role)) {
    sc_auth_record_attempt(auth, sc_http_request_peer(req), FALSE);
    sc_http_reply_error(req, SOUP_STATUS_UNAUTHORIZED,
                        sc_auth_needs_setup(auth) ? "first start: set the password first"
                                                  : "the operator has no password: log in as "
                                                    "the technician and add one");
    return;
  }
  run_password_job(req, role, password, FALSE);
}

static void
on_logout(ScHttpRequest *req, gpointer data)
{
  sc_http_reply_logout(req);
}

static void
on_password(ScHttpRequest *req, gpointer data)
{
  ScRole role = sc_role_from_name(sc_http_request_param(req, "role"));
  const char *password = NULL;
  if (role == SC_ROLE_NONE) {
    sc_http_reply_error(req, SOUP_STATUS_NOT_FOUND, "the roles are operator and technician");
    return;
  }
  if (new_password(req, &password))
    run_password_job(req, role, password, TRUE);
}

static void
on_password_delete(ScHttpRequest *req, gpointer data)
{
  ScAuth *auth = sc_http_get_auth(sc_http_request_server(req));
  g_autoptr(GError) error = NULL;
  if (!g_str_equal(sc_http_request_param(req, "role"), "operator"))
    sc_http_reply_error(req, SOUP_STATUS_BAD_REQUEST,
                        "only the operator's password can be removed");
  else if (!sc_auth_remove_operator(auth, &error))
    sc_http_reply_gerror(req, error);
  else
    sc_http_reply_json(req, SOUP_STATUS_OK, "{}\n");
}

/* ---- metrics, preview, logs, config ---- */

static void
on_metrics(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  g_autofree char *text = self->host.metrics(self->host.user_data);
  gsize len = strlen(text); /* before the text is taken: the order of arguments is unspecified */
  g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&text), len);
  sc_http_reply_bytes(req, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", bytes, NULL);
}

#define HTTP_PREVIEW_KEEP_US (10 * G_USEC_PER_SEC)

static void
set_preview_wish(ScApi *self)
{
  gboolean want = self->feed_preview || self->http_preview_until_us > g_get_monotonic_time();
  self->host.want_preview(want, self->host.user_data);
}

static gboolean
on_http_preview_idle(gpointer data)
{
  ScApi *self = data;
  if (self->http_preview_until_us > g_get_monotonic_time())
    return G_SOURCE_CONTINUE;
  self->http_preview_timer = 0;
  set_preview_wish(self);
  return G_SOURCE_REMOVE;
}

/* The latest preview frame; the preview runs while someone asked within
 * the last 10 s. */
static void
on_preview(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  self->http_preview_until_us = g_get_monotonic_time() + HTTP_PREVIEW_KEEP_US;
  set_preview_wish(self);
  if (self->http_preview_timer == 0)
    self->http_preview_timer = g_timeout_add_seconds(1, on_http_preview_idle, self);
  guint64 sequence = 0;
  g_autoptr(GBytes) frame = self->host.preview_frame(&sequence, self->host.user_data);
  if (frame == NULL) {
    sc_http_reply_error(req, SOUP_STATUS_SERVICE_UNAVAILABLE,
                        "the preview is starting: ask again in a moment");
    return;
  }
  g_autofree char *tag = g_strdup_printf("%" G_GUINT64_FORMAT, sequence);
  sc_http_reply_bytes(req, SOUP_STATUS_OK, "image/jpeg", frame, NULL);
  sc_http_request_set_header(req, "X-Preview-Sequence", tag);
}

static void
on_logs(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  g_autofree char *events = sc_event_log_to_json_lines(self->host.events, 0);
  g_autofree char *log = self->host.log_text(self->host.user_data);
  g_autofree char *text =
      g_strdup_printf("# shopcast events (JSON lines)\n%s\n# shopcastd log\n%s", events, log);
  gsize len = strlen(text);
  g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&text), len);
  sc_http_reply_bytes(req, SOUP_STATUS_OK, "text/plain; charset=utf-8", bytes, "shopcast-log.txt");
}

static void
on_config_get(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = sc_config_edit_to_json(self->config_path, &error);
  if (json)
    sc_http_reply_json(req, SOUP_STATUS_OK, json);
  else
    sc_http_reply_gerror(req, error);
}

static void
on_config_put(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  g_autoptr(GError) error = NULL;
  if (!sc_config_edit_apply(self->config_path, sc_http_request_body(req), &error)) {
    sc_http_reply_gerror(req, error);
    return;
  }
  g_info("config changed by %s; it applies at the next start of shopcastd",
         sc_http_request_who(req));
  sc_http_reply_json(req, SOUP_STATUS_OK, "{\"saved\":true,\"applies\":\"at the next start\"}\n");
}

/* ---- firmware updates: the bundle streamed to the staging folder ---- */

static gboolean
firmware_open(goffset length, gpointer data, GError **error)
{
  ScApi *self = data;
  if (self->host.update == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "this shopcastd takes no firmware updates");
    return FALSE;
  }
  return self->host.may_update(self->host.user_data, error) &&
         sc_update_begin(self->host.update, length, error);
}

static void
firmware_write(GBytes *chunk, gpointer data)
{
  ScApi *self = data;
  sc_update_write(self->host.update, chunk);
}

static void
firmware_abort(gpointer data)
{
  ScApi *self = data;
  sc_update_abort(self->host.update, "the upload ended before the whole bundle arrived");
}

static const ScHttpUpload firmware_upload = {firmware_open, firmware_write, firmware_abort};

static void
on_firmware(ScHttpRequest *req, gpointer data)
{
  ScApi *self = data;
  g_autoptr(GError) error = NULL;
  if (!sc_update_install(self->host.update, &error)) {
    sc_http_reply_gerror(req, error);
    return;
  }
  g_info("firmware bundle uploaded by %s: RAUC installs it", sc_http_request_who(req));
  sc_http_reply_json(req, SOUP_STATUS_ACCEPTED,
                     "{\"message\":\"the bundle arrived and RAUC installs it; the box restarts "
                     "into the new firmware when it is done (progress: GET /api/v1/firmware)\"}\n");
}

/* ---- the feed ---- */

static void
client_send(Client *c, const char *text)
{
  if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text(c->ws, text);
}

static void
broadcast(ScApi *self, const char *text)
{
  for (guint i = 0; i < self->clients->len; i++)
    client_send(g_ptr_array_index(self->clients, i), text);
}

static void
send_events(ScApi *self)
{
  guint64 total = sc_event_log_get_total(self->host.events);
  guint fresh = (guint)MIN(total - self->events_seen, FEED_EVENTS_MAX);
  self->events_seen = total;
  if (fresh == 0)
    return;
  g_autofree char *lines = sc_event_log_to_json_lines(self->host.events, fresh);
  g_auto(GStrv) each = g_strsplit(lines, "\n", -1);
  for (guint i = 0; each[i]; i++)
    if (each[i][0] == '{') {
      g_autofree char *msg = g_strdup_printf("{\"type\":\"event\",\"event\":%s}", each[i]);
      broadcast(self, msg);
    }
}

static void
send_status(ScApi *self, gboolean force)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = {"status", NULL};
  g_autofree char *status = self->host.command(argv, "panel", self->host.user_data, &error);
  gint64 now = g_get_monotonic_time();
  if (status == NULL)
    return;
  if (!force && g_strcmp0(status, self->last_status) == 0 &&
      now - self->last_status_us < FEED_REFRESH_US)
    return;
  g_free(self->last_status);
  self->last_status = g_strdup(status);
  self->last_status_us = now;
  g_strchomp(status);
  g_autofree char *msg = g_strdup_printf("{\"type\":\"status\",\"status\":%s}", status);
  broadcast(self, msg);
}

static void
update_preview_wish(ScApi *self)
{
  gboolean want = FALSE;
  for (guint i = 0; i < self->clients->len; i++)
    want |= ((Client *)g_ptr_array_index(self->clients, i))->preview;
  self->feed_preview = want;
  set_preview_wish(self);
}

/* A new preview frame goes to the clients that watch and have taken the
 * last ones: a slow client skips frames instead of piling them up. */
static void
send_preview(ScApi *self)
{
  guint64 sequence = 0;
  g_autoptr(GBytes) jpeg =
      self->feed_preview ? self->host.preview_frame(&sequence, self->host.user_data) : NULL;
  if (jpeg == NULL || sequence == self->preview_sent)
    return;
  self->preview_sent = sequence;
  for (guint i = 0; i < self->clients->len; i++) {
    Client *c = g_ptr_array_index(self->clients, i);
    if (!c->preview || c->in_flight >= PREVIEW_IN_FLIGHT ||
        soup_websocket_connection_get_state(c->ws) != SOUP_WEBSOCKET_STATE_OPEN)
      continue;
    c->in_flight++;
    soup_websocket_connection_send_message(c->ws, SOUP_WEBSOCKET_DATA_BINARY, jpeg);
  }
}

static gboolean
on_tick(gpointer data)
{
  ScApi *self = data;
  send_events(self);
  send_status(self, FALSE);
  send_preview(self);
  return G_SOURCE_CONTINUE;
}

static void
on_client_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Client *c = data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  gsize len = 0;
  const char *text = g_bytes_get_data(message, &len);
  if (type != SOUP_WEBSOCKET_DATA_TEXT || len > 1024 ||
      !json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
    return; /* the feed takes only small JSON objects */
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  if (json_object_has_member(o, "preview")) {
    c->preview = json_object_get_boolean_member_with_default(o, "preview", FALSE);
    c->in_flight = 0;
    update_preview_wish(c->api);
  }
  if (json_object_has_member(o, "ack") && c->in_flight > 0)
    c->in_flight--;
}

static void
on_client_closed(SoupWebsocketConnection *ws, gpointer data)
{
  Client *c = data;
  ScApi *self = c->api;
  g_ptr_array_remove(self->clients, c);
  update_preview_wish(self);
  if (self->clients->len == 0 && self->tick) {
    g_source_remove(self->tick);
    self->tick = 0;
  }
}

static void
client_free(gpointer data)
{
  Client *c = data;
  g_signal_handlers_disconnect_by_data(c->ws, c);
  g_object_unref(c->ws);
  g_free(c);
}

static void
on_socket(SoupWebsocketConnection *ws, ScRole role, gpointer data)
{
  ScApi *self = data;
  Client *c = g_new0(Client, 1);
  c->api = self;
  c->ws = g_object_ref(ws);
  soup_websocket_connection_set_max_incoming_payload_size(ws, 4096);
  soup_websocket_connection_set_keepalive_interval(ws, 15);
  g_signal_connect(ws, "message", G_CALLBACK(on_client_message), c);
  g_signal_connect(ws, "closed", G_CALLBACK(on_client_closed), c);
  g_ptr_array_add(self->clients, c);
  if (self->tick == 0) {
    self->events_seen = sc_event_log_get_total(self->host.events);
    self->tick = g_timeout_add(FEED_TICK_MS, on_tick, self);
  }
  g_autofree char *hello =
      g_strdup_printf("{\"type\":\"hello\",\"role\":\"%s\"}", sc_role_name(role));
  client_send(c, hello);
  send_status(self, TRUE);
}

guint
sc_api_count_clients(ScApi *self)
{
  return self->clients->len;
}

/* ---- life ---- */

static const ScHttpRoute special[] = {
    {"GET", "/api/v1/setup", SC_ROLE_NONE, on_setup_get, 0, NULL},
    {"POST", "/api/v1/setup", SC_ROLE_NONE, on_setup, 0, NULL},
    {"GET", "/api/v1/session", SC_ROLE_NONE, on_session_get, 0, NULL},
    {"POST", "/api/v1/session", SC_ROLE_NONE, on_login, 0, NULL},
    {"DELETE", "/api/v1/session", SC_ROLE_NONE, on_logout, 0, NULL},
    {"PUT", "/api/v1/passwords/{role}", SC_ROLE_TECHNICIAN, on_password, 0, NULL},
    {"DELETE", "/api/v1/passwords/{role}", SC_ROLE_TECHNICIAN, on_password_delete, 0, NULL},
    {"GET", "/metrics", SC_ROLE_OPERATOR, on_metrics, 0, NULL},
    {"GET", "/api/v1/preview.jpg", SC_ROLE_OPERATOR, on_preview, 0, NULL},
    {"GET", "/api/v1/logs", SC_ROLE_TECHNICIAN, on_logs, 0, NULL},
    {"GET", "/api/v1/config", SC_ROLE_TECHNICIAN, on_config_get, 0, NULL},
    {"PUT", "/api/v1/config", SC_ROLE_TECHNICIAN, on_config_put, 0, NULL},
    {"POST", "/api/v1/firmware", SC_ROLE_TECHNICIAN, on_firmware, FIRMWARE_MAX_BODY,
     &firmware_upload},
};

ScApi *
sc_api_new(ScHttp *http, const ScApiHost *host)
{
  ScApi *self = g_new0(ScApi, 1);
  self->http = http;
  self->host = *host;
  self->config_path = g_strdup(host->config_path);
  self->host.config_path = self->config_path;
  self->clients = g_ptr_array_new_with_free_func(client_free);
  for (guint i = 0; i < G_N_ELEMENTS(actions); i++) {
    ScHttpRoute r = {actions[i].method, actions[i].pattern, actions[i].role, on_action, 0, NULL};
    sc_http_add_routes(http, &r, 1, self);
  }
  sc_http_add_routes(http, special, G_N_ELEMENTS(special), self);
  sc_http_add_websocket(http, "/api/v1/ws", SC_ROLE_OPERATOR, on_socket, self);
  return self;
}

void
sc_api_free(ScApi *self)
{
  if (self == NULL)
    return;
  if (self->tick)
    g_source_remove(self->tick);
  for (guint i = 0; i < self->clients->len; i++) {
    Client *c = g_ptr_array_index(self->clients, i);
    g_signal_handlers_disconnect_by_data(c->ws, c);
    if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shopcastd stops");
  }
  g_ptr_array_unref(self->clients);
  g_clear_handle_id(&self->http_preview_timer, g_source_remove);
  g_free(self->last_status);
  g_free(self->config_path);
  g_free(self);
}
