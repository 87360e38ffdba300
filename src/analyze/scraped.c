/*
 * scraped.c - the scraped server series as evidence (analyze/scraped.h).
 */
#include "analyze/scraped.h"

#include "analyze/report.h"

#include "core/buf.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum role { QUEUE, RUNNING, LIMIT, TRITON_QUEUE_US, TRITON_SUCCESS };

static const struct known {
    const char *metric, *server;
    enum role role;
} known[] = {
    { "tailgate_queue_depth_requests", "tailgate serve", QUEUE },
    { "vllm:num_requests_waiting", "vLLM", QUEUE },
    { "te_queue_size", "TEI", QUEUE },
    { "nv_inference_pending_request_count", "Triton", QUEUE },
    { "tailgate_executions_running", "tailgate serve", RUNNING },
    { "vllm:num_requests_running", "vLLM", RUNNING },
    { "tailgate_slots", "tailgate serve", LIMIT },
    { "nv_inference_queue_duration_us", "Triton", TRITON_QUEUE_US },
    { "nv_inference_request_success", "Triton", TRITON_SUCCESS },
};
#define NKNOWN (sizeof known / sizeof known[0])

/* One known metric while the file is read. */
struct acc {
    bool have_cur;
    int64_t cur_t;
    double cur_sum;
    size_t n, positive;
    double sum, max, first, last;
    size_t np, cap;
    double *t, *v;            /* timeline, up to TG_SCRAPED_MAX_POINTS */
};

static int flush(struct acc *a, int64_t lo, int64_t hi)
{
    if (!a->have_cur || a->cur_t < lo || a->cur_t > hi)
        return 0;
    double v = a->cur_sum;
    if (!a->n || v > a->max)
        a->max = v;
    if (!a->n)
        a->first = v;
    a->last = v;
    a->n++;
    a->sum += v;
    a->positive += v > 0;
    if (a->np < TG_SCRAPED_MAX_POINTS) {
        if (a->np == a->cap) {
            size_t cap = a->cap ? 2 * a->cap : 256;
            double *t = realloc(a->t, cap * sizeof *t);
            if (!t)
                return TG_ENOMEM;
            a->t = t;
            double *nv = realloc(a->v, cap * sizeof *nv);
            if (!nv)
                return TG_ENOMEM;
            a->v = nv;
            a->cap = cap;
        }
        a->t[a->np] = (double)a->cur_t;
        a->v[a->np++] = v;
    }
    return 0;
}

/* Splits one CSV line into its 4 fields (quoted ones unquoted in place).
 * Returns 0 or -1. */
static int split(char *line, char *f[4])
{
    char *p = line;
    for (int i = 0; i < 4; i++) {
        if (*p == '"') {
            char *w = ++p;
            f[i] = w;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            *w = '\0';
            if (*p != ',' && *p != '\0' && *p != '\n' && *p != '\r')
                return -1;
        } else {
            f[i] = p;
            p += strcspn(p, ",\r\n");
        }
        char sep = *p;
        *p = '\0';
        if (i < 3) {
            if (sep != ',')
                return -1;
            p++;
        }
    }
    return 0;
}

static void summarise(struct tg_scraped_series *s, const struct known *k, const struct acc *a)
{
    *s = (struct tg_scraped_series){ .found = true, .metric = k->metric, .server = k->server, .samples = a->n,
                                     .mean = a->n ? a->sum / (double)a->n : NAN, .max = a->n ? a->max : NAN,
                                     .share_positive = a->n ? (double)a->positive / (double)a->n : NAN };
}

/* The candidate of a role: the first found, unless a later one shows more activity. */
static int pick(const struct acc *acc, enum role r)
{
    int best = -1;
    for (size_t i = 0; i < NKNOWN; i++) {
        if (known[i].role != r || !acc[i].n)
            continue;
        double share = (double)acc[i].positive / (double)acc[i].n;
        if (best < 0 || share > (double)acc[best].positive / (double)acc[best].n)
            best = (int)i;
    }
    return best;
}

