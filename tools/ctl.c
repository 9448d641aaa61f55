/* shopcastctl: the command line over shopcastd's control API (the same API
 * the panel uses, README.md "Control API").
 *
 *   shopcastctl [--socket PATH] COMMAND...     on the box, over the Unix socket
 *                                              (root: the technician's rights)
 *   shopcastctl --url http://BOX:8080 COMMAND...  over the studio LAN, logged in
 *                                              with a password ($SHOPCAST_PASSWORD
 *                                              or asked on the terminal)
 *
 * Each command becomes one API request; the answer is printed as JSON (a list
 * one element a line) or as its message. Exit status: 0 done, 1 shopcastd
 * refused (its reason on stderr), 64 usage error, 69 shopcastd unreachable,
 * 77 login refused.
 */
#include "sc-build-config.h"

#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/shopcast/control"
#define TIMEOUT_S      60
/* An update: RAUC writes a whole root file system, slowly on an SD card. */
#define INSTALL_TIMEOUT_S (30 * 60)

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 64, EXIT_UNAVAILABLE = 69, EXIT_DENIED = 77 };

/* A command's words and its request. In @words, {x} is one argument sent as
 * the body member x, {x:on} an on|off argument sent as true/false, {=x} an
 * argument that goes into the path's {x}, {x?} an optional argument. */
typedef struct {
  const char *words, *method, *path;
  gboolean lines; /* the answer is a list: one element a line */
} Command;

static const Command commands[] = {
    {"status", "GET", "/api/v1/status", FALSE},
    {"events", "GET", "/api/v1/events", TRUE},
    {"events {=count}", "GET", "/api/v1/events?count={count}", TRUE},
    {"live {on:on}", "POST", "/api/v1/live", FALSE},
    {"show", "GET", "/api/v1/show", FALSE},
    {"show status", "GET", "/api/v1/show", FALSE},
    {"show next", "POST", "/api/v1/show/next", FALSE},
    {"show previous", "POST", "/api/v1/show/previous", FALSE},
    {"show reload", "POST", "/api/v1/show/reload", FALSE},
    {"show goto {product}", "POST", "/api/v1/show/goto", FALSE},
    {"show move {product} {position}", "POST", "/api/v1/show/move", FALSE},
    {"show flash {action}", "POST", "/api/v1/show/flash", FALSE},
    {"show coupon {on:on}", "POST", "/api/v1/show/coupon", FALSE},
    {"show stock {on:on}", "POST", "/api/v1/show/stock", FALSE},
    {"show stock {count}", "POST", "/api/v1/show/stock", FALSE},
    {"show price {price}", "POST", "/api/v1/show/price", FALSE},
    {"show lower off", "DELETE", "/api/v1/show/lower-third", FALSE},
    {"show lower {name} {role?}", "POST", "/api/v1/show/lower-third", FALSE},
    {"show opening {on:on}", "POST", "/api/v1/show/opening", FALSE},
    {"show closing {on:on}", "POST", "/api/v1/show/closing", FALSE},
    {"audio", "GET", "/api/v1/audio", FALSE},
    {"audio status", "GET", "/api/v1/audio", FALSE},
    {"audio gain {db}", "POST", "/api/v1/audio/gain", FALSE},
    {"audio mute {on:on}", "POST", "/api/v1/audio/mute", FALSE},
    {"audio sync {ms}", "POST", "/api/v1/audio/sync", FALSE},
    {"audio drill {mode}", "POST", "/api/v1/audio/drill", FALSE},
    {"camera status", "GET", "/api/v1/cameras", TRUE},
    {"camera switch {camera}", "POST", "/api/v1/cameras/switch", FALSE},
    {"camera get {=name}", "GET", "/api/v1/cameras/{name}", FALSE},
    {"camera set {=name} {control} {value}", "POST", "/api/v1/cameras/{name}/controls", FALSE},
    {"camera drill {=name} {mode}", "POST", "/api/v1/cameras/{name}/drill", FALSE},
    {"studio", "GET", "/api/v1/studio", FALSE},
    {"studio scene {scene}", "POST", "/api/v1/studio/scene", FALSE},
    {"studio press {button} {ms?}", "POST", "/api/v1/studio/press", FALSE},
    {"reconnect {destination?}", "POST", "/api/v1/destinations/reconnect", FALSE},
    {"drill pipeline {seconds}", "POST", "/api/v1/pipeline/drill", FALSE},
    {"drill {=name} {seconds}", "POST", "/api/v1/uplinks/{name}/drill", FALSE},
    {"preflight", "POST", "/api/v1/preflight", TRUE},
    {"board", "GET", "/api/v1/board", FALSE},
    {"logs", "GET", "/api/v1/logs", FALSE},
    {"metrics", "GET", "/metrics", FALSE},
    {"config", "GET", "/api/v1/config", FALSE},
    {"recording", "GET", "/api/v1/recording", FALSE},
    {"report", "GET", "/api/v1/report", FALSE},
    {"report status", "GET", "/api/v1/report", FALSE},
    {"report status {=show}", "GET", "/api/v1/report?show={show}", FALSE},
    {"report list", "GET", "/api/v1/reports", TRUE},
    {"report set {key} {value} {show?}", "POST", "/api/v1/report/figures", FALSE},
    {"report generate {show?}", "POST", "/api/v1/report/generate", FALSE},
    {"report path", "GET", "/api/v1/report/path", FALSE},
    {"report path {=show}", "GET", "/api/v1/report/path?show={show}", FALSE},
    {"report html", "GET", "/api/v1/report.html", FALSE},
    {"report html {=show}", "GET", "/api/v1/report.html?show={show}", FALSE},
    {"report csv", "GET", "/api/v1/report.csv", FALSE},
    {"report csv {=show}", "GET", "/api/v1/report.csv?show={show}", FALSE},
    {"firmware", "GET", "/api/v1/firmware", FALSE},
    {"system", "GET", "/api/v1/system", FALSE},
    {"system set hostname {hostname}", "POST", "/api/v1/system", FALSE},
    {"system set network {network}", "POST", "/api/v1/system", FALSE},
};

