/*
 * tfserving.c - TensorFlow Serving's REST predict API (docs/api.md, "tfserving"):
 *   POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict
 *        {"signature_name"?,"instances":[x…]}  -> {"predictions":[y…]}   (row format)
 *        {"signature_name"?,"inputs":X}        -> {"outputs":Y}          (columnar)
 *   errors {"error":"…"}; GET /v1/models/{m} model status, GET …/metadata.
 * A payload line is {"instances":[x]}; a batch concatenates the instances and
 * output k is predictions[k].
 */
#include "api/internal.h"

#include "core/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "tfserving"

/* ---- client side ---------------------------------------------------------------- */

static int parse_line(const char *line, size_t len, struct tg_api_line *out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, 0, &jerr);
    if (!root)
        return tg_api_fail(why, whylen, TG_EPARSE, NAME, "not JSON: %s at byte %d", jerr.text,
                           jerr.position);
    int rc = TG_EPARSE;
    json_t *inst = json_object_get(root, "instances");
    if (json_object_get(root, "inputs"))
        tg_api_fail(why, whylen, rc, NAME, "columnar \"inputs\" cannot be batched (its tensors need "
                                           "not share dim 0); give row format {\"instances\":[x]}");
    else if (!json_is_array(inst))
        tg_api_fail(why, whylen, rc, NAME, "not an object with an array \"instances\"");
    else if (json_array_size(inst) != 1)
        tg_api_fail(why, whylen, rc, NAME, "\"instances\" holds %zu instances; a payload line "
                                           "holds exactly one (\"instances\":[x])",
                    json_array_size(inst));
    else
        rc = tg_api_line_fill(out, root, json_array_get(inst, 0),
                              (const char *const[]){ "instances", NULL });
    json_decref(root);
    return rc;
}

static int build_batch(struct tg_buf *out, const char *group, const char *const *items,
                       const size_t *item_lens, size_t n)
{
    return tg_api_splice_list(out, group, "instances", items, item_lens, n);
}

static int split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn,
                 void *ctx, char *why, size_t whylen)
{
    int rc;
    json_t *root = tg_api_load_answer(NAME, body, len, batched, n, &rc, why, whylen);
    if (!root)
        return rc;
    struct tg_buf scratch = TG_BUF_INIT(0);
    rc = TG_EMISMATCH;
    json_t *pred = json_is_object(root) ? json_object_get(root, "predictions") : NULL;
    json_t *cols = json_is_object(root) ? json_object_get(root, "outputs") : NULL;
    if (!pred && cols && !batched) {
        rc = tg_api_emit(cols, 0, fn, ctx, &scratch); /* columnar answer: the value as it is */
    } else if (!pred && cols) {
        tg_api_fail(why, whylen, rc, NAME, "response has columnar \"outputs\"; a batch of "
                                           "\"instances\" is answered with \"predictions\"");
    } else if (!pred) {
        tg_api_fail(why, whylen, rc, NAME, "response has no \"predictions\"");
    } else if (!batched) {
        /* one instance: its prediction; a line of several instances: the list */
        json_t *v = json_is_array(pred) && json_array_size(pred) == 1 ? json_array_get(pred, 0) : pred;
        rc = tg_api_emit(v, 0, fn, ctx, &scratch);
    } else if (!json_is_array(pred) || json_array_size(pred) != n) {
        tg_api_fail(why, whylen, rc, NAME, "\"predictions\" is not an array of %zu predictions "
                                           "(got %zu)", n, json_array_size(pred));
    } else {
        rc = tg_api_emit_each(pred, n, fn, ctx, &scratch);
    }
    tg_buf_free(&scratch);
    json_decref(root);
    return rc;
}

/* TF Serving's batching scheduler says "Task size 65 is larger than maximum
 * input batch size 64", which the generic phrases miss ("maximum" is
 * followed by "input"). */
static void read_error(int status, const char *body, size_t len, struct tg_api_error *out)
{
    tg_api_error_generic(status, body, len, out);
    if (out->max_batch)
        return;
    static const char phrase[] = "input batch size";
    const char *p = strcasestr(out->message, phrase);
    if (!p)
        return;
    p += sizeof phrase - 1;
    while (*p == ' ' || *p == ':' || *p == '=')
        p++;
    if (isdigit((unsigned char)*p)) {
        unsigned long v = strtoul(p, NULL, 10);
        if (v > 0 && v <= UINT32_MAX)
            out->max_batch = (uint32_t)v;
    }
}

/* ---- server side ---------------------------------------------------------------- */

/* Routes: /v1/models/{m}[/versions/{v}|/labels/{l}] followed by ":predict"
 * (INFER), "/metadata" (METADATA) or nothing (model status: HEALTH). */
static enum tg_api_route server_route(const char *path, char *model, size_t cap)
{
    static const char prefix[] = "/v1/models/", verb[] = ":predict";
    if (cap)
        model[0] = '\0';
    if (strncmp(path, prefix, sizeof prefix - 1))
        return TG_API_ROUTE_NONE;
    const char *m = path + sizeof prefix - 1;
    size_t ml = strcspn(m, "/:");
    if (ml == 0 || ml + 1 > cap)
        return TG_API_ROUTE_NONE;
    const char *p = m + ml;
    if (!strncmp(p, "/versions/", 10) || !strncmp(p, "/labels/", 8)) {
        p += p[1] == 'v' ? 10 : 8;
        size_t vl = strcspn(p, "/:");
        if (vl == 0)
            return TG_API_ROUTE_NONE;
        p += vl;
    }
    enum tg_api_route kind = !*p                       ? TG_API_ROUTE_HEALTH
                             : !strcmp(p, verb)        ? TG_API_ROUTE_INFER
                             : !strcmp(p, "/metadata") ? TG_API_ROUTE_METADATA
                                                       : TG_API_ROUTE_NONE;
    if (kind != TG_API_ROUTE_NONE) {
        memcpy(model, m, ml);
        model[ml] = '\0';
    }
    return kind;
}