int tg_scraped_load(const char *csv_path, int64_t lo, int64_t hi, struct tg_scraped *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->limit = out->triton_queue_ms = out->little_queue_ms = NAN;
    out->saturated = -1;
    FILE *f = fopen(csv_path, "re");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", csv_path, strerror(e));
        return -e;
    }
    struct acc acc[NKNOWN];
    memset(acc, 0, sizeof acc);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int64_t last_t = INT64_MIN;
    int rc = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (lineno == 1) {
            if (strncmp(line, "time_ms,metric,labels,value", 27)) {
                snprintf(err, errlen, "%s:1: not a server_metrics.csv (expected the header time_ms,metric,labels,value)",
                         csv_path);
                rc = TG_EPARSE;
                break;
            }
            continue;
        }
        char *fld[4];
        if (split(line, fld)) {
            snprintf(err, errlen, "%s:%zu: expected 4 fields", csv_path, lineno);
            rc = TG_EPARSE;
            break;
        }
        char *e;
        long long t = strtoll(fld[0], &e, 10);
        if (e == fld[0] || *e) {
            snprintf(err, errlen, "%s:%zu: bad time_ms '%.40s'", csv_path, lineno, fld[0]);
            rc = TG_EPARSE;
            break;
        }
        if (t != last_t && t >= lo && t <= hi) {
            if (!out->scrapes)
                out->t_first_ms = t;
            out->t_last_ms = t;
            out->scrapes++;
        }
        last_t = t;
        for (size_t k = 0; k < NKNOWN; k++) {
            if (strcmp(fld[1], known[k].metric))
                continue;
            double v = strtod(fld[3], &e);
            if (e == fld[3] || *e || isnan(v))
                break;   /* a NaN gauge is no sample */
            if (acc[k].have_cur && acc[k].cur_t != t && (rc = flush(&acc[k], lo, hi)))
                goto done;
            if (!acc[k].have_cur || acc[k].cur_t != t) {
                acc[k].have_cur = true;
                acc[k].cur_t = t;
                acc[k].cur_sum = 0;
            }
            acc[k].cur_sum += v;
            break;
        }
    }
    for (size_t k = 0; !rc && k < NKNOWN; k++)
        rc = flush(&acc[k], lo, hi);
    if (rc)
        goto done;
    int q = pick(acc, QUEUE), r = pick(acc, RUNNING), l = pick(acc, LIMIT);
    if (q >= 0)
        summarise(&out->queue, &known[q], &acc[q]);
    if (r >= 0)
        summarise(&out->running, &known[r], &acc[r]);
    if (l >= 0 && r >= 0 && !strcmp(known[l].server, known[r].server))
        out->limit = acc[l].max;
    int tq = pick(acc, TRITON_QUEUE_US), ts = pick(acc, TRITON_SUCCESS);
    if (tq >= 0 && ts >= 0 && acc[ts].last > acc[ts].first) {
        out->has_triton = true;
        out->triton_queue_ms = (acc[tq].last - acc[tq].first) / (acc[ts].last - acc[ts].first) / 1000.0;
    }
    /* the timeline: the queue's scrape times, the running series matched by time */
    int base = q >= 0 ? q : r;
    if (base >= 0 && acc[base].np) {
        size_t np = acc[base].np;
        out->t_ms = malloc(np * sizeof *out->t_ms);
        out->queue_v = malloc(np * sizeof *out->queue_v);
        out->running_v = malloc(np * sizeof *out->running_v);
        if (!out->t_ms || !out->queue_v || !out->running_v) {
            rc = TG_ENOMEM;
            goto done;
        }
        size_t j = 0;
        for (size_t i = 0; i < np; i++) {
            out->t_ms[i] = acc[base].t[i];
            out->queue_v[i] = q >= 0 ? acc[q].v[i] : NAN;
            out->running_v[i] = NAN;
            if (r >= 0) {
                while (j < acc[r].np && acc[r].t[j] < out->t_ms[i])
                    j++;
                if (j < acc[r].np && acc[r].t[j] == out->t_ms[i])
                    out->running_v[i] = acc[r].v[j];
            }
        }
        out->npoints = np;
    }
