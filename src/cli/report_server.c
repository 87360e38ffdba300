/*
 * report_server.c - the scraped server series chart of `tailgate report`
 * (cli/report_server.h).
 */
#include "cli/report_server.h"

#include "analyze/scraped.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"
#include "report/server_plot.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int tg_report_server_chart(const struct tg_run_data *d, const char *outdir, const char *file, char *note,
                           size_t notelen)
{
    struct stat st;
    if (stat(d->source, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    char csv[4200], err[300];
    snprintf(csv, sizeof csv, "%s/server_metrics.csv", d->source);
    struct tg_scraped sc;
    int rc = tg_scraped_load(csv, INT64_MIN, INT64_MAX, &sc, err, sizeof err);
    if (rc == -ENOENT)
        return 0;
    if (rc) {
        snprintf(note, notelen, "%s; the server metrics chart is omitted", err);
        return rc;
    }
    if (!sc.npoints) {
        tg_scraped_free(&sc);
        return 0;
    }
    /* time from the run's first input (else the first scrape) */
    double t0 = INFINITY;
    for (size_t i = 0; i < d->n; i++)
        if (isfinite(d->timestamp_ms[i]))
            t0 = fmin(t0, d->timestamp_ms[i]);
    if (!isfinite(t0))
        t0 = sc.t_ms[0];
    double *t = malloc(sc.npoints * sizeof *t);
    struct tg_buf b = TG_BUF_INIT(0);
    rc = TG_ENOMEM;
    if (t) {
        for (size_t i = 0; i < sc.npoints; i++)
            t[i] = fmax(0, (sc.t_ms[i] - t0) / 1000.0);
        struct tg_server_series_plot p = {
            .t_s = t, .queue = sc.queue.found ? sc.queue_v : NULL, .running = sc.running.found ? sc.running_v : NULL,
            .n = sc.npoints, .queue_name = sc.queue.metric, .running_name = sc.running.metric, .limit = sc.limit,
        };
        struct tg_svg s;
        tg_svg_init(&s, NULL, &b);
        rc = tg_plot_server_series(&s, &p);
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", outdir, file);
    if (!rc)
        rc = tg_write_file_atomic(path, b.data, b.len);
    if (!rc)
        snprintf(note, notelen, "The server's own series scraped during the run (%s%s%s, from %s): chart %s.",
                 sc.queue.found ? sc.queue.metric : "", sc.queue.found && sc.running.found ? ", " : "",
                 sc.running.found ? sc.running.metric : "", csv, path);
    else
        snprintf(note, notelen, "server metrics chart %s not written: %s", path, tg_strerror(rc));
    free(t);
    tg_buf_free(&b);
    tg_scraped_free(&sc);
    return rc ? rc : 1;
}
