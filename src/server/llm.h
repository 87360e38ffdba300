/*
 * llm.h - the placeholder LLM of `tailgate serve` ("example-llm" on the
 * generative dialects' routes): an iteration-level continuous-batching
 * simulator in the style of vLLM, its deterministic text, and the engine
 * that runs it on CLOCK_MONOTONIC.  docs/server.md, "The placeholder LLM",
 * gives every rule and where each default comes from.
 *
 * Three layers, each usable alone:
 *   text  (llm_text.c)  prompt tokens, natural stop, words: pure functions.
 *   sim   (llm_sched.c) the scheduler as a pure state machine driven by the
 *                       caller (no clock, no thread): unit-testable.
 *   engine (llm.c)      one thread that plans a step, sleeps until its
 *                       simulated end, then publishes one token to every
 *                       sequence of the step; the HTTP side takes tokens
 *                       from it (tg_llm_take) and is woken when more come.
 */
#ifndef TG_SERVER_LLM_H
#define TG_SERVER_LLM_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

#define TG_LLM_MODEL_NAME "example-llm"

struct tg_llm_config {
    double step_a_ms;            /* fixed cost of one step, ms */
    double step_b_ms;            /* per sequence in the step, ms */
    double step_c_ms;            /* per prefilled token, ms */
    unsigned max_num_seqs;       /* most sequences running (vLLM --max-num-seqs) */
    uint32_t kv_tokens;          /* KV-cache budget, tokens */
    uint32_t max_model_len;      /* prompt + max_tokens must fit (vLLM --max-model-len) */
    uint32_t max_tokens_default; /* output limit when the request names none */
    int preempt;                 /* 1: preemption by recompute (vLLM v0); 0: admission
                                    reserves prompt + limit (TGI-style), never preempts */
    uint64_t seed;               /* text seed */
    size_t max_waiting;          /* most waiting sequences before a submit is refused */
};

/* The defaults (docs/server.md cites each). */
extern const struct tg_llm_config tg_llm_defaults;

/* 0, or TG_EINVAL when a field is out of range (step costs < 0 or not
 * finite, max_num_seqs 0, kv_tokens < 2, max_model_len 0, ...). */
int tg_llm_config_check(const struct tg_llm_config *c);

/* Step time a + b*seqs + c*prefill_tokens, in ns (rounded). */
uint64_t tg_llm_step_ns(const struct tg_llm_config *c, unsigned seqs, uint64_t prefill_tokens);

/* ---- text (pure, thread-safe) ------------------------------------------------ */

/* Prompt tokens of prompt[0..n): ceil(n / 4) UTF-8 bytes, at least 1. */
uint32_t tg_llm_prompt_tokens(const char *prompt, size_t n);

/* The seed of a generation: FNV-1a-64 over seed (8 bytes little-endian)
 * then the prompt bytes. */
uint64_t tg_llm_text_seed(const char *prompt, size_t n, uint64_t seed);

/* The natural output length (where the model "stops"): 16 .. 511 tokens,
 * from text_seed. */
uint32_t tg_llm_natural_len(uint64_t text_seed);

/* Token pos (0-based) of the generation: a word from a fixed vocabulary
 * with a leading space (some non-ASCII).  Returns a static string; *len
 * gets its byte length. */
const char *tg_llm_token(uint64_t text_seed, uint32_t pos, size_t *len);

/* Appends tokens [from, to) to out.  Returns 0 or TG_ENOMEM. */
int tg_llm_text(struct tg_buf *out, uint64_t text_seed, uint32_t from, uint32_t to);

/* ---- simulator (pure; one owner, no locking) --------------------------------- */

enum tg_llm_state { TG_LLM_NEW, TG_LLM_WAITING, TG_LLM_RUNNING, TG_LLM_DONE };

struct tg_llm_seq {
    /* set by the caller before submit */
    uint32_t prompt_tokens;   /* >= 1 */
    uint32_t output_len;      /* tokens it will generate, 1 .. limit */
    uint32_t limit;           /* its max_tokens (what preempt-off admission reserves) */
    /* the simulator's */
    enum tg_llm_state state;
    uint32_t generated;       /* tokens produced so far */
    uint32_t prefill;         /* tokens its next admission prefills (prompt, or
                                 prompt + generated after a preemption) */
    uint32_t preemptions;
    struct tg_llm_seq *prev, *next;
};

struct tg_llm_list {
    struct tg_llm_seq *head, *tail;
    size_t n;
};

struct tg_llm_sim {
    struct tg_llm_config cfg;
    struct tg_llm_list waiting;   /* FCFS; preempted sequences go back to the front */
    struct tg_llm_list running;   /* in admission order: the tail is the newest */
    uint64_t kv_held;             /* sum over running of prompt + generated, tokens */
    uint64_t kv_reserved;         /* preempt off: sum over running of prompt + limit */
    /* counters since init */
    uint64_t steps, prompt_tokens, generation_tokens, preemptions, finished;
};

