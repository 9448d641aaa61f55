#define G_LOG_DOMAIN "shopcast-auth"

#include "firmware/auth.h"

#include "firmware/safe-file.h"

#include <crypt.h>
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>

G_DEFINE_QUARK(sc - auth - error - quark, sc_auth_error)

#define TOKEN_BYTES 32

typedef struct {
  guint failures;
  gint64 locked_until_us;
} Attempts;

struct _ScAuth {
  char *path;
  ScAuthSettings settings;
  char *hash[3];        /* by role; NULL: none set */
  GHashTable *sessions; /* token -> ScSession* */
  GHashTable *attempts; /* peer address -> Attempts* */
};

const char *
sc_role_name(ScRole role)
{
  return role == SC_ROLE_TECHNICIAN ? "technician" : role == SC_ROLE_OPERATOR ? "operator" : "none";
}

ScRole
sc_role_from_name(const char *name)
{
  if (g_strcmp0(name, "technician") == 0)
    return SC_ROLE_TECHNICIAN;
  if (g_strcmp0(name, "operator") == 0)
    return SC_ROLE_OPERATOR;
  return SC_ROLE_NONE;
}

static gint64
now_us(ScAuth *self)
{
  return self->settings.now_us ? self->settings.now_us() : g_get_monotonic_time();
}

static void
session_free(gpointer data)
{
  ScSession *s = data;
  g_free(s->token);
  g_free(s->csrf);
  g_free(s);
}

static gboolean
load(ScAuth *self, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(kf, self->path, G_KEY_FILE_NONE, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE; /* first start */
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_STORE, "%s: %s", self->path, local->message);
    return FALSE;
  }
  for (ScRole r = SC_ROLE_OPERATOR; r <= SC_ROLE_TECHNICIAN; r++) {
    self->hash[r] = g_key_file_get_string(kf, sc_role_name(r), "hash", NULL);
    if (self->hash[r] && !g_str_has_prefix(self->hash[r], "$y$")) {
      g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_STORE,
                  "%s: [%s] hash is not a yescrypt hash; remove the file and set the password "
                  "again",
                  self->path, sc_role_name(r));
      return FALSE;
    }
  }
  return TRUE;
}

ScAuth *
sc_auth_new(const char *path, const ScAuthSettings *settings, GError **error)
{
  g_autoptr(ScAuth) self = g_new0(ScAuth, 1);
  self->path = g_strdup(path);
  if (settings)
    self->settings = *settings;
  ScAuthSettings *s = &self->settings;
  s->max_failures = s->max_failures ? s->max_failures : 5;
  s->lockout_s = s->lockout_s ? s->lockout_s : 60;
  s->idle_s = s->idle_s ? s->idle_s : 12 * 3600;
  s->lifetime_s = s->lifetime_s ? s->lifetime_s : 24 * 3600;
  self->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, session_free);
  self->attempts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  if (!load(self, error))
    return NULL;
  return g_steal_pointer(&self);
}

void
sc_auth_free(ScAuth *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS(self->hash); i++)
    g_free(self->hash[i]);
  g_clear_pointer(&self->sessions, g_hash_table_unref);
  g_clear_pointer(&self->attempts, g_hash_table_unref);
  g_free(self->path);
  g_free(self);
}

gboolean
sc_auth_needs_setup(ScAuth *self)
{
  return self->hash[SC_ROLE_TECHNICIAN] == NULL;
}

gboolean
sc_auth_has_password(ScAuth *self, ScRole role)
{
  return role != SC_ROLE_NONE && self->hash[role] != NULL;
}

const char *
sc_auth_get_hash(ScAuth *self, ScRole role)
{
  return role == SC_ROLE_NONE ? NULL : self->hash[role];
}

