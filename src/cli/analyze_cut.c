/*
 * analyze_cut.c - the probe stage an interrupt cut short, and what is left
 * out because of it (cli/analyze_cut.h).
 */
#include "cli/analyze_cut.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void tg_cli_cut_progress(void *ctx, const char *what)
{
    struct tg_cli_cut *c = ctx;
    /* tg_active_probe names the stage before each probe of it */
    if (!strncmp(what, "batch", 5))
        c->stage = TG_STAGE_BATCH;
    else if (!strncmp(what, "concurrency", 11))
        c->stage = TG_STAGE_SWEEP;
    else if (!strncmp(what, "new connections", 15))
        c->stage = TG_STAGE_CONN;
    if (!c->quiet)
        fprintf(stderr, "analyze: probing %s\n", what);
}

void tg_cli_cut_drop(const struct tg_cli_cut *c, struct tg_active *act, struct tg_analysis *a)
{
    static const char *const names[] = { "batch cost probe", "concurrency sweep", "connection probe" };
    enum tg_cli_stage from = c->stage < TG_STAGE_BATCH ? TG_STAGE_BATCH : c->stage;
    a->interrupted_during = names[from - TG_STAGE_BATCH];
    for (enum tg_cli_stage k = from; k <= TG_STAGE_CONN; k++)
        a->not_measured[a->n_not_measured++] = names[k - TG_STAGE_BATCH];
    if (from == TG_STAGE_BATCH) {
        act->nbpts = 0;
        act->nsamples = 0;
        act->max_batch = act->max_batch_tried = act->max_batch_named = 0;
        act->max_batch_exact = act->budget_cut = false;
        act->max_batch_evidence = NULL;
        act->max_batch_status = 0;
        act->max_batch_message[0] = '\0';
        act->from_server_timing = false;
        act->overhead_ms = act->transfer_ms = NAN;
    }
    if (from <= TG_STAGE_SWEEP) {
        /* a sweep that never reached the concurrency would misjudge saturation */
        act->nsweep = 0;
        tg_prows_free(&act->top_rows);
        act->top_wall_s = NAN;
    }
    act->has_conn = false;
    /* what tg_active_probe does last, without a connection probe (no round
     * trip to subtract from the batch points) */
    if (!act->exec_source)
        act->exec_source = act->from_server_timing ? "server_timing_compute" : "service_time";
    act->rtt_ms = NAN;
}

const char *tg_cli_cut_kept(const struct tg_active *act, const struct tg_cli_stream *st, char *b, size_t n)
{
    const char *part[4];
    size_t k = 0;
    if (act->nbpts)
        part[k++] = "the batch cost probe";
    if (act->nsweep)
        part[k++] = "the concurrency sweep";
    if (act->has_conn)
        part[k++] = "the connection probe";
    if (st->probed && !st->interrupted)
        part[k++] = "the stream probes";
    snprintf(b, n, "%s", k ? "" : "no probe stage");
    for (size_t i = 0; i < k; i++)
        snprintf(b + strlen(b), n - strlen(b), "%s%s", i ? ", " : "", part[i]);
    return b;
}
