/*
 * compare.c - Before/After statistics, identity, outputs, the SLA and --slo
 * gate, and the files.  The renderers are in compare_write.c.
 */
#include "compare/compare.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare/compare_slo.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/time.h"

/* ---- building ----------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int side_stats(const struct tg_side *s, struct tg_side_stats *st)
{
    const struct tg_rows *r = &s->rows;
    snprintf(st->source, sizeof st->source, "%s", s->path);
    st->kind = tg_side_kind_name(s);
    st->inputs = r->n;
    st->ok_ms = malloc((r->n ? r->n : 1) * sizeof *st->ok_ms);
    st->all_ms = malloc((r->n ? r->n : 1) * sizeof *st->all_ms);
    uint64_t *ids = malloc((r->n ? r->n : 1) * sizeof *ids);
    if (!st->ok_ms || !st->all_ms || !ids) {
        free(ids);
        return TG_ENOMEM;
    }
    size_t nids = 0;
    double t0 = INFINITY, t1 = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const struct tg_row *row = &r->rows[i];
        if (row->ok) {
            st->ok_ms[st->ok++] = row->latency_ms;
            st->all_ms[i] = row->latency_ms;
        } else {
            st->failed++;
            st->all_ms[i] = INFINITY;
            const char *name = r->classes[row->error_class];
            size_t k = 0;
            while (k < st->nclasses && strcmp(st->classes[k].name, name))
                k++;
            if (k == st->nclasses && k < TG_ROWS_MAX_CLASSES) {
                snprintf(st->classes[k].name, sizeof st->classes[k].name, "%s", name);
                st->nclasses++;
            }
            if (k < st->nclasses)
                st->classes[k].count++;
        }
        if (row->has_http_id)
            ids[nids++] = row->http_request_id;
        if (isfinite(row->timestamp_ms)) {
            if (row->timestamp_ms < t0)
                t0 = row->timestamp_ms;
            double end = row->timestamp_ms + (isfinite(row->latency_ms) ? row->latency_ms : 0);
            if (end > t1)
                t1 = end;
        }
    }
    if (r->columns & TG_COL_HTTP_REQUEST_ID) {
        qsort(ids, nids, sizeof *ids, cmp_u64);
        for (size_t i = 0; i < nids; i++)
            st->http_requests += i == 0 || ids[i] != ids[i - 1];
    } else {
        st->http_requests = r->n;   /* input.py: one request per input */
    }
    free(ids);
    int rc = tg_summary_stats(st->ok_ms, st->ok, &st->lat);
    if (rc < 0)
        return rc;
    if (isfinite(s->wall_time_s)) {
        st->wall_time_s = s->wall_time_s;
        st->wall_time_source = "summary";
    } else if (t1 > t0) {
        st->wall_time_s = (t1 - t0) / 1000.0;
        st->wall_time_source = "rows";
    } else {
        st->wall_time_s = NAN;
        st->wall_time_source = "unknown";
    }
    st->throughput_ips = st->wall_time_s > 0 ? (double)st->inputs / st->wall_time_s : NAN;
    return 0;
}

static void identity(const struct tg_side *s, struct tg_identity *id)
{
    id->known = s->has_payload_sha && s->has_concurrency;
    snprintf(id->payload_sha256, sizeof id->payload_sha256, "%s",
             s->has_payload_sha ? s->payload_sha256 : "");
    id->inputs = s->rows.n;
    id->concurrency = s->has_concurrency ? s->concurrency : 0;
}

