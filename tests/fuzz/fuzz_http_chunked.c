/*
 * fuzz_http_chunked.c - the in-place chunked decoder alone: any split of the
 * input (all at once, 1 byte, small and odd pieces, a split seeded by the
 * first byte) must give the same verdict, body and leftover; lengths never
 * exceed the bytes given; every piece sits in an exactly-sized heap block.
 */
#include "core/error.h"
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

struct result {
    long rc;
    char *body, *left;
    size_t body_len, left_len;
};

static void decode(const char *raw, size_t n, unsigned seed, size_t step, struct result *r)
{
    struct tg_http_chunked d = { 0 };
    r->rc = TG_EPARTIAL;
    r->body_len = r->left_len = 0;
    size_t off = 0;
    do {
        size_t take = n - off;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            size_t s = 1 + (seed >> 16) % 40;
            if (take > s)
                take = s;
        } else if (step && take > step) {
            take = step;
        }
        char *b = malloc(take ? take : 1);
        memcpy(b, raw + off, take);
        size_t len = take;
        r->rc = tg_http_decode_chunked(&d, b, &len);
        ASSERT(r->rc == TG_EPARTIAL || r->rc == TG_EPARSE || r->rc == TG_ETOOBIG || r->rc >= 0);
        if (r->rc == TG_EPARTIAL || r->rc >= 0) {
            ASSERT(len <= take);
            memcpy(r->body + r->body_len, b, len);
            r->body_len += len;
        }
        if (r->rc >= 0) {
            ASSERT(len + (size_t)r->rc <= take);
            memcpy(r->left, b + len, (size_t)r->rc);
            memcpy(r->left + r->rc, raw + off + take, n - off - take);
            r->left_len = (size_t)r->rc + n - off - take;
        }
        free(b);
        off += take;
    } while (r->rc == TG_EPARTIAL && off < n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = data[0] | 0x100u;
    const char *raw = (const char *)data + 1;
    size_t n = size - 1;
    struct result a, b;
    a.body = malloc(n + 1);
    a.left = malloc(n + 1);
    b.body = malloc(n + 1);
    b.left = malloc(n + 1);
    decode(raw, n, 0, 0, &a);
    const size_t steps[] = { 1, 3, 64 };
    for (int i = 0; i < 4; i++) {
        decode(raw, n, i == 3 ? seed : 0, i < 3 ? steps[i] : 0, &b);
        ASSERT(a.rc == b.rc || (a.rc >= 0 && b.rc >= 0));
        if (a.rc == TG_EPARTIAL || a.rc >= 0)
            ASSERT(a.body_len == b.body_len && memcmp(a.body, b.body, a.body_len) == 0);
        if (a.rc >= 0)
            ASSERT(a.left_len == b.left_len && memcmp(a.left, b.left, a.left_len) == 0);
    }
    if (a.rc >= 0)
        ASSERT(a.body_len + a.left_len <= n);
    free(a.body);
    free(a.left);
    free(b.body);
    free(b.left);
    return 0;
}
