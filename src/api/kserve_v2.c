/*
 * kserve_v2.c - the Open Inference Protocol, a.k.a. KServe V2 (Triton,
 * KServe, MLServer, OpenVINO Model Server) (docs/api.md, "kserve-v2"):
 *   POST /v2/models/{m}[/versions/{v}]/infer
 *        {"id"?,"parameters"?,"inputs":[{"name","shape","datatype","data"}…],"outputs"?}
 *     -> {"model_name","model_version"?,"id"?,"outputs":[{"name","shape","datatype","data"}…]}
 *   tensor data row-major, flat or nested; errors {"error":"…"};
 *   GET /v2/health/{live,ready}, /v2/models/{m}[/versions/{v}]/ready (200, empty body),
 *   GET /v2/models/{m}[/versions/{v}] model metadata, GET /v2 server metadata.
 * A payload line is one row of every input tensor (shape [1,…]); a batch
 * concatenates every input tensor along dim 0 and the answer's output tensors
 * are split along dim 0 again.
 * This file: the tensor helpers (kserve_v2_internal.h), the client side and
 * the dialect's table; the server side (tailgate serve) is kserve_v2_server.c.
 */
#include "api/internal.h"
#include "api/kserve_v2_internal.h"

#include "core/error.h"
#include "core/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "kserve-v2"
/* Far beyond any real tensor sent as JSON text; keeps products from overflowing. */
#define MAX_ELEMS ((size_t)1 << 40)

/* ---- tensors ------------------------------------------------------------------ */

void tg_api_kserve_flat_free(struct tg_api_kserve_flat *f)
{
    free(f->v);
    *f = (struct tg_api_kserve_flat){ 0 };
}

