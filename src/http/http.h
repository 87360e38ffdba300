/*
 * http.h - tailgate's HTTP/1.1 client codec: URL parsing, request writer,
 * incremental zero-copy response parser, in-place chunked decoder.
 *
 * Pure functions: no sockets, no allocation (except the tg_buf the request
 * writer appends to), no globals; thread-safe.  Parsers return pointers into
 * the caller's buffer, which must outlive their use.
 *
 * Return convention (core/error.h): >= 0 done (a byte count), TG_EPARTIAL
 * need more bytes (call again with the longer buffer), TG_EPARSE malformed,
 * TG_ETOOBIG past a limit.
 */
#ifndef TG_HTTP_HTTP_H
#define TG_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ---- URLs --------------------------------------------------------------- */

struct tg_url {
    bool tls;              /* https */
    char host[256];        /* without brackets for IPv6 literals */
    uint16_t port;         /* explicit, or 80/443 */
    char path[2048];       /* path + query, at least "/" */
    char authority[300];   /* what goes in the Host header ("h", "h:8080", "[::1]:80") */
};

/* Parses "http://host[:port][/path]" or "https://…".  Returns 0 or TG_EINVAL
 * (with *why set to a static one-line reason when why is not NULL).
 * Details: the scheme is case-insensitive; host is a name (letters, digits,
 * "-._~"), a dotted-quad IPv4 (a host of only digits and dots must be one) or
 * a bracketed IPv6 literal (no zone id); port 1..65535; a query is kept in
 * path ("http://h?q" gives "/?q"); a "#fragment" is stripped (never sent);
 * userinfo ("user@") is refused; path bytes must be printable ASCII without
 * spaces (percent-encode the rest).  authority is host (bracketed for IPv6)
 * plus ":port" only when the URL gave a port, in decimal. */
int tg_url_parse(const char *s, struct tg_url *u, const char **why);

/* ---- requests ----------------------------------------------------------- */

struct tg_http_kv {
    const char *name;
    const char *value;
};

/* Appends a complete HTTP/1.1 request to out: request line, Host, the extra
 * headers in order, Content-Length when body != NULL, "Connection: close" when
 * !keep_alive, a blank line and the body.  Returns 0 or TG_ENOMEM.
 * Addition: returns TG_EINVAL (out unchanged) for an empty method or one with
 * a blank, an empty header name or one with ':', or a CR/LF in any of them,
 * the path or a value (no header injection through -H). */
int tg_http_write_request(struct tg_buf *out, const char *method, const struct tg_url *u,
                          const struct tg_http_kv *headers, size_t nheaders,
                          const void *body, size_t body_len, bool keep_alive);

/* ---- responses ---------------------------------------------------------- */

#define TG_HTTP_MAX_HEADERS 64
#define TG_HTTP_MAX_HEAD_BYTES (64 * 1024)

enum tg_http_body_kind {
    TG_HTTP_BODY_NONE,        /* 1xx, 204, 304, or a reply to HEAD */
    TG_HTTP_BODY_LENGTH,      /* Content-Length bytes follow */
    TG_HTTP_BODY_CHUNKED,     /* Transfer-Encoding: chunked */
    TG_HTTP_BODY_UNTIL_CLOSE, /* neither: the body ends when the peer closes */
};

struct tg_http_header {
    const char *name;   /* points into the caller's buffer, not NUL-terminated */
    size_t name_len;
    const char *value;  /* leading/trailing blanks trimmed */
    size_t value_len;
};

/* Extra response headers a caller wants captured while the head is parsed
 * (e.g. a dialect's timing headers, TEI's "x-queue-time"): up to
 * TG_HTTP_MAX_WATCH names, compared ASCII case-insensitively; a NULL name is
 * an unused slot.  The names are the caller's and must outlive the parse. */
#define TG_HTTP_MAX_WATCH 2
struct tg_http_watch {
    const char *name[TG_HTTP_MAX_WATCH];
    size_t len[TG_HTTP_MAX_WATCH];      /* strlen(name[i]); 0 for an unused slot */
};

struct tg_http_response {
    int minor_version;                 /* 0 or 1 */
    int status;                        /* 100..999 */
    const char *reason;                /* into the buffer */
    size_t reason_len;
    size_t head_len;                   /* bytes of status line + headers + blank line */
    enum tg_http_body_kind body_kind;
    uint64_t content_length;           /* valid when body_kind == TG_HTTP_BODY_LENGTH */
    bool keep_alive;                   /* connection reusable after this response */
    double server_queue_ms;            /* from Server-Timing "queue;dur=", or -1 */
    double server_compute_ms;          /* from Server-Timing "compute;dur=", or -1 */
    /* watch->name[i]'s value (the first header of that name, blanks trimmed,
     * into the buffer, not NUL-terminated); NULL when absent or not watched */
    const char *watched[TG_HTTP_MAX_WATCH];
    size_t watched_len[TG_HTTP_MAX_WATCH];
    size_t num_headers;
    struct tg_http_header headers[TG_HTTP_MAX_HEADERS];
};

