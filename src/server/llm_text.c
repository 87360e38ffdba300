/*
 * llm_text.c - what the placeholder LLM says (see llm.h): a pure function
 * of (prompt, position, seed), so batching, preemption and concurrency can
 * never change a byte of it.
 */
#include "server/llm.h"

#include "core/error.h"
#include "core/rng.h"

#include <string.h>

/* 64 words, each with its leading space; a few are non-ASCII (2-, 3- and
 * 4-byte UTF-8 sequences) so that clients' UTF-8 handling is exercised. */
static const char *const vocab[] = {
    " the",    " model",  " token",   " stream",  " batch",   " latency", " queue",  " server",
    " of",     " and",    " to",      " in",      " is",      " a",       " that",   " for",
    " time",   " first",  " output",  " input",   " cache",   " step",    " decode", " prefill",
    " GPU",    " memory", " request", " answer",  " fast",    " slow",    " every",  " one",
    " café",   " naïve",  " über",    " façade",  " Zürich",  " señor",   " déjà",   " vu",
    " 東京",   " 模型",   " données", " ελληνικά", " привет", " 🙂",      " 🚀",     " ∑",
    " we",     " it",     " this",    " with",    " on",      " at",      " by",     " from",
    " load",   " test",   " tail",    " gate",    " write",   " read",    " send",   " done",
};
#define VOCAB_N (sizeof vocab / sizeof vocab[0])

uint32_t tg_llm_prompt_tokens(const char *prompt, size_t n)
{
    (void)prompt;
    size_t t = (n + 3) / 4;
    if (t == 0)
        t = 1;
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

uint64_t tg_llm_text_seed(const char *prompt, size_t n, uint64_t seed)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(seed >> (8 * i));
    uint64_t h = tg_fnv1a64(TG_FNV64_OFFSET, le, sizeof le);
    return tg_fnv1a64(h, prompt, n);
}

uint32_t tg_llm_natural_len(uint64_t text_seed)
{
    uint64_t st = text_seed ^ 0x53544f50ULL; /* "STOP" */
    return 16 + (uint32_t)(tg_splitmix64(&st) % 496);
}

const char *tg_llm_token(uint64_t text_seed, uint32_t pos, size_t *len)
{
    uint64_t st = text_seed + 0x9e3779b97f4a7c15ULL * ((uint64_t)pos + 1);
    const char *w = vocab[tg_splitmix64(&st) % VOCAB_N];
    if (len)
        *len = strlen(w);
    return w;
}

int tg_llm_text(struct tg_buf *out, uint64_t text_seed, uint32_t from, uint32_t to)
{
    for (uint32_t p = from; p < to; p++) {
        size_t n;
        const char *w = tg_llm_token(text_seed, p, &n);
        if (tg_buf_append(out, w, n))
            return TG_ENOMEM;
    }
    return 0;
}
