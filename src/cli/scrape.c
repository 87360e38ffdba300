/*
 * scrape.c - the /metrics poller of --scrape (cli/scrape.h).  Off the hot
 * path: one GET per interval on its own thread, waiting with poll(2) under
 * one deadline; the connection is the engine's (engine/net.h, so https is
 * the engine's TLS client with the run's verification), the response head
 * and chunked bodies go through the project's own HTTP codecs.
 */
#include "cli/scrape.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/redact.h"
#include "core/time.h"
#include "core/version.h"
#include "engine/net.h"
#include "engine/resolve.h"
#include "engine/tls.h"
#include "http/http.h"
#include "http/promtext.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct tg_scraper {
    struct tg_url url;
    struct tg_tls *tls;              /* https: owned; NULL for http */
    bool verify_failed;              /* a handshake failed certificate / host-name verification */
    char verify_error[300];          /* … its line */
    uint64_t next_ns;                /* the thread's first scrape (0: at once) */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    uint64_t interval_ns, timeout_ns;
    char path[4200], tmp[4300];
    FILE *f;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    struct tg_buf buf;
    struct tg_scrape_stats st;
};

static void fail(struct tg_scraper *s, const char *fmt, const char *arg)
{
    s->st.failed++;
    if (!s->st.first_error[0])
        snprintf(s->st.first_error, sizeof s->st.first_error, fmt, arg);
}

/* Waits until fd is ready for `events` or the deadline; 0 or -1. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = tg_now_ns();
        if (now >= deadline)
            return -1;
        struct pollfd p = { .fd = fd, .events = events };
        int rc = poll(&p, 1, (int)((deadline - now) / TG_NS_PER_MS) + 1);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

/* After TG_IO_AGAIN: waits for what nc asked for (a TLS read may need
 * writable); 0 or -1 (the deadline passed). */
static int wait_want(const struct tg_net_conn *nc, uint64_t deadline)
{
    return wait_fd(nc->fd, (short)(nc->want & TG_NET_WANT_WRITE ? POLLOUT : POLLIN), deadline);
}

/* One line for an I/O failure of op ("read", "write") on nc. */
static void fail_io(struct tg_scraper *s, const struct tg_net_conn *nc, const char *op, int err)
{
    char why[300];
    if (err == TG_NET_ETLS) {
        char d[200];
        tg_tls_describe(nc, d, sizeof d);
        snprintf(why, sizeof why, "%s: TLS: %s", op, d);
    } else {
        snprintf(why, sizeof why, "%s: %s", op, strerror(err));
    }
    fail(s, "%.190s", why);
}

/* Connects nc (and over https completes the handshake) by the deadline.
 * Returns 0, or -1 with the reason counted (a certificate or host-name
 * verification failure also sets s->verify_failed). */
static int open_conn(struct tg_scraper *s, struct tg_net_conn *nc, uint64_t deadline)
{
    int err = 0;
    enum tg_io io = tg_net_connect((const struct sockaddr *)&s->addr, s->addrlen, &nc->fd, &err);
    if (io == TG_IO_AGAIN) {
        if (wait_fd(nc->fd, POLLOUT, deadline)) {
            fail(s, "connect: %s", "timed out");
            return -1;
        }
        io = tg_net_connect_result(nc->fd, &err);
    }
    if (io != TG_IO_OK) {
        fail(s, "connect: %s", strerror(err));
        return -1;
    }
    if (!s->tls)
        return 0;
    if (tg_tls_attach(s->tls, nc, s->url.host) != 0) {
        fail(s, "%s", "out of memory");
        return -1;
    }
    while ((io = tg_net_handshake(nc, &err)) == TG_IO_AGAIN)
        if (wait_want(nc, deadline)) {
            fail(s, "TLS handshake with %.80s: timed out", s->url.authority);
            return -1;
        }
    if (io == TG_IO_OK)
        return 0;
    char d[200], why[300];
    bool verify = false;
    if (err == TG_NET_ETLS)
        verify = tg_tls_describe(nc, d, sizeof d);
    else
        snprintf(d, sizeof d, "%s", strerror(err));
    snprintf(why, sizeof why, "TLS handshake with %.80s: %.190s", s->url.authority, d);
    if (verify && !s->verify_failed) {
        s->verify_failed = true;
        snprintf(s->verify_error, sizeof s->verify_error, "%s", why);
    }
    fail(s, "%.190s", why);
    return -1;
}

/* GET url into s->buf: the body at buf.data[0..len).  Returns 0, or -1 with
 * the reason counted. */
