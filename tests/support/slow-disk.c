#define _GNU_SOURCE /* RTLD_NEXT */

#include "tests/support/slow-disk.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static GMutex lock;
static char *slow_folder; /* resolved; NULL: no slow folder */
static guint slow_ms;
static guint syncs;

void
sc_slow_disk_set(const char *folder, guint ms)
{
  char *resolved = folder ? realpath(folder, NULL) : NULL;
  g_assert(folder == NULL || resolved != NULL);
  g_mutex_lock(&lock);
  free(slow_folder);
  slow_folder = resolved;
  slow_ms = ms;
  syncs = 0;
  g_mutex_unlock(&lock);
}

guint
sc_slow_disk_get_syncs(void)
{
  g_mutex_lock(&lock);
  guint n = syncs;
  g_mutex_unlock(&lock);
  return n;
}

/* How much longer an fsync of @fd takes: 0 unless it is in the slow folder. */
static guint
delay_for(int fd)
{
  g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_mutex_lock(&lock);
  gsize n = slow_folder ? strlen(slow_folder) : 0;
  gboolean slow = target && n > 0 && strncmp(target, slow_folder, n) == 0 &&
                  (target[n] == '/' || target[n] == '\0');
  if (slow)
    syncs++;
  guint ms = slow ? slow_ms : 0;
  g_mutex_unlock(&lock);
  return ms;
}

int
fsync(int fd)
{
  static gsize real = 0; /* the C library's fsync() */
  if (g_once_init_enter(&real))
    g_once_init_leave(&real, (gsize)dlsym(RTLD_NEXT, "fsync"));
  guint ms = delay_for(fd);
  if (ms > 0)
    g_usleep(ms * G_TIME_SPAN_MILLISECOND);
  return ((int (*)(int))real)(fd);
}
