/*
 * fuzz_url.c - tg_url_parse and the src/core/units.h parsers.
 * Checks: no crash or over-read; an accepted URL is self-consistent and
 * survives a round trip through its own authority and path; a failure
 * always gives a one-line reason; the units parsers leave *out untouched on
 * failure and return only their documented codes.
 */
#include "core/error.h"
#include "core/units.h"
#include "http/http.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    static struct tg_url u, v;
    const char *why = NULL;
    int rc = tg_url_parse(s, &u, &why);
    ASSERT(rc == 0 || rc == TG_EINVAL);
    if (rc == 0) {
        ASSERT(u.port != 0 && u.host[0] && u.path[0] == '/');
        ASSERT(strlen(u.host) < sizeof u.host && strlen(u.path) < sizeof u.path);
        ASSERT(!strchr(u.path, ' ') && !strchr(u.path, '\r') && !strchr(u.path, '#'));
        static char again[4096];
        snprintf(again, sizeof again, "%s://%s%s", u.tls ? "https" : "http", u.authority, u.path);
        ASSERT(tg_url_parse(again, &v, NULL) == 0);
        ASSERT(v.tls == u.tls && v.port == u.port && strcmp(v.host, u.host) == 0);
        ASSERT(strcmp(v.path, u.path) == 0 && strcmp(v.authority, u.authority) == 0);
    } else {
        ASSERT(why && *why && !strchr(why, '\n'));
    }

    uint64_t out = 777;
    rc = tg_parse_duration_ns(s, 1000000, &out);
    ASSERT(rc == 0 || rc == TG_EINVAL || rc == TG_ERANGE);
    if (rc)
        ASSERT(out == 777);
    out = 777;
    rc = tg_parse_size(s, &out);
    ASSERT(rc == 0 || rc == TG_EINVAL || rc == TG_ERANGE);
    if (rc)
        ASSERT(out == 777);
    out = 777;
    rc = tg_parse_count(s, 1, 1000000000, &out);
    ASSERT(rc == 0 || rc == TG_EINVAL || rc == TG_ERANGE);
    if (rc)
        ASSERT(out == 777);
    else
        ASSERT(out >= 1 && out <= 1000000000);
    double d = 7.5;
    rc = tg_parse_double(s, -1e6, 1e6, &d);
    ASSERT(rc == 0 || rc == TG_EINVAL || rc == TG_ERANGE);
    if (rc)
        ASSERT(d == 7.5);
    else
        ASSERT(isfinite(d) && d >= -1e6 && d <= 1e6);
    free(s);
    return 0;
}
