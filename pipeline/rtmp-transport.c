/* rtmp-transport.c - TCP (+TLS) for the RTMP client, every step bounded. */
#include "pipeline/rtmp-transport.h"

#include "pipeline/rtmp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_WAKEUPS 100000 /* wake-ups in one bounded wait (time bounds it first) */

struct _ScRtmpTransport {
  GMainContext *ctx; /* private: runs the bounded waits */
  GSocket *socket;
  GIOStream *io; /* the GSocketConnection, or the GTlsConnection over it */
  GPollableInputStream *in;
  GPollableOutputStream *out;
};

ScRtmpBound
sc_rtmp_bound_in(guint ms, gboolean stall)
{
  gint64 us = (gint64)ms * 1000;
  return (ScRtmpBound){g_get_monotonic_time() + us, stall ? us : 0};
}

static void
progress(ScRtmpBound *b)
{
  if (b->stall_us > 0)
    b->deadline = g_get_monotonic_time() + b->stall_us;
}

static gboolean
timed_out(GError **error)
{
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
  return FALSE;
}

/* ---- bounded waits on the private context ---- */

static gboolean
on_flag(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_pollable(GObject *stream, gpointer data)
{
  return on_flag(data);
}

static GSource *
attach_timer(GMainContext *ctx, gint64 deadline, GSourceFunc func, gpointer data)
{
  gint64 left = MAX(0, deadline - g_get_monotonic_time());
  GSource *timer = g_timeout_source_new((guint)MIN((left + 999) / 1000, G_MAXUINT));
  g_source_set_callback(timer, func, data, NULL);
  g_source_attach(timer, ctx);
  return timer;
}

/* Waits until the connection can be read (G_IO_IN) or written (G_IO_OUT). */
static gboolean
wait_ready(ScRtmpTransport *self, GIOCondition cond, const ScRtmpBound *b, GCancellable *c,
           GError **error)
{
  if (g_get_monotonic_time() >= b->deadline)
    return timed_out(error);
  gboolean ready = FALSE, expired = FALSE;
  g_autoptr(GSource) src = cond == G_IO_IN ? g_pollable_input_stream_create_source(self->in, c)
                                           : g_pollable_output_stream_create_source(self->out, c);
  g_source_set_callback(src, G_SOURCE_FUNC(on_pollable), &ready, NULL);
  g_source_attach(src, self->ctx);
  g_autoptr(GSource) timer = attach_timer(self->ctx, b->deadline, on_flag, &expired);
  while (!ready && !expired) /* the timer ends it */
    g_main_context_iteration(self->ctx, TRUE);
  g_source_destroy(src);
  g_source_destroy(timer);
  if (g_cancellable_set_error_if_cancelled(c, error))
    return FALSE;
  return ready ? TRUE : timed_out(error);
}

typedef void (*StartAsync)(gpointer op, GCancellable *c, GAsyncReadyCallback done, gpointer data);

typedef struct {
  GAsyncResult *result;
  GCancellable *cancel;
  gboolean expired;
} Pending;

static void
on_async_done(GObject *source, GAsyncResult *result, gpointer data)
{
  ((Pending *)data)->result = g_object_ref(result);
}

static gboolean
on_async_deadline(gpointer data)
{
  Pending *p = data;
  p->expired = TRUE;
  g_cancellable_cancel(p->cancel);
  return G_SOURCE_REMOVE;
}

static void
forward_cancel(GCancellable *user, gpointer data)
{
  g_cancellable_cancel(data);
}

/* Runs one GIO async call on the private context, cancelling it at the
 * deadline. GIO always completes a cancelled call, so the loop ends. */
static GAsyncResult *
run_bounded(ScRtmpTransport *self, StartAsync start, gpointer op, const ScRtmpBound *b,
            GCancellable *user, gboolean *expired)
{
  Pending p = {.cancel = g_cancellable_new()};
  gulong link = user ? g_cancellable_connect(user, G_CALLBACK(forward_cancel), p.cancel, NULL) : 0;
  g_main_context_push_thread_default(self->ctx);
  start(op, p.cancel, on_async_done, &p);
  g_autoptr(GSource) timer = attach_timer(self->ctx, b->deadline, on_async_deadline, &p);
  while (p.result == NULL)
    g_main_context_iteration(self->ctx, TRUE);
  g_source_destroy(timer);
  g_main_context_pop_thread_default(self->ctx);
  if (user)
    g_cancellable_disconnect(user, link);
  g_object_unref(p.cancel);
  *expired = p.expired;
  return p.result;
}

/* ---- byte I/O ---- */

gssize
sc_rtmp_transport_read(ScRtmpTransport *self, guint8 *buf, gsize size, ScRtmpBound *b,
                       GCancellable *c, GError **error)
{
  for (guint i = 0; i < MAX_WAKEUPS; i++) {
    GError *local = NULL;
    gssize n = g_pollable_input_stream_read_nonblocking(self->in, buf, size, c, &local);
    if (n >= 0) {
      if (b)
        progress(b);
      return n;
    }
    if (b == NULL || !g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_propagate_error(error, local);
      return -1;
    }
    g_error_free(local);
    if (!wait_ready(self, G_IO_IN, b, c, error))
      return -1;
  }
  timed_out(error);
  return -1;
}

gboolean
sc_rtmp_transport_read_exact(ScRtmpTransport *self, guint8 *buf, gsize len, ScRtmpBound *b,
                             GCancellable *c, GError **error)
{
  for (gsize off = 0; off < len;) { /* each pass reads a byte or fails */
    gssize n = sc_rtmp_transport_read(self, buf + off, len - off, b, c, error);
    if (n < 0)
      return FALSE;
    if (n == 0) {
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                          "the peer closed the connection");
      return FALSE;
    }
    off += n;
  }
  return TRUE;
}

