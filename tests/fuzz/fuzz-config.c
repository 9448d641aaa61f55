/* fuzz-config.c - shopcast.ini as a technician writes it, or as the panel's
 * config editor sends it: every group and key of the daemon's config, the
 * destinations, uplinks, cameras and the studio's buttons, lights and
 * scenes against the simulated board's pins. */
#include "firmware/config.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  sc_fuzz_fatal_logs(G_LOG_LEVEL_CRITICAL);
  if (g_getenv("SHOPCAST_BOARD_DIR") == NULL)
    g_setenv("SHOPCAST_BOARD_DIR", SC_FUZZ_BOARD_DIR, TRUE);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = sc_fuzz_write("shopcast.ini", data, size);
  g_autoptr(GError) error = NULL;
  ScConfig *config = sc_config_load(path, &error);
  g_assert((config == NULL) == (error != NULL));
  if (config == NULL)
    g_assert(error->message != NULL && *error->message != '\0');
  else
    sc_config_free(config);
  return 0;
}
