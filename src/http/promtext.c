/*
 * promtext.c - the Prometheus text exposition parser (http/promtext.h).
 * Each line is judged on its own, so a malformed line costs only itself.
 */
#include "http/promtext.h"

#include "core/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool blank(char c) { return c == ' ' || c == '\t'; }
static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
static bool label_start(char c) { return name_start(c) && c != ':'; }
static bool label_char(char c) { return name_char(c) && c != ':'; }

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && blank(*p))
        p++;
    return p;
}

/* A token (up to a blank or the end) read whole by strtod. */
static const char *parse_value(const char *p, const char *end, double *v)
{
    const char *q = p;
    while (q < end && !blank(*q))
        q++;
    size_t n = (size_t)(q - p);
    char num[64];
    if (n == 0 || n >= sizeof num)
        return NULL;
    memcpy(num, p, n);
    num[n] = '\0';
    char *e;
    *v = strtod(num, &e);
    return *e == '\0' ? q : NULL;
}

static const char *parse_timestamp(const char *p, const char *end, int64_t *ts)
{
    const char *q = p;
    bool neg = q < end && *q == '-';
    if (neg || (q < end && *q == '+'))
        q++;
    uint64_t v = 0;
    const char *d = q;
    while (q < end && *q >= '0' && *q <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return NULL;
        v = v * 10 + (uint64_t)(*q++ - '0');
    }
    if (q == d || v > (uint64_t)INT64_MAX)
        return NULL;
    *ts = neg ? -(int64_t)v : (int64_t)v;
    return q;
}

/* labels: p just past '{'; returns the position of the closing '}' or NULL. */
static const char *parse_labels(const char *p, const char *end)
{
    for (;;) {
        p = skip_blanks(p, end);
        if (p < end && *p == '}')
            return p;
        if (p >= end || !label_start(*p))
            return NULL;
        while (p < end && label_char(*p))
            p++;
        p = skip_blanks(p, end);
        if (p >= end || *p++ != '=')
            return NULL;
        p = skip_blanks(p, end);
        if (p >= end || *p++ != '"')
            return NULL;
        for (;;) {
            if (p >= end)
                return NULL;
            char c = *p++;
            if (c == '"')
                break;
            if (c == '\\') {
                if (p >= end || (*p != '\\' && *p != '"' && *p != 'n'))
                    return NULL;
                p++;
            }
        }
        p = skip_blanks(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            return p;
        return NULL;
    }
}

static int parse_sample(const char *p, const char *end, struct tg_promtext_line *out)
{
    out->kind = TG_PROMTEXT_SAMPLE;
    out->name = p;
    if (!name_start(*p))
        return TG_EPARSE;
    while (p < end && name_char(*p))
        p++;
    out->name_len = (size_t)(p - out->name);
    out->labels = p;
    out->labels_len = 0;
    const char *v = skip_blanks(p, end);
    if (v < end && *v == '{') {
        const char *close = parse_labels(v + 1, end);
        if (!close)
            return TG_EPARSE;
        out->labels = v + 1;
        out->labels_len = (size_t)(close - (v + 1));
        v = skip_blanks(close + 1, end);
    } else if (v == p) {
        return TG_EPARSE;   /* the value must be separated from the name */
    }
    if (!(p = parse_value(v, end, &out->value)))
        return TG_EPARSE;
    const char *t = skip_blanks(p, end);
    out->has_timestamp = false;
    if (t < end) {
        if (t == p || !(p = parse_timestamp(t, end, &out->timestamp_ms)))
            return TG_EPARSE;
        out->has_timestamp = true;
        if (skip_blanks(p, end) != end)
            return TG_EPARSE;
    }
    return 1;
}

/* "# TYPE name type"; 0 for any other comment. */
static int parse_comment(const char *p, const char *end, struct tg_promtext_line *out)
{
    p = skip_blanks(p + 1, end);
    if ((size_t)(end - p) < 4 || memcmp(p, "TYPE", 4) != 0 || (p + 4 < end && !blank(p[4])))
        return 0;
    p = skip_blanks(p + 4, end);
    out->kind = TG_PROMTEXT_TYPE;
    out->name = p;
    if (p >= end || !name_start(*p))
        return TG_EPARSE;
    while (p < end && name_char(*p))
        p++;
    out->name_len = (size_t)(p - out->name);
    const char *t = skip_blanks(p, end);
    if (t == p || t >= end)
        return TG_EPARSE;
    out->type = t;
    while (t < end && !blank(*t))
        t++;
    out->type_len = (size_t)(t - out->type);
    if (skip_blanks(t, end) != end)
        return TG_EPARSE;
    out->labels = "";
    out->labels_len = 0;
    return 1;
}

int tg_promtext_next(const char *buf, size_t len, size_t *pos, size_t *line, struct tg_promtext_line *out)
{
    while (*pos < len) {
        const char *p = buf + *pos, *stop = buf + len;
        const char *eol = memchr(p, '\n', (size_t)(stop - p));
        const char *end = eol ? eol : stop;
        *pos = eol ? (size_t)(eol - buf) + 1 : len;
        ++*line;
        if (end > p && end[-1] == '\r')
            end--;
        p = skip_blanks(p, end);
        if (p == end)
            continue;
        memset(out, 0, sizeof *out);
        out->line_no = *line;
        int rc = *p == '#' ? parse_comment(p, end, out) : parse_sample(p, end, out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

bool tg_promtext_label(const char *labels, size_t len, const char *name, char *out, size_t cap)
{
    const char *p = labels, *end = labels + len;
    size_t nl = strlen(name);
    while (p < end) {
        p = skip_blanks(p, end);
        const char *k = p;
        while (p < end && label_char(*p))
            p++;
        bool match = (size_t)(p - k) == nl && !memcmp(k, name, nl);
        while (p < end && *p != '"')
            p++;
        if (p >= end)
            return false;
        p++;
        size_t n = 0;
        while (p < end && *p != '"') {
            char c = *p++;
            if (c == '\\' && p < end) {
                c = *p++;
                if (c == 'n')
                    c = '\n';
            }
            if (match && cap && n + 1 < cap)
                out[n++] = c;
        }
        if (match) {
            if (cap)
                out[n] = '\0';
            return true;
        }
        p++;
        p = skip_blanks(p, end);
        if (p < end && *p == ',')
            p++;
    }
    return false;
}
