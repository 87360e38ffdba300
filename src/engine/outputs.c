/*
 * outputs.c - the end of an input: a response's status and outputs become
 * each input's row (through the dialect's split), and a finished input is
 * counted in the worker's statistics.
 */
#include "engine/worker_internal.h"

#include "api/api.h"
#include "core/error.h"
#include "core/time.h"
#include "stats/hist.h"

#include <stdio.h>

static const char *const errc_names[TG_ERRC_COUNT] = {
    "", "connect", "read", "write", "timeout", "status", "parse", "output", "closed", "interrupted", "tls",
};

const char *tg_errc_name(enum tg_errc c) { return c < TG_ERRC_COUNT ? errc_names[c] : "?"; }

/* ---- rows ------------------------------------------------------------------ */

/* one REALTIME read per row would do too; this keeps rows consistent with each other */
static _Thread_local int64_t wall0;
static _Thread_local uint64_t mono0;

void tg_wk_wall_anchor(void)
{
    if (!mono0) {
        mono0 = tg_now_ns();
        wall0 = tg_wall_ms();
    }
}

static int64_t wall_ms_of(uint64_t mono_ns)
{
    tg_wk_wall_anchor();
    return wall0 + ((int64_t)mono_ns - (int64_t)mono0) / (int64_t)TG_NS_PER_MS;
}

static void record_phase(struct worker *w, int phase, int64_t ns)
{
    if (ns >= 0)
        tg_hist_record(w->st.phase[phase], (uint64_t)ns / 1000);
}

