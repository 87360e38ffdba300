/*
 * progress.c - live progress: per-worker coarse latency buckets handed over
 * under a mutex at flush time, and the line renderer.
 */
#include "output/progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Log-linear buckets: exact below 32 µs, then 32 sub-buckets per power of
 * two up to 2^37 µs (38 h); larger values land in the last bucket. */
#define SUB_BITS 5
#define SUB (1u << SUB_BITS)
#define MAX_EXP 37
#define NBUCKETS (SUB + (MAX_EXP - SUB_BITS + 1) * SUB)
#define RING 64

struct tg_progress_lat {
    /* worker-private */
    uint32_t local[NBUCKETS];
    unsigned lo, hi;            /* touched range of local, lo > hi: none */
    /* handed over, guarded by mu */
    pthread_mutex_t mu;
    uint64_t shared[NBUCKETS];
    unsigned slo, shi;
};

struct sample {
    uint64_t t_ns, done;
};

struct tg_progress {
    uint64_t total, start_ns, now_ns, done, failed;
    uint64_t counts[NBUCKETS];
    uint64_t n;                 /* ok latencies collected */
    struct sample ring[RING];
    unsigned head, len;         /* ring[head] is the newest */
};

static unsigned bucket_of(uint64_t v)
{
    if (v < SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    if (e > MAX_EXP)
        return NBUCKETS - 1;
    unsigned sub = (unsigned)(v >> (e - SUB_BITS)) - SUB;
    return SUB + (e - SUB_BITS) * SUB + sub;
}

/* The middle of bucket b, µs. */
static uint64_t bucket_value(unsigned b)
{
    if (b < SUB)
        return b;
    unsigned e = (b - SUB) / SUB + SUB_BITS, sub = (b - SUB) % SUB;
    uint64_t width = 1ULL << (e - SUB_BITS);
    return ((uint64_t)(SUB + sub) << (e - SUB_BITS)) + width / 2;
}

struct tg_progress_lat *tg_progress_lat_new(void)
{
    struct tg_progress_lat *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l);
        return NULL;
    }
    l->lo = l->slo = NBUCKETS;
    l->hi = l->shi = 0;
    return l;
}

void tg_progress_lat_free(struct tg_progress_lat *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void tg_progress_lat_record(struct tg_progress_lat *l, uint64_t latency_us)
{
    unsigned b = bucket_of(latency_us);
    if (l->local[b]++ == UINT32_MAX - 1) /* never wraps: hand over early */
        tg_progress_lat_publish(l);
    if (b < l->lo)
        l->lo = b;
    if (b > l->hi)
        l->hi = b;
}

void tg_progress_lat_publish(struct tg_progress_lat *l)
{
    if (l->lo > l->hi)
        return;
    pthread_mutex_lock(&l->mu);
    for (unsigned b = l->lo; b <= l->hi; b++) {
        l->shared[b] += l->local[b];
        l->local[b] = 0;
    }
    if (l->lo < l->slo)
        l->slo = l->lo;
    if (l->hi > l->shi)
        l->shi = l->hi;
    pthread_mutex_unlock(&l->mu);
    l->lo = NBUCKETS;
    l->hi = 0;
}

struct tg_progress *tg_progress_new(uint64_t total, uint64_t start_ns)
{
    struct tg_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->total = total;
    p->start_ns = p->now_ns = start_ns;
    p->ring[0] = (struct sample){ start_ns, 0 };
    p->len = 1;
    return p;
}

void tg_progress_free(struct tg_progress *p)
{
    free(p);
}

void tg_progress_collect(struct tg_progress *p, struct tg_progress_lat *const *lats, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct tg_progress_lat *l = lats[i];
        if (!l)
            continue;
        pthread_mutex_lock(&l->mu);
        for (unsigned b = l->slo; b <= l->shi && b < NBUCKETS; b++) {
            p->counts[b] += l->shared[b];
            p->n += l->shared[b];
            l->shared[b] = 0;
        }
        l->slo = NBUCKETS;
        l->shi = 0;
        pthread_mutex_unlock(&l->mu);
    }
}

