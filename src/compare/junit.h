/*
 * junit.h - the SLA gate of a comparison as a JUnit XML test result, for CI
 * systems that render test reports (GitLab `artifacts:reports:junit`,
 * GitHub test-report actions, Jenkins).
 *
 * One <testsuite name="tailgate"> with four test cases (and one per --slo), each failing for
 * exactly one of the gate's conditions, so a result has a <failure> iff the
 * gate failed (`tailgate compare` exit 1):
 *   sla_p95            After P95 <= limit (and, with strict, a PASS verdict
 *                      rather than INCONCLUSIVE); the failure message carries
 *                      the numbers
 *   outputs_equal      every After output equal to the reference
 *                      (<skipped> under --ignore-outputs)
 *   workload_identical same payload SHA-256, input count and concurrency
 *   no_failed_inputs   no After input failed
 *   slo TEXT           one per --slo ("slo ttft:p95<=250ms"), decided like
 *                      sla_p95 on that SLO's After samples (no samples: a
 *                      failure)
 * <properties> hold the limit, verdict and Before/After P50/P95/P99 (ms);
 * with --slo also "slos" (the texts, space-separated) and Before/After
 * goodput (inputs/s).
 * Text is XML-escaped; bytes that are not valid UTF-8 or not allowed in XML
 * 1.0 are written as '?'.
 *
 * Pure apart from the output; thread-safe.
 */
#ifndef TG_COMPARE_JUNIT_H
#define TG_COMPARE_JUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "compare/compare.h"

/* Writes the document to f.  strict: the gate also needs a PASS verdict
 * (`compare --strict`).  Returns 0 or TG_EIO. */
int tg_junit_write(FILE *f, const struct tg_comparison *c, bool strict);

/* Writes the document to path atomically (a temp file in the same
 * directory, fsync, rename).  Returns 0 or -errno / TG_EIO with
 * "path: reason" in err. */
int tg_junit_write_file(const char *path, const struct tg_comparison *c, bool strict, char *err,
                        size_t errlen);

/* Writes s XML-escaped; attr: for an attribute value (line breaks and tabs
 * as character references so they survive attribute normalisation). */
void tg_junit_escape(FILE *f, const char *s, bool attr);

/* The number of <failure> elements tg_junit_write() emits for c. */
int tg_junit_failures(const struct tg_comparison *c, bool strict);

#endif
