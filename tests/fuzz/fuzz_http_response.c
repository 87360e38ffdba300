/*
 * fuzz_http_response.c - the response head parser, then the body framing it
 * selects (Content-Length or chunked), as the engine would drive them.
 *
 * Input: byte 0 = flags (bit 0: the request was HEAD; bit 1: which header
 * names are watched; the rest seed the split sizes), then the raw bytes from
 * the server.
 * Checks: pointers stay inside the input; every successful parse is
 * consistent; feeding the bytes in small pieces (growing prefixes, each in an
 * exactly-sized buffer so ASan sees any over-read) gives the same verdict and
 * fields as one read; the chunked decoder gives the same body and leftover
 * whatever the split; watched headers (tg_http_parse_response_head_watch)
 * change no verdict and are the first header of their name.
 */
#include "core/error.h"
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint32_t rng;
static size_t next_step(size_t n)
{
    if (n <= 256)
        return 1;
    rng = rng * 1103515245u + 12345u;
    return 1 + (rng >> 16) % 24;
}

static void same_response(const struct tg_http_response *a, const char *abase,
                          const struct tg_http_response *b, const char *bbase)
{
    ASSERT(a->minor_version == b->minor_version && a->status == b->status);
    ASSERT(a->reason - abase == b->reason - bbase && a->reason_len == b->reason_len);
    ASSERT(a->head_len == b->head_len && a->body_kind == b->body_kind);
    ASSERT(a->content_length == b->content_length && a->keep_alive == b->keep_alive);
    ASSERT(memcmp(&a->server_queue_ms, &b->server_queue_ms, sizeof(double)) == 0);
    ASSERT(memcmp(&a->server_compute_ms, &b->server_compute_ms, sizeof(double)) == 0);
    ASSERT(a->num_headers == b->num_headers);
    for (int i = 0; i < TG_HTTP_MAX_WATCH; i++) {
        ASSERT((a->watched[i] == NULL) == (b->watched[i] == NULL));
        if (a->watched[i])
            ASSERT(a->watched[i] - abase == b->watched[i] - bbase && a->watched_len[i] == b->watched_len[i]);
    }
    for (size_t i = 0; i < a->num_headers; i++) {
        ASSERT(a->headers[i].name - abase == b->headers[i].name - bbase);
        ASSERT(a->headers[i].value - abase == b->headers[i].value - bbase);
        ASSERT(a->headers[i].name_len == b->headers[i].name_len);
        ASSERT(a->headers[i].value_len == b->headers[i].value_len);
    }
}

static void check_response(const struct tg_http_response *r, const char *buf, size_t len)
{
    ASSERT(r->head_len <= len && r->head_len <= TG_HTTP_MAX_HEAD_BYTES);
    ASSERT(r->status >= 100 && r->status <= 999);
    ASSERT(r->minor_version == 0 || r->minor_version == 1);
    ASSERT(r->reason >= buf && r->reason + r->reason_len <= buf + r->head_len);
    ASSERT(r->num_headers <= TG_HTTP_MAX_HEADERS);
    ASSERT(buf[r->head_len - 1] == '\n');
    for (size_t i = 0; i < r->num_headers; i++) {
        const struct tg_http_header *h = &r->headers[i];
        ASSERT(h->name >= buf && h->name + h->name_len <= buf + r->head_len && h->name_len > 0);
        ASSERT(h->value >= buf && h->value + h->value_len <= buf + r->head_len);
        if (h->value_len)
            ASSERT(h->value[0] != ' ' && h->value[h->value_len - 1] != ' ');
        ASSERT(memchr(h->value, '\r', h->value_len) == NULL);
        ASSERT(memchr(h->value, '\n', h->value_len) == NULL);
    }
    if (r->body_kind == TG_HTTP_BODY_UNTIL_CLOSE)
        ASSERT(!r->keep_alive);
}

/* r->watched[] against the headers: each is the first header of its name. */
static void check_watched(const struct tg_http_response *r, const struct tg_http_watch *w)
{
    for (int i = 0; i < TG_HTTP_MAX_WATCH; i++) {
        const struct tg_http_header *h = w->name[i] ? tg_http_find_header(r, w->name[i]) : NULL;
        ASSERT(h ? r->watched[i] == h->value && r->watched_len[i] == h->value_len : r->watched[i] == NULL);
    }
}

/* Decodes raw[0..n) as a chunked body, fed in pieces of at most `step`
 * bytes (0: all at once).  Returns the rc; body and leftover copied out. */