gboolean
sc_auth_check_new_password(const char *password, GError **error)
{
  if (password == NULL || !g_utf8_validate(password, -1, NULL)) {
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_WEAK, "the password must be UTF-8 text");
    return FALSE;
  }
  glong chars = g_utf8_strlen(password, -1);
  if (chars < SC_AUTH_PASSWORD_MIN || chars > SC_AUTH_PASSWORD_MAX) {
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_WEAK,
                "the password must have %d to %d characters (it has %ld)", SC_AUTH_PASSWORD_MIN,
                SC_AUTH_PASSWORD_MAX, chars);
    return FALSE;
  }
  for (const char *p = password; *p; p = g_utf8_next_char(p))
    if (g_unichar_iscntrl(g_utf8_get_char(p))) {
      g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_WEAK,
                  "the password must not contain control characters");
      return FALSE;
    }
  return TRUE;
}

char *
sc_auth_hash_password(const char *password, GError **error)
{
  g_autofree char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
  if (salt == NULL) {
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_STORE, "cannot make a yescrypt salt: %s",
                g_strerror(errno));
    return NULL;
  }
  struct crypt_data *data = g_new0(struct crypt_data, 1);
  const char *hash = crypt_r(password, salt, data);
  char *result = hash && hash[0] == '$' ? g_strdup(hash) : NULL;
  explicit_bzero(data, sizeof *data);
  g_free(data);
  if (result == NULL)
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_STORE, "yescrypt failed");
  return result;
}

gboolean
sc_auth_equal_secret(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  gsize la = strlen(a), lb = strlen(b);
  guchar diff = la != lb;
  for (gsize i = 0; i < la; i++)
    diff |= (guchar)a[i] ^ (guchar)b[i % (lb ? lb : 1)];
  return diff == 0;
}

gboolean
sc_auth_verify_hash(const char *password, const char *hash)
{
  if (password == NULL || hash == NULL)
    return FALSE;
  struct crypt_data *data = g_new0(struct crypt_data, 1);
  const char *again = crypt_r(password, hash, data);
  gboolean ok = again && again[0] == '$' && sc_auth_equal_secret(again, hash);
  explicit_bzero(data, sizeof *data);
  g_free(data);
  return ok;
}

static gboolean
save(ScAuth *self, char *const hash[3], GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  for (ScRole r = SC_ROLE_OPERATOR; r <= SC_ROLE_TECHNICIAN; r++)
    if (hash[r])
      g_key_file_set_string(kf, sc_role_name(r), "hash", hash[r]);
  gsize len = 0;
  g_autofree char *text = g_key_file_to_data(kf, &len, NULL);
  g_autofree char *folder = g_path_get_dirname(self->path);
  g_autoptr(GError) local = NULL;
  if (g_mkdir_with_parents(folder, 0700) != 0 ||
      !sc_file_replace(self->path, text, len, 0600, &local)) {
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_STORE, "cannot save the password: %s",
                local ? local->message : g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static void
close_sessions_of(ScAuth *self, ScRole role)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, self->sessions);
  while (g_hash_table_iter_next(&it, NULL, &value))
    if (((ScSession *)value)->role == role)
      g_hash_table_iter_remove(&it);
}

gboolean
sc_auth_store_hash(ScAuth *self, ScRole role, const char *hash, GError **error)
{
  g_return_val_if_fail(role != SC_ROLE_NONE && hash != NULL, FALSE);
  if (role == SC_ROLE_OPERATOR && sc_auth_needs_setup(self)) {
    g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_SETUP,
                "set the technician's password before the operator's");
    return FALSE;
  }
  char *next[3] = {NULL, self->hash[1], self->hash[2]};
  next[role] = (char *)hash;
  if (!save(self, next, error))
    return FALSE;
  g_free(self->hash[role]);
  self->hash[role] = g_strdup(hash);
  close_sessions_of(self, role);
  return TRUE;
}

gboolean
sc_auth_remove_operator(ScAuth *self, GError **error)
{
  char *next[3] = {NULL, NULL, self->hash[SC_ROLE_TECHNICIAN]};
  if (!save(self, next, error))
    return FALSE;
  g_clear_pointer(&self->hash[SC_ROLE_OPERATOR], g_free);
  close_sessions_of(self, SC_ROLE_OPERATOR);
  return TRUE;
}

