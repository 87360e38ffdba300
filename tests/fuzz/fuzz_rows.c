/*
 * fuzz_rows.c - libFuzzer target for the one requests.csv reader
 * (src/output/csv_read.c).  Arbitrary bytes as a requests.csv must:
 *   - parse, or fail with TG_EPARSE and a "f.csv:LINE: " message;
 *   - give no more rows than the input has lines, with increasing line
 *     numbers inside the file;
 *   - give finite required fields: an ok row's latency, every number the
 *     row filled (times >= 0), NAN only where the field was empty;
 *   - survive the writer: the rows the CSV writer (output/csv.h) can express
 *     are written, read back with the same values (within the writer's µs
 *     rounding), and writing those again gives the same bytes.
 * Every column the writer writes takes part (a column added to tg_csv_header
 * that this file does not know stops the fuzzer at its first input).  The
 * reader ignores four of them (bytes_out, bytes_in, worker, error_detail: no
 * tool reads them back); those get values derived from the input (the
 * detail: arbitrary bytes, commas, quotes and line breaks among them) and
 * are checked on the written bytes by a field splitter of this file's own
 * (the detail unquoted as the writer promises: line breaks as spaces, cut at
 * 256 bytes), while the reader must read every other column of those rows
 * unchanged.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "output/csv.h"
#include "output/csv_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct row {
    struct tg_csv_row w;          /* as the writer takes it; strings point below */
    char hash[65], error[33], xid[65];
    char detail[320];             /* error_detail as given to the writer (it keeps <= 256 bytes) */
};

struct rows {
    struct row *v;
    size_t n, cap;
    size_t lines;                 /* lines of the input */
    unsigned last_line;
    size_t seen;
    const char *in;               /* the fuzz input, for the columns the reader ignores */
    size_t in_len;
};

/* The columns of tg_csv_header this file round-trips; the last four the
 * reader ignores (checked by split_row below). */
static const char *const known_cols[] = {
    "request_id", "timestamp_ms", "latency_ms", "status_code", "ok", "http_request_id", "batch_size",
    "client_queue_ms", "connect_ms", "ttfb_ms", "service_ms", "server_queue_ms", "server_compute_ms",
    "output_hash", "error", "latency_uncorrected_ms", "tls_ms", "x_request_id", "ttft_ms", "tpot_ms",
    "itl_max_ms", "output_tokens", "tokens_source", "content_events",
    "bytes_out", "bytes_in", "worker", "error_detail",
};
enum { COL_BYTES_OUT, COL_BYTES_IN, COL_WORKER, COL_ERROR_DETAIL, NEXTRA };
static int extra_at[NEXTRA];      /* header position of each ignored column */

/* ms within what the writer formats exactly enough (ns in int64, < 1e9 ms). */
static bool ms_ok(double ms) { return isfinite(ms) && ms >= 0 && ms < 1e9; }
static int64_t ns_of(double ms) { return isnan(ms) ? -1 : (int64_t)llround(ms * 1e6); }

static bool plain(const char *s, size_t n, size_t max)
{
    return n <= max && !memchr(s, ',', n) && !memchr(s, '"', n);
}

static void check_rec(struct rows *r, const struct tg_csv_rec *rec)
{
    /* rows <= lines, lines increase and stay inside the file */
    /* the header takes line 1: at most lines - 1 rows, each starting on lines 2..lines */
    if (++r->seen > r->lines - 1 || rec->line <= r->last_line || rec->line < 2 || rec->line > r->lines)
        abort();
    r->last_line = rec->line;
    if (rec->ok && !(isfinite(rec->latency_ms) && rec->latency_ms >= 0))
        abort();
    const double t[] = { rec->latency_ms, rec->client_queue_ms, rec->connect_ms, rec->ttfb_ms,
                         rec->service_ms, rec->server_queue_ms, rec->server_compute_ms,
                         rec->ttft_ms, rec->tpot_ms, rec->itl_max_ms,
                         rec->latency_uncorrected_ms, rec->tls_ms };
    static const enum tg_csv_col tc[] = { TG_CSV_LATENCY_MS, TG_CSV_CLIENT_QUEUE_MS, TG_CSV_CONNECT_MS,
                                          TG_CSV_TTFB_MS, TG_CSV_SERVICE_MS, TG_CSV_SERVER_QUEUE_MS,
                                          TG_CSV_SERVER_COMPUTE_MS, TG_CSV_TTFT_MS, TG_CSV_TPOT_MS,
                                          TG_CSV_ITL_MAX_MS, TG_CSV_LATENCY_UNCORRECTED_MS, TG_CSV_TLS_MS };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bool filled = rec->filled & TG_CSV_BIT(tc[i]);
        if (filled ? !(isfinite(t[i]) && t[i] >= 0) : !isnan(t[i]))
            abort();
    }
    if (((rec->filled & TG_CSV_BIT(TG_CSV_TIMESTAMP_MS)) != 0) != !isnan(rec->timestamp_ms))
        abort();
    if (!isnan(rec->timestamp_ms) && !isfinite(rec->timestamp_ms))
        abort();
    if (rec->status_code < 0 || rec->status_code > 999 || strlen(rec->output_hash) != rec->output_hash_len)
        abort();
}