void tg_wk_finish_input(struct worker *w, uint32_t i, struct req *r, enum tg_errc errc,
                        const char *detail, const char *hash, const char *out, size_t outlen)
{
    struct input *in = &w->inputs[i];
    uint64_t now = tg_loop_now(w->loop);
    struct tg_input_result res = {
        .request_id = in->id,
        .timestamp_ms = wall_ms_of(in->ready_ns),
        .latency_ns = now - in->ready_ns,
        .latency_uncorrected_ns = now - in->start_ns,
        .ok = errc == TG_ERRC_NONE,
        .client_queue_ns = -1, .connect_ns = -1, .tls_ns = -1, .ttfb_ns = -1, .service_ns = -1,
        .server_queue_ms = -1, .server_compute_ms = -1,
        .output_hash = hash, .output_json = out, .output_len = outlen,
        .errc = errc, .error_detail = detail ? detail : "", .worker = w->index,
        .ttft_ns = -1, .tpot_ms = -1, .itl_max_ns = -1,
    };
    if (r) {
        res.sent = true;
        res.http_request_id = r->http_id;
        res.batch_size = r->n;
        res.status = r->status;
        res.bytes_in = r->bytes_in;
        res.server_queue_ms = r->sq;
        res.server_compute_ms = r->sc;
        if (r->xid[0])
            res.x_request_id = r->xid;
        if (r->stream)
            tg_wk_stream_fill(w, r->stream, in->ready_ns, &res);
        if (r->t[REQ_WRITING]) {
            uint64_t ws = r->t[REQ_WRITING];
            res.send_ns = ws;
            res.client_queue_ns = (int64_t)(ws - in->ready_ns);
            res.connect_ns = (int64_t)r->connect_ns;
            res.tls_ns = (int64_t)r->tls_ns;
            res.bytes_out = r->woff;
            if (r->t[REQ_READING])
                res.ttfb_ns = (int64_t)(r->t[REQ_READING] - ws);
            if (r->t[REQ_DONE])
                res.service_ns = (int64_t)(r->t[REQ_DONE] - ws);
        }
    }
    w->cfg->on_result(w->cfg->worker_ctx[w->index], &res);

    w->st.inputs++;
    if (res.ok) {
        w->st.ok++;
        tg_hist_record(w->st.latency, res.latency_ns / 1000);
        tg_hist_record(w->st.latency_uncorrected, res.latency_uncorrected_ns / 1000);
        record_phase(w, TG_PHASE_CLIENT_QUEUE, res.client_queue_ns);
        record_phase(w, TG_PHASE_CONNECT, res.connect_ns);
        if (w->cfg->tls)
            record_phase(w, TG_PHASE_TLS, res.tls_ns);
        record_phase(w, TG_PHASE_TTFB, res.ttfb_ns);
        record_phase(w, TG_PHASE_SERVICE, res.service_ns);
        if (res.server_queue_ms >= 0)
            record_phase(w, TG_PHASE_SERVER_QUEUE, (int64_t)(res.server_queue_ms * 1e6));
        if (res.server_compute_ms >= 0)
            record_phase(w, TG_PHASE_SERVER_COMPUTE, (int64_t)(res.server_compute_ms * 1e6));
        if (res.streamed)
            tg_wk_stream_record(w, r->stream, &res);
    } else {
        w->st.by_class[errc]++;
        if (!w->st.first_error[0] && errc != TG_ERRC_INTERRUPTED)
            snprintf(w->st.first_error, sizeof w->st.first_error, "%s", res.error_detail);
        atomic_store_explicit(&w->failed, atomic_load_explicit(&w->failed, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    atomic_store_explicit(&w->done, w->st.inputs, memory_order_relaxed);
    in->next_free = w->free_input;
    w->free_input = i;
    w->in_flight--;
}

void tg_worker_emit_unsent(const struct tg_engine_config *cfg, void *ctx, uint64_t id, uint64_t start_ns)
{
    (void)start_ns;
    /* Never ready: stamped with the time the run stopped, so row-based wall times stay sane. */
    struct tg_input_result res = {
        .request_id = id, .timestamp_ms = tg_wall_ms(), .client_queue_ns = -1, .connect_ns = -1, .tls_ns = -1,
        .ttfb_ns = -1, .service_ns = -1, .server_queue_ms = -1, .server_compute_ms = -1,
        .errc = TG_ERRC_INTERRUPTED, .error_detail = "never started",
        .ttft_ns = -1, .tpot_ms = -1, .itl_max_ns = -1,
    };
    cfg->on_result(ctx, &res);
}

/* ---- responses --------------------------------------------------------------- */

static int on_output(void *ctx, size_t i, const char *canon, size_t len, const char *hex)
{
    struct worker *w = ctx;
    struct req *r = w->cur_req;
    /* Outputs arrive in input order; the split reports an error before any
     * output when the count is wrong, so emitted == i here. */
    tg_wk_finish_input(w, r->inputs[i], r, TG_ERRC_NONE, NULL, hex, w->cfg->keep_outputs ? canon : NULL, len);
    w->emitted++;
    return 0;
}

/* A timing header's value as ms: digits with an optional fraction (TEI sends
 * integer ms).  -1 when absent or not such a number. */
static double header_ms(const char *v, size_t n)
{
    if (!v || n == 0 || n > 24)
        return -1;
    double ms = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)v[i] - '0';
        if (v[i] == '.' && scale == 0 && i > 0) {
            scale = 1;
            continue;
        }
        if (d > 9)
            return -1;
        if (scale > 0)
            ms += d * (scale /= 10);
        else
            ms = ms * 10 + d;
    }
    return v[n - 1] == '.' ? -1 : ms;
}

/* Server queue/compute of a response: Server-Timing when it has any, else the
 * dialect's timing headers (watched by the parser). */
static void server_timing(struct worker *w, struct req *r, const struct tg_http_response *resp)
{
    r->sq = resp->server_queue_ms;
    r->sc = resp->server_compute_ms;
    if (r->sq >= 0 || r->sc >= 0) {
        w->st.timing_server_timing++;
        return;
    }
    if (!w->watchp)
        return;
    r->sq = header_ms(resp->watched[TG_WK_WATCH_QUEUE], resp->watched_len[TG_WK_WATCH_QUEUE]);
    r->sc = header_ms(resp->watched[TG_WK_WATCH_COMPUTE], resp->watched_len[TG_WK_WATCH_COMPUTE]);
    if (r->sq >= 0 || r->sc >= 0)
        w->st.timing_headers++;
}

/* w->detail for a non-2xx response: status, reason and the server's own
 * message (tg_api_read_error), one line. */
static void status_detail(struct worker *w, const struct tg_http_response *resp, const char *body, size_t len)
{
    int rl = (int)(resp->reason_len > 60 ? 60 : resp->reason_len);
    const char *reason = resp->reason ? resp->reason : "";
    struct tg_api_error e;
    tg_api_read_error(w->cfg->api, resp->status, body, len, &e);
    if (!e.message[0]) {
        snprintf(w->detail, sizeof w->detail, "HTTP %d %.*s", resp->status, rl, reason);
        return;
    }
    for (char *p = e.message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    snprintf(w->detail, sizeof w->detail, "HTTP %d%s%.*s: %.120s", resp->status, rl ? " " : "", rl, reason,
             e.message);
}

void tg_wk_report_response(struct worker *w, struct req *r, const struct tg_http_response *resp,
                           const char *body, size_t len)
{
    const struct tg_engine_config *cfg = w->cfg;
    r->status = resp->status;
    server_timing(w, r, resp);
    if (resp->status < 200 || resp->status > 299) {
        status_detail(w, resp, body, len);
        for (uint32_t k = 0; k < r->n; k++)
            tg_wk_finish_input(w, r->inputs[k], r, TG_ERRC_STATUS, w->detail, NULL, NULL, 0);
    } else if (r->stream) {
        tg_wk_stream_finish(w, r);
    } else if (!cfg->parse_outputs) {
        for (uint32_t k = 0; k < r->n; k++)
            tg_wk_finish_input(w, r->inputs[k], r, TG_ERRC_NONE, NULL, NULL, NULL, 0);
    } else {
        w->cur_req = r;
        w->emitted = 0;
        int rc = cfg->api->split(body, len, r->batched, r->n, on_output, w, w->detail, sizeof w->detail);
        if (rc) {
            if (rc == TG_ENOMEM)
                snprintf(w->detail, sizeof w->detail, "out of memory hashing outputs");
            for (uint32_t k = w->emitted; k < r->n; k++)
                tg_wk_finish_input(w, r->inputs[k], r, TG_ERRC_OUTPUT, w->detail, NULL, NULL, 0);
        }
    }
}
