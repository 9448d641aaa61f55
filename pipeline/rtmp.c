/* rtmp.c - an RTMP/RTMPS publishing client: handshake, commands, media.
 *
 * The socket and TLS live in rtmp-transport.c, the chunk framing in
 * rtmp-chunk.c, AMF0 in amf.c. Errors are named after the stage that failed
 * (connect, handshake, commands, publishing), so that a closed connection
 * during "publish" reads as a refused key and during publishing as a lost
 * link.
 */
#define G_LOG_DOMAIN "shopcast-rtmp"

#include "pipeline/rtmp.h"

#include "pipeline/amf.h"
#include "pipeline/rtmp-chunk.h"
#include "pipeline/rtmp-transport.h"
#include "pipeline/rtmp-url.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

GQuark
sc_rtmp_error_quark(void)
{
  return g_quark_from_static_string("sc-rtmp-error-quark");
}

#define OUT_CHUNK_SIZE    4096
#define HANDSHAKE_SIZE    1536
#define CLOSE_TIMEOUT_MS  200
#define READ_SIZE         16384
#define MAX_DRAIN_READS   64   /* reads before one send: up to 1 MiB of server chatter */
#define MAX_WAIT_MESSAGES 1000 /* server messages while waiting for one answer */
#define FLASH_VERSION     "FMLE/3.0 (compatible; shopcast)"

enum {
  CSID_CONTROL = 2,
  CSID_COMMAND = 3,
  CSID_AUDIO = 4,
  CSID_DATA = 5,
  CSID_VIDEO = 6,
};

/* Transaction ids of the commands we send, one each. */
enum {
  TXN_CONNECT = 1,
  TXN_RELEASE,
  TXN_FCPUBLISH,
  TXN_CREATE,
  TXN_PUBLISH,
  TXN_FCUNPUBLISH,
  TXN_DELETE,
};

enum {
  USER_CONTROL_PING_REQUEST = 6,
  USER_CONTROL_PING_RESPONSE = 7,
};

typedef enum {
  STAGE_CONNECT,
  STAGE_HANDSHAKE,
  STAGE_COMMANDS,
  STAGE_PUBLISHING,
} Stage;

struct _ScRtmp {
  ScRtmpUrl *url;
  char *key;
  char *peer; /* "host:port", for messages */
  guint connect_timeout_ms;
  guint send_timeout_ms;
  ScRtmpTransport *transport;
  ScRtmpChunkReader *reader;
  GByteArray *wbuf;
  Stage stage;
  const char *step; /* the command awaiting an answer, for messages */
  guint32 stream_id;
  guint32 window; /* the server's acknowledgement window; 0 until it sets one */
  guint64 acked;  /* bytes received when we last acknowledged */
  guint64 bytes_sent;
  gboolean broken; /* a send failed: the chunk stream is out of step */
};

