/*
 * server_common.c - the server-side helpers the dialects' request parsers
 * and routes share (see internal.h): refusals, the model and text checks,
 * the JSON-object prologue and the routes of dialects with fixed paths.
 */
#include "api/internal.h"

#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tg_api_reject(struct tg_api_request *r, int rc, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->status = status;
    return rc;
}

int tg_api_check_model(struct tg_api_request *r, const struct tg_api_server_limits *lim,
                       const char *name, size_t len)
{
    if (len != strlen(lim->model) || memcmp(name, lim->model, len) != 0)
        return tg_api_reject(r, TG_EINVAL, 404, "unknown model \"%.64s\"%s (this server has \"%s\")",
                             name, len > 64 ? "..." : "", lim->model);
    snprintf(r->model, sizeof r->model, "%s", lim->model);
    return 0;
}

void tg_api_take_text(struct tg_api_request *r, const json_t *s)
{
    r->one = (struct tg_api_text){ json_string_value(s), json_string_length(s) };
    r->texts = &r->one;
    r->n = 1;
}

int tg_api_take_texts(struct tg_api_request *r, const json_t *arr, const char *what)
{
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n; i++)
        if (!json_is_string(json_array_get(arr, i)))
            return tg_api_reject(r, TG_EPARSE, 400, "%s[%zu] must be a string", what, i);
    if (n == 1) {
        r->texts = &r->one;
    } else if (!(r->texts = malloc((n ? n : 1) * sizeof *r->texts))) {
        return tg_api_reject(r, TG_ENOMEM, 500, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        r->texts[i] = (struct tg_api_text){ json_string_value(s), json_string_length(s) };
    }
    r->n = n;
    return 0;
}

int tg_api_parse_object(struct tg_api_request *r, const char *body, size_t len)
{
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return tg_api_reject(r, TG_EPARSE, 400, "malformed JSON at line %d, column %d (byte %d): %s",
                             err.line, err.column, err.position, err.text);
    r->root = root;
    if (!json_is_object(root))
        return tg_api_reject(r, TG_EPARSE, 400, "request body must be a JSON object");
    return 0;
}

enum tg_api_route tg_api_fixed_route(const struct tg_api *a, const char *path, char *model, size_t cap)
{
    if (cap)
        model[0] = '\0'; /* no route of such an API names a model */
    if (a->route && !strcmp(path, a->route))
        return TG_API_ROUTE_INFER;
    if (a->health_route && !strcmp(path, a->health_route))
        return TG_API_ROUTE_HEALTH;
    if (a->metadata_route && !strcmp(path, a->metadata_route))
        return TG_API_ROUTE_METADATA;
    return TG_API_ROUTE_NONE;
}

int tg_api_error_plain(struct tg_buf *b, int status, const char *message)
{
    int rc = tg_buf_puts(b, "{\"error\":");
    rc = rc ? rc : tg_api_put_text(b, message);
    return rc ? rc : tg_buf_puts(b, "}");
}
