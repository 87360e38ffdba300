/*
 * sched.c - closed/open loop admission (see sched.h).
 */
#include "engine/sched.h"

#include <math.h>

void tg_sched_init_closed(struct tg_sched *s, uint32_t max_in_flight, uint64_t limit,
                          uint64_t end_ns, _Atomic uint64_t *shared_next)
{
    *s = (struct tg_sched){ .open = false, .max_in_flight = max_in_flight, .limit = limit,
                            .end_ns = end_ns, .shared_next = shared_next, .stride = 1 };
}

static void next_arrival(struct tg_sched *s)
{
    if (s->arrival == TG_ARRIVAL_CONSTANT)
        /* from k, not by accumulation: no drift over millions of arrivals */
        s->next_ns = (double)s->start_ns + (double)s->k * s->period_ns;
    else
        s->next_ns += -log(1.0 - tg_rng_uniform(&s->rng)) * s->period_ns;
}

void tg_sched_init_open(struct tg_sched *s, double rate_per_s, enum tg_arrival arrival,
                        uint64_t seed, uint64_t start_ns, uint32_t max_in_flight,
                        uint64_t limit, uint64_t end_ns, uint64_t first_id, uint64_t stride)
{
    *s = (struct tg_sched){ .open = true, .max_in_flight = max_in_flight, .limit = limit,
                            .end_ns = end_ns, .arrival = arrival, .period_ns = 1e9 / rate_per_s,
                            .start_ns = start_ns, .first_id = first_id, .stride = stride ? stride : 1 };
    tg_rng_seed(&s->rng, seed ^ (first_id * 0x9e3779b97f4a7c15ULL));
    /* The first Poisson arrival is at start too: a run starts with an input. */
    s->next_ns = (double)start_ns;
}

void tg_sched_stop(struct tg_sched *s) { s->done = true; }

enum tg_sched_res tg_sched_poll(struct tg_sched *s, uint64_t now_ns, uint32_t in_flight,
                                uint64_t *id, uint64_t *intended_ns, uint64_t *wake_ns)
{
    if (s->done)
        return TG_SCHED_DONE;
    if (!s->open) {
        if (now_ns >= s->end_ns) {
            s->done = true;
            return TG_SCHED_DONE;
        }
        if (in_flight >= s->max_in_flight) {
            *wake_ns = 0;
            return TG_SCHED_WAIT;
        }
        uint64_t i;
        if (s->shared_next) {
            /* Claim only below the limit, so the counter ends at exactly the
             * number of ids handed out and the unclaimed ones are known. */
            i = atomic_load_explicit(s->shared_next, memory_order_relaxed);
            do {
                if (i >= s->limit) {
                    s->done = true;
                    return TG_SCHED_DONE;
                }
            } while (!atomic_compare_exchange_weak_explicit(s->shared_next, &i, i + 1,
                                                            memory_order_relaxed, memory_order_relaxed));
        } else {
            if (s->local_next >= s->limit) {
                s->done = true;
                return TG_SCHED_DONE;
            }
            i = s->local_next++;
        }
        *id = i;
        *intended_ns = now_ns;
        return TG_SCHED_ADMIT;
    }
    uint64_t i = s->first_id + s->k * s->stride;
    uint64_t t = (uint64_t)s->next_ns;
    if (i >= s->limit || t >= s->end_ns) {
        s->done = true;
        return TG_SCHED_DONE;
    }
    if (t > now_ns) {
        *wake_ns = t;
        return TG_SCHED_WAIT;
    }
    if (in_flight >= s->max_in_flight) {
        *wake_ns = 0;
        return TG_SCHED_WAIT;
    }
    *id = i;
    *intended_ns = t;
    s->k++;
    next_arrival(s);
    return TG_SCHED_ADMIT;
}

uint64_t tg_sched_for_each_unclaimed(struct tg_sched *s, void (*fn)(void *ctx, uint64_t id), void *ctx)
{
    if (s->limit == UINT64_MAX)
        return 0;
    uint64_t n = 0;
    if (!s->open) {
        uint64_t i = s->shared_next ? atomic_load(s->shared_next) : s->local_next;
        for (; i < s->limit; i++, n++)
            fn(ctx, i);
        if (s->shared_next)
            atomic_store(s->shared_next, s->limit);
        else
            s->local_next = s->limit;
        return n;
    }
    for (uint64_t i = s->first_id + s->k * s->stride; i < s->limit; i += s->stride, n++)
        fn(ctx, i);
    s->k = (s->limit - s->first_id + s->stride - 1) / s->stride;
    return n;
}
