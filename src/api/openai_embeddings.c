/*
 * openai_embeddings.c - the OpenAI embeddings API (docs/api.md, "openai-embeddings"):
 *   POST /v1/embeddings  {"model":M,"input":T|[T…],"encoding_format":"float"|"base64",…}
 *     -> {"object":"list","data":[{"object":"embedding","index":k,"embedding":V}],
 *         "model":M,"usage":{"prompt_tokens":P,"total_tokens":P}}
 *   V is an array of numbers, or (base64) the little-endian float32 bytes of it.
 *   GET /v1/models lists the served model; errors
 *   {"error":{"message","type","param","code"}} (read by the generic reader).
 */
#include "api/internal.h"

#include "core/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "openai-embeddings"
#define SPEC_MAX_BATCH 2048 /* "any array must be 2048 dimensions or less" */
#define FLAG_BASE64 1u      /* tg_api_request.flags: encoding_format "base64" */

_Static_assert(sizeof(float) == 4, "base64 embeddings are float32");

extern const struct tg_api tg_api_openai_embeddings; /* the table, at the end: its routes are server_route's */

/* ---- client side ------------------------------------------------------------ */

/* One input is a string or one tokenized input (an array of integers); an
 * array of strings or of arrays is a batch already. */
static int parse_line(const char *line, size_t len, struct tg_api_line *out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
    if (!root)
        return tg_api_fail(why, whylen, TG_EPARSE, NAME, "not JSON: %s", jerr.text);
    int rc = TG_EPARSE;
    json_t *model = json_object_get(root, "model"), *input = json_object_get(root, "input");
    if (!json_is_string(model) || !input)
        tg_api_fail(why, whylen, rc, NAME, "not an object with a string \"model\" and an \"input\"");
    else if (!(rc = tg_api_check_token_input(NAME, "input", input, why, whylen)))
        rc = tg_api_line_fill(out, root, input, (const char *const[]){ "input", NULL });
    json_decref(root);
    return rc;
}

/* OpenAI takes a list of strings or a list of token arrays, not a mix: a
 * group whose lines mix the two cannot be sent as one batch. */
static int build_batch(struct tg_buf *out, const char *group, const char *const *items,
                       const size_t *item_lens, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (!item_lens[i] || !item_lens[0] || (items[i][0] == '"') != (items[0][0] == '"'))
            return TG_EINVAL;
    return tg_api_splice_list(out, group, "input", items, item_lens, n);
}

/* Canonical text of base64 little-endian float32 bytes, appended to out. */
static int base64_canon(struct tg_buf *out, const json_t *s, size_t k, char *why, size_t whylen)
{
    size_t len = json_string_length(s), cap = len / 4 * 3;
    unsigned char *raw = malloc(cap ? cap : 1);
    float *f = malloc((cap / 4 ? cap / 4 : 1) * sizeof *f);
    int rc = raw && f ? 0 : TG_ENOMEM;
    long got = rc ? 0 : tg_api_base64_decode(json_string_value(s), len, raw, cap);
    if (rc) {
        /* out of memory */
    } else if (got < 0) {
        rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME, "data[%zu].embedding is not base64", k);
    } else if (got % 4) {
        rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME,
                         "data[%zu].embedding: %ld base64 bytes are not whole float32 values", k, got);
    } else {
        size_t m = (size_t)got / 4;
        for (size_t i = 0; i < m; i++) {
            const unsigned char *p = raw + 4 * i;
            uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24;
            memcpy(&f[i], &w, sizeof w); /* IEEE 754 binary32 on every target we build */
        }
        rc = tg_api_canon_floats(out, f, m);
    }
    free(raw);
    free(f);
    return rc;
}

/* Canonical text of data[k].embedding e (numbers or base64), appended to out. */
static int embedding_canon(struct tg_buf *out, const json_t *e, size_t k, char *why, size_t whylen)
{
    if (json_is_string(e))
        return base64_canon(out, e, k, why, whylen);
    if (!json_is_array(e))
        return tg_api_fail(why, whylen, TG_EMISMATCH, NAME,
                           "data[%zu].embedding is neither an array of numbers nor a base64 string", k);
    for (size_t j = 0; j < json_array_size(e); j++)
        if (!json_is_number(json_array_get(e, j)))
            return tg_api_fail(why, whylen, TG_EMISMATCH, NAME,
                               "data[%zu].embedding[%zu] is not a number", k, j);
    return tg_api_canon_value(out, e);
}