gboolean
sc_rtmp_transport_write_all(ScRtmpTransport *self, const guint8 *data, gsize len, ScRtmpBound *b,
                            GCancellable *c, GError **error)
{
  gsize off = 0;
  for (guint i = 0; off < len && i < MAX_WAKEUPS; i++) {
    GError *local = NULL;
    gssize n =
        g_pollable_output_stream_write_nonblocking(self->out, data + off, len - off, c, &local);
    if (n > 0) {
      off += n;
      progress(b);
      continue;
    }
    if (n < 0 && !g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_propagate_error(error, local);
      return FALSE;
    }
    g_clear_error(&local);
    if (!wait_ready(self, G_IO_OUT, b, c, error))
      return FALSE;
  }
  return off == len ? TRUE : timed_out(error);
}

/* ---- TCP ---- */

static gboolean
set_option(int fd, int level, int name, const void *value, socklen_t len, const char *what,
           GError **error)
{
  if (setsockopt(fd, level, name, value, len) == 0)
    return TRUE;
  int saved = errno;
  g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot set %s: %s", what,
              g_strerror(saved));
  return FALSE;
}

static gboolean
bind_local(int fd, GInetAddress *local, GError **error)
{
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(local, 0);
  struct sockaddr_storage native;
  if (g_socket_address_to_native(addr, &native, sizeof native, NULL) &&
      bind(fd, (struct sockaddr *)&native, g_socket_address_get_native_size(addr)) == 0)
    return TRUE;
  int saved = errno;
  g_autofree char *text = g_inet_address_to_string(local);
  g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot use the local address %s: %s",
              text, g_strerror(saved));
  return FALSE;
}

/* Everything that must be set before connect(). */
static gboolean
prepare_socket(int fd, const ScRtmpTransportParams *p, GInetAddress *local, GError **error)
{
  int one = 1;
  unsigned int user_timeout = p->user_timeout_ms;
  int sndbuf = (int)MIN(p->send_buffer_bytes, G_MAXINT / 2);
  if (!set_option(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one, "TCP_NODELAY", error) ||
      !set_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout,
                  "TCP_USER_TIMEOUT", error))
    return FALSE;
  if (sndbuf > 0 &&
      !set_option(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf, "SO_SNDBUF", error))
    return FALSE;
  if (p->bind_interface && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, p->bind_interface,
                                      strlen(p->bind_interface)) != 0) {
    int saved = errno;
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "cannot bind to the interface '%s': %s", p->bind_interface, g_strerror(saved));
    return FALSE;
  }
  return local == NULL || bind_local(fd, local, error);
}

