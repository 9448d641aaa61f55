/* Tests for firmware/provision.c: the box's hostname and network settings,
 * checked field by field, written as the files the image applies, replaced
 * atomically, and applied by the image's apply-system into a temporary root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "firmware/provision.h"
#include "tests/support/testutil.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
read_text(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return NULL;
  return text;
}

/* The error's message for a bad hostname. */
static char *
hostname_error(const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = sc_provision_check_hostname(text, &error);
  assert_null(name);
  assert_non_null(error);
  assert_true(g_str_has_prefix(error->message, "hostname: "));
  return g_strdup(error->message);
}

static void
test_hostnames(void **state)
{
  const char *good[] = {"studio-1", "a", "box.shop.example", "0cast", NULL};
  for (guint i = 0; good[i]; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *name = sc_provision_check_hostname(good[i], &error);
    assert_non_null(name);
    assert_string_equal(name, good[i]);
  }
  g_autofree char *lower = sc_provision_check_hostname("Studio-A", NULL);
  assert_string_equal(lower, "studio-a"); /* stored lower-case */
  g_autofree char *label63 = g_strnfill(63, 'a');
  g_autofree char *name63 = sc_provision_check_hostname(label63, NULL);
  assert_non_null(name63);

  g_autofree char *empty = hostname_error("");
  assert_non_null(strstr(empty, "empty"));
  g_autofree char *dash = hostname_error("-studio");
  assert_non_null(strstr(dash, "starts or ends with '-'"));
  g_autofree char *dash_end = hostname_error("studio.box-");
  assert_non_null(strstr(dash_end, "'box-'"));
  g_autofree char *under = hostname_error("studio_1");
  assert_non_null(strstr(under, "'_' is not allowed"));
  g_autofree char *dots = hostname_error("studio..box");
  assert_non_null(strstr(dots, "empty part"));
  g_autofree char *label64 = g_strnfill(64, 'a');
  g_autofree char *long_label = hostname_error(label64);
  assert_non_null(strstr(long_label, "at most 63"));
  g_autofree char *label50 = g_strnfill(50, 'b');
  g_autofree char *too_long = g_strjoin(".", label50, label50, label50, label50, label50, NULL);
  g_autofree char *long_name = hostname_error(too_long); /* 254 characters */
  assert_non_null(strstr(long_name, "at most 253"));
  g_autofree char *unicode = hostname_error("直播间");
  assert_non_null(strstr(unicode, "'直' is not allowed")); /* a whole character, valid UTF-8 */
  assert_true(g_utf8_validate(unicode, -1, NULL));
}

static ScProvisionNetwork *
network_ok(const char *mode, const char *address, const char *gateway, const char *dns)
{
  g_autoptr(GError) error = NULL;
  ScProvisionNetwork *n = sc_provision_check_network(mode, address, gateway, dns, &error);
  if (n == NULL)
    fail_msg("%s %s %s %s: %s", mode, address ? address : "-", gateway ? gateway : "-",
             dns ? dns : "-", error->message);
  return n;
}

/* The message for a bad network; it starts with @field. */
static char *
network_error(const char *field, const char *mode, const char *address, const char *gateway,
              const char *dns)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScProvisionNetwork) n = sc_provision_check_network(mode, address, gateway, dns, &error);
  assert_null(n);
  g_autofree char *prefix = g_strconcat(field, ": ", NULL);
  if (!g_str_has_prefix(error->message, prefix))
    fail_msg("expected an error about %s, got: %s", field, error->message);
  return g_strdup(error->message);
}

