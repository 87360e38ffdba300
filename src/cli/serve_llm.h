/*
 * serve_llm.h - the placeholder LLM's options of `tailgate serve`
 * (--llm-*, --token-log): parsing and help, kept out of serve.c.
 */
#ifndef TG_CLI_SERVE_LLM_H
#define TG_CLI_SERVE_LLM_H

#include "server/llm.h"

#include <getopt.h>

enum {
    OPT_LLM_STEP = 2000, OPT_LLM_MAX_SEQS, OPT_LLM_KV, OPT_LLM_MODEL_LEN, OPT_LLM_MAX_TOKENS,
    OPT_LLM_PREEMPT, OPT_TOKEN_LOG,
};

/* The getopt_long entries, for serve.c's table. */
#define TG_SERVE_LLM_LONGOPTS                                                  \
    { "llm-step", required_argument, NULL, OPT_LLM_STEP },                     \
    { "llm-max-num-seqs", required_argument, NULL, OPT_LLM_MAX_SEQS },         \
    { "llm-kv-tokens", required_argument, NULL, OPT_LLM_KV },                  \
    { "llm-max-model-len", required_argument, NULL, OPT_LLM_MODEL_LEN },       \
    { "llm-max-tokens-default", required_argument, NULL, OPT_LLM_MAX_TOKENS }, \
    { "llm-preempt", required_argument, NULL, OPT_LLM_PREEMPT },               \
    { "token-log", required_argument, NULL, OPT_TOKEN_LOG }

/* Applies option opt (one of the above) with argument arg.  Returns 0, or
 * TG_EXIT_USAGE after printing the reason (stderr). */
int tg_serve_llm_option(int opt, const char *arg, struct tg_llm_config *c, const char **token_log);

/* Prints the options' help lines and the routes' model (stdout). */
void tg_serve_llm_help(void);

/* One stderr line: the LLM's parameters in effect. */
void tg_serve_llm_describe(const struct tg_llm_config *c, const char *token_log);

#endif
