#define G_LOG_DOMAIN "shopcast-provision"

#include "firmware/provision.h"

#include "firmware/json.h"
#include "firmware/safe-file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#define HOSTNAME_MAX  253
#define LABEL_MAX     63
#define SETTINGS_FILE "system.json"
#define HOSTNAME_FILE "hostname"
#define NETWORK_DIR   "network"
#define SETTINGS_MAX  (64 * 1024)
#define FILE_MODE     0644
#define DIR_MODE      0755

const char *const sc_provision_command_usage =
    "system | system set [--hostname NAME] [--network dhcp|static] [--address ADDRESS/PREFIX] "
    "[--gateway GATEWAY] [--dns \"DNS...\"]";

struct _ScProvision {
  char *dir; /* NULL: no system settings on this box */
  ScEventLog *events;
};

/* "FIELD: what is wrong; what to do", for the panel to show at the field. */
static gboolean G_GNUC_PRINTF(3, 4)
    field_error(GError **error, const char *field, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: %s", field, message);
  return FALSE;
}

/* ---- the hostname ---- */

static gboolean
check_label(const char *name, const char *label, gsize len, GError **error)
{
  if (len == 0)
    return field_error(error, "hostname",
                       "'%s' has an empty part between dots; remove the extra dot", name);
  if (len > LABEL_MAX)
    return field_error(error, "hostname",
                       "'%.*s' is %" G_GSIZE_FORMAT " characters long; each part between dots may "
                       "have at most %d",
                       (int)len, label, len, LABEL_MAX);
  if (label[0] == '-' || label[len - 1] == '-')
    return field_error(error, "hostname",
                       "'%.*s' starts or ends with '-'; a part may only have "
                       "'-' inside it",
                       (int)len, label);
  for (gsize i = 0; i < len; i++) {
    if (g_ascii_isalnum(label[i]) || label[i] == '-')
      continue;
    int n = MIN((int)g_utf8_skip[(guchar)label[i]], (int)(len - i)); /* the whole character */
    return field_error(error, "hostname",
                       "'%.*s' is not allowed; use only letters a-z, digits 0-9, '-' and dots", n,
                       label + i);
  }
  return TRUE;
}

char *
sc_provision_check_hostname(const char *text, GError **error)
{
  if (text == NULL || *text == '\0') {
    field_error(error, "hostname", "empty; give the box a name such as studio-1");
    return NULL;
  }
  gsize len = strlen(text);
  if (len > HOSTNAME_MAX) {
    field_error(error, "hostname", "%" G_GSIZE_FORMAT " characters long; at most %d", len,
                HOSTNAME_MAX);
    return NULL;
  }
  for (const char *label = text;;) {
    const char *dot = strchr(label, '.');
    gsize n = dot ? (gsize)(dot - label) : strlen(label);
    if (!check_label(text, label, n, error))
      return NULL;
    if (dot == NULL)
      break;
    label = dot + 1;
  }
  return g_ascii_strdown(text, -1); /* host names are case-insensitive: stored lower-case */
}

/* ---- addresses ---- */

static GInetAddress *
parse_ip(const char *field, const char *text, GError **error)
{
  GInetAddress *ip = text ? g_inet_address_new_from_string(text) : NULL;
  if (ip == NULL)
    field_error(error, field, "'%s' is not an IPv4 or IPv6 address (e.g. 192.168.1.1)",
                text ? text : "");
  return ip;
}

/* @prefix bits of @ip kept, the rest set to @ones. */
static GInetAddress *
apply_prefix(GInetAddress *ip, guint prefix, gboolean ones)
{
  gsize size = g_inet_address_get_native_size(ip);
  guint8 bytes[16];
  memcpy(bytes, g_inet_address_to_bytes(ip), size);
  for (guint bit = prefix; bit < size * 8; bit++) {
    guint8 m = (guint8)(0x80u >> (bit % 8));
    bytes[bit / 8] = ones ? (guint8)(bytes[bit / 8] | m) : (guint8)(bytes[bit / 8] & ~m);
  }
  return g_inet_address_new_from_bytes(bytes, g_inet_address_get_family(ip));
}

