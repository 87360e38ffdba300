/*
 * micro.c - micro-benchmarks of the hot paths, run by `make bench` before
 * the load benchmarks (bench/run).  Not tests: each prints its figure and the
 * target it is held to, and marks MISS without failing (a loaded 2-core
 * machine moves these by 2x).  Every loop checks its own result so that the
 * compiler cannot drop the work.
 *
 *   response head parse   ns per ~250-byte head      target < 1000 ns
 *   histogram record      ns per sample              target < 50 ns
 *   bootstrap             ms for n = 1e6 x 2, 2000 resamples (no target)
 *   openai-chat event     ns per stream_event of a ~200-byte vLLM chunk
 *                         (content + continuous usage)  target < 2000 ns
 *   SSE parse             ns per event of 1-token OpenAI chat chunks, fed
 *                         whole / in 7-byte / in 1-byte pieces
 *                                                  targets < 200 / 1000 ns (1-byte: none)
 */
#include "api/api.h"
#include "api/internal.h"
#include "core/time.h"
#include "http/http.h"
#include "stats/hist.h"
#include "stats/percentile.h"
#include "core/rng.h"
#include "http/sse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const char *what, double v, const char *unit, double target)
{
    if (target > 0)
        printf("%-34s %10.1f %-3s  target < %g %s: %s\n", what, v, unit, target, unit,
               v < target ? "PASS" : "MISS");
    else
        printf("%-34s %10.1f %-3s\n", what, v, unit);
}

static int head_parse(void)
{
    const char *in = "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 9876\r\n"
                     "Content-Type: application/json\r\nServer-Timing: queue;dur=0.012, "
                     "compute;dur=48.123\r\nDate: Mon, 23 Nov 2026 11:40:21 GMT\r\n\r\n";
    size_t n = strlen(in);
    struct tg_http_response r;
    enum { ITERS = 500000 };
    long sum = 0;
    uint64_t t0 = tg_now_ns();
    for (int i = 0; i < ITERS; i++)
        sum += tg_http_parse_response_head(in, n, false, &r);
    double ns = (double)(tg_now_ns() - t0) / ITERS;
    if (sum != (long)n * ITERS) {
        fprintf(stderr, "micro: head parse returned %ld, expected %ld\n", sum, (long)n * ITERS);
        return 1;
    }
    char what[64];
    snprintf(what, sizeof what, "response head parse (%zu bytes)", n);
    report(what, ns, "ns", 1000);
    return 0;
}

static int hist_record(void)
{
    struct tg_hist *h = tg_hist_new(60000000);
    if (!h)
        return 1;
    enum { N = 20000000 };
    uint64_t x = 12345;
    uint64_t t0 = tg_now_ns();
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        tg_hist_record(h, (x >> 40) % 60000000);
    }
    double ns = (double)(tg_now_ns() - t0) / N;
    int bad = tg_hist_count(h) != N;
    tg_hist_free(h);
    if (bad) {
        fprintf(stderr, "micro: histogram lost samples\n");
        return 1;
    }
    report("histogram record", ns, "ns", 50);
    return 0;
}

static int bootstrap(void)
{
    enum { N = 1000000 };
    double *b = malloc(N * sizeof *b), *a = malloc(N * sizeof *a);
    if (!b || !a) {
        free(b);
        free(a);
        return 1;
    }
    struct tg_rng r;
    tg_rng_seed(&r, 17);
    for (int i = 0; i < N; i++) {
        b[i] = tg_rng_lognormal(&r, log(500), 0.4);
        a[i] = tg_rng_lognormal(&r, log(400), 0.4);
    }
    struct tg_ci c;
    uint64_t t0 = tg_now_ns();
    int rc = tg_bootstrap_delta_ci(b, N, a, N, 99, 2000, 0.95, 1, &c);
    double ms = (double)(tg_now_ns() - t0) / 1e6;
    free(b);
    free(a);
    if (rc || !(c.lo < c.hi)) {
        fprintf(stderr, "micro: bootstrap failed\n");
        return 1;
    }
    report("bootstrap P99 delta, n=1e6 x 2", ms, "ms", 0);
    return 0;
}

/* ns per event of reader fn over chunk in (ITERS events, the text buffer
 * reset now and then as the engine does per input); < 0 on a wrong result. */
static double chat_event_ns(const char *in, size_t n, int jansson)
{
    struct tg_buf text = TG_BUF_INIT(0);
    struct tg_api_stream_event ev;
    const struct tg_api *a = tg_api_find("openai-chat");
    char why[200];
    enum { ITERS = 200000 };
    long sum = 0;
    uint64_t t0 = tg_now_ns();
    for (int i = 0; i < ITERS; i++) {
        if ((i & 1023) == 0)
            tg_buf_reset(&text);
        int rc = jansson ? tg_api_gen_event_jansson(TG_API_GEN_CHAT, "", 0, in, n, &text, &ev, why, sizeof why)
                         : a->stream_event("", 0, in, n, &text, &ev, why, sizeof why);
        if (rc == 0 && ev.kind == TG_API_EV_CONTENT)
            sum += (long)ev.content_len + ev.completion_tokens;
    }
    double ns = (double)(tg_now_ns() - t0) / ITERS;
    tg_buf_free(&text);
    return sum == 8L * ITERS ? ns : -1;
}

