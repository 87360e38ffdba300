/*
 * arrivals.c - the global arrival sequence and --stages (see arrivals.h).
 */
#include "engine/arrivals.h"

#include "core/error.h"
#include "core/time.h"
#include "core/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *tg_arrival_name(enum tg_arrival a)
{
    switch (a) {
    case TG_ARRIVAL_CONSTANT: return "constant";
    case TG_ARRIVAL_POISSON: return "poisson";
    case TG_ARRIVAL_GAMMA: return "gamma";
    case TG_ARRIVAL_TRACE: return "trace";
    }
    return "?";
}

/* ---- --stages ------------------------------------------------------------------ */

/* "N", "cN" (concurrency) -> *v; *conc says which form it was. */
static int parse_value(const char *s, bool *conc, double *v)
{
    *conc = *s == 'c';
    if (*conc) {
        uint64_t n;
        if (tg_parse_count(s + 1, 1, 1000000, &n) != 0)
            return TG_EINVAL;
        *v = (double)n;
        return 0;
    }
    return tg_parse_double(s, 0, 1e9, v);
}

int tg_stages_parse(const char *s, struct tg_stage *out, size_t cap, bool *concurrency, char *why,
                    size_t whylen)
{
    size_t n = 0;
    bool kind_set = false;
    const char *p = s;
    if (!s || !*s) {
        snprintf(why, whylen, "empty list");
        return TG_EINVAL;
    }
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char tok[128];
        if (len == 0 || len >= sizeof tok) {
            snprintf(why, whylen, "stage %zu: %s", n + 1, len ? "too long" : "empty");
            return TG_EINVAL;
        }
        if (n == cap) {
            snprintf(why, whylen, "more than %zu stages", cap);
            return TG_EINVAL;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        char *colon = strchr(tok, ':');
        if (!colon) {
            snprintf(why, whylen, "stage %zu '%s': expected DUR:RATE, DUR:RATE->RATE or DUR:cN", n + 1, tok);
            return TG_EINVAL;
        }
        *colon = '\0';
        struct tg_stage st = { 0 };
        if (tg_parse_duration_ns(tok, TG_NS_PER_S, &st.dur_ns) != 0 || st.dur_ns == 0) {
            snprintf(why, whylen, "stage %zu: invalid duration '%s' (e.g. 10s, 500ms)", n + 1, tok);
            return TG_EINVAL;
        }
        char *from = colon + 1, *arrow = strstr(from, "->"), *to = NULL;
        if (arrow) {
            *arrow = '\0';
            to = arrow + 2;
        }
        bool cf = false;
        if (parse_value(from, &cf, &st.from) != 0) {
            snprintf(why, whylen, "stage %zu: invalid value '%s' (a rate >= 0, or cN with N >= 1)", n + 1, from);
            return TG_EINVAL;
        }
        st.to = st.from;
        if (to) {
            /* the end of a concurrency ramp may repeat its 'c' */
            const char *tv = cf && *to == 'c' ? to + 1 : to;
            uint64_t c = 0;
            int rc = *tv == 'c' ? TG_EINVAL
                     : cf       ? tg_parse_count(tv, 1, 1000000, &c)
                                : tg_parse_double(tv, 0, 1e9, &st.to);
            if (rc) {
                snprintf(why, whylen, "stage %zu: invalid ramp end '%s'%s", n + 1, to,
                         !cf && *to == 'c' ? " (a rate ramp cannot end in a concurrency)" : "");
                return TG_EINVAL;
            }
            if (cf)
                st.to = (double)c;
        }
        if (kind_set && cf != *concurrency) {
            snprintf(why, whylen, "stage %zu: rate and concurrency stages cannot be mixed", n + 1);
            return TG_EINVAL;
        }
        *concurrency = cf;
        kind_set = true;
        out[n++] = st;
        if (!end)
            break;
        p = end + 1;
    }
    if (!*concurrency && tg_stages_arrivals(out, n) <= 0) {
        snprintf(why, whylen, "no arrivals (every rate is 0)");
        return TG_EINVAL;
    }
    return (int)n;
}

uint64_t tg_stages_duration_ns(const struct tg_stage *st, size_t n)
{
    uint64_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += st[i].dur_ns;
    return d;
}

static double stage_arrivals(const struct tg_stage *st)
{
    return (double)st->dur_ns / 1e9 * (st->from + st->to) / 2;
}

double tg_stages_arrivals(const struct tg_stage *st, size_t n)
{
    double a = 0;
    for (size_t i = 0; i < n; i++)
        a += stage_arrivals(&st[i]);
    return a;
}

