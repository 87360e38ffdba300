/*
 * rows.c - strict CSV reader for latency rows.
 *
 * The file is read whole and scanned once; fields are copied into a small
 * bounded scratch buffer (a field longer than TG_FIELD_MAX is an error, no
 * legitimate column comes close), so a hostile file costs memory
 * proportional to its row count only.
 */
#include "compare/rows.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define FIELD_MAX 1024
#define MAX_COLS 256

enum col_kind {
    K_IGNORE, K_REQUEST_ID, K_TIMESTAMP, K_LATENCY, K_STATUS, K_OK, K_HTTP_ID, K_HASH, K_ERROR,
    K_TTFT, K_TPOT, K_ITL_MAX, K_OUTPUT_TOKENS,
};

static const struct { const char *name; enum col_kind kind; unsigned bit; } known[] = {
    { "request_id", K_REQUEST_ID, TG_COL_REQUEST_ID },
    { "timestamp_ms", K_TIMESTAMP, TG_COL_TIMESTAMP_MS },
    { "latency_ms", K_LATENCY, TG_COL_LATENCY_MS },
    { "status_code", K_STATUS, TG_COL_STATUS_CODE },
    { "ok", K_OK, TG_COL_OK },
    { "http_request_id", K_HTTP_ID, TG_COL_HTTP_REQUEST_ID },
    { "output_hash", K_HASH, TG_COL_OUTPUT_HASH },
    { "error", K_ERROR, TG_COL_ERROR },
    { "ttft_ms", K_TTFT, TG_COL_TTFT_MS },
    { "tpot_ms", K_TPOT, TG_COL_TPOT_MS },
    { "itl_max_ms", K_ITL_MAX, TG_COL_ITL_MAX_MS },
    { "output_tokens", K_OUTPUT_TOKENS, TG_COL_OUTPUT_TOKENS },
};

struct scanner {
    const char *p, *end;
    unsigned line;            /* line of the current position */
    const char *name;
    char *err;
    size_t errlen;
};

