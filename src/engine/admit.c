/*
 * admit.c - admission of inputs, request slots and batching: an admitted
 * input is sent at once as its prebuilt request, or joins its group's batch,
 * which becomes one request through the dialect's build_batch.
 */
#include "engine/worker_internal.h"

#include "api/api.h"
#include "core/time.h"
#include "engine/fault.h"
#include "stats/hist.h"

#include <string.h>

#define LATE_NS (10 * TG_NS_PER_MS)

/* "<run_token>-<id as 12 lowercase hex>", by hand: it runs for every request. */
static void put_xid(char *out, const char *token, uint64_t id)
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, token, 8);
    out[8] = '-';
    for (int i = 11; i >= 0; i--) {
        out[9 + i] = hex[id & 15];
        id >>= 4;
    }
    out[TG_WK_XID_LEN] = '\0';
}

#define NO_SLOT "no free request slot (an accounting bug of the engine)"

/* A request slot, or NULL when none is free: that cannot happen (one slot
 * per input slot), but the callers fail their inputs rather than lose them. */
static struct req *req_alloc(struct worker *w)
{
    uint32_t i = w->free_req;
    if (i == TG_WK_NONE || tg_fault(TG_FAULT_REQ_ALLOC))
        return NULL;
    struct req *r = &w->reqs[i];
    w->free_req = r->next_free;
    memset(r->t, 0, sizeof r->t);
    r->n = 0;
    r->bytes_in = 0;
    r->status = 0;
    r->sq = r->sc = -1;
    r->connect_ns = 0;
    r->tls_ns = 0;
    r->woff = 0;
    r->stream = NULL;
    r->http_id = w->http_seq++ * w->count + w->index;
    if (w->cfg->request_ids)
        put_xid(r->xid, w->cfg->run_token, r->http_id);
    else
        r->xid[0] = '\0';
    return r;
}

void tg_wk_req_free(struct worker *w, struct req *r)
{
    r->state = REQ_FREE;
    r->next_free = w->free_req;
    w->free_req = (uint32_t)(r - w->reqs);
}

void tg_wk_req_fail(struct worker *w, struct req *r, enum tg_errc errc, const char *detail)
{
    req_set_state(w, r, REQ_DONE);
    r->t[REQ_DONE] = 0;   /* no last byte: service time stays empty */
    for (uint32_t k = 0; k < r->n; k++)
        tg_wk_finish_input(w, r->inputs[k], r, errc, detail, NULL, NULL, 0);
    tg_wk_req_free(w, r);
}

static void send_single(struct worker *w, uint32_t slot)
{
    struct req *r = req_alloc(w);
    if (!r) {
        tg_wk_finish_input(w, slot, NULL, TG_ERRC_WRITE, NO_SLOT, NULL, NULL, 0);
        return;
    }
    struct input *in = &w->inputs[slot];
    r->inputs[0] = slot;
    r->n = 1;
    r->batched = false;
    const struct tg_buf *pb = &w->sh->prebuilt[in->payload];
    r->wlen = pb->len;
    if (w->cfg->request_ids) {
        /* the prebuilt bytes around a placeholder, and this request's id in its place: no copy */
        size_t off = w->sh->xid_off;
        r->seg[0] = (struct iovec){ pb->data, off };
        r->seg[1] = (struct iovec){ r->xid, TG_WK_XID_LEN };
        r->seg[2] = (struct iovec){ pb->data + off + TG_WK_XID_LEN, pb->len - off - TG_WK_XID_LEN };
        r->nseg = 3;
    } else {
        r->seg[0] = (struct iovec){ pb->data, pb->len };
        r->nseg = 1;
    }
    tg_wk_dispatch(w, r);
}

void tg_wk_send_batch(struct worker *w, uint32_t model)
{
    const struct tg_engine_config *cfg = w->cfg;
    uint32_t n = tg_batcher_take(&w->batcher, model, w->take);
    if (!n)
        return;
    struct req *r = req_alloc(w);
    if (!r) {
        for (uint32_t k = 0; k < n; k++)
            tg_wk_finish_input(w, w->take[k], NULL, TG_ERRC_WRITE, NO_SLOT, NULL, NULL, 0);
        return;
    }
    memcpy(r->inputs, w->take, n * sizeof *r->inputs);
    r->n = n;
    r->batched = true;
    r->model = model;
    const char *items[n];
    size_t lens[n];
    for (uint32_t k = 0; k < n; k++) {
        const struct tg_payload *pl = &cfg->payloads->items[w->inputs[w->take[k]].payload];
        items[k] = pl->item;
        lens[k] = pl->item_len;
    }
    tg_buf_reset(&r->body);
    tg_buf_reset(&r->wire);
    int rc = cfg->api->build_batch(&r->body, cfg->payloads->groups[model], items, lens, n);
    const struct tg_http_kv *hdrs = cfg->headers;
    size_t nh = cfg->nheaders;
    if (cfg->request_ids) {
        w->hdrs[nh].value = r->xid;
        hdrs = w->hdrs;
        nh++;
    }
    if (!rc)
        rc = tg_http_write_request(&r->wire, "POST", &cfg->url, hdrs, nh, r->body.data, r->body.len,
                                   cfg->keepalive);
    if (rc) {
        w->st.http_requests++;
        tg_wk_req_fail(w, r, TG_ERRC_WRITE, "out of memory building the batch request");
        return;
    }
    r->seg[0] = (struct iovec){ r->wire.data, r->wire.len };
    r->nseg = 1;
    r->wlen = r->wire.len;
    tg_wk_dispatch(w, r);
}

void tg_wk_admit(struct worker *w, uint64_t id, uint64_t intended)
{
    uint32_t slot = w->free_input;
    struct input *in = &w->inputs[slot];
    w->free_input = in->next_free;
    w->in_flight++;
    /* open loop: the time now, not the pump's, so a burst's later inputs show their lag */
    uint64_t now = w->sched.open ? tg_loop_update_now(w->loop) : tg_loop_now(w->loop);
    in->id = id;
    in->payload = (uint32_t)(id % w->cfg->payloads->n);
    in->ready_ns = intended;
    in->start_ns = now;
    if (w->sched.open) {
        uint64_t lag = now > intended ? now - intended : 0;
        w->st.lag_sum_ns += (double)lag;
        if (lag > w->st.max_lag_ns)
            w->st.max_lag_ns = lag;
        if (lag > LATE_NS)
            w->st.late_inputs++;
        bool capped = tg_sched_cap_waited(&w->sched, intended);
        tg_hist_record(w->st.send_lag, lag / 1000);
        w->st.cap_waited += capped;
        if (lag > TG_ENGINE_LAG_LATE_NS) {
            w->st.lag_late++;
            w->st.lag_late_cap += capped;
        }
        if (!w->st.started_first_ns) {
            w->st.intended_first_ns = intended;
            w->st.started_first_ns = now;
        }
        w->st.intended_last_ns = intended;
        w->st.started_last_ns = now;
    }
    if (w->cfg->batch <= 1) {
        send_single(w, slot);
        return;
    }
    uint32_t model = w->cfg->payloads->items[in->payload].group;
    if (tg_batcher_add(&w->batcher, model, slot, intended))
        tg_wk_send_batch(w, model);
}