/* What to say when a family's words do not fit. */
static const char *const usages[][2] = {
    {"events", "events [N]"},
    {"live", "live on|off"},
    {"show", "show status | next | previous | goto ID-OR-POSITION | move ID POSITION | "
             "flash start|stop|reset | coupon on|off | stock N|on|off | price PRICE | "
             "lower NAME [ROLE] | lower off | opening on|off | closing on|off | reload"},
    {"audio", "audio [status] | audio gain DB | audio mute on|off | audio sync MS | "
              "audio drill off|stall|on"},
    {"camera", "camera status | camera switch NAME | camera set NAME exposure|white-balance|focus "
               "auto|VALUE | camera get NAME | camera drill NAME off|stall|on"},
    {"studio", "studio [scene NAME | press BUTTON [MS]]"},
    {"reconnect", "reconnect [DESTINATION]"},
    {"drill", "drill UPLINK SECONDS | drill pipeline SECONDS"},
    {"password", "password operator|technician (the new password on standard input)"},
    {"config", "config | config set GROUP KEY VALUE | config unset GROUP KEY"},
    {"preview", "preview FILE.jpg"},
    {"report", "report [status [SHOW]] | report list | report set KEY VALUE [SHOW] | "
               "report generate [SHOW] | report path [SHOW] | report html|csv [SHOW]"},
    {"update", "update BUNDLE.raucb"},
    {"system", "system | system set hostname NAME | system set network dhcp | "
               "system set network static ADDRESS/PREFIX GATEWAY [DNS...]"},
};

typedef struct {
  SoupSession *session;
  char *base;   /* "http://localhost" on the socket, else the --url */
  char *csrf;   /* after a login over the network */
  char *cookie; /* the session's cookie, from the login */
  char *origin; /* sent with changes, as a browser would */
  char *where;  /* the socket's path or the URL, for messages */
} Client;

/* ---- matching words to a request ---- */

typedef struct {
  char *path;
  JsonBuilder *body;
  gboolean has_body;
} Request;