done:
    for (size_t k = 0; k < NKNOWN; k++) {
        free(acc[k].t);
        free(acc[k].v);
    }
    free(line);
    if (ferror(f) && !rc) {
        snprintf(err, errlen, "%s: read error", csv_path);
        rc = -EIO;
    }
    fclose(f);
    if (rc == TG_ENOMEM)
        snprintf(err, errlen, "out of memory reading %s", csv_path);
    if (rc)
        tg_scraped_free(out);
    return rc;
}

void tg_scraped_free(struct tg_scraped *s)
{
    free(s->t_ms);
    free(s->queue_v);
    free(s->running_v);
    s->t_ms = s->queue_v = s->running_v = NULL;
    s->npoints = 0;
}

/* Share of the timeline's scrapes with the running series at its limit. */
static double share_at_limit(const struct tg_scraped *s)
{
    if (!isfinite(s->limit) || s->limit <= 0)
        return NAN;
    size_t n = 0, at = 0;
    for (size_t i = 0; i < s->npoints; i++)
        if (!isnan(s->running_v[i])) {
            n++;
            at += s->running_v[i] >= s->limit;
        }
    return n ? (double)at / (double)n : NAN;
}

void tg_scraped_judge(struct tg_scraped *s, double request_rate)
{
    s->queueing = (s->queue.found && s->queue.samples && s->queue.share_positive >= 0.5) ||
                  (s->has_triton && s->triton_queue_ms >= 1);
    double at = share_at_limit(s);
    if (s->queueing || (isfinite(at) && at >= 0.8))
        s->saturated = 1;
    else if ((s->queue.found && s->queue.samples) || (s->running.found && s->running.samples) || s->has_triton)
        s->saturated = 0;
    else
        s->saturated = -1;
    s->little_queue_ms = NAN;
    if (s->has_triton)
        s->little_queue_ms = s->triton_queue_ms;   /* measured by the server itself */
    else if (s->queue.found && s->queue.samples && isfinite(request_rate) && request_rate > 0)
        s->little_queue_ms = s->queue.mean / request_rate * 1000.0;
}

void tg_scraped_sentence(const struct tg_scraped *s, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
#define PUT(...) (k += (size_t)snprintf(out + k, k < n ? n - k : 0, __VA_ARGS__), k = k < n ? k : n)
    if (s->queue.found && s->queue.samples)
        PUT("the server's own queue series %s (%s, scraped from /metrics) was > 0 in %.0f %% of %zu scrapes "
            "(mean %.1f, max %.0f)", s->queue.metric, s->queue.server, 100 * s->queue.share_positive, s->queue.samples,
            s->queue.mean, s->queue.max);
    if (s->running.found && s->running.samples) {
        double at = share_at_limit(s);
        PUT("%s%s (%s) mean %.1f, max %.0f", k ? ", " : "the server's own ", s->running.metric, s->running.server,
            s->running.mean, s->running.max);
        if (isfinite(at))
            PUT(", at its limit of %.0f (%s) in %.0f %% of scrapes", s->limit, "tailgate_slots", 100 * at);
    }
    if (s->has_triton)
        PUT("%sTriton's nv_inference_queue_duration_us / nv_inference_request_success give %.1f ms of queue per "
            "request", k ? "; " : "", s->triton_queue_ms);
    if (!k)
        return;
    if (s->queueing)
        PUT(": the server queues requests");
    else if (s->saturated == 1)
        PUT(": the server runs at its limit");
    else
        PUT(": no sustained server-side queue");
    if (isfinite(s->little_queue_ms) && !s->has_triton)
        PUT(" (by Little's law about %.0f ms of waiting per request)", s->little_queue_ms);
#undef PUT
}