/* Fills canon[index] for every entry of data (m entries), each index
 * 0..m-1 exactly once; entry order is not trusted. */
static int canon_by_index(const json_t *data, size_t m, struct tg_buf *canon, char *why, size_t whylen)
{
    bool *seen = calloc(m ? m : 1, sizeof *seen);
    if (!seen)
        return TG_ENOMEM;
    int rc = 0;
    long long twice = -1;
    for (size_t k = 0; k < m && !rc; k++) {
        json_t *d = json_array_get(data, k);
        json_t *ix = json_object_get(d, "index"), *e = json_object_get(d, "embedding");
        json_int_t idx = json_is_integer(ix) ? json_integer_value(ix) : -1;
        if (!json_is_object(d))
            rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME, "data[%zu] is not an object", k);
        else if (!json_is_integer(ix))
            rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME, "data[%zu] has no integer \"index\"", k);
        else if (idx < 0 || (unsigned long long)idx >= m)
            rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME,
                             "data[%zu].index %lld is out of range (%zu entries)", k, (long long)idx, m);
        else if (!e)
            rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME, "data[%zu] has no \"embedding\"", k);
        else if (seen[idx]) {
            if (twice < 0)
                twice = idx;
        } else {
            seen[idx] = true;
            rc = embedding_canon(&canon[idx], e, k, why, whylen);
        }
    }
    for (size_t i = 0; i < m && !rc; i++)
        if (!seen[i])
            rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME, "index %zu missing (index %lld appears twice)",
                             i, twice);
    free(seen);
    return rc;
}

static int split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn,
                 void *ctx, char *why, size_t whylen)
{
    int rc;
    json_t *root = tg_api_load_answer(NAME, body, len, batched, n, &rc, why, whylen);
    if (!root)
        return rc;
    json_t *data = json_object_get(root, "data");
    size_t m = json_array_size(data);
    struct tg_buf *canon = NULL, joined = TG_BUF_INIT(0);
    rc = TG_EMISMATCH;
    if (!data)
        tg_api_fail(why, whylen, rc, NAME, "response has no \"data\"");
    else if (!json_is_array(data))
        tg_api_fail(why, whylen, rc, NAME, "\"data\" is not an array");
    else if (batched && m != n)
        tg_api_fail(why, whylen, rc, NAME, "\"data\" has %zu entries for %zu inputs", m, n);
    else if (m == 0)
        tg_api_fail(why, whylen, rc, NAME, "\"data\" is empty");
    else if (!(canon = calloc(m, sizeof *canon)))
        rc = TG_ENOMEM;
    else
        rc = canon_by_index(data, m, canon, why, whylen);
    if (!rc && (batched || m == 1)) {
        for (size_t i = 0; i < m && !rc; i++)
            rc = tg_api_emit_text(canon[i].data, canon[i].len, i, fn, ctx);
    } else if (!rc) {
        /* One unbatched input answered with several embeddings: the output is
         * their list, in index order (the canonical text of the nested array). */
        rc = tg_buf_append(&joined, "[", 1);
        for (size_t i = 0; i < m && !rc; i++) {
            if (i)
                rc = tg_buf_append(&joined, ",", 1);
            if (!rc)
                rc = tg_buf_append(&joined, canon[i].data, canon[i].len);
        }
        rc = rc ? rc : tg_buf_append(&joined, "]", 1);
        rc = rc ? rc : tg_api_emit_text(joined.data, joined.len, 0, fn, ctx);
    }
    for (size_t i = 0; canon && i < m; i++)
        tg_buf_free(&canon[i]);
    free(canon);
    tg_buf_free(&joined);
    json_decref(root);
    return rc;
}

/* ---- server side ------------------------------------------------------------ */

static enum tg_api_route server_route(const char *path, char *model, size_t cap)
{
    return tg_api_fixed_route(&tg_api_openai_embeddings, path, model, cap);
}