static gboolean
check_host(GInetAddress *ip, const char *text, GError **error)
{
  if (g_inet_address_get_is_any(ip) || g_inet_address_get_is_loopback(ip) ||
      g_inet_address_get_is_multicast(ip))
    return field_error(error, "address", "%s is not an address a network port can have", text);
  return TRUE;
}

/* ADDRESS/PREFIX: a host's address in its subnet. */
static GInetAddress *
parse_cidr(const char *text, guint *prefix, GError **error)
{
  const char *slash = text ? strchr(text, '/') : NULL;
  if (slash == NULL) {
    field_error(error, "address",
                "'%s' has no prefix length; write it as ADDRESS/PREFIX, e.g. 192.168.1.20/24",
                text ? text : "");
    return NULL;
  }
  g_autofree char *host = g_strndup(text, (gsize)(slash - text));
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(host);
  if (ip == NULL) {
    field_error(error, "address", "'%s' is not an IPv4 or IPv6 address (e.g. 192.168.1.20/24)",
                host);
    return NULL;
  }
  guint bits = (guint)g_inet_address_get_native_size(ip) * 8;
  guint64 n = 0;
  if (!g_ascii_string_to_unsigned(slash + 1, 10, 1, bits, &n, NULL)) {
    field_error(error, "address", "the prefix length '/%s' must be 1 to %u (/24 is a usual one)",
                slash + 1, bits);
    return NULL;
  }
  *prefix = (guint)n;
  return check_host(ip, host, error) ? g_steal_pointer(&ip) : NULL;
}

/* An IPv4 host address is neither its subnet's own address nor its broadcast. */
static gboolean
check_ipv4_host(GInetAddress *ip, guint prefix, GError **error)
{
  if (g_inet_address_get_family(ip) != G_SOCKET_FAMILY_IPV4 || prefix >= 31)
    return TRUE;
  g_autofree char *text = g_inet_address_to_string(ip);
  g_autoptr(GInetAddress) net = apply_prefix(ip, prefix, FALSE);
  g_autoptr(GInetAddress) bcast = apply_prefix(ip, prefix, TRUE);
  g_autofree char *net_text = g_inet_address_to_string(net);
  if (g_inet_address_equal(ip, net))
    return field_error(error, "address",
                       "%s is the address of the network %s/%u itself; give "
                       "the box an address inside it",
                       text, net_text, prefix);
  if (g_inet_address_equal(ip, bcast))
    return field_error(error, "address",
                       "%s is the broadcast address of %s/%u; give the box an "
                       "address inside it",
                       text, net_text, prefix);
  return TRUE;
}

static gboolean
check_gateway(GInetAddress *ip, guint prefix, GInetAddress *gw, const char *gw_text, GError **error)
{
  if (g_inet_address_get_family(gw) != g_inet_address_get_family(ip))
    return field_error(error, "gateway",
                       "%s is not of the address's family (IPv%s); give an IPv%s "
                       "gateway",
                       gw_text, g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV4 ? "4" : "6",
                       g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV4 ? "4" : "6");
  if (g_inet_address_get_is_any(gw) || g_inet_address_get_is_loopback(gw) ||
      g_inet_address_get_is_multicast(gw))
    return field_error(error, "gateway",
                       "%s cannot be a router's address; give the router's "
                       "address on the studio network",
                       gw_text);
  if (g_inet_address_equal(gw, ip))
    return field_error(error, "gateway", "%s is the box's own address; give the router's address",
                       gw_text);
  if (g_inet_address_get_family(ip) != G_SOCKET_FAMILY_IPV4)
    return TRUE; /* an IPv6 gateway is often link-local (fe80::1), outside the prefix */
  g_autoptr(GInetAddress) net = apply_prefix(ip, prefix, FALSE);
  g_autoptr(GInetAddress) gw_net = apply_prefix(gw, prefix, FALSE);
  if (!g_inet_address_equal(net, gw_net)) {
    g_autofree char *net_text = g_inet_address_to_string(net);
    return field_error(error, "gateway",
                       "%s is not in the address's subnet %s/%u; give the "
                       "router's address in that subnet, or change the address or its prefix",
                       gw_text, net_text, prefix);
  }
  return TRUE;
}

