#define G_LOG_DOMAIN "shopcast-uplink"

#include "drivers/uplink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PROBE_INTERVAL_MS 200
#define DEFAULT_FAIL_AFTER_MS     700
#define DEFAULT_HOLD_MS           30000
#define NETLINK_BUFFER            16384
#define MAX_READS_PER_WAKEUP      64

G_DEFINE_QUARK(sc - uplink - error - quark, sc_uplink_error)

typedef struct {
  ScUplinkManager *manager;
  guint index;
  char *name, *interface;
  char **probe_hosts;
  struct in_addr *addresses; /* the probe hosts, parsed */
  guint n_hosts, next_host;
  guint interval_ms, fail_after_ms;

  /* what the kernel says */
  gboolean present, link_up, has_address;
  /* what the probes say */
  int fd;
  gboolean raw; /* SOCK_RAW (replies carry the IP header) or a ping socket */
  guint16 ident, seq;
  guint probe_timer, fd_watch;
  gint64 usable_since; /* link and address came up (monotonic us), 0: not usable */
  gint64 last_reply;   /* monotonic us of the last echo reply since usable_since */
  gint64 stalled_at;   /* an output reported a stall; replies sent before it do not count */
  char *stall_reason;
  gint64 drill_until; /* monotonic us; 0: no drill */
  guint drill_timer;
  gint64 sent_at[64]; /* send times by seq % 64, for the round trip */
  gint64 rtt_us;      /* the latest probe's round trip; -1: none yet */

  ScUplinkState state;
  gint64 healthy_since; /* monotonic us when it last became HEALTHY */
  gboolean was_bad;     /* has been DOWN/FAILED/DRILL since it was last chosen: fail-back waits */
} Uplink;

struct _ScUplinkManager {
  Uplink *uplinks;
  guint n;
  guint hold_ms;
  GMainContext *context;
  ScUplinkEventFunc func;
  gpointer user_data;
  int nl_fd;
  guint nl_watch;
  guint hold_timer;
  int chosen;
};

const char *
sc_uplink_state_name(ScUplinkState state)
{
  static const char *const names[] = {"down", "probing", "healthy", "failed", "drill"};
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

static gboolean
bad_state(ScUplinkState s)
{
  return s == SC_UPLINK_DOWN || s == SC_UPLINK_FAILED || s == SC_UPLINK_DRILL;
}

static guint
attach_timeout(ScUplinkManager *m, guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new(ms);
  g_source_set_callback(source, func, data, NULL);
  guint id = g_source_attach(source, m->context);
  g_source_unref(source);
  return id;
}

static void
remove_source(ScUplinkManager *m, guint *id)
{
  if (*id == 0)
    return;
  GSource *source = g_main_context_find_source_by_id(m->context, *id);
  if (source)
    g_source_destroy(source);
  *id = 0;
}

static void
emit(ScUplinkManager *m, guint index, ScUplinkState old_state, ScUplinkState new_state,
     const char *reason)
{
  ScUplinkEvent event = {.index = index,
                         .old_state = old_state,
                         .new_state = new_state,
                         .reason = reason,
                         .realtime_us = g_get_real_time(),
                         .monotonic_us = g_get_monotonic_time()};
  if (index != G_MAXUINT) {
    const Uplink *u = &m->uplinks[index];
    g_log_structured(G_LOG_DOMAIN, bad_state(new_state) ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_INFO,
                     "UPLINK", u->name, "INTERFACE", u->interface, "STATE",
                     sc_uplink_state_name(new_state), "REASON", reason, "MESSAGE", "uplink %s: %s",
                     u->name, sc_uplink_state_name(new_state));
  } else {
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "REASON", reason, "MESSAGE", "uplink %s",
                     reason);
  }
  if (m->func)
    m->func(&event, m->user_data);
}

/* ---- choosing ---- */

static void update_choice(ScUplinkManager *m);

static gboolean
on_hold_over(gpointer data)
{
  ScUplinkManager *m = data;
  m->hold_timer = 0;
  update_choice(m);
  return G_SOURCE_REMOVE;
}

