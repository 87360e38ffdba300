/*
 * report_curves.c - capacity.json / sweep.json into the report's curves.
 */
#include "cli/report_curves.h"

#include "stats/slo.h"

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum kind { K_NONE, K_CAPACITY, K_SWEEP };

static double num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static enum kind kind_of(const json_t *root)
{
    const char *s = str(root, "schema");
    if (s && !strncmp(s, "tailgate.capacity/", 18))
        return K_CAPACITY;
    if (s && !strncmp(s, "tailgate.sweep/", 15))
        return K_SWEEP;
    if (s)
        return K_NONE;
    if (json_object_get(root, "max_rate"))
        return K_CAPACITY;
    if (str(root, "mode"))
        return K_SWEEP;
    return K_NONE;
}

/* The SLO texts of "slos": strings, or objects with "slo" (or "text"). */
static size_t slo_texts(const json_t *root, const char **out, size_t max)
{
    const json_t *a = json_object_get(root, "slos");
    size_t n = 0, i;
    const json_t *v;
    json_array_foreach(a, i, v) {
        const char *t = json_is_string(v) ? json_string_value(v) : str(v, "slo");
        if (!t)
            t = str(v, "text");
        if (t && n < max)
            out[n++] = t;
    }
    return n;
}

/* "a, b, c" of the SLO texts; "" when none. */
static const char *slo_list(struct tg_rpool *p, const char *const *t, size_t n)
{
    struct tg_buf b = TG_BUF_INIT(4096);
    for (size_t i = 0; i < n; i++)
        if (tg_buf_printf(&b, "%s%s", i ? ", " : "", t[i]))
            break;
    return tg_rpool_take(p, b.data ? b.data : strdup(""));
}

static double load_of(const json_t *pt, enum kind k)
{
    double v = k == K_CAPACITY ? num(pt, "rate") : num(pt, "load");
    if (!isfinite(v))
        v = num(pt, k == K_CAPACITY ? "load" : "rate");
    return v;
}

static bool seen_before(struct tg_rcurves *c, const char *path)
{
    char rp[PATH_MAX];
    if (!realpath(path, rp))
        return false;
    for (size_t i = 0; i < c->nseen; i++)
        if (!strcmp(c->seen[i], rp))
            return true;
    if (c->nseen < sizeof c->seen / sizeof c->seen[0])
        c->seen[c->nseen++] = strdup(rp);
    return false;
}

static void fmt_load(char *out, size_t n, double v)
{
    snprintf(out, n, "%.4g", v);
}