/* Appends the leaves of data (row-major: nested arrays flattened) to f. */
int tg_api_kserve_flatten(struct tg_api_kserve_flat *f, json_t *data)
{
    if (!json_is_array(data)) {
        if (tg_grow((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v, 64))
            return TG_ENOMEM;
        f->v[f->n++] = data;
        return 0;
    }
    /* jansson's parser caps nesting at 2048, so the recursion is bounded. */
    for (size_t i = 0; i < json_array_size(data); i++) {
        int rc = tg_api_kserve_flatten(f, json_array_get(data, i));
        if (rc)
            return rc;
    }
    return 0;
}

/* Reads shape (an array of integers >= 0, rank >= 1) into its element count.
 * Returns false when it is not one. */
bool tg_api_kserve_shape_count(const json_t *shape, size_t *count)
{
    size_t rank = json_array_size(shape), c = 1;
    if (!json_is_array(shape) || rank == 0)
        return false;
    for (size_t i = 0; i < rank; i++) {
        json_t *d = json_array_get(shape, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return false;
        size_t v = (size_t)json_integer_value(d);
        if (v > MAX_ELEMS || (v && c > MAX_ELEMS / v))
            return false;
        c *= v;
    }
    *count = c;
    return true;
}

/* "[3,768]" of a valid shape, for reasons. */
static const char *shape_text(const json_t *shape, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(shape) && off + 1 < cap; i++) {
        int w = snprintf(out + off, cap - off, "%s%lld", i ? "," : "[",
                         (long long)json_integer_value(json_array_get(shape, i)));
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (off + 1 < cap)
        snprintf(out + off, cap - off, "]");
    return out;
}

const char *tg_api_kserve_tensor_name(const json_t *t)
{
    const char *s = json_string_value(json_object_get(t, "name"));
    return s ? s : "";
}

/* ---- client side ---------------------------------------------------------------- */

static int parse_line(const char *line, size_t len, struct tg_api_line *out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, 0, &jerr);
    if (!root)
        return tg_api_fail(why, whylen, TG_EPARSE, NAME, "not JSON: %s at byte %d", jerr.text,
                           jerr.position);
    *out = (struct tg_api_line){ 0 };
    int rc = TG_EPARSE;
    json_t *inputs = json_object_get(root, "inputs");
    json_t *group = NULL, *item = NULL;
    struct tg_api_kserve_flat f = { 0 };
    if (!json_is_array(inputs) || json_array_size(inputs) == 0) {
        tg_api_fail(why, whylen, rc, NAME, "not an object with a non-empty array \"inputs\"");
        goto done;
    }
    size_t nin = json_array_size(inputs);
    if (!(group = json_deep_copy(root)) || !(item = json_array())) {
        rc = TG_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < nin; k++) {
        json_t *t = json_array_get(inputs, k);
        json_t *shape = json_object_get(t, "shape"), *data = json_object_get(t, "data");
        const char *nm = tg_api_kserve_tensor_name(t);
        size_t count;
        char st[64];
        if (!json_is_object(t) || !json_is_string(json_object_get(t, "name")) ||
            !json_is_string(json_object_get(t, "datatype"))) {
            tg_api_fail(why, whylen, rc, NAME, "inputs[%zu] is not a tensor object with a string "
                                               "\"name\" and \"datatype\"", k);
            goto done;
        }
        if (!tg_api_kserve_shape_count(shape, &count)) {
            tg_api_fail(why, whylen, rc, NAME, "inputs[%zu] \"%.64s\": \"shape\" is not an array of "
                                               "integers >= 0", k, nm);
            goto done;
        }
        if (json_integer_value(json_array_get(shape, 0)) != 1) {
            tg_api_fail(why, whylen, rc, NAME, "inputs[%zu] \"%.64s\" has shape %s: a payload line "
                                               "holds one input (shape [1,…]); this one is already "
                                               "a batch", k, nm, shape_text(shape, st, sizeof st));
            goto done;
        }
        if (!json_is_array(data)) {
            tg_api_fail(why, whylen, rc, NAME, "inputs[%zu] \"%.64s\" has no \"data\" array "
                                               "(binary tensor data cannot be batched)", k, nm);
            goto done;
        }
        f.n = 0;
        if ((rc = tg_api_kserve_flatten(&f, data)))
            goto done;
        rc = TG_EPARSE;
        if (f.n != count) {
            tg_api_fail(why, whylen, rc, NAME, "inputs[%zu] \"%.64s\" has shape %s (%zu elements) "
                                               "but \"data\" holds %zu", k, nm,
                        shape_text(shape, st, sizeof st), count, f.n);
            goto done;
        }
        json_t *row = json_array();
        if (!row || json_array_append_new(item, row)) {
            rc = TG_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < f.n; i++)
            if (json_array_append(row, f.v[i])) {
                rc = TG_ENOMEM;
                goto done;
            }
        json_object_del(json_array_get(json_object_get(group, "inputs"), k), "data");
    }
    json_object_del(group, "id");
    out->group = tg_api_dump(group);
    out->item = tg_api_dump(item);
    if (!out->group || !out->item) {
        tg_api_line_free(out);
        rc = TG_ENOMEM;
        goto done;
    }
    out->item_len = strlen(out->item);
    rc = 0;
done:
    tg_api_kserve_flat_free(&f);
    json_decref(item);
    json_decref(group);
    json_decref(root);
    return rc;
}

static int build_batch(struct tg_buf *out, const char *group, const char *const *items,
                       const size_t *item_lens, size_t n)
{
    if (n == 0)
        return TG_EINVAL;
    json_t *g = json_loads(group, 0, NULL);
    json_t *inputs = json_object_get(g, "inputs");
    int rc = TG_EINVAL;
    size_t nin = json_array_size(inputs);
    json_t **data = NULL;
    size_t *rowlen = NULL;
    if (!json_is_array(inputs) || nin == 0)
        goto done;
    data = calloc(nin, sizeof *data);
    rowlen = calloc(nin, sizeof *rowlen);
    if (!data || !rowlen) {
        rc = TG_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < nin; k++) {
        json_t *t = json_array_get(inputs, k);
        json_t *shape = json_object_get(t, "shape");
        size_t count;
        if (!json_is_object(t) || !tg_api_kserve_shape_count(shape, &count) ||
            json_integer_value(json_array_get(shape, 0)) != 1)
            goto done;
        rowlen[k] = count;
        if (json_array_set_new(shape, 0, json_integer((json_int_t)n)) ||
            !(data[k] = json_array()) || json_object_set_new(t, "data", data[k])) {
            rc = TG_ENOMEM;
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_loadb(items[i], item_lens[i], 0, NULL);
        bool ok = json_is_array(it) && json_array_size(it) == nin;
        for (size_t k = 0; ok && k < nin; k++) {
            json_t *row = json_array_get(it, k);
            ok = json_is_array(row) && json_array_size(row) == rowlen[k] &&
                 !json_array_extend(data[k], row);
        }
        json_decref(it);
        if (!ok)
            goto done;
    }
    char *body = tg_api_dump(g);
    rc = body ? tg_buf_puts(out, body) : TG_ENOMEM;
    free(body);
done:
    free(data);
    free(rowlen);
    json_decref(g);
    return rc;
}

/* One output tensor of a response, flattened. */
struct tensor {
    json_t *t;
    const char *name;
    size_t rows, rowsize;
    bool rank1;
    struct tg_api_kserve_flat f;
};

/* Row i of x: the single value of a rank-1 tensor, else an array of its
 * rowsize values (new reference; NULL on ENOMEM). */
static json_t *tensor_row(const struct tensor *x, size_t i)
{
    if (x->rank1)
        return json_incref(x->f.v[i]);
    json_t *row = json_array();
    for (size_t j = 0; row && j < x->rowsize; j++)
        if (json_array_append(row, x->f.v[i * x->rowsize + j])) {
            json_decref(row);
            return NULL;
        }
    return row;
}

/* The value of tensor x in output i: row i, or (unbatched, rows != 1) the
 * list of all its rows. */
static json_t *tensor_value(const struct tensor *x, size_t i, bool all_rows)
{
    if (!all_rows)
        return tensor_row(x, i);
    json_t *list = json_array();
    for (size_t r = 0; list && r < x->rows; r++)
        if (json_array_append_new(list, tensor_row(x, r))) {
            json_decref(list);
            return NULL;
        }
    return list;
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
    json_t *outs = json_is_object(root) ? json_object_get(root, "outputs") : NULL;
    size_t nout = json_array_size(outs);
    struct tensor *x = NULL;
    if (!json_is_array(outs) || nout == 0) {
        tg_api_fail(why, whylen, rc, NAME, "response has no non-empty array \"outputs\"");
        goto done;
    }
    if (!(x = calloc(nout, sizeof *x))) {
        rc = TG_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < nout; k++) {
        json_t *t = json_array_get(outs, k);
        json_t *shape = json_object_get(t, "shape"), *data = json_object_get(t, "data");
        size_t count;
        char st[64];
        x[k].t = t;
        x[k].name = tg_api_kserve_tensor_name(t);
        if (!json_is_object(t) || !tg_api_kserve_shape_count(shape, &count)) {
            tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] has no \"shape\" array of integers >= 0", k);
            goto done;
        }
        if (nout > 1 && !json_is_string(json_object_get(t, "name"))) {
            tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] has no string \"name\"", k);
            goto done;
        }
        for (size_t j = 0; j < k; j++)
            if (nout > 1 && !strcmp(x[j].name, x[k].name)) {
                tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] repeats the name \"%.64s\"", k,
                            x[k].name);
                goto done;
            }
        x[k].rows = (size_t)json_integer_value(json_array_get(shape, 0));
        x[k].rowsize = x[k].rows ? count / x[k].rows : 0;
        x[k].rank1 = json_array_size(shape) == 1;
        if (!batched && x[k].rowsize == 0 && x[k].rows > 65536) {
            /* [huge,0]: no data, but listing its empty rows would take forever */
            tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] \"%.64s\" has shape %s", k, x[k].name,
                        shape_text(shape, st, sizeof st));
            goto done;
        }
        if (batched && x[k].rows != n) {
            tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] \"%.64s\" has shape %s but the request "
                                               "had %zu inputs", k, x[k].name,
                        shape_text(shape, st, sizeof st), n);
            goto done;
        }
        if (!json_is_array(data)) {
            tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] \"%.64s\" has no \"data\" array", k,
                        x[k].name);
            goto done;
        }
        int frc = tg_api_kserve_flatten(&x[k].f, data);
        if (frc) {
            rc = frc;
            goto done;
        }
        if (x[k].f.n != count) {
            tg_api_fail(why, whylen, rc, NAME, "outputs[%zu] \"%.64s\" has shape %s (%zu elements) "
                                               "but \"data\" holds %zu", k, x[k].name,
                        shape_text(shape, st, sizeof st), count, x[k].f.n);
            goto done;
        }
    }
    rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *v;
        if (nout == 1) {
            v = tensor_value(&x[0], i, !batched && x[0].rows != 1);
        } else {
            v = json_object();
            for (size_t k = 0; v && k < nout; k++)
                if (json_object_set_new(v, x[k].name, tensor_value(&x[k], i, !batched && x[k].rows != 1))) {
                    json_decref(v);
                    v = NULL;
                }
        }
        rc = v ? tg_api_emit(v, i, fn, ctx, &scratch) : TG_ENOMEM;
        json_decref(v);
    }
done:
    for (size_t k = 0; x && k < nout; k++)
        tg_api_kserve_flat_free(&x[k].f);
    free(x);
    tg_buf_free(&scratch);
    json_decref(root);
    return rc;
}

const struct tg_api tg_api_kserve_v2 = {
    .name = NAME,
    .summary = "Open Inference Protocol (KServe V2; Triton, KServe, MLServer): "
               "POST /v2/models/{model}/infer {\"inputs\":[tensor…]} -> {\"outputs\":[tensor…]}",
    .route = "/v2/models/{model}/infer",
    .health_route = "/v2/health/ready",
    .metadata_route = "/v2/models/{model}",
    .spec_max_batch = 0, /* the model's max_batch_size, configured per server */
    .parse_line = parse_line,
    .build_batch = build_batch,
    .split = split,
    .server_route = tg_api_kserve_route,
    .server_parse = tg_api_kserve_parse,
    .server_write = tg_api_kserve_write,
    .server_error = tg_api_error_plain,
    .server_meta = tg_api_kserve_meta,
};
