#include "server/request.h"
#include "core/error.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reject(struct tg_request *r, int rc, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int reject(struct tg_request *r, int rc, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->status = status;
    return rc;
}

int tg_request_parse(struct tg_request *r, const char *body, size_t len,
                     const struct tg_request_limits *lim)
{
    memset(r, 0, sizeof *r);
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return reject(r, TG_EPARSE, 400, "malformed JSON at line %d, column %d (byte %d): %s",
                      err.line, err.column, err.position, err.text);
    r->root = root;
    if (!json_is_object(root))
        return reject(r, TG_EPARSE, 400, "request body must be a JSON object");

    json_t *model = json_object_get(root, "model");
    if (!model)
        return reject(r, TG_EPARSE, 400, "missing field \"model\"");
    if (!json_is_string(model))
        return reject(r, TG_EPARSE, 400, "field \"model\" must be a string");

    json_t *input = json_object_get(root, "input");
    json_t *inputs = json_object_get(root, "inputs");
    if (input && inputs)
        return reject(r, TG_EPARSE, 400, "give either \"input\" or \"inputs\", not both");
    if (!input && !inputs)
        return reject(r, TG_EPARSE, 400, "missing field \"input\" (or \"inputs\" for a batch)");
    if (input && !json_is_string(input))
        return reject(r, TG_EPARSE, 400, "field \"input\" must be a string");
    if (inputs) {
        if (!json_is_array(inputs))
            return reject(r, TG_EPARSE, 400, "field \"inputs\" must be an array of strings");
        size_t n = json_array_size(inputs);
        if (n == 0)
            return reject(r, TG_EPARSE, 400, "field \"inputs\" must not be empty");
        for (size_t i = 0; i < n; i++)
            if (!json_is_string(json_array_get(inputs, i)))
                return reject(r, TG_EPARSE, 400, "inputs[%zu] must be a string", i);
    }

    const char *name = json_string_value(model);
    size_t name_len = json_string_length(model);
    if (!tg_model_known(name, name_len))
        return reject(r, TG_EINVAL, 404, "unknown model \"%.64s\"%s (this server has \"%s\")",
                      name, name_len > 64 ? "..." : "", TG_MODEL_NAME);
    r->model = name;

    if (input) {
        r->one = (struct tg_item){ json_string_value(input), json_string_length(input) };
        r->items = &r->one;
        r->n = 1;
    } else {
        size_t n = json_array_size(inputs);
        if (n > lim->max_batch)
            return reject(r, TG_ETOOBIG, 413, "batch of %zu inputs exceeds the maximum of %zu",
                          n, lim->max_batch);
        r->items = malloc(n * sizeof *r->items);
        if (!r->items)
            return reject(r, TG_ENOMEM, 500, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_array_get(inputs, i);
            r->items[i] = (struct tg_item){ json_string_value(s), json_string_length(s) };
        }
        r->n = n;
        r->batched = 1;
    }
    r->status = 200;
    return 0;
}

void tg_request_free(struct tg_request *r)
{
    if (!r)
        return;
    if (r->items && r->items != &r->one)
        free(r->items);
    if (r->root)
        json_decref(r->root);
    r->items = NULL;
    r->root = NULL;
    r->n = 0;
}

int tg_request_write_error(struct tg_buf *b, int status, const char *message)
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
