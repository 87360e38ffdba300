/*
 * tune.c - `tailgate tune [options] URL`: the client configuration with the
 * lowest P95 that keeps outputs identical (and meets every --slo), found by predicting every
 * candidate from the fitted cost model and measuring the ablation and the
 * model's best few with short bounded runs.  Writes tune.json and tune.md.
 */
#include "api/api.h"
#include "analyze/active.h"
#include "analyze/probe.h"
#include "analyze/prows.h"
#include "analyze/report.h"
#include "analyze/tune.h"
#include "cli/cli.h"
#include "cli/endpoint.h"
#include "cli/commands.h"
#include "core/fs.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "core/units.h"
#include "engine/payload.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


struct tune_cli {
    struct tg_cli_endpoint ep;  /* --api, -H, --cacert, --insecure */
    struct tg_tolerance tol;
    double sla_p95_ms;
    const char *payloads;
    uint64_t concurrency;
    const char *out;
    const char *analysis;
    const char *reference;
    uint64_t inputs;
    uint64_t confirm_inputs;   /* 0: one per payload line */
    uint64_t top_k;
    uint64_t window_ns;
    uint64_t seed;
    bool quiet;
    struct tg_slo slos[TG_TUNE_MAX_SLOS];   /* --slo, in order */
    size_t nslos;
};

static const struct tune_cli defaults = {
    .ep = { .api = "tailgate" },
    .sla_p95_ms = 800,
    .payloads = "workload/requests.jsonl",
    .concurrency = 20,
    .inputs = 200,
    .top_k = 4,
    .window_ns = 2 * TG_NS_PER_S,
    .seed = 1,
};

static void help(void)
{
    printf("usage: tailgate tune [options] URL\n\n"
           "Searches the client configuration (pool size, keep-alive, batch size, batch\n"
           "wait) with the lowest P95 at the same workload and concurrency whose outputs\n"
           "equal the unbatched reference's.  Every candidate is predicted from\n"
           "the fitted cost model; the ablation (each lever alone) and the model's best\n"
           "are measured with short bounded runs; the choice is confirmed on the full\n"
           "workload.  Writes tune.json and tune.md.\n\n"
           "      --sla-p95 MS         P95 limit (default %g); the SLO latency:p95<=MS\n"
           "      --slo METRIC:pNN<=VALUE  one more SLO every choice must meet (repeatable, at\n"
           "                           most %d): METRIC latency, ttft, tpot or itl, VALUE a duration\n"
           "                           (250ms, 1.5s; bare = ms).  Each measured candidate is judged\n"
           "                           like `tailgate compare --slo` (met: its pNN <= VALUE; binomial\n"
           "                           verdict at 99 %% confidence reported); the choice is the lowest\n"
           "                           P95 among the candidates meeting every SLO (with itl the\n"
           "                           probes keep per-event times)\n"
           "      --api NAME           the endpoint's API (default %s; %s)\n"
           "  -H, --header 'N: V'      extra request header (repeatable; values of secret-looking\n"
           "                           names are never written or printed)\n"
           "      --cacert FILE        https: trust the CA or self-signed certificate in PEM FILE\n"
           "      --insecure           https: do not verify the certificate or host name (warned)\n"
           "      --output-tolerance T  outputs equal when every number is within T (or abs:T), or\n"
           "                           cosine:EPS (cosine similarity >= 1 - EPS), against tune's\n"
           "                           unbatched baseline (default: exact, equal output hashes); a\n"
           "                           candidate whose outputs differ is reported and never chosen\n"
           "      --payloads FILE      workload, single-input bodies of --api (default %s)\n"
           "  -c, --concurrency N      inputs in flight (default %llu)\n"
           "      --analysis FILE      cost model from `tailgate analyze --probe`'s analysis.json\n"
           "                           (default: a short probe of URL)\n"
           "      --reference RUN      outputs to match: an unbatched run (default: tune's own baseline)\n"
           "  -n, --inputs N           inputs per candidate (default %llu)\n"
           "      --confirm-inputs N   inputs of the confirmation run (default: one per payload line)\n"
           "      --top-k K            grid points measured beyond the ablation (default %llu)\n"
           "      --window DUR         a candidate starts no input after DUR (default 2s)\n"
           "      --seed S             seed of the cost model's simulated predictions (default %llu)\n"
           "  -o, --out DIR            where to write (default results/tune-<UTC stamp>)\n"
           "  -q, --quiet              no progress on stderr\n"
           "  -h, --help               this help\n\n"
           "An --analysis of a streaming server with /metrics gauges adds the in-flight cap at the\n"
           "most sequences it ran, --connections R, to the measured candidates.\n\n"
           "Ctrl-C (SIGINT) or SIGTERM stops the search: the probe in flight is interrupted, no further\n"
           "one starts, and tune.json / tune.md are written with \"interrupted\": true, the candidates\n"
           "measured so far (the one in flight is not), no choice (\"best\": null) and no confirmation.\n\n"
           "Exit: 0 a configuration meets the SLA and every --slo, 1 none does or none could be chosen (tune.json\n"
           "\"reason\" says why; \"best\" is null when no evidence chose one), 2 usage or setup error,\n"
           "3 interrupted.\n",
           defaults.sla_p95_ms, TG_TUNE_MAX_SLOS, defaults.ep.api, tg_api_names(), defaults.payloads, (unsigned long long)defaults.concurrency,
           (unsigned long long)defaults.inputs, (unsigned long long)defaults.top_k,
           (unsigned long long)defaults.seed);
}