static guint32
read_be32(const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void
write_be32(guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

static gboolean
send_message(ScRtmp *self, guint32 csid, guint8 type, guint32 stream_id, guint32 timestamp,
             const guint8 *body, gsize len, ScRtmpBound *b, GCancellable *c, GError **error)
{
  g_byte_array_set_size(self->wbuf, 0);
  sc_rtmp_chunk_write(self->wbuf, OUT_CHUNK_SIZE, csid, type, stream_id, timestamp, body, len);
  return sc_rtmp_transport_write_all(self->transport, self->wbuf->data, self->wbuf->len, b, c,
                                     error);
}

/* ---- errors ---- */

static char *
replace_all(const char *text, const char *needle, const char *with)
{
  g_auto(GStrv) parts = g_strsplit(text, needle, -1);
  return g_strjoinv(with, parts);
}

/* Server text can quote the publish name: mask it before it reaches a message. */
static char *
scrub(ScRtmp *self, const char *text)
{
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
  g_autofree char *masked = sc_rtmp_url_mask_key(self->key);
  g_autofree char *out = replace_all(valid, self->key, masked);
  const char *query = strchr(self->key, '?');
  if (query == NULL || query == self->key)
    return g_steal_pointer(&out);
  g_autofree char *name = g_strndup(self->key, query - self->key);
  return replace_all(out, name, masked);
}

static const char *
closed_hint(ScRtmp *self)
{
  if (g_str_equal(self->step, "connect"))
    return " (wrong application path?)";
  if (g_str_equal(self->step, "publish"))
    return " (stream key refused?)";
  return "";
}

static void
set_stage_error(ScRtmp *self, GError *cause, GError **error)
{
  gboolean timeout = g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  gboolean closed = g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                    g_error_matches(cause, G_TLS_ERROR, G_TLS_ERROR_EOF);
  if (self->stage == STAGE_HANDSHAKE && timeout)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_HANDSHAKE,
                "%s did not answer the RTMP handshake within %u ms (not an RTMP server?)",
                self->peer, self->connect_timeout_ms);
  else if (self->stage == STAGE_HANDSHAKE)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_HANDSHAKE,
                "the RTMP handshake with %s failed: %s (not an RTMP server, or an rtmps:// port?)",
                self->peer, cause->message);
  else if (self->stage == STAGE_COMMANDS && timeout)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_TIMEOUT,
                "the ingest %s did not answer %s within %u ms", self->peer, self->step,
                self->connect_timeout_ms);
  else if (self->stage == STAGE_COMMANDS && closed)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_REJECTED,
                "the ingest %s closed the connection when asked to %s%s", self->peer, self->step,
                closed_hint(self));
  else if (timeout)
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_TIMEOUT,
                "the ingest %s took no data for %u ms (network down or ingest stalled)", self->peer,
                self->send_timeout_ms);
  else
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_IO, "the connection to %s was lost: %s",
                self->peer, cause->message);
}

/* Turns a GIO failure into the error of the stage it happened in; takes @cause. */
static gboolean
fail(ScRtmp *self, GError *cause, GError **error)
{
  if (cause->domain == SC_RTMP_ERROR || g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_propagate_error(error, cause);
    return FALSE;
  }
  set_stage_error(self, cause, error);
  g_error_free(cause);
  return FALSE;
}

static gboolean
malformed(ScRtmp *self, const char *what, GError **error)
{
  g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_PROTOCOL, "the ingest %s sent a malformed %s",
              self->peer, what);
  return FALSE;
}

/* ---- RTMP handshake ---- */

static gboolean
rtmp_handshake(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  guint8 c0c1[1 + HANDSHAKE_SIZE], s0, s1s2[2 * HANDSHAKE_SIZE];
  c0c1[0] = 3; /* RTMP version */
  write_be32(c0c1 + 1, (guint32)(g_get_monotonic_time() / 1000));
  memset(c0c1 + 5, 0, 4);
  for (gsize i = 9; i < sizeof c0c1; i++)
    c0c1[i] = (guint8)g_random_int();
  if (!sc_rtmp_transport_write_all(self->transport, c0c1, sizeof c0c1, b, c, error) ||
      !sc_rtmp_transport_read_exact(self->transport, &s0, 1, b, c, error))
    return FALSE;
  if (s0 != 3) {
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_HANDSHAKE,
                "%s answered the RTMP handshake with version %u, not 3 (not an RTMP server, or an "
                "rtmps:// port?)",
                self->peer, s0);
    return FALSE;
  }
  if (!sc_rtmp_transport_read_exact(self->transport, s1s2, sizeof s1s2, b, c, error))
    return FALSE;
  /* C2 echoes S1; S2 (our C1 echoed) is not checked, as no server checks C2 strictly either */
  return sc_rtmp_transport_write_all(self->transport, s1s2, HANDSHAKE_SIZE, b, c, error);
}

/* ---- messages from the server ---- */

static gboolean
send_control(ScRtmp *self, guint8 type, const guint8 *body, gsize len, ScRtmpBound *b,
             GCancellable *c, GError **error)
{
  return send_message(self, CSID_CONTROL, type, 0, 0, body, len, b, c, error);
}

