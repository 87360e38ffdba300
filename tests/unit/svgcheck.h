/*
 * svgcheck.h - what the chart tests (test_curve.c, test_report.c) read an
 * SVG back with: a minimal XML well-formedness check, the data-* axis
 * mappings, a polyline's points, a <line>'s coordinates, and a substring
 * count.  Pure functions of a NUL-terminated document; nothing allocated.
 * Header-only (each test is one .c): include after test.h.
 */
#ifndef TG_TEST_SVGCHECK_H
#define TG_TEST_SVGCHECK_H

#include "report/svg.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Not every test file uses every helper. */
#define SVGCHECK_FN static __attribute__((unused))

/* Checks: tags nest and close, attribute values are quoted, text and values
 * hold no raw '<' and only the five named or numeric entities.  Returns 0 or
 * the byte offset (+1) of the first problem (strlen + 1: a tag left open). */
SVGCHECK_FN size_t xml_check(const char *doc)
{
    const char *stack[64];
    size_t depth = 0, namelen[64];
    const char *p = doc;
    while (*p) {
        if (*p == '&') {
            static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
            int ok = 0;
            for (size_t i = 0; i < 5; i++)
                if (!strncmp(p, ents[i], strlen(ents[i])))
                    ok = 1;
            if (!ok)
                return (size_t)(p - doc) + 1;
            p++;
            continue;
        }
        if (*p != '<') {
            if (*p == '>')
                return (size_t)(p - doc) + 1;
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t nl = 0;
        while (isalnum((unsigned char)name[nl]) || name[nl] == '-' || name[nl] == ':')
            nl++;
        if (nl == 0)
            return (size_t)(p - doc) + 1;
        const char *q = name + nl;
        /* attributes: name="value" */
        for (;;) {
            while (*q == ' ' || *q == '\n')
                q++;
            if (*q == '>' || (*q == '/' && q[1] == '>'))
                break;
            if (closing)
                return (size_t)(q - doc) + 1;
            while (isalnum((unsigned char)*q) || *q == '-' || *q == ':')
                q++;
            if (q[0] != '=' || q[1] != '"')
                return (size_t)(q - doc) + 1;
            q += 2;
            while (*q && *q != '"') {
                if (*q == '<')
                    return (size_t)(q - doc) + 1;
                q++;
            }
            if (!*q)
                return (size_t)(q - doc) + 1;
            q++;
        }
        int selfclose = *q == '/';
        if (closing) {
            if (depth == 0 || namelen[depth - 1] != nl || strncmp(stack[depth - 1], name, nl))
                return (size_t)(p - doc) + 1;
            depth--;
        } else if (!selfclose) {
            if (depth == 64)
                return (size_t)(p - doc) + 1;
            stack[depth] = name;
            namelen[depth++] = nl;
        }
        p = q + (selfclose ? 2 : 1);
    }
    return depth == 0 ? 0 : strlen(doc) + 1;
}

/* The scale from the first data-<key>-scale/-domain/-range of svg (key "x",
 * "y" or "y2").  Returns 0, or -1 when one of the three is missing. */
SVGCHECK_FN int read_scale(const char *svg, const char *key, struct tg_scale *sc)
{
    char k[32];
    snprintf(k, sizeof k, "data-%s-scale=\"", key);
    const char *p = strstr(svg, k);
    if (!p)
        return -1;
    sc->log = !strncmp(p + strlen(k), "log", 3);
    snprintf(k, sizeof k, "data-%s-domain=\"", key);
    if (!(p = strstr(svg, k)) || sscanf(p + strlen(k), "%lf %lf", &sc->d0, &sc->d1) != 2)
        return -1;
    snprintf(k, sizeof k, "data-%s-range=\"", key);
    if (!(p = strstr(svg, k)) || sscanf(p + strlen(k), "%lf %lf", &sc->p0, &sc->p1) != 2)
        return -1;
    return 0;
}

/* The points (at most max) of the first polyline whose class is cls, into
 * xs/ys.  Returns how many; 0 when there is no such polyline. */
SVGCHECK_FN size_t read_polyline(const char *svg, const char *cls, double *xs, double *ys,
                                 size_t max)
{
    char want[64];
    snprintf(want, sizeof want, "class=\"%s\"", cls);
    for (const char *p = strstr(svg, "<polyline points=\""); p;
         p = strstr(p + 1, "<polyline points=\"")) {
        const char *end = strchr(p, '>');
        const char *c = strstr(p, want);
        if (!c || c > end)
            continue;
        p += strlen("<polyline points=\"");
        size_t n = 0;
        int used;
        while (n < max && sscanf(p, "%lf,%lf%n", &xs[n], &ys[n], &used) == 2) {
            n++;
            p += used;
            while (*p == ' ')
                p++;
        }
        return n;
    }
    return 0;
}

/* The coordinates of the first <line> whose class is cls.  Returns 0 or -1. */
SVGCHECK_FN int read_line(const char *svg, const char *cls, double *x1, double *y1, double *x2,
                          double *y2)
{
    char want[64];
    snprintf(want, sizeof want, "class=\"%s\"", cls);
    for (const char *p = strstr(svg, "<line "); p; p = strstr(p + 1, "<line ")) {
        const char *end = strchr(p, '>'), *c = strstr(p, want);
        if (c && c < end)
            return sscanf(p, "<line x1=\"%lf\" y1=\"%lf\" x2=\"%lf\" y2=\"%lf\"", x1, y1, x2, y2) ==
                           4
                       ? 0
                       : -1;
    }
    return -1;
}

/* How often needle stands in hay (overlapping ones counted). */
SVGCHECK_FN size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

#endif
