/*
 * tailgate.c - the placeholder's own API (docs/api.md, "tailgate"):
 *   POST /v1/infer  {"model":M,"input":T}       -> {"model":M,"output":V}
 *                   {"model":M,"inputs":[T…]}    -> {"model":M,"outputs":[V…]} in order
 *   GET /healthz; errors {"error":{"code":S,"message":…}}; over max batch: 413.
 */
#include "api/internal.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

#define NAME "tailgate"

extern const struct tg_api tg_api_tailgate; /* the table, at the end: its routes are server_route's */

static int parse_line(const char *line, size_t len, struct tg_api_line *out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, 0, &jerr);
    if (!root)
        return tg_api_fail(why, whylen, TG_EPARSE, NAME, "not JSON: %s", jerr.text);
    int rc = TG_EPARSE;
    json_t *model = json_object_get(root, "model"), *input = json_object_get(root, "input");
    if (json_object_get(root, "inputs"))
        tg_api_fail(why, whylen, rc, NAME, "the line is already a batch (\"inputs\"); "
                                           "give one \"input\" per line");
    else if (!json_is_string(model) || !input)
        tg_api_fail(why, whylen, rc, NAME, "not an object with a string \"model\" and an \"input\"");
    else
        rc = tg_api_line_fill(out, root, input, (const char *const[]){ "input", NULL });
    json_decref(root);
    return rc;
}

static int build_batch(struct tg_buf *out, const char *group, const char *const *items,
                       const size_t *item_lens, size_t n)
{
    return tg_api_splice_list(out, group, "inputs", items, item_lens, n);
}

static int split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn,
                 void *ctx, char *why, size_t whylen)
{
    json_t *root = tg_api_load(NAME, body, len, why, whylen);
    if (!root)
        return TG_EPARSE;
    struct tg_buf scratch = TG_BUF_INIT(0);
    int rc = TG_EMISMATCH;
    const char *key = batched ? "outputs" : "output";
    json_t *v = json_is_object(root) ? json_object_get(root, key) : NULL;
    if (!v) {
        tg_api_fail(why, whylen, rc, NAME, "response has no \"%s\"", key);
    } else if (!batched) {
        rc = n == 1 ? tg_api_emit(v, 0, fn, ctx, &scratch) : TG_EINVAL;
    } else if (!json_is_array(v) || json_array_size(v) != n) {
        tg_api_fail(why, whylen, rc, NAME, "\"%s\" is not an array of %zu outputs", key, n);
    } else {
        rc = tg_api_emit_each(v, n, fn, ctx, &scratch);
    }
    tg_buf_free(&scratch);
    json_decref(root);
    return rc;
}

/* ---- server side ------------------------------------------------------------ */

static enum tg_api_route server_route(const char *path, char *model, size_t cap)
{
    return tg_api_fixed_route(&tg_api_tailgate, path, model, cap);
}

static int server_parse(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r)
{
    memset(r, 0, sizeof *r);
    int rc = tg_api_parse_object(r, body, len);
    if (rc)
        return rc;
    json_t *root = r->root, *model = json_object_get(root, "model");
    if (!model)
        return tg_api_reject(r, TG_EPARSE, 400, "missing field \"model\"");
    if (!json_is_string(model))
        return tg_api_reject(r, TG_EPARSE, 400, "field \"model\" must be a string");
    json_t *input = json_object_get(root, "input"), *inputs = json_object_get(root, "inputs");
    if (input && inputs)
        return tg_api_reject(r, TG_EPARSE, 400, "give either \"input\" or \"inputs\", not both");
    if (!input && !inputs)
        return tg_api_reject(r, TG_EPARSE, 400, "missing field \"input\" (or \"inputs\" for a batch)");
    if (input && !json_is_string(input))
        return tg_api_reject(r, TG_EPARSE, 400, "field \"input\" must be a string");
    if (inputs) {
        if (!json_is_array(inputs))
            return tg_api_reject(r, TG_EPARSE, 400, "field \"inputs\" must be an array of strings");
        if (json_array_size(inputs) == 0)
            return tg_api_reject(r, TG_EPARSE, 400, "field \"inputs\" must not be empty");
        for (size_t i = 0; i < json_array_size(inputs); i++)
            if (!json_is_string(json_array_get(inputs, i)))
                return tg_api_reject(r, TG_EPARSE, 400, "inputs[%zu] must be a string", i);
    }
    rc = tg_api_check_model(r, lim, json_string_value(model), json_string_length(model));
    if (rc)
        return rc;
    if (input) {
        tg_api_take_text(r, input);
    } else {
        size_t n = json_array_size(inputs);
        if (n > lim->max_batch)
            return tg_api_reject(r, TG_ETOOBIG, 413, "batch of %zu inputs exceeds the maximum of %zu",
                                 n, lim->max_batch);
        if ((rc = tg_api_take_texts(r, inputs, "inputs")))
            return rc;
        r->batched = true;
    }
    r->status = 200;
    return 0;
}

static int server_write(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim)
{
    if (!r->batched && r->n != 1)
        return TG_EINVAL;
    int rc = tg_buf_reserve(b, 40 + strlen(r->model) + r->n * (2 + dim * 31));
    rc = rc ? rc : tg_buf_puts(b, "{\"model\":");
    rc = rc ? rc : tg_api_put_string(b, r->model, strlen(r->model));
    rc = rc ? rc : tg_buf_puts(b, r->batched ? ",\"outputs\":[" : ",\"output\":");
    rc = rc ? rc : tg_api_put_vector_list8(b, vecs, r->n, dim);
    return rc ? rc : tg_buf_puts(b, r->batched ? "]}" : "}");
}

/* {"error":{"code":S,"message":"…"}}, the message escaped to plain ASCII
 * (bytes >= 0x80 as \u00XX): what the placeholder has always answered. */
static int server_error(struct tg_buf *b, int status, const char *message)
{
    int rc = tg_buf_printf(b, "{\"error\":{\"code\":%d,\"message\":\"", status);
    for (const unsigned char *p = (const unsigned char *)message; !rc && *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = { '\\', (char)*p };
            rc = tg_buf_append(b, esc, 2);
        } else if (*p < 0x20 || *p >= 0x7f) {
            rc = tg_buf_printf(b, "\\u%04x", *p);
        } else {
            rc = tg_buf_append(b, p, 1);
        }
    }
    return rc ? rc : tg_buf_puts(b, "\"}}");
}

static int server_meta(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim)
{
    return tg_buf_puts(b, "{\"status\":\"ok\"}");
}

const struct tg_api tg_api_tailgate = {
    .name = NAME,
    .summary = "tailgate serve's own API: POST /v1/infer {\"model\",\"input\"} -> {\"output\"}",
    .route = "/v1/infer",
    .health_route = "/healthz",
    .parse_line = parse_line,
    .build_batch = build_batch,
    .split = split,
    .server_route = server_route,
    .server_parse = server_parse,
    .server_write = server_write,
    .server_error = server_error,
    .server_meta = server_meta,
};
