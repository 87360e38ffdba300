/*
 * csv_read.c - the requests.csv reader (see csv_read.h).
 *
 * The file is scanned once; each field is copied into a bounded scratch
 * buffer (a field longer than TG_CSV_FIELD_MAX is an error, no legitimate
 * column comes close), so a hostile file costs nothing beyond what the
 * caller keeps per row.
 */
#include "output/csv_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fs.h"

static const char *const col_names[TG_CSV_COL_COUNT] = {
    [TG_CSV_REQUEST_ID] = "request_id",
    [TG_CSV_TIMESTAMP_MS] = "timestamp_ms",
    [TG_CSV_LATENCY_MS] = "latency_ms",
    [TG_CSV_STATUS_CODE] = "status_code",
    [TG_CSV_OK] = "ok",
    [TG_CSV_HTTP_REQUEST_ID] = "http_request_id",
    [TG_CSV_BATCH_SIZE] = "batch_size",
    [TG_CSV_CLIENT_QUEUE_MS] = "client_queue_ms",
    [TG_CSV_CONNECT_MS] = "connect_ms",
    [TG_CSV_TTFB_MS] = "ttfb_ms",
    [TG_CSV_SERVICE_MS] = "service_ms",
    [TG_CSV_SERVER_QUEUE_MS] = "server_queue_ms",
    [TG_CSV_SERVER_COMPUTE_MS] = "server_compute_ms",
    [TG_CSV_OUTPUT_HASH] = "output_hash",
    [TG_CSV_ERROR] = "error",
    [TG_CSV_X_REQUEST_ID] = "x_request_id",
    [TG_CSV_TTFT_MS] = "ttft_ms",
    [TG_CSV_TPOT_MS] = "tpot_ms",
    [TG_CSV_ITL_MAX_MS] = "itl_max_ms",
    [TG_CSV_OUTPUT_TOKENS] = "output_tokens",
    [TG_CSV_TOKENS_SOURCE] = "tokens_source",
    [TG_CSV_CONTENT_EVENTS] = "content_events",
    [TG_CSV_LATENCY_UNCORRECTED_MS] = "latency_uncorrected_ms",
    [TG_CSV_TLS_MS] = "tls_ms",
};

#define COL_IGNORE TG_CSV_COL_COUNT

const char *tg_csv_col_name(enum tg_csv_col c)
{
    return (unsigned)c < TG_CSV_COL_COUNT ? col_names[c] : "?";
}

struct scanner {
    const char *p, *end;
    unsigned line;            /* line of the current position */
    const char *name;
    char *err;
    size_t errlen;
};

/* Reads one field into buf[0..TG_CSV_FIELD_MAX].  Returns 1 when the record
 * continues (a comma followed), 0 when it ended (line end or end of input),
 * or TG_EPARSE. */
static int next_field(struct scanner *s, char *buf, size_t *flen)
{
    size_t n = 0;
    unsigned start_line = s->line;
    if (s->p < s->end && *s->p == '"') {
        s->p++;
        for (;;) {
            if (s->p >= s->end)
                return tg_err_at(s->err, s->errlen, s->name, start_line, "unterminated quoted field");
            char c = *s->p++;
            if (c == '"') {
                if (s->p < s->end && *s->p == '"')
                    s->p++;
                else
                    break;
            } else if (c == '\0') {
                return tg_err_at(s->err, s->errlen, s->name, s->line, "NUL byte");
            } else if (c == '\n') {
                s->line++;
            }
            if (n >= TG_CSV_FIELD_MAX)
                return tg_err_at(s->err, s->errlen, s->name, start_line, "field longer than %d bytes",
                                 TG_CSV_FIELD_MAX);
            buf[n++] = c;
        }
        if (s->p < s->end && *s->p != ',' && *s->p != '\n' && *s->p != '\r')
            return tg_err_at(s->err, s->errlen, s->name, s->line,
                             "unexpected character after a closing quote");
    } else {
        while (s->p < s->end && *s->p != ',' && *s->p != '\n' && *s->p != '\r') {
            char c = *s->p++;
            if (c == '"')
                return tg_err_at(s->err, s->errlen, s->name, s->line, "quote inside an unquoted field");
            if (c == '\0')
                return tg_err_at(s->err, s->errlen, s->name, s->line, "NUL byte");
            if (n >= TG_CSV_FIELD_MAX)
                return tg_err_at(s->err, s->errlen, s->name, s->line, "field longer than %d bytes",
                                 TG_CSV_FIELD_MAX);
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
            return tg_err_at(s->err, s->errlen, s->name, s->line,
                             "carriage return not followed by a line feed");
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

static bool is_token(const char *f, size_t n, bool allow_space)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space))
            return false;
    }
    return true;
}