static json_t *series_json(const struct tg_scraped_series *s)
{
    if (!s->found)
        return json_null();
    return json_pack("{s:s, s:s, s:I, s:f, s:f, s:f}", "metric", s->metric, "server", s->server, "samples",
                     (json_int_t)s->samples, "mean", isfinite(s->mean) ? s->mean : 0, "max",
                     isfinite(s->max) ? s->max : 0, "share_positive",
                     isfinite(s->share_positive) ? s->share_positive : 0);
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null();
}

json_t *tg_scraped_json(const struct tg_scraped *s, const char *source, bool used, const char *why)
{
    char sentence[1000];
    tg_scraped_sentence(s, sentence, sizeof sentence);
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "source", json_string(source));
    json_object_set_new(o, "used", json_boolean(used));
    json_object_set_new(o, "why", why ? json_string(why) : json_null());
    json_object_set_new(o, "scrapes", json_integer((json_int_t)s->scrapes));
    json_object_set_new(o, "queue", series_json(&s->queue));
    json_t *run = series_json(&s->running);
    if (json_is_object(run))
        json_object_set_new(run, "limit", num(s->limit));
    json_object_set_new(o, "running", run);
    json_object_set_new(o, "triton_queue_ms", num(s->triton_queue_ms));
    json_object_set_new(o, "queueing", json_boolean(s->queueing));
    json_object_set_new(o, "saturated", s->saturated < 0 ? json_null() : json_boolean(s->saturated));
    json_object_set_new(o, "little_queue_ms", num(s->little_queue_ms));
    json_object_set_new(o, "sentence", json_string(sentence));
    return o;
}

/* ---- the analysis ------------------------------------------------------------- */

double tg_scraped_window(const struct tg_prows *r, int64_t *lo, int64_t *hi)
{
    double t0 = INFINITY, t1 = -INFINITY, req = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_prow *p = &r->v[i];
        if (isnan(p->timestamp_ms))
            continue;
        t0 = fmin(t0, p->timestamp_ms);
        t1 = fmax(t1, p->timestamp_ms + (isnan(p->latency_ms) ? 0 : p->latency_ms));
        if (p->has_http_id || p->ok)
            req += p->batch_size > 1 ? 1.0 / p->batch_size : 1.0;
    }
    if (!(t1 > t0)) {
        *lo = INT64_MIN;
        *hi = INT64_MAX;
        return NAN;
    }
    *lo = (int64_t)floor(t0);
    *hi = (int64_t)ceil(t1);
    return req / ((t1 - t0) / 1000.0);
}

bool tg_scraped_before(struct tg_analysis *a, const struct tg_scraped *s, char *sat_buf, size_t sat_len,
                       const char **why)
{
    *why = NULL;
    if (!(s->queue.found && s->queue.samples) && !(s->running.found && s->running.samples) && !s->has_triton) {
        *why = "no known queue or running series among the scraped samples";
        return false;
    }
    if (a->has_decomp && a->decomp.server_timing) {
        *why = "the server reported its own queue and compute time per request (Server-Timing or its headers)";
        return false;
    }
    if (a->saturated < 0 && s->saturated >= 0) {
        a->saturated = s->saturated;
        snprintf(sat_buf, sat_len, "the server's own /metrics (scraped): %s %s",
                 s->queue.found ? s->queue.metric : s->has_triton ? "nv_inference_queue_duration_us" : s->running.metric,
                 s->queueing ? "shows a queue in most scrapes" : s->saturated ? "at its limit in most scrapes"
                                                                             : "shows no sustained queue");
        a->saturation_evidence = sat_buf;
    }
    const struct tg_decomp_band *b = &a->decomp.band[1];
    if (a->cause == TG_CAUSE_SERVER && s->queueing && isfinite(s->little_queue_ms) && a->has_decomp &&
        isfinite(b->comp_ms[TG_COMP_SERVER]) && b->comp_ms[TG_COMP_SERVER] > 0 &&
        s->little_queue_ms >= 0.5 * b->comp_ms[TG_COMP_SERVER]) {
        a->cause = TG_CAUSE_SERVER_QUEUE;
        if (b->band_latency_ms > 0)
            a->cause_share = fmin(s->little_queue_ms, b->comp_ms[TG_COMP_SERVER]) / b->band_latency_ms;
    }
    return true;
}

