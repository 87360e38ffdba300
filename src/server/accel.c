#include "server/accel.h"
#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct tg_accel_profile tg_accel_profiles[] = {
    { "default", 48.0, 1.0, 0.08, 0.02, 1, 64,
      "memory-bound embedding model on one accelerator; alpha/beta = 48 sits inside "
      "published batch-latency curves (about 15-140); naive deployment, no server batching" },
    { "llm-decode", 150.0, 1.2, 0.10, 0.03, 1, 64,
      "LLM-decode-like step: every call streams all weights (large alpha), extra "
      "sequences are nearly free (alpha/beta = 125), so batching helps a lot" },
    { "compute-bound", 4.0, 45.0, 0.05, 0.01, 1, 64,
      "compute-bound: cost grows with items (alpha/beta < 0.1), batching barely helps; "
      "20 items take >= 904 ms however they are grouped, so P95 <= 800 ms at 20 "
      "in flight is out of reach" },
};
const size_t tg_accel_profile_count = sizeof tg_accel_profiles / sizeof tg_accel_profiles[0];

const struct tg_accel_profile *tg_accel_profile_find(const char *name)
{
    for (size_t i = 0; i < tg_accel_profile_count; i++)
        if (!strcmp(name, tg_accel_profiles[i].name))
            return &tg_accel_profiles[i];
    return NULL;
}

double tg_accel_base_ms(const struct tg_accel_config *c, unsigned b)
{
    return c->alpha_ms + c->beta_ms * (double)b;
}

double tg_accel_sample_ms(const struct tg_accel_config *c, struct tg_rng *g, unsigned b)
{
    double t = tg_accel_base_ms(c, b);
    if (!c->jitter)
        return t;
    double ms = t * exp(c->sigma * tg_rng_normal(g));
    /* Draw the stall coin every time so that the stream stays aligned. */
    double coin = tg_rng_uniform(g);
    if (coin < c->stall_prob)
        ms += tg_rng_exp(g, 0.5 * t);
    return ms;
}

struct slot {
    int busy;
    uint64_t free_at;   /* simulated end of its last execution */
    uint64_t end_ns;    /* when busy */
    struct tg_accel_job *jobs;
};

struct tg_accel {
    struct tg_accel_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop, closed;
    int joined;       /* tg_accel_stop() has claimed the join */
    struct tg_accel_job *head, *tail; /* FIFO of queued jobs */
    struct slot *slots;
    struct tg_rng prng;
    struct tg_accel_stats st;
};

static uint64_t ms_to_ns(double ms) { return ms <= 0 ? 0 : (uint64_t)llround(ms * 1e6); }

static unsigned hist_bucket(unsigned b)
{
    unsigned i = 0;
    while (i < TG_ACCEL_HIST_BUCKETS - 1 && b > (1u << i))
        i++;
    return i;
}

/* Pops the next execution's jobs for a slot free since free_at, or returns
 * NULL (and may lower *wake to a batching deadline).  Called locked. */
static struct tg_accel_job *form_batch(struct tg_accel *a, uint64_t now, uint64_t *ready,
                                       unsigned *items, uint64_t *wake)
{
    struct tg_accel_job *first = a->head;
    if (!first)
        return NULL;
    if (!a->cfg.dynamic_batching) {
        a->head = first->next;
        first->next = NULL;
        *ready = first->enqueue_ns;
        *items = first->items;
    } else {
        /* Greedy: whole jobs in FIFO order while they fit in max_batch. */
        unsigned n = 0;
        uint64_t latest = 0;
        struct tg_accel_job *j = first, *last = NULL;
        while (j && (n == 0 || n + j->items <= a->cfg.max_batch)) {
            n += j->items;
            if (j->enqueue_ns > latest)
                latest = j->enqueue_ns;
            last = j;
            j = j->next;
        }
        int full = j != NULL || n >= a->cfg.max_batch;
        uint64_t deadline = first->enqueue_ns + ms_to_ns(a->cfg.max_queue_delay_ms);
        if (!full && now < deadline) {
            if (deadline < *wake)
                *wake = deadline;
            return NULL;
        }
        a->head = j;
        last->next = NULL;
        *ready = full ? latest : (deadline > latest ? deadline : latest);
        *items = n;
    }
    if (!a->head)
        a->tail = NULL;
    for (struct tg_accel_job *j = first; j; j = j->next) {
        a->st.queued_jobs--;
        a->st.queued_items -= j->items;
    }
    return first;
}

static void start_executions(struct tg_accel *a, uint64_t now, uint64_t *wake)
{
    for (;;) {
        struct slot *s = NULL;
        for (unsigned i = 0; i < a->cfg.slots; i++)
            if (!a->slots[i].busy && (!s || a->slots[i].free_at < s->free_at))
                s = &a->slots[i];
        if (!s)
            return;
        uint64_t ready;
        unsigned items;
        struct tg_accel_job *jobs = form_batch(a, now, &ready, &items, wake);
        if (!jobs)
            return;
        /* Start at the simulated moment the slot and the batch were both
         * ready, not when this thread woke up, so wake-up lag never adds up. */
        uint64_t start = s->free_at > ready ? s->free_at : ready;
        if (start > now)
            start = now;
        double ms = tg_accel_sample_ms(&a->cfg, &a->prng, items);
        s->busy = 1;
        s->end_ns = start + ms_to_ns(ms);
        s->jobs = jobs;
        for (struct tg_accel_job *j = jobs; j; j = j->next) {
            j->start_ns = start;
            j->compute_ms = ms;
            j->batch_items = items;
            j->status = 0;
            a->st.queue_ms += (double)(start - (start < j->enqueue_ns ? start : j->enqueue_ns)) / 1e6;
        }
        a->st.executions++;
        a->st.items_executed += items;
        a->st.busy_ms += ms;
        a->st.batch_hist[hist_bucket(items)]++;
        a->st.running++;
    }
}