static int get(struct tg_scraper *s)
{
    uint64_t deadline = tg_now_ns() + s->timeout_ns;
    tg_buf_reset(&s->buf);
    struct tg_net_conn nc = { .fd = -1 };
    int rc = -1, err = 0;
    if (open_conn(s, &nc, deadline))
        goto out;
    char req[2600];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tailgate/" TG_VERSION
                     "\r\nAccept: text/plain\r\nConnection: close\r\n\r\n", s->url.path, s->url.authority);
    if (n < 0 || (size_t)n >= sizeof req) {
        fail(s, "write: %s", "the request was not sent whole");
        goto out;
    }
    for (size_t off = 0; off < (size_t)n;) {
        /* after TG_IO_AGAIN a TLS write is retried with the same bytes: off only moves on OK */
        struct iovec iov = { req + off, (size_t)n - off };
        size_t put = 0;
        enum tg_io io = tg_net_writev(&nc, &iov, 1, &put, &err);
        if (io == TG_IO_ERROR) {
            fail_io(s, &nc, "write", err);
            goto out;
        }
        if (io == TG_IO_AGAIN && wait_want(&nc, deadline)) {
            fail(s, "write: %s", "timed out");
            goto out;
        }
        if (io == TG_IO_OK)
            off += put;
    }
    struct tg_http_response r;
    long head = -1;
    for (;;) {
        if (tg_buf_reserve(&s->buf, 64 * 1024)) {
            fail(s, "%s", "out of memory");
            goto out;
        }
        size_t k = 0;
        enum tg_io io = tg_net_read(&nc, s->buf.data + s->buf.len, s->buf.cap - s->buf.len - 1, &k, &err);
        if (io == TG_IO_AGAIN) {
            if (wait_want(&nc, deadline)) {
                fail(s, "read: %s", "timed out");
                goto out;
            }
            continue;
        }
        if (io == TG_IO_ERROR) {
            fail_io(s, &nc, "read", err);
            goto out;
        }
        s->buf.len += k;
        s->buf.data[s->buf.len] = '\0';
        if (head < 0) {
            int hr = tg_http_parse_response_head(s->buf.data, s->buf.len, false, &r);
            if (hr == TG_EPARTIAL && k > 0)
                continue;
            if (hr < 0) {
                fail(s, "%s", k == 0 ? "the server closed before a full response head" : "malformed response head");
                goto out;
            }
            head = hr;
            if (r.status != 200) {
                char st[16];
                snprintf(st, sizeof st, "%d", r.status);
                fail(s, "HTTP status %s", st);
                goto out;
            }
        }
        size_t body = s->buf.len - (size_t)head;
        if (body > TG_SCRAPE_MAX_BODY) {
            fail(s, "%s", "body larger than 8 MiB");
            goto out;
        }
        if (r.body_kind == TG_HTTP_BODY_LENGTH && body >= r.content_length) {
            s->buf.len = (size_t)head + (size_t)r.content_length;
            break;
        }
        if (k == 0) {
            if (r.body_kind == TG_HTTP_BODY_LENGTH) {
                fail(s, "%s", "the server closed before the whole body");
                goto out;
            }
            break;   /* chunked (decoded below) or until close */
        }
    }
    tg_buf_consume(&s->buf, (size_t)head);
    if (r.body_kind == TG_HTTP_BODY_CHUNKED) {
        struct tg_http_chunked d = { 0 };
        size_t len = s->buf.len;
        if (tg_http_decode_chunked(&d, s->buf.data, &len) < 0) {
            fail(s, "%s", "malformed or incomplete chunked body");
            goto out;
        }
        s->buf.len = len;
    } else if (r.body_kind == TG_HTTP_BODY_NONE) {
        s->buf.len = 0;
    }
    rc = 0;
out:
    tg_net_close(&nc);
    return rc;
}

