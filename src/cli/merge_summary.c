/*
 * merge_summary.c - summary.json of a merged run: every histogram recorded
 * again from all the rows of the merged requests.csv, exactly as a single
 * run records them (µs, ok inputs), then built and written by the code a
 * single run uses (output/summary.h).  What rows do not carry comes from the
 * shards' own summaries and is exact there: HTTP requests, connections and
 * bytes are sums (an HTTP request belongs to one shard); TLS handshakes are
 * a sum.  Per-event gaps (itl) come from the merged stream.jsonl when the
 * shards saved one.  docs/distributed.md says what is exact.
 */
#include "cli/merge.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/rows.h"
#include "compare/slo_eval.h"
#include "core/error.h"
#include "core/version.h"
#include "engine/engine.h"
#include "output/csv_read.h"
#include "output/summary.h"
#include "stats/hist.h"

#define HIST_MAX_US (3600ULL * 1000 * 1000)
#define LATE_MS 10.0      /* as the engine's late_inputs */

struct acc {
    struct tg_hist *latency, *uncorrected, *phase[TG_PHASE_COUNT], *tls, *ttft, *tpot, *itl;
    uint64_t inputs, ok, failed, by_class[TG_ERRC_COUNT], other_class;
    uint64_t streamed, output_tokens, from_usage;
    uint64_t admitted, late;
    double lag_sum_ms, lag_max_ms;
    double t0_ms, t1_ms;          /* first ready, last output (wall ms) */
    bool open_loop;
};

static void rec_ms(struct tg_hist *h, double ms)
{
    if (isfinite(ms) && ms >= 0)
        tg_hist_record(h, (uint64_t)llround(ms * 1000.0));
}

static void acc_row(struct acc *a, const struct tg_csv_rec *r)
{
    a->inputs++;
    if (isfinite(r->timestamp_ms)) {
        if (!(r->timestamp_ms >= a->t0_ms))
            a->t0_ms = r->timestamp_ms;
        double end = r->timestamp_ms + (isfinite(r->latency_ms) ? r->latency_ms : 0);
        if (!(end <= a->t1_ms))
            a->t1_ms = end;
    }
    /* open loop: latency runs from the intended time, the uncorrected one
     * from the actual start; their difference is the send lag */
    if (a->open_loop && isfinite(r->latency_ms) && isfinite(r->latency_uncorrected_ms)) {
        double lag = fmax(0, r->latency_ms - r->latency_uncorrected_ms);
        a->admitted++;
        a->lag_sum_ms += lag;
        if (lag > a->lag_max_ms)
            a->lag_max_ms = lag;
        if (lag > LATE_MS)
            a->late++;
    }
    if (!r->ok) {
        a->failed++;
        int c = 1;
        for (; c < TG_ERRC_COUNT; c++)
            if (!strcmp(r->error, tg_errc_name((enum tg_errc)c)))
                break;
        if (c < TG_ERRC_COUNT)
            a->by_class[c]++;
        else
            a->other_class++;
        return;
    }
    a->ok++;
    rec_ms(a->latency, r->latency_ms);
    rec_ms(a->uncorrected, r->latency_uncorrected_ms);
    const double ph[TG_PHASE_COUNT] = {
        [TG_PHASE_CLIENT_QUEUE] = r->client_queue_ms, [TG_PHASE_CONNECT] = r->connect_ms,
        [TG_PHASE_TTFB] = r->ttfb_ms, [TG_PHASE_SERVICE] = r->service_ms,
        [TG_PHASE_SERVER_QUEUE] = r->server_queue_ms, [TG_PHASE_SERVER_COMPUTE] = r->server_compute_ms,
        [TG_PHASE_TLS] = r->tls_ms,
    };
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        rec_ms(a->phase[p], ph[p]);
    if (isfinite(r->tls_ms) && r->tls_ms > 0)
        rec_ms(a->tls, r->tls_ms);
    if (isfinite(r->ttft_ms)) {
        a->streamed++;
        rec_ms(a->ttft, r->ttft_ms);
        rec_ms(a->tpot, r->tpot_ms);
        if (r->output_tokens >= 0)
            a->output_tokens += (uint64_t)r->output_tokens;
        if (!strcmp(r->tokens_source, "usage"))
            a->from_usage++;
    }
}

static void acc_free(struct acc *a)
{
    tg_hist_free(a->latency);
    tg_hist_free(a->uncorrected);
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        tg_hist_free(a->phase[p]);
    tg_hist_free(a->tls);
    tg_hist_free(a->ttft);
    tg_hist_free(a->tpot);
    tg_hist_free(a->itl);
}

