/*
 * junit.c - JUnit XML of the SLA gate.  Each test case is decided from the
 * same fields tg_compare_build() used for sla.met, so the XML can never
 * disagree with the exit code.
 */
#include "compare/junit.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/time.h"

#define MAX_CASES (4 + TG_SLO_MAX)

struct jcase {
    char name[64];
    bool failed, skipped;
    char message[768];     /* failure or skip message */
    char detail[768];      /* failure text / system-out */
};

static void ms_or_na(char *buf, size_t len, double v)
{
    if (isfinite(v))
        snprintf(buf, len, "%.1f ms", v);
    else
        snprintf(buf, len, "n/a");
}

static void case_sla(const struct tg_comparison *c, bool strict, struct jcase *k)
{
    char ap95[32], bp95[32];
    ms_or_na(ap95, sizeof ap95, c->after.lat.p95);
    ms_or_na(bp95, sizeof bp95, c->before.lat.p95);
    double limit = c->opts.sla_p95_ms;
    snprintf(k->name, sizeof k->name, "sla_p95");
    if (c->after.inputs == 0) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "no After inputs: P95 <= %g ms not shown", limit);
    } else if (c->after.ok == 0) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "no successful After input (%zu failed): P95 <= %g ms not shown",
                 c->after.failed, limit);
    } else if (!(c->after.lat.p95 <= limit)) {
        k->failed = true;
        snprintf(k->message, sizeof k->message,
                 "After P95 %s > limit %g ms (Before P95 %s); %zu/%zu After inputs over the limit",
                 ap95, limit, bp95, c->sla.over_limit, c->sla.n);
    } else if (strict && c->met && c->sla.verdict != TG_VERDICT_PASS) {
        k->failed = true;
        snprintf(k->message, sizeof k->message,
                 "After P95 %s <= limit %g ms but not proven at %g %% confidence (--strict): "
                 "%zu/%zu inputs over, over-limit share up to %.2f %% > 5 %%",
                 ap95, limit, 100 * c->opts.confidence, c->sla.over_limit, c->sla.n,
                 100 * c->sla.frac_over_hi);
    }
    snprintf(k->detail, sizeof k->detail,
             "After P95 %s, limit %g ms, Before P95 %s; %zu/%zu After inputs over the limit; "
             "verdict %s at %g %% one-sided confidence (Clopper-Pearson share over the limit in "
             "[%.2f %%, %.2f %%])",
             ap95, limit, bp95, c->sla.over_limit, c->sla.n, tg_verdict_name(c->verdict),
             100 * c->opts.confidence, 100 * c->sla.frac_over_lo, 100 * c->sla.frac_over_hi);
}

static void ids(char *buf, size_t len, const uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tg_str_appendf(buf, len, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
}

static void case_outputs(const struct tg_comparison *c, struct jcase *k)
{
    const struct tg_output_cmp *o = &c->outputs;
    size_t total = o->compared + o->missing;
    snprintf(k->name, sizeof k->name, "outputs_equal");
    if (c->opts.ignore_outputs) {
        k->skipped = true;
        snprintf(k->message, sizeof k->message, "outputs not required (--ignore-outputs)");
    } else if (!c->outputs_compared) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "outputs not compared: %s",
                 o->ref_hashes == 0 && o->after_hashes == 0 ? "no output hashes on either side"
                 : o->ref_hashes == 0 ? "the reference has no output hashes"
                                      : "After has no output hashes");
    } else if (o->different || o->missing) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "%zu/%zu outputs equal: %zu different, %zu missing", o->equal,
                 total, o->different, o->missing);
        if (o->n_first_different) {
            tg_str_appendf(k->detail, sizeof k->detail, "first different request_ids: ");
            ids(k->detail, sizeof k->detail, o->first_different, o->n_first_different);
            tg_str_appendf(k->detail, sizeof k->detail, "\n");
        }
        if (o->n_first_missing) {
            tg_str_appendf(k->detail, sizeof k->detail, "first missing request_ids: ");
            ids(k->detail, sizeof k->detail, o->first_missing, o->n_first_missing);
            tg_str_appendf(k->detail, sizeof k->detail, "\n");
        }
    }
    if (!k->detail[0])
        snprintf(k->detail, sizeof k->detail, "%zu compared, %zu equal (%zu within tolerance), %zu different, "
                 "%zu missing; reference %.300s", o->compared, o->equal, o->equal_within_tolerance, o->different,
                 o->missing, c->outputs_reference);
}

static void case_workload(const struct tg_comparison *c, struct jcase *k)
{
    snprintf(k->name, sizeof k->name, "workload_identical");
    if (!c->workload_identical) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "workload differs: %s", c->workload_diff);
    }
    snprintf(k->detail, sizeof k->detail, "payload SHA-256 %s, %llu inputs, concurrency %llu",
             c->id_after.payload_sha256[0] ? c->id_after.payload_sha256 : "unknown",
             (unsigned long long)c->id_after.inputs, (unsigned long long)c->id_after.concurrency);
}

