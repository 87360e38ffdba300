/*
 * fault.h - a fault-injection seam for unit tests: the engine asks
 * tg_fault() before each call whose failure it must survive but cannot
 * provoke from outside (epoll_ctl of tg_loop_mod, the loop's epoll_wait, the
 * timer heap's allocation, a request slot).  Real runs never set the hook; NULL costs one
 * predicted branch on paths that are about to make a system call or
 * allocate anyway.
 *
 * Thread-safety: set or clear tg_fault_hook only while no engine runs (the
 * test sets it before tg_engine_start and clears it after tg_engine_join);
 * the hook itself is then called from the worker threads.
 */
#ifndef TG_ENGINE_FAULT_H
#define TG_ENGINE_FAULT_H

enum tg_fault_site {
    TG_FAULT_LOOP_MOD,    /* tg_loop_mod's epoll_ctl (only when the interest set changes) */
    TG_FAULT_TIMER_HEAP,  /* growing the loop's timer heap (tg_loop_timer_start/_reserve) */
    TG_FAULT_REQ_ALLOC,   /* taking a worker's request slot (admit.c) */
    TG_FAULT_LOOP_WAIT,   /* tg_loop_run's epoll_wait / epoll_pwait2, each call (not EINTR: the run stops) */
    TG_FAULT_NSITES
};

/* Returns 0 to let the call proceed, or the failure to inject (a negative
 * errno or TG_E* code; the site maps it to its own failure). */
typedef int (*tg_fault_fn)(enum tg_fault_site site);

extern tg_fault_fn tg_fault_hook;   /* NULL except in unit tests */

static inline int tg_fault(enum tg_fault_site site)
{
    return __builtin_expect(tg_fault_hook != 0, 0) ? tg_fault_hook(site) : 0;
}

#endif
