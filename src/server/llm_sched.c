/*
 * llm_sched.c - the continuous-batching scheduler as a pure state machine
 * (see llm.h): FCFS admission under max_num_seqs and a KV-cache budget in
 * tokens, preemption by recompute of the newest running sequence (as vLLM
 * v0's scheduler does when a decode step cannot get a slot), and one token
 * per running sequence per step.
 */
#include "server/llm.h"

#include "core/error.h"

#include <math.h>
#include <string.h>

/* Sources and arithmetic: docs/server.md, "The placeholder LLM". */
const struct tg_llm_config tg_llm_defaults = {
    .step_a_ms = 11.0,
    .step_b_ms = 0.17,
    .step_c_ms = 0.08,
    .max_num_seqs = 256,
    .kv_tokens = 120000,
    .max_model_len = 4096,
    .max_tokens_default = 256,
    .preempt = 1,
    .seed = 42,
    .max_waiting = 4096,
};

static int cost_ok(double v) { return isfinite(v) && v >= 0 && v <= 1e6; }

int tg_llm_config_check(const struct tg_llm_config *c)
{
    if (!cost_ok(c->step_a_ms) || !cost_ok(c->step_b_ms) || !cost_ok(c->step_c_ms))
        return TG_EINVAL;
    if (c->max_num_seqs < 1 || c->max_num_seqs > 1u << 20 || c->kv_tokens < 2 ||
        c->max_model_len < 2 || c->max_tokens_default < 1 || c->max_waiting < 1)
        return TG_EINVAL;
    return 0;
}

uint64_t tg_llm_step_ns(const struct tg_llm_config *c, unsigned seqs, uint64_t prefill_tokens)
{
    double ms = c->step_a_ms + c->step_b_ms * (double)seqs + c->step_c_ms * (double)prefill_tokens;
    return ms <= 0 ? 0 : (uint64_t)llround(ms * 1e6);
}

/* ---- intrusive lists ----------------------------------------------------------- */

static void list_push_back(struct tg_llm_list *l, struct tg_llm_seq *s)
{
    s->next = NULL;
    s->prev = l->tail;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
    l->n++;
}

static void list_push_front(struct tg_llm_list *l, struct tg_llm_seq *s)
{
    s->prev = NULL;
    s->next = l->head;
    if (l->head)
        l->head->prev = s;
    else
        l->tail = s;
    l->head = s;
    l->n++;
}

static void list_remove(struct tg_llm_list *l, struct tg_llm_seq *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        l->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        l->tail = s->prev;
    s->prev = s->next = NULL;
    l->n--;
}

/* ---- the simulator ------------------------------------------------------------- */

void tg_llm_sim_init(struct tg_llm_sim *s, const struct tg_llm_config *c)
{
    memset(s, 0, sizeof *s);
    s->cfg = *c;
}

int tg_llm_sim_submit(struct tg_llm_sim *sim, struct tg_llm_seq *s)
{
    if (s->state != TG_LLM_NEW || s->prompt_tokens < 1 || s->output_len < 1 ||
        s->output_len > s->limit)
        return TG_EINVAL;
    uint64_t need = (uint64_t)s->prompt_tokens + s->limit;
    if (need > sim->cfg.max_model_len || need > sim->cfg.kv_tokens)
        return TG_ERANGE;
    if (sim->waiting.n >= sim->cfg.max_waiting)
        return TG_EAGAIN;
    s->generated = 0;
    s->prefill = s->prompt_tokens;
    s->preemptions = 0;
    s->state = TG_LLM_WAITING;
    list_push_back(&sim->waiting, s);
    return 0;
}

/* Frees what running sequence s holds. */
static void release(struct tg_llm_sim *sim, struct tg_llm_seq *s)
{
    list_remove(&sim->running, s);
    sim->kv_held -= (uint64_t)s->prompt_tokens + s->generated;
    if (!sim->cfg.preempt)
        sim->kv_reserved -= (uint64_t)s->prompt_tokens + s->limit;
}

void tg_llm_sim_cancel(struct tg_llm_sim *sim, struct tg_llm_seq *s)
{
    if (s->state == TG_LLM_WAITING)
        list_remove(&sim->waiting, s);
    else if (s->state == TG_LLM_RUNNING)
        release(sim, s);
    else
        return;
    s->state = TG_LLM_DONE;
}

/* Would waiting sequence s fit next to the running ones? */
static int fits(const struct tg_llm_sim *sim, const struct tg_llm_seq *s)
{
    uint64_t kv = sim->cfg.kv_tokens;
    if (!sim->cfg.preempt)
        return sim->kv_reserved + s->prompt_tokens + s->limit <= kv;
    /* every running one grows by a token in this step, s holds prefill + 1 */
    return sim->kv_held + sim->running.n + s->prefill + 1 <= kv;
}

unsigned tg_llm_sim_plan(struct tg_llm_sim *sim, struct tg_llm_step *st)
{
    memset(st, 0, sizeof *st);
    if (sim->cfg.preempt) {
        /* the newest goes first, as vLLM v0 (recompute): its KV is dropped and
         * its prompt + generated tokens are prefilled again when re-admitted */
        while (sim->running.n > 1 && sim->kv_held + sim->running.n > sim->cfg.kv_tokens) {
            struct tg_llm_seq *v = sim->running.tail;
            release(sim, v);
            v->prefill = v->prompt_tokens + v->generated;
            v->preemptions++;
            v->state = TG_LLM_WAITING;
            list_push_front(&sim->waiting, v);
            sim->preemptions++;
            st->preempted++;
        }
    }
    while (sim->waiting.head && sim->running.n < sim->cfg.max_num_seqs &&
           fits(sim, sim->waiting.head)) {
        struct tg_llm_seq *s = sim->waiting.head;
        list_remove(&sim->waiting, s);
        s->state = TG_LLM_RUNNING;
        list_push_back(&sim->running, s);
        sim->kv_held += s->prefill;
        if (!sim->cfg.preempt)
            sim->kv_reserved += (uint64_t)s->prompt_tokens + s->limit;
        sim->prompt_tokens += s->prefill;
        st->admitted++;
        st->prefill_tokens += s->prefill;
    }
    st->seqs = (unsigned)sim->running.n;
    st->ns = st->seqs ? tg_llm_step_ns(&sim->cfg, st->seqs, st->prefill_tokens) : 0;
    if (st->seqs)
        sim->steps++;
    return st->seqs;
}

void tg_llm_sim_finish(struct tg_llm_sim *sim, void (*fn)(void *ctx, struct tg_llm_seq *s),
                       void *ctx)
{
    struct tg_llm_seq *next;
    for (struct tg_llm_seq *s = sim->running.head; s; s = next) {
        next = s->next;
        s->generated++;
        sim->kv_held++;
        sim->generation_tokens++;
        if (s->generated >= s->output_len) {
            release(sim, s);
            s->state = TG_LLM_DONE;
            sim->finished++;
        }
        if (fn)
            fn(ctx, s);
    }
}
