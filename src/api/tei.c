/*
 * tei.c - Hugging Face text-embeddings-inference (docs/api.md, "tei"):
 *   POST /embed  {"inputs":T|[T…],"normalize":…,"truncate":…,…}  -> [[…],…]
 *     (an array of arrays even for one string input)
 *   GET /health (200, empty body), GET /info (the router's Info);
 *   errors {"error":"…","error_type":"validation"|…}; a batch over
 *   --max-client-batch-size (default 32) is a 413
 *   "batch size N > maximum allowed batch size M".
 */
#include "api/internal.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

#define NAME "tei"
#define SPEC_MAX_BATCH 32 /* text-embeddings-router --max-client-batch-size default */

extern const struct tg_api tg_api_tei; /* the table, at the end: its routes are server_route's */

/* axum's Json extractor answers these itself (as text/plain). */
#define SYNTAX_PREFIX "Failed to parse the request body as JSON: "
#define DATA_PREFIX "Failed to deserialize the JSON body into the target type: "

/* ---- client side ------------------------------------------------------------ */

/* One input is a string or one tokenized input (an array of integers: TEI's
 * Input::Single(InputType::Ids)); an array of strings or arrays is a batch. */
static int parse_line(const char *line, size_t len, struct tg_api_line *out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
    if (!root)
        return tg_api_fail(why, whylen, TG_EPARSE, NAME, "not JSON: %s", jerr.text);
    int rc = TG_EPARSE;
    json_t *inputs = json_object_get(root, "inputs");
    if (!inputs)
        tg_api_fail(why, whylen, rc, NAME, "not an object with \"inputs\"");
    else if (!(rc = tg_api_check_token_input(NAME, "inputs", inputs, why, whylen)))
        rc = tg_api_line_fill(out, root, inputs, (const char *const[]){ "inputs", NULL });
    json_decref(root);
    return rc;
}

/* TEI's batch is a list of InputType, so strings and token arrays may mix. */
static int build_batch(struct tg_buf *out, const char *group, const char *const *items,
                       const size_t *item_lens, size_t n)
{
    return tg_api_splice_list(out, group, "inputs", items, item_lens, n);
}

static int split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn,
                 void *ctx, char *why, size_t whylen)
{
    int rc;
    json_t *root = tg_api_load_answer(NAME, body, len, batched, n, &rc, why, whylen);
    if (!root)
        return rc;
    struct tg_buf scratch = TG_BUF_INIT(0);
    size_t m = json_array_size(root);
    rc = TG_EMISMATCH;
    if (!json_is_array(root) || (batched && m != n)) {
        tg_api_fail(why, whylen, rc, NAME, "response is not an array of %zu embeddings", n);
    } else if (m == 0) {
        tg_api_fail(why, whylen, rc, NAME, "response is an empty array");
    } else {
        rc = 0;
        for (size_t i = 0; i < m && !rc; i++) {
            json_t *e = json_array_get(root, i);
            if (!json_is_array(e))
                rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME,
                                 "response[%zu] is not an array of numbers", i);
            for (size_t j = 0; !rc && j < json_array_size(e); j++)
                if (!json_is_number(json_array_get(e, j)))
                    rc = tg_api_fail(why, whylen, TG_EMISMATCH, NAME,
                                     "response[%zu][%zu] is not a number", i, j);
        }
        if (rc) {
            /* why is set */
        } else if (batched) {
            rc = tg_api_emit_each(root, n, fn, ctx, &scratch);
        } else {
            /* One unbatched input: its embedding, or the list when there are several. */
            rc = tg_api_emit(m == 1 ? json_array_get(root, 0) : root, 0, fn, ctx, &scratch);
        }
    }
    tg_buf_free(&scratch);
    json_decref(root);
    return rc;
}

/* ---- server side ------------------------------------------------------------ */

static enum tg_api_route server_route(const char *path, char *model, size_t cap)
{
    return tg_api_fixed_route(&tg_api_tei, path, model, cap);
}

static int check_options(struct tg_api_request *r, const json_t *root)
{
    json_t *normalize = json_object_get(root, "normalize"), *truncate = json_object_get(root, "truncate");
    if (normalize && !json_is_boolean(normalize))
        return tg_api_reject(r, TG_EPARSE, 422, DATA_PREFIX "normalize: expected a boolean");
    if (truncate && !json_is_boolean(truncate) && !json_is_null(truncate))
        return tg_api_reject(r, TG_EPARSE, 422, DATA_PREFIX "truncate: expected a boolean");
    return 0;
}

/* Statuses as the TEI router gives them: JSON syntax 400 and shape 422
 * (axum's rejections), empty input and oversize batch 413 (TEI's
 * Validation errors all map to 413). */
