/*
 * run_rows.c - what every finished input leaves on disk, written by its
 * worker's own writers (on the worker thread): the requests.csv row, the
 * --save-outputs line and, for a streamed response, the stream file line.
 */
#include "cli/run.h"

#include "output/csv.h"
#include "output/progress.h"
#include "output/stream.h"

#include <stdio.h>
#include <string.h>

static void stream_line(struct run_wctx *c, const struct tg_input_result *r)
{
    struct tg_stream_line l = {
        .request_id = r->request_id, .x_request_id = r->x_request_id, .send_ns = r->send_ns,
        .event_ns = r->event_ns, .tokens = r->event_tokens, .n = r->event_ns ? r->content_events : 0,
        .ok = r->ok,
    };
    char *q = tg_writer_reserve(&c->stream, tg_stream_line_max(l.n));
    if (q)
        tg_writer_commit(&c->stream, tg_stream_line_format(q, &l));
}

void tg_run_on_result(void *ctx, const struct tg_input_result *r)
{
    struct run_wctx *c = ctx;
    struct tg_csv_row row = {
        .request_id = r->request_id,
        .timestamp_ms = r->timestamp_ms,
        .latency_ns = r->latency_ns,
        .status = r->status,
        .ok = r->ok,
        .sent = r->sent,
        .http_request_id = r->http_request_id,
        .batch_size = r->batch_size,
        .client_queue_ns = r->client_queue_ns,
        .connect_ns = r->connect_ns,
        .tls_ns = r->tls_ns,
        .ttfb_ns = r->ttfb_ns,
        .service_ns = r->service_ns,
        .server_queue_ms = r->server_queue_ms,
        .server_compute_ms = r->server_compute_ms,
        .bytes_out = r->bytes_out,
        .bytes_in = r->bytes_in,
        .output_hash = r->output_hash,
        .error = tg_errc_name(r->errc),
        .latency_uncorrected_ns = r->latency_uncorrected_ns,
        .worker = r->worker,
        .error_detail = r->error_detail,
        .x_request_id = r->x_request_id,
        .streamed = r->streamed,
        .ttft_ns = r->ttft_ns,
        .tpot_ms = r->tpot_ms,
        .itl_max_ns = r->itl_max_ns,
        .output_tokens = r->output_tokens,
        .tokens_from_usage = r->tokens_from_usage,
        .content_events = r->content_events,
    };
    if (c->metrics)
        tg_run_metrics_record(c->metrics, r);
    if (c->lat && r->ok)
        tg_progress_lat_record(c->lat, r->latency_ns / 1000);
    char *p = tg_writer_reserve(&c->csv, TG_CSV_ROW_MAX);
    if (p)
        tg_writer_commit(&c->csv, tg_csv_format_row(p, &row));
    if (c->save && r->output_json) {
        char head[64];
        int n = snprintf(head, sizeof head, "{\"request_id\":%llu,\"output\":", (unsigned long long)r->request_id);
        char *q = tg_writer_reserve(&c->outs, (size_t)n + r->output_len + 3);
        if (q) {
            memcpy(q, head, (size_t)n);
            memcpy(q + n, r->output_json, r->output_len);
            memcpy(q + n + r->output_len, "}\n", 2);
            tg_writer_commit(&c->outs, (size_t)n + r->output_len + 2);
        }
    }
    if (c->save_stream && r->streamed)
        stream_line(c, r);
}

void tg_run_on_flush(void *ctx)
{
    struct run_wctx *c = ctx;
    tg_writer_flush(&c->csv);
    if (c->save)
        tg_writer_flush(&c->outs);
    if (c->save_stream)
        tg_writer_flush(&c->stream);
    if (c->lat)
        tg_progress_lat_publish(c->lat);
}
