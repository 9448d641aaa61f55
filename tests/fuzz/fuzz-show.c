/* fuzz-show.c - the run of show an operator prepares: products, prices in
 * yuan, coupons, flash sales, blocks, colours; then a few show actions on
 * what loaded (price corrections and lower thirds typed in the panel). */
#include "overlays/show.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  sc_fuzz_fatal_logs(G_LOG_LEVEL_CRITICAL);
  return 0;
}

static void
act(ScShow *show, const char *text)
{
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
  (void)sc_show_goto_product(show, text, &e1);
  (void)sc_show_correct_price(show, text, &e2);
  (void)sc_show_lower_third(show, text, text, &e3);
  (void)sc_show_next_product(show, &e4);
  (void)sc_show_flash_start(show, &e5);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* the file, then after a NUL what the operator types */
  const uint8_t *nul = memchr(data, '\0', size);
  size_t file_len = nul ? (size_t)(nul - data) : size;
  const char *path = sc_fuzz_write("show.ini", data, file_len);
  g_autoptr(GError) error = NULL;
  ScShowFile *file = sc_show_file_load(path, &error);
  g_assert((file == NULL) == (error != NULL));
  if (file == NULL)
    return 0;
  ScShow *show = sc_show_new(file, NULL, NULL);
  if (nul != NULL) {
    g_autofree char *typed = g_strndup((const char *)nul + 1, size - file_len - 1);
    act(show, typed);
  }
  sc_show_free(show);
  return 0;
}
