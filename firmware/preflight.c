#define G_LOG_DOMAIN "shopcast-preflight"

#include "firmware/preflight.h"

#include "firmware/json.h"

#include <gio/gio.h>
#include <errno.h>
#include <sys/statvfs.h>

typedef struct {
  char *what;
  gboolean pass;
  char *detail;
} Item;

struct _ScPreflight {
  GArray *items; /* Item */
  guint failures;
};

static void
item_clear(gpointer p)
{
  Item *item = p;
  g_free(item->what);
  g_free(item->detail);
}

ScPreflight *
sc_preflight_new(void)
{
  ScPreflight *p = g_new0(ScPreflight, 1);
  p->items = g_array_new(FALSE, TRUE, sizeof(Item));
  g_array_set_clear_func(p->items, item_clear);
  return p;
}

void
sc_preflight_free(ScPreflight *p)
{
  if (p == NULL)
    return;
  g_array_unref(p->items);
  g_free(p);
}

void
sc_preflight_add(ScPreflight *p, const char *what, gboolean pass, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  Item item = {g_strdup(what), pass, g_strdup_vprintf(format, ap)};
  va_end(ap);
  g_array_append_val(p->items, item);
  p->failures += pass ? 0 : 1;
  g_log_structured(G_LOG_DOMAIN, pass ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_WARNING, "CHECK", what,
                   "MESSAGE", "pre-flight: %s: %s: %s", what, pass ? "pass" : "FAIL", item.detail);
}

guint
sc_preflight_failures(ScPreflight *p)
{
  return p->failures;
}

void
sc_preflight_check_reachable(ScPreflight *p, const char *what, const char *host, guint16 port,
                             guint timeout_ms)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, MAX(1, (timeout_ms + 999) / 1000));
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GSocketConnection) c =
      g_socket_client_connect_to_host(client, host, port, NULL, &error);
  gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
  if (c)
    sc_preflight_add(p, what, TRUE, "%s:%u answers (%" G_GINT64_FORMAT " ms)", host, port, took_ms);
  else
    sc_preflight_add(p, what, FALSE, "%s:%u: %s", host, port, error->message);
}

void
sc_preflight_check_disk(ScPreflight *p, const char *folder, guint64 need_bytes, const char *need)
{
  struct statvfs fs;
  if (statvfs(folder, &fs) != 0) {
    sc_preflight_add(p, "disk", FALSE, "%s: %s", folder, g_strerror(errno));
    return;
  }
  guint64 free_bytes = (guint64)fs.f_bavail * fs.f_frsize;
  g_autofree char *have = g_format_size(free_bytes);
  g_autofree char *want = g_format_size(need_bytes);
  sc_preflight_add(p, "disk", free_bytes >= need_bytes, "%s free in %s; %s needs %s", have, folder,
                   need, want);
}

char *
sc_preflight_to_json_lines(ScPreflight *p)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < p->items->len; i++) {
    const Item *item = &g_array_index(p->items, Item, i);
    g_string_append(out, "{\"check\":");
    sc_json_append_string(out, item->what);
    g_string_append_printf(out, ",\"pass\":%s,\"detail\":", item->pass ? "true" : "false");
    sc_json_append_string(out, item->detail);
    g_string_append(out, "}\n");
  }
  g_string_append_printf(out, "{\"passed\":%u,\"failed\":%u}\n", p->items->len - p->failures,
                         p->failures);
  return g_string_free(out, FALSE);
}
