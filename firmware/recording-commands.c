#include "firmware/recording-commands.h"

#include "firmware/json.h"
#include "firmware/report.h"
#include "firmware/retention.h"

#include <gio/gio.h>

const char *const sc_report_command_usage =
    "report [status [SHOW]] | report list | report set KEY VALUE [SHOW] | "
    "report generate [SHOW] | report path [SHOW]";

static char *
usage(GError **error)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "usage: %s", sc_report_command_usage);
  return NULL;
}

static char *
status(const char *dir)
{
  g_autofree char *id = g_path_get_basename(dir);
  g_autofree char *html = g_build_filename(dir, "report.html", NULL);
  g_autofree char *csv = g_build_filename(dir, "report.csv", NULL);
  g_autofree char *figures = sc_report_get_figures(dir);
  gboolean made = g_file_test(html, G_FILE_TEST_IS_REGULAR);
  GString *out = g_string_new("{\"show\":");
  sc_json_append_string(out, id);
  g_string_append(out, ",\"folder\":");
  sc_json_append_string(out, dir);
  g_string_append(out, ",\"report\":");
  if (made)
    sc_json_append_string(out, html);
  else
    g_string_append(out, "null");
  g_string_append(out, ",\"csv\":");
  if (made)
    sc_json_append_string(out, csv);
  else
    g_string_append(out, "null");
  g_string_append_printf(out, ",\"figures\":%s}\n", g_strstrip(figures));
  return g_string_free(out, FALSE);
}

static char *
list(const char *folder)
{
  g_autoptr(GPtrArray) shows = sc_retention_list(folder);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < shows->len; i++)
    g_string_append_printf(out, "%s\n", (char *)g_ptr_array_index(shows, i));
  return g_string_free(out, FALSE);
}

static char *
generate(const char *dir, GError **error)
{
  if (!sc_report_generate(dir, error))
    return NULL;
  return g_build_filename(dir, "report.html\n", NULL);
}

char *
sc_report_command(ScRecording *recording, const char *const *argv, GError **error)
{
  guint n = g_strv_length((char **)argv);
  const char *verb = n ? argv[0] : "status";
  gboolean set = g_str_equal(verb, "set");
  if (g_str_equal(verb, "list") && n == 1)
    return list(sc_recording_get_folder(recording));
  guint show_at = set ? 3 : 1;
  if ((set && n != 3 && n != 4) || (!set && n > 2))
    return usage(error);
  if (!set && !g_str_equal(verb, "status") && !g_str_equal(verb, "generate") &&
      !g_str_equal(verb, "path"))
    return usage(error);
  g_autofree char *dir =
      sc_recording_find_show(recording, n > show_at ? argv[show_at] : NULL, error);
  if (dir == NULL)
    return NULL;
  if (set)
    return sc_report_set_figure(dir, argv[1], argv[2], error) ? generate(dir, error) : NULL;
  if (g_str_equal(verb, "generate"))
    return generate(dir, error);
  if (g_str_equal(verb, "path"))
    return g_build_filename(dir, "report.html\n", NULL);
  return status(dir);
}
