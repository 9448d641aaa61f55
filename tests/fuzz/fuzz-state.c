/* fuzz-state.c - the show's state file a restart reads (a power cut may have
 * left anything on the disk): parsed, described, and restored onto the
 * example run of show. */
#include "firmware/show-state.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  sc_fuzz_fatal_logs(G_LOG_LEVEL_CRITICAL);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ScShowState) state =
      sc_show_state_parse("state.json", (const char *)data, size, &error);
  g_assert((state == NULL) == (error != NULL));
  if (state == NULL)
    return 0;
  g_free(sc_show_state_describe(state));
  ScShowFile *file = sc_show_file_load(SC_FUZZ_SHOW, &error);
  g_assert_no_error(error);
  g_autoptr(ScShow) show = sc_show_new(file, NULL, NULL);
  if (!sc_show_state_restore(state, show, &error)) {
    g_assert(error != NULL);
    g_assert(sc_show_get_on_air(show)->product == NULL); /* nothing of it on air */
  }
  return 0;
}
