/*
 * report_load.c - the run loader of `tailgate report` (see report_load.h).
 * CSV per RFC 4180: fields may be quoted, quotes doubled inside them, and the
 * error column may hold commas; CRLF line ends are accepted.
 */
#include "cli/report_load.h"

#include "compare/rows.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CSV_MAX ((size_t)2 << 30)   /* 2 GiB: ~10 M rows of a tailgate run */
#define MAX_COLS 64

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Splits one CSV record starting at *pp into fields (modified in place:
 * unquoted, NUL-terminated).  Advances *pp past the record's line end.
 * Returns the number of fields (capped at max), or -1 on an unterminated quote. */
static int csv_record(char **pp, char **fields, int max)
{
    char *p = *pp, *w = p;
    int nf = 0;
    for (;;) {
        char *start = w;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                *w++ = *p++;   /* lenient: text after a closing quote */
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r')
                *w++ = *p++;
        }
        char sep = *p;
        *w = '\0';
        if (nf < max)
            fields[nf++] = start;
        if (sep == ',') {
            p++;
            w = p;
            continue;
        }
        /* *p may have been overwritten by the NUL above: use sep. */
        if (sep == '\r') {
            p++;
            if (*p == '\n')
                p++;
        } else if (sep == '\n') {
            p++;
        }
        break;
    }
    *pp = p;
    return nf;
}

static double num(const char *s)
{
    while (*s == ' ')
        s++;
    if (*s == '\0')
        return NAN;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end != '\0')
        return NAN;
    return v;
}

enum {
    C_TS, C_LAT, C_STATUS, C_OK,
    C_CQ, C_CONN, C_TTFB, C_SVC, C_SQ, C_SC,
    C_N
};
static const char *const col_names[C_N] = {
    "timestamp_ms", "latency_ms", "status_code", "ok",
    "client_queue_ms", "connect_ms", "ttfb_ms", "service_ms", "server_queue_ms",
    "server_compute_ms",
};