/* Fail-back waits: an uplink more preferred than the chosen one, that has
 * been bad since, must first be healthy for the hold time. *wait_ms: how
 * long until it may be chosen (0: now). */
static gboolean
eligible(ScUplinkManager *m, guint i, gint64 now, gint64 *wait_ms)
{
  const Uplink *u = &m->uplinks[i];
  *wait_ms = 0;
  if (u->state != SC_UPLINK_HEALTHY)
    return FALSE;
  if (m->chosen < 0 || (int)i >= m->chosen || !u->was_bad)
    return TRUE;
  gint64 healthy_ms = (now - u->healthy_since) / 1000;
  if (healthy_ms >= m->hold_ms)
    return TRUE;
  *wait_ms = m->hold_ms - healthy_ms;
  return FALSE;
}

static int
compute_choice(ScUplinkManager *m, gint64 *next_wait_ms)
{
  gint64 now = g_get_monotonic_time();
  *next_wait_ms = 0;
  for (guint i = 0; i < m->n; i++) {
    gint64 wait = 0;
    if (eligible(m, i, now, &wait))
      return (int)i;
    if (wait > 0 && (*next_wait_ms == 0 || wait < *next_wait_ms))
      *next_wait_ms = wait;
  }
  /* nothing healthy: the current choice if it is still being probed, else the first probed */
  if (m->chosen >= 0 && m->uplinks[m->chosen].state == SC_UPLINK_PROBING)
    return m->chosen;
  for (guint i = 0; i < m->n; i++)
    if (m->uplinks[i].state == SC_UPLINK_PROBING)
      return (int)i;
  return -1;
}

static void
update_choice(ScUplinkManager *m)
{
  gint64 wait_ms = 0;
  int chosen = compute_choice(m, &wait_ms);
  remove_source(m, &m->hold_timer);
  if (wait_ms > 0)
    m->hold_timer = attach_timeout(m, (guint)wait_ms + 1, on_hold_over, m);
  if (chosen == m->chosen)
    return;
  int old = m->chosen;
  m->chosen = chosen;
  if (chosen >= 0)
    m->uplinks[chosen].was_bad = FALSE;
  g_autofree char *reason = NULL;
  if (chosen < 0)
    reason = g_strdup_printf("chosen: none (%s %s; no uplink is usable)",
                             old >= 0 ? m->uplinks[old].name : "all",
                             old >= 0 ? sc_uplink_state_name(m->uplinks[old].state) : "down");
  else if (old < 0)
    reason = g_strdup_printf("chosen: %s", m->uplinks[chosen].name);
  else if (chosen < old)
    reason = g_strdup_printf("chosen: %s (back: healthy for %u s)", m->uplinks[chosen].name,
                             m->hold_ms / 1000);
  else
    reason = g_strdup_printf("chosen: %s (%s %s)", m->uplinks[chosen].name, m->uplinks[old].name,
                             sc_uplink_state_name(m->uplinks[old].state));
  emit(m, G_MAXUINT, SC_UPLINK_DOWN, SC_UPLINK_DOWN, reason);
}

/* ---- an uplink's state ---- */