/* Parses a response head from buf[0..len).  request_was_head: the request was
 * HEAD (no body follows whatever the headers say).  On success fills *r and
 * returns r->head_len; TG_EPARTIAL when the blank line has not arrived yet
 * (and len < TG_HTTP_MAX_HEAD_BYTES); TG_ETOOBIG when it has not arrived within
 * TG_HTTP_MAX_HEAD_BYTES or there are more than TG_HTTP_MAX_HEADERS headers;
 * TG_EPARSE otherwise (bad status line, bad header, conflicting or invalid
 * Content-Length, Transfer-Encoding other than chunked).
 *
 * Policy (RFC 9112), for the engine and the tests:
 *  - Re-parse from the start whenever more bytes arrived: only complete lines
 *    are judged, in order, so every proper prefix of a valid head is
 *    TG_EPARTIAL and byte-by-byte feeding gives the same verdict as one read.
 *    A buffer that does not start like "HTTP/1." fails at once.
 *  - Line endings: CRLF or a bare LF (accepted, as most clients do); a CR
 *    anywhere else is an error.  No empty line before the status line.
 *  - Status line "HTTP/1.0|1 DDD[ reason]": status 100..999, the reason may
 *    be empty and its leading SP may be missing.
 *  - Headers: a token name, ':' right after it (no blank before the colon),
 *    value bytes HTAB/SP/VCHAR/obs-text; obs-fold (a line starting with a
 *    blank) is rejected.
 *  - Content-Length: digits only, fits 64 bits; "5, 5" and repeated equal
 *    headers are accepted, different values rejected.
 *  - Transfer-Encoding: exactly one "chunked" coding in total (case-
 *    insensitive, empty list elements ignored); anything else, and any
 *    Transfer-Encoding in an HTTP/1.0 response, is rejected.  With both TE and
 *    CL, chunked wins and keep_alive is false (possible smuggling).
 *  - Body kind: NONE for HEAD, 1xx, 204, 304; else CHUNKED, LENGTH or
 *    UNTIL_CLOSE.  1xx heads (100 Continue) are returned as such: the caller
 *    skips head_len bytes and parses the next head.  101 sets keep_alive false.
 *  - keep_alive: HTTP/1.1 unless a "close" token in Connection; HTTP/1.0 only
 *    with "keep-alive" (and no "close"); false for UNTIL_CLOSE.
 *  - Server-Timing: every Server-Timing header is read; the first valid dur
 *    of "queue" and of "compute" wins.
 *  - On error the contents of *r are unspecified. */
int tg_http_parse_response_head(const char *buf, size_t len, bool request_was_head,
                                 struct tg_http_response *r);

/* tg_http_parse_response_head that also fills r->watched[] for the names in
 * *watch (NULL: none, exactly tg_http_parse_response_head).  Same returns;
 * the watched headers change no verdict. */
int tg_http_parse_response_head_watch(const char *buf, size_t len, bool request_was_head,
                                       const struct tg_http_watch *watch, struct tg_http_response *r);

/* Finds a header by case-insensitive name; returns NULL when absent. */
const struct tg_http_header *tg_http_find_header(const struct tg_http_response *r,
                                                 const char *name);

/* Parses a Server-Timing value ("queue;dur=1.5, compute;dur=48.2") and sets
 * *queue_ms / *compute_ms (-1 when a metric is absent).  Never fails. */
void tg_http_parse_server_timing(const char *v, size_t n, double *queue_ms, double *compute_ms);

/* In-place chunked decoder (the picohttpparser phr_decode_chunked contract).
 * Zero-initialise *d before the first call.  On each call buf[0..*len) holds
 * the raw chunked-encoded bytes received since the previous call; the decoder
 * moves the body data they contain to the front of buf and sets *len to the
 * number of data bytes now at buf[0..*len).  Returns
 *   TG_EPARTIAL  the body is not complete: consume buf[0..*len) and call again
 *                with the next raw bytes;
 *   >= 0         complete (last chunk and trailer seen): the return value is the
 *                count of raw bytes received past the end of the body, left at
 *                buf[*len .. *len + ret) (the start of a pipelined response);
 *   TG_EPARSE    bad chunk-size line or missing CRLF;
 *   TG_ETOOBIG   a chunk-size or trailer line longer than 1 KiB.
 * Details: any split of the input gives the same result (byte-wise state
 * machine); the CR before an LF is optional; chunk extensions are skipped
 * (control bytes refused); trailer fields are skipped, not interpreted; a
 * chunk size above 2^64-1 is TG_EPARSE; the 1 KiB cap counts a line's bytes
 * before its CR LF (leading zeros of a size included).  After an error *len
 * and buf are unspecified.  Once complete, further calls return *len = 0 and
 * the whole input as leftover. */
struct tg_http_chunked {
    uint64_t chunk_left;    /* private: data bytes left in the current chunk */
    size_t line_len;        /* private: bytes of the current size/trailer line */
    int state;              /* private */
};
long tg_http_decode_chunked(struct tg_http_chunked *d, char *buf, size_t *len);

#endif