static char **
parse_dns(const char *text, GError **error)
{
  g_auto(GStrv) words = g_strsplit_set(text ? text : "", " ,;\t", -1);
  g_autoptr(GStrvBuilder) out = g_strv_builder_new();
  guint count = 0;
  for (guint i = 0; words[i]; i++) {
    if (words[i][0] == '\0')
      continue;
    g_autoptr(GInetAddress) ip = parse_ip("dns", words[i], error);
    if (ip == NULL)
      return NULL;
    if (++count > SC_PROVISION_DNS_MAX) {
      field_error(error, "dns", "more than %d servers; keep %d at most", SC_PROVISION_DNS_MAX,
                  SC_PROVISION_DNS_MAX);
      return NULL;
    }
    g_autofree char *canonical = g_inet_address_to_string(ip);
    g_strv_builder_add(out, canonical);
  }
  return g_strv_builder_end(out);
}

void
sc_provision_network_free(ScProvisionNetwork *network)
{
  if (network == NULL)
    return;
  g_free(network->address);
  g_free(network->gateway);
  g_strfreev(network->dns);
  g_free(network);
}

static ScProvisionNetwork *
check_static(const char *address, const char *gateway, const char *dns, GError **error)
{
  guint prefix = 0;
  if (address == NULL || *address == '\0') {
    field_error(error, "address",
                "a static network needs the box's address as ADDRESS/PREFIX, "
                "e.g. 192.168.1.20/24");
    return NULL;
  }
  g_autoptr(GInetAddress) ip = parse_cidr(address, &prefix, error);
  if (ip == NULL || !check_ipv4_host(ip, prefix, error))
    return NULL;
  if (gateway == NULL || *gateway == '\0') {
    field_error(error, "gateway", "a static network needs the router's address, e.g. 192.168.1.1");
    return NULL;
  }
  g_autoptr(GInetAddress) gw = parse_ip("gateway", gateway, error);
  if (gw == NULL || !check_gateway(ip, prefix, gw, gateway, error))
    return NULL;
  g_auto(GStrv) servers = parse_dns(dns, error);
  if (servers == NULL)
    return NULL;
  g_autoptr(ScProvisionNetwork) n = g_new0(ScProvisionNetwork, 1);
  g_autofree char *ip_text = g_inet_address_to_string(ip);
  n->mode = SC_PROVISION_NETWORK_STATIC;
  n->address = g_strdup_printf("%s/%u", ip_text, prefix);
  n->gateway = g_inet_address_to_string(gw);
  n->dns = g_steal_pointer(&servers);
  return g_steal_pointer(&n);
}

static gboolean
given(const char *text)
{
  return text && *text;
}

ScProvisionNetwork *
sc_provision_check_network(const char *mode, const char *address, const char *gateway,
                           const char *dns, GError **error)
{
  if (g_strcmp0(mode, "static") == 0)
    return check_static(address, gateway, dns, error);
  if (g_strcmp0(mode, "dhcp") != 0) {
    field_error(error, "network", "'%s' is neither dhcp nor static", mode ? mode : "");
    return NULL;
  }
  const char *extra = given(address) ? "address" : given(gateway) ? "gateway" : "dns";
  if (given(address) || given(gateway) || given(dns)) {
    field_error(error, extra, "only for a static network; with dhcp the router gives it");
    return NULL;
  }
  ScProvisionNetwork *n = g_new0(ScProvisionNetwork, 1);
  n->mode = SC_PROVISION_NETWORK_DHCP;
  n->dns = g_new0(char *, 1);
  return n;
}

char *
sc_provision_network_file(const ScProvisionNetwork *network)
{
  GString *out = g_string_new("# Written by shopcastd from the panel's \"Box name and network\";\n"
                              "# replaced on every change (README.md, \"Box name and network\").\n"
                              "[Match]\nName=en* eth*\n\n[Network]\n");
  if (network->mode == SC_PROVISION_NETWORK_DHCP) {
    g_string_append(out, "DHCP=yes\n");
    return g_string_free(out, FALSE);
  }
  g_string_append_printf(out, "Address=%s\nGateway=%s\n", network->address, network->gateway);
  for (guint i = 0; network->dns[i]; i++)
    g_string_append_printf(out, "DNS=%s\n", network->dns[i]);
  return g_string_free(out, FALSE);
}

/* ---- the settings on disk ---- */