static void
test_networks(void **state)
{
  g_autoptr(ScProvisionNetwork) dhcp = network_ok("dhcp", NULL, NULL, NULL);
  assert_int_equal(dhcp->mode, SC_PROVISION_NETWORK_DHCP);
  g_autoptr(ScProvisionNetwork) v4 =
      network_ok("static", "192.168.10.20/24", "192.168.10.1", "223.5.5.5, 119.29.29.29");
  assert_string_equal(v4->address, "192.168.10.20/24");
  assert_string_equal(v4->gateway, "192.168.10.1");
  assert_int_equal(g_strv_length(v4->dns), 2);
  assert_string_equal(v4->dns[1], "119.29.29.29");
  g_autoptr(ScProvisionNetwork) small = network_ok("static", "10.1.2.1/30", "10.1.2.2", "");
  assert_int_equal(g_strv_length(small->dns), 0);
  /* IPv6: written canonically; a link-local gateway is the usual one */
  g_autoptr(ScProvisionNetwork) v6 =
      network_ok("static", "2001:DB8:0:0::20/64", "fe80::1", "2001:4860:4860::8888");
  assert_string_equal(v6->address, "2001:db8::20/64");

  g_autofree char *mode = network_error("network", "manual", NULL, NULL, NULL);
  assert_non_null(strstr(mode, "neither dhcp nor static"));
  g_autofree char *extra = network_error("address", "dhcp", "192.168.1.2/24", NULL, NULL);
  assert_non_null(strstr(extra, "only for a static network"));
  g_autofree char *none = network_error("address", "static", NULL, "192.168.1.1", NULL);
  assert_non_null(strstr(none, "ADDRESS/PREFIX"));
  g_autofree char *no_prefix =
      network_error("address", "static", "192.168.1.2", "192.168.1.1", NULL);
  assert_non_null(strstr(no_prefix, "no prefix length"));
  g_autofree char *bad_prefix =
      network_error("address", "static", "192.168.1.2/33", "192.168.1.1", NULL);
  assert_non_null(strstr(bad_prefix, "1 to 32"));
  g_autofree char *not_ip = network_error("address", "static", "box.local/24", "192.168.1.1", NULL);
  assert_non_null(strstr(not_ip, "not an IPv4 or IPv6 address"));
  g_autofree char *net = network_error("address", "static", "192.168.1.0/24", "192.168.1.1", NULL);
  assert_non_null(strstr(net, "the network 192.168.1.0/24 itself"));
  g_autofree char *bcast =
      network_error("address", "static", "192.168.1.255/24", "192.168.1.1", NULL);
  assert_non_null(strstr(bcast, "broadcast"));
  g_autofree char *loop = network_error("address", "static", "127.0.0.5/8", "127.0.0.1", NULL);
  assert_non_null(strstr(loop, "not an address a network port can have"));
  g_autofree char *no_gw = network_error("gateway", "static", "192.168.1.2/24", "", NULL);
  assert_non_null(strstr(no_gw, "needs the router's address"));
  g_autofree char *outside =
      network_error("gateway", "static", "192.168.1.20/24", "192.168.2.1", NULL);
  assert_non_null(strstr(outside, "192.168.2.1 is not in the address's subnet 192.168.1.0/24"));
  g_autofree char *own =
      network_error("gateway", "static", "192.168.1.20/24", "192.168.1.20", NULL);
  assert_non_null(strstr(own, "the box's own address"));
  g_autofree char *any = network_error("gateway", "static", "192.168.1.20/24", "0.0.0.0", NULL);
  assert_non_null(strstr(any, "cannot be a router's address"));
  g_autofree char *family = network_error("gateway", "static", "192.168.1.20/24", "fe80::1", NULL);
  assert_non_null(strstr(family, "IPv4"));
  g_autofree char *dns_bad =
      network_error("dns", "static", "192.168.1.20/24", "192.168.1.1", "1.1.1.1 dns.google");
  assert_non_null(strstr(dns_bad, "'dns.google'"));
  g_autofree char *dns_many = network_error("dns", "static", "192.168.1.20/24", "192.168.1.1",
                                            "1.1.1.1 8.8.8.8 9.9.9.9 223.5.5.5");
  assert_non_null(strstr(dns_many, "at most"));
}

static void
test_network_files(void **state)
{
  g_autoptr(ScProvisionNetwork) dhcp = network_ok("dhcp", NULL, NULL, NULL);
  g_autofree char *d = sc_provision_network_file(dhcp);
  assert_non_null(strstr(d, "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n"));
  assert_null(strstr(d, "Address="));
  g_autoptr(ScProvisionNetwork) v4 =
      network_ok("static", "192.168.10.20/24", "192.168.10.1", "223.5.5.5 119.29.29.29");
  g_autofree char *s = sc_provision_network_file(v4);
  assert_non_null(strstr(s, "[Match]\nName=en* eth*\n\n[Network]\nAddress=192.168.10.20/24\n"
                            "Gateway=192.168.10.1\nDNS=223.5.5.5\nDNS=119.29.29.29\n"));
  assert_null(strstr(s, "DHCP="));
}

