/*
 * fuzz_server_request.c - libFuzzer target for the pure request handling of
 * `tailgate serve`, through the dialect table as the server calls it: for
 * every dialect with a server side, server_parse() of the input (with the
 * served model in the path, and with none), then what the server would write:
 * server_write() of a tiny vector per input for a valid request, or
 * server_error() of the cleaned message (tg_server_clean_message) for an
 * invalid one; the bytes written must be JSON.
 *   make fuzz   (corpus: tests/fuzz/corpus/server_request/)
 */
#include "api/api.h"
#include "core/buf.h"
#include "server/model.h"
#include "server/server.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIM 3

static void check_json(const struct tg_buf *b)
{
    json_t *doc = json_loadb(b->data ? b->data : "", b->len, JSON_DECODE_ANY, NULL);
    if (!doc)
        abort();
    json_decref(doc);
}

static void one(const struct tg_api *a, const char *body, size_t size, const char *path_model)
{
    static const struct tg_api_server_limits lim = { TG_MODEL_NAME, 16, DIM };
    struct tg_api_request r;
    int rc = a->server_parse(body, size, path_model, &lim, &r);
    struct tg_buf b = TG_BUF_INIT(0);
    if (rc == 0) {
        if (r.status != 200 || r.n < 1 || r.n > lim.max_batch || !r.texts)
            abort();
        if (!memchr(r.model, '\0', sizeof r.model) || !memchr(r.id, '\0', sizeof r.id))
            abort();
        for (size_t i = 0; i < r.n; i++)
            if (r.texts[i].len && !r.texts[i].data)
                abort();
        double v[16 * DIM];
        for (size_t i = 0; i < r.n * DIM; i++)
            v[i] = tg_api_round8((double)i / 7.0 - 1.0);
        if (a->server_write(&b, &r, v, DIM))
            abort();
    } else {
        if (r.status < 400 || r.status > 599)
            abort();
        if (!memchr(r.message, '\0', sizeof r.message) || !r.message[0])
            abort();
        char clean[sizeof r.message];
        tg_server_clean_message(clean, sizeof clean, r.message); /* as the server does */
        if (a->server_error(&b, r.status, clean))
            abort();
    }
    check_json(&b);
    tg_buf_free(&b);
    tg_api_request_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (const struct tg_api *const *a = tg_api_all(); *a; a++) {
        /* the generative dialects (no server_write) are fuzz_api's */
        if (!tg_server_serves(*a) || !(*a)->server_write)
            continue;
        one(*a, (const char *)data, size, TG_MODEL_NAME);
        one(*a, (const char *)data, size, "");
    }
    return 0;
}
