/*
 * rows.h - compare's view of a per-input latency CSV (tailgate's
 * requests.csv or input.py's latency CSV), read by the one requests.csv
 * reader (output/csv_read.h: the columns, the quoting, the strictness and
 * the "NAME:LINE: reason" messages are its) and kept compactly: sorted by
 * request_id (a duplicate request_id is an error here), output hashes in one
 * string arena, error classes interned.
 *
 * Kept per row: request_id, timestamp_ms, latency_ms, status_code, ok,
 * http_request_id, output_hash, the error class and the streaming columns
 * ttft_ms, tpot_ms, itl_max_ms and output_tokens; an empty field is "no
 * value".
 *
 * A failed row's class is its error column, else "no_response" (status 0)
 * or "status_NNN".
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

#include "core/fs.h"          /* tg_read_file, for the callers that used it from here */
#include "output/csv_read.h"

#define TG_ROWS_MAX_CLASSES 32   /* distinct error classes kept; more fold into "other" */
#define TG_ROWS_MAX_FILE TG_CSV_MAX_FILE

/* Columns present in the header, as bits of tg_rows.columns (the reader's). */
enum {
    TG_COL_REQUEST_ID = TG_CSV_BIT(TG_CSV_REQUEST_ID),
    TG_COL_TIMESTAMP_MS = TG_CSV_BIT(TG_CSV_TIMESTAMP_MS),
    TG_COL_LATENCY_MS = TG_CSV_BIT(TG_CSV_LATENCY_MS),
    TG_COL_STATUS_CODE = TG_CSV_BIT(TG_CSV_STATUS_CODE),
    TG_COL_OK = TG_CSV_BIT(TG_CSV_OK),
    TG_COL_HTTP_REQUEST_ID = TG_CSV_BIT(TG_CSV_HTTP_REQUEST_ID),
    TG_COL_OUTPUT_HASH = TG_CSV_BIT(TG_CSV_OUTPUT_HASH),
    TG_COL_ERROR = TG_CSV_BIT(TG_CSV_ERROR),
    TG_COL_TTFT_MS = TG_CSV_BIT(TG_CSV_TTFT_MS),
    TG_COL_TPOT_MS = TG_CSV_BIT(TG_CSV_TPOT_MS),
    TG_COL_ITL_MAX_MS = TG_CSV_BIT(TG_CSV_ITL_MAX_MS),
    TG_COL_OUTPUT_TOKENS = TG_CSV_BIT(TG_CSV_OUTPUT_TOKENS),
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
    unsigned columns;          /* TG_COL_* (TG_CSV_BIT) bits present in the header */
    char classes[TG_ROWS_MAX_CLASSES][64];
    unsigned nclasses;
};

/* Parses data[0..len) (the whole file) into out, which must be zeroed.
 * `name` is used in error messages.  On error returns TG_EPARSE (or
 * TG_ENOMEM) and writes "name:line: reason" into err[0..errlen).  Rows are
 * sorted by request_id; a duplicate request_id is an error. */
int tg_rows_parse(const char *data, size_t len, const char *name, struct tg_rows *out,
                  char *err, size_t errlen);

/* The same one record at a time, for a caller that reads the records itself
 * (tailgate merge: one pass over each shard for its checks and its rows):
 * tg_rows_add keeps rec (returns 0, or TG_ENOMEM with "name:line: out of
 * memory"); tg_rows_finish then sorts by request_id and refuses a duplicate
 * as tg_rows_parse does.  The caller sets out->columns (the reader's). */
int tg_rows_add(struct tg_rows *out, const struct tg_csv_rec *rec, const char *name, char *err, size_t errlen);
int tg_rows_finish(struct tg_rows *out, const char *name, char *err, size_t errlen);

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

#endif