static int acc_init(struct acc *a)
{
    memset(a, 0, sizeof *a);
    a->t0_ms = a->t1_ms = NAN;
    struct tg_hist **all[] = { &a->latency, &a->uncorrected, &a->tls, &a->ttft, &a->tpot, &a->itl };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!(*all[i] = tg_hist_new(HIST_MAX_US)))
            return TG_ENOMEM;
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        if (!(a->phase[p] = tg_hist_new(HIST_MAX_US)))
            return TG_ENOMEM;
    return 0;
}

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

struct merge_rows {
    struct acc a;
    struct tg_rows rows;        /* the compare view: SLOs and per-event gaps */
};

struct merge_rows *tg_merge_rows_new(const json_t *summary0)
{
    struct merge_rows *mr = calloc(1, sizeof *mr);
    if (!mr)
        return NULL;
    if (acc_init(&mr->a)) {
        tg_merge_rows_free(mr);
        return NULL;
    }
    double rate = jnum(json_object_get(summary0, "config"), "rate");
    mr->a.open_loop = isfinite(rate) && rate > 0;
    return mr;
}

int tg_merge_rows_add(struct merge_rows *mr, const struct tg_csv_rec *rec, const char *name, char *err,
                      size_t errlen)
{
    acc_row(&mr->a, rec);
    return tg_rows_add(&mr->rows, rec, name, err, errlen);
}

void tg_merge_rows_columns(struct merge_rows *mr, unsigned columns)
{
    mr->rows.columns = columns;
}

void tg_merge_rows_free(struct merge_rows *mr)
{
    if (!mr)
        return;
    acc_free(&mr->a);
    tg_rows_free(&mr->rows);
    free(mr);
}

static uint64_t sum_count(struct merge_shard *const *s, uint64_t n, const char *obj, const char *key)
{
    uint64_t t = 0;
    for (uint64_t k = 0; k < n; k++) {
        json_t *v = json_object_get(json_object_get(s[k]->summary, obj), key);
        if (json_is_integer(v) && json_integer_value(v) > 0)
            t += (uint64_t)json_integer_value(v);
    }
    return t;
}

/* The "shards" section: each shard's own figures, for the reader who wants
 * to see skew or an unbalanced shard (never used for the merged figures). */
static json_t *shards_json(struct merge_shard *const *s, uint64_t n)
{
    json_t *a = json_array();
    for (uint64_t k = 0; a && k < n; k++) {
        const json_t *counts = json_object_get(s[k]->summary, "counts");
        const json_t *env = json_object_get(s[k]->summary, "environment");
        const json_t *host = json_object_get(env, "hostname");
        double skew = s[k]->m.has_skew ? s[k]->m.start_skew_ms : NAN, wall = jnum(s[k]->summary, "wall_time_s");
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:I, s:O, s:O, s:o, s:o, s:o}", "shard_index", (json_int_t)k, "dir", s[k]->dir,
                         "rows", (json_int_t)s[k]->m.rows, "ok", json_object_get(counts, "ok"), "failed",
                         json_object_get(counts, "failed"), "start_skew_ms",
                         isfinite(skew) ? json_real(skew) : json_null(), "wall_time_s",
                         isfinite(wall) ? json_real(wall) : json_null(), "hostname",
                         json_is_string(host) ? json_copy((json_t *)host) : json_null()));
    }
    return a;
}

int tg_merge_summary(const char *out_dir, const char *stream_path, struct merge_rows *mr,
                     struct merge_shard *const *shards, uint64_t n, char *err, size_t errlen)
{
    const json_t *s0 = shards[0]->summary;
    json_t *config = json_deep_copy(json_object_get(s0, "config"));
    if (!json_is_object(config)) {
        json_decref(config);
        snprintf(err, errlen, "%s/summary.json has no config object", shards[0]->dir);
        return TG_EINVAL;
    }
    json_object_del(config, "shard_index");
    json_object_set_new(config, "out_dir", json_string(out_dir));

    struct acc *a = &mr->a;
    struct tg_rows *rows = &mr->rows;
    double *gaps = NULL;
    size_t ngaps = 0;
    bool have_gaps = false;
    /* sorted by request_id, as tg_rows_parse leaves them (merge.c has
     * refused a duplicate already, naming its two shards) */
    int rc = tg_rows_finish(rows, "requests.csv", err, errlen);
    if (rc)
        goto done_gaps;
    /* per-event gaps: from the merged stream file */
    if (stream_path && (rc = tg_slo_stream_gaps(rows, stream_path, &gaps, &ngaps, &have_gaps, err, errlen)))
        goto done_gaps;
    for (size_t i = 0; i < ngaps; i++)
        rec_ms(a->itl, gaps[i]);

