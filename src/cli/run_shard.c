/*
 * run_shard.c - `tailgate run` as one shard of a distributed run
 * (docs/distributed.md): which shard (options or the scheduler's
 * environment), its stripe of the global plan and its part of -c, the
 * shared wall-clock start with its measured skew, and manifest.json.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/hash.h"
#include "core/time.h"
#include "core/units.h"

#define usage(...) tg_cli_usage_error("run", __VA_ARGS__)

/* RFC 3339 ("2026-12-02T12:00:00Z", fractions and +hh:mm offsets too) or
 * Unix milliseconds.  Returns 0 or -1. */
static int parse_start_at(const char *s, int64_t *ms)
{
    if (*s && strspn(s, "0123456789") == strlen(s)) {
        uint64_t v;
        if (tg_parse_count(s, 0, (uint64_t)INT64_MAX, &v) != 0)
            return -1;
        *ms = (int64_t)v;
        return 0;
    }
    struct tm tm = { 0 };
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    if (!p)
        return -1;
    double frac = 0;
    if (*p == '.') {
        char *end;
        frac = strtod(p, &end);   /* ".250" */
        if (end == p + 1)
            return -1;
        p = end;
    }
    long off_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
            return -1;
        off_s = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;   /* RFC 3339 needs a zone */
    }
    if (*p)
        return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms = ((int64_t)t - off_s) * 1000 + (int64_t)llround(frac * 1000);
    return 0;
}

/* A count from an option or an environment variable.  Returns 0, 1 (not
 * set) or -1 (set but not a count). */
static int count_from(const char *text, const char *env, uint64_t *out, const char **from)
{
    const char *s = text;
    *from = NULL;
    if (!s && env && (s = getenv(env)) && *s)
        *from = env;
    if (!s || !*s)
        return 1;
    return tg_parse_count(s, 0, UINT64_MAX - 1, out) == 0 ? 0 : -1;
}

int tg_run_shard_opts(struct run_opts *o)
{
    const char *from_n = NULL, *from_k = NULL;
    int rn = count_from(o->shard_count_text, "SLURM_NTASKS", &o->shard_count, &from_n);
    if (rn < 0)
        return usage("invalid %s '%s' (a count >= 1)", from_n ? "$SLURM_NTASKS" : "--shard-count",
                     from_n ? getenv(from_n) : o->shard_count_text);
    if (rn == 1) {
        /* not a shard; a lone --shard-index is a mistake, an index in the
         * environment without a count is not ours to use */
        if (o->shard_index_text)
            return usage("--shard-index needs --shard-count N");
        if (o->start_at_text || o->run_id)
            return usage("%s is for shards: give --shard-count N", o->start_at_text ? "--start-at" : "--run-id");
        return -1;
    }
    if (o->shard_count == 0)
        return usage("invalid --shard-count 0 (a count >= 1)");
    int rk = count_from(o->shard_index_text, "JOB_COMPLETION_INDEX", &o->shard_index, &from_k);
    if (rk == 1 && !o->shard_index_text)
        rk = count_from(NULL, "SLURM_PROCID", &o->shard_index, &from_k);
    if (rk < 0)
        return usage("invalid %s '%s' (a shard index)", from_k ? from_k : "--shard-index",
                     from_k ? getenv(from_k) : o->shard_index_text);
    if (rk == 1)
        return usage("--shard-count %llu needs the shard's index: --shard-index K, $JOB_COMPLETION_INDEX or "
                     "$SLURM_PROCID", (unsigned long long)o->shard_count);
    if (o->shard_index >= o->shard_count)
        return usage("shard index %llu%s%s%s is not below the shard count %llu", (unsigned long long)o->shard_index,
                     from_k ? " (from $" : "", from_k ? from_k : "", from_k ? ")" : "",
                     (unsigned long long)o->shard_count);
    o->sharded = true;
    if (o->baseline)
        return usage("--mode baseline reproduces one input.py process; it cannot be a shard");
    if (o->start_at_text && parse_start_at(o->start_at_text, &o->start_at_ms) != 0)
        return usage("invalid --start-at '%s' (RFC 3339 with a zone, e.g. 2026-12-02T12:00:00Z, or Unix ms)",
                     o->start_at_text);
    o->has_start_at = o->start_at_text != NULL;
    if (o->run_id && (!*o->run_id || strlen(o->run_id) > TG_MANIFEST_RUN_ID_MAX))
        return usage("invalid --run-id (1 to %d characters)", TG_MANIFEST_RUN_ID_MAX);
    if (!o->run_id && getenv("TG_RUN_ID") && *getenv("TG_RUN_ID")) {
        snprintf(o->run_id_buf, sizeof o->run_id_buf, "%s", getenv("TG_RUN_ID"));
        o->run_id = o->run_id_buf;
    } else if (!o->run_id && getenv("SLURM_JOB_ID") && *getenv("SLURM_JOB_ID")) {
        const char *step = getenv("SLURM_STEP_ID");
        snprintf(o->run_id_buf, sizeof o->run_id_buf, "slurm-%s%s%s", getenv("SLURM_JOB_ID"), step ? "." : "",
                 step ? step : "");
        o->run_id = o->run_id_buf;
    }
    /* closed loop: -c is split (the open loop's -c caps each shard) */
    uint64_t N = o->shard_count, K = o->shard_index;
    if (!tg_run_open_loop(o)) {
        if (o->concurrency < N)
            return usage("-c %llu over %llu shards leaves shard(s) with nothing in flight (give -c >= %llu)",
                         (unsigned long long)o->concurrency, (unsigned long long)N, (unsigned long long)N);
        o->shard_concurrency = o->concurrency / N + (K < o->concurrency % N ? 1 : 0);
        if (o->connections)
            o->shard_connections = o->connections < N ? 1 : o->connections / N + (K < o->connections % N ? 1 : 0);
    } else {
        o->shard_concurrency = o->concurrency;
        o->shard_connections = o->connections;
    }
    return -1;
}

