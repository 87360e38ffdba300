/*
 * openai_gen_server.c - the server side of openai-chat and openai-completions
 * (for tailgate serve's placeholder LLM): the request parser with OpenAI's
 * statuses and wording, and the writers of OpenAI's exact objects:
 *   stream   data: {"id","object":"chat.completion.chunk","created","model",
 *                   "choices":[{"index":0,"delta":{…},"logprobs":null,
 *                   "finish_reason":…}]}\n\n  (completions: "text_completion"
 *                   with choices[].text), the usage chunk ("choices":[]) when
 *                   include_usage, then data: [DONE]\n\n
 *   whole    {"object":"chat.completion", … "message":{"role","content"} …,
 *             "usage":{"prompt_tokens","completion_tokens","total_tokens"}}
 * The writers run once per generated token: tg_buf appends and the UTF-8-safe
 * string writer (tg_api_canon_text), no jansson, no printf.
 */
#include "api/internal.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIT(b, s) tg_buf_append((b), (s), sizeof(s) - 1)

/* ---- routes ---------------------------------------------------------------------- */

enum tg_api_route tg_api_gen_route(enum tg_api_gen_dialect d, const char *path, char *model, size_t cap)
{
    if (cap)
        model[0] = '\0';
    /* GET /v1/models is openai-embeddings' (one list for every OpenAI route). */
    const char *mine = d == TG_API_GEN_CHAT ? "/v1/chat/completions" : "/v1/completions";
    return !strcmp(path, mine) ? TG_API_ROUTE_INFER : TG_API_ROUTE_NONE;
}

/* ---- requests ---------------------------------------------------------------------- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a decimal";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* r->texts = the one text pieces[0..n) joined by "\n" (pointing into the
 * document when n == 1; else one allocation, freed by tg_api_request_free). */
static int take_joined(struct tg_api_request *r, const struct tg_api_text *pieces, size_t n)
{
    if (n == 1) {
        r->one = pieces[0];
        r->texts = &r->one;
        r->n = 1;
        return 0;
    }
    size_t total = n ? n - 1 : 0;
    for (size_t i = 0; i < n; i++)
        total += pieces[i].len;
    struct tg_api_text *t = malloc(sizeof *t + total + 1);
    if (!t)
        return tg_api_reject(r, TG_ENOMEM, 500, "out of memory");
    char *p = (char *)(t + 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = '\n';
        memcpy(p, pieces[i].data, pieces[i].len);
        p += pieces[i].len;
    }
    *p = '\0';
    *t = (struct tg_api_text){ (const char *)(t + 1), total };
    r->texts = t;
    r->n = 1;
    return 0;
}

static bool known_role(const char *role)
{
    static const char *const roles[] = { "system", "developer", "user", "assistant", "tool", "function", NULL };
    for (size_t i = 0; roles[i]; i++)
        if (!strcmp(role, roles[i]))
            return true;
    return false;
}

/* The prompt of a chat body: every text content of messages, in order. */
static int take_messages(struct tg_api_request *r, const json_t *msgs)
{
    if (!msgs)
        return tg_api_reject(r, TG_EPARSE, 400, "Missing required parameter: 'messages'.");
    if (!json_is_array(msgs))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'messages': expected an array, but got %s instead.",
                             type_name(msgs));
    size_t n = json_array_size(msgs), np = 0, cap = 0;
    if (n == 0)
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid 'messages': empty array. Expected an array with "
                             "minimum length 1, but got an empty array instead.");
    for (size_t k = 0; k < n; k++) {
        json_t *c = json_object_get(json_array_get(msgs, k), "content");
        cap += json_is_array(c) ? json_array_size(c) : 1;
    }
    struct tg_api_text *pieces = malloc(cap * sizeof *pieces);
    if (!pieces)
        return tg_api_reject(r, TG_ENOMEM, 500, "out of memory");
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        json_t *m = json_array_get(msgs, k), *role = json_object_get(m, "role"),
               *c = json_object_get(m, "content");
        if (!json_is_object(m))
            rc = tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'messages[%zu]': expected an object, but got %s "
                               "instead.", k, type_name(m));
        else if (!role)
            rc = tg_api_reject(r, TG_EPARSE, 400, "Missing required parameter: 'messages[%zu].role'.", k);
        else if (!json_is_string(role) || !known_role(json_string_value(role)))
            rc = tg_api_reject(r, TG_EPARSE, 400, "Invalid value for 'messages[%zu].role': supported values are "
                               "'system', 'developer', 'user', 'assistant', 'tool' and 'function'.", k);
        else if ((!c || json_is_null(c)) && strcmp(json_string_value(role), "assistant"))
            rc = tg_api_reject(r, TG_EPARSE, 400, "Missing required parameter: 'messages[%zu].content'.", k);
        else if (json_is_string(c))
            pieces[np++] = (struct tg_api_text){ json_string_value(c), json_string_length(c) };
        else if (json_is_array(c)) {
            for (size_t j = 0; j < json_array_size(c) && !rc; j++) {
                json_t *p = json_array_get(c, j), *type = json_object_get(p, "type"),
                       *text = json_object_get(p, "text");
                if (!json_is_string(type))
                    rc = tg_api_reject(r, TG_EPARSE, 400, "Missing required parameter: "
                                       "'messages[%zu].content[%zu].type'.", k, j);
                else if (strcmp(json_string_value(type), "text"))
                    rc = tg_api_reject(r, TG_EPARSE, 400, "Invalid 'messages[%zu].content[%zu].type': this "
                                       "placeholder server takes text parts only.", k, j);
                else if (!json_is_string(text))
                    rc = tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'messages[%zu].content[%zu].text': "
                                       "expected a string.", k, j);
                else
                    pieces[np++] = (struct tg_api_text){ json_string_value(text), json_string_length(text) };
            }
        } else if (c && !json_is_null(c))
            rc = tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'messages[%zu].content': expected a string or "
                               "an array of parts, but got %s instead.", k, type_name(c));
    }
    if (!rc) {
        static const struct tg_api_text none = { "", 0 };
        rc = np ? take_joined(r, pieces, np) : take_joined(r, &none, 1);
    }
    free(pieces);
    return rc;
}