bool tg_rcurves_load(struct tg_rcurves *c, struct tg_rpool *p, const char *path, const char **note)
{
    *note = NULL;
    if (seen_before(c, path))
        return false;
    if (c->n == TG_RCURVES_MAX) {
        *note = tg_rpool_printf(p, "%s: more than %d capacity/sweep curves; this one is not drawn", path,
                                TG_RCURVES_MAX);
        return false;
    }
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    enum kind k = root ? kind_of(root) : K_NONE;
    if (!root || !json_is_object(root) || k == K_NONE) {
        *note = root ? tg_rpool_printf(p, "%s: not a capacity or sweep file (schema); curve omitted", path)
                     : tg_rpool_printf(p, "%s: not readable JSON (%s, line %d); curve omitted", path,
                                       jerr.text, jerr.line);
        json_decref(root);
        return false;
    }
    const json_t *a = json_object_get(root, "points");
    size_t np = json_array_size(a);
    struct tg_curve_point *pts = calloc(np ? np : 1, sizeof *pts);
    if (!pts) {
        p->oom = 1;
        json_decref(root);
        return false;
    }
    size_t m = 0, i;
    const json_t *pt;
    double lo = INFINITY, hi = 0, lowest = INFINITY;
    json_array_foreach(a, i, pt) {
        double load = load_of(pt, k);
        if (!isfinite(load) || load < 0)
            continue;
        double tput = num(pt, "throughput_ips");
        if (!isfinite(tput))
            tput = num(pt, "achieved_rate");
        const char *v = str(pt, "verdict");
        pts[m] = (struct tg_curve_point){ load, tput, num(pt, "p50_ms"), num(pt, "p95_ms"), num(pt, "p99_ms"),
                                          v ? tg_rpool_take(p, strdup(v)) : NULL };
        if (pts[m].p50_ms > 0)
            lo = fmin(lo, pts[m].p50_ms);
        if (isfinite(pts[m].p99_ms))
            hi = fmax(hi, pts[m].p99_ms);
        lowest = fmin(lowest, load);
        m++;
    }
    if (m == 0) {
        *note = tg_rpool_printf(p, "%s: no measured point; curve omitted", path);
        free(pts);
        json_decref(root);
        return false;
    }

    const char *texts[TG_SLO_MAX];
    size_t nt = slo_texts(root, texts, TG_SLO_MAX);
    const char *slos = slo_list(p, texts, nt);
    struct tg_slo sla = { 0 };
    bool have_sla = false;
    for (size_t j = 0; j < nt && !have_sla; j++) {
        char why[128];
        have_sla = tg_slo_parse(texts[j], &sla, why, sizeof why) == 0 && sla.metric == TG_SLO_LATENCY;
    }

    /* the heading names the file's directory (its last component) */
    char *copy = strdup(path);
    const char *dir = "";
    if (copy) {
        char *slash = strrchr(copy, '/');
        if (slash)
            *slash = '\0';
        slash = strrchr(copy, '/');
        dir = tg_rpool_printf(p, "%s", slash ? slash + 1 : strrchr(path, '/') ? copy : ".");
        free(copy);
    }
    bool rate = k == K_CAPACITY || (str(root, "mode") && !strcmp(str(root, "mode"), "rate"));
    struct tg_report_curve *rc = &c->v[c->n];
    memset(rc, 0, sizeof *rc);
    rc->source = tg_rpool_take(p, strdup(path));
    char a1[32], a2[32];
    if (k == K_CAPACITY) {
        double max_rate = num(root, "max_rate");
        rc->heading = tg_rpool_printf(p, "Capacity: %s", dir);
        rc->curve.title = "Capacity: latency against offered rate";
        rc->curve.limit_load = max_rate > 0 ? max_rate : 0;
        rc->curve.limit_label = "limit";
        fmt_load(a1, sizeof a1, max_rate);
        fmt_load(a2, sizeof a2, lowest);
        if (max_rate > 0)
            rc->caption = tg_rpool_printf(p, "Meets the SLA%s%s%s up to %s inputs/s.", nt ? " (" : "", slos,
                                          nt ? ")" : "", a1);
        else
            rc->caption = tg_rpool_printf(p, "Does not meet the SLA%s%s%s even at the lowest rate tried, "
                                          "%s inputs/s.", nt ? " (" : "", slos, nt ? ")" : "", a2);
    } else {
        rc->heading = tg_rpool_printf(p, "Sweep (%s): %s", rate ? "rate" : "concurrency", dir);
        rc->curve.title = rate ? "Sweep: latency and throughput against offered rate"
                               : "Sweep: latency and throughput against concurrency";
        const json_t *knee = json_object_get(root, "knee");
        double kl = num(knee, "load"), kt = num(knee, "throughput_ips");
        rc->curve.limit_load = kl > 0 ? kl : 0;
        rc->curve.limit_label = "knee";
        const char *what = rate ? "" : "concurrency ", *unit = rate ? " inputs/s" : "";
        struct tg_buf b = TG_BUF_INIT(4096);
        if (nt) {
            double l = num(root, "sla_limit");
            if (isfinite(l)) {
                fmt_load(a1, sizeof a1, l);
                tg_buf_printf(&b, "Meets every SLO (%s) up to %s%s%s", slos, what, a1, unit);
                for (size_t j = 0; !rate && j < m; j++)
                    if (pts[j].load == l && isfinite(pts[j].achieved_ips))
                        tg_buf_printf(&b, " (%.1f inputs/s)", pts[j].achieved_ips);
                tg_buf_puts(&b, ". ");
            } else {
                tg_buf_printf(&b, "No point meets every SLO (%s). ", slos);
            }
        }
        if (kl > 0) {
            fmt_load(a1, sizeof a1, kl);
            tg_buf_printf(&b, "Knee at %s%s%s", what, a1, unit);
            if (isfinite(kt))
                tg_buf_printf(&b, " (throughput %.1f inputs/s)", kt);
            tg_buf_puts(&b, ": beyond it more load adds latency, not throughput.");
        } else {
            tg_buf_puts(&b, "No knee: throughput rose at every step.");
        }
        rc->caption = tg_rpool_take(p, b.data ? b.data : strdup(""));
    }
    rc->curve.load_label = rate ? "offered rate (inputs/s)" : "concurrency (inputs in flight)";
    rc->curve.points = pts;
    rc->curve.npoints = m;
    if (have_sla) {
        rc->curve.sla_ms = sla.limit_ms;
        rc->curve.sla_label = tg_rpool_printf(p, "SLA P%g %g ms", round(sla.p * 1e8) / 1e6, sla.limit_ms);
    }
    rc->curve.log_latency = isfinite(lo) && hi / lo > 50;
    c->pts[c->n++] = pts;
    json_decref(root);
    return true;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void add_note(const char *note, const char **notes, size_t *notes_n, size_t notes_max)
{
    if (note && *notes_n < notes_max)
        notes[(*notes_n)++] = note;
}

static void find_in(struct tg_rcurves *c, struct tg_rpool *p, const char *dir, const char **notes,
                    size_t *notes_n, size_t notes_max)
{
    static const char *const names[] = { "capacity.json", "sweep.json" };
    for (size_t i = 0; i < 2; i++) {
        const char *path = tg_rpool_printf(p, "%s/%s", dir, names[i]);
        const char *note = NULL;
        if (is_file(path))
            tg_rcurves_load(c, p, path, &note);
        add_note(note, notes, notes_n, notes_max);
    }
}

/* Before ahead of After (capacity-before, capacity-after), then by name. */
static int rank(const char *name)
{
    return strstr(name, "before") ? 0 : strstr(name, "after") ? 1 : 2;
}

static int cmp_name(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int d = rank(x) - rank(y);
    return d ? d : strcmp(x, y);
}

void tg_rcurves_find(struct tg_rcurves *c, struct tg_rpool *p, const char *dir, bool subdirs,
                     const char **notes, size_t *notes_n, size_t notes_max)
{
    find_in(c, p, dir, notes, notes_n, notes_max);
    if (!subdirs)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    /* in a fixed order: Before, After, then by name */
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (!strncmp(e->d_name, "capacity", 8) || !strncmp(e->d_name, "sweep", 5))
            if ((names[n] = strdup(e->d_name)))
                n++;
    closedir(d);
    qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        const char *sub = tg_rpool_printf(p, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            find_in(c, p, sub, notes, notes_n, notes_max);
        free(names[i]);
    }
}

void tg_rcurves_free(struct tg_rcurves *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->pts[i]);
    for (size_t i = 0; i < c->nseen; i++)
        free(c->seen[i]);
    c->n = c->nseen = 0;
}
