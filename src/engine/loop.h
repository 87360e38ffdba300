/*
 * loop.h - a tiny epoll event loop: fd watchers, timers on a min-heap,
 * run/stop.  One loop per worker thread; a loop and everything registered in
 * it belong to that thread (not thread-safe, except tg_loop_wakeup()).
 *
 * Ownership: watchers (struct tg_loop_io) and timers (struct tg_loop_timer)
 * are owned by the caller and usually embedded in a bigger struct (a
 * connection); the loop keeps pointers to them while they are registered, so
 * they must stay valid until tg_loop_del() / tg_loop_timer_stop() or until
 * the loop is freed.  Registering allocates only when the timer heap grows,
 * so steady state does not call malloc; a user that reserves room for all
 * its timers up front (tg_loop_timer_reserve) never sees a timer start fail.
 *
 * Times are nanoseconds on CLOCK_MONOTONIC (core/time.h).
 */
#ifndef TG_ENGINE_LOOP_H
#define TG_ENGINE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_loop;

enum {
    TG_LOOP_READ = 1u,  /* EPOLLIN */
    TG_LOOP_WRITE = 2u, /* EPOLLOUT */
    TG_LOOP_ERROR = 4u, /* EPOLLERR or EPOLLHUP (reported, never requested) */
};

struct tg_loop_io;
/* Called with the ready events (TG_LOOP_* bits). */
typedef void (*tg_loop_io_fn)(struct tg_loop *l, struct tg_loop_io *io, unsigned events);

struct tg_loop_io {
    int fd;             /* -1 when not registered */
    unsigned events;    /* private: the registered interest set */
    tg_loop_io_fn fn;
    void *arg;          /* caller's */
};

struct tg_loop_timer;
typedef void (*tg_loop_timer_fn)(struct tg_loop *l, struct tg_loop_timer *t);

struct tg_loop_timer {
    uint64_t deadline_ns;  /* monotonic; valid while armed */
    size_t heap_index;     /* private: position in the heap, SIZE_MAX when not armed */
    uint64_t seq;          /* private: insertion order, breaks deadline ties FIFO */
    tg_loop_timer_fn fn;
    void *arg;             /* caller's */
};

/* Creates a loop.  Returns NULL on failure (errno set). */
struct tg_loop *tg_loop_new(void);
/* Frees the loop (NULL is a no-op).  Does not close registered fds. */
void tg_loop_free(struct tg_loop *l);

/* Initialises a watcher (not yet registered). */
void tg_loop_io_init(struct tg_loop_io *io, tg_loop_io_fn fn, void *arg);
/* Registers fd with interest `events` (TG_LOOP_READ|TG_LOOP_WRITE, may be 0).
 * Returns 0 or -errno. */
int tg_loop_add(struct tg_loop *l, struct tg_loop_io *io, int fd, unsigned events);
/* Changes the interest set; no system call when it is unchanged.  Returns 0
 * or -errno (epoll_ctl's: the registration is then as before, and the
 * caller must not count on the new interest: the engine fails and closes
 * the connection). */
int tg_loop_mod(struct tg_loop *l, struct tg_loop_io *io, unsigned events);
/* Unregisters the watcher (does not close the fd) and drops any of its events
 * still pending in the current dispatch round.  No-op when not registered. */
void tg_loop_del(struct tg_loop *l, struct tg_loop_io *io);

void tg_loop_timer_init(struct tg_loop_timer *t, tg_loop_timer_fn fn, void *arg);
/* Makes room in the heap for n armed timers at once.  Returns 0 or
 * TG_ENOMEM (the loop is unchanged). */
int tg_loop_timer_reserve(struct tg_loop *l, size_t n);
/* Arms (or re-arms) the timer for deadline_ns.  Returns 0 or TG_ENOMEM (the
 * timer is then disarmed).  Cannot fail while the armed timers, this one
 * included, are no more than tg_loop_timer_reserve()'s n: the engine's
 * workers reserve their five timers when they are created (tg_engine_new),
 * so a run never finds a timer it could not arm. */
int tg_loop_timer_start(struct tg_loop *l, struct tg_loop_timer *t, uint64_t deadline_ns);
/* Disarms the timer; no-op when not armed. */
void tg_loop_timer_stop(struct tg_loop *l, struct tg_loop_timer *t);
static inline bool tg_loop_timer_armed(const struct tg_loop_timer *t)
{
    return t->heap_index != (size_t)-1;
}

/* Runs until tg_loop_stop() is called from a callback.  Expired timers fire
 * in deadline order (ties in arming order) after each round of fd events.
 * Returns 0 or -errno when epoll_wait fails for a reason other than EINTR. */
int tg_loop_run(struct tg_loop *l);
void tg_loop_stop(struct tg_loop *l);

/* The loop's notion of now, refreshed after every wait (cheaper than a clock call). */
uint64_t tg_loop_now(const struct tg_loop *l);
/* Refreshes and returns now. */
uint64_t tg_loop_update_now(struct tg_loop *l);

#endif