static int take_prompt(struct tg_api_request *r, const json_t *p)
{
    if (!p)
        return tg_api_reject(r, TG_EPARSE, 400, "Missing required parameter: 'prompt'.");
    if (json_is_array(p) && json_array_size(p) == 1 && json_is_string(json_array_get(p, 0)))
        p = json_array_get(p, 0);
    if (json_is_string(p)) {
        struct tg_api_text t = { json_string_value(p), json_string_length(p) };
        return take_joined(r, &t, 1);
    }
    if (!json_is_array(p))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'prompt': expected a string or an array, but got "
                             "%s instead.", type_name(p));
    if (json_array_size(p) == 0)
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid 'prompt': empty array. Expected an array with minimum "
                             "length 1, but got an empty array instead.");
    if (json_is_string(json_array_get(p, 0)))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid 'prompt': this placeholder server takes one prompt per "
                             "request (got %zu).", json_array_size(p));
    return tg_api_reject(r, TG_EPARSE, 400, "Invalid 'prompt': token prompts are not supported by this "
                         "placeholder server.");
}

/* max_tokens / max_completion_tokens: absent, null, or an integer >= 1. */
static int take_max(struct tg_api_request *r, const json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for '%s': expected an integer, but got %s instead.",
                             key, type_name(v));
    if (json_integer_value(v) < 1)
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid '%s': integer below minimum value. Expected a value "
                             ">= 1, but got %lld instead.", key, (long long)json_integer_value(v));
    r->max_tokens = (int64_t)json_integer_value(v);
    return 0;
}

static int take_stream(struct tg_api_request *r, const json_t *root)
{
    json_t *s = json_object_get(root, "stream"), *o = json_object_get(root, "stream_options");
    if (s && !json_is_null(s) && !json_is_boolean(s))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'stream': expected a boolean, but got %s "
                             "instead.", type_name(s));
    r->stream = json_is_true(s);
    if (!o || json_is_null(o))
        return 0;
    if (!r->stream)
        return tg_api_reject(r, TG_EPARSE, 400, "The 'stream_options' parameter is only allowed when 'stream' is "
                             "enabled.");
    if (!json_is_object(o))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'stream_options': expected an object, but got "
                             "%s instead.", type_name(o));
    json_t *u = json_object_get(o, "include_usage");
    if (u && !json_is_null(u) && !json_is_boolean(u))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'stream_options.include_usage': expected a "
                             "boolean, but got %s instead.", type_name(u));
    r->include_usage = json_is_true(u);
    return 0;
}