ScProvision *
sc_provision_new(const char *dir, ScEventLog *events)
{
  ScProvision *self = g_new0(ScProvision, 1);
  self->dir = g_strdup(dir);
  self->events = events;
  return self;
}

void
sc_provision_free(ScProvision *self)
{
  if (self == NULL)
    return;
  g_free(self->dir);
  g_free(self);
}

static gboolean
has_dir(ScProvision *self, GError **error)
{
  if (self->dir)
    return TRUE;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
              "this box has no system settings directory ([box] system-dir is not set, as on a "
              "development machine): its hostname and network are the host's own");
  return FALSE;
}

/* The stored settings; an empty object when nothing was set yet. */
static JsonObject *
load_settings(ScProvision *self, GError **error)
{
  g_autofree char *path = g_build_filename(self->dir, SETTINGS_FILE, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return json_object_new();
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "the system settings: ");
    return NULL;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  if (len > SETTINGS_MAX || !json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s is damaged (not a JSON object): set the hostname and network again", path);
    return NULL;
  }
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static JsonNode *
network_node(const ScProvisionNetwork *n)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "mode");
  json_builder_add_string_value(b, n->mode == SC_PROVISION_NETWORK_DHCP ? "dhcp" : "static");
  if (n->mode == SC_PROVISION_NETWORK_STATIC) {
    json_builder_set_member_name(b, "address");
    json_builder_add_string_value(b, n->address);
    json_builder_set_member_name(b, "gateway");
    json_builder_add_string_value(b, n->gateway);
    json_builder_set_member_name(b, "dns");
    json_builder_begin_array(b);
    for (guint i = 0; n->dns[i]; i++)
      json_builder_add_string_value(b, n->dns[i]);
    json_builder_end_array(b);
  }
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static gboolean
write_file(const char *dir, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  if (g_mkdir_with_parents(dir, DIR_MODE) != 0) {
    int err = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "cannot create %s: %s", dir,
                g_strerror(err));
    return FALSE;
  }
  return sc_file_replace(path, text, strlen(text), FILE_MODE, error);
}

/* The files, the JSON last: the image applies them when it changes. */
static gboolean
store(ScProvision *self, JsonObject *settings, const char *hostname,
      const ScProvisionNetwork *network, GError **error)
{
  g_autofree char *network_dir = g_build_filename(self->dir, NETWORK_DIR, NULL);
  g_autofree char *line = hostname ? g_strconcat(hostname, "\n", NULL) : NULL;
  g_autofree char *unit = network ? sc_provision_network_file(network) : NULL;
  if ((network && !write_file(network_dir, SC_PROVISION_NETWORK_FILE, unit, error)) ||
      (hostname && !write_file(self->dir, HOSTNAME_FILE, line, error)))
    return FALSE;
  g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), settings);
  g_autofree char *json = json_to_string(root, TRUE);
  g_autofree char *text = g_strconcat(json, "\n", NULL);
  return write_file(self->dir, SETTINGS_FILE, text, error);
}

static char *
describe(const char *hostname, const ScProvisionNetwork *network)
{
  GString *out = g_string_new(NULL);
  if (hostname)
    g_string_append_printf(out, "hostname %s", hostname);
  if (network && network->mode == SC_PROVISION_NETWORK_DHCP)
    g_string_append_printf(out, "%snetwork dhcp", out->len ? ", " : "");
  if (network && network->mode == SC_PROVISION_NETWORK_STATIC) {
    g_autofree char *dns = g_strjoinv(" ", network->dns);
    g_string_append_printf(out, "%snetwork static %s via %s%s%s", out->len ? ", " : "",
                           network->address, network->gateway, *dns ? ", DNS " : "", dns);
  }
  return g_string_free(out, FALSE);
}