static char *
command(ScProvision *p, gboolean live, GError **error, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  va_list args;
  va_start(args, error);
  for (const char *w = va_arg(args, const char *); w; w = va_arg(args, const char *))
    g_ptr_array_add(argv, (gpointer)w);
  va_end(args);
  g_ptr_array_add(argv, NULL);
  return sc_provision_command(p, (const char *const *)argv->pdata, live, "test", error);
}

static void
test_settings_are_written_and_read_back(void **state)
{
  g_autofree char *dir = g_build_filename(sc_test_dir, "data", "system", NULL);
  g_autoptr(ScEventLog) events = sc_event_log_new(10);
  g_autoptr(ScProvision) p = sc_provision_new(dir, events);
  g_autoptr(GError) error = NULL;
  g_autofree char *none = command(p, FALSE, &error, NULL);
  assert_non_null(none);
  assert_non_null(strstr(none, "\"hostname\":null,\"network\":null"));
  g_autofree char *set =
      command(p, FALSE, &error, "set", "--hostname", "Studio-7", "--network", "static", "--address",
              "192.168.10.20/24", "--gateway", "192.168.10.1", "--dns", "223.5.5.5", NULL);
  if (set == NULL)
    fail_msg("%s", error->message);
  assert_non_null(strstr(set, "\"hostname\":\"studio-7\""));
  assert_non_null(strstr(set, "\"address\":\"192.168.10.20/24\""));
  g_autofree char *hostname = read_text(dir, "hostname");
  assert_string_equal(hostname, "studio-7\n");
  g_autofree char *unit = read_text(dir, "network/" SC_PROVISION_NETWORK_FILE);
  assert_non_null(strstr(unit, "Address=192.168.10.20/24\nGateway=192.168.10.1\nDNS=223.5.5.5\n"));
  /* the network alone: the hostname stays */
  g_autofree char *again = command(p, FALSE, &error, "set", "--network", "dhcp", NULL);
  assert_non_null(again);
  assert_non_null(strstr(again, "\"hostname\":\"studio-7\""));
  assert_non_null(strstr(again, "\"network\":{\"mode\":\"dhcp\"}"));
  g_autofree char *dhcp = read_text(dir, "network/" SC_PROVISION_NETWORK_FILE);
  assert_non_null(strstr(dhcp, "DHCP=yes\n"));
  /* a fresh reader sees the same (the JSON on disk is the truth) */
  g_autoptr(ScProvision) other = sc_provision_new(dir, NULL);
  g_autofree char *read_back = sc_provision_to_json(other, &error);
  assert_non_null(strstr(read_back, "\"hostname\":\"studio-7\",\"network\":{\"mode\":\"dhcp\"}"));
  /* each change is in the journal */
  g_autofree char *journal = sc_event_log_to_json_lines(events, 0);
  assert_non_null(strstr(journal, "\"kind\":\"system\""));
  assert_non_null(strstr(journal, "hostname studio-7, network static 192.168.10.20/24 via "
                                  "192.168.10.1, DNS 223.5.5.5, by test"));
  assert_non_null(strstr(journal, "network dhcp, by test"));
}

static gboolean
dir_is_empty_or_missing(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  return d == NULL || g_dir_read_name(d) == NULL;
}

