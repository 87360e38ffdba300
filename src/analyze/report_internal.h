/*
 * report_internal.h - the number formatting report.c, report_md.c and
 * report_tune.c share.  Internal to src/analyze/.
 */
#ifndef TG_ANALYZE_REPORT_INTERNAL_H
#define TG_ANALYZE_REPORT_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "analyze/model.h"

/* v as a JSON real, null when not finite (not measured). */
json_t *tg_rep_num(double v);
/* The same rounded to 0.001 (µs of ms): stable, readable files. */
json_t *tg_rep_r3(double v);
/* A client configuration as {"connections","keepalive","batch","batch_wait_ms"}. */
json_t *tg_rep_cfg_json(const struct tg_client_cfg *c);
/* "12.3" (one decimal) or "n/a" into b[0..n); returns b (report_md.c). */
const char *tg_rep_fmt_ms(char *b, size_t n, double v);

#endif
