/*
 * analyze_cut.h - what an interrupt (Ctrl-C, SIGTERM: analyze/probe.h) cut
 * short in `tailgate analyze --probe`: the probe stage in flight, tracked
 * through tg_active_probe's progress callback, and the stages from it on
 * dropped so that every section is whole or absent, never a fragment
 * (docs/analysis.md, "Interrupted").  Single-threaded; prints only the
 * progress lines it is given (unless quiet).
 */
#ifndef TG_CLI_ANALYZE_CUT_H
#define TG_CLI_ANALYZE_CUT_H

#include <stdbool.h>
#include <stddef.h>

#include "analyze/active.h"
#include "analyze/report.h"
#include "cli/analyze_stream.h"

/* The probe stages of tg_active_probe, in the order they run. */
enum tg_cli_stage { TG_STAGE_NONE, TG_STAGE_BATCH, TG_STAGE_SWEEP, TG_STAGE_CONN };

struct tg_cli_cut {
    bool quiet;                    /* no progress lines on stderr */
    enum tg_cli_stage stage;       /* the stage in flight (the last one started) */
};

/* tg_active_opts.progress with progress_ctx = a struct tg_cli_cut: notes the
 * stage "what" starts and prints "analyze: probing WHAT" unless quiet. */
void tg_cli_cut_progress(void *ctx, const char *what);

/* After tg_active_probe was interrupted in c->stage: empties act's results
 * of that stage and the later ones, sets a->interrupted_during and appends
 * the stages left out to a->not_measured. */
void tg_cli_cut_drop(const struct tg_cli_cut *c, struct tg_active *act, struct tg_analysis *a);

/* The probe stages kept, in words ("the batch cost probe, the concurrency
 * sweep" or "no probe stage"), into b[0..n); returns b. */
const char *tg_cli_cut_kept(const struct tg_active *act, const struct tg_cli_stream *st, char *b, size_t n);

#endif
