/* make bench: the panel's clients, as a benchmark drives them.
 *
 *   panel-client latency URL ROLE SAMPLES INTERVAL_MS
 *       logs in (password in $SHOPCAST_PASSWORD) and sets the stock of the
 *       product on air SAMPLES times through the API, one every INTERVAL_MS;
 *       prints one JSON line per action: {"sent_us":WALL,"stock":"N","status":200}
 *   panel-client load URL ROLE CLIENTS SECONDS
 *       opens CLIENTS WebSocket feeds that watch the status and the preview
 *       (acknowledging each frame, as the panel does) for SECONDS; prints
 *       {"clients":N,"status_messages":N,"preview_frames":N}
 */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  SoupSession *session;
  char *base, *cookie, *csrf;
} Panel;

static gboolean
login(Panel *p, const char *role)
{
  const char *password = g_getenv("SHOPCAST_PASSWORD");
  g_autofree char *body =
      g_strdup_printf("{\"role\":\"%s\",\"password\":\"%s\"}", role, password ? password : "");
  g_autofree char *uri = g_strconcat(p->base, "/api/v1/session", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new("POST", uri);
  g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
  soup_message_set_request_body_from_bytes(msg, "application/json", b);
  g_autoptr(GBytes) reply = soup_session_send_and_read(p->session, msg, NULL, NULL);
  if (reply == NULL || soup_message_get_status(msg) != 200) {
    fprintf(stderr, "panel-client: login refused\n");
    return FALSE;
  }
  const char *set =
      soup_message_headers_get_one(soup_message_get_response_headers(msg), "Set-Cookie");
  p->cookie = g_strndup(set, strcspn(set, ";"));
  g_autoptr(JsonParser) parser = json_parser_new();
  json_parser_load_from_data(parser, g_bytes_get_data(reply, NULL), (gssize)g_bytes_get_size(reply),
                             NULL);
  p->csrf = g_strdup(
      json_object_get_string_member(json_node_get_object(json_parser_get_root(parser)), "csrf"));
  return TRUE;
}

static int
latency(Panel *p, guint samples, guint interval_ms)
{
  g_autofree char *uri = g_strconcat(p->base, "/api/v1/show/stock", NULL);
  for (guint i = 0; i < samples; i++) {
    g_autofree char *body = g_strdup_printf("{\"count\":%u}", 5000 - i);
    g_autoptr(SoupMessage) msg = soup_message_new("POST", uri);
    SoupMessageHeaders *h = soup_message_get_request_headers(msg);
    soup_message_headers_replace(h, "Cookie", p->cookie);
    soup_message_headers_replace(h, "X-CSRF-Token", p->csrf);
    soup_message_headers_replace(h, "Origin", p->base);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    soup_message_set_request_body_from_bytes(msg, "application/json", b);
    gint64 sent = g_get_real_time();
    g_autoptr(GBytes) reply = soup_session_send_and_read(p->session, msg, NULL, NULL);
    printf("{\"sent_us\":%" G_GINT64_FORMAT ",\"stock\":\"%u\",\"status\":%u}\n", sent, 5000 - i,
           soup_message_get_status(msg));
    fflush(stdout);
    g_usleep(interval_ms * 1000);
  }
  return 0;
}

typedef struct {
  SoupWebsocketConnection *ws;
  guint64 *statuses, *frames;
} Feed;

static void
on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Feed *f = data;
  if (type == SOUP_WEBSOCKET_DATA_BINARY) {
    (*f->frames)++;
    soup_websocket_connection_send_text(ws, "{\"ack\":1}");
  } else if (g_str_has_prefix(g_bytes_get_data(message, NULL), "{\"type\":\"status\"")) {
    (*f->statuses)++;
  }
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
  Feed *f = data;
  f->ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, NULL);
  if (f->ws == NULL) {
    fprintf(stderr, "panel-client: a feed was refused\n");
    return;
  }
  g_signal_connect(f->ws, "message", G_CALLBACK(on_message), f);
  soup_websocket_connection_send_text(f->ws, "{\"preview\":true}");
}

static gboolean
stop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static int
load(Panel *p, guint clients, guint seconds)
{
  guint64 statuses = 0, frames = 0;
  g_autofree Feed *feeds = g_new0(Feed, clients);
  g_autofree char *ws = g_strdup_printf("ws%s/api/v1/ws", p->base + strlen("http"));
  for (guint i = 0; i < clients; i++) {
    feeds[i].statuses = &statuses;
    feeds[i].frames = &frames;
    g_autoptr(SoupMessage) msg = soup_message_new("GET", ws);
    soup_message_headers_replace(soup_message_get_request_headers(msg), "Cookie", p->cookie);
    soup_session_websocket_connect_async(p->session, msg, p->base, NULL, G_PRIORITY_DEFAULT, NULL,
                                         on_connected, &feeds[i]);
  }
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_timeout_add_seconds(seconds, stop, loop);
  g_main_loop_run(loop);
  guint open = 0;
  for (guint i = 0; i < clients; i++)
    if (feeds[i].ws) {
      open++;
      soup_websocket_connection_close(feeds[i].ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref(feeds[i].ws);
    }
  printf("{\"clients\":%u,\"status_messages\":%" G_GUINT64_FORMAT
         ",\"preview_frames\":%" G_GUINT64_FORMAT "}\n",
         open, statuses, frames);
  return open == clients ? 0 : 1;
}

int
main(int argc, char **argv)
{
  if (argc != 6 || (!g_str_equal(argv[1], "latency") && !g_str_equal(argv[1], "load"))) {
    fprintf(stderr,
            "usage: panel-client latency|load URL ROLE SAMPLES|CLIENTS INTERVAL_MS|SECONDS\n");
    return 64;
  }
  Panel p = {.base = argv[2]};
  p.session =
      soup_session_new_with_options("timeout", 30, "max-conns", 64, "max-conns-per-host", 64, NULL);
  if (!login(&p, argv[3]))
    return 1;
  guint a = (guint)g_ascii_strtoull(argv[4], NULL, 10),
        b = (guint)g_ascii_strtoull(argv[5], NULL, 10);
  int status = g_str_equal(argv[1], "latency") ? latency(&p, a, b) : load(&p, a, b);
  g_object_unref(p.session);
  g_free(p.cookie);
  g_free(p.csrf);
  return status;
}
