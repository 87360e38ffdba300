/*
 * rows.h - a strict reader for per-input latency CSVs: tailgate's
 * requests.csv and input.py's latency CSV (its four columns are the first
 * four of requests.csv).
 *
 * Columns are found by header NAME, in any order; unknown columns are
 * ignored.  Required: request_id, latency_ms, and status_code or ok.
 * Used when present: timestamp_ms, ok, http_request_id, output_hash, error,
 * and the streaming columns ttft_ms, tpot_ms, itl_max_ms (non-negative ms)
 * and output_tokens (a non-negative integer); an empty field is "no value".
 * RFC 4180 quoting, LF or CRLF line ends, an optional UTF-8 BOM.  Anything
 * else malformed (wrong field count, a bad number, a duplicate request_id, a
 * stray quote, NUL bytes) is an error whose message is one line
 * "NAME:LINE: reason".
 *
 * A row is ok when its ok column says 1, or, without that column, when its
 * status is 2xx.  A failed row's class is its error column, else
 * "no_response" (status 0) or "status_NNN".
 *
 * Ownership: tg_rows_parse()/tg_rows_load() fill a caller-owned struct
 * tg_rows that owns its arrays; release it with tg_rows_free() (safe on a
 * zeroed or already freed struct).  Not thread-safe per struct; no globals.
 */
#ifndef TG_COMPARE_ROWS_H
#define TG_COMPARE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_ROWS_MAX_CLASSES 32   /* distinct error classes kept; more fold into "other" */
#define TG_ROWS_MAX_FILE ((size_t)1 << 31)

/* Known columns, as bits of tg_rows.columns. */
enum {
    TG_COL_REQUEST_ID = 1 << 0,
    TG_COL_TIMESTAMP_MS = 1 << 1,
    TG_COL_LATENCY_MS = 1 << 2,
    TG_COL_STATUS_CODE = 1 << 3,
    TG_COL_OK = 1 << 4,
    TG_COL_HTTP_REQUEST_ID = 1 << 5,
    TG_COL_OUTPUT_HASH = 1 << 6,
    TG_COL_ERROR = 1 << 7,
    TG_COL_TTFT_MS = 1 << 8,
    TG_COL_TPOT_MS = 1 << 9,
    TG_COL_ITL_MAX_MS = 1 << 10,
    TG_COL_OUTPUT_TOKENS = 1 << 11,
};

struct tg_row {
    uint64_t request_id;
    uint64_t http_request_id;  /* valid when has_http_id */
    double timestamp_ms;       /* as written (input.py: Unix ms); NAN when absent */
    double latency_ms;         /* NAN when absent (allowed for failed rows only) */
    double ttft_ms, tpot_ms;   /* NAN when absent or empty */
    double itl_max_ms;         /* NAN when absent or empty */
    int64_t output_tokens;     /* -1 when absent or empty */
    uint32_t hash_off;         /* into tg_rows.strings; hash_len 0: no output hash */
    uint16_t hash_len;
    int16_t status_code;       /* 0 when absent */
    uint8_t ok;                /* 1 ok, 0 failed */
    uint8_t has_http_id;
    uint8_t error_class;       /* index into classes[] (failed rows only) */
    uint32_t line;             /* 1-based line of the row in the file */
};

struct tg_rows {
    struct tg_row *rows;       /* sorted by request_id after parse */
    size_t n, cap;
    char *strings;             /* output hashes, not NUL-terminated */
    size_t strings_len, strings_cap;
    unsigned columns;          /* TG_COL_* bits present in the header */
    char classes[TG_ROWS_MAX_CLASSES][64];
    unsigned nclasses;
};

/* Parses data[0..len) (the whole file) into out, which must be zeroed.
 * `name` is used in error messages.  On error returns TG_EPARSE (or
 * TG_ENOMEM) and writes "name:line: reason" into err[0..errlen).  Rows are
 * sorted by request_id; a duplicate request_id is an error. */
int tg_rows_parse(const char *data, size_t len, const char *name, struct tg_rows *out,
                  char *err, size_t errlen);

/* Reads a file and parses it (file errors: "path: strerror"). */
int tg_rows_load(const char *path, struct tg_rows *out, char *err, size_t errlen);

void tg_rows_free(struct tg_rows *r);

/* The row with this request_id, or NULL (binary search). */
const struct tg_row *tg_rows_find(const struct tg_rows *r, uint64_t request_id);

/* The output hash of a row as a pointer and length (len 0: none). */
static inline const char *tg_row_hash(const struct tg_rows *r, const struct tg_row *row)
{
    return r->strings + row->hash_off;
}

/* Number of rows with a non-empty output hash. */
size_t tg_rows_count_hashes(const struct tg_rows *r);

/* Reads a whole file into a malloc'd NUL-terminated buffer (at most max
 * bytes).  Returns 0, -errno or TG_ETOOBIG. */
int tg_read_file(const char *path, size_t max, char **data, size_t *len);

#endif