/* Keeps the row when the writer can express it exactly enough to round-trip. */
static void keep_if_writable(struct rows *r, const struct tg_csv_rec *rec)
{
    double ts = rec->timestamp_ms;
    if (!(isfinite(ts) && ts == floor(ts) && fabs(ts) < 1e15) || !ms_ok(rec->latency_ms))
        return;
    const double ph[] = { rec->client_queue_ms, rec->connect_ms, rec->ttfb_ms, rec->service_ms,
                          rec->server_queue_ms, rec->server_compute_ms, rec->ttft_ms, rec->tpot_ms,
                          rec->itl_max_ms, rec->latency_uncorrected_ms, rec->tls_ms };
    for (size_t i = 0; i < sizeof ph / sizeof ph[0]; i++)
        if (!isnan(ph[i]) && !ms_ok(ph[i]))
            return;
    if (!plain(rec->output_hash, rec->output_hash_len, 64) || !plain(rec->error, strlen(rec->error), 32) ||
        !plain(rec->x_request_id, strlen(rec->x_request_id), 64))
        return;
    /* the writer writes http_request_id and batch_size together */
    if (!rec->has_http_id && rec->batch_size)
        return;
    /* and all stream columns or none */
    unsigned stream = TG_CSV_BIT(TG_CSV_TTFT_MS) | TG_CSV_BIT(TG_CSV_TPOT_MS) | TG_CSV_BIT(TG_CSV_ITL_MAX_MS) |
                      TG_CSV_BIT(TG_CSV_OUTPUT_TOKENS) | TG_CSV_BIT(TG_CSV_TOKENS_SOURCE) |
                      TG_CSV_BIT(TG_CSV_CONTENT_EVENTS);
    bool streamed = rec->filled & stream;
    if (streamed && (rec->output_tokens < 0 || !rec->tokens_source[0] || rec->content_events < 0 ||
                     rec->content_events > UINT32_MAX))
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct row *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            abort();
        r->v = v;
        r->cap = cap;
    }
    struct row *o = &r->v[r->n++];
    memset(o, 0, sizeof *o);
    memcpy(o->hash, rec->output_hash, rec->output_hash_len);
    snprintf(o->error, sizeof o->error, "%s", rec->error);
    snprintf(o->xid, sizeof o->xid, "%s", rec->x_request_id);
    o->w = (struct tg_csv_row){
        .request_id = rec->request_id, .timestamp_ms = (int64_t)ts,
        .latency_ns = (uint64_t)ns_of(rec->latency_ms), .status = rec->status_code, .ok = rec->ok,
        .sent = rec->has_http_id, .http_request_id = rec->http_request_id, .batch_size = rec->batch_size,
        .client_queue_ns = ns_of(rec->client_queue_ms), .connect_ns = ns_of(rec->connect_ms),
        .ttfb_ns = ns_of(rec->ttfb_ms), .service_ns = ns_of(rec->service_ms),
        .server_queue_ms = isnan(rec->server_queue_ms) ? -1 : rec->server_queue_ms,
        .server_compute_ms = isnan(rec->server_compute_ms) ? -1 : rec->server_compute_ms,
        .streamed = streamed, .ttft_ns = ns_of(rec->ttft_ms),
        .tpot_ms = isnan(rec->tpot_ms) ? -1 : rec->tpot_ms, .itl_max_ns = ns_of(rec->itl_max_ms),
        .output_tokens = streamed ? (uint64_t)rec->output_tokens : 0,
        .tokens_from_usage = !strcmp(rec->tokens_source, "usage"),
        .content_events = streamed ? (uint32_t)rec->content_events : 0,
        /* always written: an empty field comes back as 0 */
        .latency_uncorrected_ns = isnan(rec->latency_uncorrected_ms) ? 0
                                  : (uint64_t)ns_of(rec->latency_uncorrected_ms),
        .tls_ns = ns_of(rec->tls_ms),
    };
    /* the columns the reader ignores: values from the row and the input */
    uint64_t mix = rec->request_id * 0x9E3779B97F4A7C15ull ^ rec->line;
    o->w.bytes_out = mix;
    o->w.bytes_in = ~mix >> (rec->line % 64);
    o->w.worker = (uint32_t)(mix >> 17);
    if (r->in_len) {
        size_t at = (size_t)(mix % r->in_len), n = (size_t)(rec->request_id % sizeof o->detail);
        if (n > r->in_len - at)
            n = r->in_len - at;
        if (n == sizeof o->detail)
            n--;
        memcpy(o->detail, r->in + at, n);
        o->detail[n] = '\0';   /* up to the input's first NUL from there */
    }
}

