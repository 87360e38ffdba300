#include "core/units.h"
#include "core/error.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* strtod accepts "inf", "nan", hex floats and leading blanks; a command-line
 * number should be plain decimal, so check the characters first. */
static int plain_number_prefix(const char *s, const char **end, double *value)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while ((*p >= '0' && *p <= '9') || *p == '.') {
        digits += (*p != '.');
        p++;
    }
    if (digits == 0)
        return TG_EINVAL;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9')
                q++;
            p = q;
        }
    }
    char tmp[64];
    size_t n = (size_t)(p - s);
    if (n >= sizeof tmp)
        return TG_ERANGE;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *e;
    errno = 0;
    double v = strtod(tmp, &e);
    if (e != tmp + n)
        return TG_EINVAL;
    if (errno == ERANGE || !isfinite(v))
        return TG_ERANGE;
    *value = v;
    *end = p;
    return 0;
}

int tg_parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out)
{
    static const struct { const char *suffix; double ns; } units[] = {
        { "ns", 1.0 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 },
        { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
    };
    if (!s || !*s)
        return TG_EINVAL;
    const char *end;
    double v;
    int rc = plain_number_prefix(s, &end, &v);
    if (rc)
        return rc;
    double mult = -1;
    if (*end == '\0') {
        mult = (double)default_unit_ns;
    } else {
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(end, units[i].suffix) == 0)
                mult = units[i].ns;
    }
    if (mult < 0)
        return TG_EINVAL;
    double ns = v * mult;
    if (v < 0 || ns >= 1.8e19)
        return TG_ERANGE;
    *out = (uint64_t)llround(ns);
    return 0;
}

static int suffix_multiplier(const char *suf, double base, double *mult)
{
    if (*suf == '\0') {
        *mult = 1;
        return 0;
    }
    double m;
    switch (*suf) {
    case 'k': case 'K': m = base; break;
    case 'm': case 'M': m = base * base; break;
    case 'g': case 'G': m = base * base * base; break;
    default: return TG_EINVAL;
    }
    const char *rest = suf + 1;
    if (base == 1024 && *rest && strcmp(rest, "B") && strcmp(rest, "iB"))
        return TG_EINVAL;
    if (base == 1000 && *rest)
        return TG_EINVAL;
    *mult = m;
    return 0;
}

int tg_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return TG_EINVAL;
    const char *end;
    double v, mult;
    int rc = plain_number_prefix(s, &end, &v);
    if (rc)
        return rc;
    if (strcmp(end, "B") == 0)
        end++;
    if ((rc = suffix_multiplier(end, 1024, &mult)))
        return rc;
    double bytes = v * mult;
    if (v < 0 || bytes >= 1.8e19 || bytes != floor(bytes))
        return TG_ERANGE;
    *out = (uint64_t)bytes;
    return 0;
}

int tg_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return TG_EINVAL;
    const char *end;
    double v, mult;
    int rc = plain_number_prefix(s, &end, &v);
    if (rc)
        return rc;
    if ((rc = suffix_multiplier(end, 1000, &mult)))
        return rc;
    double n = v * mult;
    if (n != floor(n))
        return TG_EINVAL;
    if (n < (double)min || n > (double)max)
        return TG_ERANGE;
    *out = (uint64_t)n;
    return 0;
}

int tg_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s)
        return TG_EINVAL;
    const char *end;
    double v;
    int rc = plain_number_prefix(s, &end, &v);
    if (rc)
        return rc;
    if (*end)
        return TG_EINVAL;
    if (v < min || v > max)
        return TG_ERANGE;
    *out = v;
    return 0;
}