double tg_stages_value_at(const struct tg_stage *st, size_t n, uint64_t t_ns)
{
    for (size_t i = 0; i < n; i++) {
        if (t_ns < st[i].dur_ns)
            return st[i].from + (st[i].to - st[i].from) * ((double)t_ns / (double)st[i].dur_ns);
        t_ns -= st[i].dur_ns;
    }
    return n ? st[n - 1].to : 0;
}

/* ---- the generator ------------------------------------------------------------- */

struct tg_stripe tg_stripe_sub(struct tg_stripe s, uint64_t index, uint64_t count)
{
    if (!s.stride)
        s.stride = 1;
    if (!count)
        count = 1;
    return (struct tg_stripe){ s.first + index * s.stride, s.stride * count };
}

int tg_arrivals_init(struct tg_arrivals *g, const struct tg_arrival_spec *spec)
{
    *g = (struct tg_arrivals){ .spec = *spec };
    const struct tg_arrival_spec *sp = &g->spec;
    if (sp->kind == TG_ARRIVAL_TRACE) {
        if (!sp->offsets_ns || !sp->noffsets || !(sp->speed > 0))
            return TG_EINVAL;
        return 0;
    }
    if (sp->kind == TG_ARRIVAL_GAMMA && !(sp->burstiness > 0))
        return TG_EINVAL;
    if (sp->stages ? !(tg_stages_arrivals(sp->stages, sp->nstages) > 0) : !(sp->rate > 0))
        return TG_EINVAL;
    tg_rng_seed(&g->rng, sp->seed);
    return 0;
}

/* The gap to the next arrival, in units of 1 / rate (mean 1). */
static double gap(struct tg_arrivals *g)
{
    switch (g->spec.kind) {
    case TG_ARRIVAL_POISSON:
        return tg_rng_exp(&g->rng, 1.0);
    case TG_ARRIVAL_GAMMA:
        return tg_rng_gamma(&g->rng, g->spec.burstiness) / g->spec.burstiness;
    default:
        return 1.0;
    }
}

static void advance(struct tg_arrivals *g)
{
    g->i++;
    if (g->spec.kind == TG_ARRIVAL_CONSTANT)
        g->u = (double)g->i;   /* from i, not by accumulation: no drift */
    else
        g->u += gap(g);
}

/* Λ⁻¹(u) over the stages, or false past their end.  u only grows, so the
 * stage pointer only moves forward. */
static bool stages_time(struct tg_arrivals *g, double *t_ns)
{
    const struct tg_stage *st = g->spec.stages;
    for (;;) {
        if (g->seg >= g->spec.nstages)
            return false;
        const struct tg_stage *s = &st[g->seg];
        double len = stage_arrivals(s);
        if (g->u < g->seg_u0 + len)
            break;
        g->seg_u0 += len;
        g->seg_t0_ns += (double)s->dur_ns;
        g->seg++;
    }
    const struct tg_stage *s = &st[g->seg];
    double d = g->u - g->seg_u0, ds = (double)s->dur_ns / 1e9, a = s->from, b = s->to;
    /* a·x + (b − a)·x²/(2·ds) = d, solved in the form that stays exact for a ramp from 0 */
    double disc = a * a + 2 * (b - a) * d / ds;
    double x = 2 * d / (a + sqrt(disc > 0 ? disc : 0));
    if (!(x >= 0))
        x = 0;
    *t_ns = g->seg_t0_ns + x * 1e9;
    return true;
}

bool tg_arrivals_next(struct tg_arrivals *g, double *t_ns)
{
    if (g->done)
        return false;
    const struct tg_arrival_spec *sp = &g->spec;
    if (sp->kind == TG_ARRIVAL_TRACE) {
        if (g->i >= sp->noffsets) {
            g->done = true;
            return false;
        }
        *t_ns = (double)sp->offsets_ns[g->i] / sp->speed;
        g->i++;
        return true;
    }
    if (sp->stages) {
        if (!stages_time(g, t_ns)) {
            g->done = true;
            return false;
        }
    } else {
        *t_ns = g->u * (1e9 / sp->rate);
    }
    advance(g);
    return true;
}

bool tg_arrivals_skip(struct tg_arrivals *g, uint64_t n)
{
    if (g->done)
        return false;
    const struct tg_arrival_spec *sp = &g->spec;
    if (sp->kind == TG_ARRIVAL_TRACE) {
        g->i = n > sp->noffsets - g->i ? sp->noffsets : g->i + n;
        g->done = g->i >= sp->noffsets;
        return !g->done;
    }
    if (sp->kind == TG_ARRIVAL_CONSTANT) {
        g->i += n;
        g->u = (double)g->i;
    } else {
        for (uint64_t k = 0; k < n; k++)
            advance(g);
    }
    if (sp->stages && g->u >= tg_stages_arrivals(sp->stages, sp->nstages))
        g->done = true;
    return !g->done;
}
