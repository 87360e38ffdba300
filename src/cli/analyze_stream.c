/*
 * analyze_stream.c - the streaming probes and report of `tailgate analyze`
 * (cli/analyze_stream.h).
 */
#include "cli/analyze_stream.h"

#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_INPUTS 6
#define PROBE_WINDOW_NS (5ull * 1000000000ull)
#define GAUGE_PERIOD_NS (100ull * 1000000ull)

/* ---- /metrics sampling ------------------------------------------------------ */

struct poller {
    const struct tg_probe_target *t;
    atomic_bool stop;
    struct tg_stream_gauges g;
    double wsum, rsum;
    bool failed;                   /* no sample could be read: stop trying */
};

/* One GET /metrics over plain HTTP, Connection: close.  Returns the body
 * length read into buf (NUL-terminated) or -1. */
static ssize_t get_metrics(const struct tg_probe_target *t, char *buf, size_t cap)
{
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = { .tv_sec = 1 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) != 0) {
        close(fd);
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     t->url.authority);
    if (n < 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap)
            break;
        ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    buf[len] = 0;
    if (len < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0)
        return -1;
    char *body = strstr(buf, "\r\n\r\n");
    if (!body)
        return -1;
    body += 4;
    size_t bl = len - (size_t)(body - buf);
    memmove(buf, body, bl + 1);
    return (ssize_t)bl;
}

static void *poll_main(void *arg)
{
    struct poller *p = arg;
    static char buf[1 << 16];   /* one poller at a time (analyze runs one) */
    while (!atomic_load(&p->stop)) {
        ssize_t n = get_metrics(p->t, buf, sizeof buf);
        double w = n >= 0 ? tg_stream_metric(buf, (size_t)n, "vllm:num_requests_waiting") : NAN;
        double r = n >= 0 ? tg_stream_metric(buf, (size_t)n, "vllm:num_requests_running") : NAN;
        if (isnan(w) || isnan(r)) {
            if (!p->g.samples) {
                p->failed = true;
                break;
            }
        } else {
            if (!p->g.samples || w > p->g.waiting_max)
                p->g.waiting_max = w;
            if (!p->g.samples || r > p->g.running_max)
                p->g.running_max = r;
            p->wsum += w;
            p->rsum += r;
            p->g.samples++;
        }
        struct timespec ts = { 0, (long)GAUGE_PERIOD_NS };
        nanosleep(&ts, NULL);
    }
    if (p->g.samples) {
        p->g.waiting_mean = p->wsum / (double)p->g.samples;
        p->g.running_mean = p->rsum / (double)p->g.samples;
    }
    return NULL;
}

/* ---- probes ------------------------------------------------------------------- */

/* the probe's rows with their streaming figures (probe.h keeps them apart) */
static void merge_stream(struct tg_probe_result *r)
{
    if (!r->ttft_ms)
        return;
    for (size_t i = 0; i < r->rows.n && i < r->stream_cap; i++) {
        r->rows.v[i].ttft_ms = r->ttft_ms[i];
        r->rows.v[i].tpot_ms = r->tpot_ms[i];
        r->rows.v[i].itl_max_ms = r->itl_max_ms[i];
    }
}

static int probe_at(const struct tg_probe_target *t, uint32_t c, uint64_t inputs, struct tg_probe_result *out)
{
    struct tg_probe_spec spec = {
        .cfg = { .connections = c, .keepalive = true, .batch = 1 },
        .concurrency = c,
        .inputs = inputs,
        .start_window_ns = PROBE_WINDOW_NS,
        .deadline_ns = 3 * PROBE_WINDOW_NS + 10ull * 1000000000ull,
    };
    memset(out, 0, sizeof *out);
    int rc = tg_probe_run(t, &spec, out);
    if (rc == 0)
        merge_stream(out);
    return rc;
}

