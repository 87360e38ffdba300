/*
 * micro.c - micro-benchmarks of the hot paths, run by `make bench` before
 * the load benchmarks (bench/run).  Not tests: each prints its figure and the
 * target it is held to, and marks MISS without failing (a loaded 2-core
 * machine moves these by 2x).  Every loop checks its own result so that the
 * compiler cannot drop the work.
 *
 *   response head parse   ns per ~250-byte head      target < 1000 ns
 *   histogram record      ns per sample              target < 50 ns
 *   bootstrap             ms for n = 1e6 x 2, 2000 resamples (no target)
 */
#include "core/time.h"
#include "http/http.h"
#include "stats/hist.h"
#include "stats/percentile.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const char *what, double v, const char *unit, double target)
{
    if (target > 0)
        printf("%-34s %10.1f %-3s  target < %g %s: %s\n", what, v, unit, target, unit,
               v < target ? "PASS" : "MISS");
    else
        printf("%-34s %10.1f %-3s\n", what, v, unit);
}

static int head_parse(void)
{
    const char *in = "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 9876\r\n"
                     "Content-Type: application/json\r\nServer-Timing: queue;dur=0.012, "
                     "compute;dur=48.123\r\nDate: Mon, 23 Nov 2026 11:40:21 GMT\r\n\r\n";
    size_t n = strlen(in);
    struct tg_http_response r;
    enum { ITERS = 500000 };
    long sum = 0;
    uint64_t t0 = tg_now_ns();
    for (int i = 0; i < ITERS; i++)
        sum += tg_http_parse_response_head(in, n, false, &r);
    double ns = (double)(tg_now_ns() - t0) / ITERS;
    if (sum != (long)n * ITERS) {
        fprintf(stderr, "micro: head parse returned %ld, expected %ld\n", sum, (long)n * ITERS);
        return 1;
    }
    char what[64];
    snprintf(what, sizeof what, "response head parse (%zu bytes)", n);
    report(what, ns, "ns", 1000);
    return 0;
}

static int hist_record(void)
{
    struct tg_hist *h = tg_hist_new(60000000);
    if (!h)
        return 1;
    enum { N = 20000000 };
    uint64_t x = 12345;
    uint64_t t0 = tg_now_ns();
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        tg_hist_record(h, (x >> 40) % 60000000);
    }
    double ns = (double)(tg_now_ns() - t0) / N;
    int bad = tg_hist_count(h) != N;
    tg_hist_free(h);
    if (bad) {
        fprintf(stderr, "micro: histogram lost samples\n");
        return 1;
    }
    report("histogram record", ns, "ns", 50);
    return 0;
}

static int bootstrap(void)
{
    enum { N = 1000000 };
    double *b = malloc(N * sizeof *b), *a = malloc(N * sizeof *a);
    if (!b || !a) {
        free(b);
        free(a);
        return 1;
    }
    struct tg_rng r;
    tg_rng_seed(&r, 17);
    for (int i = 0; i < N; i++) {
        b[i] = tg_rng_lognormal(&r, log(500), 0.4);
        a[i] = tg_rng_lognormal(&r, log(400), 0.4);
    }
    struct tg_ci c;
    uint64_t t0 = tg_now_ns();
    int rc = tg_bootstrap_delta_ci(b, N, a, N, 99, 2000, 0.95, 1, &c);
    double ms = (double)(tg_now_ns() - t0) / 1e6;
    free(b);
    free(a);
    if (rc || !(c.lo < c.hi)) {
        fprintf(stderr, "micro: bootstrap failed\n");
        return 1;
    }
    report("bootstrap P99 delta, n=1e6 x 2", ms, "ms", 0);
    return 0;
}

int main(void)
{
    printf("== micro-benchmarks (one run each; compare figures of one machine and day)\n");
    int bad = head_parse() | hist_record() | bootstrap();
    return bad;
}