static int server_parse(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r)
{
    memset(r, 0, sizeof *r);
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return tg_api_reject(r, TG_EPARSE, 400, SYNTAX_PREFIX "%s at line %d column %d", err.text,
                             err.line, err.column);
    r->root = root;
    if (!json_is_object(root))
        return tg_api_reject(r, TG_EPARSE, 422, DATA_PREFIX "expected struct EmbedRequest");
    json_t *inputs = json_object_get(root, "inputs");
    if (!inputs)
        return tg_api_reject(r, TG_EPARSE, 422, DATA_PREFIX "missing field `inputs`");
    int rc = check_options(r, root);
    if (rc)
        return rc;
    if (json_is_string(inputs)) {
        if (json_string_length(inputs) == 0)
            return tg_api_reject(r, TG_EINVAL, 413, "`inputs` cannot be empty");
        tg_api_take_text(r, inputs);
    } else if (json_is_array(inputs)) {
        size_t n = json_array_size(inputs), max = tg_api_batch_limit(lim, SPEC_MAX_BATCH);
        if (n == 0)
            return tg_api_reject(r, TG_EINVAL, 413, "`inputs` cannot be empty");
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_array_get(inputs, i);
            if (json_is_integer(s) || json_is_array(s))
                return tg_api_reject(r, TG_EPARSE, 422,
                                     "token inputs are not supported by this placeholder server");
            if (!json_is_string(s))
                return tg_api_reject(r, TG_EPARSE, 422,
                                     DATA_PREFIX "inputs: data did not match any variant of untagged enum Input");
        }
        if (n > max)
            return tg_api_reject(r, TG_ETOOBIG, 413, "batch size %zu > maximum allowed batch size %zu",
                                 n, max);
        for (size_t i = 0; i < n; i++)
            if (json_string_length(json_array_get(inputs, i)) == 0)
                return tg_api_reject(r, TG_EINVAL, 413, "`inputs` cannot be empty");
        if ((rc = tg_api_take_texts(r, inputs, "inputs")))
            return rc;
        r->batched = true;
    } else {
        return tg_api_reject(r, TG_EPARSE, 422,
                             DATA_PREFIX "inputs: data did not match any variant of untagged enum Input");
    }
    snprintf(r->model, sizeof r->model, "%s", lim->model);
    r->status = 200;
    return 0;
}

static int server_write(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim)
{
    if (r->n == 0)
        return TG_EINVAL;
    int rc = tg_buf_reserve(b, 2 + r->n * (3 + dim * 31));
    rc = rc ? rc : tg_buf_append(b, "[", 1);
    rc = rc ? rc : tg_api_put_vector_list8(b, vecs, r->n, dim);
    return rc ? rc : tg_buf_append(b, "]", 1);
}

/* TEI's ErrorType for a status (the inverse of its ErrorType -> StatusCode
 * map; 400 and 422 are axum's rejections, which carry no error_type). */
static const char *error_type(int status)
{
    switch (status) {
    case 400:
    case 413:
    case 422: return "validation";
    case 429: return "overloaded";
    case 503: return "unhealthy";
    default: return "backend";
    }
}

static int server_error(struct tg_buf *b, int status, const char *message)
{
    int rc = tg_buf_puts(b, "{\"error\":");
    rc = rc ? rc : tg_api_put_text(b, message);
    return rc ? rc : tg_buf_printf(b, ",\"error_type\":\"%s\"}", error_type(status));
}

/* /info: the router's Info with this server's values; the router limits the
 * placeholder does not have are TEI's defaults (max_concurrent_requests,
 * max_batch_tokens) or a typical model's (max_input_length 512). */
static int server_meta(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim)
{
    if (kind != TG_API_ROUTE_METADATA)
        return 0; /* /health: 200 with an empty body, as TEI answers */
    int rc = tg_buf_puts(b, "{\"model_id\":");
    rc = rc ? rc : tg_api_put_text(b, model);
    return rc ? rc
              : tg_buf_printf(b,
                              ",\"model_sha\":null,\"model_dtype\":\"float32\","
                              "\"model_type\":{\"embedding\":{\"pooling\":\"mean\"}},"
                              "\"max_concurrent_requests\":512,\"max_input_length\":512,"
                              "\"max_batch_tokens\":16384,\"max_batch_requests\":null,"
                              "\"max_client_batch_size\":%zu,\"auto_truncate\":false,"
                              "\"tokenization_workers\":1,\"version\":\"tailgate\","
                              "\"sha\":null,\"docker_label\":null}",
                              tg_api_batch_limit(lim, SPEC_MAX_BATCH));
}

const struct tg_api tg_api_tei = {
    .name = NAME,
    .summary = "Hugging Face text-embeddings-inference: POST /embed {\"inputs\"} -> [[…],…]",
    .route = "/embed",
    .health_route = "/health",
    .metadata_route = "/info",
    .spec_max_batch = SPEC_MAX_BATCH,
    .queue_time_header = "x-queue-time",
    .compute_time_header = "x-inference-time",
    .parse_line = parse_line,
    .build_batch = build_batch,
    .split = split,
    .server_route = server_route,
    .server_parse = server_parse,
    .server_write = server_write,
    .server_error = server_error,
    .server_meta = server_meta,
};