static gboolean
handle_user_control(ScRtmp *self, const guint8 *d, gsize len, ScRtmpBound *b, GCancellable *c,
                    GError **error)
{
  if (len < 2)
    return malformed(self, "User Control message", error);
  guint event = (guint)d[0] << 8 | d[1];
  if (event != USER_CONTROL_PING_REQUEST)
    return TRUE; /* Stream Begin and the rest only inform a publisher */
  if (len < 6)
    return malformed(self, "Ping Request", error);
  guint8 pong[6] = {0, USER_CONTROL_PING_RESPONSE, d[2], d[3], d[4], d[5]};
  return send_control(self, SC_RTMP_MSG_USER_CONTROL, pong, sizeof pong, b, c, error);
}

/* Acknowledges once the bytes received since the last acknowledgement fill the window. */
static gboolean
acknowledge(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  guint64 in = sc_rtmp_chunk_reader_get_bytes_in(self->reader);
  if (self->window == 0 || in - self->acked < self->window)
    return TRUE;
  self->acked = in;
  guint8 body[4];
  write_be32(body, (guint32)in); /* the sequence number wraps at 2^32 */
  return send_control(self, SC_RTMP_MSG_ACK, body, sizeof body, b, c, error);
}

static GPtrArray *
decode_command(ScRtmp *self, const guint8 *d, gsize len, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) values = sc_amf_decode_all(d, len, &local);
  if (values == NULL) {
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_PROTOCOL,
                "the ingest %s sent a malformed command: %s", self->peer, local->message);
    return NULL;
  }
  if (values->len < 2 || sc_amf_value_get_type(values->pdata[0]) != SC_AMF_STRING ||
      sc_amf_value_get_type(values->pdata[1]) != SC_AMF_NUMBER) {
    malformed(self, "command (no name and transaction id)", error);
    return NULL;
  }
  return g_steal_pointer(&values);
}

/* Handles one server message; a command is decoded into *command for the caller. */
static gboolean
handle_message(ScRtmp *self, ScRtmpMessage *m, GPtrArray **command, ScRtmpBound *b, GCancellable *c,
               GError **error)
{
  gsize len;
  const guint8 *d = g_bytes_get_data(m->body, &len);
  switch (m->type) {
  case SC_RTMP_MSG_USER_CONTROL:
    return handle_user_control(self, d, len, b, c, error);
  case SC_RTMP_MSG_WINDOW_ACK_SIZE:
    if (len < 4)
      return malformed(self, "Window Acknowledgement Size", error);
    self->window = read_be32(d);
    return TRUE;
  case SC_RTMP_MSG_SET_PEER_BANDWIDTH:
    /* a limit on what we send: the encoder's bitrate already decides that */
    return len >= 5 ? TRUE : malformed(self, "Set Peer Bandwidth", error);
  case SC_RTMP_MSG_COMMAND_AMF3: /* an AMF0 command behind a format byte */
    if (len < 1)
      return malformed(self, "AMF3 command", error);
    *command = decode_command(self, d + 1, len - 1, error);
    return *command != NULL;
  case SC_RTMP_MSG_COMMAND_AMF0:
    *command = decode_command(self, d, len, error);
    return *command != NULL;
  default:
    return TRUE; /* acknowledgements, media, data: nothing a publisher must do */
  }
}

/* Handles the messages already received, stopping after the first command. */
static gboolean
process_pending(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GPtrArray **command, GError **error)
{
  *command = NULL;
  for (guint i = 0; i < MAX_WAIT_MESSAGES && *command == NULL; i++) {
    g_autoptr(GError) local = NULL;
    g_autoptr(ScRtmpMessage) m = sc_rtmp_chunk_reader_pop(self->reader, &local);
    if (local) {
      g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_PROTOCOL,
                  "the ingest %s broke the chunk stream: %s", self->peer, local->message);
      return FALSE;
    }
    if (m == NULL)
      return TRUE;
    if (!handle_message(self, m, command, b, c, error))
      return FALSE;
  }
  return TRUE;
}

/* Reads once into the chunk reader: with @wait, until data comes (within
 * @b), else only what is already there. @b also bounds an acknowledgement. */
