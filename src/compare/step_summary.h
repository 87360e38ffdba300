/*
 * step_summary.h - the comparison appended to a CI job summary: GitHub
 * Actions renders the Markdown file named by $GITHUB_STEP_SUMMARY on the
 * run's page.  What is appended is exactly comparison.md
 * (tg_compare_write_md), preceded by a blank line when the file already has
 * content; existing content is never rewritten.
 *
 * The document is rendered in memory first and appended with O_APPEND
 * writes, so a reader never sees a half table from a failed render.
 * Thread-safe (no globals).
 */
#ifndef TG_COMPARE_STEP_SUMMARY_H
#define TG_COMPARE_STEP_SUMMARY_H

#include <stddef.h>

#include "compare/compare.h"

/* The environment variable GitHub Actions sets. */
#define TG_STEP_SUMMARY_ENV "GITHUB_STEP_SUMMARY"

/* Appends the Markdown comparison to path (created 0644 when missing).
 * Returns 0, or -errno / TG_ENOMEM / TG_EIO with "path: reason" in err. */
int tg_step_summary_append(const char *path, const struct tg_comparison *c, char *err, size_t errlen);

#endif
