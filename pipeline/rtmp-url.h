/* rtmp-url.h - parsing of RTMP/RTMPS ingest URLs.
 *
 * An ingest URL is what a platform hands the streamer: rtmp://host[:port]/app[/instance]
 * or rtmps://host[:port]/app[/instance]. The stream key is kept apart from the URL
 * (it is a secret); sc_rtmp_url_describe() gives a form that is safe to log.
 * Pure functions; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SC_RTMP_URL_ERROR (sc_rtmp_url_error_quark())
GQuark sc_rtmp_url_error_quark(void);

typedef enum {
  SC_RTMP_URL_ERROR_INVALID, /* the text is not a usable rtmp:// or rtmps:// URL */
} ScRtmpUrlError;

typedef struct {
  gboolean tls; /* rtmps:// */
  char *host;   /* host name or address literal (IPv6 without brackets) */
  guint16 port; /* explicit port, or 1935 (rtmp) / 443 (rtmps) */
  char *app; /* application path after the host, without the leading '/', e.g. "live" or "live/x" */
  char *tc_url; /* the tcUrl sent in the RTMP connect command: scheme://host[:port]/app */
} ScRtmpUrl;

/* Parses @text. On failure returns NULL and sets @error with a message a
 * person can act on ("missing application path: expected rtmp://host/app"). */
ScRtmpUrl *sc_rtmp_url_parse(const char *text, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_rtmp_url_free(ScRtmpUrl *url);

/* "rtmp://host:port/app" followed by the key masked, for logs and status:
 * keys of 12 or more characters keep their last 4 ("****7f3a"), shorter ones are
 * masked entirely. Never returns the full key. */
char *sc_rtmp_url_describe(const ScRtmpUrl *url, const char *stream_key);
char *sc_rtmp_url_mask_key(const char *stream_key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScRtmpUrl, sc_rtmp_url_free)

G_END_DECLS