void tg_cli_stream_analyze(const struct tg_prows *run, uint32_t run_concurrency, uint32_t concurrency,
                           const struct tg_probe_target *t,
                           const struct tg_stream_slo *slo, bool quiet, struct tg_cli_stream *out)
{
    memset(out, 0, sizeof *out);
    struct tg_stream_point runp, floorp;
    bool have_run = run && (run->have & TG_PROWS_STREAM) && tg_stream_point_compute(run, run_concurrency, &runp) == 0;
    bool have_floor = false;
    struct tg_stream_gauges g = { 0 };
    out->gauges_source = "not measured (no --probe)";
    if (t && tg_probe_interrupted()) {
        out->interrupted = true;
        snprintf(out->note, sizeof out->note, "interrupted (SIGINT/SIGTERM) before the stream probes");
        return;
    }
    if (t) {
        uint64_t t0 = tg_now_ns();
        struct tg_probe_result f, top;
        if (!quiet)
            fprintf(stderr, "analyze: probing streams at concurrency 1 (the floor)\n");
        int frc = probe_at(t, 1, FLOOR_INPUTS, &f);
        if (frc == 0) {
            have_floor = tg_stream_point_compute(&f.rows, 1, &floorp) == 0;
            out->probe_inputs += f.inputs;
        }
        tg_probe_result_free(&f);
        if (frc == TG_EINTR) {
            out->interrupted = true;
            snprintf(out->note, sizeof out->note, "interrupted (SIGINT/SIGTERM) during the stream probes");
            return;
        }
        if (!quiet)
            fprintf(stderr, "analyze: probing streams at concurrency %u with /metrics sampled\n", concurrency);
        struct poller p = { .t = t };
        pthread_t th;
        bool polling = !t->tls && pthread_create(&th, NULL, poll_main, &p) == 0;
        int rc = probe_at(t, concurrency, 2 * (uint64_t)concurrency, &top);
        if (polling) {
            atomic_store(&p.stop, true);
            pthread_join(th, NULL);
        }
        if (rc == TG_EINTR) {
            tg_probe_result_free(&top);
            out->interrupted = true;
            snprintf(out->note, sizeof out->note, "interrupted (SIGINT/SIGTERM) during the stream probes");
            return;
        }
        if (rc == 0) {
            out->probe_inputs += top.inputs;
            if (!have_run) {
                have_run = tg_stream_point_compute(&top.rows, concurrency, &runp) == 0;
                out->run_from_probe = have_run;
            }
        }
        tg_probe_result_free(&top);
        if (p.g.samples) {
            g = p.g;
            out->gauges_source = "/metrics (vllm:num_requests_waiting, vllm:num_requests_running)";
        } else {
            out->gauges_source = t->tls ? "not measured (https endpoint)"
                                        : "not measured (no vllm:num_requests_waiting on /metrics)";
        }
        out->probed = true;
        out->probe_s = (double)(tg_now_ns() - t0) / 1e9;
    }
    if (!have_run) {
        snprintf(out->note, sizeof out->note, "no streamed rows (the run did not stream%s)",
                 t ? " and neither did the probes" : "; --probe measures");
        return;
    }
    out->done = tg_stream_analyze(&runp, have_floor ? &floorp : NULL, g.samples ? &g : NULL, slo, &out->sa) == 0;
}

/* ---- report ----------------------------------------------------------------------- */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *point_json(const struct tg_stream_point *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "concurrency", json_integer(p->concurrency));
    json_object_set_new(o, "n", json_integer((json_int_t)p->n));
    json_object_set_new(o, "ttft_p50_ms", num(p->ttft_p50_ms));
    json_object_set_new(o, "ttft_p95_ms", num(p->ttft_p95_ms));
    json_object_set_new(o, "tpot_p50_ms", num(p->tpot_p50_ms));
    json_object_set_new(o, "tpot_p95_ms", num(p->tpot_p95_ms));
    json_object_set_new(o, "itl_max_p95_ms", num(p->itl_max_p95_ms));
    json_object_set_new(o, "client_queue_p95_ms", num(p->client_queue_p95_ms));
    json_object_set_new(o, "connect_mean_ms", num(p->connect_mean_ms));
    json_object_set_new(o, "connections", json_integer((json_int_t)p->n_connect));
    return o;
}

static json_t *tri(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

json_t *tg_cli_stream_json(const struct tg_cli_stream *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (!s->done) {
        json_object_set_new(o, "analysed", json_false());
        json_object_set_new(o, "reason", json_string(s->note));
        return o;
    }
    const struct tg_stream_analysis *a = &s->sa;
    json_object_set_new(o, "analysed", json_true());
    json_object_set_new(o, "sentence", json_string(a->sentence));
    json_object_set_new(o, "dominant_cause", json_string(tg_stream_cause_name(a->cause)));
    json_object_set_new(o, "cause_metric", json_string(a->cause_metric));
    json_object_set_new(o, "cause_ms", num(a->cause_ms));
    json_object_set_new(o, "loaded", point_json(&a->run));
    json_object_set_new(o, "loaded_source", json_string(s->run_from_probe ? "probe" : "run"));
    json_object_set_new(o, "floor", a->has_floor ? point_json(&a->floor) : json_null());
    json_t *g = json_object();
    json_object_set_new(g, "source", json_string(s->gauges_source));
    json_object_set_new(g, "samples", json_integer((json_int_t)a->gauges.samples));
    json_object_set_new(g, "waiting_max", a->gauges.samples ? json_real(a->gauges.waiting_max) : json_null());
    json_object_set_new(g, "waiting_mean", a->gauges.samples ? json_real(a->gauges.waiting_mean) : json_null());
    json_object_set_new(g, "running_max", a->gauges.samples ? json_real(a->gauges.running_max) : json_null());
    json_object_set_new(g, "running_mean", a->gauges.samples ? json_real(a->gauges.running_mean) : json_null());
    json_object_set_new(o, "gauges", g);
    json_t *tt = json_object();
    json_object_set_new(tt, "excess_ms", num(a->ttft_excess_ms));
    json_object_set_new(tt, "connect_ms", num(a->ttft_connect_ms));
    json_object_set_new(tt, "client_queue_ms", num(a->ttft_client_queue_ms));
    json_object_set_new(tt, "server_ms", num(a->ttft_server_ms));
    json_object_set_new(tt, "cause", json_string(tg_stream_cause_name(a->ttft_cause)));
    json_object_set_new(o, "ttft", tt);
    json_t *tp = json_object();
    json_object_set_new(tp, "growth", num(a->tpot_growth));
    json_object_set_new(tp, "excess_ms", num(a->tpot_excess_ms));
    json_object_set_new(tp, "itl_spike_ratio", num(a->itl_spike_ratio));
    json_object_set_new(tp, "floor_spike_ratio", num(a->floor_spike_ratio));
    json_object_set_new(tp, "cause", json_string(tg_stream_cause_name(a->tpot_cause)));
    json_object_set_new(o, "tpot", tp);
    json_t *e = json_object();
    json_object_set_new(e, "ttft_p95_floor_ms", num(a->ttft_p95_floor_ms));
    json_object_set_new(e, "tpot_p95_floor_ms", num(a->tpot_p95_floor_ms));
    json_object_set_new(e, "slo_ttft_p95_ms", num(a->slo.ttft_p95_ms));
    json_object_set_new(e, "slo_tpot_p95_ms", num(a->slo.tpot_p95_ms));
    json_object_set_new(e, "ttft_slo_below_floor", tri(a->ttft_slo_below_floor));
    json_object_set_new(e, "tpot_slo_below_floor", tri(a->tpot_slo_below_floor));
    json_object_set_new(e, "loaded_meets_ttft", tri(a->run_meets_ttft));
    json_object_set_new(e, "loaded_meets_tpot", tri(a->run_meets_tpot));
    json_object_set_new(e, "client_cannot_meet", json_boolean(a->client_cannot_meet));
    json_object_set_new(e, "server_change", a->server_change ? json_string(a->server_change) : json_null());
    json_object_set_new(o, "server_estimate", e);
    if (s->probed) {
        json_object_set_new(o, "probe_inputs", json_integer((json_int_t)s->probe_inputs));
        json_object_set_new(o, "probe_s", json_real(s->probe_s));
    }
    return o;
}

static void md_ms(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, " %.1f |", v);
    else
        fprintf(f, " - |");
}

