/*
 * slo_eval.c - SLO verdicts and goodput of one run from its rows and its
 * stream file.
 *
 * The stream file is read only when an itl SLO is asked for: it is the one
 * metric whose samples are not in the rows (a row keeps its largest gap,
 * itl pools every gap).  Lines are parsed one at a time, so memory is the
 * pooled gaps plus one line.
 */
#include "compare/slo_eval.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/vec.h"

#define STREAM_LINE_MAX ((size_t)256 << 20)   /* one input's events: far below this */

struct dvec {
    double *v;
    size_t n, cap;
};

static int dvec_push(struct dvec *d, double x)
{
    int rc = tg_grow((void **)&d->v, &d->cap, d->n + 1, sizeof *d->v, 1024);
    if (rc)
        return rc;
    d->v[d->n++] = x;
    return 0;
}

/* One line of the stream file: its ok inputs' gaps go to *gaps, each one's
 * largest gap to max_ms[row index] (rows found by request_id). */
static int stream_line(const char *text, size_t len, const char *path, size_t line,
                       const struct tg_rows *rows, struct dvec *gaps, double *max_ms, char *err,
                       size_t errlen)
{
    json_error_t jerr;
    json_t *o = json_loadb(text, len, 0, &jerr);
    if (!o)
        return tg_err_at(err, errlen, path, line, "not JSON: %s", jerr.text);
    int rc = 0;
    json_t *id = json_object_get(o, "request_id"), *ev = json_object_get(o, "event_ns");
    json_t *okj = json_object_get(o, "ok");
    if (!json_is_object(o)) {
        rc = tg_err_at(err, errlen, path, line, "not a JSON object");
        goto done;
    }
    if (!json_is_integer(id) || json_integer_value(id) < 0) {
        rc = tg_err_at(err, errlen, path, line, "no non-negative integer request_id");
        goto done;
    }
    if (!json_is_array(ev)) {
        rc = tg_err_at(err, errlen, path, line, "no event_ns array");
        goto done;
    }
    if (okj && !json_is_boolean(okj)) {
        rc = tg_err_at(err, errlen, path, line, "ok is not true or false");
        goto done;
    }
    const struct tg_row *row = tg_rows_find(rows, (uint64_t)json_integer_value(id));
    bool ok = okj ? json_is_true(okj) : row ? row->ok : true;
    double prev = NAN, largest = NAN;
    size_t i;
    json_t *t;
    json_array_foreach(ev, i, t) {
        if (!json_is_integer(t) || json_integer_value(t) < 0) {
            rc = tg_err_at(err, errlen, path, line, "event_ns[%zu] is not a non-negative integer", i);
            goto done;
        }
        double ns = (double)json_integer_value(t);
        if (ns < prev) {
            rc = tg_err_at(err, errlen, path, line, "event_ns[%zu] is before event_ns[%zu]", i, i - 1);
            goto done;
        }
        if (i > 0 && ok) {
            double gap = (ns - prev) / 1e6;
            if ((rc = dvec_push(gaps, gap)) < 0) {
                tg_err_at(err, errlen, path, line, "out of memory");
                goto done;
            }
            if (!(gap <= largest))
                largest = gap;
        }
        prev = ns;
    }
    if (row && ok)
        max_ms[row - rows->rows] = largest;
done:
    json_decref(o);
    return rc;
}

/* Reads the stream file.  *have: it existed. */
static int read_stream(const char *path, const struct tg_rows *rows, struct dvec *gaps,
                       double *max_ms, bool *have, char *err, size_t errlen)
{
    *have = false;
    if (!path)
        return 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        int e = -errno;
        snprintf(err, errlen, "%s: %s", path, tg_strerror(e));
        return e;
    }
    *have = true;
    char *buf = NULL;
    size_t cap = 0, line = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        line++;
        size_t n = (size_t)len;
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        if (n > STREAM_LINE_MAX) {
            rc = tg_err_at(err, errlen, path, line, "line longer than %zu bytes", STREAM_LINE_MAX);
            break;
        }
        if ((rc = stream_line(buf, n, path, line, rows, gaps, max_ms, err, errlen)) < 0)
            break;
    }
    if (rc == 0 && ferror(f)) {
        rc = errno ? -errno : TG_EIO;
        snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
    }
    free(buf);
    fclose(f);
    return rc;
}

/* The samples of a per-input metric: ok inputs with a value, failed ones as
 * +inf.  *column: the rows have that column. */