#define usage(...) tg_cli_usage_error("tune", __VA_ARGS__)

static void on_progress(void *ctx, const char *what)
{
    fprintf(stderr, "tune: %s%s\n", (const char *)ctx, what);
}

/* A streaming analysis's admission capacity: the most sequences the server
 * reported running (analysis.json stream.gauges.running_max); 0 none. */
static uint32_t stream_running_max(const char *analysis)
{
    json_t *root = json_load_file(analysis, 0, NULL);
    json_t *v = json_object_get(json_object_get(json_object_get(root, "stream"), "gauges"), "running_max");
    double r = json_is_number(v) ? json_number_value(v) : 0;
    json_decref(root);
    return r >= 1 && r < 65536 ? (uint32_t)r : 0;
}

enum { OPT_SLA = 256, OPT_PAYLOADS, OPT_ANALYSIS, OPT_REFERENCE, OPT_CONFIRM, OPT_TOPK, OPT_WINDOW, OPT_SEED,
       OPT_TOL, OPT_SLO };

/* The reference run's saved outputs (its `--save-outputs` file, named in
 * its summary.json), by payload index: what --output-tolerance compares
 * numbers against.  *out stays NULL when the run kept none.  Returns 0, or
 * a negative code with a one-line reason in err. */
static int load_reference_outputs(const char *run, size_t npayloads, char ***out, char *err,
                                  size_t errlen)
{
    *out = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", run);
    json_t *sum = json_load_file(path, 0, NULL);
    json_t *so = json_object_get(json_object_get(sum, "config"), "save_outputs");
    if (!json_is_string(so) || !json_string_value(so)[0]) {
        json_decref(sum);
        return 0;
    }
    const char *name = json_string_value(so);
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%s/%s", run, name);
    json_decref(sum);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "--reference %.200s: cannot read its saved outputs %.200s: %s", run, path,
                 strerror(e));
        return -e;
    }
    char **by = calloc(npayloads ? npayloads : 1, sizeof *by);
    int rc = by ? 0 : TG_ENOMEM;
    char *line = NULL;
    size_t cap = 0;
    for (size_t lineno = 1; !rc && getline(&line, &cap, f) > 0; lineno++) {
        json_t *o = json_loads(line, JSON_DECODE_ANY, NULL);
        json_t *id = json_object_get(o, "request_id"), *v = json_object_get(o, "output");
        if (!json_is_integer(id) || json_integer_value(id) < 0 || !v) {
            snprintf(err, errlen, "%.300s:%zu: not a {\"request_id\",\"output\"} line", path, lineno);
            rc = TG_EPARSE;
        } else {
            size_t k = (size_t)json_integer_value(id) % npayloads;
            if (!by[k] && !(by[k] = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)))
                rc = TG_ENOMEM;
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    if (rc) {
        for (size_t i = 0; by && i < npayloads; i++)
            free(by[i]);
        free(by);
        if (rc == TG_ENOMEM)
            snprintf(err, errlen, "out of memory reading %.300s", path);
        return rc;
    }
    *out = by;
    return 0;
}

