/*
 * fault_harness.h - what test_engine_faults.c runs the engine with: the
 * fault hook (fail the Nth call of one site, engine/fault.h), a local
 * server (a thread per connection, plain or TLS, every request answered
 * "[1]") and one bounded run of a small payload file against it, each
 * input's rows counted.  Included by that one test file only.
 */
#ifndef TG_TEST_FAULT_HARNESS_H
#define TG_TEST_FAULT_HARNESS_H

#include "api/api.h"
#include "core/error.h"
#include "core/time.h"
#include "engine/engine.h"
#include "engine/fault.h"
#include "engine/payload.h"
#include "engine/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Set-up that cannot go on (no socket, no thread): the binary fails. */
#define MUST(cond)                                                            \
    do { if (!(cond)) { TG_FAIL_AT("MUST(%s) is false", #cond); exit(1); } } while (0)

/* ---- the hook: fail the Nth call of one site ------------------------------- */

static enum tg_fault_site fault_site;
static _Atomic int fault_calls[TG_FAULT_NSITES];
static int fault_nth;      /* 1-based call of fault_site to fail; 0: none; -1: every one */
static _Atomic int fault_fired;
/* Gated TLS: the server answers a ClientHello only after the client asked
 * to wait for readable (its MOD, posted here), so every handshake waits at
 * that one MOD whatever the timing. */
static bool tls_gated;
static sem_t tls_gate;

static int fault_hook(enum tg_fault_site site)
{
    if (tls_gated && site == TG_FAULT_LOOP_MOD)
        sem_post(&tls_gate);
    int k = atomic_fetch_add(&fault_calls[site], 1) + 1;
    if (site != fault_site || fault_nth == 0 || (fault_nth > 0 && k != fault_nth))
        return 0;
    atomic_fetch_add(&fault_fired, 1);
    return -ENOMEM;
}

static void fault_arm(enum tg_fault_site site, int nth)
{
    fault_site = site;
    fault_nth = nth;
    atomic_store(&fault_fired, 0);
    while (tls_gated && sem_trywait(&tls_gate) == 0)
        ;
    for (int i = 0; i < TG_FAULT_NSITES; i++)
        atomic_store(&fault_calls[i], 0);
    tg_fault_hook = fault_hook;
}

/* ---- a server: one thread per connection, every request answered ---------- */

#define ANSWER "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]"
#define MAX_CONNS 64

/* Set: the server speaks TLS (a self-signed certificate; the client does
 * not verify it). */
static SSL_CTX *server_tls;

static SSL_CTX *server_tls_new(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    MUST(key && cert && ctx);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    MUST(X509_sign(cert, key, EVP_sha256()));
    MUST(SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
}

struct server {
    int lfd;
    struct sockaddr_in addr;
    pthread_t accepter, conn[MAX_CONNS];
    int nconn;
};

static int answer(int fd, SSL *ssl)
{
    int len = (int)strlen(ANSWER);
    if (ssl)
        return SSL_write(ssl, ANSWER, len) == len ? 0 : -1;
    return write(fd, ANSWER, (size_t)len) == len ? 0 : -1;
}

/* Reads requests (head, then Content-Length bytes of body, discarded) and
 * answers each until the client closes. */
static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    static _Thread_local char head[65536];
    size_t hlen = 0;
    size_t body_left = 0;
    char buf[65536];
    SSL *ssl = NULL;
    if (server_tls) {
        /* bounded, should a connection never ask (a bug: the test then fails) */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        if (tls_gated && sem_timedwait(&tls_gate, &until) != 0)
            goto done;
        ssl = SSL_new(server_tls);
        if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
            goto done;
    }
    for (;;) {
        ssize_t n = ssl ? SSL_read(ssl, buf, sizeof buf) : read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        size_t off = 0;
        while (off < (size_t)n) {
            if (body_left) {
                size_t k = (size_t)n - off < body_left ? (size_t)n - off : body_left;
                body_left -= k;
                off += k;
                if (!body_left && answer(fd, ssl) < 0)
                    goto done;
                continue;
            }
            if (hlen + 1 >= sizeof head)
                goto done;
            head[hlen++] = buf[off++];
            head[hlen] = '\0';
            if (hlen < 4 || memcmp(head + hlen - 4, "\r\n\r\n", 4) != 0)
                continue;
            const char *cl = strcasestr(head, "\r\nContent-Length:");
            body_left = cl ? strtoull(cl + 17, NULL, 10) : 0;
            hlen = 0;
            if (!body_left && answer(fd, ssl) < 0)
                goto done;
        }
    }
done:
    SSL_free(ssl);
    ERR_clear_error();
    close(fd);
    return NULL;
}

static void *serve_accept(void *arg)
{
    struct server *s = arg;
    for (;;) {
        int c = accept(s->lfd, NULL, NULL);
        if (c < 0)
            return NULL;
        if (s->nconn == MAX_CONNS || pthread_create(&s->conn[s->nconn], NULL, serve_conn, (void *)(intptr_t)c)) {
            close(c);
            continue;
        }
        s->nconn++;
    }
}

/* rcvbuf > 0: the accepted sockets' SO_RCVBUF (set on the listener, so
 * the window is small from the SYN on). */
static void server_start(struct server *s, int rcvbuf)
{
    memset(s, 0, sizeof *s);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
        MUST(setsockopt(s->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == 0);
    s->addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof s->addr;
    MUST(bind(s->lfd, (struct sockaddr *)&s->addr, sizeof s->addr) == 0 && listen(s->lfd, 64) == 0);
    MUST(getsockname(s->lfd, (struct sockaddr *)&s->addr, &al) == 0);
    MUST(pthread_create(&s->accepter, NULL, serve_accept, s) == 0);
}

/* After the engine is freed: every client connection is closed, so every
 * connection thread ends. */
static void server_stop(struct server *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    close(s->lfd);
    pthread_join(s->accepter, NULL);
    for (int i = 0; i < s->nconn; i++)
        pthread_join(s->conn[i], NULL);
}

/* ---- a run ------------------------------------------------------------------ */

/* The tailgate dialect, with a split that answers any batch size: the
 * server's one answer stands for every request. */
static int any_split(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn, void *ctx,
                     char *why, size_t whylen)
{
    (void)body, (void)len, (void)batched, (void)why, (void)whylen;
    for (size_t i = 0; i < n; i++) {
        int rc = fn(ctx, i, "[1]", 3, "00");
        if (rc)
            return rc;
    }
    return 0;
}

#define MAX_INPUTS 64

struct seen {
    int n, ok;
    int times[MAX_INPUTS];           /* rows per input id */
    int by_class[TG_ERRC_COUNT];
    int odd_detail;                  /* failed rows whose detail is not the expected one */
    const char *want_detail;
    char last_detail[200];
};

static void on_row(void *ctx, const struct tg_input_result *r)
{
    struct seen *s = ctx;
    s->n++;
    s->ok += r->ok;
    if (r->request_id < MAX_INPUTS)
        s->times[r->request_id]++;
    s->by_class[r->errc]++;
    if (!r->ok) {
        snprintf(s->last_detail, sizeof s->last_detail, "%s", r->error_detail);
        if (s->want_detail && strcmp(s->want_detail, r->error_detail) != 0)
            s->odd_detail++;
    }
}

struct run {
    uint64_t inputs;
    uint32_t concurrency, connections, batch;
    uint64_t batch_wait_ns, duration_ns;
    double rate;
    bool keepalive, preconnect, tls;
    size_t payload_bytes;            /* the input text's length (a large one cannot be written at once) */
    int server_rcvbuf;               /* > 0: the server's SO_RCVBUF */
    const char *want_detail;
};

/* Runs r against a fresh server; fills *s and returns the engine totals'
 * input count (or -1 when the engine could not be created: *new_rc). */
static long long do_run(const struct run *r, struct seen *s, int *new_rc, bool hook_after_new)
{
    static struct server srv;
    signal(SIGPIPE, SIG_IGN);   /* either side may write to a peer that closed (tls.h) */
    server_start(&srv, r->server_rcvbuf);
    static struct tg_api api;
    api = *tg_api_find("tailgate");
    api.split = any_split;
    api.stream_event = NULL;

    char path[] = "/tmp/tg_faults_XXXXXX";
    int fd = mkstemp(path);
    MUST(fd >= 0);
    FILE *f = fdopen(fd, "w");
    MUST(f != NULL);
    fputs("{\"model\":\"m\",\"input\":\"", f);
    for (size_t i = 0; i < (r->payload_bytes ? r->payload_bytes : 1); i++)
        fputc('x', f);
    fputs("\"}\n", f);
    fclose(f);
    struct tg_payloads *pl = NULL;
    char why[200] = "";
    MUST(tg_payloads_load(path, &api, &pl, why, sizeof why) == 0);
    unlink(path);

    memset(s, 0, sizeof *s);
    s->want_detail = r->want_detail;
    void *ctx[1] = { s };
    struct tg_engine_config cfg = {
        .payloads = pl, .inputs = r->inputs, .concurrency = r->concurrency, .batch = r->batch ? r->batch : 1,
        .batch_wait_ns = r->batch_wait_ns, .duration_ns = r->duration_ns, .rate = r->rate, .api = &api,
        .connections = r->connections ? r->connections : r->concurrency, .keepalive = r->keepalive,
        .preconnect = r->preconnect, .timeout_ns = 10 * TG_NS_PER_S, .threads = 1, .parse_outputs = true,
        .max_response_bytes = 1 << 20, .on_result = on_row, .worker_ctx = ctx,
    };
    const char *uwhy = NULL;
    char url[64];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/v1/embed", r->tls ? "https" : "http", ntohs(srv.addr.sin_port));
    struct tg_tls *tls = NULL;
    if (r->tls) {
        MUST(tg_tls_new(NULL, false, &tls, why, sizeof why) == 0);
        cfg.tls = tls;
    }
    MUST(tg_url_parse(url, &cfg.url, &uwhy) == 0);
    memcpy(&cfg.addr, &srv.addr, sizeof srv.addr);
    cfg.addrlen = sizeof srv.addr;

    enum tg_fault_site site = fault_site;
    int nth = fault_nth;
    if (hook_after_new)
        tg_fault_hook = NULL;
    struct tg_engine *e = NULL;
    *new_rc = tg_engine_new(&cfg, &e);
    long long inputs = -1;
    if (*new_rc == 0) {
        if (hook_after_new)
            fault_arm(site, nth);
        MUST(tg_engine_start(e) == 0);
        /* bounded: the timeout (10 s) ends any request; 30 s is far past it */
        for (int i = 0; i < 3000 && !tg_engine_finished(e); i++)
            usleep(10 * 1000);
        CHECK(tg_engine_finished(e));
        const struct tg_engine_totals *t = NULL;
        MUST(tg_engine_join(e, &t) == 0);
        inputs = (long long)t->inputs;
    }
    tg_fault_hook = NULL;
    tg_engine_free(e);
    tg_tls_free(tls);
    server_stop(&srv);
    tg_payloads_free(pl);
    return inputs;
}

/* Every input 0..n-1 reported exactly once. */
static void check_once(const struct seen *s, uint64_t n, long long totals)
{
    CHECK_INT_EQ(n, s->n);
    CHECK_INT_EQ(n, totals);
    for (uint64_t i = 0; i < n && i < MAX_INPUTS; i++)
        if (s->times[i] != 1) {
            TG_FAIL_AT("input %llu reported %d times", (unsigned long long)i, s->times[i]);
            break;
        }
}

#endif