/* Checks "input" and points r->texts at its strings. */
static int take_input(struct tg_api_request *r, const json_t *input,
                      const struct tg_api_server_limits *lim)
{
    if (!input)
        return tg_api_reject(r, TG_EPARSE, 400, "'input' is a required property");
    if (json_is_string(input)) {
        if (json_string_length(input) == 0)
            return tg_api_reject(r, TG_EPARSE, 400, "'input' cannot be an empty string");
        tg_api_take_text(r, input);
        return 0;
    }
    if (!json_is_array(input))
        return tg_api_reject(r, TG_EPARSE, 400, "'input' must be a string or an array of strings");
    size_t n = json_array_size(input), max = tg_api_batch_limit(lim, SPEC_MAX_BATCH);
    if (n == 0)
        return tg_api_reject(r, TG_EPARSE, 400, "'input' must not be an empty array");
    if (n > max)
        return tg_api_reject(r, TG_ETOOBIG, 400, "'input' must have at most %zu items (got %zu)", max, n);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(input, i);
        if (json_is_integer(s) || json_is_array(s))
            return tg_api_reject(r, TG_EPARSE, 400,
                                 "token inputs are not supported by this placeholder server");
        if (json_is_string(s) && json_string_length(s) == 0)
            return tg_api_reject(r, TG_EPARSE, 400, "'input'[%zu] cannot be an empty string", i);
    }
    int rc = tg_api_take_texts(r, input, "input");
    if (!rc)
        r->batched = true;
    return rc;
}

static int server_parse(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r)
{
    memset(r, 0, sizeof *r);
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return tg_api_reject(r, TG_EPARSE, 400, "We could not parse the JSON body of your request: "
                             "%s at byte %d", err.text, err.position);
    r->root = root;
    if (!json_is_object(root))
        return tg_api_reject(r, TG_EPARSE, 400, "The request body must be a JSON object");
    json_t *model = json_object_get(root, "model");
    if (!model || json_is_null(model))
        return tg_api_reject(r, TG_EPARSE, 400, "you must provide a model parameter");
    if (!json_is_string(model))
        return tg_api_reject(r, TG_EPARSE, 400, "'model' must be a string");
    int rc = take_input(r, json_object_get(root, "input"), lim);
    if (rc)
        return rc;
    json_t *fmt = json_object_get(root, "encoding_format");
    if (json_is_string(fmt) && !strcmp(json_string_value(fmt), "base64"))
        r->flags |= FLAG_BASE64;
    else if (fmt && !json_is_null(fmt) && !(json_is_string(fmt) && !strcmp(json_string_value(fmt), "float")))
        return tg_api_reject(r, TG_EPARSE, 400, "'encoding_format' must be \"float\" or \"base64\"");
    json_t *dims = json_object_get(root, "dimensions");
    if (dims && !json_is_null(dims) &&
        !(json_is_integer(dims) && json_integer_value(dims) == (json_int_t)lim->dim))
        return tg_api_reject(r, TG_EPARSE, 400, "'dimensions' must be %zu for this model", lim->dim);
    const char *name = json_string_value(model);
    size_t nlen = json_string_length(model);
    if (nlen != strlen(lim->model) || memcmp(name, lim->model, nlen) != 0)
        return tg_api_reject(r, TG_EINVAL, 404,
                             "The model `%.64s%s` does not exist or you do not have access to it.",
                             name, nlen > 64 ? "..." : "");
    snprintf(r->model, sizeof r->model, "%s", lim->model);
    r->status = 200;
    return 0;
}

/* usage.prompt_tokens: the placeholder has no tokenizer, so it counts words
 * (runs of bytes other than ASCII space, \t, \n, \v, \f, \r) over all inputs. */
static size_t count_words(const struct tg_api_text *t)
{
    size_t words = 0;
    bool in = false;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->data[i];
        bool space = c == ' ' || (c >= '\t' && c <= '\r');
        if (!space && !in)
            words++;
        in = !space;
    }
    return words;
}

