/*
 * summary.c - summary.json and the terminal summary (see summary.h).
 */
#include "output/summary.h"

#include "core/error.h"
#include "core/fs.h"
#include "stats/hist.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static double ms(uint64_t us) { return (double)us / 1000.0; }

/* Rounded to the µs: the histogram has no more precision than that. */
static json_t *num(double v) { return json_real(round(v * 1000.0) / 1000.0); }

json_t *tg_summary_hist_json(const struct tg_hist *h)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    uint64_t n = h ? tg_hist_count(h) : 0;
    json_object_set_new(o, "count", json_integer((json_int_t)n));
    if (!n) {
        static const char *const keys[] = { "min", "mean", "stdev", "p50", "p90", "p95", "p99", "p999", "max" };
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            json_object_set_new(o, keys[i], json_null());
        return o;
    }
    json_object_set_new(o, "min", num(ms(tg_hist_min(h))));
    json_object_set_new(o, "mean", num(tg_hist_mean(h) / 1000.0));
    json_object_set_new(o, "stdev", num(tg_hist_stdev(h) / 1000.0));
    json_object_set_new(o, "p50", num(ms(tg_hist_percentile(h, 50))));
    json_object_set_new(o, "p90", num(ms(tg_hist_percentile(h, 90))));
    json_object_set_new(o, "p95", num(ms(tg_hist_percentile(h, 95))));
    json_object_set_new(o, "p99", num(ms(tg_hist_percentile(h, 99))));
    json_object_set_new(o, "p999", num(ms(tg_hist_percentile(h, 99.9))));
    json_object_set_new(o, "max", num(ms(tg_hist_max(h))));
    return o;
}

static json_t *phase_json(const struct tg_hist *h)
{
    json_t *o = json_object();
    uint64_t n = h ? tg_hist_count(h) : 0;
    json_object_set_new(o, "count", json_integer((json_int_t)n));
    json_object_set_new(o, "mean", n ? num(tg_hist_mean(h) / 1000.0) : json_null());
    json_object_set_new(o, "p50", n ? num(ms(tg_hist_percentile(h, 50))) : json_null());
    json_object_set_new(o, "p95", n ? num(ms(tg_hist_percentile(h, 95))) : json_null());
    json_object_set_new(o, "p99", n ? num(ms(tg_hist_percentile(h, 99))) : json_null());
    return o;
}