/* The columns the reader ignores, carried from a to b row by row (the
 * second write must then give the same bytes). */
static void carry_extras(struct rows *b, const struct rows *a)
{
    if (a->n != b->n)
        abort();
    for (size_t i = 0; i < a->n; i++) {
        b->v[i].w.bytes_out = a->v[i].w.bytes_out;
        b->v[i].w.bytes_in = a->v[i].w.bytes_in;
        b->v[i].w.worker = a->v[i].w.worker;
        memcpy(b->v[i].detail, a->v[i].detail, sizeof b->v[i].detail);
    }
}

static int first_pass(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    check_rec(ctx, rec);
    keep_if_writable(ctx, rec);
    return 0;
}

static int second_pass(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    struct rows *r = ctx;
    size_t n = r->n;
    check_rec(ctx, rec);
    keep_if_writable(ctx, rec);
    if (r->n != n + 1)            /* every row written is writable again */
        abort();
    return 0;
}

/* The fields of one written row (one line: the writer turns line breaks
 * into spaces), unquoted into out[k] (NUL-terminated); returns how many.
 * RFC 4180 as the writer promises it, independent of the reader. */
static size_t split_row(const char *p, const char *end, char (*out)[600], size_t max)
{
    size_t k = 0;
    for (;;) {
        if (k == max)
            abort();
        size_t n = 0;
        if (p < end && *p == '"') {
            for (p++;; p++) {
                if (p >= end || *p == '\n')
                    abort();      /* unterminated, or a line break inside */
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"')
                        p++;
                    else
                        break;
                }
                if (n + 1 >= sizeof out[0])
                    abort();
                out[k][n++] = *p;
            }
            p++;
        } else {
            while (p < end && *p != ',' && *p != '\n') {
                if (*p == '"' || n + 1 >= sizeof out[0])
                    abort();
                out[k][n++] = *p++;
            }
        }
        out[k++][n] = '\0';
        if (p >= end || *p == '\n')
            return k;
        if (*p++ != ',')
            abort();
    }
}

/* bytes_out, bytes_in, worker and error_detail of every row of t[0..len)
 * are what the writer was given. */
static void check_extras(const char *t, size_t len, const struct rows *r)
{
    static char f[64][600];
    const char *p = memchr(t, '\n', len), *end = t + len;
    for (size_t i = 0; i < r->n; i++) {
        if (!p || ++p >= end)
            abort();
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            abort();
        if (split_row(p, eol, f, 64) != sizeof known_cols / sizeof known_cols[0])
            abort();
        const struct tg_csv_row *w = &r->v[i].w;
        char num[3][24];
        snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)w->bytes_out);
        snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)w->bytes_in);
        snprintf(num[2], sizeof num[2], "%u", (unsigned)w->worker);
        char detail[257];
        size_t n = strnlen(r->v[i].detail, 256);
        for (size_t j = 0; j < n; j++) {
            char c = r->v[i].detail[j];
            detail[j] = c == '\n' || c == '\r' ? ' ' : c;
        }
        detail[n] = '\0';
        if (strcmp(f[extra_at[COL_BYTES_OUT]], num[0]) || strcmp(f[extra_at[COL_BYTES_IN]], num[1]) ||
            strcmp(f[extra_at[COL_WORKER]], num[2]) || strcmp(f[extra_at[COL_ERROR_DETAIL]], detail))
            abort();
        p = eol;
    }
}

/* Every column of tg_csv_header is one this file round-trips (once). */
static void check_header(void)
{
    static bool done;
    if (done)
        return;
    static char f[64][600];
    const char *h = tg_csv_header;
    size_t n = split_row(h, h + strlen(h), f, 64), ncols = sizeof known_cols / sizeof known_cols[0];
    if (n != ncols)
        abort();
    for (size_t k = 0; k < ncols; k++) {
        size_t j = 0;
        while (j < n && strcmp(f[j], known_cols[k]))
            j++;
        if (j == n)
            abort();
        if (k >= ncols - NEXTRA)
            extra_at[k - (ncols - NEXTRA)] = (int)j;
    }
    done = true;
}