static gboolean
pump(ScRtmp *self, gboolean wait, ScRtmpBound *b, GCancellable *c, gboolean *got, GError **error)
{
  guint8 buf[READ_SIZE];
  GError *local = NULL;
  gssize n = sc_rtmp_transport_read(self->transport, buf, sizeof buf, wait ? b : NULL, c, &local);
  *got = n > 0;
  if (n < 0 && !wait && g_error_matches(local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
    g_error_free(local);
    return TRUE;
  }
  if (n < 0) {
    g_propagate_error(error, local);
    return FALSE;
  }
  if (n == 0) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                        "the ingest closed the connection");
    return FALSE;
  }
  sc_rtmp_chunk_reader_push(self->reader, buf, n);
  return acknowledge(self, b, c, error);
}

/* Reads and handles server messages until a command arrives. */
static GPtrArray *
next_command(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  for (guint i = 0; i < MAX_WAIT_MESSAGES; i++) {
    GPtrArray *command = NULL;
    gboolean got;
    if (!process_pending(self, b, c, &command, error))
      return NULL;
    if (command)
      return command;
    if (!pump(self, TRUE, b, c, &got, error))
      return NULL;
  }
  malformed(self, "flood of messages without a command", error);
  return NULL;
}

/* ---- commands ---- */

typedef enum {
  REPLY_IGNORE,
  REPLY_OK,
  REPLY_FAIL,
} Reply;

static const char *
command_name(GPtrArray *command)
{
  return sc_amf_value_get_string(command->pdata[0]);
}

/* The info object of _result/_error/onStatus: the last object argument. */
static const ScAmfValue *
command_info(GPtrArray *command)
{
  for (guint i = command->len; i > 2; i--) {
    ScAmfType type = sc_amf_value_get_type(command->pdata[i - 1]);
    if (type == SC_AMF_OBJECT || type == SC_AMF_ECMA_ARRAY)
      return command->pdata[i - 1];
  }
  return NULL;
}

static Reply
classify_status(GPtrArray *command, gboolean want_publish_start)
{
  const ScAmfValue *info = command_info(command);
  const char *level = sc_amf_value_lookup_string(info, "level");
  const char *code = sc_amf_value_lookup_string(info, "code");
  if (g_strcmp0(level, "error") == 0 ||
      (code && (g_str_has_suffix(code, ".Rejected") || g_str_has_suffix(code, ".BadName") ||
                g_str_has_suffix(code, ".Failed"))))
    return REPLY_FAIL;
  if (want_publish_start && g_strcmp0(code, "NetStream.Publish.Start") == 0)
    return REPLY_OK;
  return REPLY_IGNORE;
}

/* Whether @command answers transaction @txn (or, with @want_status, the
 * publish). _error answers to releaseStream and FCPublish are ignored: many
 * servers send them for streams that simply do not exist yet. */
static Reply
classify(GPtrArray *command, double txn, gboolean want_status)
{
  const char *name = command_name(command);
  double id = sc_amf_value_get_number(command->pdata[1]);
  if (g_str_equal(name, "onStatus"))
    return classify_status(command, want_status);
  if (id != txn)
    return REPLY_IGNORE;
  if (g_str_equal(name, "_error"))
    return REPLY_FAIL;
  if (g_str_equal(name, "_result") && !want_status)
    return REPLY_OK;
  return REPLY_IGNORE;
}

static gboolean
rejected(ScRtmp *self, GPtrArray *command, GError **error)
{
  const ScAmfValue *info = command_info(command);
  const char *code = sc_amf_value_lookup_string(info, "code");
  const char *description = sc_amf_value_lookup_string(info, "description");
  g_autofree char *safe_code = scrub(self, code ? code : command_name(command));
  g_autofree char *safe_description = scrub(self, description);
  gboolean has_description = *safe_description != '\0';
  g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_REJECTED, "the ingest %s refused %s: %s%s%s%s",
              self->peer, self->step, safe_code, has_description ? " (" : "", safe_description,
              has_description ? ")" : "");
  return FALSE;
}

/* Waits for the answer to @txn (with @want_status: NetStream.Publish.Start). */
static GPtrArray *
await_reply(ScRtmp *self, double txn, gboolean want_status, ScRtmpBound *b, GCancellable *c,
            GError **error)
{
  for (guint i = 0; i < MAX_WAIT_MESSAGES; i++) {
    g_autoptr(GPtrArray) command = next_command(self, b, c, error);
    if (command == NULL)
      return NULL;
    Reply reply = classify(command, txn, want_status);
    if (reply == REPLY_OK)
      return g_steal_pointer(&command);
    if (reply == REPLY_FAIL) {
      rejected(self, command, error);
      return NULL;
    }
  }
  malformed(self, "flood of commands without an answer", error);
  return NULL;
}