/* What one planned step holds. */
struct tg_llm_step {
    unsigned seqs;            /* sequences in the step (running after admission) */
    unsigned admitted;        /* of which newly admitted (prefilled) */
    unsigned preempted;       /* sequences evicted back to waiting before it */
    uint64_t prefill_tokens;  /* tokens prefilled by the admitted ones */
    uint64_t ns;              /* its duration: tg_llm_step_ns */
};

void tg_llm_sim_init(struct tg_llm_sim *s, const struct tg_llm_config *c);

/* Queues s (state NEW, fields above set) at the back of waiting.  Returns
 * 0, TG_ERANGE when prompt + limit exceeds max_model_len or kv_tokens (it
 * could never run), TG_EINVAL for a bad seq, TG_EAGAIN when max_waiting
 * sequences already wait. */
int tg_llm_sim_submit(struct tg_llm_sim *sim, struct tg_llm_seq *s);

/* Removes s wherever it is (its KV freed); a DONE or NEW s is left alone.
 * Safe between plan and finish: s then gets no token from that step. */
void tg_llm_sim_cancel(struct tg_llm_sim *sim, struct tg_llm_seq *s);

/* Plans the next step.  preempt on: while the running sequences would not
 * fit one more token each, the newest is evicted to the front of waiting
 * (its KV freed; re-admission prefills prompt + generated).  Then waiting
 * sequences are admitted in order while fewer than max_num_seqs run and the
 * head fits (preempt on: kv_held + running + prefill + 1 <= kv_tokens; off:
 * kv_reserved + prompt + limit <= kv_tokens); the first that does not fit
 * stops admission (FCFS).  Fills *st; returns st->seqs (0: nothing to run,
 * no step). */
unsigned tg_llm_sim_plan(struct tg_llm_sim *sim, struct tg_llm_step *st);

/* Ends the planned step: every running sequence gets one more token;
 * fn(ctx, s) is called for each (s->generated already counts it; a
 * finished one is DONE and out of the simulator, its KV freed).  fn must
 * not call back into the simulator. */
void tg_llm_sim_finish(struct tg_llm_sim *sim, void (*fn)(void *ctx, struct tg_llm_seq *s),
                       void *ctx);

/* ---- engine (thread-safe) ---------------------------------------------------- */

struct tg_llm;

/* What a request of the HTTP side is to the engine.  The caller owns the
 * memory; after tg_llm_submit() returned 0 it stays valid until
 * tg_llm_cancel() returned. */
struct tg_llm_req {
    struct tg_llm_seq seq;       /* caller sets prompt_tokens, output_len, limit */
    int stream;                  /* 1: woken at every token; 0: only when it ends */
    void (*wake)(void *arg);     /* engine thread, engine lock held: the parked
                                    request has tokens (or ended) */
    void *arg;
    /* engine-private */
    uint32_t taken;
    int parked, ended, cancelled;
    int status;                  /* 0, or TG_ECLOSED: aborted at shutdown */
};

struct tg_llm_stats {
    size_t running, waiting;
    uint64_t kv_held, kv_tokens;
    uint64_t steps, prompt_tokens, generation_tokens, preemptions, finished;
};

/* Validates c and starts the scheduler thread.  Returns 0, TG_EINVAL,
 * TG_ENOMEM or -errno. */
int tg_llm_new(const struct tg_llm_config *c, struct tg_llm **out);

/* Submits r (see tg_llm_sim_submit for the codes; TG_ECLOSED once
 * stopped).  parked 1: the caller is already waiting (its connection
 * suspended) and r->wake is due when there is something to take.  On error
 * nothing of r is kept and wake never runs. */
int tg_llm_submit(struct tg_llm *e, struct tg_llm_req *r, int parked);

/* Tokens of r ready and not yet taken, at most max: returns how many (and
 * marks them taken: they are [*from, *from + n)).  *ended: r gets no more
 * after these (all generated and taken, or aborted: r->status != 0).  When
 * none are ready and r has not ended, park(arg) is called under the engine
 * lock (the caller suspends its connection there) and r->wake will be
 * called once there are. */
uint32_t tg_llm_take(struct tg_llm *e, struct tg_llm_req *r, uint32_t max, uint32_t *from,
                     int *ended, void (*park)(void *arg), void *arg);

/* Withdraws r (client gone, or finished): after this the engine never
 * touches r again.  Idempotent. */
void tg_llm_cancel(struct tg_llm *e, struct tg_llm_req *r);

void tg_llm_get_stats(struct tg_llm *e, struct tg_llm_stats *out);

/* Stops: every request not ended ends with status TG_ECLOSED (parked ones
 * woken); the thread is joined.  Idempotent. */
void tg_llm_stop(struct tg_llm *e);

/* tg_llm_stop(), then frees.  NULL is a no-op. */
void tg_llm_free(struct tg_llm *e);

#endif
