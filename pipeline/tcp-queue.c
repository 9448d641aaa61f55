#define G_LOG_DOMAIN "shopcast-tcp-queue"

#include "pipeline/tcp-queue.h"

#include <errno.h>
#include <gio/gio.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static gboolean
fail(GError **error, const char *what)
{
  int saved = errno;
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "%s: %s", what, g_strerror(saved));
  return FALSE;
}

gboolean
sc_tcp_queue_read(int fd, ScTcpQueue *queue, GError **error)
{
  *queue = (ScTcpQueue){0};
  int outq = 0;
  if (fd < 0) {
    errno = EBADF;
    return fail(error, "no socket");
  }
  if (ioctl(fd, SIOCOUTQ, &outq) != 0)
    return fail(error, "SIOCOUTQ");
  struct tcp_info info;
  memset(&info, 0, sizeof info);
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    return fail(error, "TCP_INFO");
  queue->outq_bytes = (guint32)MAX(outq, 0);
  queue->notsent_bytes = info.tcpi_notsent_bytes;
  queue->rtt_us = info.tcpi_rtt;
  queue->rto_us = info.tcpi_rto;
  queue->min_rtt_us = info.tcpi_min_rtt;
  queue->bytes_acked = info.tcpi_bytes_acked;
  queue->cwnd_segments = info.tcpi_snd_cwnd;
  queue->retransmits = info.tcpi_total_retrans;
  return TRUE;
}
