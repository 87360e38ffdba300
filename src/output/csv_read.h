/*
 * csv_read.h - the one reader of requests.csv (output/csv.h writes it) and of
 * input.py's latency CSV, whose four columns request_id, timestamp_ms,
 * latency_ms, status_code are the first four of requests.csv.  compare
 * (compare/rows.h), analyze and tune (analyze/prows.h) and report
 * (cli/report_load.h) each keep the rows they need from the records this
 * reader hands them, so every tool accepts and rejects the same files.
 *
 * Format: the header line is parsed once and columns are found by NAME, in
 * any order; unknown columns are ignored.  RFC 4180 quoting (a quoted field
 * may hold commas, doubled quotes and line breaks), LF or CRLF line ends, an
 * optional UTF-8 BOM; blank lines are allowed at the very end only.
 *
 * Columns: request_id, latency_ms and status_code-or-ok are always required;
 * the caller may require more (tg_csv_read.required).  Every other known
 * column is optional: absent from the header or empty in a row, its value is
 * NAN (numbers), -1 (counts), 0 (status_code, batch_size) or "" (strings).
 * The streaming columns (ttft_ms, tpot_ms, itl_max_ms, output_tokens,
 * tokens_source, content_events) and x_request_id are optional like the rest.
 *
 * Values are strict: integers are decimal digits only; numbers are what
 * output/csv.c writes (digits, '.', sign, exponent; no spaces, "inf", "nan"
 * or hex); times are >= 0 (timestamp_ms may be negative); a field holds no
 * NUL byte and at most TG_CSV_FIELD_MAX bytes.  A malformed file is an error
 * whose message is one line "NAME:LINE: reason" (core/error.h tg_err_at).
 *
 * A row is ok when its ok column says 1 (or true), or, without that column,
 * when its status is 2xx; an ok row must have a latency.
 *
 * Pure (no I/O but tg_csv_load's read), no globals; thread-safe.
 */
#ifndef TG_OUTPUT_CSV_READ_H
#define TG_OUTPUT_CSV_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_CSV_FIELD_MAX 1024
#define TG_CSV_MAX_COLS 256
#define TG_CSV_MAX_FILE ((size_t)1 << 31)

/* The columns the reader knows; bit (1u << c) of a column mask. */
enum tg_csv_col {
    TG_CSV_REQUEST_ID,
    TG_CSV_TIMESTAMP_MS,
    TG_CSV_LATENCY_MS,
    TG_CSV_STATUS_CODE,
    TG_CSV_OK,
    TG_CSV_HTTP_REQUEST_ID,
    TG_CSV_BATCH_SIZE,
    TG_CSV_CLIENT_QUEUE_MS,
    TG_CSV_CONNECT_MS,
    TG_CSV_TTFB_MS,
    TG_CSV_SERVICE_MS,
    TG_CSV_SERVER_QUEUE_MS,
    TG_CSV_SERVER_COMPUTE_MS,
    TG_CSV_OUTPUT_HASH,
    TG_CSV_ERROR,
    TG_CSV_X_REQUEST_ID,
    TG_CSV_TTFT_MS,
    TG_CSV_TPOT_MS,
    TG_CSV_ITL_MAX_MS,
    TG_CSV_OUTPUT_TOKENS,
    TG_CSV_TOKENS_SOURCE,
    TG_CSV_CONTENT_EVENTS,
    TG_CSV_LATENCY_UNCORRECTED_MS,
    TG_CSV_TLS_MS,
    TG_CSV_COL_COUNT
};
#define TG_CSV_BIT(c) (1u << (c))

/* The header name of column c ("latency_ms"), or "?" */
const char *tg_csv_col_name(enum tg_csv_col c);

/* One data row.  Strings point into the reader's scratch and are valid only
 * during the callback. */
struct tg_csv_rec {
    unsigned line;              /* 1-based line where the row starts */
    unsigned filled;            /* bits of the columns with a non-empty field */
    uint64_t request_id;
    double timestamp_ms;        /* as written (input.py: Unix ms) */
    double latency_ms;          /* NAN allowed for failed rows only */
    int status_code;            /* 0..999 */
    bool ok;
    bool has_http_id;
    uint64_t http_request_id;   /* valid when has_http_id */
    uint32_t batch_size;
    double client_queue_ms, connect_ms, ttfb_ms, service_ms;
    double server_queue_ms, server_compute_ms;
    const char *output_hash;    /* a token: no space or control byte, <= 256 bytes */
    size_t output_hash_len;
    const char *error;          /* error class: printable (spaces allowed), < 48 bytes */
    const char *x_request_id;   /* a token, <= 64 bytes */
    double ttft_ms, tpot_ms, itl_max_ms;
    int64_t output_tokens;      /* -1 when empty */
    const char *tokens_source;  /* "", "usage" or "events" */
    int64_t content_events;     /* -1 when empty */
    double latency_uncorrected_ms; /* actual start -> output (open loop: latency_ms minus the send lag) */
    double tls_ms;              /* TLS handshake paid by its request (0 reused) */
};

/* Called once per data row in file order.  A nonzero return stops the read
 * and is returned by tg_csv_read (put the message in err, e.g. with
 * tg_err_at). */
typedef int (*tg_csv_row_fn)(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen);

struct tg_csv_read {
    const char *name;           /* in messages; NULL: "csv" */
    unsigned required;          /* more columns the header must have (TG_CSV_BIT()s) */
    tg_csv_row_fn row;
    void *ctx;
    unsigned columns;           /* out: the known columns of the header */
    size_t rows;                /* out: data rows read */
};

/* Reads data[0..len) (a whole file): the header, then every row through
 * rd->row.  Returns 0, TG_EPARSE with "name:line: reason" in err, or the
 * callback's nonzero return. */
int tg_csv_read(const char *data, size_t len, struct tg_csv_read *rd, char *err, size_t errlen);

/* Reads the file at path (at most TG_CSV_MAX_FILE bytes) and parses it with
 * rd->name = path.  A file error is "path: strerror" and its code. */
int tg_csv_load(const char *path, struct tg_csv_read *rd, char *err, size_t errlen);

#endif