static int fail(struct scanner *s, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct scanner *s, unsigned line, const char *fmt, ...)
{
    if (s->err && s->errlen) {
        int n = snprintf(s->err, s->errlen, "%s:%u: ", s->name, line);
        if (n >= 0 && (size_t)n < s->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return TG_EPARSE;
}

static int nomem(struct scanner *s, unsigned line)
{
    fail(s, line, "out of memory");
    return TG_ENOMEM;
}

/* Reads one field into buf.  Returns 1 when the record continues (a comma
 * followed), 0 when it ended (newline or end of input), or TG_EPARSE. */
static int next_field(struct scanner *s, char *buf, size_t *flen)
{
    size_t n = 0;
    unsigned start_line = s->line;
    if (s->p < s->end && *s->p == '"') {
        s->p++;
        for (;;) {
            if (s->p >= s->end)
                return fail(s, start_line, "unterminated quoted field");
            char c = *s->p++;
            if (c == '"') {
                if (s->p < s->end && *s->p == '"') {
                    s->p++;
                } else {
                    break;
                }
            } else if (c == '\0') {
                return fail(s, s->line, "NUL byte");
            } else if (c == '\n') {
                s->line++;
            }
            if (n >= FIELD_MAX)
                return fail(s, start_line, "field longer than %d bytes", FIELD_MAX);
            buf[n++] = c;
        }
        if (s->p < s->end && *s->p != ',' && *s->p != '\n' && *s->p != '\r')
            return fail(s, s->line, "unexpected character after a closing quote");
    } else {
        while (s->p < s->end && *s->p != ',' && *s->p != '\n' && *s->p != '\r') {
            char c = *s->p++;
            if (c == '"')
                return fail(s, s->line, "quote inside an unquoted field");
            if (c == '\0')
                return fail(s, s->line, "NUL byte");
            if (n >= FIELD_MAX)
                return fail(s, s->line, "field longer than %d bytes", FIELD_MAX);
            buf[n++] = c;
        }
    }
    buf[n] = '\0';
    *flen = n;
    if (s->p >= s->end)
        return 0;
    char c = *s->p++;
    if (c == ',')
        return 1;
    if (c == '\r') {
        if (s->p >= s->end || *s->p != '\n')
            return fail(s, s->line, "carriage return not followed by a line feed");
        s->p++;
    }
    s->line++;
    return 0;
}

static bool parse_u64(const char *f, uint64_t *out)
{
    if (!*f)
        return false;
    uint64_t v = 0;
    for (const char *q = f; *q; q++) {
        if (*q < '0' || *q > '9')
            return false;
        unsigned d = (unsigned)(*q - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool parse_num(const char *f, double *out)
{
    if (!*f)
        return false;
    /* strtod accepts "inf", "nan", hex and leading spaces; a latency CSV has
     * none of those. */
    for (const char *q = f; *q; q++)
        if (!strchr("0123456789.-+eE", *q))
            return false;
    char *end;
    errno = 0;
    double v = strtod(f, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static int push_row(struct tg_rows *r, const struct tg_row *row)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        struct tg_row *nr = realloc(r->rows, cap * sizeof *nr);
        if (!nr)
            return TG_ENOMEM;
        r->rows = nr;
        r->cap = cap;
    }
    r->rows[r->n++] = *row;
    return 0;
}

static int push_string(struct tg_rows *r, const char *s, size_t n, uint32_t *off)
{
    if (r->strings_len + n > UINT32_MAX)
        return TG_ENOMEM;
    if (r->strings_len + n > r->strings_cap) {
        size_t cap = r->strings_cap ? r->strings_cap : 16384;
        while (cap < r->strings_len + n)
            cap *= 2;
        char *ns = realloc(r->strings, cap);
        if (!ns)
            return TG_ENOMEM;
        r->strings = ns;
        r->strings_cap = cap;
    }
    memcpy(r->strings + r->strings_len, s, n);
    *off = (uint32_t)r->strings_len;
    r->strings_len += n;
    return 0;
}

static uint8_t intern_class(struct tg_rows *r, const char *name)
{
    for (unsigned i = 0; i < r->nclasses; i++)
        if (!strcmp(r->classes[i], name))
            return (uint8_t)i;
    if (r->nclasses == TG_ROWS_MAX_CLASSES - 1 && strcmp(name, "other") != 0)
        return intern_class(r, "other");
    snprintf(r->classes[r->nclasses], sizeof r->classes[0], "%s", name);
    return (uint8_t)r->nclasses++;
}

static bool is_token(const char *f, size_t n, bool allow_space)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space))
            return false;
    }
    return true;
}

static int cmp_row(const void *a, const void *b)
{
    uint64_t x = ((const struct tg_row *)a)->request_id, y = ((const struct tg_row *)b)->request_id;
    return (x > y) - (x < y);
}

int tg_rows_parse(const char *data, size_t len, const char *name, struct tg_rows *out,
                  char *err, size_t errlen)
{
    struct scanner s = { data, data + len, 1, name ? name : "csv", err, errlen };
    char field[FIELD_MAX + 1];
    enum col_kind kinds[MAX_COLS];
    size_t ncols = 0, flen;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        s.p += 3;
    if (s.p >= s.end)
        return fail(&s, 1, "empty file, expected a header line");

    /* header */
    do {
        rc = next_field(&s, field, &flen);
        if (rc < 0)
            return rc;
        if (ncols == MAX_COLS)
            return fail(&s, 1, "more than %d columns", MAX_COLS);
        enum col_kind k = K_IGNORE;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (!strcmp(field, known[i].name)) {
                if (out->columns & known[i].bit)
                    return fail(&s, 1, "column '%s' appears twice", field);
                out->columns |= known[i].bit;
                k = known[i].kind;
            }
        }
        kinds[ncols++] = k;
    } while (rc == 1);
    if (!(out->columns & TG_COL_REQUEST_ID))
        return fail(&s, 1, "no request_id column in the header");
    if (!(out->columns & TG_COL_LATENCY_MS))
        return fail(&s, 1, "no latency_ms column in the header");
    if (!(out->columns & (TG_COL_STATUS_CODE | TG_COL_OK)))
        return fail(&s, 1, "neither a status_code nor an ok column in the header");

    /* rows */
    while (s.p < s.end) {
        unsigned line = s.line;
        const char *q = s.p;
        while (q < s.end && (*q == '\n' || *q == '\r'))
            q++;
        if (q == s.end)
            break;   /* blank lines at the very end are harmless */
        if (*s.p == '\n' || (*s.p == '\r' && s.p + 1 < s.end && s.p[1] == '\n'))
            return fail(&s, line, "empty line");
        struct tg_row row = { .timestamp_ms = NAN, .latency_ms = NAN, .ttft_ms = NAN,
                              .tpot_ms = NAN, .itl_max_ms = NAN, .output_tokens = -1,
                              .line = line };
        int ok = -1;
        char errclass[48] = "";
        size_t col = 0;
        do {
            rc = next_field(&s, field, &flen);
            if (rc < 0)
                return rc;
            if (col >= ncols)
                return fail(&s, line, "more fields than the %zu header columns", ncols);
            switch (kinds[col]) {
            case K_IGNORE:
                break;
            case K_REQUEST_ID:
                if (!parse_u64(field, &row.request_id))
                    return fail(&s, line, "request_id '%.40s' is not a non-negative integer", field);
                break;
            case K_TIMESTAMP:
                if (flen && !parse_num(field, &row.timestamp_ms))
                    return fail(&s, line, "timestamp_ms '%.40s' is not a number", field);
                break;
            case K_LATENCY:
                if (flen && (!parse_num(field, &row.latency_ms) || row.latency_ms < 0))
                    return fail(&s, line, "latency_ms '%.40s' is not a non-negative number", field);
                break;
            case K_TTFT:
            case K_TPOT:
            case K_ITL_MAX: {
                double *dst = kinds[col] == K_TTFT ? &row.ttft_ms
                              : kinds[col] == K_TPOT ? &row.tpot_ms : &row.itl_max_ms;
                const char *cname = kinds[col] == K_TTFT ? "ttft_ms"
                                    : kinds[col] == K_TPOT ? "tpot_ms" : "itl_max_ms";
                if (flen && (!parse_num(field, dst) || *dst < 0))
                    return fail(&s, line, "%s '%.40s' is not a non-negative number", cname, field);
                break;
            }
            case K_OUTPUT_TOKENS: {
                uint64_t v;
                if (flen) {
                    if (!parse_u64(field, &v) || v > INT64_MAX)
                        return fail(&s, line, "output_tokens '%.40s' is not a non-negative integer", field);
                    row.output_tokens = (int64_t)v;
                }
                break;
            }
            case K_STATUS: {
                uint64_t v = 0;
                if (flen && (!parse_u64(field, &v) || v > 999))
                    return fail(&s, line, "status_code '%.40s' is not an HTTP status", field);
                row.status_code = (int16_t)v;
                break;
            }
            case K_OK:
                if (!strcmp(field, "1") || !strcmp(field, "true"))
                    ok = 1;
                else if (!strcmp(field, "0") || !strcmp(field, "false"))
                    ok = 0;
                else if (flen)
                    return fail(&s, line, "ok '%.40s' is not 0 or 1", field);
                break;
            case K_HTTP_ID:
                if (flen) {
                    if (!parse_u64(field, &row.http_request_id))
                        return fail(&s, line, "http_request_id '%.40s' is not an integer", field);
                    row.has_http_id = 1;
                }
                break;
            case K_HASH:
                if (flen > 256 || !is_token(field, flen, false))
                    return fail(&s, line, "output_hash is not a hash token");
                if (flen) {
                    if (push_string(out, field, flen, &row.hash_off) < 0)
                        return nomem(&s, line);
                    row.hash_len = (uint16_t)flen;
                }
                break;
            case K_ERROR:
                if (flen >= sizeof errclass || !is_token(field, flen, true))
                    return fail(&s, line, "error class '%.40s' is too long or has control characters", field);
                memcpy(errclass, field, flen + 1);
                break;
            }
            col++;
        } while (rc == 1);
        if (col != ncols) {
            return fail(&s, line, "%zu fields, the header has %zu", col, ncols);
        }
        if (ok < 0)
            ok = (out->columns & TG_COL_OK) && !(out->columns & TG_COL_STATUS_CODE)
                     ? 0
                     : (row.status_code >= 200 && row.status_code <= 299);
        if (ok && isnan(row.latency_ms))
            return fail(&s, line, "an ok row without latency_ms");
        row.ok = (uint8_t)ok;
        if (!ok) {
            char cls[64];
            if (errclass[0])
                snprintf(cls, sizeof cls, "%s", errclass);
            else if (row.status_code == 0)
                snprintf(cls, sizeof cls, "no_response");
            else
                snprintf(cls, sizeof cls, "status_%d", row.status_code);
            row.error_class = intern_class(out, cls);
        }
        if (push_row(out, &row) < 0)
            return nomem(&s, line);
    }

    if (out->n > 1)
        qsort(out->rows, out->n, sizeof out->rows[0], cmp_row);
    for (size_t i = 1; i < out->n; i++) {
        if (out->rows[i].request_id == out->rows[i - 1].request_id) {
            const struct tg_row *a = &out->rows[i - 1], *b = &out->rows[i];
            unsigned first = a->line < b->line ? a->line : b->line;
            unsigned second = a->line < b->line ? b->line : a->line;
            return fail(&s, second, "duplicate request_id %llu (first at line %u)",
                        (unsigned long long)a->request_id, first);
        }
    }
    return 0;
}

int tg_read_file(const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    if (cap - 1 > max) {
        close(fd);
        return TG_ETOOBIG;
    }
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return TG_ENOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                free(buf);
                close(fd);
                return TG_ETOOBIG;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return TG_ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = -errno;
            free(buf);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int tg_rows_load(const char *path, struct tg_rows *out, char *err, size_t errlen)
{
    char *data;
    size_t len;
    int rc = tg_read_file(path, TG_ROWS_MAX_FILE, &data, &len);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
        return rc;
    }
    rc = tg_rows_parse(data, len, path, out, err, errlen);
    free(data);
    return rc;
}

void tg_rows_free(struct tg_rows *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r->strings);
    memset(r, 0, sizeof *r);
}

const struct tg_row *tg_rows_find(const struct tg_rows *r, uint64_t id)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->rows[mid].request_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->rows[lo].request_id == id ? &r->rows[lo] : NULL;
}

size_t tg_rows_count_hashes(const struct tg_rows *r)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n; i++)
        c += r->rows[i].hash_len > 0;
    return c;
}
