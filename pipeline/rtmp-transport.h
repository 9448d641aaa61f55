/* rtmp-transport.h - the byte stream under the RTMP client (private to it).
 *
 * A TCP socket made by hand, because the source address, the interface and
 * the TCP options must be set before connect(); then wrapped in GIO, so that
 * TLS (rtmps://) can sit on it. Every read and write is non-blocking
 * underneath and waits on a private GMainContext, so each is bounded by a
 * deadline and can be cancelled. GSocket sends with MSG_NOSIGNAL: a dead peer
 * is an error here, never a SIGPIPE.
 *
 * Threading: one thread at a time (the connection's owner).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How long an I/O step may take. */
typedef struct {
  gint64 deadline; /* monotonic microseconds */
  gint64 stall_us; /* > 0: the deadline moves on by this much whenever bytes move */
} ScRtmpBound;

/* A bound @ms from now; with @stall, measured from the last progress. */
ScRtmpBound sc_rtmp_bound_in(guint ms, gboolean stall);

typedef struct {
  const char *host; /* name or address literal */
  guint16 port;
  const char *peer; /* "host:port" as messages show it */
  gboolean tls;
  const char *local_address;  /* NULL, or the source address to bind */
  const char *bind_interface; /* NULL, or an interface for SO_BINDTODEVICE */
  const char *tls_ca_file;    /* NULL: the system trust store */
  guint user_timeout_ms;      /* TCP_USER_TIMEOUT */
  guint send_buffer_bytes;    /* SO_SNDBUF; 0 keeps the kernel's */
  guint connect_timeout_ms;   /* only quoted in messages: @bound is what counts */
} ScRtmpTransportParams;

typedef struct _ScRtmpTransport ScRtmpTransport;

/* Resolves, connects and (with tls) completes the TLS handshake within
 * @bound. Errors: SC_RTMP_ERROR_CONNECT, or G_IO_ERROR_CANCELLED. */
ScRtmpTransport *sc_rtmp_transport_connect(const ScRtmpTransportParams *params,
                                           const ScRtmpBound *bound, GCancellable *cancellable,
                                           GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Reads at least one byte; 0 means the peer closed. With @bound NULL it does
 * not wait: no data yet is G_IO_ERROR_WOULD_BLOCK. Errors are GIO's (and
 * G_IO_ERROR_TIMED_OUT at the bound). */
gssize sc_rtmp_transport_read(ScRtmpTransport *self, guint8 *buf, gsize size, ScRtmpBound *bound,
                              GCancellable *cancellable, GError **error);
/* Reads exactly @len bytes; the peer closing first is G_IO_ERROR_CONNECTION_CLOSED. */
gboolean sc_rtmp_transport_read_exact(ScRtmpTransport *self, guint8 *buf, gsize len,
                                      ScRtmpBound *bound, GCancellable *cancellable,
                                      GError **error);
gboolean sc_rtmp_transport_write_all(ScRtmpTransport *self, const guint8 *data, gsize len,
                                     ScRtmpBound *bound, GCancellable *cancellable, GError **error);
/* Sends FIN after what was written (TCP half-close). */
gboolean sc_rtmp_transport_shutdown_write(ScRtmpTransport *self);
int sc_rtmp_transport_get_fd(ScRtmpTransport *self);
/* Closes without waiting (no TLS close_notify) and frees. NULL-safe. */
void sc_rtmp_transport_close(ScRtmpTransport *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRtmpTransport, sc_rtmp_transport_close)

G_END_DECLS