static double row_value(const struct tg_row *r, enum tg_slo_metric m)
{
    switch (m) {
    case TG_SLO_LATENCY:
        return r->latency_ms;
    case TG_SLO_TTFT:
        return r->ttft_ms;
    case TG_SLO_TPOT:
        return r->tpot_ms;
    default:
        return NAN;
    }
}

static unsigned metric_column(enum tg_slo_metric m)
{
    return m == TG_SLO_LATENCY ? TG_COL_LATENCY_MS : m == TG_SLO_TTFT ? TG_COL_TTFT_MS : TG_COL_TPOT_MS;
}

/* The verdicts and goodput from rows and the pooled gaps; max_ms (NULL:
 * the rows' itl_max_ms) is each row's largest gap for goodput. */
static int eval_core(const struct tg_rows *rows, const double *gaps, size_t ngaps, bool have_gaps,
                     const double *max_ms, const struct tg_slo *slos, size_t n, double confidence,
                     struct tg_slo_eval *out, char *err, size_t errlen)
{
    struct dvec samples = { 0 };
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        const struct tg_slo *s = &slos[k];
        out->note[k][0] = '\0';
        if (s->metric == TG_SLO_ITL) {
            if (!have_gaps) {
                snprintf(out->note[k], sizeof out->note[k], "no per-event times (stream.jsonl)");
                rc = tg_slo_judge(s, NULL, 0, confidence, &out->res[k]);
            } else {
                rc = tg_slo_judge(s, gaps, ngaps, confidence, &out->res[k]);
                if (rc == 0 && ngaps == 0)
                    snprintf(out->note[k], sizeof out->note[k], "no ok input has two content events");
            }
        } else if (!(rows->columns & metric_column(s->metric))) {
            snprintf(out->note[k], sizeof out->note[k], "no %s_ms column in the rows",
                     tg_slo_metric_name(s->metric));
            rc = tg_slo_judge(s, NULL, 0, confidence, &out->res[k]);
        } else {
            samples.n = 0;
            for (size_t i = 0; i < rows->n && rc == 0; i++) {
                const struct tg_row *r = &rows->rows[i];
                double v = r->ok ? row_value(r, s->metric) : INFINITY;
                if (!isnan(v))
                    rc = dvec_push(&samples, v);
            }
            if (rc == 0)
                rc = tg_slo_judge(s, samples.v, samples.n, confidence, &out->res[k]);
            if (rc == 0 && samples.n == 0)
                snprintf(out->note[k], sizeof out->note[k], "no input has a %s value",
                         tg_slo_metric_name(s->metric));
        }
        if (rc < 0) {
            if (rc == TG_ENOMEM)
                snprintf(err, errlen, "out of memory");
            else
                snprintf(err, errlen, "%s: %s", s->text, tg_strerror(rc));
            free(samples.v);
            return rc;
        }
    }
    free(samples.v);

    out->inputs = rows->n;
    for (size_t i = 0; i < rows->n; i++) {
        const struct tg_row *r = &rows->rows[i];
        if (!r->ok)
            continue;
        out->ok++;
        bool good = true;
        for (size_t k = 0; k < n && good; k++)
            good = tg_slo_input_meets(&slos[k], r->latency_ms, r->ttft_ms, r->tpot_ms,
                                      max_ms ? max_ms[i] : r->itl_max_ms);
        out->good += good;
    }
    out->goodput_rps = out->wall_s > 0 ? (double)out->good / out->wall_s : NAN;
    out->all_pass = true;
    for (size_t k = 0; k < n; k++) {
        out->all_pass &= out->res[k].verdict == TG_VERDICT_PASS;
        out->any_fail |= out->res[k].verdict == TG_VERDICT_FAIL;
    }
    return 0;
}

static int eval_init(const struct tg_slo *slos, size_t n, double wall_s, struct tg_slo_eval *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->wall_s = wall_s;
    out->goodput_rps = NAN;
    if (err && errlen)
        err[0] = '\0';
    if (n > TG_SLO_MAX) {
        snprintf(err, errlen, "more than %d SLOs", TG_SLO_MAX);
        return TG_EINVAL;
    }
    out->n = n;
    if (n)
        memcpy(out->slo, slos, n * sizeof *slos);
    return 0;
}

