/*
 * fault.h - fault injection for the placeholder server (`tailgate serve
 * --fault KIND[:RATE]`): which inference requests misbehave, and a timer
 * thread that resumes suspended connections (stalled or trickled answers).
 *
 * Which request gets which fault is a pure function of (seed, request
 * number), so a run with the same seed and the same arrival order injects
 * the same faults.  The libmicrohttpd side (what each kind does on the wire)
 * is in server.c; docs/server.md describes it.
 *
 * Thread-safety: a plan is read-only once built (tg_fault_pick from any
 * thread).  tg_fault_timer_add and tg_fault_timer_stop may be called from
 * any thread; _new/_free from one controlling thread.
 */
#ifndef TG_SERVER_FAULT_H
#define TG_SERVER_FAULT_H

#include <stdint.h>

enum tg_fault_kind {
    TG_FAULT_NONE = 0,
    TG_FAULT_RESET,     /* SO_LINGER 0, then close: the client reads ECONNRESET */
    TG_FAULT_TRUNCATE,  /* headers with the full Content-Length, half the body, close */
    TG_FAULT_GARBAGE,   /* bytes that are not HTTP, then close */
    TG_FAULT_STALL,     /* never answer (until the idle timeout or shutdown) */
    TG_FAULT_CLOSE,     /* close without any response (FIN) */
    TG_FAULT_SLOW,      /* the real answer, its body trickled in TG_FAULT_SLOW_PIECES pieces */
    TG_FAULT_STATUS500, /* a JSON 500 error */
    TG_FAULT_KIND_COUNT
};

/* slow: the body goes out in this many pieces, one every TG_FAULT_SLOW_GAP_MS. */
#define TG_FAULT_SLOW_PIECES 20
#define TG_FAULT_SLOW_GAP_MS 25

struct tg_fault_plan {
    double rate[TG_FAULT_KIND_COUNT]; /* fraction of inference requests, 0..1; sum <= 1 */
    uint64_t seed;
    int any;                          /* some rate > 0 */
};

/* "reset", "truncate", ...; "none" for TG_FAULT_NONE, "?" out of range. */
const char *tg_fault_name(enum tg_fault_kind k);

/* Adds "KIND[:RATE]" (RATE a fraction 0..1, default 1) to the plan.
 * Returns 0, TG_EINVAL (unknown kind, bad rate, kind given twice) or
 * TG_ERANGE (the rates would add up to more than 1). */
int tg_fault_plan_add(struct tg_fault_plan *p, const char *arg);

/* The fault of the n-th inference request (0-based): the kinds share [0, 1)
 * in enum order, and a uniform drawn from splitmix64(seed, n) picks one. */
enum tg_fault_kind tg_fault_pick(const struct tg_fault_plan *p, uint64_t n);

/* The timer: calls fn(arg) on its own thread at a monotonic time. */
struct tg_fault_timer;

/* Returns 0, TG_ENOMEM or -errno (thread creation). */
int tg_fault_timer_new(struct tg_fault_timer **out);

/* Schedules fn(arg) at at_ns (tg_now_ns clock).  Returns 0, TG_ENOMEM, or
 * TG_ECLOSED after tg_fault_timer_stop (fn is then not called). */
int tg_fault_timer_add(struct tg_fault_timer *t, uint64_t at_ns, void (*fn)(void *), void *arg);

/* Calls every pending fn now, refuses later adds, joins the thread.
 * Idempotent. */
void tg_fault_timer_stop(struct tg_fault_timer *t);

/* Stops (see above) and frees.  NULL is a no-op. */
void tg_fault_timer_free(struct tg_fault_timer *t);

#endif