static ScUplinkState
derive_state(const Uplink *u, gint64 now, char **reason)
{
  if (u->drill_until > now) {
    *reason = g_strdup_printf("drill: counts as failed for %" G_GINT64_FORMAT " s more",
                              (u->drill_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
    return SC_UPLINK_DRILL;
  }
  if (!u->present || !u->link_up || !u->has_address) {
    *reason = g_strdup(!u->present   ? "no such interface"
                       : !u->link_up ? "link down (no carrier)"
                                     : "no IPv4 address");
    return SC_UPLINK_DOWN;
  }
  if (u->stalled_at) {
    *reason = g_strdup(u->stall_reason);
    return SC_UPLINK_FAILED;
  }
  gint64 fail_after = (gint64)u->fail_after_ms * 1000;
  if (u->last_reply && now - u->last_reply <= fail_after) {
    *reason = g_strdup("echo replies arriving");
    return SC_UPLINK_HEALTHY;
  }
  if (!u->last_reply && now - u->usable_since <= fail_after) {
    *reason = g_strdup("link up, probing");
    return SC_UPLINK_PROBING;
  }
  *reason = g_strdup_printf("no echo reply for %u ms", u->fail_after_ms);
  return SC_UPLINK_FAILED;
}

static void
evaluate(Uplink *u)
{
  ScUplinkManager *m = u->manager;
  gint64 now = g_get_monotonic_time();
  g_autofree char *reason = NULL;
  ScUplinkState state = derive_state(u, now, &reason);
  if (state == u->state)
    return;
  ScUplinkState old = u->state;
  u->state = state;
  if (state == SC_UPLINK_HEALTHY)
    u->healthy_since = now;
  if (bad_state(state))
    u->was_bad = TRUE;
  emit(m, u->index, old, state, reason);
  update_choice(m);
}

/* ---- the kernel's view: interfaces and addresses ---- */

static void
read_interfaces(ScUplinkManager *m)
{
  struct ifaddrs *list = NULL;
  if (getifaddrs(&list) != 0) {
    g_warning("cannot list interfaces: %s", g_strerror(errno));
    return;
  }
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < m->n; i++) {
    Uplink *u = &m->uplinks[i];
    gboolean was_usable = u->present && u->link_up && u->has_address;
    u->present = if_nametoindex(u->interface) != 0;
    u->link_up = FALSE;
    u->has_address = FALSE;
    for (struct ifaddrs *a = list; a; a = a->ifa_next) {
      if (!g_str_equal(a->ifa_name, u->interface))
        continue;
      /* IFF_RUNNING: operationally up (carrier, RFC 2863) */
      u->link_up = (a->ifa_flags & IFF_UP) && (a->ifa_flags & IFF_RUNNING);
      if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET)
        u->has_address = TRUE;
    }
    gboolean usable = u->present && u->link_up && u->has_address;
    if (usable && !was_usable) { /* a fresh start for the probes */
      u->usable_since = now;
      u->last_reply = 0;
    } else if (!usable) {
      u->usable_since = 0;
      u->last_reply = 0;
    }
  }
  freeifaddrs(list);
  for (guint i = 0; i < m->n; i++)
    evaluate(&m->uplinks[i]);
}

static gboolean open_probe_socket(Uplink *u, GError **error);

