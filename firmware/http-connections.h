/* http-connections.h - the HTTP server's connections: accepted here, handed
 * to libsoup, and closed once their client has gone.
 *
 * Two faults of libsoup 3.2 (Debian 12's) are worked around here:
 *  - Its listener keeps a reference to every socket it accepts: about 340
 *    bytes lost per connection, some 0.5 MB an hour for a panel and a
 *    monitoring script. So the server never listens itself: the sockets are
 *    accepted here (a GSocketService) and each connection is handed over with
 *    soup_server_accept_iostream(), which takes only what it keeps. libsoup
 *    answers one request on such a connection, then closes it: every answer
 *    says "Connection: close", so that no client sends a second one on it.
 *  - It never closes a connection whose client went away between two
 *    requests (or before its first): a browser's preconnect, a closed tab or
 *    a dropped Wi-Fi would each keep a descriptor for good. Once a second,
 *    while no request is being answered, a connection whose client has closed
 *    its end is closed here, so that libsoup's next read fails and lets it go.
 *    (libsoup says nothing of which connection a request came on when it did
 *    not accept it, so the server's requests are counted as a whole: a client
 *    that half-closes its end while it waits for an answer keeps its answer.)
 *
 * Every socket accepted is followed to its end: sc_http_connections_count()
 * is the number not yet freed, WebSockets included, so that a connection
 * held by anyone after its client left shows.
 *
 * Main thread only (the server's thread).
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _ScHttpConnections ScHttpConnections;

/* Accepts connections for @server (which must outlive the handle). */
ScHttpConnections *sc_http_connections_new(SoupServer *server);
/* Stops accepting and following; connections libsoup has stay with it (see
 * soup_server_disconnect()). No signal of the server reaches the handle after
 * this. */
void sc_http_connections_free(ScHttpConnections *self);

/* Accepts connections on @socket, bound and listening; TCP ones without
 * Nagle's delay. */
gboolean sc_http_connections_listen(ScHttpConnections *self, GSocket *socket, GError **error);

/* The request of @msg became a WebSocket: it is no longer being answered. */
void sc_http_connections_upgraded(ScHttpConnections *self, SoupServerMessage *msg);

/* Sockets accepted and not yet freed, after closing those their clients
 * left. */
guint sc_http_connections_count(ScHttpConnections *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScHttpConnections, sc_http_connections_free)

G_END_DECLS
