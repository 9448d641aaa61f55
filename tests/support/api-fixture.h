/* api-fixture.h - what the control API's tests share: shopcastd on the sim
 * board with its panel on a loopback port, streaming live to a local ingest,
 * and a client that calls it as a browser or a script on the studio LAN
 * would (with or without a login, the CSRF token, an Origin). Files that use
 * it include cmocka.h first and are built with api-fixture.c. */
#pragma once

#include "tests/support/ingest.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define TEST_KEY  "api-test-stream-key-4f2a"
#define TECH_PASS "technician-secret-1"
#define OPER_PASS "operator-secret-22"

typedef struct {
  ScTestIngest *ingest;
  char *dir, *ctl, *control, *base;
  guint16 port;
  GSubprocess *daemon;
  SoupSession *http;
} Fixture;

typedef struct {
  char *cookie, *csrf;
} Login;

typedef struct {
  guint status;
  char *body;
  char *set_cookie;
  char *csp;
  char *type, *disposition; /* Content-Type, Content-Disposition */
} Reply;

void reply_clear(Reply *r);
void login_clear(Login *l);

/* One request; @login may be NULL; @origin NULL sends none. */
Reply call_full(Fixture *f, const char *method, const char *path, const char *body,
                const Login *login, gboolean csrf, const char *origin);
/* The same, with the login's CSRF token and no Origin. */
Reply call(Fixture *f, const char *method, const char *path, const char *body, const Login *login);
/* A string member of a JSON object's text, or NULL. */
char *member(const char *json, const char *name);
/* The session a login or the first start's reply opened (asserted). */
Login login_from(Reply *r);
Login login_as(Fixture *f, const char *role, const char *password);
/* The first start: nothing but the setup until the technician's password is
 * set (asserted); returns the technician's session. */
Login first_start(Fixture *f);

/* cmocka setup: the box started with @box_lines (each ending in "\n", may be
 * NULL) added to its [box] group. */
int api_fixture_setup(void **state, const char *box_lines);
int setup(void **state); /* without extra lines */
/* Stops the box, checks its log holds no secret, removes its folder. */
int teardown(void **state);

G_END_DECLS
