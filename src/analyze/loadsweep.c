/*
 * loadsweep.c - loads, points, knee, SLA limit and sweep.json of `tailgate sweep`.
 */
#include "analyze/loadsweep.h"

#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tg_loadsweep_mode_name(enum tg_loadsweep_mode m)
{
    return m == TG_LOADSWEEP_RATE ? "rate" : "concurrency";
}

int tg_loadsweep_parse_list(const char *s, enum tg_loadsweep_mode mode, double *out, size_t *n, char *why,
                        size_t whylen)
{
    *n = 0;
    if (!s || !*s) {
        snprintf(why, whylen, "an empty list");
        return TG_EINVAL;
    }
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item) {
            snprintf(why, whylen, "value %zu is %s", *n + 1, len ? "too long" : "empty");
            return TG_EINVAL;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        char *e = NULL;
        errno = 0;
        double v = strtod(item, &e);
        if (errno || e == item || *e || !isfinite(v)) {
            snprintf(why, whylen, "'%s' is not a number", item);
            return TG_EINVAL;
        }
        if (mode == TG_LOADSWEEP_CONCURRENCY && (v != floor(v) || v < 1 || v > 4096)) {
            snprintf(why, whylen, "'%s' is not a concurrency (an integer in [1, 4096])", item);
            return TG_EINVAL;
        }
        if (mode == TG_LOADSWEEP_RATE && !(v > 0 && v <= 1e6)) {
            snprintf(why, whylen, "'%s' is not a rate (inputs/s in (0, 1e6])", item);
            return TG_EINVAL;
        }
        if (*n == TG_LOADSWEEP_MAX_POINTS) {
            snprintf(why, whylen, "more than %d values", TG_LOADSWEEP_MAX_POINTS);
            return TG_EINVAL;
        }
        if (*n && !(v > out[*n - 1])) {
            snprintf(why, whylen, "values must increase ('%s' after %g)", item, out[*n - 1]);
            return TG_EINVAL;
        }
        out[(*n)++] = v;
        if (!end)
            return 0;
        p = end + 1;
    }
}

static double ready_rate(const struct tg_prows *pr)
{
    if (pr->n < 2)
        return NAN;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < pr->n; i++) {
        double t = pr->v[i].timestamp_ms;
        if (!isfinite(t))
            continue;
        lo = fmin(lo, t);
        hi = fmax(hi, t);
    }
    /* ready times are whole ms: a span under 1 ms says nothing */
    return hi - lo >= 1 ? (double)(pr->n - 1) / ((hi - lo) / 1000.0) : NAN;
}

int tg_loadsweep_point_from_probe(double load, const struct tg_probe_result *r, const struct tg_slo *slos,
                              size_t nslos, double confidence, struct tg_loadsweep_point *out, char *err,
                              size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->load = load;
    out->achieved_rate = ready_rate(&r->rows);
    out->inputs = r->inputs;
    out->ok = r->ok;
    out->failed = r->failed;
    out->p50_ms = r->p50_ms;
    out->p95_ms = r->p95_ms;
    out->p99_ms = r->p99_ms;
    out->mean_ms = r->mean_ms;
    out->throughput_ips = r->throughput_ips;
    out->wall_s = r->wall_s;
    out->interrupted = r->interrupted;
    snprintf(out->first_error, sizeof out->first_error, "%s", r->first_error);
    if (nslos == 0)
        return 0;
    if (nslos > TG_SLO_MAX) {
        snprintf(err, errlen, "at most %d SLOs", TG_SLO_MAX);
        return TG_EINVAL;
    }
    bool want_itl = false;
    for (size_t k = 0; k < nslos; k++)
        want_itl |= slos[k].metric == TG_SLO_ITL;
    struct tg_rows rows;
    int rc = tg_probe_rows(r, &rows);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    rc = tg_slo_eval_gaps(&rows, r->itl_gaps, r->n_itl_gaps, want_itl && r->streamed, slos, nslos,
                          confidence, r->wall_s, &out->slo, err, errlen);
    tg_rows_free(&rows);
    if (rc)
        return rc;
    out->judged = true;
    out->verdict = out->slo.all_pass ? TG_VERDICT_PASS
                   : out->slo.any_fail ? TG_VERDICT_FAIL
                                       : TG_VERDICT_INCONCLUSIVE;
    return 0;
}

long tg_loadsweep_knee(const struct tg_loadsweep_point *p, size_t n)
{
    for (size_t k = 0; k + 1 < n; k++) {
        double t0 = p[k].throughput_ips, t1 = p[k + 1].throughput_ips;
        double q0 = p[k].p95_ms, q1 = p[k + 1].p95_ms;
        if (!(t0 > 0) || !isfinite(t1) || !isfinite(q0) || !isfinite(q1) || !(p[k].load > 0))
            continue;
        double step = p[k + 1].load / p[k].load - 1;
        double threshold = step < 2 * TG_LOADSWEEP_KNEE_GAIN ? step / 2 : TG_LOADSWEEP_KNEE_GAIN;
        if ((t1 - t0) / t0 < threshold && q1 > q0)
            return (long)k;
    }
    return -1;
}