static void
test_bad_input_writes_nothing(void **state)
{
  g_autofree char *dir = g_build_filename(sc_test_dir, "system", NULL);
  g_autoptr(ScProvision) p = sc_provision_new(dir, NULL);
  g_autoptr(GError) error = NULL;
  /* a good hostname with a bad gateway: neither is written */
  g_autofree char *out =
      command(p, FALSE, &error, "set", "--hostname", "studio-1", "--network", "static", "--address",
              "10.0.0.5/24", "--gateway", "10.0.1.1", NULL);
  assert_null(out);
  assert_true(g_str_has_prefix(error->message, "gateway: "));
  assert_true(dir_is_empty_or_missing(dir));
  g_clear_error(&error);
  /* options without a value (the API's absent members) say nothing */
  g_autofree char *empty = command(p, FALSE, &error, "set", "--hostname", "--network", "--address",
                                   "--gateway", "--dns", NULL);
  assert_null(empty);
  assert_non_null(strstr(error->message, "nothing to set"));
  g_clear_error(&error);
  g_autofree char *orphan = command(p, FALSE, &error, "set", "--address", "10.0.0.5/24", NULL);
  assert_null(orphan);
  assert_true(g_str_has_prefix(error->message, "network: "));
  g_clear_error(&error);
  /* live: refused, a new address would drop the stream */
  g_autofree char *live = command(p, TRUE, &error, "set", "--hostname", "studio-1", NULL);
  assert_null(live);
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BUSY));
  assert_true(dir_is_empty_or_missing(dir));
  g_clear_error(&error);
  /* no folder configured */
  g_autoptr(ScProvision) nowhere = sc_provision_new(NULL, NULL);
  g_autofree char *get = command(nowhere, FALSE, &error, NULL);
  assert_null(get);
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED));
  assert_non_null(strstr(error->message, "no system settings directory"));
}

/* A file is replaced, never rewritten in place: a reader of the old one
 * reads it whole, no temporary is left, and a write that fails changes
 * nothing that was there. */
static void
test_files_are_replaced_atomically(void **state)
{
  g_autofree char *dir = g_build_filename(sc_test_dir, "system", NULL);
  g_autoptr(ScProvision) p = sc_provision_new(dir, NULL);
  g_autoptr(GError) error = NULL;
  assert_true(sc_provision_set(p, "first-name-of-the-box", NULL, "test", &error));
  g_autofree char *path = g_build_filename(dir, "hostname", NULL);
  int old = open(path, O_RDONLY);
  assert_true(old >= 0);
  struct stat before, after;
  assert_int_equal(fstat(old, &before), 0);
  assert_true(sc_provision_set(p, "b", NULL, "test", &error));
  assert_int_equal(stat(path, &after), 0);
  assert_true(before.st_ino != after.st_ino); /* a new file was renamed over the old one */
  char buf[64] = "";
  assert_int_equal(read(old, buf, sizeof buf - 1), strlen("first-name-of-the-box\n"));
  assert_string_equal(buf, "first-name-of-the-box\n");
  close(old);
  g_autofree char *now = read_text(dir, "hostname");
  assert_string_equal(now, "b\n");
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  for (const char *name = g_dir_read_name(d); name; name = g_dir_read_name(d))
    assert_null(strstr(name, ".new-"));
  /* the network folder cannot be made: the write fails, the rest is as it was */
  g_autofree char *network = g_build_filename(dir, "network", NULL);
  assert_true(g_file_set_contents(network, "in the way", -1, NULL));
  g_autoptr(ScProvisionNetwork) dhcp = network_ok("dhcp", NULL, NULL, NULL);
  g_autofree char *json_before = read_text(dir, "system.json");
  assert_false(sc_provision_set(p, "c", dhcp, "test", &error));
  assert_non_null(error);
  g_autofree char *kept = read_text(dir, "hostname");
  assert_string_equal(kept, "b\n");
  g_autofree char *json_after = read_text(dir, "system.json");
  assert_string_equal(json_after, json_before);
}

/* ---- the image's apply-system, in a temporary root ---- */

/* A program on PATH that appends its name and arguments to @log. */
static void
recorder(const char *bin, const char *name, const char *log, int status)
{
  g_autofree char *script =
      g_strdup_printf("#!/bin/sh\necho \"%s $*\" >>'%s'\nexit %d\n", name, log, status);
  g_autofree char *path = sc_test_write_file(bin, name, script);
  assert_int_equal(chmod(path, 0755), 0);
}