static int server_parse(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r)
{
    memset(r, 0, sizeof *r);
    if (strcmp(path_model, lim->model))
        return tg_api_reject(r, TG_EINVAL, 404, "Servable not found for request: Latest(%.64s)",
                             path_model);
    snprintf(r->model, sizeof r->model, "%s", lim->model);
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return tg_api_reject(r, TG_EPARSE, 400, "JSON Parse error: %s at offset: %d (line %d, column %d)",
                             err.text, err.position, err.line, err.column);
    r->root = root;
    if (!json_is_object(root))
        return tg_api_reject(r, TG_EPARSE, 400, "request body must be a JSON object");
    json_t *inst = json_object_get(root, "instances");
    if (json_object_get(root, "inputs"))
        return tg_api_reject(r, TG_EPARSE, 400, inst ? "Not both 'instances' and 'inputs' can be specified"
                                                     : "tailgate serve answers the row format "
                                                       "('instances') only, not columnar 'inputs'");
    if (!inst)
        return tg_api_reject(r, TG_EPARSE, 400, "Missing 'instances' key");
    if (!json_is_array(inst) || json_array_size(inst) == 0)
        return tg_api_reject(r, TG_EPARSE, 400, "'instances' must be a non-empty list");
    size_t n = json_array_size(inst);
    if (n > lim->max_batch)
        return tg_api_reject(r, TG_ETOOBIG, 400, "Task size %zu is larger than maximum input batch size %zu",
                             n, lim->max_batch);
    if (n == 1) {
        r->texts = &r->one;
    } else if (!(r->texts = malloc(n * sizeof *r->texts))) {
        return tg_api_reject(r, TG_ENOMEM, 500, "out of memory");
    }
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        /* a string, or {"<input name>": string}: the row format of a model
         * with one named input */
        json_t *x = json_array_get(inst, i);
        if (json_is_object(x) && json_object_size(x) == 1)
            x = json_object_iter_value(json_object_iter(x));
        if (!json_is_string(x))
            return tg_api_reject(r, TG_EPARSE, 400, "instances[%zu] must be a string or an object "
                                 "with one string field", i);
        r->texts[i] = (struct tg_api_text){ json_string_value(x), json_string_length(x) };
    }
    r->batched = true; /* the answer is always the list "predictions" */
    r->status = 200;
    return 0;
}

static int server_write(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim)
{
    int rc = tg_buf_reserve(b, 24 + r->n * (2 + dim * 31));
    rc = rc ? rc : tg_buf_puts(b, "{\"predictions\":[");
    rc = rc ? rc : tg_api_put_vector_list8(b, vecs, r->n, dim);
    return rc ? rc : tg_buf_puts(b, "]}");
}

/* HEALTH: the model status of GET /v1/models/{m} (what readiness probes of
 * TF Serving poll); METADATA: a GetModelMetadataResponse sketch. */
static int server_meta(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim)
{
    if (kind == TG_API_ROUTE_HEALTH)
        return tg_buf_puts(b, "{\"model_version_status\":[{\"version\":\"1\",\"state\":\"AVAILABLE\","
                              "\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}]}");
    if (kind != TG_API_ROUTE_METADATA)
        return TG_EINVAL;
    int rc = tg_buf_puts(b, "{\"model_spec\":{\"name\":");
    rc = rc ? rc : tg_api_put_text(b, model ? model : "");
    rc = rc ? rc : tg_buf_printf(b,
        ",\"signature_name\":\"\",\"version\":\"1\"},\"metadata\":{\"signature_def\":{\"signature_def\":"
        "{\"serving_default\":{\"inputs\":{\"text\":{\"dtype\":\"DT_STRING\",\"tensor_shape\":"
        "{\"dim\":[{\"size\":\"-1\",\"name\":\"\"}],\"unknown_rank\":false},\"name\":\"text:0\"}},"
        "\"outputs\":{\"embedding\":{\"dtype\":\"DT_FLOAT\",\"tensor_shape\":{\"dim\":"
        "[{\"size\":\"-1\",\"name\":\"\"},{\"size\":\"%zu\",\"name\":\"\"}],\"unknown_rank\":false},"
        "\"name\":\"embedding:0\"}},\"method_name\":\"tensorflow/serving/predict\"}}}}}",
        lim ? lim->dim : 0);
    return rc;
}

const struct tg_api tg_api_tfserving = {
    .name = NAME,
    .summary = "TensorFlow Serving REST: POST /v1/models/{model}:predict {\"instances\":[x…]} "
               "-> {\"predictions\":[y…]}",
    .route = "/v1/models/{model}:predict",
    .health_route = "/v1/models/{model}",
    .metadata_route = "/v1/models/{model}/metadata",
    .spec_max_batch = 0, /* the batching config's max_batch_size, per server */
    .parse_line = parse_line,
    .build_batch = build_batch,
    .split = split,
    .read_error = read_error,
    .server_route = server_route,
    .server_parse = server_parse,
    .server_write = server_write,
    .server_error = tg_api_error_plain,
    .server_meta = server_meta,
};
