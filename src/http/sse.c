/*
 * sse.c - the incremental event-stream parser (WHATWG HTML 9.2.6).
 *
 * Each piece is cut at its line ends, found with memchr (the positions of the
 * next LF and the next CR are remembered until passed, so no byte is searched
 * twice).  A line's bytes go straight to where they belong as they arrive: a
 * data value into the data buffer, an event type into p->event, an id into
 * the line buffer (it replaces the last id when its line ends, unless it holds
 * a NUL), a comment or an unknown field nowhere.  So nothing is carried from
 * one piece to the next but the field name of a line cut inside it (at most
 * five bytes: longer names are unknown fields) and an id cut inside its value.
 *
 * Choices where the spec leaves room for a byte parser: the stream is taken
 * as bytes (no UTF-8 decoding: the JSON in the data is the dialect's to
 * check); an event type or id longer than TG_SSE_MAX_FIELD is TG_ETOOBIG
 * rather than truncated (an id's length is checked before its NULs); "pending" (tg_sse_end) means a non-comment line was
 * seen since the last blank line.
 */
#include "http/sse.h"

#include "core/error.h"

#include <stdint.h>
#include <string.h>

enum {
    ST_LINE,       /* at the start of a line */
    ST_NAME,       /* in a field name (kept in p->line) */
    ST_SP_DATA,    /* after "data:", an optional space */
    ST_SP_EVENT,   /* after "event:" */
    ST_SP_ID,      /* after "id:" */
    ST_DATA,       /* in a data value */
    ST_EVENT,      /* in an event type */
    ST_ID,         /* in an id value (kept in p->line) */
    ST_SKIP,       /* the rest of the line does not matter: comment, retry,
                      unknown field */
};

#define NAME_MAX_BYTES 5   /* "event", "retry"; longer names are unknown */

static const unsigned char BOM[3] = { 0xEF, 0xBB, 0xBF };

void tg_sse_init(struct tg_sse *p, size_t max_event)
{
    memset(p, 0, sizeof *p);
    if (max_event == 0)
        max_event = TG_SSE_DEFAULT_MAX;
    if (max_event > TG_BUF_DEFAULT_MAX - 1)
        max_event = TG_BUF_DEFAULT_MAX - 1;
    p->max_event = max_event;
    /* The buffer also holds the LF that ends the last data line, removed at
     * dispatch: one byte over the event's limit. */
    p->data = (struct tg_buf)TG_BUF_INIT(max_event + 1);
    p->line = (struct tg_buf)TG_BUF_INIT(TG_SSE_MAX_FIELD);
}

void tg_sse_reset(struct tg_sse *p)
{
    tg_buf_reset(&p->data);
    tg_buf_reset(&p->line);
    p->event_len = 0;
    p->id_len = 0;
    p->events = 0;
    p->state = ST_LINE;
    p->cr = false;
    p->started = false;
    p->pending = false;
}

void tg_sse_free(struct tg_sse *p)
{
    if (!p)
        return;
    tg_buf_free(&p->data);
    tg_buf_free(&p->line);
}

/* The joined data may not pass max_event: a value byte that takes the
 * buffer past it fails at once; the LF ending a data line may take it to
 * max_event + 1 (that LF is removed at dispatch, or another line follows and
 * its first byte, or its LF, fails). */
static int data_append(struct tg_sse *p, const char *s, size_t n, size_t limit)
{
    if (p->data.len > limit || n > limit - p->data.len)
        return TG_ETOOBIG;
    return tg_buf_append(&p->data, s, n);
}

/* A field name is complete (at ':' or at the line end). */
static int name_state(const struct tg_buf *name)
{
    if (name->len == 4 && memcmp(name->data, "data", 4) == 0)
        return ST_SP_DATA;
    if (name->len == 5 && memcmp(name->data, "event", 5) == 0)
        return ST_SP_EVENT;
    if (name->len == 2 && memcmp(name->data, "id", 2) == 0)
        return ST_SP_ID;
    return ST_SKIP;   /* retry (accepted and ignored) and unknown fields */
}

static int dispatch(struct tg_sse *p, tg_sse_event_fn fn, void *ctx)
{
    p->pending = false;
    if (p->data.len == 0) {
        p->event_len = 0;
        return 0;
    }
    p->data.len--;   /* the last data line's LF */
    p->data.data[p->data.len] = '\0';
    p->events++;
    int rc = fn(ctx, p->event, p->event_len, p->data.data, p->data.len);
    tg_buf_reset(&p->data);
    p->event_len = 0;
    return rc < 0 ? rc : 0;
}