/* Scratch for the string columns of one row. */
struct strings {
    char hash[TG_CSV_FIELD_MAX + 1];
    char error[48];
    char xid[65];
    char source[8];
};

/* Stores field f (flen bytes, non-empty) of column c into rec. */
static int store(struct scanner *s, unsigned line, enum tg_csv_col c, const char *f, size_t flen,
                 struct tg_csv_rec *rec, struct strings *st, int *ok)
{
    const char *cn = col_names[c];
    uint64_t u;
    switch (c) {
    case TG_CSV_REQUEST_ID:
        if (!parse_u64(f, &rec->request_id))
            return tg_err_at(s->err, s->errlen, s->name, line,
                             "request_id '%.40s' is not a non-negative integer", f);
        return 0;
    case TG_CSV_TIMESTAMP_MS:
        if (!parse_num(f, &rec->timestamp_ms))
            return tg_err_at(s->err, s->errlen, s->name, line, "timestamp_ms '%.40s' is not a number", f);
        return 0;
    case TG_CSV_LATENCY_MS:
    case TG_CSV_CLIENT_QUEUE_MS:
    case TG_CSV_CONNECT_MS:
    case TG_CSV_TTFB_MS:
    case TG_CSV_SERVICE_MS:
    case TG_CSV_SERVER_QUEUE_MS:
    case TG_CSV_SERVER_COMPUTE_MS:
    case TG_CSV_TTFT_MS:
    case TG_CSV_TPOT_MS:
    case TG_CSV_ITL_MAX_MS:
    case TG_CSV_LATENCY_UNCORRECTED_MS:
    case TG_CSV_TLS_MS: {
        double *dst = c == TG_CSV_LATENCY_MS ? &rec->latency_ms
                      : c == TG_CSV_CLIENT_QUEUE_MS ? &rec->client_queue_ms
                      : c == TG_CSV_CONNECT_MS ? &rec->connect_ms
                      : c == TG_CSV_TTFB_MS ? &rec->ttfb_ms
                      : c == TG_CSV_SERVICE_MS ? &rec->service_ms
                      : c == TG_CSV_SERVER_QUEUE_MS ? &rec->server_queue_ms
                      : c == TG_CSV_SERVER_COMPUTE_MS ? &rec->server_compute_ms
                      : c == TG_CSV_TTFT_MS ? &rec->ttft_ms
                      : c == TG_CSV_TPOT_MS ? &rec->tpot_ms
                      : c == TG_CSV_LATENCY_UNCORRECTED_MS ? &rec->latency_uncorrected_ms
                      : c == TG_CSV_TLS_MS ? &rec->tls_ms : &rec->itl_max_ms;
        double v;
        if (!parse_num(f, &v) || v < 0)
            return tg_err_at(s->err, s->errlen, s->name, line, "%s '%.40s' is not a non-negative number",
                             cn, f);
        *dst = v;
        return 0;
    }
    case TG_CSV_STATUS_CODE:
        if (!parse_u64(f, &u) || u > 999)
            return tg_err_at(s->err, s->errlen, s->name, line, "status_code '%.40s' is not an HTTP status", f);
        rec->status_code = (int)u;
        return 0;
    case TG_CSV_OK:
        if (!strcmp(f, "1") || !strcmp(f, "true"))
            *ok = 1;
        else if (!strcmp(f, "0") || !strcmp(f, "false"))
            *ok = 0;
        else
            return tg_err_at(s->err, s->errlen, s->name, line, "ok '%.40s' is not 0 or 1", f);
        return 0;
    case TG_CSV_HTTP_REQUEST_ID:
        if (!parse_u64(f, &rec->http_request_id))
            return tg_err_at(s->err, s->errlen, s->name, line, "http_request_id '%.40s' is not an integer", f);
        rec->has_http_id = true;
        return 0;
    case TG_CSV_BATCH_SIZE:
        if (!parse_u64(f, &u) || u > UINT32_MAX)
            return tg_err_at(s->err, s->errlen, s->name, line, "batch_size '%.40s' is not a count", f);
        rec->batch_size = (uint32_t)u;
        return 0;
    case TG_CSV_OUTPUT_TOKENS:
    case TG_CSV_CONTENT_EVENTS:
        if (!parse_u64(f, &u) || u > INT64_MAX)
            return tg_err_at(s->err, s->errlen, s->name, line, "%s '%.40s' is not a non-negative integer",
                             cn, f);
        *(c == TG_CSV_OUTPUT_TOKENS ? &rec->output_tokens : &rec->content_events) = (int64_t)u;
        return 0;
    case TG_CSV_OUTPUT_HASH:
        if (flen > 256 || !is_token(f, flen, false))
            return tg_err_at(s->err, s->errlen, s->name, line, "output_hash is not a hash token");
        memcpy(st->hash, f, flen + 1);
        rec->output_hash = st->hash;
        rec->output_hash_len = flen;
        return 0;
    case TG_CSV_ERROR:
        if (flen >= sizeof st->error || !is_token(f, flen, true))
            return tg_err_at(s->err, s->errlen, s->name, line,
                             "error class '%.40s' is too long or has control characters", f);
        memcpy(st->error, f, flen + 1);
        rec->error = st->error;
        return 0;
    case TG_CSV_X_REQUEST_ID:
        if (flen >= sizeof st->xid || !is_token(f, flen, false))
            return tg_err_at(s->err, s->errlen, s->name, line, "x_request_id is not a request id token");
        memcpy(st->xid, f, flen + 1);
        rec->x_request_id = st->xid;
        return 0;
    case TG_CSV_TOKENS_SOURCE:
        if (strcmp(f, "usage") && strcmp(f, "events"))
            return tg_err_at(s->err, s->errlen, s->name, line,
                             "tokens_source '%.40s' is not usage or events", f);
        memcpy(st->source, f, flen + 1);
        rec->tokens_source = st->source;
        return 0;
    case TG_CSV_COL_COUNT:
        break;
    }
    return 0;
}