long tg_loadsweep_sla_limit(const struct tg_loadsweep_point *p, size_t n)
{
    long last = -1;
    for (size_t k = 0; k < n; k++) {
        if (!p[k].judged || p[k].verdict != TG_VERDICT_PASS)
            break;
        last = (long)k;
    }
    return last;
}

const char *tg_loadsweep_point_verdict(const struct tg_loadsweep_point *p)
{
    return p->judged ? tg_verdict_name(p->verdict) : NULL;
}

/* A number, or null when it is not finite (JSON has no NaN). */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int set(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *point_json(const struct tg_loadsweep_point *p, const struct tg_loadsweep *sw)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= set(o, "load", json_real(p->load));
    bad |= set(o, "achieved_rate", jnum(p->achieved_rate));
    bad |= set(o, "inputs", json_integer((json_int_t)p->inputs));
    bad |= set(o, "ok", json_integer((json_int_t)p->ok));
    bad |= set(o, "failed", json_integer((json_int_t)p->failed));
    bad |= set(o, "p50_ms", jnum(p->p50_ms));
    bad |= set(o, "p95_ms", jnum(p->p95_ms));
    bad |= set(o, "p99_ms", jnum(p->p99_ms));
    bad |= set(o, "mean_ms", jnum(p->mean_ms));
    bad |= set(o, "throughput_ips", jnum(p->throughput_ips));
    bad |= set(o, "wall_s", jnum(p->wall_s));
    bad |= set(o, "interrupted", json_boolean(p->interrupted));
    bad |= set(o, "first_error", p->first_error[0] ? json_string(p->first_error) : json_null());
    if (p->judged) {
        bad |= set(o, "verdict", json_string(tg_verdict_name(p->verdict)));
        bad |= set(o, "slos", tg_slo_eval_json(&p->slo, sw->confidence));
        bad |= set(o, "goodput_ips", jnum(p->slo.goodput_rps));
    } else {
        bad |= set(o, "verdict", json_null());
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *tg_loadsweep_json(const struct tg_loadsweep *sw)
{
    json_t *root = json_object(), *values = json_array(), *points = json_array(), *slos = json_array();
    int bad = !root || !values || !points || !slos;
    for (size_t i = 0; !bad && i < sw->nvalues; i++)
        bad |= json_array_append_new(values, json_real(sw->values[i])) != 0;
    for (size_t i = 0; !bad && i < sw->npoints; i++) {
        json_t *p = point_json(&sw->points[i], sw);
        bad |= !p || json_array_append_new(points, p) != 0;
    }
    for (size_t i = 0; !bad && i < sw->nslos; i++)
        bad |= json_array_append_new(slos, json_string(sw->slos[i].text)) != 0;
    if (bad) {
        json_decref(root), json_decref(values), json_decref(points), json_decref(slos);
        return NULL;
    }
    bad |= set(root, "schema", json_string("tailgate.sweep/1"));
    bad |= set(root, "mode", json_string(tg_loadsweep_mode_name(sw->mode)));
    bad |= set(root, "values", values);
    bad |= set(root, "slos", slos);
    bad |= set(root, "confidence", sw->nslos ? json_real(sw->confidence) : json_null());
    bad |= set(root, "points", points);

    long k = tg_loadsweep_knee(sw->points, sw->npoints);
    if (k >= 0) {
        const struct tg_loadsweep_point *p = &sw->points[k], *q = &sw->points[k + 1];
        json_t *knee = json_pack("{s:f, s:I, s:o, s:o, s:f, s:o, s:o, s:s}", "load", p->load, "index",
                                 (json_int_t)k, "throughput_ips", jnum(p->throughput_ips), "p95_ms",
                                 jnum(p->p95_ms), "next_load", q->load, "next_throughput_ips",
                                 jnum(q->throughput_ips), "next_p95_ms", jnum(q->p95_ms), "definition",
                                 "the first load whose next point raises throughput by less than 5 % "
                                 "(half the relative load step when that step is under 10 %) while "
                                 "its P95 rises");
        bad |= set(root, "knee", knee);
    } else {
        bad |= set(root, "knee", json_null());
    }
    long l = tg_loadsweep_sla_limit(sw->points, sw->npoints);
    bad |= set(root, "sla_limit", l >= 0 ? json_real(sw->points[l].load) : json_null());
    bad |= set(root, "interrupted", json_boolean(sw->interrupted));
    bad |= set(root, "elapsed_s", jnum(sw->elapsed_s));
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}
