/* replay.c - a fuzz target without the fuzzer: runs every file of the
 * folders (or files) given through LLVMFuzzerTestOneInput, so the committed
 * corpus and every crash ever found are replayed by `make test`, in the
 * normal build and under ASan+UBSan. */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>

static guint
replay_file(const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data;
  gsize size;
  if (!g_file_get_contents(path, &data, &size, &error)) {
    g_printerr("replay: %s\n", error->message);
    return 0;
  }
  LLVMFuzzerTestOneInput((const uint8_t *)data, size);
  g_free(data);
  return 1;
}

static guint
replay(const char *path)
{
  if (!g_file_test(path, G_FILE_TEST_IS_DIR))
    return replay_file(path);
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while (dir && (name = g_dir_read_name(dir)) != NULL)
    g_ptr_array_add(names, g_build_filename(path, name, NULL));
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
  guint n = 0;
  for (guint i = 0; i < names->len; i++)
    n += replay(g_ptr_array_index(names, i));
  return n;
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    g_printerr("usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 64;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  guint n = 0;
  for (int i = 1; i < argc; i++)
    n += replay(argv[i]);
  if (n == 0) {
    g_printerr("replay: no inputs in the corpus given\n");
    return 1;
  }
  g_autofree char *target = g_path_get_basename(argv[0]);
  printf("%s: %u inputs replayed, none crashed\n", target, n);
  return 0;
}
