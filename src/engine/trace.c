/*
 * trace.c - reading a --trace file into arrival offsets and payloads (see
 * trace.h).  Bodies are rewritten compact (jansson, key order kept) one per
 * line into one buffer, which becomes the payloads (payload.h).
 */
#include "engine/trace.h"

#include "api/api.h"
#include "api/synth.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/time.h"
#include "core/vec.h"
#include "engine/payload.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vocab[64] = {
    "the", "model", "serves", "tokens", "under", "load", "while", "queue", "depth", "grows",
    "batch", "size", "latency", "memory", "bandwidth", "cache", "eviction", "attention", "layer", "kernel",
    "request", "response", "stream", "prefill", "decode", "scheduler", "throughput", "percentile", "budget", "server",
    "client", "socket", "buffer", "network", "compute", "tensor", "vector", "matrix", "shard", "replica",
    "warm", "cold", "start", "steady", "state", "burst", "ramp", "trace", "replay", "offset",
    "input", "output", "length", "word", "text", "prompt", "answer", "question", "context", "window",
    "fast", "slow", "open", "loop",
};

char *tg_trace_words(uint64_t seed, uint64_t line, uint64_t words)
{
    struct tg_buf b = TG_BUF_INIT(0);
    struct tg_rng r;
    tg_rng_seed(&r, seed ^ (line * 0x9e3779b97f4a7c15ULL));
    for (uint64_t i = 0; i < words; i++) {
        const char *w = vocab[tg_rng_below(&r, 64)];
        if ((i && tg_buf_append(&b, " ", 1)) || tg_buf_puts(&b, w)) {
            tg_buf_free(&b);
            return NULL;
        }
    }
    if (tg_buf_append(&b, "", 1)) {   /* the NUL */
        tg_buf_free(&b);
        return NULL;
    }
    return b.data;   /* owned by the caller now */
}

void tg_trace_free(struct tg_trace *t)
{
    if (!t)
        return;
    free(t->offsets_ns);
    tg_payloads_free(t->payloads);
    free(t);
}

struct entry {
    uint64_t t_ns;     /* the line's time */
    size_t line;       /* its number in the file (stable order on ties) */
    char *body;        /* compact JSON, one line */
};