void tg_progress_update(struct tg_progress *p, uint64_t now_ns, uint64_t done, uint64_t failed)
{
    if (now_ns < p->now_ns)
        now_ns = p->now_ns;
    p->now_ns = now_ns;
    p->done = done;
    p->failed = failed;
    p->head = (p->head + 1) % RING;
    p->ring[p->head] = (struct sample){ now_ns, done };
    if (p->len < RING)
        p->len++;
}

uint64_t tg_progress_done(const struct tg_progress *p)
{
    return p->done;
}

double tg_progress_rate(const struct tg_progress *p)
{
    /* The newest sample at least 1 s old, else the oldest kept. */
    const struct sample *now = &p->ring[p->head], *ref = NULL;
    for (unsigned k = 1; k < p->len; k++) {
        ref = &p->ring[(p->head + RING - k) % RING];
        if (now->t_ns - ref->t_ns >= 1000000000ULL)
            break;
    }
    if (!ref || now->t_ns <= ref->t_ns)
        return 0;
    return (double)(now->done - ref->done) * 1e9 / (double)(now->t_ns - ref->t_ns);
}

uint64_t tg_progress_samples(const struct tg_progress *p) { return p->n; }

uint64_t tg_progress_percentile(const struct tg_progress *p, double pct)
{
    if (!p->n)
        return 0;
    if (pct < 0)
        pct = 0;
    if (pct > 100)
        pct = 100;
    /* nearest rank: the ceil(pct/100 * n)-th smallest, at least the first */
    double r = pct / 100.0 * (double)p->n;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        seen += p->counts[b];
        if (seen >= rank)
            return bucket_value(b);
    }
    return bucket_value(NBUCKETS - 1);
}

static size_t fmt_ms(char *buf, size_t len, const char *name, const struct tg_progress *p, double pct)
{
    if (!p->n)
        return (size_t)snprintf(buf, len, "  %s -", name);
    double ms = (double)tg_progress_percentile(p, pct) / 1000.0;
    return (size_t)snprintf(buf, len, ms < 100 ? "  %s %.1f ms" : "  %s %.0f ms", name, ms);
}

void tg_progress_format(const struct tg_progress *p, char *buf, size_t len)
{
    if (!len)
        return;
    size_t o = 0;
    double elapsed = (double)(p->now_ns - p->start_ns) / 1e9;
#define ROOM (o < len ? len - o : 0)
#define OUT(x) do { size_t w_ = (x); o = o + w_ < len ? o + w_ : len; } while (0)
    if (p->total != UINT64_MAX)
        OUT((size_t)snprintf(buf + o, ROOM, "%.1fs  %llu/%llu inputs", elapsed, (unsigned long long)p->done,
                             (unsigned long long)p->total));
    else
        OUT((size_t)snprintf(buf + o, ROOM, "%.1fs  %llu inputs", elapsed, (unsigned long long)p->done));
    OUT((size_t)snprintf(buf + o, ROOM, "  %.1f/s", tg_progress_rate(p)));
    OUT(fmt_ms(buf + o, ROOM, "P50", p, 50));
    OUT(fmt_ms(buf + o, ROOM, "P95", p, 95));
    OUT((size_t)snprintf(buf + o, ROOM, "  errors %llu", (unsigned long long)p->failed));
#undef OUT
#undef ROOM
    buf[len - 1 < o ? len - 1 : o] = '\0';
}

void tg_progress_print_live(struct tg_progress *p, FILE *f, unsigned width)
{
    char line[256];
    size_t len = sizeof line;
    if (width > 1 && width < len)
        len = width; /* width - 1 characters: never wrap, or "\r" stops working */
    tg_progress_format(p, line, len);
    fprintf(f, "\r%s\033[K", line);
    fflush(f);
}

void tg_progress_clear_live(FILE *f)
{
    fputs("\r\033[K", f);
    fflush(f);
}

void tg_progress_print_line(struct tg_progress *p, FILE *f)
{
    char line[256];
    tg_progress_format(p, line, sizeof line);
    fprintf(f, "progress: %s\n", line);
    fflush(f);
}
