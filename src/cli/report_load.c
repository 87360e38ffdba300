/*
 * report_load.c - the run loader of `tailgate report` (see report_load.h),
 * on the one requests.csv reader (output/csv_read.h).
 */
#include "cli/report_load.h"

#include "core/error.h"
#include "core/fs.h"
#include "output/csv_read.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const enum tg_csv_col phase_cols[TG_PHASE_COL_COUNT] = {
    [TG_PHASE_COL_CLIENT_QUEUE] = TG_CSV_CLIENT_QUEUE_MS,
    [TG_PHASE_COL_CONNECT] = TG_CSV_CONNECT_MS,
    [TG_PHASE_COL_TTFB] = TG_CSV_TTFB_MS,
    [TG_PHASE_COL_SERVICE] = TG_CSV_SERVICE_MS,
    [TG_PHASE_COL_SERVER_QUEUE] = TG_CSV_SERVER_QUEUE_MS,
    [TG_PHASE_COL_SERVER_COMPUTE] = TG_CSV_SERVER_COMPUTE_MS,
};

struct keep {
    struct tg_run_data *d;
    const struct tg_csv_read *rd;
    size_t cap;              /* rows the arrays hold: an upper bound from the line count */
};

static int keep_row(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    struct keep *k = ctx;
    struct tg_run_data *d = k->d;
    if (!d->latency_ms) {   /* the first row: the header is known */
        d->latency_ms = malloc(k->cap * sizeof *d->latency_ms);
        d->timestamp_ms = malloc(k->cap * sizeof *d->timestamp_ms);
        d->ok = malloc(k->cap);
        if (!d->latency_ms || !d->timestamp_ms || !d->ok)
            goto nomem;
        for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
            if ((k->rd->columns & TG_CSV_BIT(phase_cols[c])) &&
                !(d->phase[c] = malloc(k->cap * sizeof(double))))
                goto nomem;
    }
    if (d->n >= k->cap)   /* cannot happen: every row ends a line or the file */
        return tg_err_at(err, errlen, k->rd->name, rec->line, "more rows than lines");
    if (isnan(rec->timestamp_ms))
        return tg_err_at(err, errlen, k->rd->name, rec->line, "timestamp_ms is empty");
    size_t i = d->n++;
    d->timestamp_ms[i] = rec->timestamp_ms;
    d->latency_ms[i] = rec->latency_ms;
    d->ok[i] = rec->ok;
    const double v[TG_PHASE_COL_COUNT] = {
        rec->client_queue_ms, rec->connect_ms, rec->ttfb_ms, rec->service_ms,
        rec->server_queue_ms, rec->server_compute_ms,
    };
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        if (d->phase[c])
            d->phase[c][i] = v[c];
    return 0;
nomem:
    tg_err_at(err, errlen, k->rd->name, rec->line, "%s", tg_strerror(TG_ENOMEM));
    return TG_ENOMEM;
}

static int parse_csv(const char *text, size_t len, struct tg_run_data *d, char *err, size_t errlen)
{
    struct tg_csv_read rd = { .name = d->csv_path, .required = TG_CSV_BIT(TG_CSV_TIMESTAMP_MS),
                              .row = keep_row };
    struct keep k = { d, &rd, 1 };
    for (size_t i = 0; i < len; i++)
        k.cap += text[i] == '\n';
    rd.ctx = &k;
    int rc = tg_csv_read(text, len, &rd, err, errlen);
    if (rc)
        return rc;
    if (d->n == 0) {
        snprintf(err, errlen, "%s: no rows after the header", d->csv_path);
        return TG_EPARSE;
    }
    bool phases = (rd.columns & TG_CSV_BIT(TG_CSV_CLIENT_QUEUE_MS)) &&
                  (rd.columns & TG_CSV_BIT(TG_CSV_SERVICE_MS));
    d->kind = phases ? "tailgate run" : "latency-only CSV (input.py format)";
    return 0;
}

int tg_run_load(const char *path, struct tg_run_data *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    int rc = TG_ENOMEM;
    char *text = NULL;
    if (!(d->source = strdup(path)))
        goto fail;
    if (is_dir(path)) {
        static const char *const names[] = { "requests.csv", "latency.csv",
                                             "latency_baseline.csv" };
        for (size_t i = 0; i < sizeof names / sizeof names[0] && !d->csv_path; i++) {
            char *c = join(path, names[i]);
            if (!c)
                goto fail;
            if (is_file(c))
                d->csv_path = c;
            else
                free(c);
        }
        if (!d->csv_path) {
            snprintf(err, errlen, "%s: no requests.csv, latency.csv or latency_baseline.csv in "
                     "this directory", path);
            rc = -ENOENT;
            goto fail;
        }
        char *s = join(path, "summary.json");
        if (!s)
            goto fail;
        if (is_file(s))
            d->summary_path = s;
        else
            free(s);
    } else if (!(d->csv_path = strdup(path))) {
        goto fail;
    }
    size_t text_len;
    rc = tg_read_file(d->csv_path, TG_CSV_MAX_FILE, &text, &text_len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", d->csv_path, tg_strerror(rc));
        goto fail;
    }
    rc = parse_csv(text, text_len, d, err, errlen);
    if (rc)
        goto fail;
    free(text);
    return 0;
fail:
    free(text);
    tg_run_data_free(d);
    return rc;
}

void tg_run_data_free(struct tg_run_data *d)
{
    if (!d)
        return;
    free(d->source);
    free(d->csv_path);
    free(d->summary_path);
    free(d->latency_ms);
    free(d->timestamp_ms);
    free(d->ok);
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        free(d->phase[c]);
    memset(d, 0, sizeof *d);
}

void tg_run_data_view(const struct tg_run_data *d, const char *name, struct tg_plot_run *out)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    out->n = d->n;
    out->latency_ms = d->latency_ms;
    out->timestamp_ms = d->timestamp_ms;
    out->ok = d->ok;
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        out->phase[c] = d->phase[c];
}
