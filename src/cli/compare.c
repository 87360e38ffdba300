/*
 * compare.c - `tailgate compare`: Before/After comparison and the P95 SLA
 * and --slo gate.  Loads both sides, checks the workload identity, builds the
 * comparison (src/compare), writes comparison.{json,csv,md} and prints the
 * table and one verdict line.
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "compare/junit.h"
#include "compare/step_summary.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/units.h"

struct compare_cli {
    double sla_p95_ms;
    double confidence;
    struct tg_tolerance tolerance; /* kind TG_TOL_EXACT: hashes only */
    const char *outputs_from;
    const char *baseline_payloads;
    uint64_t baseline_concurrency;
    bool strict;
    bool ignore_outputs;
    bool quiet;
    uint64_t seed;
    uint64_t resamples;
    const char *out_dir;       /* NULL: the AFTER run directory's parent */
    const char *junit;         /* --junit FILE, or NULL */
    const char *step_summary;  /* --step-summary FILE; NULL: $GITHUB_STEP_SUMMARY */
    bool no_step_summary;
    struct tg_slo slos[TG_COMPARE_MAX_SLOS];   /* --slo, in order */
    size_t nslos;
};

static const struct compare_cli defaults = {
    .sla_p95_ms = 800,
    .confidence = 0.99,
    .tolerance = { TG_TOL_EXACT, 0 },
    .baseline_concurrency = 20,   /* input.py's asyncio.Semaphore(20) */
    .seed = 1,
    .resamples = 2000,
};

enum {
    OPT_SLA = 1000, OPT_CONF, OPT_TOL, OPT_OUTPUTS_FROM, OPT_BASE_PAYLOADS, OPT_BASE_CONC,
    OPT_STRICT, OPT_SEED, OPT_RESAMPLES, OPT_IGNORE_OUTPUTS, OPT_QUIET, OPT_JUNIT, OPT_STEP_SUMMARY,
    OPT_NO_STEP_SUMMARY, OPT_SLO,
};

