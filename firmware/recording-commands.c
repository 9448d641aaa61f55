#include "firmware/recording-commands.h"

#include "firmware/json.h"
#include "firmware/report.h"
#include "firmware/retention.h"

#include <gio/gio.h>

const char *const sc_report_command_usage =
    "report [status [SHOW]] | report list | report set KEY VALUE [SHOW] | "
    "report generate [SHOW] | report path [SHOW] | report file html|csv [SHOW]";

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

static gboolean
has_report(const char *dir, const char *kind)
{
  g_autofree char *name = g_strconcat("report.", kind, NULL);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

/* One JSON object a line: {"show":ID,"report":true|false}. */
static char *
list(const char *folder)
{
  g_autoptr(GPtrArray) shows = sc_retention_list(folder);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < shows->len; i++) {
    const char *id = g_ptr_array_index(shows, i);
    g_autofree char *dir = g_build_filename(folder, id, NULL);
    g_string_append(out, "{\"show\":");
    sc_json_append_string(out, id);
    g_string_append_printf(out, ",\"report\":%s}\n", has_report(dir, "html") ? "true" : "false");
  }
  return g_string_free(out, FALSE);
}

/* The path of the report's HTML or CSV file, once it is made. */
static char *
file(const char *dir, const char *kind, GError **error)
{
  if (!g_str_equal(kind, "html") && !g_str_equal(kind, "csv"))
    return usage(error);
  if (!has_report(dir, kind)) {
    g_autofree char *id = g_path_get_basename(dir);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "show %s has no report yet: it is made when the show ends (or with `report "
                "generate`)",
                id);
    return NULL;
  }
  return g_strdup_printf("%s/report.%s\n", dir, kind);
}

static char *
generate(const char *dir, GError **error)
{
  if (!sc_report_generate(dir, error))
    return NULL;
  return g_build_filename(dir, "report.html\n", NULL);
}

/* The verbs that take a show, and how many words come between the verb and the show. */
static const struct {
  const char *verb;
  guint args;
} verbs[] = {{"status", 0}, {"generate", 0}, {"path", 0}, {"set", 2}, {"file", 1}};

char *
sc_report_command(ScRecording *recording, const char *const *argv, GError **error)
{
  guint n = g_strv_length((char **)argv);
  const char *verb = n ? argv[0] : "status";
  if (g_str_equal(verb, "list") && n == 1)
    return list(sc_recording_get_folder(recording));
  guint args = G_MAXUINT;
  for (guint i = 0; i < G_N_ELEMENTS(verbs); i++)
    if (g_str_equal(verb, verbs[i].verb))
      args = verbs[i].args;
  if (args == G_MAXUINT || (n > 0 && n < 1 + args) || n > 2 + args)
    return usage(error);
  g_autofree char *dir =
      sc_recording_find_show(recording, n == 2 + args ? argv[1 + args] : NULL, error);
  if (dir == NULL)
    return NULL;
  if (g_str_equal(verb, "set"))
    return sc_report_set_figure(dir, argv[1], argv[2], error) ? generate(dir, error) : NULL;
  if (g_str_equal(verb, "generate"))
    return generate(dir, error);
  if (g_str_equal(verb, "path"))
    return g_build_filename(dir, "report.html\n", NULL);
  if (g_str_equal(verb, "file"))
    return file(dir, argv[1], error);
  return status(dir);
}
