/*
 * svg.c - the SVG writer.  Errors are sticky so that chart code stays a flat
 * list of drawing calls; callers check tg_svg_error() once.
 */
#include "report/svg.h"

#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void tg_svg_init(struct tg_svg *s, FILE *f, struct tg_buf *b)
{
    s->f = f;
    s->b = f ? NULL : b;
    s->err = (f || b) ? 0 : TG_EINVAL;
}

int tg_svg_error(const struct tg_svg *s) { return s->err; }

static void put(struct tg_svg *s, const char *p, size_t n)
{
    if (s->err || n == 0)
        return;
    if (s->f) {
        if (fwrite(p, 1, n, s->f) != n)
            s->err = errno ? -errno : TG_EIO;
    } else {
        int rc = tg_buf_append(s->b, p, n);
        if (rc)
            s->err = rc;
    }
}

void tg_svg_raw(struct tg_svg *s, const char *text) { put(s, text, strlen(text)); }

void tg_svg_printf(struct tg_svg *s, const char *fmt, ...)
{
    if (s->err)
        return;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->err = TG_EINVAL;
        return;
    }
    if ((size_t)n < sizeof small) {
        put(s, small, (size_t)n);
        return;
    }
    struct tg_buf tmp = TG_BUF_INIT(0);
    va_start(ap, fmt);
    int rc = tg_buf_vprintf(&tmp, fmt, ap);
    va_end(ap);
    if (rc)
        s->err = rc;
    else
        put(s, tmp.data, tmp.len);
    tg_buf_free(&tmp);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is invalid. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    /* Overlong forms, surrogates, beyond U+10FFFF, and U+FFFE/FFFF (not XML). */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

int tg_xml_escape(struct tg_buf *b, const char *text)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (*p) {
        const char *rep = NULL;
        size_t n = 1;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\t': case '\n': case '\r': break;
        default:
            if (*p < 0x20 || *p == 0x7F) {
                rep = replacement;
            } else {
                n = utf8_len(p);
                if (n == 0) {
                    rep = replacement;
                    n = 1;
                }
            }
        }
        int rc = rep ? tg_buf_puts(b, rep) : tg_buf_append(b, p, n);
        if (rc)
            return rc;
        p += n;
    }
    /* An empty string still leaves b non-NULL and NUL-terminated
     * (tg_buf_reserve() alone allocates without writing the NUL). */
    int rc = tg_buf_reserve(b, 0);
    if (rc)
        return rc;
    b->data[b->len] = '\0';
    return 0;
}

void tg_svg_escaped(struct tg_svg *s, const char *text)
{
    if (s->err)
        return;
    struct tg_buf tmp = TG_BUF_INIT(0);
    int rc = tg_xml_escape(&tmp, text);
    if (rc)
        s->err = rc;
    else
        put(s, tmp.data, tmp.len);
    tg_buf_free(&tmp);
}

/* ---- scales --------------------------------------------------------------- */

static double fwd(const struct tg_scale *sc, double v)
{
    if (!sc->log)
        return v;
    if (!(v > sc->d0))
        v = sc->d0;
    return log10(v);
}

double tg_scale_map(const struct tg_scale *sc, double v)
{
    double a = fwd(sc, sc->d0), b = fwd(sc, sc->d1), x = fwd(sc, v);
    if (!(b != a))
        return (sc->p0 + sc->p1) / 2;
    return sc->p0 + (x - a) / (b - a) * (sc->p1 - sc->p0);
}

double tg_scale_invert(const struct tg_scale *sc, double px)
{
    double a = fwd(sc, sc->d0), b = fwd(sc, sc->d1);
    if (!(sc->p1 != sc->p0))
        return sc->d0;
    double x = a + (px - sc->p0) / (sc->p1 - sc->p0) * (b - a);
    return sc->log ? pow(10, x) : x;
}

static double nice_step(double span, size_t target)
{
    double raw = span / (double)(target ? target : 1);
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double step = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return step * mag;
}

/* The largest 1/2/5 x 10^k <= v (down) or the smallest >= v (up). */
static double nice125(double v, int up)
{
    static const double m[] = { 1, 2, 5, 10 };
    double e = pow(10, floor(log10(v)));
    if (up) {
        for (int i = 0; i < 4; i++)
            if (m[i] * e >= v * (1 - 1e-9))
                return m[i] * e;
        return 10 * e;
    }
    for (int i = 3; i >= 0; i--)
        if (m[i] * e <= v * (1 + 1e-9))
            return m[i] * e;
    return e;
}

