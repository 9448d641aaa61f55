/* api-fixture.h - what the control API's tests share (test-api.c,
 * test-api-files.c): a shopcastd on the simulated board, live to a local
 * ingest, with the example show and its panel on a loopback port, started
 * before each test and stopped after it (checking that no stream key or
 * password reached its log); calls to its API as a client on the studio LAN
 * makes them, with or without a login, its CSRF token and an Origin.
 *
 * The checks fail the running cmocka test: files that use it include
 * cmocka.h first. */
#pragma once

#include "tests/support/ingest.h"

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The destination's stream key and the passwords: none may show in the log. */
#define TEST_KEY  "api-test-stream-key-4f2a"
#define TECH_PASS "technician-secret-1"
#define OPER_PASS "operator-secret-22"

typedef struct {
  ScTestIngest *ingest;
  char *dir;     /* the box's files: config, passwords, recordings, update */
  char *ctl;     /* tools/shopcastctl */
  char *control; /* shopcastd's Unix socket */
  char *base;    /* http://127.0.0.1:PORT */
  guint16 port;
  GSubprocess *daemon;
  SoupSession *http;
} Fixture;

/* A session: its Cookie header and CSRF token (login_clear() frees them). */
typedef struct {
  char *cookie, *csrf;
} Login;

/* An answer (reply_clear() frees it). */
typedef struct {
  guint status;
  char *body; /* "" for an empty body */
  char *set_cookie;
  char *csp;
  char *type, *disposition; /* Content-Type, Content-Disposition */
} Reply;

/* cmocka setup and teardown: *state is the Fixture. */
int api_setup(void **state);
/* The same with more [box] lines (each ending in "\n"). */
int api_setup_with(void **state, const char *box_lines);
int api_teardown(void **state);

void reply_clear(Reply *r);
void login_clear(Login *l);

/* One request; @login may be NULL; @origin NULL sends none. */
Reply call_full(Fixture *f, const char *method, const char *path, const char *body,
                const Login *login, gboolean csrf, const char *origin);
/* One request with the login's CSRF token and no Origin. */
Reply call(Fixture *f, const char *method, const char *path, const char *body, const Login *login);

/* The string member @name of the JSON object @json, or NULL. */
char *member(const char *json, const char *name);
/* The session a login or setup reply opened (failing the test unless it
 * opened one, with a safe cookie). */
Login login_from(Reply *r);
Login login_as(Fixture *f, const char *role, const char *password);

/* The first start: nothing but the setup until the technician's password is
 * set; returns the technician's login. */
Login first_start(Fixture *f);

G_END_DECLS
