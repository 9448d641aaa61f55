/* provision.h - the box's own system settings, set on first start (after the
 * technician's password) and later from the technician's view: its hostname
 * and its wired network, DHCP or a static address with a gateway and up to 3
 * DNS servers.
 *
 * shopcastd does not run as the one who may rename the host or reconfigure
 * the network, and the root file system is read-only: it only writes the
 * settings into [box] system-dir (/data/system on the image), and the image's
 * shopcast-system.path sees them change and applies them (apply-system):
 *
 *   DIR/hostname                     the name, one line
 *   DIR/network/50-shopcast.network  systemd-networkd's file for the wired
 *                                    ports (Name=en* eth*), written once the
 *                                    network was set
 *   DIR/system.json                  what was set, for `system`; written last
 *
 * Every input is checked before anything is written, and an error names the
 * field ("hostname: ...", "address: ...", "gateway: ...") and what to fix; a
 * rejected input writes nothing. Each file is replaced atomically
 * (safe-file.h: a power cut leaves the old file or the new one).
 *
 * As a daemon command (the API's GET and POST /api/v1/system):
 *
 *   system                      the settings, one JSON object
 *   system set [--hostname NAME] [--network dhcp|static] [--address A/P]
 *              [--gateway G] [--dns "D1 D2 D3"]
 *                               checks, writes, journals, answers the settings
 *
 * An option's value may be left out (the API's absent optional members): the
 * option then says nothing. Main thread only.
 */
#pragma once

#include "firmware/events.h"

#include <gio/gio.h>

G_BEGIN_DECLS

#define SC_PROVISION_DNS_MAX      3
#define SC_PROVISION_NETWORK_FILE "50-shopcast.network"

typedef enum {
  SC_PROVISION_NETWORK_DHCP,
  SC_PROVISION_NETWORK_STATIC,
} ScProvisionNetworkMode;

/* A checked network: for a static one, the address as ADDRESS/PREFIX, the
 * gateway and the DNS servers (NULL-terminated, maybe none), all in their
 * canonical text. */
typedef struct {
  ScProvisionNetworkMode mode;
  char *address, *gateway;
  char **dns;
} ScProvisionNetwork;

void sc_provision_network_free(ScProvisionNetwork *network);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScProvisionNetwork, sc_provision_network_free)

/* An RFC 1123 host name: dot-separated labels of 1-63 letters, digits and
 * '-', none starting or ending with '-', 253 characters at most. Upper-case
 * letters are made lower-case (host names are case-insensitive). Returns the
 * name to store, or NULL with G_IO_ERROR_INVALID_ARGUMENT. */
char *sc_provision_check_hostname(const char *text, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* @mode "dhcp" (nothing else given) or "static": @address as ADDRESS/PREFIX
 * (IPv4 or IPv6, a host's address, not the network's or its broadcast),
 * @gateway of the same family (for IPv4, inside the address's subnet), and
 * @dns, up to 3 addresses separated by spaces or commas (may be NULL).
 * Returns the network, or NULL with G_IO_ERROR_INVALID_ARGUMENT. */
ScProvisionNetwork *sc_provision_check_network(const char *mode, const char *address,
                                               const char *gateway, const char *dns,
                                               GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* systemd-networkd's .network file for @network. */
char *sc_provision_network_file(const ScProvisionNetwork *network) G_GNUC_WARN_UNUSED_RESULT;

typedef struct _ScProvision ScProvision;

/* The settings kept in @dir (NULL: this box has none, e.g. a development
 * machine; every command then fails with G_IO_ERROR_NOT_SUPPORTED). @dir is
 * created on the first change. Applied changes go into @events (borrowed,
 * may be NULL). */
ScProvision *sc_provision_new(const char *dir, ScEventLog *events);
void sc_provision_free(ScProvision *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScProvision, sc_provision_free)

/* The settings as JSON: {"hostname":NAME|null,"network":{"mode":"dhcp"} or
 * {"mode":"static","address":A,"gateway":G,"dns":[...]}|null,
 * "updated":TIME|null,"running_hostname":NAME}. NULL with @error. */
char *sc_provision_to_json(ScProvision *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Checks and stores a new hostname and/or network (either may be NULL, not
 * both); @who changed them (for the journal). */
gboolean sc_provision_set(ScProvision *self, const char *hostname,
                          const ScProvisionNetwork *network, const char *who,
                          GError **error) G_GNUC_WARN_UNUSED_RESULT;

extern const char *const sc_provision_command_usage;

/* Runs `system WORDS...` (@argv without "system"). While @live a change is
 * refused (G_IO_ERROR_BUSY): a new address would drop the stream. */
char *sc_provision_command(ScProvision *self, const char *const *argv, gboolean live,
                           const char *who, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
