/*
 * loop.c - epoll + a binary min-heap of timers (see loop.h).
 */
#include "engine/loop.h"

#include "core/error.h"
#include "core/time.h"
#include "core/vec.h"
#include "engine/fault.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct tg_loop {
    int epfd;
    bool stop;
    uint64_t now;
    uint64_t seq;
    struct tg_loop_timer **heap;
    size_t nheap, capheap;
    struct epoll_event events[MAX_EVENTS];
    int nevents, cur;   /* the dispatch round in progress */
};

struct tg_loop *tg_loop_new(void)
{
    struct tg_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return NULL;
    }
    l->now = tg_now_ns();
    return l;
}

void tg_loop_free(struct tg_loop *l)
{
    if (!l)
        return;
    close(l->epfd);
    free(l->heap);
    free(l);
}

void tg_loop_io_init(struct tg_loop_io *io, tg_loop_io_fn fn, void *arg)
{
    io->fd = -1;
    io->events = 0;
    io->fn = fn;
    io->arg = arg;
}

static uint32_t to_epoll(unsigned ev)
{
    return ((ev & TG_LOOP_READ) ? EPOLLIN : 0u) | ((ev & TG_LOOP_WRITE) ? EPOLLOUT : 0u);
}

int tg_loop_add(struct tg_loop *l, struct tg_loop_io *io, int fd, unsigned events)
{
    struct epoll_event e = { .events = to_epoll(events), .data.ptr = io };
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
        return -errno;
    io->fd = fd;
    io->events = events;
    return 0;
}

int tg_loop_mod(struct tg_loop *l, struct tg_loop_io *io, unsigned events)
{
    if (io->fd < 0)
        return TG_EINVAL;
    if (io->events == events)
        return 0;
    int injected = tg_fault(TG_FAULT_LOOP_MOD);
    if (injected)
        return injected;
    struct epoll_event e = { .events = to_epoll(events), .data.ptr = io };
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &e) < 0)
        return -errno;
    io->events = events;
    return 0;
}

void tg_loop_del(struct tg_loop *l, struct tg_loop_io *io)
{
    if (io->fd < 0)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->fd = -1;
    io->events = 0;
    /* The watcher may be re-registered with a new fd before this round ends:
     * forget its stale events now (libuv's uv__platform_invalidate_fd). */
    for (int i = l->cur + 1; i < l->nevents; i++)
        if (l->events[i].data.ptr == io)
            l->events[i].data.ptr = NULL;
}

/* ---- timers ---------------------------------------------------------------- */

void tg_loop_timer_init(struct tg_loop_timer *t, tg_loop_timer_fn fn, void *arg)
{
    t->deadline_ns = 0;
    t->heap_index = (size_t)-1;
    t->seq = 0;
    t->fn = fn;
    t->arg = arg;
}

static bool before(const struct tg_loop_timer *a, const struct tg_loop_timer *b)
{
    return a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static void heap_set(struct tg_loop *l, size_t i, struct tg_loop_timer *t)
{
    l->heap[i] = t;
    t->heap_index = i;
}

static void sift_up(struct tg_loop *l, size_t i)
{
    struct tg_loop_timer *t = l->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(t, l->heap[p]))
            break;
        heap_set(l, i, l->heap[p]);
        i = p;
    }
    heap_set(l, i, t);
}

static void sift_down(struct tg_loop *l, size_t i)
{
    struct tg_loop_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c]))
            c++;
        if (!before(l->heap[c], t))
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void tg_loop_timer_stop(struct tg_loop *l, struct tg_loop_timer *t)
{
    size_t i = t->heap_index;
    if (i == (size_t)-1)
        return;
    t->heap_index = (size_t)-1;
    struct tg_loop_timer *last = l->heap[--l->nheap];
    if (i == l->nheap)
        return;
    heap_set(l, i, last);
    if (i > 0 && before(last, l->heap[(i - 1) / 2]))
        sift_up(l, i);
    else
        sift_down(l, i);
}