static GByteArray *
command_new(const char *name, double txn)
{
  GByteArray *command = g_byte_array_new();
  sc_amf_write_string(command, name);
  sc_amf_write_number(command, txn);
  return command;
}

static void
put_string_property(GByteArray *out, const char *name, const char *value)
{
  sc_amf_write_property(out, name);
  sc_amf_write_string(out, value);
}

static gboolean
send_command(ScRtmp *self, GByteArray *command, guint32 stream_id, ScRtmpBound *b, GCancellable *c,
             GError **error)
{
  return send_message(self, CSID_COMMAND, SC_RTMP_MSG_COMMAND_AMF0, stream_id, 0, command->data,
                      command->len, b, c, error);
}

static gboolean
send_connect(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  guint8 chunk_size[4];
  write_be32(chunk_size, OUT_CHUNK_SIZE);
  if (!send_control(self, SC_RTMP_MSG_SET_CHUNK_SIZE, chunk_size, 4, b, c, error))
    return FALSE;
  g_autoptr(GByteArray) command = command_new("connect", TXN_CONNECT);
  sc_amf_write_object_begin(command);
  put_string_property(command, "app", self->url->app);
  put_string_property(command, "type", "nonprivate");
  put_string_property(command, "flashVer", FLASH_VERSION);
  put_string_property(command, "swfUrl", self->url->tc_url);
  put_string_property(command, "tcUrl", self->url->tc_url);
  sc_amf_write_object_end(command);
  return send_command(self, command, 0, b, c, error);
}

/* name, txn, null, the key[, @extra] */
static gboolean
send_key_command(ScRtmp *self, const char *name, double txn, guint32 stream_id, const char *extra,
                 ScRtmpBound *b, GCancellable *c, GError **error)
{
  g_autoptr(GByteArray) command = command_new(name, txn);
  sc_amf_write_null(command);
  sc_amf_write_string(command, self->key);
  if (extra)
    sc_amf_write_string(command, extra);
  return send_command(self, command, stream_id, b, c, error);
}

/* name, txn, null[, the stream id] */
static gboolean
send_stream_command(ScRtmp *self, const char *name, double txn, gboolean with_id, ScRtmpBound *b,
                    GCancellable *c, GError **error)
{
  g_autoptr(GByteArray) command = command_new(name, txn);
  sc_amf_write_null(command);
  if (with_id)
    sc_amf_write_number(command, self->stream_id);
  return send_command(self, command, 0, b, c, error);
}

static gboolean
read_stream_id(ScRtmp *self, GPtrArray *reply, GError **error)
{
  double id = reply->len > 3 ? sc_amf_value_get_number(reply->pdata[3]) : 0;
  if (sc_amf_value_get_type(reply->len > 3 ? reply->pdata[3] : NULL) != SC_AMF_NUMBER ||
      !(id >= 1 && id <= G_MAXUINT32) || id != (double)(guint32)id)
    return malformed(self, "createStream answer (no valid stream id)", error);
  self->stream_id = (guint32)id;
  return TRUE;
}

static gboolean
create_stream(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  self->step = "createStream";
  if (!send_key_command(self, "releaseStream", TXN_RELEASE, 0, NULL, b, c, error) ||
      !send_key_command(self, "FCPublish", TXN_FCPUBLISH, 0, NULL, b, c, error) ||
      !send_stream_command(self, "createStream", TXN_CREATE, FALSE, b, c, error))
    return FALSE;
  g_autoptr(GPtrArray) reply = await_reply(self, TXN_CREATE, FALSE, b, c, error);
  return reply && read_stream_id(self, reply, error);
}