/* Header + rows as the writer formats them (malloc'd). */
static char *write_rows(const struct rows *r, size_t *len)
{
    size_t hl = strlen(tg_csv_header);
    char *out = malloc(hl + r->n * TG_CSV_ROW_MAX + 1);
    if (!out)
        abort();
    memcpy(out, tg_csv_header, hl);
    size_t n = hl;
    for (size_t i = 0; i < r->n; i++) {
        struct tg_csv_row w = r->v[i].w;
        w.output_hash = r->v[i].hash;
        w.error = r->v[i].error;
        w.x_request_id = r->v[i].xid;
        w.error_detail = r->v[i].detail;
        n += tg_csv_format_row(out + n, &w);
    }
    *len = n;
    return out;
}

static bool near(double a, double b) { return fabs(a - b) <= 0.00051 + 1e-12 * fabs(a); }
static bool near_ns(int64_t a, int64_t b) { return (a < 0 && b < 0) || (a >= 0 && b >= 0 && llabs(a - b) <= 510); }

static void same_rows(const struct rows *a, const struct rows *b)
{
    if (a->n != b->n)
        abort();
    for (size_t i = 0; i < a->n; i++) {
        const struct tg_csv_row *x = &a->v[i].w, *y = &b->v[i].w;
        if (x->request_id != y->request_id || x->timestamp_ms != y->timestamp_ms || x->status != y->status ||
            x->ok != y->ok || x->sent != y->sent || (x->sent && (x->http_request_id != y->http_request_id ||
                                                                x->batch_size != y->batch_size)))
            abort();
        if (!near_ns((int64_t)x->latency_ns, (int64_t)y->latency_ns) || !near_ns(x->client_queue_ns, y->client_queue_ns) ||
            !near_ns(x->connect_ns, y->connect_ns) || !near_ns(x->ttfb_ns, y->ttfb_ns) ||
            !near_ns(x->service_ns, y->service_ns) ||
            !near_ns((int64_t)x->latency_uncorrected_ns, (int64_t)y->latency_uncorrected_ns) ||
            !near_ns(x->tls_ns, y->tls_ns))
            abort();
        if ((x->server_queue_ms < 0) != (y->server_queue_ms < 0) ||
            (x->server_queue_ms >= 0 && !near(x->server_queue_ms, y->server_queue_ms)) ||
            (x->server_compute_ms < 0) != (y->server_compute_ms < 0) ||
            (x->server_compute_ms >= 0 && !near(x->server_compute_ms, y->server_compute_ms)))
            abort();
        if (strcmp(a->v[i].hash, b->v[i].hash) || strcmp(a->v[i].error, b->v[i].error) ||
            strcmp(a->v[i].xid, b->v[i].xid))
            abort();
        if (x->streamed != y->streamed)
            abort();
        if (x->streamed && (!near_ns(x->ttft_ns, y->ttft_ns) || !near_ns(x->itl_max_ns, y->itl_max_ns) ||
                            (x->tpot_ms < 0) != (y->tpot_ms < 0) ||
                            (x->tpot_ms >= 0 && !near(x->tpot_ms, y->tpot_ms)) ||
                            x->output_tokens != y->output_tokens ||
                            x->tokens_from_usage != y->tokens_from_usage ||
                            x->content_events != y->content_events))
            abort();
    }
}

static size_t count_lines(const char *p, size_t n)
{
    size_t l = 1;
    for (size_t i = 0; i < n; i++)
        l += p[i] == '\n';
    return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_header();
    const char *text = (const char *)data;
    struct rows a = { .lines = count_lines(text, size), .in = text, .in_len = size };
    char err[256];
    struct tg_csv_read rd = { .name = "f.csv", .row = first_pass, .ctx = &a };
    int rc = tg_csv_read(text, size, &rd, err, sizeof err);
    if (rc != 0) {
        if (rc != TG_EPARSE || strncmp(err, "f.csv:", 6) != 0)
            abort();
        free(a.v);
        return 0;
    }
    if (rd.rows != a.seen || a.seen > a.lines - 1)
        abort();

    /* write, read back, write again */
    size_t len1, len2;
    char *t1 = write_rows(&a, &len1);
    struct rows b = { .lines = count_lines(t1, len1) };
    struct tg_csv_read rd2 = { .name = "f.csv", .row = second_pass, .ctx = &b };
    if (tg_csv_read(t1, len1, &rd2, err, sizeof err) != 0) {
        fprintf(stderr, "re-read failed: %s\n", err);
        abort();
    }
    same_rows(&a, &b);
    check_extras(t1, len1, &a);
    carry_extras(&b, &a);
    char *t2 = write_rows(&b, &len2);
    if (len1 != len2 || memcmp(t1, t2, len1) != 0)
        abort();
    free(t1);
    free(t2);
    free(a.v);
    free(b.v);
    return 0;
}