static int parse_csv(char *text, struct tg_run_data *d, char *err, size_t errlen)
{
    char *p = text;
    if (!strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3;   /* a BOM from a spreadsheet export */
    char *fields[MAX_COLS];
    int nf = csv_record(&p, fields, MAX_COLS);
    if (nf <= 0) {
        snprintf(err, errlen, "empty CSV (no header)");
        return TG_EPARSE;
    }
    int idx[C_N];
    for (int c = 0; c < C_N; c++) {
        idx[c] = -1;
        for (int i = 0; i < nf; i++)
            if (!strcmp(fields[i], col_names[c]))
                idx[c] = i;
    }
    for (int c = 0; c <= C_LAT; c++)
        if (idx[c] < 0) {
            snprintf(err, errlen, "no %s column in the header", col_names[c]);
            return TG_EPARSE;
        }
    if (idx[C_STATUS] < 0 && idx[C_OK] < 0) {
        snprintf(err, errlen, "neither a status_code nor an ok column in the header");
        return TG_EPARSE;
    }
    int phases = 1;
    for (int c = C_CQ; c <= C_SC; c++)
        phases &= idx[c] >= 0;

    size_t rows = 0;
    for (char *q = p; *q; q++)
        rows += *q == '\n';
    rows++;   /* a last line without newline */
    d->latency_ms = malloc(rows * sizeof *d->latency_ms);
    d->timestamp_ms = malloc(rows * sizeof *d->timestamp_ms);
    d->ok = malloc(rows);
    if (!d->latency_ms || !d->timestamp_ms || !d->ok)
        return TG_ENOMEM;
    if (phases)
        for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
            if (!(d->phase[c] = malloc(rows * sizeof(double))))
                return TG_ENOMEM;

    size_t line = 1;
    while (*p) {
        line++;
        int n = csv_record(&p, fields, MAX_COLS);
        if (n < 0) {
            snprintf(err, errlen, "line %zu: unterminated quoted field", line);
            return TG_EPARSE;
        }
        if (n == 1 && fields[0][0] == '\0')
            continue;   /* blank line */
        size_t i = d->n;
        if (i >= rows)
            break;
        double cell[C_N];
        for (int c = 0; c < C_N; c++)
            cell[c] = idx[c] >= 0 && idx[c] < n ? num(fields[idx[c]]) : NAN;
        if (isnan(cell[C_TS])) {
            snprintf(err, errlen, "line %zu: timestamp_ms is not a number", line);
            return TG_EPARSE;
        }
        d->timestamp_ms[i] = cell[C_TS];
        d->latency_ms[i] = cell[C_LAT];
        if (idx[C_OK] >= 0)
            d->ok[i] = cell[C_OK] == 1;
        else
            d->ok[i] = cell[C_STATUS] >= 200 && cell[C_STATUS] < 300;
        if (isnan(cell[C_LAT]) || cell[C_LAT] < 0) {
            if (d->ok[i]) {
                snprintf(err, errlen, "line %zu: latency_ms is not a non-negative number", line);
                return TG_EPARSE;
            }
            d->latency_ms[i] = NAN;
        }
        if (phases) {
            static const int map[TG_PHASE_COL_COUNT] = { C_CQ, C_CONN, C_TTFB, C_SVC, C_SQ, C_SC };
            for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
                d->phase[c][i] = isnan(cell[map[c]]) ? 0 : cell[map[c]];
        }
        d->n++;
    }
    if (d->n == 0) {
        snprintf(err, errlen, "no rows after the header");
        return TG_EPARSE;
    }
    d->kind = phases ? "tailgate run" : "latency-only CSV (input.py format)";
    return 0;
}

int tg_run_load(const char *path, struct tg_run_data *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    int rc = TG_ENOMEM;
    char *text = NULL;
    if (!(d->source = strdup(path)))
        goto fail;
    if (is_dir(path)) {
        static const char *const names[] = { "requests.csv", "latency.csv",
                                             "latency_baseline.csv" };
        for (size_t i = 0; i < sizeof names / sizeof names[0] && !d->csv_path; i++) {
            char *c = join(path, names[i]);
            if (!c)
                goto fail;
            if (is_file(c))
                d->csv_path = c;
            else
                free(c);
        }
        if (!d->csv_path) {
            snprintf(err, errlen, "%s: no requests.csv, latency.csv or latency_baseline.csv in "
                     "this directory", path);
            rc = -ENOENT;
            goto fail;
        }
        char *s = join(path, "summary.json");
        if (!s)
            goto fail;
        if (is_file(s))
            d->summary_path = s;
        else
            free(s);
    } else if (!(d->csv_path = strdup(path))) {
        goto fail;
    }
    size_t text_len;
    rc = tg_read_file(d->csv_path, CSV_MAX, &text, &text_len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", d->csv_path, tg_strerror(rc));
        goto fail;
    }
    if (strlen(text) != text_len) {
        snprintf(err, errlen, "%s: NUL byte in a text file", d->csv_path);
        rc = TG_EPARSE;
        goto fail;
    }
    char why[200] = "";
    rc = parse_csv(text, d, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "%s: %s", d->csv_path, rc == TG_ENOMEM ? tg_strerror(rc) : why);
        goto fail;
    }
    free(text);
    return 0;
fail:
    free(text);
    tg_run_data_free(d);
    return rc;
}

void tg_run_data_free(struct tg_run_data *d)
{
    if (!d)
        return;
    free(d->source);
    free(d->csv_path);
    free(d->summary_path);
    free(d->latency_ms);
    free(d->timestamp_ms);
    free(d->ok);
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        free(d->phase[c]);
    memset(d, 0, sizeof *d);
}

void tg_run_data_view(const struct tg_run_data *d, const char *name, struct tg_plot_run *out)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    out->n = d->n;
    out->latency_ms = d->latency_ms;
    out->timestamp_ms = d->timestamp_ms;
    out->ok = d->ok;
    for (int c = 0; c < TG_PHASE_COL_COUNT; c++)
        out->phase[c] = d->phase[c];
}