static gboolean
start_publishing(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  self->stage = STAGE_COMMANDS;
  self->step = "connect";
  if (!send_connect(self, b, c, error))
    return FALSE;
  g_autoptr(GPtrArray) connected = await_reply(self, TXN_CONNECT, FALSE, b, c, error);
  if (connected == NULL || !create_stream(self, b, c, error))
    return FALSE;
  self->step = "publish";
  if (!send_key_command(self, "publish", TXN_PUBLISH, self->stream_id, "live", b, c, error))
    return FALSE;
  g_autoptr(GPtrArray) started = await_reply(self, TXN_PUBLISH, TRUE, b, c, error);
  if (started == NULL)
    return FALSE;
  self->stage = STAGE_PUBLISHING;
  self->step = "the publication";
  return TRUE;
}

/* ---- public ---- */

static ScRtmp *
rtmp_new(const ScRtmpParams *params, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(ScRtmpUrl) url = sc_rtmp_url_parse(params->url, &local);
  if (url == NULL) {
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_URL, "invalid ingest URL: %s", local->message);
    return NULL;
  }
  if (params->stream_key == NULL || *params->stream_key == '\0') {
    g_set_error_literal(error, SC_RTMP_ERROR, SC_RTMP_ERROR_URL, "the stream key is empty");
    return NULL;
  }
  ScRtmp *self = g_new0(ScRtmp, 1);
  gboolean v6 = strchr(url->host, ':') != NULL;
  self->peer = g_strdup_printf(v6 ? "[%s]:%u" : "%s:%u", url->host, url->port);
  self->url = g_steal_pointer(&url);
  self->key = g_strdup(params->stream_key);
  self->connect_timeout_ms = params->connect_timeout_ms ? params->connect_timeout_ms : 5000;
  self->send_timeout_ms = params->send_timeout_ms ? params->send_timeout_ms : 3000;
  self->reader = sc_rtmp_chunk_reader_new();
  self->wbuf = g_byte_array_new();
  self->step = "connect";
  return self;
}

ScRtmp *
sc_rtmp_connect(const ScRtmpParams *params, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail(params != NULL, NULL);
  g_autoptr(ScRtmp) self = rtmp_new(params, error);
  if (self == NULL)
    return NULL;
  ScRtmpBound b = sc_rtmp_bound_in(self->connect_timeout_ms, FALSE);
  ScRtmpTransportParams tp = {
      .host = self->url->host,
      .port = self->url->port,
      .peer = self->peer,
      .tls = self->url->tls,
      .local_address = params->local_address,
      .bind_interface = params->bind_interface,
      .tls_ca_file = params->tls_ca_file,
      .user_timeout_ms = self->send_timeout_ms,
      .send_buffer_bytes = params->send_buffer_bytes,
      .connect_timeout_ms = self->connect_timeout_ms,
  };
  self->transport = sc_rtmp_transport_connect(&tp, &b, cancellable, error);
  if (self->transport == NULL)
    return NULL;
  self->stage = STAGE_HANDSHAKE;
  GError *local = NULL;
  if (!rtmp_handshake(self, &b, cancellable, &local) ||
      !start_publishing(self, &b, cancellable, &local)) {
    fail(self, local, error);
    return NULL;
  }
  g_autofree char *where = sc_rtmp_url_describe(self->url, self->key);
  g_info("publishing to %s (stream id %u)", where, self->stream_id);
  return g_steal_pointer(&self);
}

static gboolean
send_media(ScRtmp *self, guint8 type, guint32 timestamp, const guint8 *body, gsize len,
           ScRtmpBound *b, GCancellable *c, GError **error)
{
  guint32 csid = type == SC_RTMP_MSG_AUDIO   ? CSID_AUDIO
                 : type == SC_RTMP_MSG_VIDEO ? CSID_VIDEO
                                             : CSID_DATA;
  g_autoptr(GByteArray) data = NULL;
  if (type == SC_RTMP_MSG_DATA_AMF0) {
    /* "@setDataFrame" makes the server keep the metadata for players that join later */
    data = g_byte_array_sized_new(len + 16);
    sc_amf_write_string(data, "@setDataFrame");
    g_byte_array_append(data, body, (guint)len);
    body = data->data;
    len = data->len;
  }
  return send_message(self, csid, type, self->stream_id, timestamp, body, len, b, c, error);
}

