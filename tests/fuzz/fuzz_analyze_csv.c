/*
 * fuzz_analyze_csv.c - libFuzzer target for analyze's phase-row reader
 * (src/analyze/prows.c) and the evidence computed from whatever it accepts:
 * the decomposition, Little's law and the connection cost must never crash
 * or read out of bounds, and errors must carry a "name:line:" message.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "analyze/prows.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tg_prows r;
    char err[256];
    memset(&r, 0, sizeof r);
    int rc = tg_prows_parse((const char *)data, size, "f.csv", &r, err, sizeof err);
    if (rc == 0) {
        struct tg_decomp d;
        if (tg_decomp_compute(&r, &d) == 0) {
            if (d.n_ok > r.n)
                abort();
            for (int b = 0; b < TG_DECOMP_BANDS; b++)
                if (d.band[b].n == 0 || d.band[b].n > d.n_ok)
                    abort();
            (void)tg_dominant_cause(&d, 1, 1.0, NULL);
        }
        struct tg_little l;
        (void)tg_little_check(&r, NAN, 20, &l);
        struct tg_conn_cost c;
        (void)tg_conn_cost(&r, &c);
    } else if (rc != TG_EPARSE && rc != TG_ENOMEM) {
        abort();
    } else if (rc == TG_EPARSE && strncmp(err, "f.csv:", 6) != 0) {
        abort();
    }
    tg_prows_free(&r);
    return 0;
}