static int by_time(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* One line into *e.  Returns 0, TG_EPARSE (why set) or TG_ENOMEM. */
static int parse_entry(const char *s, size_t len, size_t lineno, const struct tg_api *api, uint64_t seed,
                       struct entry *e, bool *synth, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *o = json_loadb(s, len, 0, &jerr);
    int rc = TG_EPARSE;
    if (!o || !json_is_object(o)) {
        snprintf(why, whylen, "line %zu: not a JSON object%s%s", lineno, o ? "" : ": ", o ? "" : jerr.text);
        goto done;
    }
    json_t *off = json_object_get(o, "offset_ms"), *ts = json_object_get(o, "timestamp_ms");
    if (!off == !ts) {
        snprintf(why, whylen, "line %zu: needs one of \"offset_ms\" or \"timestamp_ms\"", lineno);
        goto done;
    }
    json_t *tv = off ? off : ts;
    double ms = json_is_number(tv) ? json_number_value(tv) : -1;
    if (!(ms >= 0) || ms > 1e13) {   /* 1e13 ms: year 2286, and 1e19 ns still fits */
        snprintf(why, whylen, "line %zu: \"%s\" is not a number of ms >= 0", lineno, off ? "offset_ms" : "timestamp_ms");
        goto done;
    }
    /* integer ms exactly, the fraction to the ns: epoch-ms timestamps exceed a double's 53 bits in ns */
    double whole = floor(ms);
    e->t_ns = json_is_integer(tv) ? (uint64_t)json_integer_value(tv) * 1000000ULL
                                  : (uint64_t)whole * 1000000ULL + (uint64_t)llround((ms - whole) * 1e6);
    e->line = lineno;
    json_t *body = json_object_get(o, "body"), *il = json_object_get(o, "input_length"),
           *ol = json_object_get(o, "output_length"), *model = json_object_get(o, "model");
    if (body) {
        if (!json_is_object(body)) {
            snprintf(why, whylen, "line %zu: \"body\" is not an object", lineno);
            goto done;
        }
        if (!(e->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
            rc = TG_ENOMEM;
            goto done;
        }
        *synth = false;
        rc = 0;
        goto done;
    }
    if (!json_is_integer(il) || json_integer_value(il) < 0 || json_integer_value(il) > TG_TRACE_MAX_WORDS ||
        (ol && (!json_is_integer(ol) || json_integer_value(ol) < 0)) || (model && !json_is_string(model))) {
        snprintf(why, whylen, "line %zu: needs \"body\" (an object) or \"input_length\" (an integer 0..%d, "
                 "with optional \"output_length\" >= 0 and \"model\")", lineno, TG_TRACE_MAX_WORDS);
        goto done;
    }
    char *text = tg_trace_words(seed, lineno, (uint64_t)json_integer_value(il));
    struct tg_buf b = TG_BUF_INIT(0);
    rc = text ? tg_api_synth_line(api, &b, model ? json_string_value(model) : NULL, text,
                                  ol ? (int64_t)json_integer_value(ol) : -1)
              : TG_ENOMEM;
    free(text);
    if (rc == TG_EINVAL) {
        snprintf(why, whylen, "line %zu: --api %s has no synthesised bodies: give \"body\"", lineno, api->name);
        rc = TG_EPARSE;
    }
    if (!rc && tg_buf_append(&b, "", 1))
        rc = TG_ENOMEM;
    if (rc)
        tg_buf_free(&b);
    else
        e->body = b.data;
    *synth = true;
done:
    json_decref(o);
    return rc;
}

int tg_trace_load(const char *path, const struct tg_api *api, bool split, uint64_t seed,
                  struct tg_trace **out, char *why, size_t whylen)
{
    char dummy[8];
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    *why = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    struct tg_trace *t = calloc(1, sizeof *t);
    struct entry *es = NULL;
    size_t n = 0, cap = 0, lineno = 0, synthesised = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    int rc = t ? 0 : TG_ENOMEM;
    while (!rc && (got = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        size_t l = (size_t)got;
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
            l--;
        if (!l)
            continue;
        if ((rc = tg_grow((void **)&es, &cap, n + 1, sizeof *es, 1024)) != 0)
            break;
        bool synth = false;
        es[n].body = NULL;
        if ((rc = parse_entry(line, l, lineno, api, seed, &es[n], &synth, why, whylen)) == 0) {
            synthesised += synth;
            n++;
        }
    }
    if (!rc && ferror(f))
        rc = errno ? -errno : TG_EIO;
    fclose(f);
    free(line);
    if (!rc && n == 0) {
        snprintf(why, whylen, "no arrivals");
        rc = TG_EINVAL;
    }
    if (rc)
        goto fail;
    qsort(es, n, sizeof *es, by_time);
    /* the bodies, one per line, in arrival order: the payloads */
    struct tg_buf data = TG_BUF_INIT(0);
    t->offsets_ns = malloc(n * sizeof *t->offsets_ns);
    rc = t->offsets_ns ? 0 : TG_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        t->offsets_ns[i] = es[i].t_ns - es[0].t_ns;
        if (tg_buf_puts(&data, es[i].body) || tg_buf_append(&data, "\n", 1))
            rc = TG_ENOMEM;
    }
    if (!rc && tg_buf_append(&data, "", 1))
        rc = TG_ENOMEM;
    if (rc) {
        tg_buf_free(&data);
        goto fail;
    }
    char pwhy[300];
    rc = tg_payloads_from_buffer(data.data, data.len - 1, split ? api : NULL, &t->payloads, pwhy, sizeof pwhy);
    if (rc) {
        /* payload lines are arrivals in time order: name the file's line */
        unsigned long k = 0;
        if (sscanf(pwhy, "line %lu:", &k) == 1 && k >= 1 && k <= n)
            snprintf(why, whylen, "line %zu: %s", es[k - 1].line, strchr(pwhy, ':') + 2);
        else
            snprintf(why, whylen, "%s", pwhy);
        goto fail;
    }
    if (t->payloads->n != n) {   /* a body can never be blank: cannot happen */
        snprintf(why, whylen, "internal: %zu bodies for %zu arrivals", t->payloads->n, n);
        rc = TG_EINVAL;
        goto fail;
    }
    if ((rc = tg_sha256_file_hex(path, t->payloads->sha256)) != 0)
        goto fail;
    t->n = n;
    t->synthesised = synthesised;
    for (size_t i = 0; i < n; i++)
        free(es[i].body);
    free(es);
    *out = t;
    return 0;
fail:
    for (size_t i = 0; es && i < n; i++)
        free(es[i].body);
    free(es);
    tg_trace_free(t);
    return rc;
}
