/*
 * fuzz_compare_csv.c - libFuzzer target for the strict latency-CSV reader
 * (src/compare/rows.c).  Any input must parse or fail with a "name:line:"
 * message; a parsed set must be sorted by request_id with unique ids and
 * hashes inside the string arena.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare/rows.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tg_rows r;
    char err[256];
    memset(&r, 0, sizeof r);
    int rc = tg_rows_parse((const char *)data, size, "f.csv", &r, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 1; i < r.n; i++)
            if (r.rows[i - 1].request_id >= r.rows[i].request_id)
                abort();
        for (size_t i = 0; i < r.n; i++) {
            if ((size_t)r.rows[i].hash_off + r.rows[i].hash_len > r.strings_len)
                abort();
            if (!r.rows[i].ok && r.rows[i].error_class >= r.nclasses)
                abort();
            if (tg_rows_find(&r, r.rows[i].request_id) != &r.rows[i])
                abort();
        }
    } else if (rc != TG_EPARSE && rc != TG_ENOMEM) {
        abort();
    } else if (strncmp(err, "f.csv:", 6) != 0) {
        abort();
    }
    tg_rows_free(&r);
    return 0;
}
