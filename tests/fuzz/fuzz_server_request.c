/*
 * fuzz_server_request.c - libFuzzer target for the pure /v1/infer body
 * handling: tg_request_parse(), then the answer the server would write (the
 * JSON error, or the model output for a valid request), and checks that the
 * bytes written are valid JSON of the right shape.
 *   make fuzz   (corpus: tests/fuzz/corpus/server_request/)
 */
#include "core/buf.h"
#include "server/model.h"
#include "server/request.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tg_request_limits lim = { 16 };
    struct tg_request r;
    int rc = tg_request_parse(&r, (const char *)data, size, &lim);
    struct tg_buf b = TG_BUF_INIT(0);
    if (rc == 0) {
        if (r.status != 200 || r.n < 1 || r.n > lim.max_batch || !r.items || !r.model)
            abort();
        size_t n = r.n > 4 ? 4 : r.n; /* keep an execution fast */
        if (tg_model_write_response(&b, r.model, r.items, r.batched ? n : 1, r.batched))
            abort();
    } else {
        if (r.status != 400 && r.status != 404 && r.status != 413 && r.status != 500)
            abort();
        if (!memchr(r.message, '\0', sizeof r.message) || !r.message[0])
            abort();
        if (tg_request_write_error(&b, r.status, r.message))
            abort();
    }
    json_error_t err;
    json_t *doc = json_loadb(b.data, b.len, 0, &err);
    if (!doc || !json_is_object(doc))
        abort();
    json_decref(doc);
    tg_buf_free(&b);
    tg_request_free(&r);
    return 0;
}
