/*
 * slo.c - SLO parsing, the binomial verdict on a quantile, per-input meets.
 *
 * The verdict is tg_sla_verdict's, generalised from 5 % to 1 - p.  The
 * allowed share 1 - p is rounded to 10 decimals so that p = 0.95 compares
 * against the double 0.05 (1 - 0.95 is 0.05000000000000004 in binary):
 * latency:p95 is then the very same comparison as --sla-p95.
 */
#include "stats/slo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/time.h"
#include "core/units.h"
#include "stats/binomial.h"

static const char *const names[TG_SLO_NMETRICS] = { "latency", "ttft", "tpot", "itl" };

const char *tg_slo_metric_name(enum tg_slo_metric m)
{
    return (unsigned)m < TG_SLO_NMETRICS ? names[m] : "unknown";
}

static int reason(char *why, size_t whylen, const char *fmt, const char *arg)
{
    if (why && whylen)
        snprintf(why, whylen, fmt, arg);
    return TG_EINVAL;
}

/* The allowed share over the limit, 1 - p, as the decimal it was written as. */
static double allowed_over(double p)
{
    return round((1 - p) * 1e10) / 1e10;
}

/* The percentile (0, 100) of p, as written. */
static double pct_of(double p)
{
    return round(p * 1e10) / 1e8;
}

int tg_slo_parse(const char *s, struct tg_slo *out, char *why, size_t whylen)
{
    static const char usage[] = "expected METRIC:pNN<=VALUE, e.g. ttft:p95<=250ms";
    memset(out, 0, sizeof *out);
    if (why && whylen)
        why[0] = '\0';
    if (!s || !*s)
        return reason(why, whylen, "empty SLO: %s", usage);
    const char *colon = strchr(s, ':');
    if (!colon)
        return reason(why, whylen, "no ':' after the metric: %s", usage);
    size_t mlen = (size_t)(colon - s);
    int metric = -1;
    for (int i = 0; i < TG_SLO_NMETRICS; i++)
        if (strlen(names[i]) == mlen && !strncmp(s, names[i], mlen))
            metric = i;
    if (metric < 0) {
        char m[32];
        snprintf(m, sizeof m, "%.*s", (int)(mlen < 24 ? mlen : 24), s);
        return reason(why, whylen, "unknown metric '%s' (latency, ttft, tpot or itl)", m);
    }
    const char *q = colon + 1;
    if (*q != 'p' && *q != 'P')
        return reason(why, whylen, "expected a percentile 'pNN' after '%s:' (p95, p99.9)",
                      names[metric]);
    q++;
    /* NN ["." D…]: plain decimal digits, at most 6 decimals */
    const char *num = q;
    size_t digits = 0, decimals = 0;
    bool dot = false;
    for (; (*q >= '0' && *q <= '9') || *q == '.'; q++) {
        if (*q == '.') {
            if (dot)
                break;
            dot = true;
        } else {
            digits++;
            decimals += dot;
        }
    }
    if (digits == 0 || num[0] == '.' || q[-1] == '.')
        return reason(why, whylen, "expected a percentile 'pNN' after '%s:' (p95, p99.9)",
                      names[metric]);
    if (decimals > 6)
        return reason(why, whylen, "percentile of '%s' has more than 6 decimals", names[metric]);
    char nbuf[32];
    size_t nlen = (size_t)(q - num);
    if (nlen >= sizeof nbuf)
        return reason(why, whylen, "percentile of '%s' is too long", names[metric]);
    memcpy(nbuf, num, nlen);
    nbuf[nlen] = '\0';
    double pct = strtod(nbuf, NULL);
    if (!(pct > 0 && pct < 100))
        return reason(why, whylen, "percentile p%s is not strictly between 0 and 100", nbuf);
    if (q[0] != '<' || q[1] != '=') {
        if (q[0] == '<' || q[0] == '>' || q[0] == '=')
            return reason(why, whylen, "only '<=' is supported: %s", usage);
        return reason(why, whylen, "expected '<=' after the percentile: %s", usage);
    }
    const char *val = q + 2;
    if (!*val)
        return reason(why, whylen, "no limit after '<=': %s", usage);
    uint64_t ns;
    int rc = tg_parse_duration_ns(val, TG_NS_PER_MS, &ns);
    if (rc == TG_ERANGE)
        return reason(why, whylen, "limit '%.32s' is negative or too large", val);
    if (rc < 0)
        return reason(why, whylen, "limit '%.32s' is not a duration (250ms, 1.5s, 40 = ms)", val);
    if (ns == 0)
        return reason(why, whylen, "limit '%.32s' is zero", val);
    out->metric = (enum tg_slo_metric)metric;
    out->p = pct / 100;
    out->limit_ms = (double)ns / 1e6;
    snprintf(out->text, sizeof out->text, "%s:p%.10g<=%.10gms", names[metric], pct, out->limit_ms);
    return 0;
}

