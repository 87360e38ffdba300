/*
 * sched.c - closed/open loop admission (see sched.h).
 */
#include "engine/sched.h"

#include <math.h>

void tg_sched_init_closed(struct tg_sched *s, uint32_t max_in_flight, uint64_t limit,
                          uint64_t end_ns, _Atomic uint64_t *shared_next)
{
    *s = (struct tg_sched){ .open = false, .max_in_flight = max_in_flight, .limit = limit,
                            .end_ns = end_ns, .shared_next = shared_next, .stripe = TG_STRIPE_ALL };
}

void tg_sched_closed_stripe(struct tg_sched *s, struct tg_stripe stripe)
{
    if (!stripe.stride)
        stripe.stride = 1;
    s->stripe = stripe;
    /* from here on limit counts claims: ids first + c*stride below the old limit */
    if (s->limit != UINT64_MAX)
        s->limit = s->limit <= stripe.first ? 0 : (s->limit - stripe.first + stripe.stride - 1) / stripe.stride;
}

void tg_sched_set_stages(struct tg_sched *s, const struct tg_stage *stages, size_t n, uint64_t start_ns,
                         uint32_t part, uint32_t parts)
{
    s->cstages = n ? stages : NULL;
    s->ncstages = n;
    s->start_ns = start_ns;
    s->part = part;
    s->parts = parts ? parts : 1;
}

/* This scheduler's share of the stages' concurrency at now (as worker.c
 * splits -c), capped by the slots it has. */
static uint32_t stage_cap(const struct tg_sched *s, uint64_t now)
{
    double v = tg_stages_value_at(s->cstages, s->ncstages, now > s->start_ns ? now - s->start_ns : 0);
    uint32_t total = v < 1 ? 1 : (uint32_t)floor(v);
    uint32_t mine = total / s->parts + (s->part < total % s->parts ? 1 : 0);
    return mine < s->max_in_flight ? mine : s->max_in_flight;
}

/* The pending arrival of the stripe: the generator's next, then the others'
 * arrivals up to the stripe's following one skipped (their draws made). */
static void load_next(struct tg_sched *s)
{
    double t;
    s->have_next = tg_arrivals_next(&s->gen, &t);
    if (!s->have_next)
        return;
    s->next_id = s->gen.i - 1;
    s->next_ns = s->start_ns + (uint64_t)llround(t);
    if (s->stripe.stride > 1)
        tg_arrivals_skip(&s->gen, s->stripe.stride - 1);
}

int tg_sched_init_open(struct tg_sched *s, const struct tg_arrival_spec *spec, struct tg_stripe stripe,
                       uint64_t start_ns, uint32_t max_in_flight, uint64_t limit, uint64_t end_ns)
{
    *s = (struct tg_sched){ .open = true, .max_in_flight = max_in_flight, .limit = limit,
                            .end_ns = end_ns, .start_ns = start_ns, .stripe = stripe };
    if (!s->stripe.stride)
        s->stripe.stride = 1;
    int rc = tg_arrivals_init(&s->gen, spec);
    if (rc) {
        s->done = true;
        return rc;
    }
    if (s->stripe.first)
        tg_arrivals_skip(&s->gen, s->stripe.first);
    load_next(s);
    return 0;
}

void tg_sched_stop(struct tg_sched *s) { s->done = true; }

bool tg_sched_cap_waited(const struct tg_sched *s, uint64_t intended_ns)
{
    return s->cap_full_ns && intended_ns <= s->cap_full_ns;
}

static enum tg_sched_res poll_closed(struct tg_sched *s, uint64_t now_ns, uint32_t in_flight, uint64_t *id,
                                     uint64_t *intended_ns, uint64_t *wake_ns)
{
    if (now_ns >= s->end_ns) {
        s->done = true;
        return TG_SCHED_DONE;
    }
    uint32_t cap = s->cstages ? stage_cap(s, now_ns) : s->max_in_flight;
    if (in_flight >= cap) {
        /* a stage's concurrency may rise without any input finishing: poll
         * again at the next stage's start, or every ms in a ramp */
        *wake_ns = 0;
        if (s->cstages) {
            uint64_t t = s->start_ns, step = 1000000;
            for (size_t i = 0; i < s->ncstages; i++) {
                t += s->cstages[i].dur_ns;
                if (t > now_ns) {
                    const struct tg_stage *st = &s->cstages[i];
                    *wake_ns = st->to > st->from && now_ns + step < t ? now_ns + step : t;
                    break;
                }
            }
        }
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
    *id = s->stripe.first + i * s->stripe.stride;
    *intended_ns = now_ns;
    return TG_SCHED_ADMIT;
}

enum tg_sched_res tg_sched_poll(struct tg_sched *s, uint64_t now_ns, uint32_t in_flight,
                                uint64_t *id, uint64_t *intended_ns, uint64_t *wake_ns)
{
    if (s->done)
        return TG_SCHED_DONE;
    if (!s->open)
        return poll_closed(s, now_ns, in_flight, id, intended_ns, wake_ns);
    if (!s->have_next || s->next_id >= s->limit || s->next_ns >= s->end_ns) {
        s->done = true;
        return TG_SCHED_DONE;
    }
    if (s->next_ns > now_ns) {
        *wake_ns = s->next_ns;
        return TG_SCHED_WAIT;
    }
    if (in_flight >= s->max_in_flight) {
        s->cap_full_ns = now_ns;
        *wake_ns = 0;
        return TG_SCHED_WAIT;
    }
    *id = s->next_id;
    *intended_ns = s->next_ns;
    load_next(s);
    return TG_SCHED_ADMIT;
}

uint64_t tg_sched_for_each_unclaimed(struct tg_sched *s, void (*fn)(void *ctx, uint64_t id), void *ctx)
{
    if (s->limit == UINT64_MAX)
        return 0;
    uint64_t n = 0;
    if (!s->open) {
        /* One exchange takes every id left at once: safe while other
         * workers still claim (their compare-exchange then sees the limit). */
        uint64_t i = s->shared_next ? atomic_exchange(s->shared_next, s->limit) : s->local_next;
        if (!s->shared_next)
            s->local_next = s->limit;
        for (; i < s->limit; i++, n++)
            fn(ctx, s->stripe.first + i * s->stripe.stride);
        return n;
    }
    /* the generator itself: exactly the ids the schedule would still have had */
    for (; s->have_next && s->next_id < s->limit && s->next_ns < s->end_ns; n++) {
        fn(ctx, s->next_id);
        load_next(s);
    }
    s->have_next = false;
    return n;
}