static gboolean
fill(const Command *c, char **args, guint n, Request *r)
{
  g_auto(GStrv) t = g_strsplit(c->words, " ", -1);
  guint need = 0, i = 0;
  for (guint k = 0; t[k]; k++)
    need += !g_str_has_suffix(t[k], "?}");
  guint total = g_strv_length(t);
  if (n < need || n > total)
    return FALSE;
  g_autofree char *path = g_strdup(c->path);
  json_builder_begin_object(r->body);
  for (guint k = 0; t[k] && i < n; k++, i++) {
    if (t[k][0] != '{') {
      if (!g_str_equal(t[k], args[i]))
        return FALSE;
      continue;
    }
    g_autofree char *name = g_strndup(t[k] + 1, strlen(t[k]) - 2);
    if (g_str_has_suffix(name, "?"))
      name[strlen(name) - 1] = '\0';
    if (name[0] == '=') {
      g_autofree char *slot = g_strdup_printf("{%s}", name + 1);
      GString *p = g_string_new(path);
      g_autofree char *escaped = g_uri_escape_string(args[i], NULL, FALSE);
      g_string_replace(p, slot, escaped, 1);
      g_free(path);
      path = g_string_free(p, FALSE);
    } else if (g_str_has_suffix(name, ":on")) {
      if (!g_str_equal(args[i], "on") && !g_str_equal(args[i], "off"))
        return FALSE;
      name[strlen(name) - 3] = '\0';
      json_builder_set_member_name(r->body, name);
      json_builder_add_boolean_value(r->body, g_str_equal(args[i], "on"));
      r->has_body = TRUE;
    } else {
      json_builder_set_member_name(r->body, name);
      json_builder_add_string_value(r->body, args[i]);
      r->has_body = TRUE;
    }
  }
  json_builder_end_object(r->body);
  r->path = g_steal_pointer(&path);
  return TRUE;
}

static const Command *
match(char **args, guint n, Request *r)
{
  for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
    g_clear_object(&r->body);
    r->body = json_builder_new();
    r->has_body = FALSE;
    if (fill(&commands[i], args, n, r))
      return &commands[i];
  }
  return NULL;
}

static int
usage_error(const char *word)
{
  for (guint i = 0; i < G_N_ELEMENTS(usages); i++)
    if (g_str_equal(word, usages[i][0])) {
      fprintf(stderr, "shopcastctl: usage: %s\n", usages[i][1]);
      return EXIT_USAGE;
    }
  fprintf(stderr, "shopcastctl: unknown command '%s' (see --help)\n", word);
  return EXIT_USAGE;
}

/* ---- talking to shopcastd ---- */

static SoupMessage *
new_message(Client *cl, const char *method, const char *path, const char *body)
{
  g_autofree char *uri = g_strconcat(cl->base, path, NULL);
  SoupMessage *msg = soup_message_new(method, uri);
  if (msg == NULL)
    return NULL;
  SoupMessageHeaders *h = soup_message_get_request_headers(msg);
  if (cl->csrf)
    soup_message_headers_replace(h, "X-CSRF-Token", cl->csrf);
  if (cl->cookie)
    soup_message_headers_replace(h, "Cookie", cl->cookie);
  if (cl->origin && !g_str_equal(method, "GET"))
    soup_message_headers_replace(h, "Origin", cl->origin);
  if (body) {
    g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
    soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
  }
  return msg;
}

/* Sends; returns the body (NULL: unreachable, said on stderr). */
static GBytes *
send_message(Client *cl, SoupMessage *msg)
{
  g_autoptr(GError) error = NULL;
  GBytes *reply = soup_session_send_and_read(cl->session, msg, NULL, &error);
  if (reply == NULL)
    fprintf(stderr, "shopcastctl: no shopcastd answers on %s: %s\n", cl->where, error->message);
  return reply;
}

