/* The HTTP server's connections: each followed from its first request, and
 * closed once its client has left between requests (see the header for why). */
#define G_LOG_DOMAIN "shopcast-http"

#include "firmware/http-connections.h"

#include <errno.h>
#include <sys/socket.h>

struct _ScHttpConnections {
  SoupServer *server;      /* borrowed */
  GHashTable *connections; /* GSocket* -> Connection*: every client's connection */
  guint sweep;             /* the timer that ends connections their client left */
};

typedef struct {
  GSocket *socket;
  gboolean busy;     /* a request read and not yet answered */
  gboolean upgraded; /* a WebSocket now, which watches its own end */
} Connection;

static void
connection_free(gpointer p)
{
  Connection *c = p;
  g_object_unref(c->socket);
  g_free(c);
}

static Connection *
connection_of(ScHttpConnections *self, SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket(msg);
  if (socket == NULL)
    return NULL;
  Connection *c = g_hash_table_lookup(self->connections, socket);
  if (c == NULL) {
    c = g_new0(Connection, 1);
    c->socket = g_object_ref(socket);
    g_hash_table_insert(self->connections, socket, c);
  }
  return c;
}

static void
on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  connection_of(data, msg);
}

static void
on_request_read(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Connection *c = connection_of(data, msg);
  if (c)
    c->busy = TRUE;
}

static void
on_request_done(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Connection *c = connection_of(data, msg);
  if (c)
    c->busy = FALSE;
}

/* Whether the client closed its end (or reset the connection). */
static gboolean
client_left(GSocket *socket)
{
  char byte;
  ssize_t n = recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static gboolean
sweep_connections(gpointer data)
{
  ScHttpConnections *self = data;
  GHashTableIter iter;
  Connection *c;
  g_hash_table_iter_init(&iter, self->connections);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&c)) {
    if (g_socket_is_closed(c->socket) || c->upgraded) {
      g_hash_table_iter_remove(&iter);
    } else if (!c->busy && client_left(c->socket)) {
      g_socket_close(c->socket, NULL); /* libsoup's next read fails and lets it go */
      g_hash_table_iter_remove(&iter);
    }
  }
  return G_SOURCE_CONTINUE;
}

ScHttpConnections *
sc_http_connections_new(SoupServer *server)
{
  ScHttpConnections *self = g_new0(ScHttpConnections, 1);
  self->server = server;
  self->connections = g_hash_table_new_full(NULL, NULL, NULL, connection_free);
  g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), self);
  g_signal_connect(server, "request-read", G_CALLBACK(on_request_read), self);
  g_signal_connect(server, "request-finished", G_CALLBACK(on_request_done), self);
  g_signal_connect(server, "request-aborted", G_CALLBACK(on_request_done), self);
  self->sweep = g_timeout_add_seconds(1, sweep_connections, self);
  return self;
}

void
sc_http_connections_free(ScHttpConnections *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id(&self->sweep, g_source_remove);
  g_signal_handlers_disconnect_by_data(self->server, self);
  g_hash_table_unref(self->connections);
  g_free(self);
}

void
sc_http_connections_upgraded(ScHttpConnections *self, SoupServerMessage *msg)
{
  Connection *c = connection_of(self, msg);
  if (c)
    c->upgraded = TRUE;
}

guint
sc_http_connections_count(ScHttpConnections *self)
{
  sweep_connections(self);
  return g_hash_table_size(self->connections);
}
