/* http-connections.h - the HTTP server's clients' connections, followed so
 * that one whose client went away is closed.
 *
 * libsoup 3.2 never closes a connection whose client went away between two
 * requests (or before its first): a browser's preconnect, a closed tab or a
 * dropped Wi-Fi would each keep a descriptor for good. Every connection is
 * followed from its first request (the server's request-* signals); once a
 * second, one that is between requests and whose client has closed its end
 * is closed here, so that libsoup's next read fails and lets it go. A
 * connection upgraded to a WebSocket watches its own end and is no longer
 * followed.
 *
 * Main thread only (the server's thread).
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _ScHttpConnections ScHttpConnections;

/* Follows @server's connections (the server must outlive the handle). */
ScHttpConnections *sc_http_connections_new(SoupServer *server);
/* Stops following: no signal of the server reaches the handle after this. */
void sc_http_connections_free(ScHttpConnections *self);

/* The connection of @msg is a WebSocket now. */
void sc_http_connections_upgraded(ScHttpConnections *self, SoupServerMessage *msg);

/* Clients' connections open now (WebSockets not counted), after closing
 * those their clients left. */
guint sc_http_connections_count(ScHttpConnections *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScHttpConnections, sc_http_connections_free)

G_END_DECLS
