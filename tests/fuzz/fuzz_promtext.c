/*
 * fuzz_promtext.c - the Prometheus text parser: on any input it must stay
 * inside the buffer, advance on every call, return names and labels that
 * obey the grammar, give the same lines whether the input is parsed whole
 * or cut at its first line boundary, and every sample it accepts must
 * parse back to the same name, labels and value once re-serialised.
 * Every piece sits in an exactly-sized heap block (ASan sees overreads).
 */
#include "core/error.h"
#include "http/promtext.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool in(const char *p, size_t n, const char *buf, size_t len)
{
    return n == 0 || (p >= buf && p + n <= buf + len);
}

/* Returns the number of lines returned (samples, types and errors). */
static size_t check_all(const char *buf, size_t len, uint64_t *hash)
{
    size_t pos = 0, line = 0, count = 0;
    struct tg_promtext_line l;
    int rc;
    while ((rc = tg_promtext_next(buf, len, &pos, &line, &l)) != 0) {
        ASSERT(rc == 1 || rc == TG_EPARSE);
        ASSERT(pos <= len);
        count++;
        *hash = *hash * 31 + (uint64_t)(rc + 2);
        if (rc < 0)
            continue;
        ASSERT(l.name_len > 0 && in(l.name, l.name_len, buf, len));
        for (size_t i = 0; i < l.name_len; i++) {
            char c = l.name[i];
            ASSERT((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                   (i && c >= '0' && c <= '9'));
        }
        ASSERT(in(l.labels, l.labels_len, buf, len));
        ASSERT(!memchr(l.labels, '\n', l.labels_len));
        for (size_t i = 0; i < l.name_len; i++)
            *hash = *hash * 31 + (unsigned char)l.name[i];
        if (l.kind == TG_PROMTEXT_TYPE) {
            ASSERT(l.type_len > 0 && in(l.type, l.type_len, buf, len));
            continue;
        }
        /* re-serialise and parse again: the same sample */
        size_t cap = l.name_len + l.labels_len + 64;
        char *again = malloc(cap);
        ASSERT(again);
        /* memcpy, not %.*s: a label value may hold a NUL */
        size_t n = 0;
        memcpy(again, l.name, l.name_len);
        n += l.name_len;
        again[n++] = '{';
        memcpy(again + n, l.labels, l.labels_len);
        n += l.labels_len;
        int k = snprintf(again + n, cap - n, "} %.17g\n", l.value);
        ASSERT(k > 0 && (size_t)k < cap - n);
        n += (size_t)k;
        size_t p2 = 0, line2 = 0;
        struct tg_promtext_line m;
        ASSERT(tg_promtext_next(again, n, &p2, &line2, &m) == 1);
        ASSERT(m.kind == TG_PROMTEXT_SAMPLE && m.name_len == l.name_len && !memcmp(m.name, l.name, l.name_len));
        ASSERT(m.labels_len == l.labels_len && !memcmp(m.labels, l.labels, l.labels_len));
        ASSERT((isnan(m.value) && isnan(l.value)) || m.value == l.value);
        free(again);
    }
    ASSERT(pos == len);
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *whole = malloc(size ? size : 1);
    ASSERT(whole);
    memcpy(whole, data, size);
    uint64_t h_whole = 0;
    size_t n_whole = check_all(whole, size, &h_whole);
    /* cut after the first LF: the two halves give the same lines */
    const char *lf = size ? memchr(whole, '\n', size) : NULL;
    if (lf) {
        size_t cut = (size_t)(lf - whole) + 1;
        char *a = malloc(cut), *b = malloc(size - cut ? size - cut : 1);
        ASSERT(a && b);
        memcpy(a, whole, cut);
        memcpy(b, whole + cut, size - cut);
        uint64_t h = 0;
        size_t n = check_all(a, cut, &h);
        n += check_all(b, size - cut, &h);
        ASSERT(n == n_whole && h == h_whole);
        free(a);
        free(b);
    }
    char v[8];
    tg_promtext_label(whole, size, "le", v, sizeof v);
    free(whole);
    return 0;
}