uint64_t tg_run_concurrency(const struct run_opts *o)
{
    return o->sharded ? o->shard_concurrency : o->concurrency;
}

uint64_t tg_run_shard_inputs(const struct run_opts *o, uint64_t inputs)
{
    if (!o->sharded || inputs == UINT64_MAX)
        return inputs;
    uint64_t N = o->shard_count, K = o->shard_index;
    return inputs / N + (K < inputs % N ? 1 : 0);
}

void tg_run_shard_apply(const struct run_opts *o, struct tg_engine_config *cfg)
{
    if (!o->sharded)
        return;
    cfg->shard = (struct tg_stripe){ o->shard_index, o->shard_count };
    cfg->concurrency = (uint32_t)o->shard_concurrency;
    uint64_t conns = o->shard_connections ? o->shard_connections : o->shard_concurrency;
    cfg->connections = (uint32_t)conns;
}

void tg_run_shard_config(struct run_opts *o, json_t *config)
{
    if (!o->sharded)
        return;
    if (!o->run_id) {
        /* nothing names the run: the plan does (config, and the start) */
        char h[TG_SHA256_HEX_LEN + 1] = "";
        tg_manifest_config_sha256(config, h);
        if (o->has_start_at)
            snprintf(o->run_id_buf, sizeof o->run_id_buf, "at-%lld-%.12s", (long long)o->start_at_ms, h);
        else
            snprintf(o->run_id_buf, sizeof o->run_id_buf, "plan-%.12s", h);
        o->run_id = o->run_id_buf;
    }
    json_object_set_new(config, "shard_index", json_integer((json_int_t)o->shard_index));
    json_object_set_new(config, "shard_count", json_integer((json_int_t)o->shard_count));
    json_object_set_new(config, "shard_concurrency", json_integer((json_int_t)o->shard_concurrency));
    json_object_set_new(config, "run_id", json_string(o->run_id));
    json_object_set_new(config, "start_at_ms", o->has_start_at ? json_integer(o->start_at_ms) : json_null());
}

static double wall_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int tg_run_shard_wait(struct run *x, const sigset_t *sigs)
{
    const struct run_opts *o = &x->o;
    if (!o->sharded || !o->has_start_at)
        return 0;
    double target = (double)o->start_at_ms, tol_ms = (double)o->start_tolerance_ns / 1e6;
    for (;;) {
        double left = target - wall_ms_now();
        if (left <= 0)
            break;
        /* short naps near the start; a signal ends the wait */
        double nap = left > 200 ? 200 : left;
        struct timespec ts = { (time_t)(nap / 1e3), (long)(fmod(nap, 1e3) * 1e6) };
        int s = sigtimedwait(sigs, NULL, &ts);
        if (s == SIGINT || s == SIGTERM) {
            fprintf(stderr, "tailgate run: interrupted while waiting for --start-at; nothing was sent\n");
            return TG_EXIT_INTERRUPTED;
        }
    }
    x->start_skew_ms = wall_ms_now() - target;
    x->has_skew = true;
    if (x->start_skew_ms > tol_ms) {
        fprintf(stderr, "tailgate run: shard %llu missed --start-at by %.1f ms (--start-tolerance %.1f ms); "
                        "nothing was sent\n", (unsigned long long)o->shard_index, x->start_skew_ms, tol_ms);
        return TG_EXIT_USAGE;
    }
    return 0;
}

int tg_run_manifest_write(struct run *x, const struct tg_engine_totals *t)
{
    const struct run_opts *o = &x->o;
    if (!o->sharded)
        return 0;
    struct tg_manifest m = {
        .shard_index = o->shard_index, .shard_count = o->shard_count,
        .has_start_at = o->has_start_at, .start_at_ms = o->start_at_ms,
        .has_skew = x->has_skew, .start_skew_ms = x->start_skew_ms,
        .rows = t->inputs,
        /* count-bounded: every id below it has a row in some shard */
        .has_inputs_planned = !o->duration_ns && x->cfg.inputs != UINT64_MAX,
        .inputs_planned = x->cfg.inputs,
    };
    snprintf(m.run_id, sizeof m.run_id, "%s", o->run_id);
    snprintf(m.payload_sha256, sizeof m.payload_sha256, "%s", x->payloads->sha256);
    snprintf(m.tool_version, sizeof m.tool_version, "%s", TG_VERSION);
    int rc = tg_manifest_config_sha256(x->config, m.config_sha256);
    if (rc)
        return rc;
    snprintf(x->path, sizeof x->path, "%s/requests.csv", x->out_dir);
    if ((rc = tg_sha256_file_hex(x->path, m.requests_csv_sha256)))
        return rc;
    snprintf(x->path, sizeof x->path, "%s/manifest.json", x->out_dir);
    return tg_manifest_write(x->path, &m);
}