void tg_scale_nice(int log, double *lo, double *hi)
{
    if (log) {
        if (!(*lo > 0))
            *lo = 1;
        if (!(*hi > *lo))
            *hi = *lo * 10;
        *lo = nice125(*lo, 0);
        *hi = nice125(*hi, 1);
        if (!(*hi > *lo))
            *hi = *lo * 10;
        return;
    }
    if (!(*hi > *lo))
        *hi = *lo + 1;
    double step = nice_step(*hi - *lo, 6);
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
}

size_t tg_scale_ticks(const struct tg_scale *sc, double *out, size_t max)
{
    size_t n = 0;
    double lo = fmin(sc->d0, sc->d1), hi = fmax(sc->d0, sc->d1);
    if (!(hi > lo) || max == 0)
        return 0;
    if (sc->log) {
        if (!(lo > 0))
            return 0;
        int e0 = (int)floor(log10(lo)), e1 = (int)ceil(log10(hi));
        /* 1..9 per decade on a short domain, 1-2-5 when it fits, otherwise
         * powers of ten only. */
        static const double mult9[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
        static const double mult125[] = { 1, 2, 5 };
        const double *mult = mult125;
        int per = (e1 - e0) * 3 <= (int)max ? 3 : 1;
        if (log10(hi / lo) < 0.9 && (e1 - e0) * 9 <= (int)max) {
            mult = mult9;
            per = 9;
        }
        for (int e = e0; e <= e1; e++)
            for (int m = 0; m < per; m++) {
                double v = mult[m] * pow(10, e);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) && n < max)
                    out[n++] = v;
            }
        return n;
    }
    double step = nice_step(hi - lo, max > 8 ? 8 : max);
    for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9 && n < max; v += step)
        out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* ---- shapes ---------------------------------------------------------------- */

static void style_attrs(struct tg_svg *s, const struct tg_style *st, int default_fill_none)
{
    if (!st) {
        if (default_fill_none)
            tg_svg_raw(s, " fill=\"none\"");
        return;
    }
    if (st->stroke) {
        tg_svg_raw(s, " stroke=\"");
        tg_svg_escaped(s, st->stroke);
        tg_svg_raw(s, "\"");
    }
    if (st->fill) {
        tg_svg_raw(s, " fill=\"");
        tg_svg_escaped(s, st->fill);
        tg_svg_raw(s, "\"");
    } else if (default_fill_none) {
        tg_svg_raw(s, " fill=\"none\"");
    }
    if (st->width > 0)
        tg_svg_printf(s, " stroke-width=\"%.2f\"", st->width);
    if (st->dash) {
        tg_svg_raw(s, " stroke-dasharray=\"");
        tg_svg_escaped(s, st->dash);
        tg_svg_raw(s, "\"");
    }
    if (st->opacity > 0)
        tg_svg_printf(s, " fill-opacity=\"%.2f\"", st->opacity);
    if (st->cls) {
        tg_svg_raw(s, " class=\"");
        tg_svg_escaped(s, st->cls);
        tg_svg_raw(s, "\"");
    }
}

void tg_svg_begin(struct tg_svg *s, double width, double height, const char *title)
{
    tg_svg_printf(s,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                  "viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-family=\"Helvetica, Arial, "
                  "sans-serif\" font-size=\"13\">\n<title>",
                  width, height, width, height);
    tg_svg_escaped(s, title);
    tg_svg_printf(s, "</title>\n<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
                     "fill=\"#ffffff\"/>\n", width, height);
}

void tg_svg_end(struct tg_svg *s) { tg_svg_raw(s, "</svg>\n"); }

