#define G_LOG_DOMAIN "shopcast-save"

#include "firmware/background-save.h"

#include "firmware/safe-file.h"

#include <string.h>

struct _ScBackgroundSave {
  char *path;
  int mode;
  ScBackgroundSaveDone done;
  gpointer user_data;
  GMainContext *context; /* where @done is called */
  GThread *thread;

  GMutex lock; /* the rest is shared with the thread */
  GCond cond;  /* something to write, a write finished, or quit */
  char *waiting;
  guint64 put;     /* contents put so far */
  guint64 written; /* of them, those the finished writes stand for */
  GError *failure; /* the latest write's; NULL: it succeeded */
  GPtrArray *news; /* GError* (NULL: written again), for @done */
  GSource *report; /* the main context's pending call, or NULL */
  gboolean quit;
};

/* For GError* arrays that hold NULL too. */
static void
error_free0(gpointer error)
{
  if (error)
    g_error_free(error);
}

/* ---- the main context ---- */

static gboolean
report(gpointer data)
{
  ScBackgroundSave *self = data;
  g_mutex_lock(&self->lock);
  g_autoptr(GPtrArray) news = g_steal_pointer(&self->news);
  self->news = g_ptr_array_new_with_free_func(error_free0);
  g_clear_pointer(&self->report, g_source_unref);
  g_mutex_unlock(&self->lock);
  for (guint i = 0; i < news->len; i++)
    self->done(g_ptr_array_index(news, i), self->user_data);
  return G_SOURCE_REMOVE;
}

/* ---- the thread ---- */

/* With the lock held: the outcome of a write, told when it differs from the last. */
static void
finished(ScBackgroundSave *self, GError *error)
{
  gboolean news = (error != NULL) != (self->failure != NULL);
  g_clear_error(&self->failure);
  self->failure = error;
  if (!news || self->done == NULL)
    return;
  g_ptr_array_add(self->news, error ? g_error_copy(error) : NULL);
  if (self->report)
    return;
  self->report = g_idle_source_new();
  g_source_set_callback(self->report, report, self, NULL);
  g_source_attach(self->report, self->context);
}

static gpointer
run(gpointer data)
{
  ScBackgroundSave *self = data;
  g_mutex_lock(&self->lock);
  for (;;) {
    while (self->waiting == NULL && !self->quit)
      g_cond_wait(&self->cond, &self->lock);
    if (self->waiting == NULL)
      break; /* quit, and everything written */
    g_autofree char *text = g_steal_pointer(&self->waiting);
    guint64 stands_for = self->put;
    g_mutex_unlock(&self->lock);
    GError *error = NULL;
    if (!sc_file_replace(self->path, text, strlen(text), self->mode, &error))
      g_debug("%s", error->message);
    g_mutex_lock(&self->lock);
    self->written = stands_for;
    finished(self, error);
    g_cond_broadcast(&self->cond);
  }
  g_mutex_unlock(&self->lock);
  return NULL;
}

/* ---- the owner ---- */

ScBackgroundSave *
sc_background_save_new(const char *path, int mode, ScBackgroundSaveDone done, gpointer user_data)
{
  ScBackgroundSave *self = g_new0(ScBackgroundSave, 1);
  self->path = g_strdup(path);
  self->mode = mode;
  self->done = done;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default();
  self->news = g_ptr_array_new_with_free_func(error_free0);
  g_mutex_init(&self->lock);
  g_cond_init(&self->cond);
  self->thread = g_thread_new("sc-save", run, self);
  return self;
}

void
sc_background_save_put(ScBackgroundSave *self, char *text)
{
  g_return_if_fail(text != NULL);
  g_mutex_lock(&self->lock);
  g_free(self->waiting);
  self->waiting = text;
  self->put++;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
}

gboolean
sc_background_save_flush(ScBackgroundSave *self, GError **error)
{
  g_mutex_lock(&self->lock);
  while (self->written < self->put)
    g_cond_wait(&self->cond, &self->lock);
  gboolean ok = self->failure == NULL;
  if (!ok)
    g_propagate_error(error, g_error_copy(self->failure));
  g_mutex_unlock(&self->lock);
  return ok;
}

void
sc_background_save_free(ScBackgroundSave *self)
{
  if (self == NULL)
    return;
  g_mutex_lock(&self->lock);
  self->quit = TRUE;
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
  g_thread_join(self->thread);
  if (self->report) {
    g_source_destroy(self->report);
    g_source_unref(self->report);
  }
  g_ptr_array_unref(self->news);
  g_clear_error(&self->failure);
  g_mutex_clear(&self->lock);
  g_cond_clear(&self->cond);
  g_main_context_unref(self->context);
  g_free(self->path);
  g_free(self);
}