static gboolean
on_netlink(gint fd, GIOCondition condition, gpointer data)
{
  ScUplinkManager *m = data;
  gboolean relevant = FALSE;
  for (guint i = 0; i < MAX_READS_PER_WAKEUP; i++) {
    char buf[NETLINK_BUFFER];
    ssize_t len = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (len < 0 && errno == ENOBUFS) { /* we missed notifications: read everything again */
      relevant = TRUE;
      continue;
    }
    if (len <= 0)
      break;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
         h = NLMSG_NEXT(h, len))
      relevant = relevant || h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK ||
                 h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR;
  }
  if (relevant) {
    read_interfaces(m);
    /* an interface that came back may be a new one: its probe socket must be bound anew */
    for (guint i = 0; i < m->n; i++) {
      Uplink *u = &m->uplinks[i];
      if (u->present && u->fd < 0) {
        g_autoptr(GError) error = NULL;
        if (!open_probe_socket(u, &error))
          g_warning("uplink %s: %s", u->name, error->message);
      }
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
open_netlink(ScUplinkManager *m, GError **error)
{
  m->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK,
                             .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR};
  if (m->nl_fd < 0 || bind(m->nl_fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int saved = errno;
    g_set_error(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_SYSTEM,
                "cannot listen to the kernel's link notifications (netlink): %s",
                g_strerror(saved));
    return FALSE;
  }
  GSource *source = g_unix_fd_source_new(m->nl_fd, G_IO_IN);
  g_source_set_callback(source, G_SOURCE_FUNC(on_netlink), m, NULL);
  m->nl_watch = g_source_attach(source, m->context);
  g_source_unref(source);
  return TRUE;
}

/* ---- the probes ---- */

static guint16
checksum(const void *data, gsize len)
{
  const guint8 *p = data;
  guint32 sum = 0;
  for (gsize i = 0; i + 1 < len; i += 2)
    sum += (guint32)(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += (guint32)p[len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return htons((guint16)~sum);
}

static void
handle_reply(Uplink *u, const guint8 *data, gssize len, const struct sockaddr_in *from)
{
  if (u->raw) { /* skip the IP header */
    if (len < (gssize)sizeof(struct ip))
      return;
    gssize header = (data[0] & 0x0f) * 4;
    data += header;
    len -= header;
  }
  if (len < 8 || data[0] != ICMP_ECHOREPLY)
    return;
  guint16 ident = (guint16)(data[4] << 8 | data[5]);
  guint16 seq = (guint16)(data[6] << 8 | data[7]);
  if (u->raw && ident != u->ident) /* a raw socket sees every echo reply on its interface */
    return;
  gboolean ours = FALSE;
  for (guint i = 0; i < u->n_hosts; i++)
    ours = ours || u->addresses[i].s_addr == from->sin_addr.s_addr;
  if (!ours || !u->usable_since)
    return;
  gint64 sent = u->sent_at[seq % G_N_ELEMENTS(u->sent_at)];
  if (sent == 0 || sent < u->usable_since)
    return; /* sent before the link came back: says nothing about now */
  if (u->stalled_at && sent > u->stalled_at) {
    u->stalled_at = 0; /* answered since the stall: the path works again */
    g_clear_pointer(&u->stall_reason, g_free);
  }
  u->last_reply = g_get_monotonic_time();
  u->rtt_us = u->last_reply - sent;
  evaluate(u);
}

static gboolean
on_probe_readable(gint fd, GIOCondition condition, gpointer data)
{
  Uplink *u = data;
  for (guint i = 0; i < MAX_READS_PER_WAKEUP; i++) {
    guint8 buf[1500];
    struct sockaddr_in from;
    socklen_t from_len = sizeof from;
    gssize len = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
    if (len <= 0)
      break;
    handle_reply(u, buf, len, &from);
  }
  return G_SOURCE_CONTINUE;
}

static void
close_probe_socket(Uplink *u)
{
  remove_source(u->manager, &u->fd_watch);
  if (u->fd >= 0)
    close(u->fd);
  u->fd = -1;
}

/* An ICMP socket whose packets leave by this interface only. Raw when we
 * may (root, CAP_NET_RAW), else a ping socket (net.ipv4.ping_group_range). */
static gboolean
open_probe_socket(Uplink *u, GError **error)
{
  close_probe_socket(u);
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  u->raw = fd >= 0;
  if (fd < 0 && (errno == EPERM || errno == EACCES))
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_SYSTEM,
                "cannot open an ICMP socket to probe uplink %s: %s (shopcastd needs CAP_NET_RAW, "
                "or its group in net.ipv4.ping_group_range)",
                u->name, g_strerror(saved));
    return FALSE;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, u->interface, (socklen_t)strlen(u->interface)) !=
      0) {
    int saved = errno;
    close(fd);
    if (saved == ENODEV) /* not there (yet): netlink will tell when it appears */
      return TRUE;
    g_set_error(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_SYSTEM,
                "cannot bind the probes of uplink %s to %s: %s (shopcastd needs CAP_NET_RAW)",
                u->name, u->interface, g_strerror(saved));
    return FALSE;
  }
  u->fd = fd;
  GSource *source = g_unix_fd_source_new(fd, G_IO_IN);
  g_source_set_callback(source, G_SOURCE_FUNC(on_probe_readable), u, NULL);
  u->fd_watch = g_source_attach(source, u->manager->context);
  g_source_unref(source);
  return TRUE;
}

static void
send_probe(Uplink *u)
{
  if (u->fd < 0 || !u->usable_since)
    return;
  guint8 packet[8 + 16] = {ICMP_ECHO, 0};
  u->seq++;
  packet[4] = (guint8)(u->ident >> 8);
  packet[5] = (guint8)u->ident;
  packet[6] = (guint8)(u->seq >> 8);
  packet[7] = (guint8)u->seq;
  memcpy(packet + 8, "shopcast uplink", 16);
  guint16 sum = checksum(packet, sizeof packet);
  memcpy(packet + 2, &sum, 2);
  struct sockaddr_in to = {.sin_family = AF_INET,
                           .sin_addr = u->addresses[u->next_host++ % u->n_hosts]};
  u->sent_at[u->seq % G_N_ELEMENTS(u->sent_at)] = g_get_monotonic_time();
  if (sendto(u->fd, packet, sizeof packet, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) < 0 &&
      errno == ENODEV) /* the interface went away under the socket */
    close_probe_socket(u);
}

static gboolean
on_probe_tick(gpointer data)
{
  Uplink *u = data;
  if (u->fd < 0 && u->present) {
    g_autoptr(GError) error = NULL;
    if (!open_probe_socket(u, &error))
      g_debug("uplink %s: %s", u->name, error->message);
  }
  send_probe(u);
  evaluate(u); /* time passing is news too: no reply for too long */
  return G_SOURCE_CONTINUE;
}

/* ---- life ---- */

static gboolean
check_spec(const ScUplinkSpec *s, GError **error)
{
  if (s->interface == NULL || *s->interface == '\0' || strlen(s->interface) >= IFNAMSIZ) {
    g_set_error(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_CONFIG,
                "uplink %s: '%s' is not a network interface name", s->name ? s->name : "?",
                s->interface ? s->interface : "");
    return FALSE;
  }
  if (s->probe_hosts == NULL || s->probe_hosts[0] == NULL) {
    g_set_error(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_CONFIG,
                "uplink %s: no probe host; give IPv4 addresses that answer ping", s->name);
    return FALSE;
  }
  for (const char *const *h = s->probe_hosts; *h; h++) {
    struct in_addr a;
    if (inet_pton(AF_INET, *h, &a) != 1) {
      g_set_error(error, SC_UPLINK_ERROR, SC_UPLINK_ERROR_CONFIG,
                  "uplink %s: probe host '%s' is not an IPv4 address", s->name, *h);
      return FALSE;
    }
  }
  return TRUE;
}

ScUplinkManager *
sc_uplink_manager_new(const ScUplinkSpec *specs, guint n_specs, guint hold_ms,
                      GMainContext *context, ScUplinkEventFunc func, gpointer user_data,
                      GError **error)
{
  for (guint i = 0; i < n_specs; i++)
    if (!check_spec(&specs[i], error))
      return NULL;
  ScUplinkManager *m = g_new0(ScUplinkManager, 1);
  m->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
  m->hold_ms = hold_ms ? hold_ms : DEFAULT_HOLD_MS;
  m->func = func;
  m->user_data = user_data;
  m->nl_fd = -1;
  m->chosen = -1;
  m->n = n_specs;
  m->uplinks = g_new0(Uplink, n_specs);
  for (guint i = 0; i < n_specs; i++) {
    Uplink *u = &m->uplinks[i];
    const ScUplinkSpec *s = &specs[i];
    u->manager = m;
    u->index = i;
    u->fd = -1;
    u->name = g_strdup(s->name);
    u->interface = g_strdup(s->interface);
    u->probe_hosts = g_strdupv((char **)s->probe_hosts);
    u->n_hosts = g_strv_length(u->probe_hosts);
    u->addresses = g_new0(struct in_addr, u->n_hosts);
    for (guint h = 0; h < u->n_hosts; h++)
      inet_pton(AF_INET, u->probe_hosts[h], &u->addresses[h]);
    u->interval_ms = s->probe_interval_ms ? s->probe_interval_ms : DEFAULT_PROBE_INTERVAL_MS;
    u->fail_after_ms = s->fail_after_ms ? s->fail_after_ms : DEFAULT_FAIL_AFTER_MS;
    u->ident = (guint16)((getpid() << 4) ^ (i * 0x9e37u) ^ g_random_int());
    u->state = SC_UPLINK_DOWN;
  }
  /* netlink first, so no change between the first reading and the notifications is lost */
  if (!open_netlink(m, error)) {
    sc_uplink_manager_free(m);
    return NULL;
  }
  for (guint i = 0; i < n_specs; i++) {
    Uplink *u = &m->uplinks[i];
    if (!open_probe_socket(u, error)) {
      sc_uplink_manager_free(m);
      return NULL;
    }
    u->probe_timer = attach_timeout(m, u->interval_ms, on_probe_tick, u);
  }
  m->func = NULL; /* the first reading is the starting point, not news */
  read_interfaces(m);
  m->func = func;
  for (guint i = 0; i < n_specs; i++)
    send_probe(&m->uplinks[i]);
  return m;
}

void
sc_uplink_manager_free(ScUplinkManager *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->n; i++) {
    Uplink *u = &self->uplinks[i];
    close_probe_socket(u);
    remove_source(self, &u->probe_timer);
    remove_source(self, &u->drill_timer);
    g_free(u->name);
    g_free(u->interface);
    g_strfreev(u->probe_hosts);
    g_free(u->addresses);
    g_free(u->stall_reason);
  }
  remove_source(self, &self->nl_watch);
  remove_source(self, &self->hold_timer);
  if (self->nl_fd >= 0)
    close(self->nl_fd);
  g_free(self->uplinks);
  g_main_context_unref(self->context);
  g_free(self);
}