/* Grows the heap to hold at least n timers; a failure keeps the old heap. */
static int heap_reserve(struct tg_loop *l, size_t n)
{
    if (n <= l->capheap)
        return 0;   /* the reserved room: no allocation, no fault site */
    if (tg_fault(TG_FAULT_TIMER_HEAP))
        return TG_ENOMEM;
    return tg_grow((void **)&l->heap, &l->capheap, n, sizeof *l->heap, 64);
}

int tg_loop_timer_reserve(struct tg_loop *l, size_t n)
{
    return heap_reserve(l, n);
}

int tg_loop_timer_start(struct tg_loop *l, struct tg_loop_timer *t, uint64_t deadline_ns)
{
    tg_loop_timer_stop(l, t);
    int rc = heap_reserve(l, l->nheap + 1);
    if (rc)
        return rc;
    t->deadline_ns = deadline_ns;
    t->seq = l->seq++;
    l->heap[l->nheap] = t;
    t->heap_index = l->nheap++;
    sift_up(l, l->nheap - 1);
    return 0;
}

/* ---- running --------------------------------------------------------------- */

void tg_loop_stop(struct tg_loop *l) { l->stop = true; }
uint64_t tg_loop_now(const struct tg_loop *l) { return l->now; }
uint64_t tg_loop_update_now(struct tg_loop *l) { return l->now = tg_now_ns(); }

static void run_timers(struct tg_loop *l)
{
    while (l->nheap && !l->stop) {
        struct tg_loop_timer *t = l->heap[0];
        if (t->deadline_ns > l->now)
            break;
        tg_loop_timer_stop(l, t);
        t->fn(l, t);
    }
}

/* Waits for events until the first timer's deadline.  epoll_pwait2 takes a
 * nanosecond timeout, so open-loop arrivals and short timers are not rounded
 * to milliseconds; kernels without it fall back to epoll_wait (rounded up so
 * a timer never fires early and the loop never spins).  Returns n or -errno. */
static int wait_events(struct tg_loop *l)
{
    static _Atomic int have_pwait2 = 1;   /* shared by all loops; only ever cleared */
    int f = tg_fault(TG_FAULT_LOOP_WAIT);
    if (f)
        return f;
    int64_t wait_ns = -1;
    if (l->nheap) {
        uint64_t d = l->heap[0]->deadline_ns;
        wait_ns = d <= l->now ? 0 : (int64_t)(d - l->now);
        if (wait_ns > 60 * (int64_t)TG_NS_PER_S)
            wait_ns = 60 * (int64_t)TG_NS_PER_S;
    }
    int n;
    if (have_pwait2) {
        struct timespec ts = { (time_t)(wait_ns / (int64_t)TG_NS_PER_S), (long)(wait_ns % (int64_t)TG_NS_PER_S) };
        n = epoll_pwait2(l->epfd, l->events, MAX_EVENTS, wait_ns < 0 ? NULL : &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n < 0 ? -errno : n;
        have_pwait2 = 0;
    }
    int ms = wait_ns < 0 ? -1 : (int)((wait_ns + (int64_t)TG_NS_PER_MS - 1) / (int64_t)TG_NS_PER_MS);
    n = epoll_wait(l->epfd, l->events, MAX_EVENTS, ms);
    return n < 0 ? -errno : n;
}

int tg_loop_run(struct tg_loop *l)
{
    l->stop = false;
    l->now = tg_now_ns();
    run_timers(l);
    while (!l->stop) {
        int n = wait_events(l);
        if (n < 0) {
            if (n == -EINTR)
                continue;
            return n;
        }
        l->now = tg_now_ns();
        l->nevents = n;
        for (l->cur = 0; l->cur < n && !l->stop; l->cur++) {
            struct tg_loop_io *io = l->events[l->cur].data.ptr;
            if (!io)
                continue;
            uint32_t e = l->events[l->cur].events;
            unsigned ev = ((e & EPOLLIN) ? TG_LOOP_READ : 0u) | ((e & EPOLLOUT) ? TG_LOOP_WRITE : 0u) |
                          ((e & (EPOLLERR | EPOLLHUP)) ? TG_LOOP_ERROR : 0u);
            io->fn(l, io, ev);
        }
        l->nevents = 0;
        l->cur = 0;
        run_timers(l);
    }
    return 0;
}