void tg_scraped_after(struct tg_analysis *a, const struct tg_scraped *s, bool used, const char *file)
{
    if (!used)
        return;
    char txt[900];
    tg_scraped_sentence(s, txt, sizeof txt);
    const struct tg_decomp_band *b = &a->decomp.band[1];
    if (a->cause == TG_CAUSE_SERVER_QUEUE && !a->decomp.server_timing) {
        /* report_md.c's queue sentence assumes a measured per-request queue: say what this one rests on */
        snprintf(a->sentence, sizeof a->sentence,
                 "Dominant cause: server-side queueing - at P95 (%.0f ms) %.0f ms pass between writing the request and "
                 "the first response byte, and %s, about %.0f %% of the P95 band. Evidence: queue from the server's scraped /metrics (%s, %s), server time "
                 "from TTFB minus connect, no per-request server time.",
                 b->latency_ms, b->comp_ms[TG_COMP_SERVER], txt, 100 * a->cause_share, file ? file : "server_metrics.csv",
                 s->queue.found ? s->queue.metric : "nv_inference_queue_duration_us");
    } else {
        size_t k = strlen(a->sentence);
        if (k < sizeof a->sentence)
            snprintf(a->sentence + k, sizeof a->sentence - k, " Server metrics (scraped): %s.", txt);
    }
    size_t cap = sizeof a->evidence / sizeof a->evidence[0];
    if (a->nevidence == cap)
        a->nevidence--;   /* the scraped series replace the last line rather than go unsaid */
    char *e = a->evidence[a->nevidence++];
    size_t el = sizeof a->evidence[0];
    snprintf(e, el, "server metrics (scraped /metrics, %zu scrapes):", s->scrapes);
    if (s->queue.found && s->queue.samples)
        tg_str_appendf(e, el, " queue %s (%s) > 0 in %.0f %%, mean %.1f, max %.0f;", s->queue.metric, s->queue.server,
                       100 * s->queue.share_positive, s->queue.mean, s->queue.max);
    if (s->running.found && s->running.samples)
        tg_str_appendf(e, el, " running %s mean %.1f, max %.0f%s;", s->running.metric, s->running.mean, s->running.max,
                       isfinite(s->limit) ? " (limit tailgate_slots)" : "");
    if (s->has_triton)
        tg_str_appendf(e, el, " Triton queue %.1f ms per request;", s->triton_queue_ms);
    if (isfinite(s->little_queue_ms))
        tg_str_appendf(e, el, " mean queue wait %.0f ms%s", s->little_queue_ms,
                       s->has_triton ? "" : " (Little's law: mean queue / request rate)");
}

int tg_scraped_md(FILE *f, const struct tg_scraped *s, const char *source, bool used, const char *why)
{
    char txt[900];
    tg_scraped_sentence(s, txt, sizeof txt);
    int rc = fprintf(f, "\n## Server metrics (scraped)\n\nFrom `%s` (%zu scrapes). %s%s%s\n", source, s->scrapes,
                     txt[0] ? txt : "No known queue or running series", txt[0] ? "." : ".",
                     used ? "" : " Not used as evidence: ");
    if (rc >= 0 && !used && why)
        rc = fprintf(f, "%s.\n", why);
    if (rc >= 0 && (s->queue.found || s->running.found)) {
        rc = fprintf(f, "\n| series | server | scrapes | mean | max | > 0 |\n|---|---|---|---|---|---|\n");
        const struct tg_scraped_series *v[2] = { &s->queue, &s->running };
        for (int i = 0; i < 2 && rc >= 0; i++)
            if (v[i]->found)
                rc = fprintf(f, "| `%s` | %s | %zu | %.2f | %.0f | %.0f %% |\n", v[i]->metric, v[i]->server,
                             v[i]->samples, v[i]->mean, v[i]->max, 100 * v[i]->share_positive);
    }
    return rc < 0 ? -EIO : 0;
}