static int
apply_system(const char *root, const char *bin, char **out, char **err)
{
  g_autofree char *script =
      sc_test_source_path("board/common/image/rootfs/usr/libexec/shopcast/apply-system");
  g_autofree char *path = g_strdup_printf("%s:/usr/bin:/bin", bin);
  g_autofree char *env_root = g_strdup_printf("SHOPCAST_APPLY_ROOT=%s", root);
  g_autofree char *env_path = g_strdup_printf("PATH=%s", path);
  char *argv[] = {"/usr/bin/env", "-i", env_root, env_path, "/bin/sh", script, NULL};
  return sc_test_run(argv, 20, out, err);
}

static void
make_links(const char *root, const char *const *names)
{
  g_autofree char *net = g_build_filename(root, "sys", "class", "net", NULL);
  for (guint i = 0; names[i]; i++) {
    g_autofree char *link = g_build_filename(net, names[i], NULL);
    assert_int_equal(g_mkdir_with_parents(link, 0755), 0);
  }
}

static void
test_apply_system_in_a_temporary_root(void **state)
{
  const char *root = sc_test_dir;
  g_autofree char *bin = g_build_filename(root, "bin", NULL);
  g_autofree char *log = g_build_filename(root, "calls.log", NULL);
  g_mkdir_with_parents(bin, 0755);
  recorder(bin, "hostname", log, 0);
  recorder(bin, "networkctl", log, 0);
  const char *links[] = {"lo", "eth0", "enp1s0", "wlan0", NULL};
  make_links(root, links);
  g_autofree char *dir = g_build_filename(root, "data", "system", NULL);
  g_autoptr(ScProvision) p = sc_provision_new(dir, NULL);
  g_autoptr(ScProvisionNetwork) v4 =
      network_ok("static", "192.168.10.20/24", "192.168.10.1", "223.5.5.5");
  g_autoptr(GError) error = NULL;
  assert_true(sc_provision_set(p, "studio-7", v4, "test", &error));
  g_autofree char *out = NULL, *err = NULL;
  int status = apply_system(root, bin, &out, &err);
  if (status != 0)
    fail_msg("apply-system: %d\n%s%s", status, out, err);
  g_autofree char *run = g_build_filename(root, "run", "systemd", "network", NULL);
  g_autofree char *copied = read_text(run, SC_PROVISION_NETWORK_FILE);
  g_autofree char *written = read_text(dir, "network/" SC_PROVISION_NETWORK_FILE);
  assert_non_null(copied);
  assert_string_equal(copied, written);
  g_autofree char *calls = read_text(root, "calls.log");
  assert_non_null(calls);
  assert_non_null(strstr(calls, "hostname studio-7\n"));
  const char *reload = strstr(calls, "networkctl reload\n");
  const char *reconfigure = strstr(calls, "networkctl reconfigure enp1s0 eth0\n");
  if (reload == NULL || reconfigure == NULL || reload > reconfigure)
    fail_msg("expected a reload, then a reconfigure of the wired links, got:\n%s", calls);
  assert_null(strstr(calls, "wlan0"));
  /* a damaged hostname file is not applied, and says so */
  g_autofree char *bad = sc_test_write_file(dir, "hostname", "bad name; reboot\n");
  g_clear_pointer(&calls, g_free);
  g_unlink(log);
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  assert_int_equal(apply_system(root, bin, &out, &err), 1);
  assert_non_null(strstr(err, "not a valid hostname"));
  calls = read_text(root, "calls.log");
  assert_true(calls == NULL || strstr(calls, "hostname ") == NULL);
  /* before systemd-networkd runs (at boot): the files are in place, not an error */
  recorder(bin, "networkctl", log, 1);
  g_unlink(bad);
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  assert_int_equal(apply_system(root, bin, &out, &err), 0);
  assert_non_null(strstr(out, "reads it when it starts"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hostnames),
      cmocka_unit_test(test_networks),
      cmocka_unit_test(test_network_files),
      cmocka_unit_test_setup_teardown(test_settings_are_written_and_read_back, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_bad_input_writes_nothing, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_files_are_replaced_atomically, sc_test_dir_setup,
                                      sc_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_apply_system_in_a_temporary_root, sc_test_dir_setup,
                                      sc_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
