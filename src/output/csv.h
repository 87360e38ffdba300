/*
 * csv.h - requests.csv: one row per input, streamed as inputs complete.
 *
 * The first four columns are input.py's (request_id,timestamp_ms,latency_ms,
 * status_code) so every tool reads both files; the full column list is
 * tg_csv_header and docs/formats.md.  Numbers are formatted by hand (no
 * printf in the hot path); times in ms with 3 decimals.
 *
 * Pure formatting functions, thread-safe.
 */
#ifndef TG_OUTPUT_CSV_H
#define TG_OUTPUT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The header line, with its trailing newline. */
extern const char tg_csv_header[];

struct tg_csv_row {
    uint64_t request_id;
    int64_t timestamp_ms;        /* wall clock ms when the input became ready */
    uint64_t latency_ns;
    int status;                  /* 0: no response */
    bool ok;
    bool sent;                   /* false: http_request_id and batch_size are empty */
    uint64_t http_request_id;
    uint32_t batch_size;
    int64_t client_queue_ns;     /* < 0: empty */
    int64_t connect_ns;
    int64_t ttfb_ns;
    int64_t service_ns;
    double server_queue_ms;      /* < 0: empty (no Server-Timing) */
    double server_compute_ms;
    uint64_t bytes_out, bytes_in;
    const char *output_hash;     /* NULL or "": empty */
    const char *error;           /* error class, "" when ok */
    /* extras, after the required columns */
    uint64_t latency_uncorrected_ns;
    uint32_t worker;
    const char *error_detail;    /* free text; quoted as needed */
    int64_t tls_ns;              /* TLS handshake paid by this request (0: reused or http); < 0: empty */
    /* X-Request-Id and streaming (docs/formats.md, "Streaming") */
    const char *x_request_id;    /* NULL or "": empty; [0-9a-f-] only (written unquoted) */
    bool streamed;               /* false: the stream columns are empty */
    int64_t ttft_ns;             /* < 0: empty */
    double tpot_ms;              /* < 0: empty */
    int64_t itl_max_ns;          /* < 0: empty */
    uint64_t output_tokens;
    bool tokens_from_usage;      /* tokens_source "usage", else "events" */
    uint32_t content_events;
};

/* The longest row tg_csv_format_row can produce, error_detail included (it
 * is cut at 256 bytes, x_request_id at 64). */
#define TG_CSV_ROW_MAX 1280

/* Formats r (with its newline) into out[0..TG_CSV_ROW_MAX).  Returns its length. */
size_t tg_csv_format_row(char *out, const struct tg_csv_row *r);

#endif
