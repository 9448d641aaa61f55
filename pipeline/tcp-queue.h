/* tcp-queue.h - what a connected TCP socket holds back: the congestion signal
 * of an output that does not wait for TCP to fail.
 *
 * Read from the kernel (SIOCOUTQ and TCP_INFO) without touching the stream:
 * bytes written but not yet acknowledged by the peer (in flight or waiting
 * in the send buffer), the round-trip time, and how many bytes the peer has
 * acknowledged since connect, from which a caller derives the throughput the
 * path really delivers. Pure syscalls on a caller-owned fd; any thread, as
 * long as the fd stays open during the call.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint32 outq_bytes;    /* written, not yet acknowledged (SIOCOUTQ) */
  guint32 notsent_bytes; /* of which not even sent yet (the send buffer's backlog) */
  guint32 rtt_us;        /* smoothed round-trip time */
  guint32 rto_us;        /* retransmission timeout */
  guint32 min_rtt_us;    /* the lowest seen on this connection: the path without queues */
  guint64 bytes_acked;   /* acknowledged by the peer since connect */
  guint32 cwnd_segments; /* congestion window */
  guint32 retransmits;   /* segments retransmitted since connect */
} ScTcpQueue;

/* Fills @queue for the socket @fd. FALSE with @error (G_IO_ERROR) when the
 * kernel cannot say (not a TCP socket, closed). */
gboolean sc_tcp_queue_read(int fd, ScTcpQueue *queue, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
