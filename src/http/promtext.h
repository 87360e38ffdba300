/*
 * promtext.h - a parser of the Prometheus text exposition format 0.0.4 (the
 * body of a server's GET /metrics), line by line.  It lives beside the SSE
 * parser: both are text formats carried in HTTP response bodies, pure and
 * with no dependency but core; the scraper (cli/scrape.c) and analyze use it.
 *
 * Pure: no allocation, no globals, thread-safe; every pointer it returns
 * points into the caller's buffer (not NUL-terminated).
 *
 * Grammar accepted (the format's own, tolerant where servers differ):
 *   - lines end in LF; a CR right before the LF is ignored; the last line may
 *     lack its LF; blank lines (only SP/HTAB) are skipped;
 *   - "# TYPE name type" is returned (TG_PROMTEXT_TYPE); "# HELP …" and any
 *     other '#' line are comments, skipped;
 *   - a sample: name [ "{" labels "}" ] value [ timestamp ], separated by
 *     SP/HTAB; name [a-zA-Z_:][a-zA-Z0-9_:]*; labels name="value" pairs
 *     separated by ',', a trailing ',' allowed, label names
 *     [a-zA-Z_][a-zA-Z0-9_]*, values escaped with \\ \" \n (any other
 *     backslash pair is an error); value a float as strtod reads it whole
 *     (also +Inf, -Inf, NaN), at most 63 bytes; timestamp an int64 of ms.
 */
#ifndef TG_HTTP_PROMTEXT_H
#define TG_HTTP_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tg_promtext_kind { TG_PROMTEXT_SAMPLE, TG_PROMTEXT_TYPE };

struct tg_promtext_line {
    enum tg_promtext_kind kind;
    const char *name;          /* the metric name */
    size_t name_len;
    const char *labels;        /* SAMPLE: the text between the braces, as written ("" when none) */
    size_t labels_len;
    double value;              /* SAMPLE */
    bool has_timestamp;
    int64_t timestamp_ms;      /* SAMPLE, when has_timestamp */
    const char *type;          /* TYPE: "counter", "gauge", … as written */
    size_t type_len;
    size_t line_no;            /* 1-based line of buf */
};

/* Reads the next sample or TYPE line of buf[0..len) from *pos (start at 0,
 * line_no from *line, start at 0).  Returns 1 with *out filled and *pos past
 * the line; 0 at the end; TG_EPARSE when the line at *pos is malformed (*pos
 * is then past it, out->line_no its number: the caller may go on).  Any
 * split of the buffer at line boundaries gives the same lines. */
int tg_promtext_next(const char *buf, size_t len, size_t *pos, size_t *line, struct tg_promtext_line *out);

/* The value of label `name` in labels[0..len) (a SAMPLE's labels, already
 * valid): unescaped into out (cap bytes, NUL-terminated, truncated).
 * Returns true when present. */
bool tg_promtext_label(const char *labels, size_t len, const char *name, char *out, size_t cap);

#endif
