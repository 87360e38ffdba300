/*
 * serve_llm.c - `tailgate serve`'s placeholder-LLM options (see
 * serve_llm.h).  Defaults come from tg_llm_defaults; docs/server.md says
 * where each figure comes from.
 */
#include "cli/serve_llm.h"
#include "cli/cli.h"
#include "core/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define usage_error(...) tg_cli_usage_error("serve", __VA_ARGS__)

/* "A,B,C" in ms: fixed, per sequence, per prefill token. */
static int parse_step(const char *s, struct tg_llm_config *c)
{
    char buf[128], *save = NULL;
    double v[3];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *tok = strtok_r(buf, ",", &save);
    for (int i = 0; i < 3; i++, tok = strtok_r(NULL, ",", &save))
        if (!tok || tg_parse_double(tok, 0, 1e6, &v[i]))
            return -1;
    if (tok)
        return -1;
    c->step_a_ms = v[0];
    c->step_b_ms = v[1];
    c->step_c_ms = v[2];
    return 0;
}

int tg_serve_llm_option(int opt, const char *arg, struct tg_llm_config *c, const char **token_log)
{
    uint64_t v;
    switch (opt) {
    case OPT_LLM_STEP:
        if (parse_step(arg, c))
            return usage_error("--llm-step wants A,B,C in ms (fixed, per running sequence, per "
                               "prefill token; each 0..1e6), got '%s'", arg);
        return 0;
    case OPT_LLM_MAX_SEQS:
        if (tg_parse_count(arg, 1, 1u << 20, &v))
            return usage_error("--llm-max-num-seqs wants 1..1M, got '%s'", arg);
        c->max_num_seqs = (unsigned)v;
        return 0;
    case OPT_LLM_KV:
        if (tg_parse_count(arg, 2, UINT32_MAX, &v))
            return usage_error("--llm-kv-tokens wants a token count >= 2, got '%s'", arg);
        c->kv_tokens = (uint32_t)v;
        return 0;
    case OPT_LLM_MODEL_LEN:
        if (tg_parse_count(arg, 2, UINT32_MAX, &v))
            return usage_error("--llm-max-model-len wants a token count >= 2, got '%s'", arg);
        c->max_model_len = (uint32_t)v;
        return 0;
    case OPT_LLM_MAX_TOKENS:
        if (tg_parse_count(arg, 1, UINT32_MAX, &v))
            return usage_error("--llm-max-tokens-default wants a token count >= 1, got '%s'", arg);
        c->max_tokens_default = (uint32_t)v;
        return 0;
    case OPT_LLM_PREEMPT:
        if (!strcmp(arg, "on"))
            c->preempt = 1;
        else if (!strcmp(arg, "off"))
            c->preempt = 0;
        else
            return usage_error("--llm-preempt wants on or off, got '%s'", arg);
        return 0;
    case OPT_TOKEN_LOG:
        *token_log = arg;
        return 0;
    default:
        return usage_error("internal: option %d is not an LLM option", opt);
    }
}

void tg_serve_llm_help(void)
{
    const struct tg_llm_config *d = &tg_llm_defaults;
    printf("\nThe placeholder LLM (\"%s\" on the generative dialects' routes): continuous\n"
           "batching in the style of vLLM; a step decodes one token for every running sequence\n"
           "and prefills the newly admitted prompts, and takes A + B*running + C*prefill_tokens ms.\n"
           "  --llm-step A,B,C         step cost in ms (default %g,%g,%g: a 7B model in fp16 on\n"
           "                           one 80 GB datacenter GPU; docs/server.md)\n"
           "  --llm-max-num-seqs N     most sequences running (default %u, vLLM's)\n"
           "  --llm-kv-tokens N        KV-cache budget in tokens (default %u)\n"
           "  --llm-max-model-len N    prompt + max_tokens limit (default %u); longer: 400\n"
           "  --llm-max-tokens-default N  output limit when a request names none (default %u)\n"
           "  --llm-preempt on|off     on: a full KV cache evicts the newest running sequence,\n"
           "                           re-prefilled later (vLLM's recompute); off: admission\n"
           "                           reserves prompt + max_tokens (default %s)\n"
           "  --token-log FILE         one JSON line per generative request: the X-Request-Id\n"
           "                           received, recv_ns and the CLOCK_MONOTONIC ns of each\n"
           "                           token handed to the socket (complete at exit)\n"
           "  (--seed also seeds the text; --max-queue bounds the waiting sequences: 429)\n",
           TG_LLM_MODEL_NAME, d->step_a_ms, d->step_b_ms, d->step_c_ms, d->max_num_seqs,
           (unsigned)d->kv_tokens, (unsigned)d->max_model_len, (unsigned)d->max_tokens_default,
           d->preempt ? "on" : "off");
}

void tg_serve_llm_describe(const struct tg_llm_config *c, const char *token_log)
{
    fprintf(stderr,
            "tailgate serve: llm %s: step %g + %g*running + %g*prefill_tokens ms, "
            "max-num-seqs %u, kv-tokens %u, max-model-len %u, max-tokens-default %u, "
            "preempt %s, max-waiting %zu, token-log %s\n",
            TG_LLM_MODEL_NAME, c->step_a_ms, c->step_b_ms, c->step_c_ms, c->max_num_seqs,
            (unsigned)c->kv_tokens, (unsigned)c->max_model_len, (unsigned)c->max_tokens_default,
            c->preempt ? "on" : "off", c->max_waiting, token_log ? token_log : "off");
}