static JsonNode *
parse(GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  gsize len = 0;
  const char *data = g_bytes_get_data(bytes, &len);
  if (!json_parser_load_from_data(parser, data, (gssize)len, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  return root ? json_node_copy(root) : NULL;
}

static int
refused(SoupMessage *msg, GBytes *reply)
{
  g_autoptr(JsonNode) root = parse(reply);
  const char *why =
      root && JSON_NODE_HOLDS_OBJECT(root)
          ? json_object_get_string_member_with_default(json_node_get_object(root), "error", NULL)
          : NULL;
  fprintf(stderr, "shopcastctl: %s\n", why ? why : soup_message_get_reason_phrase(msg));
  guint status = soup_message_get_status(msg);
  return status == SOUP_STATUS_UNAUTHORIZED ? EXIT_DENIED : EXIT_REFUSED;
}

static void
print_json(JsonNode *node, gboolean lines)
{
  if (lines && JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      g_autofree char *text = json_to_string(json_array_get_element(a, i), FALSE);
      printf("%s\n", text);
    }
    return;
  }
  JsonObject *o = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
  if (o && json_object_get_size(o) == 1 && json_object_has_member(o, "message")) {
    printf("%s\n", json_object_get_string_member(o, "message"));
    return;
  }
  g_autofree char *text = json_to_string(node, FALSE);
  printf("%s\n", text);
}

static int
request(Client *cl, const char *method, const char *path, const char *body, gboolean lines)
{
  g_autoptr(SoupMessage) msg = new_message(cl, method, path, body);
  if (msg == NULL) {
    fprintf(stderr, "shopcastctl: '%s%s' is not a URL\n", cl->base, path);
    return EXIT_USAGE;
  }
  g_autoptr(GBytes) reply = send_message(cl, msg);
  if (reply == NULL)
    return EXIT_UNAVAILABLE;
  if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(msg)))
    return refused(msg, reply);
  const char *type =
      soup_message_headers_get_content_type(soup_message_get_response_headers(msg), NULL);
  g_autoptr(JsonNode) root = g_strcmp0(type, "application/json") == 0 ? parse(reply) : NULL;
  if (root)
    print_json(root, lines);
  else
    fwrite(g_bytes_get_data(reply, NULL), 1, g_bytes_get_size(reply), stdout);
  return EXIT_OK;
}

/* ---- passwords ---- */

static char *
read_secret(const char *prompt)
{
  gboolean tty = isatty(STDIN_FILENO);
  struct termios old, quiet;
  if (tty) {
    fprintf(stderr, "%s", prompt);
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  char line[512];
  char *got = fgets(line, sizeof line, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fprintf(stderr, "\n");
  }
  if (got == NULL)
    return NULL;
  line[strcspn(line, "\r\n")] = '\0';
  char *secret = g_strdup(line);
  explicit_bzero(line, sizeof line);
  return secret;
}

static char *
password_body(const char *password)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "password");
  json_builder_add_string_value(b, password);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

/* password ROLE: the first start's setup, or a change. */
static int
set_password(Client *cl, const char *role)
{
  if (!g_str_equal(role, "operator") && !g_str_equal(role, "technician"))
    return usage_error("password");
  g_autofree char *password = read_secret("new password: ");
  if (password == NULL) {
    fprintf(stderr, "shopcastctl: no password on standard input\n");
    return EXIT_USAGE;
  }
  g_autofree char *body = password_body(password);
  explicit_bzero(password, strlen(password));
  g_autoptr(SoupMessage) probe = new_message(cl, "GET", "/api/v1/setup", NULL);
  g_autoptr(GBytes) state = send_message(cl, probe);
  if (state == NULL)
    return EXIT_UNAVAILABLE;
  gboolean setup = strstr(g_bytes_get_data(state, NULL), "\"needs_setup\":true") != NULL;
  if (setup && g_str_equal(role, "technician"))
    return request(cl, "POST", "/api/v1/setup", body, FALSE);
  g_autofree char *path = g_strdup_printf("/api/v1/passwords/%s", role);
  return request(cl, "PUT", path, body, FALSE);
}

