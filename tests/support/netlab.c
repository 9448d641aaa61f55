/* netlab.c - tests/netns/lab.sh for cmocka tests. */
#include "tests/support/netlab.h"

#include "tests/support/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <unistd.h>

#define LAB_TIMEOUT_S 30

struct _ScNetLab {
  char *name;
  char *box, *net;
};

static gboolean
run_lab(GPtrArray *args, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, sc_test_source_path("tests/netns/lab.sh"));
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add(argv, g_strdup(g_ptr_array_index(args, i)));
  g_ptr_array_add(argv, NULL);
  g_autofree char *err = NULL;
  int status = sc_test_run((char **)argv->pdata, LAB_TIMEOUT_S, NULL, &err);
  if (status == 0)
    return TRUE;
  g_autofree char *line = g_strjoinv(" ", (char **)argv->pdata + 1);
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "lab.sh %s: exit %d: %s", line, status,
              err ? g_strstrip(err) : "");
  return FALSE;
}

static char *
new_name(void)
{
  static guint serial;
  return g_strdup_printf("sc%u%u", (guint)getpid() % 100000, serial++ % 100);
}

gboolean
sc_netlab_available(char **reason)
{
  if (geteuid() != 0) {
    *reason = g_strdup("network namespaces need root (CI runs as root)");
    return FALSE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(ScNetLab) lab = sc_netlab_new(&error);
  if (lab == NULL) {
    *reason = g_strdup_printf("this kernel or system cannot make the lab: %s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* Why labs cannot be made here, kept for the process's life; NULL where they can. */
static const char *
unusable_reason(void)
{
  static gsize checked;
  static char *reason;
  if (g_once_init_enter(&checked)) {
    sc_netlab_available(&reason); /* sets it only when they cannot */
    g_once_init_leave(&checked, 1);
  }
  return reason;
}

gboolean
sc_netlab_usable(void)
{
  return unusable_reason() == NULL;
}

void
sc_netlab_skip_unless_usable(void)
{
  const char *reason = unusable_reason();
  if (reason) {
    g_print("skipped: %s\n", reason);
    skip();
  }
}

ScNetLab *
sc_netlab_new(GError **error)
{
  g_autoptr(ScNetLab) lab = g_new0(ScNetLab, 1);
  lab->name = new_name();
  lab->box = g_strdup_printf("%s-box", lab->name);
  lab->net = g_strdup_printf("%s-net", lab->name);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_ptr_array_add(args, "down"); /* one left by a killed run of the same PID */
  g_ptr_array_add(args, lab->name);
  if (!run_lab(args, error))
    return NULL;
  g_ptr_array_index(args, 0) = "up";
  if (!run_lab(args, error)) {
    g_clear_pointer(&lab->name, g_free); /* lab.sh up cleaned up after itself */
    return NULL;
  }
  return g_steal_pointer(&lab);
}

void
sc_netlab_free(ScNetLab *lab)
{
  if (lab == NULL)
    return;
  if (lab->name) {
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, "down");
    g_ptr_array_add(args, lab->name);
    g_autoptr(GError) error = NULL;
    if (!run_lab(args, &error))
      g_printerr("%s\n", error->message);
  }
  g_free(lab->name);
  g_free(lab->box);
  g_free(lab->net);
  g_free(lab);
}

const char *
sc_netlab_namespace(ScNetLab *lab, ScNetLabSide side)
{
  return side == SC_NETLAB_BOX ? lab->box : lab->net;
}

gboolean
sc_netlab_run(ScNetLab *lab, GError **error, const char *cmd, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_ptr_array_add(args, (gpointer)cmd);
  g_ptr_array_add(args, lab->name);
  va_list ap;
  va_start(ap, cmd);
  for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
    g_ptr_array_add(args, (gpointer)a);
  va_end(ap);
  return run_lab(args, error);
}

void
sc_netlab_set(ScNetLab *lab, const char *cmd, const char *device, const char *how)
{
  GError *error = NULL;
  if (sc_netlab_run(lab, &error, cmd, device, how, NULL))
    return;
  g_printerr("%s\n", error->message);
  g_error_free(error);
  fail_msg("lab.sh %s %s %s failed (the reason is above)", cmd, device, how);
}
