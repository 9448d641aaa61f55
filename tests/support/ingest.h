/* ingest.h - a real local RTMP ingest for tests: tools/shopcast-ingest (nginx +
 * nginx-rtmp) started on free loopback ports and stopped by its PID. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *key; /* NULL: any key may publish; else only this one */
  gboolean tls;    /* also accept RTMPS (self-signed certificate, see _ca_file) */
  /* In a network namespace of the test's own (tests/netns/lab.sh): the
   * ingest runs there, listens on @address and @port (both required), and
   * its other ports are @port + 10000 and + 20000. */
  const char *netns;
  const char *address;
  guint16 port;
} ScTestIngestOptions;

typedef struct _ScTestIngest ScTestIngest;

/* Starts the ingest and returns once it accepts connections (at most ~5 s). */
ScTestIngest *sc_test_ingest_start(const ScTestIngestOptions *options, GError **error);
/* The same in a cmocka test: fails the test when the ingest does not start. */
ScTestIngest *sc_test_ingest_start_or_fail(const ScTestIngestOptions *options);
/* Stops the ingest and starts it again on the same ports, as a platform's
 * ingest server restarting: every publication and player is dropped. */
gboolean sc_test_ingest_restart(ScTestIngest *ingest, GError **error);
/* SIGTERM to the ingest's PID, then waits for it; removes its directory. NULL-safe. */
void sc_test_ingest_stop(ScTestIngest *ingest);

guint16 sc_test_ingest_port(ScTestIngest *ingest);
guint16 sc_test_ingest_tls_port(ScTestIngest *ingest); /* 0 without TLS */
/* "rtmp://ADDRESS:PORT/live" or, with @tls, "rtmps://ADDRESS:TLSPORT/live"
 * (ADDRESS: 127.0.0.1 unless the options gave one) */
char *sc_test_ingest_url(ScTestIngest *ingest, gboolean tls);
/* PEM certificate of the TLS front, to trust as the CA. NULL without TLS. */
const char *sc_test_ingest_ca_file(ScTestIngest *ingest);
/* The nginx error log, for assertions on what the ingest saw. */
char *sc_test_ingest_read_log(ScTestIngest *ingest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScTestIngest, sc_test_ingest_stop)

G_END_DECLS