static int
login(Client *cl, const char *role)
{
  const char *env = g_getenv("SHOPCAST_PASSWORD");
  g_autofree char *password = env ? g_strdup(env) : read_secret("password: ");
  if (password == NULL) {
    fprintf(stderr, "shopcastctl: no password (set SHOPCAST_PASSWORD or type it)\n");
    return EXIT_DENIED;
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "role");
  json_builder_add_string_value(b, role);
  json_builder_set_member_name(b, "password");
  json_builder_add_string_value(b, password);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *body = json_to_string(root, FALSE);
  g_autoptr(SoupMessage) msg = new_message(cl, "POST", "/api/v1/session", body);
  g_autoptr(GBytes) reply = msg ? send_message(cl, msg) : NULL;
  if (reply == NULL)
    return EXIT_UNAVAILABLE;
  if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(msg)))
    return refused(msg, reply), EXIT_DENIED;
  const char *set =
      soup_message_headers_get_one(soup_message_get_response_headers(msg), "Set-Cookie");
  if (set)
    cl->cookie = g_strndup(set, strcspn(set, ";"));
  g_autoptr(JsonNode) session = parse(reply);
  cl->csrf = g_strdup(
      json_object_get_string_member_with_default(json_node_get_object(session), "csrf", ""));
  return EXIT_OK;
}

/* ---- commands that are more than one request ---- */

static int
config_set(Client *cl, char **args, guint n)
{
  gboolean unset = g_str_equal(args[1], "unset");
  if (n != (unset ? 4u : 5u) || (!unset && !g_str_equal(args[1], "set")))
    return usage_error("config");
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "groups");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, args[2]);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, args[3]);
  if (unset)
    json_builder_add_null_value(b);
  else
    json_builder_add_string_value(b, args[4]);
  json_builder_end_object(b);
  json_builder_end_object(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *body = json_to_string(root, FALSE);
  return request(cl, "PUT", "/api/v1/config", body, FALSE);
}

static int
save_preview(Client *cl, const char *file)
{
  for (guint attempt = 0; attempt < 20; attempt++) { /* the preview starts on the first ask */
    g_autoptr(SoupMessage) msg = new_message(cl, "GET", "/api/v1/preview.jpg", NULL);
    g_autoptr(GBytes) reply = send_message(cl, msg);
    if (reply == NULL)
      return EXIT_UNAVAILABLE;
    guint status = soup_message_get_status(msg);
    if (status == SOUP_STATUS_SERVICE_UNAVAILABLE) {
      g_usleep(250 * 1000);
      continue;
    }
    if (!SOUP_STATUS_IS_SUCCESSFUL(status))
      return refused(msg, reply);
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(file, g_bytes_get_data(reply, NULL), (gssize)g_bytes_get_size(reply),
                             &error)) {
      fprintf(stderr, "shopcastctl: %s\n", error->message);
      return EXIT_REFUSED;
    }
    return EXIT_OK;
  }
  fprintf(stderr, "shopcastctl: no preview frame within 5 s (is the program encoding?)\n");
  return EXIT_REFUSED;
}

/* ---- update: the bundle uploaded, then RAUC's progress followed ---- */

static void
on_upload_progress(SoupMessage *msg, guint n, gpointer data)
{
  goffset *sent = data;
  goffset total = sent[1], before = sent[0];
  sent[0] += n;
  if (total > 0 && sent[0] * 10 / total != before * 10 / total)
    fprintf(stderr, "shopcastctl: uploaded %" G_GOFFSET_FORMAT "%%\n", sent[0] * 100 / total);
}

static int
upload_bundle(Client *cl, const char *file)
{
  g_autoptr(GError) error = NULL;
  /* mapped, not read: a bundle is as large as a root file system */
  g_autoptr(GMappedFile) map = g_mapped_file_new(file, FALSE, &error);
  if (map == NULL) {
    fprintf(stderr, "shopcastctl: %s\n", error->message);
    return EXIT_USAGE;
  }
  g_autoptr(GBytes) bundle = g_mapped_file_get_bytes(map);
  g_autoptr(SoupMessage) msg = new_message(cl, "POST", "/api/v1/firmware", NULL);
  goffset sent[2] = {0, (goffset)g_bytes_get_size(bundle)};
  soup_message_set_request_body_from_bytes(msg, "application/octet-stream", bundle);
  /* refused (live, no RAUC, no room) before the bundle is sent */
  soup_message_headers_set_expectations(soup_message_get_request_headers(msg),
                                        SOUP_EXPECTATION_CONTINUE);
  g_signal_connect(msg, "wrote-body-data", G_CALLBACK(on_upload_progress), sent);
  g_autoptr(GBytes) reply = send_message(cl, msg);
  if (reply == NULL)
    return EXIT_UNAVAILABLE;
  if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(msg)))
    return refused(msg, reply);
  return EXIT_OK;
}

