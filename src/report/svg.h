/*
 * svg.h - a tiny SVG writer: scales (linear, log10), axes with ticks and
 * grid lines, and the few shapes the report's charts need.
 *
 * Output goes to a FILE * or to a struct tg_buf (exactly one of them).  Every
 * write is checked: the first failure is kept in the writer (tg_svg_error())
 * and later calls become no-ops, so a chart is written with plain calls and
 * checked once at the end.  Every string placed in the document is escaped.
 * Coordinates are SVG user units (pixels at 100 % zoom), y grows downwards.
 *
 * Ownership: the writer borrows the FILE * or the buffer; it allocates
 * nothing.  Not thread-safe; one writer per document.
 */
#ifndef TG_REPORT_SVG_H
#define TG_REPORT_SVG_H

#include "core/buf.h"

#include <stddef.h>
#include <stdio.h>

struct tg_svg {
    FILE *f;            /* borrowed; used when non-NULL */
    struct tg_buf *b;   /* borrowed; used when f is NULL */
    int err;            /* first error (0, TG_ENOMEM, -errno); sticky */
};

/* Initialises a writer on exactly one sink (the other NULL). */
void tg_svg_init(struct tg_svg *s, FILE *f, struct tg_buf *b);
int tg_svg_error(const struct tg_svg *s);

/* Raw, unescaped text: only for markup built from constants and numbers. */
void tg_svg_raw(struct tg_svg *s, const char *text);
void tg_svg_printf(struct tg_svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for XML element content and attribute values (& < > " '). */
void tg_svg_escaped(struct tg_svg *s, const char *text);

/* Appends text to b escaped for XML/HTML (& < > " ').  Control characters other
 * than tab/newline become U+FFFD (they are not allowed in XML 1.0); invalid
 * UTF-8 bytes are replaced the same way.  Returns 0 or TG_ENOMEM. */
int tg_xml_escape(struct tg_buf *b, const char *text);

/* Scale: maps the data interval [d0, d1] onto the pixel interval [p0, p1]
 * (p1 < p0 is fine: y axes run upwards).  A log scale maps log10 of the value
 * and needs 0 < d0 < d1; values <= 0 are clamped to d0. */
struct tg_scale {
    int log;           /* 0 linear, 1 log10 */
    double d0, d1;     /* data domain */
    double p0, p1;     /* pixel range */
};

double tg_scale_map(const struct tg_scale *sc, double v);
double tg_scale_invert(const struct tg_scale *sc, double px);

/* Ticks of a scale's domain, at most max: linear "nice" steps (1, 2, 5 x 10^k)
 * or, on a log scale, 1/2/5 x 10^k (only powers of ten when the domain spans
 * many decades).  Writes up to max values to out, returns how many. */
size_t tg_scale_ticks(const struct tg_scale *sc, double *out, size_t max);

/* Extends [*lo, *hi] outwards to 1/2/5 x 10^k (log) or to nice steps (linear). */
void tg_scale_nice(int log, double *lo, double *hi);

/* Drawing style; NULL strings are left out. */
struct tg_style {
    const char *stroke;   /* colour, e.g. "#0072B2" */
    const char *fill;     /* colour or "none" */
    double width;         /* stroke width, px; 0 leaves it out */
    const char *dash;     /* stroke-dasharray, e.g. "6 3" */
    double opacity;       /* fill-opacity 0..1; 0 leaves it out */
    const char *cls;      /* class attribute, e.g. "series before" */
};

/* <svg> with its size, viewBox, an accessible <title> and the font; `title` is
 * escaped.  Closed by tg_svg_end(). */
void tg_svg_begin(struct tg_svg *s, double width, double height, const char *title);
void tg_svg_end(struct tg_svg *s);

void tg_svg_line(struct tg_svg *s, double x1, double y1, double x2, double y2,
                 const struct tg_style *st);
void tg_svg_rect(struct tg_svg *s, double x, double y, double w, double h,
                 const struct tg_style *st);
void tg_svg_circle(struct tg_svg *s, double cx, double cy, double r, const struct tg_style *st);
/* A polyline through n points (pixel coordinates); n < 2 writes nothing. */
void tg_svg_polyline(struct tg_svg *s, const double *xs, const double *ys, size_t n,
                     const struct tg_style *st);

enum tg_svg_anchor { TG_SVG_START, TG_SVG_MIDDLE, TG_SVG_END };
/* Text at (x, y) (baseline), font size px, anchor; rotate in degrees about
 * (x, y) (0 for none); weight_bold 0/1; fill NULL for the default colour. */
void tg_svg_text(struct tg_svg *s, double x, double y, double size, enum tg_svg_anchor anchor,
                 double rotate, int bold, const char *fill, const char *text);

/* One axis of a chart: its scale, its title (with unit) and how to format
 * tick labels. */
struct tg_axis {
    struct tg_scale sc;
    const char *title;     /* e.g. "latency (ms)"; escaped */
    const char *tick_fmt;  /* printf format for one double, e.g. "%g" */
    double label_scale;    /* tick label = value * label_scale (1 if 0) */
};

/* The plot area (pixels) and its two axes: draws the frame, grid lines at the
 * ticks, tick labels and axis titles, and opens a <g class="plot"> carrying
 * the axis mappings as data-* attributes (so tests and tools can invert pixel
 * coordinates).  Close it with tg_svg_plot_end(). */
void tg_svg_plot_begin(struct tg_svg *s, const char *id, const struct tg_axis *x,
                       const struct tg_axis *y);
void tg_svg_plot_end(struct tg_svg *s);

#endif
