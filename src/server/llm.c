/*
 * llm.c - the placeholder LLM's engine (see llm.h): one thread runs the
 * simulator's steps on CLOCK_MONOTONIC.  It plans a step, sleeps on a
 * condition variable until the step's simulated end, then publishes one
 * token to every sequence of the step and wakes the parked requests.  No
 * thread spins while a step "computes".  Steps are chained on the simulated
 * clock (a step that follows another starts at its simulated end, not when
 * the thread woke), so wake-up lag delays a publication but never
 * accumulates.
 */
#include "server/llm.h"

#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tg_llm {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop, joined, started;
    struct tg_llm_sim sim;
};

static struct tg_llm_req *req_of(struct tg_llm_seq *s)
{
    return (struct tg_llm_req *)((char *)s - offsetof(struct tg_llm_req, seq));
}

/* Engine lock held. */
static void wake_if_parked(struct tg_llm_req *r)
{
    if (r->parked && (r->stream || r->ended)) {
        r->parked = 0;
        r->wake(r->arg);
    }
}

static void on_token(void *ctx, struct tg_llm_seq *s)
{
    (void)ctx;
    struct tg_llm_req *r = req_of(s);
    if (s->state == TG_LLM_DONE)
        r->ended = 1;
    wake_if_parked(r);
}

static void deadline_ts(uint64_t ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / TG_NS_PER_S);
    ts->tv_nsec = (long)(ns % TG_NS_PER_S);
}

static void *run(void *arg)
{
    struct tg_llm *e = arg;
    uint64_t last_end = 0; /* simulated end of the previous step; 0: idle */
    pthread_mutex_lock(&e->mu);
    while (!e->stop) {
        struct tg_llm_step st;
        if (!tg_llm_sim_plan(&e->sim, &st)) {
            last_end = 0;
            pthread_cond_wait(&e->cv, &e->mu);
            continue;
        }
        uint64_t now = tg_now_ns();
        /* chained, unless the engine was idle or fell more than 1 s behind */
        uint64_t start = last_end && last_end + TG_NS_PER_S >= now ? last_end : now;
        uint64_t end = start + st.ns;
        /* Arrivals and cancels go on meanwhile (the wait releases the lock);
         * arrivals join the next step, as in vLLM. */
        while (!e->stop && tg_now_ns() < end) {
            struct timespec ts;
            deadline_ts(end, &ts);
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        }
        if (e->stop)
            break;
        tg_llm_sim_finish(&e->sim, on_token, e);
        last_end = end;
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int tg_llm_new(const struct tg_llm_config *c, struct tg_llm **out)
{
    if (tg_llm_config_check(c))
        return TG_EINVAL;
    struct tg_llm *e = calloc(1, sizeof *e);
    if (!e)
        return TG_ENOMEM;
    tg_llm_sim_init(&e->sim, c);
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&e->thread, NULL, run, e);
    if (rc) {
        pthread_cond_destroy(&e->cv);
        pthread_mutex_destroy(&e->mu);
        free(e);
        return -rc;
    }
    e->started = 1;
    *out = e;
    return 0;
}

int tg_llm_submit(struct tg_llm *e, struct tg_llm_req *r, int parked)
{
    r->seq.state = TG_LLM_NEW;
    r->taken = 0;
    r->parked = parked;
    r->ended = r->cancelled = 0;
    r->status = 0;
    pthread_mutex_lock(&e->mu);
    int rc = e->stop ? TG_ECLOSED : tg_llm_sim_submit(&e->sim, &r->seq);
    if (!rc)
        pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    return rc;
}

uint32_t tg_llm_take(struct tg_llm *e, struct tg_llm_req *r, uint32_t max, uint32_t *from,
                     int *ended, void (*park)(void *arg), void *arg)
{
    pthread_mutex_lock(&e->mu);
    uint32_t n = r->seq.generated - r->taken;
    if (n > max)
        n = max;
    *from = r->taken;
    r->taken += n;
    *ended = r->ended && (r->status || r->taken == r->seq.generated);
    if (!n && !*ended && park) {
        r->parked = 1;
        park(arg);
    }
    pthread_mutex_unlock(&e->mu);
    return n;
}

void tg_llm_cancel(struct tg_llm *e, struct tg_llm_req *r)
{
    pthread_mutex_lock(&e->mu);
    if (!r->cancelled) {
        tg_llm_sim_cancel(&e->sim, &r->seq);
        r->cancelled = 1;
        r->parked = 0;
        r->ended = 1;
    }
    pthread_mutex_unlock(&e->mu);
}

void tg_llm_get_stats(struct tg_llm *e, struct tg_llm_stats *out)
{
    pthread_mutex_lock(&e->mu);
    const struct tg_llm_sim *s = &e->sim;
    *out = (struct tg_llm_stats){
        .running = s->running.n,
        .waiting = s->waiting.n,
        .kv_held = s->kv_held,
        .kv_tokens = s->cfg.kv_tokens,
        .steps = s->steps,
        .prompt_tokens = s->prompt_tokens,
        .generation_tokens = s->generation_tokens,
        .preemptions = s->preemptions,
        .finished = s->finished,
    };
    pthread_mutex_unlock(&e->mu);
}

/* Engine lock held: ends every sequence of list l with TG_ECLOSED. */
static void abort_list(struct tg_llm *e, struct tg_llm_list *l)
{
    while (l->head) {
        struct tg_llm_seq *s = l->head;
        tg_llm_sim_cancel(&e->sim, s);
        struct tg_llm_req *r = req_of(s);
        r->ended = 1;
        r->status = TG_ECLOSED;
        wake_if_parked(r);
    }
}

void tg_llm_stop(struct tg_llm *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    abort_list(e, &e->sim.running);
    abort_list(e, &e->sim.waiting);
    int join = e->started && !e->joined;
    e->joined = 1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (join)
        pthread_join(e->thread, NULL);
}

void tg_llm_free(struct tg_llm *e)
{
    if (!e)
        return;
    tg_llm_stop(e);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}