/* Prints each new state of the installation; returns when it ends. */
static int
follow_install(Client *cl)
{
  g_autofree char *last = NULL;
  gint64 end = g_get_monotonic_time() + INSTALL_TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < end) {
    g_autoptr(SoupMessage) msg = new_message(cl, "GET", "/api/v1/firmware", NULL);
    g_autoptr(GBytes) reply = send_message(cl, msg);
    if (reply == NULL || !SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(msg)))
      return reply ? refused(msg, reply) : EXIT_UNAVAILABLE;
    g_autoptr(JsonNode) root = parse(reply);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    const char *state = o ? json_object_get_string_member_with_default(o, "state", "") : "";
    const char *message = o ? json_object_get_string_member_with_default(o, "message", "") : "";
    g_autofree char *line = g_strdup_printf("%s: %s", state, message);
    if (g_strcmp0(line, last) != 0)
      printf("%s\n", line);
    fflush(stdout);
    g_free(last);
    last = g_steal_pointer(&line);
    if (g_str_equal(state, "installed"))
      return EXIT_OK;
    if (!g_str_equal(state, "installing") && !g_str_equal(state, "receiving"))
      return EXIT_REFUSED;
    g_usleep(G_USEC_PER_SEC / 2);
  }
  fprintf(stderr, "shopcastctl: the installation did not end within %d minutes\n",
          INSTALL_TIMEOUT_S / 60);
  return EXIT_REFUSED;
}

static int
update(Client *cl, const char *file)
{
  int status = upload_bundle(cl, file);
  return status == EXIT_OK ? follow_install(cl) : status;
}

/* system set network static ADDRESS/PREFIX GATEWAY [DNS...]: the DNS
 * servers go as one member (the box allows 3 and says so). */
static int
system_static(Client *cl, char **args, guint n)
{
  if (n < 6)
    return usage_error("system");
  g_autofree char *dns = g_strjoinv(" ", args + 6);
  g_autoptr(JsonBuilder) b = json_builder_new();
  const char *names[] = {"network", "address", "gateway", "dns"};
  const char *values[] = {"static", args[4], args[5], dns};
  json_builder_begin_object(b);
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    json_builder_set_member_name(b, names[i]);
    json_builder_add_string_value(b, values[i]);
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *body = json_to_string(root, FALSE);
  return request(cl, "POST", "/api/v1/system", body, FALSE);
}

static int
run(Client *cl, char **args, guint n)
{
  if (g_str_equal(args[0], "password"))
    return n == 2 ? set_password(cl, args[1]) : usage_error("password");
  if (g_str_equal(args[0], "config") && n > 1)
    return config_set(cl, args, n);
  if (g_str_equal(args[0], "preview"))
    return n == 2 ? save_preview(cl, args[1]) : usage_error("preview");
  if (g_str_equal(args[0], "update"))
    return n == 2 ? update(cl, args[1]) : usage_error("update");
  if (n >= 4 && g_str_equal(args[0], "system") && g_str_equal(args[1], "set") &&
      g_str_equal(args[2], "network") && g_str_equal(args[3], "static"))
    return system_static(cl, args, n);
  Request r = {0};
  const Command *c = match(args, n, &r);
  if (c == NULL) {
    g_clear_object(&r.body);
    return usage_error(args[0]);
  }
  g_autoptr(JsonNode) root = json_builder_get_root(r.body);
  g_autofree char *body = r.has_body ? json_to_string(root, FALSE) : NULL;
  if (body == NULL && !g_str_equal(c->method, "GET"))
    body = g_strdup("{}");
  int status = request(cl, c->method, r.path, body, c->lines);
  g_object_unref(r.body);
  g_free(r.path);
  return status;
}