int tg_api_gen_parse(enum tg_api_gen_dialect d, const char *body, size_t len,
                     const struct tg_api_server_limits *lim, struct tg_api_request *r)
{
    memset(r, 0, sizeof *r);
    r->max_tokens = -1;
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return tg_api_reject(r, TG_EPARSE, 400, "We could not parse the JSON body of your request: %s at byte %d. "
                             "(The OpenAI API expects a JSON payload.)", err.text, err.position);
    r->root = root;
    if (!json_is_object(root))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for the request body: expected an object, but got "
                             "%s instead.", type_name(root));
    json_t *model = json_object_get(root, "model"), *n = json_object_get(root, "n");
    if (!model || json_is_null(model))
        return tg_api_reject(r, TG_EPARSE, 400, "you must provide a model parameter");
    if (!json_is_string(model))
        return tg_api_reject(r, TG_EPARSE, 400, "Invalid type for 'model': expected a string, but got %s instead.",
                             type_name(model));
    int rc = d == TG_API_GEN_CHAT ? take_messages(r, json_object_get(root, "messages"))
                                  : take_prompt(r, json_object_get(root, "prompt"));
    if (!rc && d == TG_API_GEN_CHAT)
        rc = take_max(r, root, "max_completion_tokens");
    if (!rc && r->max_tokens < 0)
        rc = take_max(r, root, "max_tokens");
    rc = rc ? rc : take_stream(r, root);
    if (!rc && n && !json_is_null(n) && !(json_is_integer(n) && json_integer_value(n) == 1))
        rc = tg_api_reject(r, TG_EPARSE, 400, "Invalid 'n': this placeholder server generates one choice (n = 1).");
    if (rc)
        return rc;
    const char *name = json_string_value(model);
    size_t nlen = json_string_length(model);
    if (nlen != strlen(lim->model) || memcmp(name, lim->model, nlen) != 0)
        return tg_api_reject(r, TG_EINVAL, 404, "The model `%.64s%s` does not exist or you do not have access to it.",
                             name, nlen > 64 ? "..." : "");
    snprintf(r->model, sizeof r->model, "%s", lim->model);
    r->status = 200;
    return 0;
}

/* ---- errors ------------------------------------------------------------------------- */

/* OpenAI's "code" for the wording above; NULL (JSON null) for the others. */
static const char *error_code(int status, const char *message)
{
    static const struct { const char *prefix, *code; } codes[] = {
        { "Invalid type for", "invalid_type" },
        { "Missing required parameter", "missing_required_parameter" },
        { "you must provide a model", "missing_required_parameter" },
        { "Invalid value for", "invalid_value" },
    };
    if (status == 404 && !strncmp(message, "The model `", 11))
        return "model_not_found";
    if (strstr(message, "integer below minimum value"))
        return "integer_below_min_value";
    if (strstr(message, ": empty array."))
        return "empty_array";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (!strncmp(message, codes[i].prefix, strlen(codes[i].prefix)))
            return codes[i].code;
    return NULL;
}