gboolean
sc_provision_set(ScProvision *self, const char *hostname, const ScProvisionNetwork *network,
                 const char *who, GError **error)
{
  g_return_val_if_fail(hostname || network, FALSE);
  if (!has_dir(self, error))
    return FALSE;
  g_autoptr(JsonObject) settings = load_settings(self, error);
  if (settings == NULL)
    return FALSE;
  if (hostname)
    json_object_set_string_member(settings, "hostname", hostname);
  if (network)
    json_object_set_member(settings, "network", network_node(network));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format_iso8601(now);
  json_object_set_string_member(settings, "updated", stamp);
  if (!store(self, settings, hostname, network, error))
    return FALSE;
  g_autofree char *what = describe(hostname, network);
  g_autofree char *detail = g_strdup_printf("%s, by %s", what, who ? who : "?");
  if (self->events)
    sc_event_log_add(self->events, g_get_real_time(), FALSE, "system", "settings", "applied",
                     detail);
  return TRUE;
}

static void
append_member(GString *out, JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member(o, name);
  g_autofree char *text = node ? json_to_string(node, FALSE) : NULL;
  g_string_append_printf(out, "\"%s\":%s", name, text ? text : "null");
}

char *
sc_provision_to_json(ScProvision *self, GError **error)
{
  if (!has_dir(self, error))
    return NULL;
  g_autoptr(JsonObject) settings = load_settings(self, error);
  if (settings == NULL)
    return NULL;
  char running[256] = "";
  if (gethostname(running, sizeof running - 1) != 0)
    running[0] = '\0';
  GString *out = g_string_new("{");
  append_member(out, settings, "hostname");
  g_string_append_c(out, ',');
  append_member(out, settings, "network");
  g_string_append_c(out, ',');
  append_member(out, settings, "updated");
  g_string_append(out, ",\"running_hostname\":");
  sc_json_append_string(out, running);
  g_string_append(out, "}\n");
  return g_string_free(out, FALSE);
}

/* ---- the command ---- */

static const char *const options[] = {"--hostname", "--network", "--address",
                                      "--gateway",  "--dns",     NULL};

/* `set` options into @values (in the order of @options); a value may be absent. */
static gboolean
parse_options(const char *const *argv, const char *values[], GError **error)
{
  for (guint i = 0; argv[i];) {
    gint k = -1;
    for (guint o = 0; options[o] && k < 0; o++)
      if (g_str_equal(argv[i], options[o]))
        k = (gint)o;
    if (k < 0 || values[k]) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s '%s'; usage: %s",
                  k < 0 ? "unknown option" : "twice", argv[i], sc_provision_command_usage);
      return FALSE;
    }
    gboolean has_value = argv[i + 1] && !g_strv_contains(options, argv[i + 1]);
    values[k] = has_value ? argv[i + 1] : "";
    i += has_value ? 2 : 1;
  }
  return TRUE;
}

static char *
set_command(ScProvision *self, const char *const *argv, const char *who, GError **error)
{
  const char *v[G_N_ELEMENTS(options)] = {NULL};
  if (!parse_options(argv, v, error))
    return NULL;
  gboolean has_host = given(v[0]), has_net = given(v[1]);
  if (!has_host && !has_net) {
    if (given(v[2]) || given(v[3]) || given(v[4]))
      field_error(error, "network", "address, gateway and dns need the network set to static");
    else
      field_error(error, "hostname", "nothing to set: give a hostname, a network, or both");
    return NULL;
  }
  if (!has_net && (given(v[2]) || given(v[3]) || given(v[4]))) {
    field_error(error, "network", "address, gateway and dns need the network set to static");
    return NULL;
  }
  g_autofree char *hostname = has_host ? sc_provision_check_hostname(v[0], error) : NULL;
  if (has_host && hostname == NULL)
    return NULL;
  g_autoptr(ScProvisionNetwork) network =
      has_net ? sc_provision_check_network(v[1], v[2], v[3], v[4], error) : NULL;
  if (has_net && network == NULL)
    return NULL;
  if (!sc_provision_set(self, hostname, network, who, error))
    return NULL;
  return sc_provision_to_json(self, error);
}

char *
sc_provision_command(ScProvision *self, const char *const *argv, gboolean live, const char *who,
                     GError **error)
{
  if (!has_dir(self, error))
    return NULL;
  if (argv[0] == NULL)
    return sc_provision_to_json(self, error);
  if (!g_str_equal(argv[0], "set")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: %s",
                sc_provision_command_usage);
    return NULL;
  }
  if (live) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                "the box is live: a new name or network would drop the stream; end the show "
                "first (live off)");
    return NULL;
  }
  return set_command(self, argv + 1, who, error);
}