gboolean
sc_auth_may_try(ScAuth *self, const char *peer, GError **error)
{
  Attempts *a = g_hash_table_lookup(self->attempts, peer ? peer : "");
  gint64 now = now_us(self);
  if (a == NULL || a->locked_until_us <= now)
    return TRUE;
  gint64 wait_s = (a->locked_until_us - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  g_set_error(error, SC_AUTH_ERROR, SC_AUTH_ERROR_LOCKED,
              "too many wrong passwords: try again in %" G_GINT64_FORMAT " s", wait_s);
  return FALSE;
}

void
sc_auth_record_attempt(ScAuth *self, const char *peer, gboolean success)
{
  peer = peer ? peer : "";
  if (success) {
    g_hash_table_remove(self->attempts, peer);
    return;
  }
  Attempts *a = g_hash_table_lookup(self->attempts, peer);
  if (a == NULL) {
    if (g_hash_table_size(self->attempts) >=
        4096) /* a flood of addresses: forget the oldest state */
      g_hash_table_remove_all(self->attempts);
    a = g_new0(Attempts, 1);
    g_hash_table_insert(self->attempts, g_strdup(peer), a);
  }
  if (a->locked_until_us && a->locked_until_us <= now_us(self))
    a->failures = 0, a->locked_until_us = 0; /* the last lockout is over: a fresh count */
  if (++a->failures >= self->settings.max_failures) {
    a->locked_until_us = now_us(self) + (gint64)self->settings.lockout_s * G_USEC_PER_SEC;
    g_warning("login: %u wrong passwords in a row from %s: locked out for %u s", a->failures, peer,
              self->settings.lockout_s);
  }
}

static char *
random_token(void)
{
  guint8 bytes[TOKEN_BYTES];
  gsize got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0)
      got += (gsize)n;
    else if (errno != EINTR)
      g_error("getrandom: %s", g_strerror(errno)); /* no entropy: no safe session */
  }
  GString *hex = g_string_sized_new(2 * TOKEN_BYTES);
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf(hex, "%02x", bytes[i]);
  explicit_bzero(bytes, sizeof bytes);
  return g_string_free(hex, FALSE);
}

static gboolean
expired(ScAuth *self, const ScSession *s, gint64 now)
{
  return now - s->used_us > (gint64)self->settings.idle_s * G_USEC_PER_SEC ||
         now - s->created_us > (gint64)self->settings.lifetime_s * G_USEC_PER_SEC;
}

static void
drop_expired(ScAuth *self)
{
  gint64 now = now_us(self);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, self->sessions);
  while (g_hash_table_iter_next(&it, NULL, &value))
    if (expired(self, value, now))
      g_hash_table_iter_remove(&it);
}

const ScSession *
sc_auth_open_session(ScAuth *self, ScRole role)
{
  drop_expired(self);
  ScSession *s = g_new0(ScSession, 1);
  s->token = random_token();
  s->csrf = random_token();
  s->role = role;
  s->created_us = s->used_us = now_us(self);
  g_hash_table_insert(self->sessions, s->token, s);
  return s;
}

const ScSession *
sc_auth_lookup(ScAuth *self, const char *token)
{
  if (token == NULL || strlen(token) != 2 * TOKEN_BYTES)
    return NULL;
  ScSession *s = g_hash_table_lookup(self->sessions, token);
  if (s == NULL)
    return NULL;
  gint64 now = now_us(self);
  if (expired(self, s, now)) {
    g_hash_table_remove(self->sessions, token);
    return NULL;
  }
  s->used_us = now;
  return s;
}

void
sc_auth_close_session(ScAuth *self, const char *token)
{
  if (token)
    g_hash_table_remove(self->sessions, token);
}

guint
sc_auth_count_sessions(ScAuth *self)
{
  drop_expired(self);
  return g_hash_table_size(self->sessions);
}