/* The base64 text of v[0..dim) as little-endian float32, quoted. */
static int put_base64_vector(struct tg_buf *b, const double *v, size_t dim, unsigned char *scratch)
{
    for (size_t i = 0; i < dim; i++) {
        float f = (float)v[i];
        uint32_t w;
        memcpy(&w, &f, sizeof w);
        scratch[4 * i] = (unsigned char)w;
        scratch[4 * i + 1] = (unsigned char)(w >> 8);
        scratch[4 * i + 2] = (unsigned char)(w >> 16);
        scratch[4 * i + 3] = (unsigned char)(w >> 24);
    }
    int rc = tg_buf_append(b, "\"", 1);
    rc = rc ? rc : tg_api_base64_put(b, scratch, dim * 4);
    return rc ? rc : tg_buf_append(b, "\"", 1);
}

static int server_write(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim)
{
    if (r->n == 0)
        return TG_EINVAL;
    bool base64 = r->flags & FLAG_BASE64;
    unsigned char *scratch = base64 ? malloc(dim ? dim * 4 : 1) : NULL;
    if (base64 && !scratch)
        return TG_ENOMEM;
    size_t tokens = 0;
    for (size_t i = 0; i < r->n; i++)
        tokens += count_words(&r->texts[i]);
    int rc = tg_buf_reserve(b, 120 + strlen(r->model) + r->n * (60 + dim * 31));
    rc = rc ? rc : tg_buf_puts(b, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < r->n && !rc; i++) {
        rc = tg_buf_printf(b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "", i);
        if (!rc)
            rc = base64 ? put_base64_vector(b, vecs + i * dim, dim, scratch)
                        : tg_api_put_vector8(b, vecs + i * dim, dim);
        rc = rc ? rc : tg_buf_append(b, "}", 1);
    }
    rc = rc ? rc : tg_buf_puts(b, "],\"model\":");
    rc = rc ? rc : tg_api_put_string(b, r->model, strlen(r->model));
    rc = rc ? rc : tg_buf_printf(b, ",\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu}}", tokens, tokens);
    free(scratch);
    return rc;
}

/* {"error":{"message":…,"type":…,"param":null,"code":…}}: type and code as
 * OpenAI sends them for the status; "model_not_found" only for the unknown
 * model (server_parse's wording), not for any 404. */
static int server_error(struct tg_buf *b, int status, const char *message)
{
    const char *type = "invalid_request_error", *code = NULL;
    if (status == 404 && !strncmp(message, "The model `", 11))
        code = "model_not_found";
    else if (status == 401)
        code = "invalid_api_key";
    else if (status == 429) {
        type = "requests";
        code = "rate_limit_exceeded";
    } else if (status >= 500)
        type = "server_error";
    int rc = tg_buf_puts(b, "{\"error\":{\"message\":");
    rc = rc ? rc : tg_api_put_text(b, message);
    rc = rc ? rc : tg_buf_printf(b, ",\"type\":\"%s\",\"param\":null,\"code\":", type);
    if (!rc)
        rc = code ? tg_buf_printf(b, "\"%s\"", code) : tg_buf_puts(b, "null");
    return rc ? rc : tg_buf_puts(b, "}}");
}

static int server_meta(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim)
{
    if (kind != TG_API_ROUTE_METADATA)
        return tg_buf_puts(b, "{\"status\":\"ok\"}");
    /* "created" is fixed so that the body is deterministic. */
    int rc = tg_buf_puts(b, "{\"object\":\"list\",\"data\":[{\"id\":");
    rc = rc ? rc : tg_api_put_text(b, model);
    return rc ? rc : tg_buf_puts(b, ",\"object\":\"model\",\"created\":0,\"owned_by\":\"tailgate\"}]}");
}

const struct tg_api tg_api_openai_embeddings = {
    .name = NAME,
    .summary = "OpenAI embeddings: POST /v1/embeddings {\"model\",\"input\"} -> data[k].embedding "
               "(float or base64)",
    .route = "/v1/embeddings",
    .metadata_route = "/v1/models",
    .spec_max_batch = SPEC_MAX_BATCH,
    .parse_line = parse_line,
    .build_batch = build_batch,
    .split = split,
    .server_route = server_route,
    .server_parse = server_parse,
    .server_write = server_write,
    .server_error = server_error,
    .server_meta = server_meta,
};
