/* rtmp-fixture.h - helpers shared by the RTMP tests (test-rtmp.c against the
 * nginx-rtmp ingest, test-rtmp-chunk.c on the chunk stream parser,
 * test-rtmp-peer.c against a scripted peer).
 *
 * The checks fail the running cmocka test, so call them only from the test's
 * own thread, never from a thread that plays a peer. */
#pragma once

#include "pipeline/rtmp.h"

#include <glib.h>

G_BEGIN_DECLS

/* Publishing parameters for @url and @key (borrowed, not copied) with the
 * tests' timeouts: 5000 ms to connect, 3000 ms for a send. */
ScRtmpParams sc_test_rtmp_params(const char *url, const char *key);

/* Fails the test unless @error is SC_RTMP_ERROR / @code, its message holds
 * @fragment (unless NULL), and it does not show the stream key @key (unless
 * NULL): the error a user sees must carry the code, and never the key. */
void sc_test_rtmp_check_error(const GError *error, ScRtmpError code, const char *fragment,
                              const char *key);

/* Milliseconds since @start_us, a g_get_monotonic_time() value. */
gint64 sc_test_rtmp_elapsed_ms(gint64 start_us);

/* A new buffer of @len bytes (at least one allocated) whose contents depend
 * on @seed, so that a body moved to the wrong place shows; g_free() it. */
guint8 *sc_test_rtmp_pattern(gsize len, guint seed);

/* Binds the TCP socket @fd to a free port on 127.0.0.1 and listens on it;
 * stores the port in @port. Fails the test on any error (also for @fd < 0). */
void sc_test_rtmp_listen_loopback(int fd, guint16 *port);

G_END_DECLS
