/* rtmp-url.c - parsing of RTMP/RTMPS ingest URLs.
 *
 * Error messages quote only the offending part, never the whole text: people
 * paste URLs with the stream key appended, and errors end up in logs. */
#include "pipeline/rtmp-url.h"

#include <gio/gio.h>
#include <string.h>

GQuark
sc_rtmp_url_error_quark(void)
{
  return g_quark_from_static_string("sc-rtmp-url-error-quark");
}

#define EXPECTED "expected rtmp://host[:port]/app or rtmps://host[:port]/app"

static gpointer invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gpointer
invalid(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, SC_RTMP_URL_ERROR, SC_RTMP_URL_ERROR_INVALID, message);
  return NULL;
}

void
sc_rtmp_url_free(ScRtmpUrl *url)
{
  if (url == NULL)
    return;
  g_free(url->host);
  g_free(url->app);
  g_free(url->tc_url);
  g_free(url);
}

static gboolean
check_characters(const char *text, GError **error)
{
  for (const char *p = text; *p; p++) {
    guchar c = (guchar)*p;
    if (c <= ' ' || c == 0x7f) {
      invalid(error, "the URL contains a space or control character at position %d (pasted?)",
              (int)(p - text) + 1);
      return FALSE;
    }
  }
  return TRUE;
}

/* Sets url->tls from the scheme and returns what follows "://". */
static const char *
parse_scheme(const char *text, ScRtmpUrl *url, GError **error)
{
  const char *sep = strstr(text, "://");
  if (sep == NULL)
    return invalid(error, "missing scheme: " EXPECTED);
  g_autofree char *scheme = g_ascii_strdown(text, sep - text);
  if (g_str_equal(scheme, "rtmp"))
    url->tls = FALSE;
  else if (g_str_equal(scheme, "rtmps"))
    url->tls = TRUE;
  else if (*scheme == '\0' || strspn(scheme, "abcdefghijklmnopqrstuvwxyz") != strlen(scheme))
    return invalid(error, "missing scheme: " EXPECTED);
  else
    return invalid(error, "unsupported scheme '%.16s': " EXPECTED, scheme);
  return sep + 3;
}

static gboolean
parse_port(const char *text, ScRtmpUrl *url, GError **error)
{
  gsize len = strlen(text);
  guint64 port = 0;
  gboolean digits = len > 0 && len <= 5 && strspn(text, "0123456789") == len;
  if (digits)
    port = g_ascii_strtoull(text, NULL, 10);
  if (!digits || port < 1 || port > 65535) {
    invalid(error, "invalid port '%.16s': expected a number from 1 to 65535", text);
    return FALSE;
  }
  url->port = (guint16)port;
  return TRUE;
}

static gboolean
check_host_name(const char *host, GError **error)
{
  if (*host == '\0') {
    invalid(error, "missing host: " EXPECTED);
    return FALSE;
  }
  gsize ok = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
  if (host[ok] == ':') {
    invalid(error, "an IPv6 address must be in brackets: rtmp://[2001:db8::1]/app");
    return FALSE;
  }
  if (host[ok] != '\0') {
    invalid(error, "invalid character '%c' in the host name", host[ok]);
    return FALSE;
  }
  return TRUE;
}

/* "[v6]" or "[v6]:port" */
static gboolean
parse_bracketed(const char *authority, ScRtmpUrl *url, const char **port, GError **error)
{
  const char *close = strchr(authority, ']');
  g_autofree char *host = close ? g_strndup(authority + 1, close - authority - 1) : NULL;
  if (host == NULL || !strchr(host, ':') || !g_hostname_is_ip_address(host)) {
    invalid(error, "invalid IPv6 address in brackets: expected rtmp://[2001:db8::1]/app");
    return FALSE;
  }
  if (close[1] != '\0' && close[1] != ':') {
    invalid(error, "unexpected text after the IPv6 address: expected [address]:port");
    return FALSE;
  }
  *port = close[1] == ':' ? close + 2 : NULL;
  url->host = g_steal_pointer(&host);
  return TRUE;
}