static gboolean
connect_error(const ScRtmpTransportParams *p, GError *cause, GError **error)
{
  if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error(error, g_error_copy(cause));
  else if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "cannot connect to %s within %u ms (host down or port filtered?)", p->peer,
                p->connect_timeout_ms);
  else
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot connect to %s: %s", p->peer,
                cause->message);
  return FALSE;
}

static gboolean
finish_connect(GSocket *sock, GSocketAddress *remote, const ScRtmpBound *b, GCancellable *c,
               GError **error)
{
  GError *local = NULL;
  if (g_socket_connect(sock, remote, c, &local))
    return TRUE;
  if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_PENDING)) {
    g_propagate_error(error, local);
    return FALSE;
  }
  g_error_free(local);
  gint64 wait_us = MAX(1, b->deadline - g_get_monotonic_time());
  return g_socket_condition_timed_wait(sock, G_IO_OUT, wait_us, c, error) &&
         g_socket_check_connect_result(sock, error);
}

/* A connected, non-blocking socket to @addr, or NULL. */
static GSocket *
connect_one(const ScRtmpTransportParams *p, GInetAddress *addr, GInetAddress *local,
            const ScRtmpBound *b, GCancellable *c, GError **error)
{
  int family = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot create a socket: %s",
                g_strerror(saved));
    return NULL;
  }
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSocket) sock = g_socket_new_from_fd(fd, &local_error);
  if (sock == NULL) {
    close(fd);
    connect_error(p, local_error, error);
    return NULL;
  }
  /* non-blocking, so that connect() returns at once and the wait below is bounded */
  g_socket_set_blocking(sock, FALSE);
  if (!prepare_socket(fd, p, local, error))
    return NULL;
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new(addr, p->port);
  if (!finish_connect(sock, remote, b, c, &local_error)) {
    connect_error(p, local_error, error);
    return NULL;
  }
  return g_steal_pointer(&sock);
}

static void
start_lookup(gpointer op, GCancellable *c, GAsyncReadyCallback done, gpointer data)
{
  const ScRtmpTransportParams *p = op;
  g_autoptr(GResolver) resolver = g_resolver_get_default();
  g_resolver_lookup_by_name_async(resolver, p->host, c, done, data);
}

/* The host's addresses. GResolver runs getaddrinfo() on a worker thread, which
 * keeps a slow DNS server inside the connect deadline. */
static GList *
resolve(ScRtmpTransport *self, const ScRtmpTransportParams *p, const ScRtmpBound *b,
        GCancellable *c, GError **error)
{
  gboolean expired = FALSE;
  g_autoptr(GAsyncResult) result = run_bounded(self, start_lookup, (gpointer)p, b, c, &expired);
  g_autoptr(GResolver) resolver = g_resolver_get_default();
  g_autoptr(GError) local = NULL;
  GList *addrs = g_resolver_lookup_by_name_finish(resolver, result, &local);
  if (addrs)
    return addrs;
  if (expired)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot resolve %s within %u ms",
                p->host, p->connect_timeout_ms);
  else if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error(error, g_steal_pointer(&local));
  else
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot resolve %s: %s", p->host,
                local->message);
  return NULL;
}

static gboolean
connect_tcp(ScRtmpTransport *self, const ScRtmpTransportParams *p, const ScRtmpBound *b,
            GCancellable *c, GError **error)
{
  g_autoptr(GInetAddress) local =
      p->local_address ? g_inet_address_new_from_string(p->local_address) : NULL;
  if (p->local_address && local == NULL) {
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "the local address '%s' is not an IP address", p->local_address);
    return FALSE;
  }
  g_autolist(GInetAddress) addrs = resolve(self, p, b, c, error);
  GError *last = NULL;
  for (GList *l = addrs; l && self->socket == NULL; l = l->next) {
    if (local && g_inet_address_get_family(local) != g_inet_address_get_family(l->data))
      continue; /* a source address only works with its own family */
    g_clear_error(&last);
    self->socket = connect_one(p, l->data, local, b, c, &last);
    if (g_get_monotonic_time() >= b->deadline || g_cancellable_is_cancelled(c))
      break;
  }
  if (self->socket)
    return TRUE;
  if (addrs && last == NULL)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "%s has no address of the local address %s's family", p->host, p->local_address);
  if (last)
    g_propagate_error(error, last);
  return FALSE;
}

