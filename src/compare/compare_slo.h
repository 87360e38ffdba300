/*
 * compare_slo.h - the --slo part of a comparison (internal to src/compare):
 * both sides judged with tg_slo_eval, After gated like the SLA, goodput, and
 * their JSON, table and verdict-line renderings.  See compare.h for the
 * rules.  Not thread-safe per struct.
 */
#ifndef TG_COMPARE_COMPARE_SLO_H
#define TG_COMPARE_COMPARE_SLO_H

#include <jansson.h>
#include <stddef.h>

#include "compare/compare.h"

/* Fills c->slo_before/slo_after/slo_met/slo_verdict and appends a reason to
 * c->reasons for each After SLO not met.  Returns 0, or a negative code with
 * a one-line reason in err (a malformed stream file, out of memory). */
int tg_compare_slos_build(const struct tg_side *before, const struct tg_side *after,
                          struct tg_comparison *c, char *err, size_t errlen);

/* {"before": [...], "after": [...]} (tg_slo_eval_json; After entries also
 * carry "met" and "gate") and {"before_rps", "after_rps", ...}.  New
 * references, NULL on allocation failure. */
json_t *tg_compare_slos_json(const struct tg_comparison *c);
json_t *tg_compare_goodput_json(const struct tg_comparison *c);

/* Appends "; SLOs: ttft:p95<=250ms PASS, …" to buf (nothing without --slo). */
void tg_compare_slos_line(const struct tg_comparison *c, char *buf, size_t len);

/* The overall verdict of the --slo gate on After: FAIL if any, else
 * INCONCLUSIVE if any, else PASS (PASS without --slo). */
enum tg_verdict tg_compare_slos_verdict(const struct tg_comparison *c);

#endif