static long decode(const char *raw, size_t n, size_t step, char *body, size_t *body_len,
                   char *left, size_t *left_len)
{
    struct tg_http_chunked d = { 0 };
    long rc = TG_EPARTIAL;
    *body_len = *left_len = 0;
    for (size_t off = 0; off < n || (n == 0 && off == 0);) {
        size_t take = step && n - off > step ? step : n - off;
        char *b = malloc(take ? take : 1);
        memcpy(b, raw + off, take);
        size_t len = take;
        rc = tg_http_decode_chunked(&d, b, &len);
        if (rc == TG_EPARTIAL || rc >= 0) {
            ASSERT(len <= take);
            memcpy(body + *body_len, b, len);
            *body_len += len;
        }
        if (rc >= 0) {
            ASSERT(len + (size_t)rc <= take);
            memcpy(left, b + len, (size_t)rc);
            memcpy(left + rc, raw + off + take, n - off - take);
            *left_len = (size_t)rc + n - off - take;
        }
        free(b);
        off += take;
        if (rc != TG_EPARTIAL || n == 0)
            break;
    }
    return rc;
}

static void check_chunked(const char *raw, size_t n)
{
    char *b1 = malloc(n + 1), *l1 = malloc(n + 1), *b2 = malloc(n + 1), *l2 = malloc(n + 1);
    size_t bl1, ll1, bl2, ll2;
    long r1 = decode(raw, n, 0, b1, &bl1, l1, &ll1);
    ASSERT(r1 == TG_EPARTIAL || r1 == TG_EPARSE || r1 == TG_ETOOBIG || r1 >= 0);
    size_t steps[] = { 1, 2, 7 };
    for (size_t i = 0; i < 3; i++) {
        if (steps[i] == 1 && n > 2048)
            continue;
        long r2 = decode(raw, n, steps[i], b2, &bl2, l2, &ll2);
        ASSERT(r1 == r2 || (r1 >= 0 && r2 >= 0));
        if (r1 >= 0) {
            ASSERT(bl1 == bl2 && memcmp(b1, b2, bl1) == 0);
            ASSERT(ll1 == ll2 && memcmp(l1, l2, ll1) == 0);
        }
        if (r1 == TG_EPARTIAL)
            ASSERT(bl1 == bl2 && memcmp(b1, b2, bl1) == 0);
    }
    if (r1 >= 0)
        ASSERT(bl1 + ll1 <= n);
    free(b1);
    free(l1);
    free(b2);
    free(l2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool head = data[0] & 1;
    rng = data[0];
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    static struct tg_http_response whole, part, plain;
    static const struct tg_http_watch watches[2] = {
        { { "x-queue-time", "x-inference-time" }, { 12, 16 } },
        { { "content-length", "a" }, { 14, 1 } },
    };
    const struct tg_http_watch *watch = &watches[(data[0] >> 1) & 1];

    int rc = tg_http_parse_response_head_watch(in, n, head, watch, &whole);
    ASSERT(rc == TG_EPARTIAL || rc == TG_EPARSE || rc == TG_ETOOBIG || rc > 0);
    ASSERT(tg_http_parse_response_head(in, n, head, &plain) == rc);
    if (rc > 0) {
        ASSERT((size_t)rc == whole.head_len);
        check_response(&whole, in, n);
        check_watched(&whole, watch);
        ASSERT(plain.watched[0] == NULL && plain.watched[1] == NULL);
    }

    /* Incremental: growing prefixes until a verdict, as a connection reads. */
    int prc = TG_EPARTIAL;
    size_t k = 0;
    char *pb = NULL;
    while (prc == TG_EPARTIAL && k < n) {
        k += next_step(n);
        if (k > n)
            k = n;
        free(pb);
        pb = malloc(k);
        memcpy(pb, in, k);
        prc = tg_http_parse_response_head_watch(pb, k, head, watch, &part);
    }
    if (n == 0)
        prc = tg_http_parse_response_head_watch(in, 0, head, watch, &part);
    ASSERT(prc == rc);
    if (rc > 0)
        same_response(&whole, in, &part, pb);
    free(pb);

    if (rc > 0) {
        const char *body = in + rc;
        size_t blen = n - (size_t)rc;
        if (whole.body_kind == TG_HTTP_BODY_CHUNKED)
            check_chunked(body, blen);
        else if (whole.body_kind == TG_HTTP_BODY_LENGTH && whole.content_length < blen)
            /* a pipelined response may follow; parse it too */
            LLVMFuzzerTestOneInput(data + rc + whole.content_length,
                                   blen - (size_t)whole.content_length + 1);
    }
    return 0;
}
