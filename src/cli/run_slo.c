/*
 * run_slo.c - `tailgate run --slo`: the verdicts and goodput from the files
 * the run left on disk (compare/slo_eval.h), so that run, compare and tune
 * judge the same files alike.
 *
 * Why from the file and not from memory: a run keeps no rows (each worker
 * formats its row into a 64 KiB writer buffer that is flushed to
 * requests.csv, run_rows.c; the totals are histograms), so that memory stays
 * bounded however long the run.  The verdicts need every input's own values
 * (nearest-rank estimates, exact counts over the limit, goodput as the
 * inputs meeting every SLO at once), which no histogram gives, so the file
 * is read back once, after the run (about 1 µs a row).
 */
#include "cli/run.h"

#include "compare/rows.h"
#include "compare/slo_eval.h"

#include <math.h>
#include <string.h>

int tg_run_slo_eval(const struct run_opts *o, const char *csv_path, const char *stream_path, double wall_s,
                    uint64_t ok, struct tg_slo_eval *ev, char *err, size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    if (o->nslos == 0) {
        /* without SLOs goodput counts every ok input: nothing to read */
        ev->ok = ev->good = ok;
        ev->wall_s = wall_s;
        ev->goodput_rps = wall_s > 0 ? (double)ok / wall_s : NAN;
        ev->all_pass = true;
        return 0;
    }
    struct tg_rows rows;
    memset(&rows, 0, sizeof rows);
    int rc = tg_rows_load(csv_path, &rows, err, errlen);
    if (rc == 0)
        rc = tg_slo_eval(&rows, stream_path, o->slos, o->nslos, o->slo_confidence, wall_s, ev, err, errlen);
    tg_rows_free(&rows);
    return rc;
}