static const char *const help =
    "Commands (README.md, \"shopcastctl\", has the details):\n"
    "  status | events [N] | board | logs | metrics | preflight\n"
    "  live on|off\n"
    "  show status|next|previous|reload | show goto ID | show move ID POSITION\n"
    "  show flash start|stop|reset | show coupon on|off | show stock N|on|off | show price PRICE\n"
    "  show lower NAME [ROLE] | show lower off | show opening on|off | show closing on|off\n"
    "  audio [status] | audio gain DB | audio mute on|off | audio sync MS\n"
    "  audio drill off|stall|on\n"
    "  camera status | camera switch NAME | camera get NAME | camera set NAME CONTROL VALUE\n"
    "  camera drill NAME off|stall|on\n"
    "  studio | studio scene NAME | studio press BUTTON [MS]\n"
    "  reconnect [DESTINATION] | drill UPLINK SECONDS | drill pipeline SECONDS\n"
    "  config | config set GROUP KEY VALUE | config unset GROUP KEY\n"
    "  recording | report [status [SHOW]] | report list | report set KEY VALUE [SHOW]\n"
    "  report generate [SHOW] | report path [SHOW]\n"
    "  report html|csv [SHOW]         (the post-show report's file, on standard output)\n"
    "  password operator|technician   (reads the new password from standard input)\n"
    "  preview FILE.jpg               (the program preview, as the panel shows it)\n"
    "  firmware                       (the running firmware, its slot, an update's state)\n"
    "  system | system set hostname NAME   (the box's name and wired network; not while live)\n"
    "  system set network dhcp | system set network static ADDRESS/PREFIX GATEWAY [DNS...]\n"
    "  update BUNDLE.raucb            (installs a firmware update; the box restarts into it;\n"
    "                                 refused while live)\n";

int
main(int argc, char **argv)
{
  g_autofree char *socket_path = NULL, *url = NULL, *role = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
      {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
       "shopcastd's control socket (default " DEFAULT_SOCKET ", or $SHOPCAST_CONTROL)", "PATH"},
      {"url", 'u', 0, G_OPTION_ARG_STRING, &url, "a box on the network, e.g. http://box:8080",
       "URL"},
      {"role", 'r', 0, G_OPTION_ARG_STRING, &role,
       "with --url: log in as operator or technician (default technician)", "ROLE"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGUMENT...]");
  g_option_context_set_summary(ctx, "Runs a command on shopcastd through its control API.");
  g_option_context_set_description(ctx, help);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_strict_posix(ctx, TRUE); /* options end at the command */
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "shopcastctl: %s (see --help)\n", error->message);
    return EXIT_USAGE;
  }
  if (version) {
    printf("shopcastctl %s\n", SC_VERSION);
    return EXIT_OK;
  }
  if (argc < 2) {
    fprintf(stderr, "shopcastctl: no command given (see --help)\n");
    return EXIT_USAGE;
  }
  Client cl = {0};
  if (url) {
    cl.base = g_strdup(url);
    g_strchomp(cl.base);
    if (g_str_has_suffix(cl.base, "/"))
      cl.base[strlen(cl.base) - 1] = '\0';
    cl.origin = g_strdup(cl.base);
    cl.where = g_strdup(cl.base);
    cl.session = soup_session_new_with_options("timeout", TIMEOUT_S, NULL);
  } else {
    const char *path = socket_path ? socket_path : g_getenv("SHOPCAST_CONTROL");
    cl.where = g_strdup(path ? path : DEFAULT_SOCKET);
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(cl.where);
    cl.base = g_strdup("http://localhost");
    cl.session =
        soup_session_new_with_options("timeout", TIMEOUT_S, "remote-connectable", address, NULL);
  }
  int status = EXIT_OK;
  if (url && !g_str_equal(argv[1], "password"))
    status = login(&cl, role ? role : "technician");
  if (status == EXIT_OK)
    status = run(&cl, argv + 1, (guint)argc - 1);
  g_object_unref(cl.session);
  g_free(cl.base);
  g_free(cl.csrf);
  g_free(cl.cookie);
  g_free(cl.origin);
  g_free(cl.where);
  return status;
}