json_t *tg_summary_environment(void)
{
    json_t *o = json_object();
    char cpu[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ' || *c == '\t')
                        c++;
                    c[strcspn(c, "\n")] = '\0';
                    snprintf(cpu, sizeof cpu, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    struct utsname u;
    bool have_uts = uname(&u) == 0;
    char kernel[200];
    snprintf(kernel, sizeof kernel, "%s %s", have_uts ? u.sysname : "?", have_uts ? u.release : "?");
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    json_object_set_new(o, "cpu", json_string(cpu));
    json_object_set_new(o, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(o, "kernel", json_string(kernel));
    json_object_set_new(o, "hostname", json_string(host));
    return o;
}

double tg_summary_late_fraction(const struct tg_summary *s)
{
    uint64_t n = s->send_lag ? tg_hist_count(s->send_lag) : 0;
    return n ? (double)s->lag_late / (double)n : 0;
}

static json_t *rate_or_null(double v) { return v >= 0 ? num(v) : json_null(); }

static json_t *schedule_json(const struct tg_summary *s)
{
    json_t *o = json_object();
    uint64_t n = s->send_lag ? tg_hist_count(s->send_lag) : 0;
    json_object_set_new(o, "inputs", json_integer((json_int_t)n));
    json_object_set_new(o, "send_lag_ms", tg_summary_hist_json(s->send_lag));
    json_object_set_new(o, "late_threshold_ms", json_integer(1));
    json_object_set_new(o, "late_inputs", json_integer((json_int_t)s->lag_late));
    double lf = tg_summary_late_fraction(s);
    json_object_set_new(o, "late_fraction", json_real(lf));
    json_object_set_new(o, "behind", json_boolean(lf > TG_SUMMARY_BEHIND_FRACTION));
    json_object_set_new(o, "cap_waited_inputs", json_integer((json_int_t)s->cap_waited));
    json_object_set_new(o, "late_cap_waited_inputs", json_integer((json_int_t)s->lag_late_cap));
    json_object_set_new(o, "configured_rps", rate_or_null(s->configured_rps));
    json_object_set_new(o, "target_rps", rate_or_null(s->target_rps));
    json_object_set_new(o, "achieved_rps", rate_or_null(s->achieved_rps));
    return o;
}

json_t *tg_summary_build(const struct tg_summary *s)
{
    json_t *root = json_object();
    if (!root)
        return NULL;
    json_object_set_new(root, "schema", json_string(TG_SUMMARY_SCHEMA));
    json_object_set_new(root, "tool", json_string("tailgate"));
    json_object_set_new(root, "tool_version", json_string(s->tool_version));
    if (s->started_at)
        json_object_set_new(root, "started_at", json_string(s->started_at));
    json_object_set_new(root, "config", s->config ? json_deep_copy(s->config) : json_object());
    json_object_set_new(root, "payload_sha256", json_string(s->payload_sha256 ? s->payload_sha256 : ""));
    json_object_set_new(root, "environment", tg_summary_environment());

    json_t *counts = json_object();
    json_object_set_new(counts, "inputs", json_integer((json_int_t)s->inputs));
    json_object_set_new(counts, "ok", json_integer((json_int_t)s->ok));
    json_object_set_new(counts, "failed", json_integer((json_int_t)s->failed));
    json_t *byc = json_object();
    for (size_t i = 0; i < s->nclasses; i++)
        json_object_set_new(byc, s->classes[i].name, json_integer((json_int_t)s->classes[i].count));
    json_object_set_new(counts, "failed_by_class", byc);
    json_object_set_new(counts, "http_requests", json_integer((json_int_t)s->http_requests));
    json_object_set_new(counts, "connections_opened", json_integer((json_int_t)s->connections_opened));
    json_object_set_new(counts, "bytes_out", json_integer((json_int_t)s->bytes_out));
    json_object_set_new(counts, "bytes_in", json_integer((json_int_t)s->bytes_in));
    json_object_set_new(root, "counts", counts);

    json_object_set_new(root, "latency_ms", tg_summary_hist_json(s->latency));
    if (s->open_loop && s->latency_uncorrected)
        json_object_set_new(root, "latency_uncorrected_ms", tg_summary_hist_json(s->latency_uncorrected));
    json_t *phases = json_object();
    for (size_t i = 0; i < s->nphases; i++)
        json_object_set_new(phases, s->phase_names[i], phase_json(s->phases[i]));
    json_object_set_new(root, "phases_ms", phases);
    if (s->tls) {
        json_t *t = json_object();
        json_object_set_new(t, "handshakes", json_integer((json_int_t)s->tls_handshakes));
        json_object_set_new(t, "protocol", s->tls_protocol && *s->tls_protocol ? json_string(s->tls_protocol)
                                                                                : json_null());
        json_object_set_new(t, "cipher", s->tls_cipher && *s->tls_cipher ? json_string(s->tls_cipher) : json_null());
        json_object_set_new(t, "handshake_ms", phase_json(s->tls_handshake));
        json_object_set_new(root, "tls", t);
    } else {
        json_object_set_new(root, "tls", json_null());
    }

    json_object_set_new(root, "wall_time_s", num(s->wall_time_s));
    json_object_set_new(root, "throughput_rps",
                        num(s->wall_time_s > 0 ? (double)s->inputs / s->wall_time_s : 0));
    json_object_set_new(root, "ok_throughput_rps",
                        num(s->wall_time_s > 0 ? (double)s->ok / s->wall_time_s : 0));
    if (s->open_loop) {
        json_t *b = json_object();
        json_object_set_new(b, "behind", json_boolean(s->late_inputs > 0));
        json_object_set_new(b, "late_inputs", json_integer((json_int_t)s->late_inputs));
        json_object_set_new(b, "late_threshold_ms", json_integer(10));
        json_object_set_new(b, "max_lag_ms", num(s->max_lag_ms));
        json_object_set_new(b, "mean_lag_ms", num(s->mean_lag_ms));
        json_object_set_new(root, "behind_schedule", b);
        json_object_set_new(root, "schedule", schedule_json(s));
    } else {
        json_object_set_new(root, "behind_schedule", json_null());
        json_object_set_new(root, "schedule", json_null());
    }
    json_object_set_new(root, "interrupted", json_boolean(s->interrupted));

    double goodput = s->wall_time_s > 0 ? (double)s->goodput_inputs / s->wall_time_s : 0;
    if (s->streamed) {
        json_t *st = json_object();
        json_object_set_new(st, "inputs", json_integer((json_int_t)s->streamed));
        json_object_set_new(st, "ttft_ms", tg_summary_hist_json(s->ttft));
        json_object_set_new(st, "tpot_ms", tg_summary_hist_json(s->tpot));
        json_object_set_new(st, "itl_ms", tg_summary_hist_json(s->itl));
        json_t *ot = json_object();
        json_object_set_new(ot, "total", json_integer((json_int_t)s->output_tokens));
        json_object_set_new(ot, "mean", num((double)s->output_tokens / (double)s->streamed));
        json_object_set_new(st, "output_tokens", ot);
        json_t *src = json_object();
        json_object_set_new(src, "usage", json_integer((json_int_t)s->tokens_from_usage));
        json_object_set_new(src, "events", json_integer((json_int_t)(s->streamed - s->tokens_from_usage)));
        json_object_set_new(st, "tokens_source", src);
        json_object_set_new(st, "output_tokens_per_s",
                            num(s->wall_time_s > 0 ? (double)s->output_tokens / s->wall_time_s : 0));
        json_object_set_new(st, "goodput_rps", num(goodput));
        json_object_set_new(root, "stream", st);
    } else {
        json_object_set_new(root, "stream", json_null());
    }
    json_object_set_new(root, "slos", s->slos ? json_deep_copy(s->slos) : json_array());
    json_t *g = json_object();
    json_object_set_new(g, "rps", num(goodput));
    json_object_set_new(g, "inputs", json_integer((json_int_t)s->goodput_inputs));
    json_t *texts = json_array();
    for (size_t i = 0; i < s->nslos; i++)
        json_array_append_new(texts, json_string(s->slo_texts[i]));
    json_object_set_new(g, "slos", texts);
    json_object_set_new(root, "goodput", g);
    return root;
}

int tg_summary_write(const char *path, const json_t *root)
{
    struct tg_atomic_file a;
    int rc = tg_atomic_open(&a, path);
    if (rc)
        return rc;
    if (json_dumpf(root, a.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) != 0 ||
        fputc('\n', a.f) == EOF) {
        rc = errno ? -errno : TG_EIO;
        tg_atomic_abort(&a);
        return rc;
    }
    return tg_atomic_commit(&a);
}

void tg_summary_print(FILE *f, const struct tg_summary *s, const char *out_dir)
{
    fprintf(f, "inputs: %llu  ok: %llu  failed: %llu", (unsigned long long)s->inputs,
            (unsigned long long)s->ok, (unsigned long long)s->failed);
    if (s->failed) {
        const char *sep = "  (";
        for (size_t i = 0; i < s->nclasses; i++)
            if (s->classes[i].count) {
                fprintf(f, "%s%s %llu", sep, s->classes[i].name, (unsigned long long)s->classes[i].count);
                sep = ", ";
            }
        fputc(')', f);
    }
    fputc('\n', f);
    fprintf(f, "http requests: %llu  connections opened: %llu\n", (unsigned long long)s->http_requests,
            (unsigned long long)s->connections_opened);
    fprintf(f, "wall time: %.2f s  throughput: %.1f inputs/s\n", s->wall_time_s,
            s->wall_time_s > 0 ? (double)s->inputs / s->wall_time_s : 0.0);
    if (s->latency && tg_hist_count(s->latency))
        fprintf(f, "latency (ok inputs): P50 %.1f ms  P95 %.1f ms  P99 %.1f ms  max %.1f ms\n",
                ms(tg_hist_percentile(s->latency, 50)), ms(tg_hist_percentile(s->latency, 95)),
                ms(tg_hist_percentile(s->latency, 99)), ms(tg_hist_max(s->latency)));
    else
        fprintf(f, "latency: no successful input\n");
    if (s->streamed) {
        fprintf(f, "stream (%llu ok inputs):", (unsigned long long)s->streamed);
        const char *names[] = { "TTFT", "TPOT", "ITL" };
        const struct tg_hist *hs[] = { s->ttft, s->tpot, s->itl };
        for (int i = 0; i < 3; i++)
            if (hs[i] && tg_hist_count(hs[i]))
                fprintf(f, "  %s P50 %.1f P95 %.1f P99 %.1f ms", names[i], ms(tg_hist_percentile(hs[i], 50)),
                        ms(tg_hist_percentile(hs[i], 95)), ms(tg_hist_percentile(hs[i], 99)));
        fprintf(f, "\noutput tokens: %llu  %.1f tokens/s\n", (unsigned long long)s->output_tokens,
                s->wall_time_s > 0 ? (double)s->output_tokens / s->wall_time_s : 0.0);
    }
    if (s->tls && s->tls_handshakes)
        fprintf(f, "tls: %s %s, %llu handshakes, handshake P50 %.1f ms  P95 %.1f ms\n",
                s->tls_protocol ? s->tls_protocol : "", s->tls_cipher ? s->tls_cipher : "",
                (unsigned long long)s->tls_handshakes, ms(tg_hist_percentile(s->tls_handshake, 50)),
                ms(tg_hist_percentile(s->tls_handshake, 95)));
    if (s->open_loop && s->send_lag && tg_hist_count(s->send_lag)) {
        uint64_t n = tg_hist_count(s->send_lag);
        fprintf(f, "schedule: send lag P50 %.3f ms  P99 %.3f ms  max %.3f ms; %.2f %% > 1 ms late",
                ms(tg_hist_percentile(s->send_lag, 50)), ms(tg_hist_percentile(s->send_lag, 99)),
                ms(tg_hist_max(s->send_lag)), 100.0 * (double)s->lag_late / (double)n);
        if (s->target_rps >= 0 && s->achieved_rps >= 0)
            fprintf(f, "; achieved %.1f of %.1f inputs/s", s->achieved_rps, s->target_rps);
        fputc('\n', f);
    }
    if (s->open_loop && s->late_inputs)
        fprintf(f, "behind schedule: %llu inputs started > 10 ms late (max lag %.1f ms)\n",
                (unsigned long long)s->late_inputs, s->max_lag_ms);
    if (s->interrupted)
        fprintf(f, "interrupted: yes\n");
    if (out_dir)
        fprintf(f, "results: %s\n", out_dir);
}
