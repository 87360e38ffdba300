/*
 * synth.h - a dialect's single-input body synthesised from a text and an
 * output length, for trace lines that give input_length / output_length
 * instead of a body (engine/trace.h, docs/load-shapes.md).  Kept in src/api
 * because only dialects know their JSON shapes.
 *
 *   tailgate, openai-embeddings  {"model":M,"input":TEXT}
 *   tei                          {"inputs":TEXT}
 *   kserve-v2                    {"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":[TEXT]}]}
 *   tfserving                    {"instances":[TEXT]}
 *   openai-chat                  {"model":M,"messages":[{"role":"user","content":TEXT}],
 *                                 "max_tokens":N,"stream":true,"stream_options":{"include_usage":true}}
 *   openai-completions           {"model":M,"prompt":TEXT,"max_tokens":N,"stream":true,
 *                                 "stream_options":{"include_usage":true}}
 * (max_tokens only when max_tokens >= 0; non-generative dialects ignore it.)
 *
 * Pure, thread-safe.
 */
#ifndef TG_API_SYNTH_H
#define TG_API_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct tg_api;

/* The model a synthesised body names when the trace line gives none
 * (the placeholder server's: "example-model", "example-llm"); NULL when the
 * dialect's body names no model, or the dialect has no synthesis. */
const char *tg_api_synth_default_model(const struct tg_api *api);

/* Appends the body (compact JSON, one line) to out.  model NULL: the
 * default.  Returns 0, TG_EINVAL (the dialect has no synthesis) or TG_ENOMEM. */
int tg_api_synth_line(const struct tg_api *api, struct tg_buf *out, const char *model, const char *text,
                      int64_t max_tokens);

#endif