/* Moves the jobs of finished executions (or all, when stopping) to *done. */
static void collect_done(struct tg_accel *a, uint64_t now, struct tg_accel_job **done, int all)
{
    for (unsigned i = 0; i < a->cfg.slots; i++) {
        struct slot *s = &a->slots[i];
        if (!s->busy || (!all && s->end_ns > now))
            continue;
        struct tg_accel_job *j = s->jobs;
        while (j) {
            struct tg_accel_job *next = j->next;
            if (all && s->end_ns > now)
                j->status = TG_ECLOSED;
            j->next = *done;
            *done = j;
            a->st.jobs_completed++;
            j = next;
        }
        s->jobs = NULL;
        s->busy = 0;
        s->free_at = s->end_ns;
        a->st.running--;
    }
    if (all) {
        while (a->head) {
            struct tg_accel_job *j = a->head;
            a->head = j->next;
            j->status = TG_ECLOSED;
            j->next = *done;
            *done = j;
        }
        a->tail = NULL;
        a->st.queued_jobs = a->st.queued_items = 0;
    }
}

static void run_callbacks(struct tg_accel *a, struct tg_accel_job *done)
{
    pthread_mutex_unlock(&a->mu);
    /* on_done may free the job: read next first. */
    while (done) {
        struct tg_accel_job *next = done->next;
        done->next = NULL;
        done->on_done(done);
        done = next;
    }
    pthread_mutex_lock(&a->mu);
}

static void *scheduler(void *arg)
{
    struct tg_accel *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        uint64_t now = tg_now_ns();
        struct tg_accel_job *done = NULL;
        if (a->stop) {
            collect_done(a, now, &done, 1);
            run_callbacks(a, done);
            break;
        }
        collect_done(a, now, &done, 0);
        uint64_t wake = UINT64_MAX;
        start_executions(a, now, &wake);
        if (done) {
            run_callbacks(a, done);
            continue;
        }
        for (unsigned i = 0; i < a->cfg.slots; i++)
            if (a->slots[i].busy && a->slots[i].end_ns < wake)
                wake = a->slots[i].end_ns;
        if (wake <= now)
            continue;
        if (wake == UINT64_MAX) {
            pthread_cond_wait(&a->cv, &a->mu);
        } else {
            struct timespec ts = { (time_t)(wake / TG_NS_PER_S), (long)(wake % TG_NS_PER_S) };
            pthread_cond_timedwait(&a->cv, &a->mu, &ts);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int tg_accel_new(const struct tg_accel_config *c, struct tg_accel **out)
{
    if (!(c->alpha_ms >= 0) || !(c->beta_ms >= 0) || !(c->sigma >= 0) ||
        !(c->stall_prob >= 0 && c->stall_prob <= 1) || c->slots < 1 || c->max_batch < 1 ||
        !(c->max_queue_delay_ms >= 0) || c->max_queue < 1)
        return TG_EINVAL;
    struct tg_accel *a = calloc(1, sizeof *a);
    if (!a)
        return TG_ENOMEM;
    a->cfg = *c;
    a->slots = calloc(c->slots, sizeof *a->slots);
    if (!a->slots) {
        free(a);
        return TG_ENOMEM;
    }
    a->st.slots = c->slots;
    tg_rng_seed(&a->prng, c->seed);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&a->mu, NULL);
    int rc = pthread_create(&a->thread, NULL, scheduler, a);
    if (rc) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        free(a->slots);
        free(a);
        return -rc;
    }
    *out = a;
    return 0;
}

int tg_accel_submit(struct tg_accel *a, struct tg_accel_job *job)
{
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    if (a->closed || a->stop) {
        rc = TG_ECLOSED;
    } else if (a->st.queued_items > 0 && a->st.queued_items + job->items > a->cfg.max_queue) {
        a->st.jobs_rejected++;
        rc = TG_EAGAIN;
    } else {
        job->enqueue_ns = tg_now_ns();
        job->next = NULL;
        job->status = 0;
        if (a->tail)
            a->tail->next = job;
        else
            a->head = job;
        a->tail = job;
        a->st.queued_jobs++;
        a->st.queued_items += job->items;
        pthread_cond_signal(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

void tg_accel_close(struct tg_accel *a)
{
    pthread_mutex_lock(&a->mu);
    a->closed = 1;
    pthread_mutex_unlock(&a->mu);
}

size_t tg_accel_pending(struct tg_accel *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->st.queued_jobs;
    for (unsigned i = 0; i < a->cfg.slots; i++)
        for (struct tg_accel_job *j = a->slots[i].jobs; j; j = j->next)
            n++;
    pthread_mutex_unlock(&a->mu);
    return n;
}

void tg_accel_get_stats(struct tg_accel *a, struct tg_accel_stats *out)
{
    pthread_mutex_lock(&a->mu);
    *out = a->st;
    pthread_mutex_unlock(&a->mu);
}

void tg_accel_stop(struct tg_accel *a)
{
    pthread_mutex_lock(&a->mu);
    int joined = a->joined;
    a->stop = 1;
    a->joined = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (!joined)
        pthread_join(a->thread, NULL);
}

void tg_accel_free(struct tg_accel *a)
{
    if (!a)
        return;
    tg_accel_stop(a);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a->slots);
    free(a);
}
