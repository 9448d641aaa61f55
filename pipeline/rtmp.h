/* rtmp.h - an RTMP/RTMPS publishing client.
 *
 * One ScRtmp is one publishing connection to one ingest. shopcast owns the
 * socket (rather than using rtmp2sink) so that an output can choose the uplink
 * it leaves by (source address or interface), bound how long unacknowledged
 * data may hide a dead path (TCP_USER_TIMEOUT, SO_SNDBUF), and read the
 * socket's send queue for congestion control.
 *
 * Threading: every call blocks and belongs to the one output thread that owns
 * the connection; nothing here touches a main loop. Each blocking step is
 * bounded by the timeouts in ScRtmpParams and can be aborted with the
 * GCancellable (then the error is G_IO_ERROR_CANCELLED).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SC_RTMP_ERROR (sc_rtmp_error_quark())
GQuark sc_rtmp_error_quark(void);

typedef enum {
  SC_RTMP_ERROR_URL,       /* the URL cannot be used */
  SC_RTMP_ERROR_CONNECT,   /* no TCP/TLS connection: refused, unreachable, timed out, TLS failure */
  SC_RTMP_ERROR_HANDSHAKE, /* the peer did not complete the RTMP handshake */
  SC_RTMP_ERROR_REJECTED,  /* the server refused connect or publish: wrong app or key, already
                              publishing; the message carries the server's code and description */
  SC_RTMP_ERROR_IO,        /* the connection was reset or closed while publishing */
  SC_RTMP_ERROR_TIMEOUT,   /* the peer stopped reading or answering within the timeout */
  SC_RTMP_ERROR_PROTOCOL,  /* the server sent something malformed */
} ScRtmpError;

typedef struct {
  const char *url;            /* rtmp://host[:port]/app[/instance] or rtmps://... */
  const char *stream_key;     /* the publish name, may hold a ?query; secret: never logged */
  const char *local_address;  /* NULL, or the source address to bind before connecting */
  const char *bind_interface; /* NULL, or an interface name for SO_BINDTODEVICE */
  const char *tls_ca_file;    /* NULL: the system trust store; else a PEM file of trusted CAs */
  guint connect_timeout_ms;   /* whole connect: TCP, TLS, handshake, connect, publish; 0 = 5000 */
  guint send_timeout_ms;      /* how long sent data may stay unacknowledged, and how long one
                                 send may block (TCP_USER_TIMEOUT and poll); 0 = 3000 */
  guint send_buffer_bytes;    /* SO_SNDBUF; 0 leaves the kernel's default */
} ScRtmpParams;

typedef struct _ScRtmp ScRtmp;

/* Connects and starts publishing: TCP (+TLS for rtmps), handshake, connect,
 * releaseStream/FCPublish, createStream, publish(key, "live"), and waits for
 * NetStream.Publish.Start. Returns NULL with @error on any failure. */
ScRtmp *sc_rtmp_connect(const ScRtmpParams *params, GCancellable *cancellable,
                        GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Sends one media message: @type is the FLV tag type (8 audio, 9 video, 18 script
 * data) and @body the FLV tag body. A script body ("onMetaData" ...) is sent
 * as "@setDataFrame" data, as publishers must. Before writing it handles what
 * the server sent meanwhile (acknowledgements, pings, window size, onStatus
 * errors, close) without blocking. */
gboolean sc_rtmp_send(ScRtmp *self, guint8 type, guint32 timestamp_ms, const guint8 *body,
                      gsize len, GCancellable *cancellable,
                      GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The connected TCP socket, for reading its send queue (SIOCOUTQ, TCP_INFO). */
int sc_rtmp_get_fd(ScRtmp *self);

/* Changes send_timeout_ms (TCP_USER_TIMEOUT and the bound of one send) on
 * the open connection, from its next send. */
void sc_rtmp_set_send_timeout(ScRtmp *self, guint ms);

/* Bytes of media written since connect. */
guint64 sc_rtmp_get_bytes_sent(ScRtmp *self);

/* Ends the publication politely (FCUnpublish, deleteStream, bounded by a short
 * timeout) and closes the socket. NULL-safe. */
void sc_rtmp_close(ScRtmp *self);
/* Closes the socket at once, without a word to the server: for a connection
 * whose path is known to be dead, where a polite close would only wait. */
void sc_rtmp_abort(ScRtmp *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRtmp, sc_rtmp_close)

G_END_DECLS
