/*
 * prom.c - the Prometheus exposition writer (output/prom.h).
 */
#include "output/prom.h"

#include "core/error.h"

#include <math.h>
#include <string.h>

/* Latency and TTFT: 1 ms to 1 min, about 2.5x apart (an inference request
 * is rarely under 1 ms, and --timeout defaults to 30 s). */
const double tg_prom_latency_le[TG_PROM_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60,
};
/* TPOT: decode steps are a few to a few hundred ms. */
const double tg_prom_tpot_le[TG_PROM_TPOT_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 2,
};

size_t tg_prom_bucket(const double *le, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        if (v <= le[i])
            return i;
    return n;
}

int tg_prom_escape_label(struct tg_buf *out, const char *v)
{
    if (!v)
        return 0;
    for (const char *p = v; *p; p++) {
        int rc;
        if (*p == '\\')
            rc = tg_buf_puts(out, "\\\\");
        else if (*p == '"')
            rc = tg_buf_puts(out, "\\\"");
        else if (*p == '\n')
            rc = tg_buf_puts(out, "\\n");
        else
            rc = tg_buf_append(out, p, 1);
        if (rc)
            return rc;
    }
    return 0;
}

static int family(struct tg_buf *b, const char *name, const char *type, const char *help)
{
    return tg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A float as Prometheus reads it back exactly (%.17g), +Inf/-Inf/NaN spelled its way. */
static int put_double(struct tg_buf *b, double v)
{
    if (isnan(v))
        return tg_buf_puts(b, "NaN");
    if (isinf(v))
        return tg_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    return tg_buf_printf(b, "%.17g", v);
}

static int hist(struct tg_buf *b, const char *name, const char *help, const double *le, size_t n,
                const struct tg_prom_hist *h)
{
    int rc = family(b, name, "histogram", help);
    uint64_t cum = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        cum += h->bucket[i];
        rc = tg_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], (unsigned long long)cum);
    }
    cum += h->bucket[n];
    if (!rc)
        rc = tg_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum ", name, (unsigned long long)cum, name);
    if (!rc)
        rc = put_double(b, h->sum_s);
    if (!rc)
        rc = tg_buf_printf(b, "\n%s_count %llu\n", name, (unsigned long long)cum);
    return rc;
}

static int counter(struct tg_buf *b, const char *name, const char *help, uint64_t v)
{
    int rc = family(b, name, "counter", help);
    return rc ? rc : tg_buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

int tg_prom_write(struct tg_buf *b, const struct tg_prom_snapshot *s)
{
    int rc = family(b, "tailgate_run_info", "gauge", "The run: its X-Request-Id token, --api and URL (secrets redacted).");
    if (!rc)
        rc = tg_buf_puts(b, "tailgate_run_info{run_token=\"");
    if (!rc)
        rc = tg_prom_escape_label(b, s->run_token);
    if (!rc)
        rc = tg_buf_puts(b, "\",api=\"");
    if (!rc)
        rc = tg_prom_escape_label(b, s->api);
    if (!rc)
        rc = tg_buf_puts(b, "\",url=\"");
    if (!rc)
        rc = tg_prom_escape_label(b, s->url);
    if (!rc)
        rc = tg_buf_puts(b, "\"} 1\n");
    if (!rc)
        rc = family(b, "tailgate_run_elapsed_seconds", "gauge", "Seconds since the load started.");
    if (!rc)
        rc = tg_buf_printf(b, "tailgate_run_elapsed_seconds %.3f\n", s->elapsed_s);
    if (!rc)
        rc = family(b, "tailgate_run_finished", "gauge", "1 once every input has its result (the values are final).");
    if (!rc)
        rc = tg_buf_printf(b, "tailgate_run_finished %d\n", s->finished ? 1 : 0);
    if (!rc)
        rc = family(b, "tailgate_inputs_total", "counter", "Inputs finished, by outcome.");
    if (!rc)
        rc = tg_buf_printf(b, "tailgate_inputs_total{outcome=\"ok\"} %llu\ntailgate_inputs_total{outcome=\"failed\"} %llu\n",
                           (unsigned long long)s->ok, (unsigned long long)s->failed);
    if (!rc)
        rc = family(b, "tailgate_input_errors_total", "counter",
                    "Failed inputs by error class (requests.csv error column).");
    for (size_t i = 0; !rc && i < s->nclasses && i < TG_PROM_MAX_CLASSES; i++) {
        rc = tg_buf_puts(b, "tailgate_input_errors_total{class=\"");
        if (!rc)
            rc = tg_prom_escape_label(b, s->class_names[i]);
        if (!rc)
            rc = tg_buf_printf(b, "\"} %llu\n", (unsigned long long)s->class_count[i]);
    }
    if (!rc)
        rc = family(b, "tailgate_inputs_in_flight", "gauge", "Inputs admitted and not yet finished.");
    if (!rc)
        rc = tg_buf_printf(b, "tailgate_inputs_in_flight %llu\n", (unsigned long long)s->in_flight);
    if (!rc)
        rc = counter(b, "tailgate_http_requests_total", "HTTP requests sent that carried finished inputs.",
                     s->http_requests);
    if (!rc)
        rc = counter(b, "tailgate_bytes_sent_total", "Bytes of those HTTP requests.", s->bytes_sent);
    if (!rc)
        rc = counter(b, "tailgate_bytes_received_total", "Bytes of their HTTP responses.", s->bytes_received);
    if (!rc)
        rc = hist(b, "tailgate_latency_seconds", "Latency of ok inputs (ready to output), seconds.",
                  tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, &s->latency);
    if (!rc && s->streams)
        rc = hist(b, "tailgate_ttft_seconds", "Time to first token of ok streamed inputs, seconds.",
                  tg_prom_latency_le, TG_PROM_LATENCY_BUCKETS, &s->ttft);
    if (!rc && s->streams)
        rc = hist(b, "tailgate_tpot_seconds", "Time per output token of ok streamed inputs (>= 2 tokens), seconds.",
                  tg_prom_tpot_le, TG_PROM_TPOT_BUCKETS, &s->tpot);
    return rc;
}