/* ---- TLS ---- */

static void
start_handshake(gpointer op, GCancellable *c, GAsyncReadyCallback done, gpointer data)
{
  g_tls_connection_handshake_async(op, G_PRIORITY_DEFAULT, c, done, data);
}

static gboolean
tls_error(const ScRtmpTransportParams *p, GError *cause, gboolean expired, GError **error)
{
  if (expired)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "no TLS handshake with %s within %u ms", p->peer, p->connect_timeout_ms);
  else if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error(error, g_error_copy(cause));
  else if (g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "the TLS certificate of %s is not trusted: %s (wrong host name, or set a CA file)",
                p->peer, cause->message);
  else if (g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS))
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT,
                "%s does not speak TLS (rtmps:// to a plain RTMP port?): %s", p->peer,
                cause->message);
  else
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "TLS with %s failed: %s", p->peer,
                cause->message);
  return FALSE;
}

static gboolean
start_tls(ScRtmpTransport *self, const ScRtmpTransportParams *p, const ScRtmpBound *b,
          GCancellable *c, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new(p->host, p->port);
  g_autoptr(GIOStream) tls = g_tls_client_connection_new(self->io, identity, &local);
  if (tls == NULL)
    return tls_error(p, local, FALSE, error);
  if (p->tls_ca_file) {
    g_autoptr(GTlsDatabase) db = g_tls_file_database_new(p->tls_ca_file, &local);
    if (db == NULL) {
      g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_CONNECT, "cannot load the CA file %s: %s",
                  p->tls_ca_file, local->message);
      return FALSE;
    }
    g_tls_connection_set_database(G_TLS_CONNECTION(tls), db);
  }
  gboolean expired = FALSE;
  g_autoptr(GAsyncResult) result = run_bounded(self, start_handshake, tls, b, c, &expired);
  if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(tls), result, &local))
    return tls_error(p, local, expired, error);
  g_object_unref(self->io);
  self->io = g_steal_pointer(&tls);
  return TRUE;
}

static void
use_stream(ScRtmpTransport *self)
{
  self->in = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(self->io));
  self->out = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(self->io));
}

/* ---- public ---- */

ScRtmpTransport *
sc_rtmp_transport_connect(const ScRtmpTransportParams *params, const ScRtmpBound *bound,
                          GCancellable *cancellable, GError **error)
{
  g_autoptr(ScRtmpTransport) self = g_new0(ScRtmpTransport, 1);
  self->ctx = g_main_context_new();
  if (!connect_tcp(self, params, bound, cancellable, error))
    return NULL;
  self->io = G_IO_STREAM(g_socket_connection_factory_create_connection(self->socket));
  if (params->tls && !start_tls(self, params, bound, cancellable, error))
    return NULL;
  use_stream(self);
  return g_steal_pointer(&self);
}

gboolean
sc_rtmp_transport_shutdown_write(ScRtmpTransport *self)
{
  return g_socket_shutdown(self->socket, FALSE, TRUE, NULL);
}

int
sc_rtmp_transport_get_fd(ScRtmpTransport *self)
{
  return g_socket_get_fd(self->socket);
}

void
sc_rtmp_transport_close(ScRtmpTransport *self)
{
  if (self == NULL)
    return;
  /* closing the socket first keeps a TLS close from blocking on a dead peer */
  if (self->socket)
    g_socket_close(self->socket, NULL);
  g_clear_object(&self->io);
  g_clear_object(&self->socket);
  g_main_context_unref(self->ctx);
  g_free(self);
}
