/*
 * internal.h - helpers shared by the files of src/http; not part of the
 * module's contract.
 */
#ifndef TG_HTTP_INTERNAL_H
#define TG_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* 1 for the RFC 9110 tchar bytes, 0 otherwise. */
extern const unsigned char tg_http_tchar[256];

/* True when the n bytes at p (a valid token) equal the lower-case string
 * lower of length ln, ASCII case-insensitively. */
bool tg_http_name_eq(const char *p, size_t n, const char *lower, size_t ln);

/* Like tg_http_parse_server_timing, but only fills a metric that is still
 * negative (absent), so several Server-Timing headers merge, first wins. */
void tg_http_server_timing_merge(const char *v, size_t n, double *queue_ms, double *compute_ms);

#endif
