/*
 * kserve_v2_server.c - the server side of kserve-v2 (for tailgate serve; the
 * protocol is described in kserve_v2.c): the routes of the Open Inference
 * Protocol, the request parser with Triton's statuses and wording, and the
 * writers of the infer answer, the error body and the metadata.  The
 * dialect's table (kserve_v2.c) points at these (kserve_v2_internal.h).
 */
#include "api/internal.h"
#include "api/kserve_v2_internal.h"

#include "core/error.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

/* Copies the path segment at s (up to '/' or the end) into out; returns its
 * end, or NULL when it is empty or does not fit. */
static const char *segment(const char *s, char *out, size_t cap)
{
    size_t n = strcspn(s, "/");
    if (n == 0 || n + 1 > cap)
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return s + n;
}

enum tg_api_route tg_api_kserve_route(const char *path, char *model, size_t cap)
{
    if (cap)
        model[0] = '\0';
    if (!strcmp(path, "/v2"))
        return TG_API_ROUTE_METADATA; /* server metadata: model "" */
    if (!strcmp(path, "/v2/health/ready") || !strcmp(path, "/v2/health/live"))
        return TG_API_ROUTE_HEALTH;
    static const char prefix[] = "/v2/models/";
    if (strncmp(path, prefix, sizeof prefix - 1))
        return TG_API_ROUTE_NONE;
    const char *p = segment(path + sizeof prefix - 1, model, cap);
    if (!p)
        return TG_API_ROUTE_NONE;
    if (!strncmp(p, "/versions/", 10)) {
        char version[64];
        if (!(p = segment(p + 10, version, sizeof version)))
            goto none;
    }
    if (!*p)
        return TG_API_ROUTE_METADATA;
    if (!strcmp(p, "/infer"))
        return TG_API_ROUTE_INFER;
    if (!strcmp(p, "/ready"))
        return TG_API_ROUTE_HEALTH;
none:
    model[0] = '\0';
    return TG_API_ROUTE_NONE;
}

int tg_api_kserve_parse(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r)
{
    memset(r, 0, sizeof *r);
    if (strcmp(path_model, lim->model))
        return tg_api_reject(r, TG_EINVAL, 404, "Request for unknown model: '%.64s' is not found",
                             path_model);
    snprintf(r->model, sizeof r->model, "%s", lim->model);
    int rc = tg_api_parse_object(r, body, len);
    if (rc)
        return rc;
    json_t *root = r->root, *id = json_object_get(root, "id");
    if (id && !json_is_string(id))
        return tg_api_reject(r, TG_EPARSE, 400, "field \"id\" must be a string");
    if (id && json_string_length(id) >= sizeof r->id)
        return tg_api_reject(r, TG_EPARSE, 400, "field \"id\" is longer than %zu bytes "
                             "(tailgate serve's limit)", sizeof r->id - 1);
    if (id)
        memcpy(r->id, json_string_value(id), json_string_length(id) + 1);
    json_t *inputs = json_object_get(root, "inputs");
    if (!json_is_array(inputs))
        return tg_api_reject(r, TG_EPARSE, 400, "missing array field \"inputs\"");
    if (json_array_size(inputs) != 1)
        return tg_api_reject(r, TG_EPARSE, 400, "expected 1 inputs but got %zu inputs for model '%s'",
                             json_array_size(inputs), lim->model);
    json_t *t = json_array_get(inputs, 0);
    json_t *dt = json_object_get(t, "datatype"), *shape = json_object_get(t, "shape");
    json_t *data = json_object_get(t, "data");
    if (!json_is_object(t) || !json_is_string(json_object_get(t, "name")))
        return tg_api_reject(r, TG_EPARSE, 400, "inputs[0] must be a tensor object with a string \"name\"");
    const char *nm = tg_api_kserve_tensor_name(t);
    if (!json_is_string(dt) || strcmp(json_string_value(dt), "BYTES"))
        return tg_api_reject(r, TG_EPARSE, 400, "inference input '%.64s' data-type is '%.16s', but "
                             "model '%s' expects 'BYTES'", nm,
                             json_is_string(dt) ? json_string_value(dt) : "(none)", lim->model);
    size_t count, rank = json_array_size(shape);
    if (!tg_api_kserve_shape_count(shape, &count) || rank > 2 ||
        (rank == 2 && json_integer_value(json_array_get(shape, 1)) != 1))
        return tg_api_reject(r, TG_EPARSE, 400, "unexpected shape for input '%.64s' for model '%s': "
                             "expected [-1] or [-1,1]", nm, lim->model);
    if (count == 0)
        return tg_api_reject(r, TG_EPARSE, 400, "input '%.64s' has no elements", nm);
    if (count > lim->max_batch)
        return tg_api_reject(r, TG_ETOOBIG, 400, "inference request batch-size must be <= %zu for '%s'",
                             lim->max_batch, lim->model);
    if (!json_is_array(data))
        return tg_api_reject(r, TG_EPARSE, 400, "input '%.64s' has no \"data\" array", nm);
    struct tg_api_kserve_flat f = { 0 };
    json_t *texts = json_array();
    rc = texts ? tg_api_kserve_flatten(&f, data) : TG_ENOMEM;
    for (size_t i = 0; !rc && i < f.n; i++)
        rc = json_array_append(texts, f.v[i]) ? TG_ENOMEM : 0;
    tg_api_kserve_flat_free(&f);
    if (rc) {
        json_decref(texts);
        return tg_api_reject(r, TG_ENOMEM, 500, "out of memory");
    }
    if (json_array_size(texts) != count) {
        size_t got = json_array_size(texts);
        json_decref(texts);
        return tg_api_reject(r, TG_EPARSE, 400, "input '%.64s': shape [%zu%s] has %zu elements but "
                             "\"data\" holds %zu", nm, count, rank == 2 ? ",1" : "", count, got);
    }
    /* The strings stay alive in root once texts is gone. */
    rc = tg_api_take_texts(r, texts, "data");
    json_decref(texts);
    if (rc)
        return rc;
    r->batched = r->n > 1;
    r->status = 200;
    return 0;
}