/* Sets *explicit_port when the URL names a port. */
static gboolean
parse_authority(const char *authority, ScRtmpUrl *url, gboolean *explicit_port, GError **error)
{
  const char *port = NULL;
  if (strchr(authority, '@')) {
    invalid(error, "user names and passwords in the URL are not supported: " EXPECTED);
    return FALSE;
  }
  if (authority[0] == '[') {
    if (!parse_bracketed(authority, url, &port, error))
      return FALSE;
  } else {
    const char *colon = strchr(authority, ':');
    if (colon && strchr(colon + 1, ':')) {
      invalid(error, "an IPv6 address must be in brackets: rtmp://[2001:db8::1]/app");
      return FALSE;
    }
    url->host = colon ? g_strndup(authority, colon - authority) : g_strdup(authority);
    if (!check_host_name(url->host, error))
      return FALSE;
    port = colon ? colon + 1 : NULL;
  }
  *explicit_port = port != NULL;
  if (port)
    return parse_port(port, url, error);
  url->port = url->tls ? 443 : 1935;
  return TRUE;
}

static gboolean
parse_app(const char *path, ScRtmpUrl *url, GError **error)
{
  gsize len = path ? strlen(path) : 0;
  while (len > 0 && path[len - 1] == '/')
    len--;
  if (len == 0) {
    invalid(error, "missing application path: expected rtmp://host/app");
    return FALSE;
  }
  if (path[0] == '/') {
    invalid(error, "empty application name (a doubled '/' after the host?)");
    return FALSE;
  }
  url->app = g_strndup(path, len);
  return TRUE;
}

static char *
format_base(const ScRtmpUrl *url, gboolean with_port)
{
  gboolean v6 = strchr(url->host, ':') != NULL;
  g_autofree char *port = with_port ? g_strdup_printf(":%u", url->port) : g_strdup("");
  return g_strdup_printf("%s://%s%s%s%s/%s", url->tls ? "rtmps" : "rtmp", v6 ? "[" : "", url->host,
                         v6 ? "]" : "", port, url->app);
}

ScRtmpUrl *
sc_rtmp_url_parse(const char *text, GError **error)
{
  if (text == NULL || *text == '\0')
    return invalid(error, "the URL is empty: " EXPECTED);
  if (!check_characters(text, error))
    return NULL;
  g_autoptr(ScRtmpUrl) url = g_new0(ScRtmpUrl, 1);
  const char *rest = parse_scheme(text, url, error);
  if (rest == NULL)
    return NULL;
  const char *slash = strchr(rest, '/');
  g_autofree char *authority = slash ? g_strndup(rest, slash - rest) : g_strdup(rest);
  gboolean explicit_port = FALSE;
  if (!parse_authority(authority, url, &explicit_port, error))
    return NULL;
  if (!parse_app(slash ? slash + 1 : NULL, url, error))
    return NULL;
  /* the tcUrl keeps the port only when the URL named one, as other publishers send it */
  url->tc_url = format_base(url, explicit_port);
  return g_steal_pointer(&url);
}

char *
sc_rtmp_url_mask_key(const char *stream_key)
{
  if (stream_key == NULL || *stream_key == '\0')
    return g_strdup("");
  /* a fixed mask hides the length of short keys; long ones keep a tail to tell keys apart */
  if (!g_utf8_validate(stream_key, -1, NULL) || g_utf8_strlen(stream_key, -1) < 12)
    return g_strdup("****");
  const char *end = stream_key + strlen(stream_key);
  const char *tail = g_utf8_offset_to_pointer(end, -4);
  return g_strconcat("****", tail, NULL);
}

char *
sc_rtmp_url_describe(const ScRtmpUrl *url, const char *stream_key)
{
  g_autofree char *base = format_base(url, TRUE);
  if (stream_key == NULL || *stream_key == '\0')
    return g_steal_pointer(&base);
  g_autofree char *masked = sc_rtmp_url_mask_key(stream_key);
  return g_strconcat(base, "/", masked, NULL);
}
