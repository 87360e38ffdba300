/*
 * run_shape.c - the load-shape options of `tailgate run` against each other
 * and the rest (docs/load-shapes.md): --burstiness implies gamma, --trace
 * carries its own times and payloads, --stages set the duration (and, in
 * the concurrency form, -c).
 */
#include "cli/cli.h"
#include "cli/run.h"

#include <math.h>
#include <string.h>

#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)

bool tg_run_open_loop(const struct run_opts *o)
{
    return o->rate > 0 || o->trace || (o->nstages && !o->stages_concurrency);
}

int tg_run_shape_opts(struct run_opts *o, bool set_arrival, bool set_speed, bool set_payloads)
{
    if (o->burstiness > 0) {
        if (set_arrival && strcmp(o->arrival, "gamma"))
            return usage("--burstiness is the shape of gamma gaps: drop --arrival %s", o->arrival);
        o->arrival = "gamma";
    } else if (!strcmp(o->arrival, "gamma")) {
        return usage("--arrival gamma needs --burstiness K (1 is Poisson, < 1 burstier)");
    }
    if (o->trace) {
        if (o->rate > 0 || o->nstages)
            return usage("--trace sets the schedule: drop %s", o->rate > 0 ? "--rate" : "--stages");
        if (set_arrival || o->burstiness > 0)
            return usage("--trace replays its own times: drop --arrival/--burstiness");
        if (set_payloads)
            return usage("--trace carries the payloads: drop --payloads");
        o->arrival = "trace";
    } else if (set_speed) {
        return usage("--trace-speed needs --trace");
    }
    if (o->nstages) {
        if (o->rate > 0)
            return usage("--stages sets the rate: drop --rate");
        if (o->stages_concurrency) {
            if (set_arrival || o->burstiness > 0)
                return usage("concurrency stages are a closed loop: drop --arrival/--burstiness");
            if (o->set_c)
                return usage("concurrency stages set the concurrency: drop -c");
            double mx = 1;
            for (size_t i = 0; i < o->nstages; i++)
                mx = fmax(mx, fmax(o->stages[i].from, o->stages[i].to));
            o->concurrency = (uint64_t)mx;   /* the slots: the most the stages ask for */
        }
        uint64_t total = tg_stages_duration_ns(o->stages, o->nstages);
        if (!o->duration_ns || o->duration_ns > total)
            o->duration_ns = total;
    }
    if (!tg_run_open_loop(o) && strcmp(o->arrival, "constant"))
        return usage("--arrival needs --rate (or rate --stages)");
    return -1;
}
