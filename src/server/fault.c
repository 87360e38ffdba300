#include "server/fault.h"
#include "core/error.h"
#include "core/time.h"
#include "core/units.h"
#include "core/vec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const names[TG_FAULT_KIND_COUNT] = {
    [TG_FAULT_NONE] = "none",         [TG_FAULT_RESET] = "reset",
    [TG_FAULT_TRUNCATE] = "truncate", [TG_FAULT_GARBAGE] = "garbage",
    [TG_FAULT_STALL] = "stall",       [TG_FAULT_CLOSE] = "close",
    [TG_FAULT_SLOW] = "slow",         [TG_FAULT_STATUS500] = "status500",
};

const char *tg_fault_name(enum tg_fault_kind k)
{
    return (unsigned)k < TG_FAULT_KIND_COUNT ? names[k] : "?";
}

int tg_fault_plan_add(struct tg_fault_plan *p, const char *arg)
{
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    int kind = -1;
    for (int k = TG_FAULT_NONE + 1; k < TG_FAULT_KIND_COUNT; k++)
        if (strlen(names[k]) == n && !strncmp(arg, names[k], n))
            kind = k;
    if (kind < 0 || p->rate[kind] > 0)
        return TG_EINVAL;
    double rate = 1.0;
    if (colon && tg_parse_double(colon + 1, 0, 1, &rate))
        return TG_EINVAL;
    double sum = rate;
    for (int k = 0; k < TG_FAULT_KIND_COUNT; k++)
        sum += p->rate[k];
    if (sum > 1.0 + 1e-9)
        return TG_ERANGE;
    p->rate[kind] = rate;
    p->any = p->any || rate > 0;
    return 0;
}

enum tg_fault_kind tg_fault_pick(const struct tg_fault_plan *p, uint64_t n)
{
    if (!p->any)
        return TG_FAULT_NONE;
    /* splitmix64 of (seed, n): independent of thread timing, only of order. */
    uint64_t z = p->seed + (n + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    double u = (double)(z >> 11) * 0x1.0p-53, edge = 0;
    for (int k = TG_FAULT_NONE + 1; k < TG_FAULT_KIND_COUNT; k++) {
        edge += p->rate[k];
        if (p->rate[k] > 0 && (u < edge || edge >= 1.0))
            return (enum tg_fault_kind)k;
    }
    return TG_FAULT_NONE;
}

/* The timer: an unsorted array (fault mode is a test tool; a linear scan
 * over the pending entries is fine) and one thread. */
struct entry {
    uint64_t at_ns;
    void (*fn)(void *);
    void *arg;
};

struct tg_fault_timer {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    pthread_t thread;
    struct entry *e;
    size_t n, cap;
    int stopped;
    int joined;
};

/* Removes and returns the earliest entry due by now_ns (all when now_ns is
 * UINT64_MAX); *next_ns gets the earliest remaining deadline. */
static int pop_due(struct tg_fault_timer *t, uint64_t now_ns, struct entry *out, uint64_t *next_ns)
{
    size_t best = t->n;
    *next_ns = UINT64_MAX;
    for (size_t i = 0; i < t->n; i++)
        if (best == t->n || t->e[i].at_ns < t->e[best].at_ns)
            best = i;
    if (best == t->n)
        return 0;
    if (t->e[best].at_ns > now_ns && now_ns != UINT64_MAX) {
        *next_ns = t->e[best].at_ns;
        return 0;
    }
    *out = t->e[best];
    t->e[best] = t->e[--t->n];
    return 1;
}

static void *timer_main(void *arg)
{
    struct tg_fault_timer *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        struct entry due;
        uint64_t next;
        if (pop_due(t, t->stopped ? UINT64_MAX : tg_now_ns(), &due, &next)) {
            pthread_mutex_unlock(&t->mu);
            due.fn(due.arg);
            pthread_mutex_lock(&t->mu);
            continue;
        }
        if (t->stopped)
            break;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&t->cv, &t->mu);
        } else {
            struct timespec ts = { (time_t)(next / TG_NS_PER_S), (long)(next % TG_NS_PER_S) };
            pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int tg_fault_timer_new(struct tg_fault_timer **out)
{
    struct tg_fault_timer *t = calloc(1, sizeof *t);
    if (!t)
        return TG_ENOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&t->thread, NULL, timer_main, t);
    if (rc) {
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return -rc;
    }
    *out = t;
    return 0;
}

int tg_fault_timer_add(struct tg_fault_timer *t, uint64_t at_ns, void (*fn)(void *), void *arg)
{
    int rc = 0;
    pthread_mutex_lock(&t->mu);
    if (t->stopped) {
        rc = TG_ECLOSED;
    } else {
        rc = tg_grow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e, 64);
    }
    if (!rc) {
        t->e[t->n++] = (struct entry){ at_ns, fn, arg };
        pthread_cond_signal(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void tg_fault_timer_stop(struct tg_fault_timer *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stopped = 1;
    pthread_cond_signal(&t->cv);
    int join = !t->joined;
    t->joined = 1;
    pthread_mutex_unlock(&t->mu);
    if (join)
        pthread_join(t->thread, NULL);
}

void tg_fault_timer_free(struct tg_fault_timer *t)
{
    if (!t)
        return;
    tg_fault_timer_stop(t);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t->e);
    free(t);
}