static void verdict(const struct tg_slo *s, struct tg_slo_result *out)
{
    double allowed = allowed_over(s->p);
    if (out->frac_over_hi <= allowed)
        out->verdict = TG_VERDICT_PASS;
    else if (out->frac_over_lo > allowed)
        out->verdict = TG_VERDICT_FAIL;
    else
        out->verdict = TG_VERDICT_INCONCLUSIVE;
}

static void empty_result(struct tg_slo_result *out, uint64_t n)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->estimate_ms = NAN;
    out->frac_over_lo = 0;
    out->frac_over_hi = 1;
    out->verdict = TG_VERDICT_INCONCLUSIVE;
}

int tg_slo_judge_counts(const struct tg_slo *s, uint64_t n, uint64_t over, double estimate_ms,
                        double confidence, struct tg_slo_result *out)
{
    empty_result(out, n);
    if (!(confidence > 0 && confidence < 1) || over > n || isnan(s->limit_ms))
        return TG_EINVAL;
    if (n == 0)
        return 0;
    out->over = over;
    out->estimate_ms = estimate_ms;
    int rc = tg_clopper_pearson(over, n, confidence, &out->frac_over_lo, &out->frac_over_hi);
    if (rc < 0)
        return rc;
    verdict(s, out);
    return 0;
}

int tg_slo_judge(const struct tg_slo *s, const double *v, size_t n, double confidence,
                 struct tg_slo_result *out)
{
    empty_result(out, n);
    if (!(confidence > 0 && confidence < 1) || isnan(s->limit_ms))
        return TG_EINVAL;
    if (n == 0)
        return 0;
    double *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return TG_ENOMEM;
    memcpy(sorted, v, n * sizeof *sorted);
    tg_sort_doubles(sorted, n);
    double est = tg_percentile_sorted(sorted, n, pct_of(s->p));
    uint64_t over = 0;
    for (size_t i = 0; i < n; i++)
        if (!(sorted[i] <= s->limit_ms))   /* NaN counts as over: unknown is not a pass */
            over++;
    free(sorted);
    return tg_slo_judge_counts(s, n, over, est, confidence, out);
}

bool tg_slo_input_meets(const struct tg_slo *s, double latency_ms, double ttft_ms, double tpot_ms,
                        double itl_max_ms)
{
    switch (s->metric) {
    case TG_SLO_LATENCY:
        return latency_ms <= s->limit_ms;   /* NAN: unknown is not a pass */
    case TG_SLO_TTFT:
        return isnan(ttft_ms) || ttft_ms <= s->limit_ms;
    case TG_SLO_TPOT:
        return isnan(tpot_ms) || tpot_ms <= s->limit_ms;
    case TG_SLO_ITL:
        return isnan(itl_max_ms) || itl_max_ms <= s->limit_ms;
    case TG_SLO_NMETRICS:
        break;
    }
    return false;
}