    double wall_s = isfinite(a->t0_ms) && isfinite(a->t1_ms) ? (a->t1_ms - a->t0_ms) / 1000.0 : 0;
    struct tg_slo slos[TG_SLO_MAX];
    const char *slo_texts[TG_SLO_MAX];
    size_t nslos = 0;
    const json_t *jslos = json_object_get(config, "slos");
    double conf = jnum(config, "slo_confidence");
    for (size_t i = 0; i < json_array_size(jslos) && nslos < TG_SLO_MAX; i++) {
        const char *t = json_string_value(json_array_get(jslos, i));
        char why[200];
        if (t && tg_slo_parse(t, &slos[nslos], why, sizeof why) == 0)
            slo_texts[nslos] = t, nslos++;
    }
    struct tg_slo_eval ev = { 0 };
    json_t *slos_json = NULL;
    uint64_t good = a->ok;
    if (nslos) {
        if ((rc = tg_slo_eval_gaps(rows, gaps, ngaps, have_gaps, slos, nslos, isfinite(conf) ? conf : 0.99, wall_s,
                                   &ev, err, errlen)))
            goto done_gaps;
        slos_json = tg_slo_eval_json(&ev, isfinite(conf) ? conf : 0.99);
        good = ev.good;
    }

    struct tg_summary_class classes[TG_ERRC_COUNT + 1];
    size_t nclasses = 0;
    for (int c = 1; c < TG_ERRC_COUNT; c++)
        classes[nclasses++] = (struct tg_summary_class){ tg_errc_name((enum tg_errc)c), a->by_class[c] };
    if (a->other_class)
        classes[nclasses++] = (struct tg_summary_class){ "other", a->other_class };
    const struct tg_hist *phases[TG_PHASE_COUNT];
    for (int p = 0; p < TG_PHASE_COUNT; p++)
        phases[p] = a->phase[p];
    const char *started_at = NULL;
    bool interrupted = false;
    for (uint64_t k = 0; k < n; k++) {
        const char *st = json_string_value(json_object_get(shards[k]->summary, "started_at"));
        if (st && (!started_at || strcmp(st, started_at) < 0))
            started_at = st;
        interrupted |= json_is_true(json_object_get(shards[k]->summary, "interrupted"));
    }
    const json_t *tls0 = json_object_get(s0, "tls");
    struct tg_summary sum = {
        .tool_version = TG_VERSION,
        .config = config,
        .payload_sha256 = shards[0]->m.payload_sha256,
        .inputs = a->inputs, .ok = a->ok, .failed = a->failed,
        .classes = classes, .nclasses = nclasses,
        .http_requests = sum_count(shards, n, "counts", "http_requests"),
        .connections_opened = sum_count(shards, n, "counts", "connections_opened"),
        .bytes_out = sum_count(shards, n, "counts", "bytes_out"),
        .bytes_in = sum_count(shards, n, "counts", "bytes_in"),
        .latency = a->latency, .latency_uncorrected = a->open_loop ? a->uncorrected : NULL,
        .phase_names = tg_phase_names, .phases = phases, .nphases = TG_PHASE_COUNT,
        .wall_time_s = wall_s,
        .open_loop = a->open_loop,
        .late_inputs = a->late,
        .max_lag_ms = a->lag_max_ms,
        .mean_lag_ms = a->admitted ? a->lag_sum_ms / (double)a->admitted : 0,
        .interrupted = interrupted,
        .started_at = started_at,
        .tls = json_is_object(tls0),
        .tls_handshakes = sum_count(shards, n, "tls", "handshakes"),
        .tls_handshake = a->tls,
        .tls_protocol = json_string_value(json_object_get(tls0, "protocol")),
        .tls_cipher = json_string_value(json_object_get(tls0, "cipher")),
        .streamed = a->streamed,
        .ttft = a->ttft, .tpot = a->tpot, .itl = a->itl,
        .output_tokens = a->output_tokens,
        .tokens_from_usage = a->from_usage,
        .slos = slos_json,
        .slo_texts = slo_texts, .nslos = nslos,
        .goodput_inputs = good,
    };
    json_t *doc = tg_summary_build(&sum);
    if (!doc) {
        rc = TG_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto done_slos;
    }
    /* the machine is the shards', not the merging one's */
    json_t *env = json_object_get(s0, "environment");
    if (json_is_object(env))
        json_object_set(doc, "environment", env);
    json_object_set_new(doc, "shards", shards_json(shards, n));
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", out_dir);
    if ((rc = tg_summary_write(path, doc)))
        snprintf(err, errlen, "cannot write %s: %s", path, tg_strerror(rc));
    json_decref(doc);
done_slos:
    json_decref(slos_json);
done_gaps:
    free(gaps);
    json_decref(config);
    return rc;
}