static const struct option long_opts[] = {
    TG_CLI_ENDPOINT_LONG_OPTS,
    { "output-tolerance", required_argument, NULL, OPT_TOL },
    { "sla-p95", required_argument, NULL, OPT_SLA },
    { "slo", required_argument, NULL, OPT_SLO },
    { "payloads", required_argument, NULL, OPT_PAYLOADS },
    { "concurrency", required_argument, NULL, 'c' },
    { "analysis", required_argument, NULL, OPT_ANALYSIS },
    { "reference", required_argument, NULL, OPT_REFERENCE },
    { "inputs", required_argument, NULL, 'n' },
    { "confirm-inputs", required_argument, NULL, OPT_CONFIRM },
    { "top-k", required_argument, NULL, OPT_TOPK },
    { "window", required_argument, NULL, OPT_WINDOW },
    { "seed", required_argument, NULL, OPT_SEED },
    { "out", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int tg_cmd_tune(int argc, char **argv)
{
    struct tune_cli o = defaults;
    int rc = TG_EXIT_USAGE;
    struct tg_probe_target target;
    bool have_target = false;
    struct tg_prows ref = { 0 };
    char **ref_outputs = NULL;  /* the reference's saved outputs by payload index */
    size_t nref_outputs = 0;
    struct tg_active act = { 0 };
    struct tg_tune tune = { 0 };
    double *jitter = NULL;
    json_t *doc = NULL;
    char *md = NULL;
    size_t mdlen = 0;
    char err[512], out_buf[256];

    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = tg_cli_getopt_long(argc, argv, ":c:n:o:qhH:", long_opts)) != -1) {
        int ec;
        if (tg_cli_endpoint_opt("tune", &o.ep, ch, optarg, &ec)) {
            if (ec)
                return ec;
            continue;
        }
        switch (ch) {
        case OPT_TOL:
            if (tg_tolerance_parse(optarg, &o.tol) != 0)
                return usage("invalid --output-tolerance '%s' (a number >= 0, abs:T or cosine:EPS)", optarg);
            break;
        case OPT_SLA:
            if (tg_parse_double(optarg, 0.001, 1e9, &o.sla_p95_ms) != 0)
                return usage("invalid --sla-p95 '%s' (milliseconds > 0)", optarg);
            break;
        case OPT_SLO: {
            char why[160];
            if (o.nslos == TG_TUNE_MAX_SLOS)
                return usage("--slo '%s': at most %d --slo", optarg, TG_TUNE_MAX_SLOS);
            if (tg_slo_parse(optarg, &o.slos[o.nslos], why, sizeof why) != 0)
                return usage("--slo '%s': %s", optarg, why);
            o.nslos++;
            break;
        }
        case OPT_PAYLOADS: o.payloads = optarg; break;
        case 'c':
            if (tg_parse_count(optarg, 1, 4096, &o.concurrency) != 0)
                return usage("invalid -c '%s' (a count in [1, 4096])", optarg);
            break;
        case OPT_ANALYSIS: o.analysis = optarg; break;
        case OPT_REFERENCE: o.reference = optarg; break;
        case 'n':
            if (tg_parse_count(optarg, 1, 1000000, &o.inputs) != 0)
                return usage("invalid -n '%s' (a count in [1, 1000000])", optarg);
            break;
        case OPT_CONFIRM:
            if (tg_parse_count(optarg, 1, 10000000, &o.confirm_inputs) != 0)
                return usage("invalid --confirm-inputs '%s' (a count in [1, 10000000])", optarg);
            break;
        case OPT_TOPK:
            if (tg_parse_count(optarg, 1, 64, &o.top_k) != 0)
                return usage("invalid --top-k '%s' (a count in [1, 64])", optarg);
            break;
        case OPT_WINDOW:
            if (tg_parse_duration_ns(optarg, TG_NS_PER_S, &o.window_ns) != 0 || o.window_ns < TG_NS_PER_S / 10)
                return usage("invalid --window '%s' (e.g. 2s, at least 100ms)", optarg);
            break;
        case OPT_SEED:
            if (tg_parse_count(optarg, 0, UINT64_MAX, &o.seed) != 0)
                return usage("invalid --seed '%s'", optarg);
            break;
        case 'o': o.out = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h': help(); return TG_EXIT_OK;
        case ':': return usage("option '%s' needs a value", argv[optind - 1]);
        default: return usage("unknown option '%s' (see tailgate tune --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage("missing URL (e.g. http://127.0.0.1:8000/v1/infer)");
    if (optind + 1 < argc)
        return usage("unexpected argument '%s' (one URL only)", argv[optind + 1]);
    const char *url = argv[optind];

    signal(SIGPIPE, SIG_IGN);   /* https: OpenSSL writes with write(2) (engine/tls.h) */
    if (tg_probe_catch_signals() != 0) {
        rc = usage("cannot install the SIGINT/SIGTERM handlers: %s", strerror(errno));
        goto out;
    }
    have_target = true;
    if ((rc = tg_cli_endpoint_target("tune", &o.ep, url, o.payloads, &target)) != 0)
        goto out;
    if (o.reference && tg_prows_load(o.reference, &ref, err, sizeof err) != 0) {
        rc = usage("%s", err);
        goto out;
    }
    if (o.reference && o.tol.kind != TG_TOL_EXACT) {
        nref_outputs = target.payloads->n;
        if (load_reference_outputs(o.reference, nref_outputs, &ref_outputs, err, sizeof err) != 0) {
            rc = usage("%s", err);
            goto out;
        }
        if (!ref_outputs)
            fprintf(stderr, "tailgate tune: note: --reference %s kept no outputs (tailgate run --save-outputs): "
                            "numbers are compared with tune's own unbatched baseline, which covers only "
                            "the payloads it sent\n", o.reference);
    }
    const char *out_dir = o.out;
    if (!out_dir) {
        char stamp[32];
        tg_utc_stamp(stamp, sizeof stamp);
        snprintf(out_buf, sizeof out_buf, "results/tune-%s", stamp);
        out_dir = out_buf;
    }
    int mrc = tg_mkdir_p(out_dir);
    if (mrc) {
        rc = usage("cannot create %s: %s", out_dir, strerror(-mrc));
        goto out;
    }

    /* the cost model */
    struct tg_costmodel model;
    const struct tg_costmodel *mp = &model;
    const char *model_source = o.analysis;
    if (o.analysis) {
        if (tg_analysis_load_model(o.analysis, &model, &jitter, err, sizeof err) != 0) {
            rc = usage("%s", err);
            goto out;
        }
    } else {
        struct tg_active_opts ao = {
            .concurrency = o.concurrency < 4 ? (uint32_t)o.concurrency : 4,
            .batch_target = (uint32_t)o.concurrency,
            .sweep_top = true,
            .sweep = true,
            .connections = true,
            .batch_budget_s = 4,
            .progress = o.quiet ? NULL : on_progress,
            .progress_ctx = "probing ",
        };
        model_source = "probe";
        if (tg_active_probe(&target, &ao, &act, err, sizeof err) != 0) {
            if (!tg_probe_interrupted()) {
                fprintf(stderr, "tailgate tune: %s\n", err);
                rc = TG_EXIT_FAIL;
                goto out;
            }
            /* Ctrl-C before the model was whole: no model, no candidate */
            tg_tune_mark_interrupted(&tune, "model probe");
            mp = NULL;
        } else if (tg_active_model(&act, &model, &jitter) != 0) {
            fprintf(stderr, "tailgate tune: the endpoint's batch cost could not be measured (batches refused?)\n");
            rc = TG_EXIT_FAIL;
            goto out;
        }
    }

    struct tg_tune_opts to = {
        .concurrency = (uint32_t)o.concurrency,
        .sla_p95_ms = o.sla_p95_ms,
        .inputs = o.inputs,
        .confirm_inputs = o.confirm_inputs,
        .window_ns = o.window_ns,
        .top_k = (uint32_t)o.top_k,
        .reference = o.reference ? &ref : NULL,
        .tol = o.tol,
        .reference_outputs = ref_outputs,
        .seed = o.seed,
        .inflight_cap = o.analysis ? stream_running_max(o.analysis) : 0,
        .slos = o.slos,
        .nslos = o.nslos,
        .confidence = 0.99,
        .progress = o.quiet ? NULL : on_progress,
        .progress_ctx = "measuring ",
    };
    if (mp && tg_tune_search(&target, mp, &to, &tune, err, sizeof err) != 0) {
        fprintf(stderr, "tailgate tune: %s\n", err);
        rc = TG_EXIT_FAIL;
        goto out;
    }
    tune.elapsed_s += act.elapsed_s;
    tune.probe_inputs += act.probe_inputs;

    char path[4200];
    char url_shown[2048]; /* the URL as recorded: secrets redacted */
    doc = tg_tune_json(&tune, &to, mp, tg_redact_url(url, url_shown, sizeof url_shown), model_source);
    if (doc) {
        json_object_set_new(doc, "api", json_string(target.api->name));
        tg_cli_endpoint_record(doc, &o.ep, &target);
    }
    snprintf(path, sizeof path, "%s/tune.json", out_dir);
    int wrc = doc ? tg_report_write_json(path, doc) : -ENOMEM;
    if (wrc == 0) {
        FILE *mf = open_memstream(&md, &mdlen);
        if (!mf || tg_tune_md(mf, &tune, &to, mp) != 0)
            wrc = -ENOMEM;
        if (mf && fclose(mf) != 0)
            wrc = -ENOMEM;
        snprintf(path, sizeof path, "%s/tune.md", out_dir);
        if (wrc == 0)
            wrc = tg_write_file_atomic(path, md, mdlen);
    }
    if (wrc) {
        fprintf(stderr, "tailgate tune: cannot write %s: %s\n", path, tg_strerror(wrc));
        rc = TG_EXIT_FAIL;
        goto out;
    }

    if (tune.interrupted) {
        fprintf(stderr, "tailgate tune: interrupted during the %s: kept %zu measured candidate(s)%s, no configuration "
                        "chosen; wrote %s/tune.json, %s/tune.md (\"interrupted\": true)\n",
                tune.interrupted_during, tune.n_measured, mp ? "" : " and no cost model", out_dir, out_dir);
        rc = TG_EXIT_INTERRUPTED;
        goto out;
    }
    char line[768];
    tg_tune_summary_line(&tune, &to, line, sizeof line);
    printf("%s\n", line);
    printf("%-44s %12s %12s\n", "ablation", "pred P95 ms", "meas P95 ms");
    for (int r = TG_ROLE_BASELINE; r < TG_ROLE_COUNT; r++)
        for (size_t i = 0; i < tune.n; i++) {
            const struct tg_tune_cand *c = &tune.cands[i];
            if (c->role != (enum tg_tune_role)r)
                continue;
            char args[160];
            tg_tune_args(&c->cfg, args, sizeof args);
            printf("%-10s %-33s %12.1f %12s\n", tg_tune_role_name(c->role), args, c->pred.p95_ms,
                   c->measured ? (snprintf(line, sizeof line, "%.1f", c->p95_ms), line) : "-");
        }
    if (tune.best >= 0) {
        char args[160];
        tg_tune_args(&tune.cands[tune.best].cfg, args, sizeof args);
        printf("best args: %s\n", args);
    }
    if (tune.reason[0])
        printf("why: %s\n", tune.reason);
    printf("written: %s/tune.json, %s/tune.md (%.1f s, %llu probe inputs)\n", out_dir, out_dir, tune.elapsed_s,
           (unsigned long long)tune.probe_inputs);
    rc = tune.meets_sla ? TG_EXIT_OK : TG_EXIT_FAIL;
out:
    json_decref(doc);
    free(md);
    free(jitter);
    tg_tune_free(&tune);
    tg_active_free(&act);
    tg_prows_free(&ref);
    for (size_t i = 0; ref_outputs && i < nref_outputs; i++)
        free(ref_outputs[i]);
    free(ref_outputs);
    if (have_target)
        tg_probe_target_free(&target);
    return rc;
}