guint
sc_uplink_manager_get_count(ScUplinkManager *self)
{
  return self->n;
}

const char *
sc_uplink_manager_get_name(ScUplinkManager *self, guint index)
{
  g_return_val_if_fail(index < self->n, NULL);
  return self->uplinks[index].name;
}

const char *
sc_uplink_manager_get_interface(ScUplinkManager *self, guint index)
{
  g_return_val_if_fail(index < self->n, NULL);
  return self->uplinks[index].interface;
}

gint64
sc_uplink_manager_get_rtt_us(ScUplinkManager *self, guint index)
{
  g_return_val_if_fail(index < self->n, -1);
  Uplink *u = &self->uplinks[index];
  return u->state == SC_UPLINK_HEALTHY ? u->rtt_us : -1;
}

ScUplinkState
sc_uplink_manager_get_state(ScUplinkManager *self, guint index)
{
  g_return_val_if_fail(index < self->n, SC_UPLINK_DOWN);
  return self->uplinks[index].state;
}

int
sc_uplink_manager_choose(ScUplinkManager *self)
{
  return self->chosen;
}

void
sc_uplink_manager_report_stall(ScUplinkManager *self, guint index, const char *what)
{
  g_return_if_fail(index < self->n);
  Uplink *u = &self->uplinks[index];
  if (u->state == SC_UPLINK_DOWN || u->state == SC_UPLINK_DRILL)
    return; /* already out of use: a stall on it is no news */
  u->stalled_at = g_get_monotonic_time();
  g_free(u->stall_reason);
  u->stall_reason = g_strdup(what ? what : "an output's connection stalled");
  evaluate(u);
}

static gboolean
on_drill_over(gpointer data)
{
  Uplink *u = data;
  u->drill_timer = 0;
  u->drill_until = 0;
  evaluate(u);
  return G_SOURCE_REMOVE;
}

void
sc_uplink_manager_drill(ScUplinkManager *self, guint index, guint seconds)
{
  g_return_if_fail(index < self->n);
  Uplink *u = &self->uplinks[index];
  remove_source(self, &u->drill_timer);
  u->drill_until = seconds ? g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC : 0;
  if (seconds)
    u->drill_timer = attach_timeout(self, seconds * 1000, on_drill_over, u);
  evaluate(u);
}
