/* auth.h - who may use the panel and the API: passwords, sessions, lockout.
 *
 * Two roles. The technician configures the box (destinations, stream keys,
 * firmware) and may do everything the operator does; the operator runs the
 * show. There is no default password: until the technician's is set, the
 * panel offers only the first-run setup. The operator's password is optional.
 *
 * Passwords are stored as yescrypt hashes (libcrypt), one per role, in a
 * small INI file written atomically (a temporary file, fsync, rename, fsync
 * of the folder) with mode 0600, so a power cut during a change leaves the
 * old password or the new one, never neither. Hashing costs tens of
 * milliseconds: callers on the main loop run sc_auth_hash_password() in a
 * worker thread (it touches no state) and then commit with
 * sc_auth_store_hash().
 *
 * Sessions live in memory (a restart asks for the password again): a random
 * 256-bit token for the cookie, a separate CSRF token the client echoes in a
 * header, an idle limit and an absolute limit. Logins are rate-limited per
 * client address: after too many wrong passwords in a row the address is
 * locked out for a while, and a success resets the count.
 *
 * Main thread only, except sc_auth_hash_password() and sc_auth_verify_hash().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_AUTH_ERROR (sc_auth_error_quark())
GQuark sc_auth_error_quark(void);

typedef enum {
  SC_AUTH_ERROR_WEAK,   /* a new password does not meet the rules */
  SC_AUTH_ERROR_DENIED, /* a wrong password, or no password set for the role */
  SC_AUTH_ERROR_LOCKED, /* too many wrong passwords from this address: wait */
  SC_AUTH_ERROR_SETUP,  /* the technician's password must be set first */
  SC_AUTH_ERROR_STORE,  /* the password file cannot be read or written */
} ScAuthError;

typedef enum {
  SC_ROLE_NONE = 0, /* not logged in */
  SC_ROLE_OPERATOR,
  SC_ROLE_TECHNICIAN,
} ScRole;

/* "operator", "technician", "none". */
const char *sc_role_name(ScRole role);
/* The role named @name (operator or technician), or SC_ROLE_NONE. */
ScRole sc_role_from_name(const char *name);

#define SC_AUTH_PASSWORD_MIN 8
#define SC_AUTH_PASSWORD_MAX 128

typedef struct {
  guint max_failures;     /* wrong passwords in a row before the lockout; default 5 */
  guint lockout_s;        /* how long the lockout lasts; default 60 */
  guint idle_s;           /* a session unused this long ends; default 12 h */
  guint lifetime_s;       /* a session ends this long after login whatever happens; default 24 h */
  gint64 (*now_us)(void); /* a monotonic clock; NULL: g_get_monotonic_time */
} ScAuthSettings;

typedef struct {
  char *token; /* the cookie's value */
  char *csrf;  /* must come back in the X-CSRF-Token header of state-changing requests */
  ScRole role;
  gint64 created_us, used_us;
} ScSession;

typedef struct _ScAuth ScAuth;

/* Reads the password file at @path if it exists (a missing file means
 * first start). @settings may be NULL for the defaults. */
ScAuth *sc_auth_new(const char *path, const ScAuthSettings *settings,
                    GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_auth_free(ScAuth *self);

/* No technician password yet: only the first-run setup is open. */
gboolean sc_auth_needs_setup(ScAuth *self);
gboolean sc_auth_has_password(ScAuth *self, ScRole role);
/* The stored hash of @role (borrowed), NULL when none is set. */
const char *sc_auth_get_hash(ScAuth *self, ScRole role);

/* Checks a new password against the rules (8..128 characters of valid
 * UTF-8, no control characters). */
gboolean sc_auth_check_new_password(const char *password, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The yescrypt hash of @password with a fresh salt. Any thread. */
char *sc_auth_hash_password(const char *password, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether @password matches @hash (constant time in the comparison). Any thread. */
gboolean sc_auth_verify_hash(const char *password, const char *hash);

/* Stores @hash as @role's password, replacing any, and ends @role's
 * sessions. The operator's needs the technician's to exist. */
gboolean sc_auth_store_hash(ScAuth *self, ScRole role, const char *hash,
                            GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Removes the operator's password (the technician's cannot be removed). */
gboolean sc_auth_remove_operator(ScAuth *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Before checking a password from @peer: FALSE with SC_AUTH_ERROR_LOCKED,
 * saying how long to wait, while @peer is locked out. */
gboolean sc_auth_may_try(ScAuth *self, const char *peer, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* After checking: counts a failure (and may lock @peer out) or clears the count. */
void sc_auth_record_attempt(ScAuth *self, const char *peer, gboolean success);

/* A new session for @role (owned by @self). */
const ScSession *sc_auth_open_session(ScAuth *self, ScRole role);
/* The live session with cookie @token, refreshed; NULL if unknown or expired. */
const ScSession *sc_auth_lookup(ScAuth *self, const char *token);
void sc_auth_close_session(ScAuth *self, const char *token);
/* How many sessions are open. */
guint sc_auth_count_sessions(ScAuth *self);

/* Compares two secrets in time that does not depend on where they differ. */
gboolean sc_auth_equal_secret(const char *a, const char *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScAuth, sc_auth_free)

G_END_DECLS
