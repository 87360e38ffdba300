/*
 * stream.h - the stream file (--save-stream, default OUT/stream.jsonl): one
 * JSON line per input whose response streamed (docs/formats.md):
 *
 *   {"request_id":N,"x_request_id":"…"|null,"send_ns":N,"event_ns":[…],
 *    "tokens":[…],"ok":true|false}
 *
 * send_ns: CLOCK_MONOTONIC ns of its request's write start (0: never
 * written); event_ns: the monotonic read time of each content event; tokens:
 * each event's token count.  Formatted by hand (the per-worker writers call
 * it on the worker threads).  Pure, thread-safe.
 */
#ifndef TG_OUTPUT_STREAM_H
#define TG_OUTPUT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_stream_line {
    uint64_t request_id;
    const char *x_request_id;      /* NULL: null (cut at 64 bytes) */
    uint64_t send_ns;
    const uint64_t *event_ns;      /* n values */
    const uint32_t *tokens;        /* n values */
    size_t n;
    bool ok;
};

/* The most bytes tg_stream_line_format writes for n events (newline included). */
size_t tg_stream_line_max(size_t n);

/* Formats l with its newline into out (room for tg_stream_line_max(l->n)).
 * Returns the length. */
size_t tg_stream_line_format(char *out, const struct tg_stream_line *l);

#endif