static const struct option options[] = {
    { "sla-p95", required_argument, NULL, OPT_SLA },
    { "slo", required_argument, NULL, OPT_SLO },
    { "confidence", required_argument, NULL, OPT_CONF },
    { "output-tolerance", required_argument, NULL, OPT_TOL },
    { "outputs-from", required_argument, NULL, OPT_OUTPUTS_FROM },
    { "baseline-payloads", required_argument, NULL, OPT_BASE_PAYLOADS },
    { "baseline-concurrency", required_argument, NULL, OPT_BASE_CONC },
    { "strict", no_argument, NULL, OPT_STRICT },
    { "seed", required_argument, NULL, OPT_SEED },
    { "resamples", required_argument, NULL, OPT_RESAMPLES },
    { "ignore-outputs", no_argument, NULL, OPT_IGNORE_OUTPUTS },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "step-summary", required_argument, NULL, OPT_STEP_SUMMARY },
    { "no-step-summary", no_argument, NULL, OPT_NO_STEP_SUMMARY },
    { "output-dir", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static void help(void)
{
    printf("usage: tailgate compare [options] BEFORE AFTER\n"
           "\n"
           "Compares two runs of the same workload and gates on the P95 SLA.\n"
           "BEFORE and AFTER are run directories written by `tailgate run` (requests.csv +\n"
           "summary.json) or bare per-input CSVs (input.py's request_id,timestamp_ms,\n"
           "latency_ms,status_code; columns are read by name).\n"
           "\n"
           "  --sla-p95 MS              P95 limit in ms (default %g); the SLO latency:p95<=MS\n"
           "  --slo METRIC:pNN<=VALUE   one more SLO gated on AFTER (repeatable, at most %d):\n"
           "                            METRIC latency, ttft, tpot or itl; VALUE a duration\n"
           "                            (250ms, 1.5s; bare = ms), e.g. ttft:p95<=250ms.  ttft,\n"
           "                            tpot from the rows' ttft_ms/tpot_ms columns; itl from\n"
           "                            stream.jsonl next to requests.csv (--save-stream)\n"
           "  --confidence C            one-sided confidence of the verdict (default %g)\n"
           "  --output-tolerance T      outputs whose hashes differ are equal when every number\n"
           "                            is within T (also abs:T), or with cosine:EPS when their\n"
           "                            cosine similarity is >= 1 - EPS (needs both runs'\n"
           "                            --save-outputs files)\n"
           "  --outputs-from RUN        take the reference output hashes from RUN instead of\n"
           "                            BEFORE (e.g. a C replica run when BEFORE is input.py's CSV)\n"
           "  --ignore-outputs          do not require equal outputs (reported as ignored)\n"
           "  --baseline-payloads FILE  payload file a bare-CSV side sent (its SHA-256 is the\n"
           "                            workload identity; required for a bare CSV)\n"
           "  --baseline-concurrency N  in-flight requests of a bare-CSV side (default %llu,\n"
           "                            input.py's)\n"
           "  --seed S                  bootstrap seed (default %llu); same seed, same CIs\n"
           "  --resamples N             bootstrap resamples (default %llu)\n"
           "  --strict                  exit 0 only on a PASS verdict (not INCONCLUSIVE) of the\n"
           "                            SLA and of every --slo\n"
           "  -o, --output-dir DIR      where comparison.{json,csv,md} go (created if needed;\n"
           "                            default: the parent of the AFTER run directory, or the\n"
           "                            directory of an AFTER CSV)\n"
           "  --quiet                   print only the verdict line\n"
           "CI:\n"
           "  --junit FILE              also write the gate as JUnit XML (testsuite \"tailgate\",\n"
           "                            testcases sla_p95, outputs_equal, workload_identical,\n"
           "                            no_failed_inputs and \"slo TEXT\" per --slo; a <failure>\n"
           "                            iff the gate fails)\n"
           "  --step-summary FILE       append comparison.md to FILE (default: the file named\n"
           "                            by $%s, the GitHub Actions job summary)\n"
           "  --no-step-summary         do not append to $%s\n"
           "  -h, --help                this help\n"
           "\n"
           "Statistics: nearest-rank percentiles over the ok inputs' raw rows; deltas After -\n"
           "Before with percentile-bootstrap 95 %% CIs for P50/P95/P99.  SLA met: After P95 <=\n"
           "limit, no failed input, every output equal, identical workload (payload SHA-256,\n"
           "input count, concurrency).  Verdict: PASS when the one-sided Clopper-Pearson upper\n"
           "bound on the share of inputs over the limit (failed = over) is <= 5 %%,\n"
           "INCONCLUSIVE when met but not proven, FAIL when not met.\n"
           "Each --slo the same way on its samples (one per input, failed = over; itl: every\n"
           "gap between content events, pooled): met when AFTER has samples and its pNN <=\n"
           "VALUE (no samples, e.g. itl without stream.jsonl: not met); PASS when the upper\n"
           "bound on the share over VALUE is <= 1 - p.  Both sides are judged and shown; the\n"
           "gate needs every SLO met.  Goodput: ok inputs meeting every --slo and the P95\n"
           "limit per second of wall time (summary.json wall_time_s, else the rows' span).\n"
           "\n"
           "Exit: 0 met (with --strict: PASS), 1 not met or workload mismatch, 2 usage or\n"
           "input error (including an unwritable --junit FILE; a step summary that cannot be\n"
           "written is only a warning).\n",
           defaults.sla_p95_ms, TG_COMPARE_MAX_SLOS, defaults.confidence,
           (unsigned long long)defaults.baseline_concurrency, (unsigned long long)defaults.seed,
           (unsigned long long)defaults.resamples, TG_STEP_SUMMARY_ENV, TG_STEP_SUMMARY_ENV);
}

#define usage_error(...) tg_cli_usage_error("compare", __VA_ARGS__)

/* A bare CSV has no summary: its identity comes from the options. */
static int csv_identity(struct tg_side *s, const char *which, const struct compare_cli *o)
{
    if (s->kind != TG_SIDE_CSV)
        return 0;
    if (!o->baseline_payloads) {
        fprintf(stderr,
                "tailgate compare: %s %s is a bare CSV: its workload identity is unknown; pass "
                "--baseline-payloads FILE (the payloads it sent)\n",
                which, s->path);
        return TG_EXIT_USAGE;
    }
    int rc = tg_sha256_file_hex(o->baseline_payloads, s->payload_sha256);
    if (rc < 0) {
        fprintf(stderr, "tailgate compare: --baseline-payloads %s: %s\n", o->baseline_payloads,
                tg_strerror(rc));
        return TG_EXIT_USAGE;
    }
    s->has_payload_sha = true;
    s->has_concurrency = true;
    s->concurrency = o->baseline_concurrency;
    return 0;
}

static int run_identity_known(const struct tg_side *s, const char *which)
{
    if (s->kind == TG_SIDE_RUN && (!s->has_payload_sha || !s->has_concurrency)) {
        fprintf(stderr, "tailgate compare: %s %s/summary.json lacks %s%s%s: workload identity unknown\n",
                which, s->path, !s->has_payload_sha ? "payload_sha256" : "",
                !s->has_payload_sha && !s->has_concurrency ? " and " : "",
                !s->has_concurrency ? "config.concurrency" : "");
        return TG_EXIT_USAGE;
    }
    return 0;
}

static void default_out_dir(const struct tg_side *after, char *buf, size_t len)
{
    if (after->kind == TG_SIDE_CSV) {
        snprintf(buf, len, "%s", after->dir);
        return;
    }
    snprintf(buf, len, "%s", after->dir);
    char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(buf, len, ".");
    else if (slash == buf)
        buf[1] = '\0';
    else
        *slash = '\0';
}

int tg_cmd_compare(int argc, char **argv)
{
    struct compare_cli o = defaults;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = tg_cli_getopt_long(argc, argv, ":ho:", options)) != -1) {
        uint64_t u;
        switch (c) {
        case 'h':
            help();
            return TG_EXIT_OK;
        case 'o':
            o.out_dir = optarg;
            break;
        case OPT_SLA:
            if (tg_parse_double(optarg, 1e-6, 1e9, &o.sla_p95_ms) < 0)
                return usage_error("--sla-p95 '%s': expected a positive number of ms", optarg);
            break;
        case OPT_SLO: {
            char why[160];
            if (o.nslos == TG_COMPARE_MAX_SLOS)
                return usage_error("--slo '%s': at most %d --slo", optarg, TG_COMPARE_MAX_SLOS);
            if (tg_slo_parse(optarg, &o.slos[o.nslos], why, sizeof why) < 0)
                return usage_error("--slo '%s': %s", optarg, why);
            o.nslos++;
            break;
        }
        case OPT_CONF:
            if (tg_parse_double(optarg, 0.5, 0.999999, &o.confidence) < 0)
                return usage_error("--confidence '%s': expected a number in [0.5, 1), e.g. 0.99", optarg);
            break;
        case OPT_TOL:
            if (tg_tolerance_parse(optarg, &o.tolerance) < 0)
                return usage_error("--output-tolerance '%s': expected T, abs:T or cosine:EPS "
                                   "(non-negative numbers)", optarg);
            break;
        case OPT_OUTPUTS_FROM:
            o.outputs_from = optarg;
            break;
        case OPT_BASE_PAYLOADS:
            o.baseline_payloads = optarg;
            break;
        case OPT_BASE_CONC:
            if (tg_parse_count(optarg, 1, 1000000, &o.baseline_concurrency) < 0)
                return usage_error("--baseline-concurrency '%s': expected a count >= 1", optarg);
            break;
        case OPT_STRICT:
            o.strict = true;
            break;
        case OPT_IGNORE_OUTPUTS:
            o.ignore_outputs = true;
            break;
        case OPT_QUIET:
            o.quiet = true;
            break;
        case OPT_JUNIT:
            if (!*optarg)
                return usage_error("--junit needs a file name%s", "");
            o.junit = optarg;
            break;
        case OPT_STEP_SUMMARY:
            if (!*optarg)
                return usage_error("--step-summary needs a file name%s", "");
            o.step_summary = optarg;
            break;
        case OPT_NO_STEP_SUMMARY:
            o.no_step_summary = true;
            break;
        case OPT_SEED:
            if (tg_parse_count(optarg, 0, UINT64_MAX, &o.seed) < 0)
                return usage_error("--seed '%s': expected a non-negative integer", optarg);
            break;
        case OPT_RESAMPLES:
            if (tg_parse_count(optarg, 100, 1000000, &u) < 0)
                return usage_error("--resamples '%s': expected a count in [100, 1M]", optarg);
            o.resamples = u;
            break;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return usage_error("expected BEFORE and AFTER%s (try --help)",
                           argc - optind < 2 ? "" : ", got more arguments");

    static struct tg_side before, after, ref_run;
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    memset(&ref_run, 0, sizeof ref_run);
    struct tg_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    char err[1024] = "";
    int exit_code = TG_EXIT_USAGE;

    if (tg_side_load(&before, argv[optind], err, sizeof err) < 0 ||
        tg_side_load(&after, argv[optind + 1], err, sizeof err) < 0) {
        fprintf(stderr, "tailgate compare: %s\n", err);
        goto out;
    }
    if ((exit_code = csv_identity(&before, "BEFORE", &o)) ||
        (exit_code = csv_identity(&after, "AFTER", &o)) ||
        (exit_code = run_identity_known(&before, "BEFORE")) ||
        (exit_code = run_identity_known(&after, "AFTER")))
        goto out;
    exit_code = TG_EXIT_USAGE;
    const struct tg_side *ref = &before;
    if (o.outputs_from) {
        if (tg_side_load(&ref_run, o.outputs_from, err, sizeof err) < 0) {
            fprintf(stderr, "tailgate compare: --outputs-from: %s\n", err);
            goto out;
        }
        if (!(ref_run.rows.columns & TG_COL_OUTPUT_HASH)) {
            fprintf(stderr, "tailgate compare: --outputs-from %s: %s has no output_hash column\n",
                    o.outputs_from, ref_run.csv_path);
            goto out;
        }
        /* The reference must have served the same payloads. */
        if (ref_run.has_payload_sha && strcmp(ref_run.payload_sha256, after.payload_sha256)) {
            fprintf(stderr, "tailgate compare: --outputs-from %s: payload_sha256 %.12s… differs "
                            "from AFTER's %.12s…\n",
                    o.outputs_from, ref_run.payload_sha256, after.payload_sha256);
            exit_code = TG_EXIT_FAIL;
            goto out;
        }
        if (ref_run.rows.n != after.rows.n) {
            fprintf(stderr, "tailgate compare: --outputs-from %s: %zu inputs, AFTER has %zu\n",
                    o.outputs_from, ref_run.rows.n, after.rows.n);
            exit_code = TG_EXIT_FAIL;
            goto out;
        }
        ref = &ref_run;
    }
    const struct tg_side *notes[3] = { &before, &after, o.outputs_from ? &ref_run : NULL };
    const char *names[3] = { "BEFORE", "AFTER", "--outputs-from" };
    for (int i = 0; i < 3; i++)
        if (notes[i] && notes[i]->kind == TG_SIDE_RUN && notes[i]->missing[0])
            fprintf(stderr, "tailgate compare: note: %s summary.json has no %s\n", names[i],
                    notes[i]->missing);

    struct tg_compare_opts copts = {
        .sla_p95_ms = o.sla_p95_ms,
        .confidence = o.confidence,
        .tolerance = o.tolerance,
        .seed = o.seed,
        .resamples = (unsigned)o.resamples,
        .ci_level = 0.95,
        .ignore_outputs = o.ignore_outputs,
        .tool_version = TG_VERSION,
        .slos = o.slos,
        .nslos = o.nslos,
    };
    if (tg_compare_build(&before, &after, ref, &copts, &cmp, err, sizeof err) < 0) {
        fprintf(stderr, "tailgate compare: %s\n", err);
        goto out;
    }
    char dir[TG_SIDE_PATH_MAX];
    if (o.out_dir)
        snprintf(dir, sizeof dir, "%s", o.out_dir);
    else
        default_out_dir(&after, dir, sizeof dir);
    if (tg_compare_write_files(dir, &cmp, err, sizeof err) < 0) {
        fprintf(stderr, "tailgate compare: %s\n", err);
        goto out;
    }
    if (o.junit && tg_junit_write_file(o.junit, &cmp, o.strict, err, sizeof err) < 0) {
        fprintf(stderr, "tailgate compare: --junit %s\n", err);
        goto out;
    }
    const char *summary = o.step_summary;
    if (!summary && !o.no_step_summary) {
        summary = getenv(TG_STEP_SUMMARY_ENV);
        if (summary && !*summary)
            summary = NULL;
    }
    if (summary && tg_step_summary_append(summary, &cmp, err, sizeof err) < 0)
        fprintf(stderr, "tailgate compare: warning: step summary not written: %s\n", err);
    char line[2048];
    tg_compare_verdict_line(&cmp, line, sizeof line);
    if (!o.quiet) {
        tg_compare_write_table(stdout, &cmp);
        putchar('\n');
        if (o.nslos)
            tg_compare_write_slo_table(stdout, &cmp);
    }
    printf("%s\n", line);
    fflush(stdout);
    if (!cmp.workload_identical)
        fprintf(stderr, "tailgate compare: workload differs: %s\n", cmp.workload_diff);
    fprintf(stderr, "tailgate compare: wrote %s/comparison.{json,csv,md}\n", dir);
    exit_code = cmp.met && (!o.strict || cmp.verdict == TG_VERDICT_PASS) ? TG_EXIT_OK : TG_EXIT_FAIL;
out:
    tg_compare_free(&cmp);
    tg_side_free(&before);
    tg_side_free(&after);
    tg_side_free(&ref_run);
    return exit_code;
}