/* Bytes of the current line, no line end among them. */
static int line_bytes(struct tg_sse *p, const char *s, size_t n)
{
    while (n > 0) {
        switch (p->state) {
        case ST_LINE:
            if (*s == ':') {
                p->state = ST_SKIP;
                return 0;
            }
            p->pending = true;
            p->state = ST_NAME;
            tg_buf_reset(&p->line);
            break;
        case ST_NAME: {
            /* no need to look further than one byte past the longest name */
            size_t look = NAME_MAX_BYTES + 1 - p->line.len;
            const char *colon = memchr(s, ':', n < look ? n : look);
            size_t take = colon ? (size_t)(colon - s) : n;
            if (take > NAME_MAX_BYTES - p->line.len) {
                p->state = ST_SKIP;
                return 0;
            }
            int rc = tg_buf_append(&p->line, s, take);
            if (rc)
                return rc;
            if (!colon)
                return 0;
            p->state = name_state(&p->line);
            tg_buf_reset(&p->line);
            if (p->state == ST_SP_EVENT)
                p->event_len = 0;
            s += take + 1;
            n -= take + 1;
            break;
        }
        case ST_SP_DATA:
        case ST_SP_EVENT:
        case ST_SP_ID:
            if (*s == ' ') {
                s++;
                n--;
            }
            p->state += ST_DATA - ST_SP_DATA;
            break;
        case ST_DATA:
            return data_append(p, s, n, p->max_event);
        case ST_EVENT:
            if (n > TG_SSE_MAX_FIELD - p->event_len)
                return TG_ETOOBIG;
            memcpy(p->event + p->event_len, s, n);
            p->event_len += n;
            return 0;
        case ST_ID:
            /* The length is checked whatever the bytes, so that a NUL later
             * in a long id cannot make the verdict depend on the split. */
            if (n > TG_SSE_MAX_FIELD - p->line.len)
                return TG_ETOOBIG;
            return tg_buf_append(&p->line, s, n);
        default:
            return 0;
        }
    }
    return 0;
}

static int line_end(struct tg_sse *p, tg_sse_event_fn fn, void *ctx)
{
    int rc = 0;
    int st = p->state;
    p->state = ST_LINE;
    if (st == ST_NAME) {   /* a field name alone: its value is "" */
        st = name_state(&p->line);
        if (st == ST_SP_EVENT)
            p->event_len = 0;
        tg_buf_reset(&p->line);
    }
    switch (st) {
    case ST_LINE:
        return dispatch(p, fn, ctx);
    case ST_SP_DATA:
    case ST_DATA:
        rc = data_append(p, "\n", 1, p->max_event + 1);
        break;
    case ST_SP_ID:
    case ST_ID:
        /* WHATWG: an id with a NUL is ignored (a look at <= 256 bytes again) */
        if (p->line.len == 0 || !memchr(p->line.data, '\0', p->line.len)) {
            if (p->line.len)
                memcpy(p->id, p->line.data, p->line.len);
            p->id_len = p->line.len;
        }
        tg_buf_reset(&p->line);
        break;
    default:
        break;
    }
    return rc;
}

/* Past the BOM check: cuts buf into lines. */
static int feed_lines(struct tg_sse *p, const char *buf, size_t len, tg_sse_event_fn fn, void *ctx)
{
    const char *s = buf, *end = buf + len;
    const char *lf = NULL, *cr = NULL;   /* next LF / CR at or after s; end (lf) or lf (cr) when none */
    if (p->cr && s < end) {
        p->cr = false;
        if (*s == '\n')
            s++;
    }
    while (s < end) {
        if (!lf || lf < s) {
            lf = memchr(s, '\n', (size_t)(end - s));
            if (!lf)
                lf = end;
        }
        if (!cr || cr < s) {
            cr = memchr(s, '\r', (size_t)(lf - s));
            if (!cr)
                cr = lf;
        }
        const char *eol = cr < lf ? cr : lf;
        int rc = line_bytes(p, s, (size_t)(eol - s));
        if (rc)
            return rc;
        if (eol == end)
            break;
        s = eol + 1;
        if (*eol == '\r') {
            if (s == end)
                p->cr = true;
            else if (*s == '\n')
                s++;
        }
        rc = line_end(p, fn, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int tg_sse_feed(struct tg_sse *p, const char *buf, size_t len, tg_sse_event_fn fn, void *ctx)
{
    if (!p->started) {
        /* The BOM's bytes matched so far wait in p->line; on a mismatch they
         * are the stream's first bytes after all. */
        size_t i = 0;
        while (i < len && p->line.len < sizeof BOM && (unsigned char)buf[i] == BOM[p->line.len]) {
            int rc = tg_buf_append(&p->line, buf + i, 1);
            if (rc)
                return rc;
            i++;
        }
        if (p->line.len < sizeof BOM && i == len)
            return 0;   /* all of it could still be a BOM */
        p->started = true;
        char kept[sizeof BOM];
        size_t nkept = p->line.len < sizeof BOM ? p->line.len : 0;
        if (nkept)
            memcpy(kept, p->line.data, nkept);
        tg_buf_reset(&p->line);
        if (nkept) {
            int rc = feed_lines(p, kept, nkept, fn, ctx);
            if (rc)
                return rc;
        }
        buf += i;
        len -= i;
    }
    return feed_lines(p, buf, len, fn, ctx);
}

bool tg_sse_end(struct tg_sse *p)
{
    /* A BOM cut short is the start of a (non-comment) line after all. */
    bool pending = p->pending || p->data.len > 0 || (!p->started && p->line.len > 0);
    p->started = true;
    tg_buf_reset(&p->data);
    tg_buf_reset(&p->line);
    p->event_len = 0;
    p->state = ST_LINE;
    p->cr = false;
    p->pending = false;
    return pending;
}

uint64_t tg_sse_events(const struct tg_sse *p) { return p->events; }

const char *tg_sse_last_id(const struct tg_sse *p, size_t *len)
{
    if (len)
        *len = p->id_len;
    return p->id;
}