void tg_svg_line(struct tg_svg *s, double x1, double y1, double x2, double y2,
                 const struct tg_style *st)
{
    tg_svg_printf(s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", x1, y1, x2, y2);
    style_attrs(s, st, 0);
    tg_svg_raw(s, "/>\n");
}

void tg_svg_rect(struct tg_svg *s, double x, double y, double w, double h,
                 const struct tg_style *st)
{
    tg_svg_printf(s, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"", x, y,
                  w < 0 ? 0 : w, h < 0 ? 0 : h);
    style_attrs(s, st, 0);
    tg_svg_raw(s, "/>\n");
}

void tg_svg_circle(struct tg_svg *s, double cx, double cy, double r, const struct tg_style *st)
{
    tg_svg_printf(s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", cx, cy, r);
    style_attrs(s, st, 0);
    tg_svg_raw(s, "/>\n");
}

void tg_svg_polyline(struct tg_svg *s, const double *xs, const double *ys, size_t n,
                     const struct tg_style *st)
{
    if (n < 2)
        return;
    tg_svg_raw(s, "<polyline points=\"");
    for (size_t i = 0; i < n; i++)
        tg_svg_printf(s, i ? " %.2f,%.2f" : "%.2f,%.2f", xs[i], ys[i]);
    tg_svg_raw(s, "\"");
    style_attrs(s, st, 1);
    tg_svg_raw(s, " stroke-linejoin=\"round\"/>\n");
}

void tg_svg_text(struct tg_svg *s, double x, double y, double size, enum tg_svg_anchor anchor,
                 double rotate, int bold, const char *fill, const char *text)
{
    static const char *const anchors[] = { "start", "middle", "end" };
    tg_svg_printf(s, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"%s\"", x, y,
                  size, anchors[anchor]);
    if (rotate != 0)
        tg_svg_printf(s, " transform=\"rotate(%.1f %.2f %.2f)\"", rotate, x, y);
    if (bold)
        tg_svg_raw(s, " font-weight=\"bold\"");
    tg_svg_raw(s, " fill=\"");
    tg_svg_escaped(s, fill ? fill : "#222222");
    tg_svg_raw(s, "\">");
    tg_svg_escaped(s, text);
    tg_svg_raw(s, "</text>\n");
}

/* ---- axes ------------------------------------------------------------------- */

static void tick_label(char *out, size_t n, const struct tg_axis *ax, double v)
{
    double k = ax->label_scale != 0 ? ax->label_scale : 1;
    snprintf(out, n, ax->tick_fmt ? ax->tick_fmt : "%g", v * k);
}

static const struct tg_style grid_style = { "#d8d8d8", NULL, 1, NULL, 0, "grid" };
static const struct tg_style frame_style = { "#444444", "none", 1, NULL, 0, NULL };

void tg_svg_plot_begin(struct tg_svg *s, const char *id, const struct tg_axis *x,
                       const struct tg_axis *y)
{
    double left = fmin(x->sc.p0, x->sc.p1), right = fmax(x->sc.p0, x->sc.p1);
    double top = fmin(y->sc.p0, y->sc.p1), bottom = fmax(y->sc.p0, y->sc.p1);
    double ticks[40];
    char label[64];

    /* Grid and tick labels first, so that data is drawn over them. */
    size_t n = tg_scale_ticks(&x->sc, ticks, 16);
    for (size_t i = 0; i < n; i++) {
        double px = tg_scale_map(&x->sc, ticks[i]);
        tg_svg_line(s, px, top, px, bottom, &grid_style);
        tg_svg_line(s, px, bottom, px, bottom + 5, &frame_style);
        tick_label(label, sizeof label, x, ticks[i]);
        tg_svg_text(s, px, bottom + 19, 12, TG_SVG_MIDDLE, 0, 0, NULL, label);
    }
    n = tg_scale_ticks(&y->sc, ticks, 12);
    for (size_t i = 0; i < n; i++) {
        double py = tg_scale_map(&y->sc, ticks[i]);
        tg_svg_line(s, left, py, right, py, &grid_style);
        tg_svg_line(s, left - 5, py, left, py, &frame_style);
        tick_label(label, sizeof label, y, ticks[i]);
        tg_svg_text(s, left - 8, py + 4, 12, TG_SVG_END, 0, 0, NULL, label);
    }
    tg_svg_rect(s, left, top, right - left, bottom - top, &frame_style);
    tg_svg_text(s, (left + right) / 2, bottom + 42, 14, TG_SVG_MIDDLE, 0, 0, NULL,
                x->title ? x->title : "");
    tg_svg_text(s, left - 52, (top + bottom) / 2, 14, TG_SVG_MIDDLE, -90, 0, NULL,
                y->title ? y->title : "");

    tg_svg_raw(s, "<g class=\"plot\" id=\"");
    tg_svg_escaped(s, id ? id : "plot");
    tg_svg_printf(s, "\" data-x-scale=\"%s\" data-x-domain=\"%.17g %.17g\" "
                     "data-x-range=\"%.17g %.17g\"",
                  x->sc.log ? "log" : "linear", x->sc.d0, x->sc.d1, x->sc.p0, x->sc.p1);
    tg_svg_printf(s, " data-y-scale=\"%s\" data-y-domain=\"%.17g %.17g\" "
                     "data-y-range=\"%.17g %.17g\">\n",
                  y->sc.log ? "log" : "linear", y->sc.d0, y->sc.d1, y->sc.p0, y->sc.p1);
}

void tg_svg_plot_end(struct tg_svg *s) { tg_svg_raw(s, "</g>\n"); }