int tg_cli_stream_md(FILE *f, const struct tg_cli_stream *s)
{
    fprintf(f, "\n## Streams (TTFT, TPOT)\n\n");
    if (!s->done) {
        fprintf(f, "Not analysed: %s.\n", s->note);
        return ferror(f) ? TG_EIO : 0;
    }
    const struct tg_stream_analysis *a = &s->sa;
    fprintf(f, "%s\n\n", a->sentence);
    fprintf(f, "| point | n | TTFT P50 | TTFT P95 | TPOT P50 | TPOT P95 | worst gap P95 | client queue P95 "
               "| connect |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|\n");
    const struct tg_stream_point *pts[2] = { a->has_floor ? &a->floor : NULL, &a->run };
    for (int i = 0; i < 2; i++) {
        const struct tg_stream_point *p = pts[i];
        if (!p)
            continue;
        const char *what = i == 0 ? "(floor, probe)" : s->run_from_probe ? "(probe)" : "(run)";
        fprintf(f, "| c=%u %s | %zu |", p->concurrency, what, p->n);
        md_ms(f, p->ttft_p50_ms);
        md_ms(f, p->ttft_p95_ms);
        md_ms(f, p->tpot_p50_ms);
        md_ms(f, p->tpot_p95_ms);
        md_ms(f, p->itl_max_p95_ms);
        md_ms(f, p->client_queue_p95_ms);
        md_ms(f, p->connect_mean_ms);
        fprintf(f, "\n");
    }
    fprintf(f, "\n- Server gauges: %s", s->gauges_source);
    if (a->gauges.samples)
        fprintf(f, ": %zu samples, waiting max %.0f (mean %.1f), running max %.0f (mean %.1f)", a->gauges.samples,
                a->gauges.waiting_max, a->gauges.waiting_mean, a->gauges.running_max, a->gauges.running_mean);
    fprintf(f, "\n- TTFT excess over the floor at P95: ");
    if (isfinite(a->ttft_excess_ms))
        fprintf(f, "%.1f ms = connect %.1f + client queue %.1f + server %.1f (%s)\n", a->ttft_excess_ms,
                a->ttft_connect_ms, a->ttft_client_queue_ms, a->ttft_server_ms, tg_stream_cause_name(a->ttft_cause));
    else
        fprintf(f, "unknown (no floor)\n");
    fprintf(f, "- TPOT: median x%.2f over the floor, worst gap %.1fx the median step (%.1fx at c=1): %s\n",
            a->tpot_growth, a->itl_spike_ratio, a->floor_spike_ratio, tg_stream_cause_name(a->tpot_cause));
    fprintf(f, "- Server-side estimate: no client configuration beats TTFT P95 %.1f ms, TPOT P95 %.1f ms (the "
               "idle server's)", a->ttft_p95_floor_ms, a->tpot_p95_floor_ms);
    if (a->client_cannot_meet)
        fprintf(f, "; the SLOs lie below it: no client-side configuration meets them");
    fprintf(f, "\n");
    if (a->server_change)
        fprintf(f, "- Server-side change the evidence points to: %s\n", a->server_change);
    return ferror(f) ? TG_EIO : 0;
}
