/*
 * csv.c - requests.csv rows.
 */
#include "output/csv.h"

#include <math.h>
#include <string.h>

const char tg_csv_header[] =
    "request_id,timestamp_ms,latency_ms,status_code,ok,http_request_id,batch_size,"
    "client_queue_ms,connect_ms,ttfb_ms,service_ms,server_queue_ms,server_compute_ms,"
    "bytes_out,bytes_in,output_hash,error,latency_uncorrected_ms,worker,error_detail,tls_ms,"
    "x_request_id,ttft_ms,tpot_ms,itl_max_ms,output_tokens,tokens_source,content_events\n";

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

/* ns as milliseconds with 3 decimals (rounded to the µs). */
static char *put_ms3_ns(char *p, uint64_t ns)
{
    uint64_t us = (ns + 500) / 1000;
    p = put_u64(p, us / 1000);
    unsigned f = (unsigned)(us % 1000);
    *p++ = '.';
    *p++ = (char)('0' + f / 100);
    *p++ = (char)('0' + f / 10 % 10);
    *p++ = (char)('0' + f % 10);
    return p;
}

static char *put_opt_ns(char *p, int64_t ns)
{
    if (ns >= 0)
        p = put_ms3_ns(p, (uint64_t)ns);
    *p++ = ',';
    return p;
}

static char *put_opt_ms(char *p, double ms)
{
    if (ms >= 0 && isfinite(ms) && ms < 1e12)
        p = put_ms3_ns(p, (uint64_t)llround(ms * 1e6));
    *p++ = ',';
    return p;
}

static char *put_str(char *p, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;
    if (n)
        memcpy(p, s, n);
    return p + n;
}

/* RFC 4180: quote when needed, double the quotes; newlines become spaces. */
static char *put_field(char *p, const char *s, size_t max)
{
    if (!s || !*s)
        return p;
    size_t n = strnlen(s, max);
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"')
            *p++ = '"';
        *p++ = (c == '\n' || c == '\r') ? ' ' : c;
    }
    if (quote)
        *p++ = '"';
    return p;
}

size_t tg_csv_format_row(char *out, const struct tg_csv_row *r)
{
    char *p = out;
    p = put_u64(p, r->request_id);
    *p++ = ',';
    p = put_i64(p, r->timestamp_ms);
    *p++ = ',';
    p = put_ms3_ns(p, r->latency_ns);
    *p++ = ',';
    p = put_i64(p, r->status);
    *p++ = ',';
    *p++ = r->ok ? '1' : '0';
    *p++ = ',';
    if (r->sent) {
        p = put_u64(p, r->http_request_id);
        *p++ = ',';
        p = put_u64(p, r->batch_size);
    } else {
        *p++ = ',';
    }
    *p++ = ',';
    p = put_opt_ns(p, r->client_queue_ns);
    p = put_opt_ns(p, r->connect_ns);
    p = put_opt_ns(p, r->ttfb_ns);
    p = put_opt_ns(p, r->service_ns);
    p = put_opt_ms(p, r->server_queue_ms);
    p = put_opt_ms(p, r->server_compute_ms);
    p = put_u64(p, r->bytes_out);
    *p++ = ',';
    p = put_u64(p, r->bytes_in);
    *p++ = ',';
    p = put_str(p, r->output_hash, 64);
    *p++ = ',';
    p = put_str(p, r->error, 32);
    *p++ = ',';
    p = put_ms3_ns(p, r->latency_uncorrected_ns);
    *p++ = ',';
    p = put_u64(p, r->worker);
    *p++ = ',';
    p = put_field(p, r->error_detail, 256);
    *p++ = ',';
    if (r->tls_ns >= 0)
        p = put_ms3_ns(p, (uint64_t)r->tls_ns);
    *p++ = ',';
    p = put_str(p, r->x_request_id, 64);   /* the engine's own "<hex>-<hex>": never needs quoting */
    *p++ = ',';
    if (r->streamed) {
        p = put_opt_ns(p, r->ttft_ns);
        p = put_opt_ms(p, r->tpot_ms);
        p = put_opt_ns(p, r->itl_max_ns);
        p = put_u64(p, r->output_tokens);
        *p++ = ',';
        p = put_str(p, r->tokens_from_usage ? "usage" : "events", 8);
        *p++ = ',';
        p = put_u64(p, r->content_events);
    } else {
        memcpy(p, ",,,,,", 5);
        p += 5;
    }
    *p++ = '\n';
    return (size_t)(p - out);
}