int tg_slo_eval_gaps(const struct tg_rows *rows, const double *gaps, size_t ngaps, bool have_gaps,
                     const struct tg_slo *slos, size_t n, double confidence, double wall_s,
                     struct tg_slo_eval *out, char *err, size_t errlen)
{
    int rc = eval_init(slos, n, wall_s, out, err, errlen);
    if (rc == 0)
        rc = eval_core(rows, gaps, ngaps, have_gaps, NULL, slos, n, confidence, out, err, errlen);
    if (rc < 0)
        out->n = 0;
    return rc;
}

int tg_slo_eval(const struct tg_rows *rows, const char *stream_path, const struct tg_slo *slos,
                size_t n, double confidence, double wall_s, struct tg_slo_eval *out, char *err,
                size_t errlen)
{
    int rc = eval_init(slos, n, wall_s, out, err, errlen);
    if (rc < 0)
        return rc;
    bool want_itl = false;
    for (size_t k = 0; k < n; k++)
        want_itl |= slos[k].metric == TG_SLO_ITL;
    struct dvec gaps = { 0 };
    double *max_ms = NULL;
    bool have_stream = false;
    if (want_itl) {
        max_ms = malloc((rows->n ? rows->n : 1) * sizeof *max_ms);
        if (!max_ms) {
            snprintf(err, errlen, "out of memory");
            rc = TG_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < rows->n; i++)
            max_ms[i] = NAN;
        if ((rc = read_stream(stream_path, rows, &gaps, max_ms, &have_stream, err, errlen)) < 0)
            goto done;
        for (size_t i = 0; i < rows->n; i++)   /* the row's own figure wins for goodput */
            if (!isnan(rows->rows[i].itl_max_ms))
                max_ms[i] = rows->rows[i].itl_max_ms;
    }
    rc = eval_core(rows, gaps.v, gaps.n, have_stream, max_ms, slos, n, confidence, out, err, errlen);
done:
    if (rc < 0)
        out->n = 0;
    free(gaps.v);
    free(max_ms);
    return rc;
}

int tg_slo_stream_gaps(const struct tg_rows *rows, const char *stream_path, double **gaps, size_t *ngaps,
                       bool *have, char *err, size_t errlen)
{
    *gaps = NULL;
    *ngaps = 0;
    struct dvec g = { 0 };
    double *max_ms = malloc((rows->n ? rows->n : 1) * sizeof *max_ms);
    if (!max_ms) {
        snprintf(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    int rc = read_stream(stream_path, rows, &g, max_ms, have, err, errlen);
    free(max_ms);
    if (rc < 0) {
        free(g.v);
        return rc;
    }
    *gaps = g.v;
    *ngaps = g.n;
    return 0;
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *tg_slo_eval_json(const struct tg_slo_eval *e, double confidence)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t k = 0; k < e->n; k++) {
        const struct tg_slo *s = &e->slo[k];
        const struct tg_slo_result *r = &e->res[k];
        json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:o, s:I, s:I, s:s, s:f, s:o, s:f, s:f}",
                              "slo", s->text, "metric", tg_slo_metric_name(s->metric), "p", s->p,
                              "limit_ms", s->limit_ms, "estimate_ms", jnum(r->estimate_ms),
                              "n", (json_int_t)r->n, "over", (json_int_t)r->over,
                              "verdict", tg_verdict_name(r->verdict), "confidence", confidence,
                              "note", e->note[k][0] ? json_string(e->note[k]) : json_null(),
                              "frac_over_lo", r->frac_over_lo, "frac_over_hi", r->frac_over_hi);
        if (!o || json_array_append_new(a, o) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

void tg_slo_eval_print(FILE *f, const struct tg_slo_eval *e, double confidence)
{
    size_t w = 0;
    for (size_t k = 0; k < e->n; k++)
        if (strlen(e->slo[k].text) > w)
            w = strlen(e->slo[k].text);
    for (size_t k = 0; k < e->n; k++) {
        const struct tg_slo *s = &e->slo[k];
        const struct tg_slo_result *r = &e->res[k];
        fprintf(f, "%-*s  %-12s  p%g ", (int)w, s->text, tg_verdict_name(r->verdict),
                round(s->p * 1e10) / 1e8);
        if (isfinite(r->estimate_ms))
            fprintf(f, "%.1f ms", r->estimate_ms);
        else if (r->n && isinf(r->estimate_ms))
            fprintf(f, "failed");
        else
            fprintf(f, "n/a");
        fprintf(f, ", %llu/%llu over (%g%% confidence)", (unsigned long long)r->over,
                (unsigned long long)r->n, 100 * confidence);
        if (e->note[k][0])
            fprintf(f, ": %s", e->note[k]);
        fputc('\n', f);
    }
}