static void case_failed(const struct tg_comparison *c, struct jcase *k)
{
    snprintf(k->name, sizeof k->name, "no_failed_inputs");
    if (c->after.failed) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "%zu of %zu After inputs failed", c->after.failed,
                 c->after.inputs);
        for (size_t i = 0; i < c->after.nclasses; i++)
            if (c->after.classes[i].count)
                tg_str_appendf(k->detail, sizeof k->detail, "%s: %zu\n", c->after.classes[i].name,
                        c->after.classes[i].count);
    } else {
        snprintf(k->detail, sizeof k->detail, "%zu After inputs, %zu ok", c->after.inputs, c->after.ok);
    }
}

/* One --slo on After, decided like sla_p95: not met, or (strict) met but
 * not proven. */
static void case_slo(const struct tg_comparison *c, size_t i, bool strict, struct jcase *k)
{
    const struct tg_slo *s = &c->slo_after.slo[i];
    const struct tg_slo_result *a = &c->slo_after.res[i], *b = &c->slo_before.res[i];
    const char *note = c->slo_after.note[i];
    double pct = round(s->p * 1e10) / 1e8;
    char ae[32], be[32];
    ms_or_na(ae, sizeof ae, a->estimate_ms);
    ms_or_na(be, sizeof be, b->estimate_ms);
    snprintf(k->name, sizeof k->name, "slo %s", s->text);
    if (a->n == 0) {
        k->failed = true;
        snprintf(k->message, sizeof k->message, "%s: no After samples (%s)", s->text,
                 note[0] ? note : "none");
    } else if (!c->slo_met[i]) {
        k->failed = true;
        snprintf(k->message, sizeof k->message,
                 "After p%g %s > limit %g ms (Before p%g %s); %llu/%llu After samples over the limit",
                 pct, isinf(a->estimate_ms) ? "failed" : ae, s->limit_ms, pct, be,
                 (unsigned long long)a->over, (unsigned long long)a->n);
    } else if (strict && c->met && a->verdict != TG_VERDICT_PASS) {
        k->failed = true;
        snprintf(k->message, sizeof k->message,
                 "After p%g %s <= limit %g ms but not proven at %g %% confidence (--strict): "
                 "%llu/%llu samples over, over-limit share up to %.2f %% > %g %%",
                 pct, ae, s->limit_ms, 100 * c->opts.confidence, (unsigned long long)a->over,
                 (unsigned long long)a->n, 100 * a->frac_over_hi, 100 - pct);
    }
    snprintf(k->detail, sizeof k->detail,
             "After p%g %s, limit %g ms, Before p%g %s; %llu/%llu After samples over the limit; "
             "verdict %s at %g %% one-sided confidence (Clopper-Pearson share over the limit in "
             "[%.2f %%, %.2f %%])%s%s",
             pct, ae, s->limit_ms, pct, be, (unsigned long long)a->over, (unsigned long long)a->n,
             tg_verdict_name(c->slo_verdict[i]), 100 * c->opts.confidence, 100 * a->frac_over_lo,
             100 * a->frac_over_hi, note[0] ? "; " : "", note);
}

static size_t build_cases(const struct tg_comparison *c, bool strict, struct jcase *k)
{
    memset(k, 0, MAX_CASES * sizeof *k);
    case_sla(c, strict, &k[0]);
    case_outputs(c, &k[1]);
    case_workload(c, &k[2]);
    case_failed(c, &k[3]);
    size_t n = 4;
    for (size_t i = 0; i < c->opts.nslos && i < c->slo_after.n && n < MAX_CASES; i++)
        case_slo(c, i, strict, &k[n++]);
    return n;
}

int tg_junit_failures(const struct tg_comparison *c, bool strict)
{
    struct jcase k[MAX_CASES];
    size_t n = build_cases(c, strict, k);
    int f = 0;
    for (size_t i = 0; i < n; i++)
        f += k[i].failed;
    return f;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid or a code
 * point XML 1.0 does not allow. */
static size_t utf8_ok(const unsigned char *s)
{
    unsigned cp;
    size_t n;
    if (s[0] < 0x80)
        return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' ? 1 : 0;
    if ((s[0] & 0xE0) == 0xC0)
        cp = s[0] & 0x1F, n = 2;
    else if ((s[0] & 0xF0) == 0xE0)
        cp = s[0] & 0x0F, n = 3;
    else if ((s[0] & 0xF8) == 0xF0)
        cp = s[0] & 0x07, n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const unsigned min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

void tg_junit_escape(FILE *f, const char *s, bool attr)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        switch (*p) {
        case '&': fputs("&amp;", f); p++; continue;
        case '<': fputs("&lt;", f); p++; continue;
        case '>': fputs("&gt;", f); p++; continue;
        case '"': fputs("&quot;", f); p++; continue;
        case '\'': fputs("&apos;", f); p++; continue;
        case '\n': fputs(attr ? "&#10;" : "\n", f); p++; continue; /* attributes: survives normalisation */
        case '\r': fputs("&#13;", f); p++; continue;
        case '\t': fputs(attr ? "&#9;" : "\t", f); p++; continue;
        default: break;
        }
        size_t n = utf8_ok(p);
        if (n == 0) {
            fputc('?', f);
            p++;
        } else {
            fwrite(p, 1, n, f);
            p += n;
        }
    }
}