int tg_api_gen_error(struct tg_buf *b, int status, const char *message)
{
    const char *type = status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
    const char *code = status == 401 ? "invalid_api_key" : status == 429 ? "rate_limit_exceeded"
                                                                          : error_code(status, message);
    /* "param": the first 'quoted' name of the message ('messages[0].role') */
    const char *q = strchr(message, '\''), *qe = q ? strchr(q + 1, '\'') : NULL;
    size_t plen = qe ? (size_t)(qe - q - 1) : 0;
    for (size_t i = 0; i < plen; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz_.[]0123456789", q[1 + i]))
            plen = 0;
    int rc = LIT(b, "{\"error\":{\"message\":");
    rc = rc ? rc : tg_api_put_text(b, message);
    rc = rc ? rc : LIT(b, ",\"type\":");
    rc = rc ? rc : tg_api_put_string(b, type, strlen(type));
    rc = rc ? rc : LIT(b, ",\"param\":");
    rc = rc ? rc : plen ? tg_api_put_string(b, q + 1, plen) : LIT(b, "null");
    rc = rc ? rc : LIT(b, ",\"code\":");
    rc = rc ? rc : code ? tg_api_put_string(b, code, strlen(code)) : LIT(b, "null");
    return rc ? rc : LIT(b, "}}");
}

/* ---- writers ------------------------------------------------------------------------- */

static int put_int(struct tg_buf *b, int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return tg_buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

static int put_str(struct tg_buf *b, const char *s)
{
    return tg_api_canon_text(b, s ? s : "", s ? strlen(s) : 0);
}

/* {"id":…,"object":OBJ,"created":…  (shared head of every object) */
static int put_head(struct tg_buf *b, const struct tg_api_gen *g, const char *obj, size_t objlen)
{
    int rc = LIT(b, "{\"id\":");
    rc = rc ? rc : put_str(b, g->id);
    rc = rc ? rc : LIT(b, ",\"object\":");
    rc = rc ? rc : tg_buf_append(b, obj, objlen);
    rc = rc ? rc : LIT(b, ",\"created\":");
    return rc ? rc : put_int(b, g->created);
}

static int put_model(struct tg_buf *b, const struct tg_api_gen *g)
{
    int rc = LIT(b, ",\"model\":");
    return rc ? rc : put_str(b, g->model);
}

static int put_finish(struct tg_buf *b, const char *fr)
{
    int rc = LIT(b, "\"finish_reason\":");
    return rc ? rc : fr ? put_str(b, fr) : LIT(b, "null");
}

static int put_usage(struct tg_buf *b, const struct tg_api_gen *g)
{
    int rc = LIT(b, ",\"usage\":{\"prompt_tokens\":");
    rc = rc ? rc : put_int(b, g->prompt_tokens);
    rc = rc ? rc : LIT(b, ",\"completion_tokens\":");
    rc = rc ? rc : put_int(b, g->completion_tokens);
    rc = rc ? rc : LIT(b, ",\"total_tokens\":");
    rc = rc ? rc : put_int(b, (int64_t)g->prompt_tokens + g->completion_tokens);
    return rc ? rc : LIT(b, "}");
}

#define CHUNK_OBJ "\"chat.completion.chunk\""
#define CMPL_OBJ "\"text_completion\""

int tg_api_gen_chunk(enum tg_api_gen_dialect d, struct tg_buf *b, const struct tg_api_gen *g,
                     const char *text, size_t len, bool first)
{
    int rc = tg_buf_reserve(b, 200 + len);
    rc = rc ? rc : LIT(b, "data: ");
    if (d == TG_API_GEN_CHAT) {
        rc = rc ? rc : put_head(b, g, CHUNK_OBJ, sizeof CHUNK_OBJ - 1);
        rc = rc ? rc : put_model(b, g);
        rc = rc ? rc : LIT(b, ",\"choices\":[{\"index\":0,\"delta\":{");
        if (first)
            rc = rc ? rc : LIT(b, "\"role\":\"assistant\",");
        if (first || len || !g->finish_reason) {
            rc = rc ? rc : LIT(b, "\"content\":");
            rc = rc ? rc : tg_api_canon_text(b, text, len);
        }
        rc = rc ? rc : LIT(b, "},\"logprobs\":null,");
    } else {
        rc = rc ? rc : put_head(b, g, CMPL_OBJ, sizeof CMPL_OBJ - 1);
        rc = rc ? rc : LIT(b, ",\"choices\":[{\"text\":");
        rc = rc ? rc : tg_api_canon_text(b, text, len);
        rc = rc ? rc : LIT(b, ",\"index\":0,\"logprobs\":null,");
    }
    rc = rc ? rc : put_finish(b, g->finish_reason);
    rc = rc ? rc : LIT(b, "}]");
    if (d != TG_API_GEN_CHAT)
        rc = rc ? rc : put_model(b, g);
    if (g->include_usage)
        rc = rc ? rc : LIT(b, ",\"usage\":null");
    return rc ? rc : LIT(b, "}\n\n");
}

int tg_api_gen_stream_end(enum tg_api_gen_dialect d, struct tg_buf *b, const struct tg_api_gen *g,
                          bool include_usage)
{
    int rc = 0;
    if (include_usage) {
        rc = LIT(b, "data: ");
        if (d == TG_API_GEN_CHAT) {
            rc = rc ? rc : put_head(b, g, CHUNK_OBJ, sizeof CHUNK_OBJ - 1);
            rc = rc ? rc : put_model(b, g);
            rc = rc ? rc : LIT(b, ",\"choices\":[]");
        } else {
            rc = rc ? rc : put_head(b, g, CMPL_OBJ, sizeof CMPL_OBJ - 1);
            rc = rc ? rc : LIT(b, ",\"choices\":[]");
            rc = rc ? rc : put_model(b, g);
        }
        rc = rc ? rc : put_usage(b, g);
        rc = rc ? rc : LIT(b, "}\n\n");
    }
    return rc ? rc : LIT(b, "data: [DONE]\n\n");
}

int tg_api_gen_complete(enum tg_api_gen_dialect d, struct tg_buf *b, const struct tg_api_gen *g,
                        const char *text, size_t len)
{
    const char *fr = g->finish_reason ? g->finish_reason : "stop";
    int rc = tg_buf_reserve(b, 300 + len);
    if (d == TG_API_GEN_CHAT) {
        rc = rc ? rc : put_head(b, g, "\"chat.completion\"", 17);
        rc = rc ? rc : put_model(b, g);
        rc = rc ? rc : LIT(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
        rc = rc ? rc : tg_api_canon_text(b, text, len);
        rc = rc ? rc : LIT(b, ",\"refusal\":null},\"logprobs\":null,");
    } else {
        rc = rc ? rc : put_head(b, g, CMPL_OBJ, sizeof CMPL_OBJ - 1);
        rc = rc ? rc : put_model(b, g);
        rc = rc ? rc : LIT(b, ",\"choices\":[{\"text\":");
        rc = rc ? rc : tg_api_canon_text(b, text, len);
        rc = rc ? rc : LIT(b, ",\"index\":0,\"logprobs\":null,");
    }
    rc = rc ? rc : put_finish(b, fr);
    rc = rc ? rc : LIT(b, "}]");
    rc = rc ? rc : put_usage(b, g);
    return rc ? rc : LIT(b, "}");
}
