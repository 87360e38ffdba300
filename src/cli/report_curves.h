/*
 * report_curves.h - the capacity and sweep curves of `tailgate report`:
 * capacity.json (tailgate.capacity/1) and sweep.json (tailgate.sweep/1) read
 * leniently into report/curve.h charts with a heading and a one-line caption
 * ("Meets the SLA (latency:p95<=800ms) up to 14.2 inputs/s.").
 *
 * Lenient: a missing or non-numeric member is a missing value (that series
 * skips the point); points without a finite load >= 0 are dropped; the
 * schema may be absent when the members say which file it is (max_rate:
 * capacity; mode: sweep).  A file that cannot be used is never fatal: it
 * adds a one-line note instead.  Strings live in the report's pool.
 * Not thread-safe.
 */
#ifndef TG_CLI_REPORT_CURVES_H
#define TG_CLI_REPORT_CURVES_H

#include "cli/report_pages.h"
#include "report/html.h"

#include <stdbool.h>
#include <stddef.h>

#define TG_RCURVES_MAX 8

struct tg_rcurves {
    struct tg_report_curve v[TG_RCURVES_MAX];
    struct tg_curve_point *pts[TG_RCURVES_MAX];   /* owned: v[i].curve.points */
    char *seen[4 * TG_RCURVES_MAX];               /* real paths already read (owned) */
    size_t n, nseen;
};

/* Reads the capacity or sweep file at path into the next curve (a path read
 * before is skipped).  Returns true when a curve was added; false with
 * *note set (NULL when the path was a duplicate). */
bool tg_rcurves_load(struct tg_rcurves *c, struct tg_rpool *p, const char *path, const char **note);

/* Adds dir/capacity.json and dir/sweep.json when they exist; with subdirs,
 * also those of dir's immediate subdirectories whose names start with
 * "capacity" or "sweep" (a results directory of ./run_tests).  Notes go to
 * notes[*notes_n..notes_max). */
void tg_rcurves_find(struct tg_rcurves *c, struct tg_rpool *p, const char *dir, bool subdirs,
                     const char **notes, size_t *notes_n, size_t notes_max);

void tg_rcurves_free(struct tg_rcurves *c);

#endif
