/*
 * fuzz_sse.c - the event-stream parser: the input fed in one piece, byte by
 * byte, in 7-byte pieces and in pieces whose sizes come from the input's
 * first bytes must give the same events, return code, end verdict and last
 * id; and the one-piece parse must agree with a plain whole-input reference
 * written from the WHATWG steps (lines first, then fields), which shares no
 * code with the parser.  Every piece sits in an exactly-sized heap block.
 *
 * Input: byte 0 seeds the split; byte 1: low 5 bits a small max_event (0:
 * the default), high 2 bits the event (1-3) at which the callback stops.
 */
#include "core/error.h"
#include "http/sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)
#define STOP_CODE (-77)

/* The events as a byte string: per event, its lengths then its bytes. */
struct out {
    char *s;
    size_t n, cap;
    int count, stop_after;
    size_t max_event;
    int rc;
    bool pending;
    size_t id_len;
    char id[TG_SSE_MAX_FIELD];
};

static void out_put(struct out *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->n + n)
            cap *= 2;
        char *s = realloc(o->s, cap);
        ASSERT(s);
        o->s = s;
        o->cap = cap;
    }
    if (n)
        memcpy(o->s + o->n, p, n);
    o->n += n;
}

static int record(struct out *o, const char *ev, size_t elen, const char *d, size_t dlen)
{
    out_put(o, &elen, sizeof elen);
    out_put(o, &dlen, sizeof dlen);
    out_put(o, ev, elen);
    out_put(o, d, dlen);
    o->count++;
    return o->count == o->stop_after ? STOP_CODE : 0;
}

static int on_event(void *ctx, const char *ev, size_t elen, const char *d, size_t dlen)
{
    struct out *o = ctx;
    ASSERT(elen <= TG_SSE_MAX_FIELD);
    ASSERT(dlen <= o->max_event);
    ASSERT(d[dlen] == '\0');
    return record(o, ev, elen, d, dlen);
}

static void parse(const char *raw, size_t n, unsigned seed, size_t step, struct out *o)
{
    struct tg_sse p;
    tg_sse_init(&p, o->max_event);
    size_t off = 0;
    o->rc = 0;
    do {
        size_t take = n - off;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            size_t s = (seed >> 16) % 24;   /* empty pieces too */
            if (take > s)
                take = s;
        } else if (step && take > step) {
            take = step;
        }
        char *b = malloc(take ? take : 1);
        memcpy(b, raw + off, take);
        o->rc = tg_sse_feed(&p, b, take, on_event, o);
        free(b);
        ASSERT(o->rc == 0 || o->rc == TG_ETOOBIG || o->rc == STOP_CODE);
        ASSERT(p.data.cap <= o->max_event + 2);
        off += take;
    } while (o->rc == 0 && off < n);
    ASSERT(tg_sse_events(&p) == (uint64_t)o->count);
    const char *id = tg_sse_last_id(&p, &o->id_len);
    ASSERT(o->id_len <= TG_SSE_MAX_FIELD);
    memcpy(o->id, id, o->id_len);
    o->pending = o->rc == 0 && tg_sse_end(&p);
    tg_sse_free(&p);
}

/* The reference: the whole stream at once, line by line. */
static void reference(const char *s, size_t n, struct out *o)
{
    char *dbuf = malloc(n + 2);
    size_t dlen = 0, elen = 0;
    char ev[TG_SSE_MAX_FIELD];
    bool pending = false;
    size_t i = 0;
    o->rc = 0;
    o->id_len = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        bool terminated = j < n;
        const char *line = s + i;
        size_t len = j - i;
        if (terminated)
            i = j + 1 + (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n');
        else
            i = n;
        if (len == 0) {   /* blank line */
            pending = false;
            if (dlen > 0) {
                dlen--;
                dbuf[dlen] = '\0';
                int rc = record(o, ev, elen, dbuf, dlen);
                if (rc) {
                    o->rc = rc;
                    break;
                }
            }
            dlen = elen = 0;
            continue;
        }
        if (line[0] == ':')
            continue;
        pending = true;
        const char *colon = memchr(line, ':', len);
        size_t nlen = colon ? (size_t)(colon - line) : len;
        const char *v = colon ? colon + 1 : line + len;
        size_t vlen = colon ? len - nlen - 1 : 0;
        bool had_colon = colon != NULL;
        if (vlen && *v == ' ') {
            v++;
            vlen--;
        }
        if (nlen == 4 && memcmp(line, "data", 4) == 0) {
            /* value bytes past the limit fail as they come; the line's LF
             * fails when the joined data (LF removed) would pass the limit */
            if ((vlen > 0 || terminated) && dlen + vlen > o->max_event) {
                o->rc = TG_ETOOBIG;
                break;
            }
            if (!terminated)
                break;
            memcpy(dbuf + dlen, v, vlen);
            dlen += vlen;
            dbuf[dlen++] = '\n';
        } else if (nlen == 5 && memcmp(line, "event", 5) == 0 && (had_colon || terminated)) {
            if (vlen > TG_SSE_MAX_FIELD) {
                o->rc = TG_ETOOBIG;
                break;
            }
            memcpy(ev, v, vlen);
            elen = vlen;
        } else if (nlen == 2 && memcmp(line, "id", 2) == 0) {
            if (vlen > TG_SSE_MAX_FIELD) {
                o->rc = TG_ETOOBIG;
                break;
            }
            if (terminated && !memchr(v, '\0', vlen)) {
                memcpy(o->id, v, vlen);
                o->id_len = vlen;
            }
        }
    }
    o->pending = o->rc == 0 && pending;
    free(dbuf);
}

static void same(const struct out *a, const struct out *b)
{
    ASSERT(a->rc == b->rc);
    ASSERT(a->count == b->count);
    ASSERT(a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0));
    ASSERT(a->pending == b->pending);
    ASSERT(a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned seed = data[0] | 0x100u;
    size_t max_event = data[1] & 0x1f;
    int stop_after = data[1] >> 6;
    const char *raw = (const char *)data + 2;
    size_t n = size - 2;
    if (max_event == 0)
        max_event = TG_SSE_DEFAULT_MAX;

    struct out ref = { .stop_after = stop_after, .max_event = max_event };
    reference(raw, n, &ref);
    struct out a = { .stop_after = stop_after, .max_event = max_event };
    parse(raw, n, 0, 0, &a);
    same(&ref, &a);
    const size_t steps[] = { 1, 7 };
    for (int i = 0; i < 3; i++) {
        struct out b = { .stop_after = stop_after, .max_event = max_event };
        parse(raw, n, i == 2 ? seed : 0, i < 2 ? steps[i] : 0, &b);
        same(&a, &b);
        free(b.s);
    }
    free(a.s);
    free(ref.s);
    return 0;
}