static void rec_init(struct tg_csv_rec *rec, unsigned line)
{
    *rec = (struct tg_csv_rec){
        .line = line, .timestamp_ms = NAN, .latency_ms = NAN,
        .client_queue_ms = NAN, .connect_ms = NAN, .ttfb_ms = NAN, .service_ms = NAN,
        .server_queue_ms = NAN, .server_compute_ms = NAN,
        .output_hash = "", .error = "", .x_request_id = "",
        .ttft_ms = NAN, .tpot_ms = NAN, .itl_max_ms = NAN,
        .latency_uncorrected_ms = NAN, .tls_ms = NAN,
        .output_tokens = -1, .tokens_source = "", .content_events = -1,
    };
}

int tg_csv_read(const char *data, size_t len, struct tg_csv_read *rd, char *err, size_t errlen)
{
    struct scanner s = { data, data + len, 1, rd->name ? rd->name : "csv", err, errlen };
    char field[TG_CSV_FIELD_MAX + 1];
    unsigned char kinds[TG_CSV_MAX_COLS];
    struct strings st;
    size_t ncols = 0, flen;
    int rc;

    rd->columns = 0;
    rd->rows = 0;
    if (err && errlen)
        err[0] = '\0';
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        s.p += 3;
    if (s.p >= s.end)
        return tg_err_at(err, errlen, s.name, 1, "empty file, expected a header line");

    /* the header, once */
    do {
        rc = next_field(&s, field, &flen);
        if (rc < 0)
            return rc;
        if (ncols == TG_CSV_MAX_COLS)
            return tg_err_at(err, errlen, s.name, 1, "more than %d columns", TG_CSV_MAX_COLS);
        unsigned k = COL_IGNORE;
        for (unsigned c = 0; c < TG_CSV_COL_COUNT; c++) {
            if (!strcmp(field, col_names[c])) {
                if (rd->columns & TG_CSV_BIT(c))
                    return tg_err_at(err, errlen, s.name, 1, "column '%s' appears twice", field);
                rd->columns |= TG_CSV_BIT(c);
                k = c;
            }
        }
        kinds[ncols++] = (unsigned char)k;
    } while (rc == 1);
    unsigned need = rd->required | TG_CSV_BIT(TG_CSV_REQUEST_ID) | TG_CSV_BIT(TG_CSV_LATENCY_MS);
    for (unsigned c = 0; c < TG_CSV_COL_COUNT; c++)
        if ((need & TG_CSV_BIT(c)) && !(rd->columns & TG_CSV_BIT(c)))
            return tg_err_at(err, errlen, s.name, 1, "no %s column in the header", col_names[c]);
    if (!(rd->columns & (TG_CSV_BIT(TG_CSV_STATUS_CODE) | TG_CSV_BIT(TG_CSV_OK))))
        return tg_err_at(err, errlen, s.name, 1, "neither a status_code nor an ok column in the header");
    bool ok_only = (rd->columns & TG_CSV_BIT(TG_CSV_OK)) && !(rd->columns & TG_CSV_BIT(TG_CSV_STATUS_CODE));

    /* the rows */
    while (s.p < s.end) {
        unsigned line = s.line;
        const char *q = s.p;
        while (q < s.end && (*q == '\n' || *q == '\r'))
            q++;
        if (q == s.end)
            break;   /* blank lines at the very end are harmless */
        if (*s.p == '\n' || (*s.p == '\r' && s.p + 1 < s.end && s.p[1] == '\n'))
            return tg_err_at(err, errlen, s.name, line, "empty line");
        struct tg_csv_rec rec;
        rec_init(&rec, line);
        int ok = -1;
        size_t col = 0;
        do {
            rc = next_field(&s, field, &flen);
            if (rc < 0)
                return rc;
            if (col >= ncols)
                return tg_err_at(err, errlen, s.name, line, "more fields than the %zu header columns", ncols);
            unsigned k = kinds[col++];
            if (k == COL_IGNORE)
                continue;
            if (!flen) {
                if (k == TG_CSV_REQUEST_ID)
                    return tg_err_at(err, errlen, s.name, line,
                                     "request_id '' is not a non-negative integer");
                continue;
            }
            int src = store(&s, line, (enum tg_csv_col)k, field, flen, &rec, &st, &ok);
            if (src < 0)
                return src;
            rec.filled |= TG_CSV_BIT(k);
        } while (rc == 1);
        if (col != ncols)
            return tg_err_at(err, errlen, s.name, line, "%zu fields, the header has %zu", col, ncols);
        if (ok < 0)
            ok = ok_only ? 0 : (rec.status_code >= 200 && rec.status_code <= 299);
        if (ok && isnan(rec.latency_ms))
            return tg_err_at(err, errlen, s.name, line, "an ok row without latency_ms");
        rec.ok = ok;
        rd->rows++;
        if (rd->row && (rc = rd->row(rd->ctx, &rec, err, errlen)) != 0)
            return rc;
    }
    return 0;
}

int tg_csv_load(const char *path, struct tg_csv_read *rd, char *err, size_t errlen)
{
    char *data;
    size_t len;
    int rc = tg_read_file(path, TG_CSV_MAX_FILE, &data, &len);
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
        return rc;
    }
    rd->name = path;
    rc = tg_csv_read(data, len, rd, err, errlen);
    free(data);
    return rc;
}