int tg_api_kserve_write(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim)
{
    int rc = tg_buf_reserve(b, 160 + strlen(r->model) + 2 * strlen(r->id) + r->n * dim * 31);
    rc = rc ? rc : tg_buf_puts(b, "{\"model_name\":");
    rc = rc ? rc : tg_api_put_string(b, r->model, strlen(r->model));
    rc = rc ? rc : tg_buf_puts(b, ",\"model_version\":\"1\"");
    if (!rc && r->id[0]) {
        rc = tg_buf_puts(b, ",\"id\":");
        rc = rc ? rc : tg_api_put_string(b, r->id, strlen(r->id));
    }
    rc = rc ? rc : tg_buf_printf(b, ",\"outputs\":[{\"name\":\"embedding\",\"datatype\":\"FP32\","
                                    "\"shape\":[%zu,%zu],\"data\":[", r->n, dim);
    for (size_t i = 0; i < r->n * dim && !rc; i++) {
        if (i)
            rc = tg_buf_append(b, ",", 1);
        if (!rc)
            rc = tg_api_put_fixed8(b, vecs[i]);
    }
    return rc ? rc : tg_buf_puts(b, "]}]}");
}

/* Health answers are a 200 with an empty body (the protocol: "The HTTP
 * response body should be empty"; Triton does so).  METADATA with model ""
 * is the server metadata of GET /v2. */
int tg_api_kserve_meta(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim)
{
    if (kind == TG_API_ROUTE_HEALTH)
        return 0;
    if (kind != TG_API_ROUTE_METADATA)
        return TG_EINVAL;
    if (!model || !model[0])
        return tg_buf_puts(b, "{\"name\":\"tailgate\",\"version\":\"" TG_VERSION "\",\"extensions\":[]}");
    int rc = tg_buf_puts(b, "{\"name\":");
    rc = rc ? rc : tg_api_put_text(b, model);
    rc = rc ? rc : tg_buf_printf(b, ",\"versions\":[\"1\"],\"platform\":\"tailgate\","
                                    "\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[-1]}],"
                                    "\"outputs\":[{\"name\":\"embedding\",\"datatype\":\"FP32\","
                                    "\"shape\":[-1,%zu]}]}", lim ? lim->dim : 0);
    return rc;
}