/* One vLLM chat.completion.chunk with continuous usage stats, read by the
 * openai-chat dialect (its fast reader), and by the jansson reference. */
static int chat_event(void)
{
    const char *in = "{\"id\":\"chatcmpl-5f2a9c1e8d7b4a3f9e6c2b1a0d9e8f7c\",\"object\":\"chat.completion.chunk\","
                     "\"created\":1733000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,"
                     "\"delta\":{\"content\":\" world\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":"
                     "{\"prompt_tokens\":17,\"total_tokens\":19,\"completion_tokens\":2}}";
    /* OpenAI's shape, no usage: content of 9 bytes and tokens -1 sum to 8 as well */
    const char *plain = "{\"id\":\"chatcmpl-5f2a9c1e8d7b4a3f9e6c2b1a0d9e8f7c\",\"object\":\"chat.completion.chunk\","
                        "\"created\":1733000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,"
                        "\"delta\":{\"content\":\" worlds!!\"},\"logprobs\":null,\"finish_reason\":null}]}";
    size_t n = strlen(in), pn = strlen(plain);
    double fast = chat_event_ns(in, n, 0), ref = chat_event_ns(in, n, 1), pfast = chat_event_ns(plain, pn, 0);
    if (fast < 0 || ref < 0 || pfast < 0) {
        fprintf(stderr, "micro: openai-chat stream_event gave a wrong result\n");
        return 1;
    }
    char what[64];
    snprintf(what, sizeof what, "openai-chat event (%zu bytes)", n);
    report(what, fast, "ns", 2000);
    report("  the same by jansson (reference)", ref, "ns", 0);
    snprintf(what, sizeof what, "openai-chat event (%zu B, no usage)", pn);
    report(what, pfast, "ns", 2000);
    return 0;
}

struct sse_count {
    uint64_t events;
    uint64_t bytes;
};

static int sse_count_event(void *ctx, const char *ev, size_t elen, const char *data, size_t dlen)
{
    struct sse_count *c = ctx;
    c->events++;
    c->bytes += dlen + elen;
    return 0;
}

/* One event per token, as vLLM and the OpenAI API stream them. */
static int sse_parse(void)
{
    enum { EVENTS = 20000 };
    static const char fmt[] =
        "data: {\"id\":\"chatcmpl-5e1b\",\"object\":\"chat.completion.chunk\",\"created\":1764633600,"
        "\"model\":\"example-llm\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok%05d\"},"
        "\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    size_t one = (size_t)snprintf(NULL, 0, fmt, 0);
    char *stream = malloc(one * EVENTS + 1);
    if (!stream)
        return 1;
    size_t n = 0;
    for (int i = 0; i < EVENTS; i++)
        n += (size_t)snprintf(stream + n, one + 1, fmt, i);
    uint64_t want_bytes = (uint64_t)(one - 8) * EVENTS;   /* "data: " and the blank line */

    const struct { size_t piece; const char *name; double target; } runs[] = {
        { 0, "whole", 200 }, { 7, "7-byte pieces", 1000 }, { 1, "1-byte pieces", 0 },
    };
    int bad = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        struct tg_sse p;
        tg_sse_init(&p, 0);
        struct sse_count c = { 0, 0 };
        int reps = runs[r].piece == 1 ? 1 : 5;
        int rc = 0;
        uint64_t t0 = tg_now_ns();
        for (int k = 0; k < reps && rc == 0; k++) {
            size_t step = runs[r].piece ? runs[r].piece : n;
            for (size_t off = 0; off < n && rc == 0; off += step)
                rc = tg_sse_feed(&p, stream + off, off + step <= n ? step : n - off, sse_count_event, &c);
        }
        double ns = (double)(tg_now_ns() - t0) / ((double)EVENTS * reps);
        tg_sse_free(&p);
        if (rc || c.events != (uint64_t)EVENTS * reps || c.bytes != want_bytes * reps) {
            fprintf(stderr, "micro: SSE parse (%s) gave rc %d, %llu events, %llu bytes\n", runs[r].name,
                    rc, (unsigned long long)c.events, (unsigned long long)c.bytes);
            bad = 1;
            continue;
        }
        char what[64];
        snprintf(what, sizeof what, "SSE event (%zu B), %s", one, runs[r].name);
        report(what, ns, "ns", runs[r].target);
    }
    free(stream);
    return bad;
}

int main(void)
{
    printf("== micro-benchmarks (one run each; compare figures of one machine and day)\n");
    int bad = head_parse() | hist_record() | bootstrap() | chat_event() | sse_parse();
    return bad;
}