static void add_reason(struct tg_comparison *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_reason(struct tg_comparison *c, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    tg_str_appendf(c->reasons, sizeof c->reasons, "%s%s", c->reasons[0] ? "; " : "", tmp);
}

int tg_compare_build(const struct tg_side *before, const struct tg_side *after,
                     const struct tg_side *ref, const struct tg_compare_opts *opts,
                     struct tg_comparison *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->opts = *opts;
    int rc;
    if ((rc = side_stats(before, &c->before)) < 0 || (rc = side_stats(after, &c->after)) < 0) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }

    /* deltas with bootstrap CIs over the ok latencies */
    struct { double p; struct tg_ci *ci; } cis[] = {
        { 50, &c->ci_p50 }, { 95, &c->ci_p95 }, { 99, &c->ci_p99 },
    };
    for (size_t i = 0; i < sizeof cis / sizeof cis[0]; i++) {
        rc = tg_bootstrap_delta_ci(c->before.ok_ms, c->before.ok, c->after.ok_ms, c->after.ok,
                                   cis[i].p, opts->resamples, opts->ci_level, opts->seed, cis[i].ci);
        if (rc < 0) {
            snprintf(err, errlen, "bootstrap: %s", tg_strerror(rc));
            return rc;
        }
    }

    /* workload identity */
    identity(before, &c->id_before);
    identity(after, &c->id_after);
    c->workload_identical = c->id_before.known && c->id_after.known;
    if (!c->id_before.known || !c->id_after.known) {
        tg_str_appendf(c->workload_diff, sizeof c->workload_diff, "identity unknown for %s",
                !c->id_before.known ? "BEFORE" : "AFTER");
    } else {
        if (strcmp(c->id_before.payload_sha256, c->id_after.payload_sha256)) {
            c->workload_identical = false;
            tg_str_appendf(c->workload_diff, sizeof c->workload_diff, "payload_sha256 %.12s… vs %.12s…",
                    c->id_before.payload_sha256, c->id_after.payload_sha256);
        }
        if (c->id_before.inputs != c->id_after.inputs) {
            c->workload_identical = false;
            tg_str_appendf(c->workload_diff, sizeof c->workload_diff, "%sinputs %llu vs %llu",
                    c->workload_diff[0] ? "; " : "", (unsigned long long)c->id_before.inputs,
                    (unsigned long long)c->id_after.inputs);
        }
        if (c->id_before.concurrency != c->id_after.concurrency) {
            c->workload_identical = false;
            tg_str_appendf(c->workload_diff, sizeof c->workload_diff, "%sconcurrency %llu vs %llu",
                    c->workload_diff[0] ? "; " : "",
                    (unsigned long long)c->id_before.concurrency,
                    (unsigned long long)c->id_after.concurrency);
        }
    }

    /* outputs */
    snprintf(c->outputs_reference, sizeof c->outputs_reference, "%s", ref->path);
    rc = tg_outputs_compare(&ref->rows, &after->rows, &opts->tolerance, ref->save_outputs,
                            after->save_outputs, &c->outputs, err, errlen);
    if (rc < 0)
        return rc;
    c->outputs_compared = c->outputs.compared > 0;

    /* the gate */
    rc = tg_sla_verdict(c->after.all_ms, c->after.inputs, opts->sla_p95_ms, opts->confidence,
                        &c->sla);
    if (rc < 0) {
        snprintf(err, errlen, "SLA verdict: %s", tg_strerror(rc));
        return rc;
    }
    if (c->after.inputs == 0)
        add_reason(c, "no After inputs");
    if (c->after.failed)
        add_reason(c, "%zu failed input%s", c->after.failed, c->after.failed == 1 ? "" : "s");
    if (c->after.ok == 0)
        add_reason(c, "no successful After input");
    else if (!(c->after.lat.p95 <= opts->sla_p95_ms))
        add_reason(c, "after P95 %.1f ms > %g ms", c->after.lat.p95, opts->sla_p95_ms);
    if (!opts->ignore_outputs) {
        if (!c->outputs_compared)
            add_reason(c, "outputs not compared (%s)",
                       c->outputs.ref_hashes == 0 && c->outputs.after_hashes == 0
                           ? "no output hashes on either side"
                           : c->outputs.ref_hashes == 0 ? "the reference has no output hashes; use --outputs-from RUN"
                                                        : "After has no output hashes");
        else if (c->outputs.different && c->outputs.missing)
            add_reason(c, "%zu different and %zu missing outputs", c->outputs.different,
                       c->outputs.missing);
        else if (c->outputs.different)
            add_reason(c, "%zu different output%s", c->outputs.different,
                       c->outputs.different == 1 ? "" : "s");
        else if (c->outputs.missing)
            add_reason(c, "%zu missing output%s", c->outputs.missing,
                       c->outputs.missing == 1 ? "" : "s");
    }
    if (!c->workload_identical)
        add_reason(c, "workload differs: %s", c->workload_diff);
    if ((rc = tg_compare_slos_build(before, after, c, err, errlen)) < 0)
        return rc;
    c->met = c->reasons[0] == '\0';
    enum tg_verdict slos = tg_compare_slos_verdict(c);
    if (!c->met || c->sla.verdict == TG_VERDICT_FAIL || slos == TG_VERDICT_FAIL)
        c->verdict = TG_VERDICT_FAIL;
    else if (c->sla.verdict == TG_VERDICT_PASS && slos == TG_VERDICT_PASS)
        c->verdict = TG_VERDICT_PASS;
    else
        c->verdict = TG_VERDICT_INCONCLUSIVE;
    return 0;
}

void tg_compare_free(struct tg_comparison *c)
{
    if (!c)
        return;
    free(c->before.ok_ms);
    free(c->before.all_ms);
    free(c->after.ok_ms);
    free(c->after.all_ms);
    c->before.ok_ms = c->before.all_ms = c->after.ok_ms = c->after.all_ms = NULL;
}

/* ---- files -------------------------------------------------------------- */

static int write_atomic(const char *dir, const char *name, const struct tg_comparison *c,
                        int (*writer)(FILE *, const struct tg_comparison *), char *err,
                        size_t errlen)
{
    char path[TG_PATH_MAX];
    struct tg_atomic_file a;
    int rc = snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path
                 ? TG_ETOOBIG
                 : tg_atomic_open(&a, path);
    if (rc == 0) {
        rc = writer(a.f, c);
        if (rc < 0)
            tg_atomic_abort(&a);
        else
            rc = tg_atomic_commit(&a);
    }
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
    return rc;
}

int tg_compare_write_files(const char *dir, const struct tg_comparison *c, char *err,
                           size_t errlen)
{
    int rc = tg_mkdir_p(dir);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", dir, tg_strerror(rc));
        return rc;
    }
    if ((rc = write_atomic(dir, "comparison.json", c, tg_compare_write_json, err, errlen)) < 0 ||
        (rc = write_atomic(dir, "comparison.csv", c, tg_compare_write_csv, err, errlen)) < 0 ||
        (rc = write_atomic(dir, "comparison.md", c, tg_compare_write_md, err, errlen)) < 0)
        return rc;
    return 0;
}