/* Handles what the server sent since the last send, without waiting. */
static gboolean
drain(ScRtmp *self, ScRtmpBound *b, GCancellable *c, GError **error)
{
  for (guint i = 0; i < MAX_DRAIN_READS; i++) {
    gboolean got = FALSE;
    if (!pump(self, FALSE, b, c, &got, error))
      return FALSE;
    for (guint j = 0; j < MAX_WAIT_MESSAGES; j++) {
      g_autoptr(GPtrArray) command = NULL;
      if (!process_pending(self, b, c, &command, error))
        return FALSE;
      if (command == NULL)
        break;
      if (classify(command, -1, FALSE) == REPLY_FAIL)
        return rejected(self, command, error);
    }
    if (!got)
      break;
  }
  return TRUE;
}

gboolean
sc_rtmp_send(ScRtmp *self, guint8 type, guint32 timestamp_ms, const guint8 *body, gsize len,
             GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail(self != NULL && self->stage == STAGE_PUBLISHING, FALSE);
  g_return_val_if_fail(type == SC_RTMP_MSG_AUDIO || type == SC_RTMP_MSG_VIDEO ||
                           type == SC_RTMP_MSG_DATA_AMF0,
                       FALSE);
  g_return_val_if_fail(len < (1u << 24) - 32 && (body != NULL || len == 0), FALSE);
  if (self->broken) {
    g_set_error(error, SC_RTMP_ERROR, SC_RTMP_ERROR_IO,
                "the connection to %s failed earlier: close it and connect again", self->peer);
    return FALSE;
  }
  ScRtmpBound b = sc_rtmp_bound_in(self->send_timeout_ms, TRUE);
  GError *local = NULL;
  if (!drain(self, &b, cancellable, &local) ||
      !send_media(self, type, timestamp_ms, body, len, &b, cancellable, &local)) {
    self->broken = TRUE; /* a partial write leaves the chunk stream out of step */
    return fail(self, local, error);
  }
  self->bytes_sent += len;
  return TRUE;
}

int
sc_rtmp_get_fd(ScRtmp *self)
{
  return self && self->transport ? sc_rtmp_transport_get_fd(self->transport) : -1;
}

void
sc_rtmp_set_send_timeout(ScRtmp *self, guint ms)
{
  unsigned int user_timeout = ms;
  int fd = sc_rtmp_get_fd(self);
  if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout))
    return; /* the connection is gone: its next send says so */
  self->send_timeout_ms = ms;
}

guint64
sc_rtmp_get_bytes_sent(ScRtmp *self)
{
  return self ? self->bytes_sent : 0;
}

/* FCUnpublish + deleteStream, then a half-close and a short wait for the
 * server to close too, so that our last commands are read rather than lost
 * to a reset. Best effort: every failure just ends it. */
static void
unpublish(ScRtmp *self)
{
  ScRtmpBound b = sc_rtmp_bound_in(CLOSE_TIMEOUT_MS, FALSE);
  if (!send_key_command(self, "FCUnpublish", TXN_FCUNPUBLISH, 0, NULL, &b, NULL, NULL) ||
      !send_stream_command(self, "deleteStream", TXN_DELETE, TRUE, &b, NULL, NULL) ||
      !sc_rtmp_transport_shutdown_write(self->transport))
    return;
  for (guint i = 0; i < MAX_DRAIN_READS; i++) {
    guint8 buf[READ_SIZE];
    if (sc_rtmp_transport_read(self->transport, buf, sizeof buf, &b, NULL, NULL) <= 0)
      return;
  }
}

void
sc_rtmp_abort(ScRtmp *self)
{
  if (self)
    self->broken = TRUE;
  sc_rtmp_close(self);
}

void
sc_rtmp_close(ScRtmp *self)
{
  if (self == NULL)
    return;
  if (self->stage == STAGE_PUBLISHING && !self->broken)
    unpublish(self);
  sc_rtmp_transport_close(self->transport);
  sc_rtmp_chunk_reader_free(self->reader);
  g_byte_array_unref(self->wbuf);
  sc_rtmp_url_free(self->url);
  g_free(self->key);
  g_free(self->peer);
  g_free(self);
}