static void property(FILE *f, const char *name, const char *value)
{
    fprintf(f, "      <property name=\"%s\" value=\"", name);
    tg_junit_escape(f, value, true);
    fputs("\"/>\n", f);
}

static void property_ms(FILE *f, const char *name, double v)
{
    char buf[64];
    if (isfinite(v))
        snprintf(buf, sizeof buf, "%.3f", v);
    else
        snprintf(buf, sizeof buf, "n/a");
    property(f, name, buf);
}

static void property_count(FILE *f, const char *name, size_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", v);
    property(f, name, buf);
}

int tg_junit_write(FILE *f, const struct tg_comparison *c, bool strict)
{
    struct jcase k[MAX_CASES];
    size_t n = build_cases(c, strict, k);
    int failures = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        failures += k[i].failed;
        skipped += k[i].skipped;
    }
    char stamp[40];
    if (tg_utc_iso(stamp, sizeof stamp) < 0)
        stamp[0] = '\0';
    size_t sl = strlen(stamp);
    if (sl && stamp[sl - 1] == 'Z') /* the JUnit schema's timestamp has no zone */
        stamp[sl - 1] = '\0';
    double t = isfinite(c->after.wall_time_s) ? c->after.wall_time_s : 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"tailgate\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            n, failures, skipped, t);
    fprintf(f, "  <testsuite name=\"tailgate\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" "
               "time=\"%.3f\" timestamp=\"", n, failures, skipped, t);
    tg_junit_escape(f, stamp, true);
    fputs("\">\n    <properties>\n", f);
    char buf[128];
    snprintf(buf, sizeof buf, "%g", c->opts.sla_p95_ms);
    property(f, "sla_p95_ms", buf);
    snprintf(buf, sizeof buf, "%g", c->opts.confidence);
    property(f, "confidence", buf);
    property(f, "met", c->met ? "true" : "false");
    property(f, "verdict", tg_verdict_name(c->verdict));
    property(f, "strict", strict ? "true" : "false");
    property_ms(f, "before_p50_ms", c->before.lat.p50);
    property_ms(f, "before_p95_ms", c->before.lat.p95);
    property_ms(f, "before_p99_ms", c->before.lat.p99);
    property_ms(f, "after_p50_ms", c->after.lat.p50);
    property_ms(f, "after_p95_ms", c->after.lat.p95);
    property_ms(f, "after_p99_ms", c->after.lat.p99);
    property_ms(f, "delta_p95_ms", c->after.lat.p95 - c->before.lat.p95);
    property_count(f, "before_inputs", c->before.inputs);
    property_count(f, "after_inputs", c->after.inputs);
    property_count(f, "after_failed", c->after.failed);
    property_count(f, "after_over_limit", c->sla.over_limit);
    if (c->opts.nslos) {
        char slos[TG_SLO_MAX * 52] = "";
        for (size_t i = 0; i < c->opts.nslos && i < c->slo_after.n; i++)
            tg_str_appendf(slos, sizeof slos, "%s%s", i ? " " : "", c->slo_after.slo[i].text);
        property(f, "slos", slos);
        property_ms(f, "before_goodput_rps", c->slo_before.goodput_rps);
        property_ms(f, "after_goodput_rps", c->slo_after.goodput_rps);
    }
    property(f, "payload_sha256", c->id_after.payload_sha256[0] ? c->id_after.payload_sha256 : "unknown");
    property(f, "before", c->before.source);
    property(f, "after", c->after.source);
    fputs("    </properties>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("    <testcase classname=\"tailgate\" name=\"", f);
        tg_junit_escape(f, k[i].name, true);
        fputs("\" time=\"0\">\n", f);
        if (k[i].failed) {
            fputs("      <failure type=\"", f);
            tg_junit_escape(f, k[i].name, true);
            fputs("\" message=\"", f);
            tg_junit_escape(f, k[i].message, true);
            fputs("\">", f);
            tg_junit_escape(f, k[i].message, false);
            if (k[i].detail[0]) {
                fputc('\n', f);
                tg_junit_escape(f, k[i].detail, false);
            }
            fputs("</failure>\n", f);
        } else if (k[i].skipped) {
            fputs("      <skipped message=\"", f);
            tg_junit_escape(f, k[i].message, true);
            fputs("\"/>\n", f);
        } else if (k[i].detail[0]) {
            fputs("      <system-out>", f);
            tg_junit_escape(f, k[i].detail, false);
            fputs("</system-out>\n", f);
        }
        fputs("    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    if (fflush(f) != 0 || ferror(f))
        return errno ? -errno : TG_EIO;
    return 0;
}

int tg_junit_write_file(const char *path, const struct tg_comparison *c, bool strict, char *err,
                        size_t errlen)
{
    struct tg_atomic_file a;
    int rc = tg_atomic_open(&a, path);
    if (rc == 0) {
        rc = tg_junit_write(a.f, c, strict);
        if (rc == 0)
            rc = tg_atomic_commit(&a);
        else
            tg_atomic_abort(&a);
    }
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
    return rc;
}
