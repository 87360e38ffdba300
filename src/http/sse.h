/*
 * sse.h - incremental Server-Sent Events parser (the WHATWG HTML "event
 * stream interpretation" rules), for streaming LLM responses.
 *
 * Feed it the decoded body bytes (after chunked decoding) as they arrive, in
 * pieces of any size; it calls back once per dispatched event.  Every byte is
 * looked at once and copied at most once (into the event's data buffer), so
 * the cost is linear in the bytes received whatever the split.
 *
 * Rules (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 *  - A UTF-8 BOM at the very start of the stream is skipped.
 *  - Lines end with CRLF, LF or CR; a CR at the end of one piece followed by
 *    an LF at the start of the next is one line end.
 *  - A blank line dispatches the event: when the data buffer is empty nothing
 *    is dispatched (the event type is reset); otherwise one trailing LF is
 *    removed from the data and the callback gets (event type, data).  The
 *    event type is "" when no "event:" field was given (WHATWG: "message").
 *  - A line starting with ':' is a comment (ignored).
 *  - "field:value" (one leading space of value removed) or "field" alone
 *    (value ""): "data" appends value and an LF to the data buffer; "event"
 *    sets the event type; "id" (without NUL) sets the last event id; "retry"
 *    is accepted and ignored; other fields are ignored.
 *  - At the end of the stream an event not terminated by a blank line is
 *    discarded (tg_sse_end says whether one was pending: a line other than
 *    a comment was seen since the last blank line).
 *  - Bytes, not text: no UTF-8 decoding (invalid UTF-8 and NULs in data are
 *    passed on as they are; the dialect checks its JSON).
 *  - "[DONE]" and JSON are the dialect's business, not the parser's.
 *
 * Limits: one event's data at most max_event bytes (set at init; 0 means
 * TG_SSE_DEFAULT_MAX), event type and id at most TG_SSE_MAX_FIELD bytes
 * (an id's length is checked before the NUL rule): past either tg_sse_feed
 * returns TG_ETOOBIG, in whatever split the bytes came.  Comments and
 * unknown fields are never stored, so their lines may be of any length.
 *
 * Not thread-safe per parser; parsers are independent.  Allocates only the
 * data buffer (grown geometrically, reused across events, freed by
 * tg_sse_free).
 */
#ifndef TG_HTTP_SSE_H
#define TG_HTTP_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define TG_SSE_DEFAULT_MAX (1024 * 1024)
#define TG_SSE_MAX_FIELD 256

/* Called for each dispatched event.  event[0..event_len) is the type ("" for
 * the default; not NUL-terminated), data[0..data_len) the joined data lines
 * (NUL-terminated at data[data_len]; valid during the call only).  Returns 0 to go on, or a
 * negative code that stops tg_sse_feed, which returns it. */
typedef int (*tg_sse_event_fn)(void *ctx, const char *event, size_t event_len, const char *data,
                               size_t data_len);

struct tg_sse {
    /* all private */
    struct tg_buf data;            /* the data field of the event being read */
    struct tg_buf line;            /* a partial line carried over from the previous piece */
    char event[TG_SSE_MAX_FIELD];
    size_t event_len;
    char id[TG_SSE_MAX_FIELD];
    size_t id_len;
    size_t max_event;
    uint64_t events;               /* dispatched so far */
    int state;
    bool cr;                       /* the last piece ended with CR */
    bool started;                  /* past the (optional) BOM */
    bool pending;                  /* fields seen since the last dispatch */
};

/* Prepares p (any prior contents ignored).  max_event: see Limits. */
void tg_sse_init(struct tg_sse *p, size_t max_event);
/* Empties p for a new stream, keeping its buffers' memory. */
void tg_sse_reset(struct tg_sse *p);
/* Frees p's buffers (p itself is the caller's); a zeroed p is fine. */
void tg_sse_free(struct tg_sse *p);

/* Feeds buf[0..len).  Returns 0, TG_ETOOBIG (a limit passed), TG_ENOMEM, or
 * the callback's negative code; after any of them the rest of buf is not
 * parsed and p must be reset before reuse. */
int tg_sse_feed(struct tg_sse *p, const char *buf, size_t len, tg_sse_event_fn fn, void *ctx);

/* The stream ended.  Returns true when an unterminated event was pending
 * (discarded, per WHATWG); the caller decides whether that is an error.
 * The counters and the last id stay readable until reset. */
bool tg_sse_end(struct tg_sse *p);

/* Events dispatched since init/reset; the last event id seen ("" when none;
 * *len bytes, not NUL-terminated). */
uint64_t tg_sse_events(const struct tg_sse *p);
const char *tg_sse_last_id(const struct tg_sse *p, size_t *len);

#endif
