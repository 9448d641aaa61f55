/* shopcastctl: sends one command to a running shopcastd over its control
 * socket and prints the reply.
 *
 *   shopcastctl [--socket PATH] status | events [N] | drill UPLINK SECONDS |
 *               reconnect [DESTINATION]
 *
 * Exit status: 0 done, 1 shopcastd refused the command (its reason on
 * stderr), 64 usage error, 69 no shopcastd listening on the socket.
 */
#include "sc-build-config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SOCKET "/run/shopcast/control"
#define TIMEOUT_S      10

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 64, EXIT_UNAVAILABLE = 69 };

static char *
join_command(char **words)
{
  GString *line = g_string_new(NULL);
  for (char **w = words; *w; w++) {
    g_autofree char *quoted = g_shell_quote(*w);
    g_string_append_printf(line, "%s%s", line->len ? " " : "", quoted);
  }
  g_string_append_c(line, '\n');
  return g_string_free(line, FALSE);
}

static int
send_command(const char *path, const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, TIMEOUT_S);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);
  if (conn == NULL) {
    fprintf(stderr, "shopcastctl: no shopcastd answers on %s: %s\n", path, error->message);
    return EXIT_UNAVAILABLE;
  }
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  if (!g_output_stream_write_all(out, line, strlen(line), NULL, NULL, &error)) {
    fprintf(stderr, "shopcastctl: %s\n", error->message);
    return EXIT_UNAVAILABLE;
  }
  g_autoptr(GDataInputStream) in =
      g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
  g_autofree char *status = g_data_input_stream_read_line_utf8(in, NULL, NULL, &error);
  if (status == NULL) {
    fprintf(stderr, "shopcastctl: shopcastd closed the connection without a reply%s%s\n",
            error ? ": " : "", error ? error->message : "");
    return EXIT_UNAVAILABLE;
  }
  if (g_str_has_prefix(status, "error: ")) {
    fprintf(stderr, "shopcastctl: %s\n", status + strlen("error: "));
    return EXIT_REFUSED;
  }
  for (guint i = 0; i < 100000; i++) { /* the reply is bounded by shopcastd; this bounds us too */
    g_autofree char *text = g_data_input_stream_read_line_utf8(in, NULL, NULL, NULL);
    if (text == NULL)
      break;
    printf("%s\n", text);
  }
  return EXIT_OK;
}

int
main(int argc, char **argv)
{
  g_autofree char *socket_path = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
      {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
       "shopcastd's control socket (default " DEFAULT_SOCKET ", or $SHOPCAST_CONTROL)", "PATH"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGUMENT...]");
  g_option_context_set_summary(ctx, "Sends a command to the running shopcastd.");
  g_option_context_set_description(
      ctx, "Commands:\n"
           "  status                   uplinks and destinations, one JSON object a line\n"
           "  events [N]               the latest N events (default 50), one JSON object a line\n"
           "  drill UPLINK SECONDS     treat UPLINK as failed for SECONDS (0 ends the drill):\n"
           "                           rehearse the emergency plan on air\n"
           "  reconnect [DESTINATION]  reconnect one destination, or all, now\n"
           "  camera switch NAME       put camera NAME on program\n"
           "  camera set NAME CONTROL VALUE  exposure, white-balance or focus: auto or a number\n"
           "  camera get NAME | camera status\n"
           "  camera drill NAME off|stall|on  rehearse losing a camera; on brings it back\n");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_strict_posix(ctx, TRUE); /* options end at the command */
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "shopcastctl: %s (see --help)\n", error->message);
    return EXIT_USAGE;
  }
  if (version) {
    printf("shopcastctl %s\n", SC_VERSION);
    return EXIT_OK;
  }
  if (argc < 2) {
    fprintf(stderr, "shopcastctl: no command given (see --help)\n");
    return EXIT_USAGE;
  }
  const char *path = socket_path ? socket_path : g_getenv("SHOPCAST_CONTROL");
  g_autofree char *line = join_command(argv + 1);
  return send_command(path ? path : DEFAULT_SOCKET, line);
}
