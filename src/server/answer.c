/*
 * answer.c - answers and errors of the placeholder server, in the dialect of
 * the request (see internal.h).
 */
#include "server/internal.h"

#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void tg_srv_timing_fill(struct timing *t, const struct tg_server *s, const struct tg_api *a,
                        int ok, double qms, double cms)
{
    t->n = 0;
    if (!s->cfg.no_server_timing) {
        snprintf(t->st, sizeof t->st, "queue;dur=%.3f, compute;dur=%.3f", qms, cms);
        t->h[t->n++] = (struct hdr){ "Server-Timing", t->st };
    }
    if (!ok || !a)
        return; /* TEI sends its timing headers with answers only */
    if (a->queue_time_header) {
        snprintf(t->q, sizeof t->q, "%llu", (unsigned long long)(qms > 0 ? qms : 0));
        t->h[t->n++] = (struct hdr){ a->queue_time_header, t->q };
    }
    if (a->compute_time_header) {
        snprintf(t->cpt, sizeof t->cpt, "%llu", (unsigned long long)(cms > 0 ? cms : 0));
        t->h[t->n++] = (struct hdr){ a->compute_time_header, t->cpt };
    }
}


/* Adds h[0..n) and, while draining, Connection: close unless h sets a
 * Connection header itself. */
void tg_srv_add_headers(struct tg_server *s, struct MHD_Response *r, const char *ctype,
                        const struct hdr *h, size_t n)
{
    int has_conn = 0;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (size_t i = 0; i < n; i++) {
        MHD_add_response_header(r, h[i].name, h[i].value);
        has_conn |= !strcasecmp(h[i].name, MHD_HTTP_HEADER_CONNECTION);
    }
    if (atomic_load(&s->draining) && !has_conn)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* Queues an answer whose body is b's bytes (ownership passes to MHD) with
 * headers h[0..n). */
enum MHD_Result tg_srv_answer(struct req_ctx *c, unsigned status, struct tg_buf *b,
                              const char *ctype, const struct hdr *h, size_t n, unsigned items,
                              double qms, double cms)
{
    struct MHD_Response *r;
    if (b->data) {
        r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);
        if (r)
            *b = (struct tg_buf)TG_BUF_INIT(b->max);
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    tg_srv_add_headers(c->srv, r, ctype, h, n);
    enum MHD_Result ret = MHD_queue_response(c->conn, status, r);
    MHD_destroy_response(r);
    tg_srv_set_phase(c, PHASE_ANSWERED);
    tg_metrics_count(&c->srv->metrics, (int)status, c->route == ROUTE_INFER, items, qms, cms);
    return ret;
}

/* The dialect whose error shape c gets: its own, else the server's first
 * (tailgate's: tg_api_all() starts with it). */
static const struct tg_api *error_api(const struct req_ctx *c)
{
    return c->api ? c->api : c->srv->apis[0];
}

/* Messages quote client bytes (a model cut at 64 bytes, a path, jansson's
 * "near '…'"), and a body must be valid JSON whatever the dialect's writer
 * does with them. */
void tg_server_clean_message(char *out, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n && o + 1 < cap;) {
        size_t len = tg_api_utf8_seq(p + i, n - i);
        int ok = len > 0 && o + len < cap; /* a sequence that does not fit whole is cut too */
        if (!ok) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, p + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
}

/* An error answer in the request's dialect, with one optional extra header. */
enum MHD_Result tg_srv_answer_error(struct req_ctx *c, unsigned status, const char *message,
                                    const char *extra_name, const char *extra_value)
{
    char clean[1024];
    tg_server_clean_message(clean, sizeof clean, message);
    struct tg_buf b = TG_BUF_INIT(0);
    if (error_api(c)->server_error(&b, (int)status, clean)) {
        tg_buf_free(&b);
        return MHD_NO;
    }
    struct timing t = { .n = 0 };
    if (c->route == ROUTE_INFER)
        tg_srv_timing_fill(&t, c->srv, c->api, 0, 0, 0);
    if (extra_name)
        t.h[t.n++] = (struct hdr){ extra_name, extra_value };
    return tg_srv_answer(c, status, &b, "application/json", t.h, t.n, 0, 0, 0);
}
