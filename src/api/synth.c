/*
 * synth.c - synthesised single-input bodies (see synth.h): one entry per
 * dialect, its body built as a jansson value and dumped compact.
 */
#include "api/synth.h"

#include "api/api.h"
#include "core/error.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef json_t *(*synth_fn)(const char *model, const char *text, int64_t max_tokens);

static json_t *model_input(const char *model, const char *text, int64_t max_tokens)
{
    (void)max_tokens;
    return json_pack("{s:s, s:s}", "model", model, "input", text);
}

static json_t *tei(const char *model, const char *text, int64_t max_tokens)
{
    (void)model, (void)max_tokens;
    return json_pack("{s:s}", "inputs", text);
}

static json_t *kserve(const char *model, const char *text, int64_t max_tokens)
{
    (void)model, (void)max_tokens;
    return json_pack("{s:[{s:s, s:[i], s:s, s:[s]}]}", "inputs", "name", "text", "shape", 1, "datatype",
                     "BYTES", "data", text);
}

static json_t *tfserving(const char *model, const char *text, int64_t max_tokens)
{
    (void)model, (void)max_tokens;
    return json_pack("{s:[s]}", "instances", text);
}

/* The generative tail: max_tokens when given, and a stream with usage
 * (so TTFT, TPOT and token counts are measured). */
static json_t *gen_tail(json_t *o, int64_t max_tokens)
{
    if (!o)
        return NULL;
    if (max_tokens >= 0)
        json_object_set_new(o, "max_tokens", json_integer((json_int_t)max_tokens));
    json_object_set_new(o, "stream", json_true());
    json_object_set_new(o, "stream_options", json_pack("{s:b}", "include_usage", 1));
    return o;
}

static json_t *chat(const char *model, const char *text, int64_t max_tokens)
{
    return gen_tail(json_pack("{s:s, s:[{s:s, s:s}]}", "model", model, "messages", "role", "user", "content",
                              text),
                    max_tokens);
}

static json_t *completions(const char *model, const char *text, int64_t max_tokens)
{
    return gen_tail(json_pack("{s:s, s:s}", "model", model, "prompt", text), max_tokens);
}

static const struct {
    const char *api;
    synth_fn fn;
    const char *model;    /* default; NULL: the body names none */
} synths[] = {
    { "tailgate", model_input, "example-model" },
    { "openai-embeddings", model_input, "example-model" },
    { "tei", tei, NULL },
    { "kserve-v2", kserve, NULL },
    { "tfserving", tfserving, NULL },
    { "openai-chat", chat, "example-llm" },
    { "openai-completions", completions, "example-llm" },
};

static int find(const struct tg_api *api)
{
    for (size_t i = 0; api && i < sizeof synths / sizeof synths[0]; i++)
        if (!strcmp(synths[i].api, api->name))
            return (int)i;
    return -1;
}

const char *tg_api_synth_default_model(const struct tg_api *api)
{
    int i = find(api);
    return i < 0 ? NULL : synths[i].model;
}

int tg_api_synth_line(const struct tg_api *api, struct tg_buf *out, const char *model, const char *text,
                      int64_t max_tokens)
{
    int i = find(api);
    if (i < 0)
        return TG_EINVAL;
    if (!model)
        model = synths[i].model ? synths[i].model : "";
    json_t *o = synths[i].fn(model, text, max_tokens);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return TG_ENOMEM;
    int rc = tg_buf_append(out, s, strlen(s));
    free(s);
    return rc;
}
