/*
 * phases.h - the one phase breakdown: where the latency of the ok inputs
 * goes at P50, P95 and P99.  `tailgate analyze` (analysis.json/md, through
 * analyze/analyze.h tg_decomp_compute) and `tailgate report` (report.html's
 * phase chart and table, through report/plots.h tg_plot_run_decomp) both
 * print what tg_phase_breakdown() computes, so the two can never disagree.
 *
 * Components of one ok input (ms, each clamped at >= 0), from the
 * requests.csv phase columns (client_queue_ms runs from ready to the
 * request's first byte written and so includes connect_ms; ttfb_ms and
 * service_ms run from that first byte to the first / last response byte):
 *   client_queue    client_queue_ms - connect_ms, plus any time after the
 *                   response (latency_ms - client_queue_ms - service_ms:
 *                   splitting a batch, bookkeeping)
 *   connect         connect_ms (0 on a reused connection)
 *   with server-reported time (every ok input has server_queue_ms and
 *   server_compute_ms):
 *     server_queue    server_queue_ms
 *     server_compute  server_compute_ms
 *     transfer        service_ms - server_queue_ms - server_compute_ms
 *                     (network, HTTP, bodies)
 *     server          NAN
 *   without it (queue and compute cannot be separated):
 *     server          ttfb_ms (service_ms when ttfb_ms is absent)
 *     transfer        service_ms - ttfb_ms
 *     server_queue, server_compute  NAN
 * An input without client_queue_ms or service_ms has no components.
 *
 * Bands: the value at percentile p is the mean of each component over the
 * ok inputs ranked (by latency, nearest rank, ties by input order) inside a
 * window around p: P50 45..55, P95 92.5..97.5, P99 98.5..99.5, always
 * including the input at p itself.  A band rather than the single input at
 * the rank: one input's phases are noisy, the neighbourhood of its rank is
 * what a tail consists of.
 *
 * Pure and thread-safe.
 */
#ifndef TG_STATS_PHASES_H
#define TG_STATS_PHASES_H

#include <stdbool.h>
#include <stddef.h>

enum tg_comp {
    TG_COMP_CLIENT_QUEUE, TG_COMP_CONNECT, TG_COMP_SERVER_QUEUE, TG_COMP_SERVER_COMPUTE,
    TG_COMP_SERVER, TG_COMP_TRANSFER, TG_COMP_COUNT
};
/* "client_queue", "connect", "server_queue", "server_compute", "server", "transfer" */
extern const char *const tg_comp_names[TG_COMP_COUNT];

/* One input as the breakdown sees it (ms; NAN: not measured). */
struct tg_phase_sample {
    bool ok;
    double latency_ms;
    double client_queue_ms, connect_ms, ttfb_ms, service_ms;
    double server_queue_ms, server_compute_ms;
};

/* Fills *out with input i (0 <= i < n) of the caller's rows. */
typedef void (*tg_phase_get_fn)(const void *ctx, size_t i, struct tg_phase_sample *out);

#define TG_DECOMP_BANDS 3
struct tg_decomp_band {
    double pct;                    /* 50, 95, 99 */
    double lo_pct, hi_pct;         /* the rank window averaged, e.g. 92.5 .. 97.5 */
    size_t n;                      /* rows in the window */
    double latency_ms;             /* the exact nearest-rank percentile */
    double band_latency_ms;        /* mean latency of the window's rows */
    double comp_ms[TG_COMP_COUNT]; /* mean of each component over the window; NAN when not measured */
};

struct tg_decomp {
    bool phases;                   /* some ok input has phases */
    bool server_timing;            /* queue and compute separable */
    size_t n_ok;                   /* ok inputs with a finite latency */
    struct tg_decomp_band band[TG_DECOMP_BANDS];
};

/* The breakdown of inputs 0..n-1 as documented above.  Returns 0, TG_EINVAL
 * (no ok input with a latency) or TG_ENOMEM. */
int tg_phase_breakdown(size_t n, tg_phase_get_fn get, const void *ctx, struct tg_decomp *out);

#endif
