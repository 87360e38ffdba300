/*
 * prows.c - analyze's rows with their phases, from the one requests.csv
 * reader (output/csv_read.h).
 */
#include "analyze/prows.h"

#include "core/error.h"
#include "core/fs.h"
#include "core/vec.h"
#include "output/csv_read.h"
#include "stats/percentile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tg_prow *tg_prows_push(struct tg_prows *r)
{
    if (r->n >= TG_PROWS_MAX || tg_grow((void **)&r->v, &r->cap, r->n + 1, sizeof *r->v, 256))
        return NULL;
    struct tg_prow *p = &r->v[r->n++];
    memset(p, 0, sizeof *p);
    p->timestamp_ms = p->latency_ms = p->client_queue_ms = p->connect_ms = NAN;
    p->ttfb_ms = p->service_ms = p->server_queue_ms = p->server_compute_ms = NAN;
    p->ttft_ms = p->tpot_ms = p->itl_max_ms = p->output_tokens = NAN;
    return p;
}

void tg_prows_free(struct tg_prows *r)
{
    if (!r)
        return;
    free(r->v);
    memset(r, 0, sizeof *r);
}

struct keep {
    struct tg_prows *out;
    const char *name;
    unsigned filled;   /* columns some row filled */
};

static int keep_row(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    struct keep *k = ctx;
    struct tg_prow *r = tg_prows_push(k->out);
    if (!r) {
        tg_err_at(err, errlen, k->name, rec->line, "out of memory or more than %zu rows", TG_PROWS_MAX);
        return TG_ENOMEM;
    }
    k->filled |= rec->filled;
    r->request_id = rec->request_id;
    r->has_http_id = rec->has_http_id;
    r->http_request_id = rec->http_request_id;
    r->timestamp_ms = rec->timestamp_ms;
    r->latency_ms = rec->latency_ms;
    r->client_queue_ms = rec->client_queue_ms;
    r->connect_ms = rec->connect_ms;
    r->ttfb_ms = rec->ttfb_ms;
    r->service_ms = rec->service_ms;
    r->server_queue_ms = rec->server_queue_ms;
    r->server_compute_ms = rec->server_compute_ms;
    r->ttft_ms = rec->ttft_ms;
    r->tpot_ms = rec->tpot_ms;
    r->itl_max_ms = rec->itl_max_ms;
    r->output_tokens = rec->output_tokens >= 0 ? (double)rec->output_tokens : NAN;
    r->batch_size = rec->batch_size;
    r->status = rec->status_code;
    r->ok = rec->ok;
    if (rec->output_hash_len == 64)
        memcpy(r->hash, rec->output_hash, 65);
    return 0;
}

int tg_prows_parse(const char *data, size_t len, const char *name, struct tg_prows *out,
                   char *err, size_t errlen)
{
    struct keep k = { out, name ? name : "csv", 0 };
    struct tg_csv_read rd = { .name = k.name, .row = keep_row, .ctx = &k };
    int rc = tg_csv_read(data, len, &rd, err, errlen);
    if (rc)
        return rc;
    unsigned f = k.filled;
    out->have = 0;
    if ((f & TG_CSV_BIT(TG_CSV_SERVICE_MS)) && (f & TG_CSV_BIT(TG_CSV_CLIENT_QUEUE_MS)))
        out->have |= TG_PROWS_PHASES;
    if ((f & TG_CSV_BIT(TG_CSV_SERVER_QUEUE_MS)) && (f & TG_CSV_BIT(TG_CSV_SERVER_COMPUTE_MS)))
        out->have |= TG_PROWS_SERVER_TIMING;
    if (f & TG_CSV_BIT(TG_CSV_OUTPUT_HASH))
        out->have |= TG_PROWS_HASH;
    if (f & TG_CSV_BIT(TG_CSV_BATCH_SIZE))
        out->have |= TG_PROWS_BATCH;
    if (f & TG_CSV_BIT(TG_CSV_TTFT_MS))
        out->have |= TG_PROWS_STREAM;
    return 0;
}

int tg_prows_load(const char *path, struct tg_prows *out, char *err, size_t errlen)
{
    char file[4200];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(file, sizeof file, "%s/requests.csv", path);
    else
        snprintf(file, sizeof file, "%s", path);
    char *data;
    size_t len;
    int rc = tg_read_file(file, TG_CSV_MAX_FILE, &data, &len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", file, tg_strerror(rc));
        return rc;
    }
    rc = tg_prows_parse(data, len, file, out, err, errlen);
    free(data);
    return rc;
}

int tg_prows_ok_latencies(const struct tg_prows *r, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++)
        m += r->v[i].ok;
    if (!m)
        return 0;
    double *v = malloc(m * sizeof *v);
    if (!v)
        return TG_ENOMEM;
    m = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].ok)
            v[m++] = r->v[i].latency_ms;
    tg_sort_doubles(v, m);
    *out = v;
    *n = m;
    return 0;
}

double tg_prows_wall_s(const struct tg_prows *r)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        if (isnan(p->timestamp_ms))
            continue;
        if (p->timestamp_ms < lo)
            lo = p->timestamp_ms;
        double e = p->timestamp_ms + (isnan(p->latency_ms) ? 0 : p->latency_ms);
        if (e > hi)
            hi = e;
    }
    return hi > lo ? (hi - lo) / 1000.0 : NAN;
}