static int put_csv_field(FILE *f, const char *p, size_t n)
{
    if (!memchr(p, ',', n) && !memchr(p, '"', n) && !memchr(p, '\n', n) && !memchr(p, '\r', n))
        return fwrite(p, 1, n, f) == n ? 0 : -1;
    if (fputc('"', f) == EOF)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((p[i] == '"' && fputc('"', f) == EOF) || fputc(p[i], f) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

static void scrape_once(struct tg_scraper *s)
{
    s->st.scrapes++;
    int64_t t = tg_wall_ms();
    if (get(s) != 0)
        return;
    size_t pos = 0, line = 0;
    struct tg_promtext_line l;
    int rc;
    while ((rc = tg_promtext_next(s->buf.data, s->buf.len, &pos, &line, &l)) != 0) {
        if (rc < 0) {
            s->st.bad_lines++;
            continue;
        }
        if (l.kind != TG_PROMTEXT_SAMPLE || !s->f)
            continue;
        char v[40];
        if (isnan(l.value))
            snprintf(v, sizeof v, "NaN");
        else if (isinf(l.value))
            snprintf(v, sizeof v, "%s", l.value > 0 ? "+Inf" : "-Inf");
        else
            snprintf(v, sizeof v, "%.17g", l.value);
        if (fprintf(s->f, "%lld,", (long long)t) < 0 || put_csv_field(s->f, l.name, l.name_len) ||
            fputc(',', s->f) == EOF || put_csv_field(s->f, l.labels, l.labels_len) ||
            fprintf(s->f, ",%s\n", v) < 0) {
            s->st.write_error = -EIO;
            fclose(s->f);
            s->f = NULL;
            unlink(s->tmp);
            return;
        }
        s->st.rows++;
    }
}

static void *thread_main(void *arg)
{
    struct tg_scraper *s = arg;
    pthread_mutex_lock(&s->lock);
    uint64_t next = s->next_ns;
    while (!s->stop) {
        if (tg_now_ns() >= next) {
            pthread_mutex_unlock(&s->lock);
            next = tg_now_ns() + s->interval_ns;
            scrape_once(s);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        struct timespec ts = { (time_t)(next / TG_NS_PER_S), (long)(next % TG_NS_PER_S) };
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int tg_scrape_start(const char *url, uint64_t interval_ns, const char *cacert, bool insecure, const char *csv_path,
                    struct tg_scraper **out, char *why, size_t whylen)
{
    struct tg_scraper *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, whylen, "out of memory");
        return TG_ENOMEM;
    }
    const char *uwhy = NULL;
    int rc = TG_EINVAL;
    if (tg_url_parse(url, &s->url, &uwhy) != 0) {
        snprintf(why, whylen, "bad --scrape URL: %s", uwhy ? uwhy : "invalid");
        goto fail;
    }
    if (s->url.tls) {
        char twhy[400];
        int trc = tg_tls_new(insecure ? NULL : cacert, !insecure, &s->tls, twhy, sizeof twhy);
        if (trc) {
            rc = trc;
            snprintf(why, whylen, "--scrape: %s", trc == TG_EINVAL ? twhy : tg_strerror(trc));
            goto fail;
        }
    }
    char rwhy[300];
    size_t naddr;
    if (tg_resolve_pick(s->url.host, s->url.port, 2 * TG_NS_PER_S, &s->addr, &s->addrlen, &naddr, NULL, 0, rwhy,
                        sizeof rwhy) != 0) {
        snprintf(why, whylen, "--scrape: %s", rwhy);
        goto fail;
    }
    s->interval_ns = interval_ns;
    s->timeout_ns = interval_ns < TG_NS_PER_S ? TG_NS_PER_S : interval_ns > 5 * TG_NS_PER_S ? 5 * TG_NS_PER_S : interval_ns;
    snprintf(s->path, sizeof s->path, "%s", csv_path);
    snprintf(s->tmp, sizeof s->tmp, "%s.tmp", csv_path);
    if (!(s->f = fopen(s->tmp, "we"))) {
        rc = -errno;
        snprintf(why, whylen, "cannot create %s: %s", s->tmp, strerror(errno));
        goto fail;
    }
    if (fputs("time_ms,metric,labels,value\n", s->f) == EOF) {
        rc = -EIO;
        snprintf(why, whylen, "cannot write %s", s->tmp);
        goto fail;
    }
    if (s->tls) {
        /* The first scrape, here: a certificate that does not verify never
         * will, so it is a set-up error now rather than an empty file later.
         * Other failures (refused, timed out, not 200) are only counted, as
         * over http: the server may still come up. */
        s->next_ns = tg_now_ns() + s->interval_ns;
        scrape_once(s);
        if (s->verify_failed) {
            char shown[1024];
            snprintf(why, whylen, "--scrape %s: %s (trust it with --cacert FILE, or --insecure)",
                     tg_redact_url(url, shown, sizeof shown), s->verify_error);
            goto fail;
        }
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* tg_now_ns() is CLOCK_MONOTONIC */
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->lock, NULL);
    int prc = pthread_create(&s->thread, NULL, thread_main, s);
    if (prc) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        rc = -prc;
        snprintf(why, whylen, "cannot start the scrape thread: %s", strerror(prc));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (s->f) {
        fclose(s->f);
        unlink(s->tmp);
    }
    tg_tls_free(s->tls);
    tg_buf_free(&s->buf);
    free(s);
    return rc;
}

int tg_scrape_stop(struct tg_scraper *s, int keep_empty, struct tg_scrape_stats *st)
{
    if (!s)
        return 0;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    scrape_once(s);   /* the final values */
    int rc = s->st.write_error;
    if (s->f) {
        bool keep = keep_empty || s->st.rows;
        if (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0)
            rc = -errno;
        if (fclose(s->f) != 0 && !rc)
            rc = -EIO;
        if (!rc && keep && rename(s->tmp, s->path) != 0)
            rc = -errno;
        if (rc || !keep)
            unlink(s->tmp);
        s->f = NULL;
    }
    s->st.write_error = rc;
    if (st)
        *st = s->st;
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    tg_buf_free(&s->buf);
    tg_tls_free(s->tls);
    free(s);
    return rc;
}
