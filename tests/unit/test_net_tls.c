/* test_net_tls.c - engine/net.h over TLS (engine/tls.h) against an in-process
 * OpenSSL server on a non-blocking socketpair: the handshake's AGAIN/want
 * mapping, data buffered inside OpenSSL (tg_net_pending), close_notify as
 * EOF, and verification failures (untrusted, name mismatch, IP literals,
 * --insecure). */
#include "test.h"

#include "core/error.h"
#include "engine/net.h"
#include "engine/tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

TEST_MAIN()

struct fixture {
    EVP_PKEY *key;
    X509 *cert;
    char cert_path[64];
};

/* A self-signed certificate for CN=localhost, SAN DNS:localhost, IP:127.0.0.1. */
static int make_cert(struct fixture *f)
{
    f->key = EVP_EC_gen("P-256");
    f->cert = X509_new();
    if (!f->key || !f->cert)
        return -1;
    X509_set_version(f->cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(f->cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(f->cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(f->cert), 86400);
    X509_set_pubkey(f->cert, f->key);
    X509_NAME *name = X509_get_subject_name(f->cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(f->cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, f->cert, f->cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    if (!ext || !X509_add_ext(f->cert, ext, -1))
        return -1;
    X509_EXTENSION_free(ext);
    if (!X509_sign(f->cert, f->key, EVP_sha256()))
        return -1;
    snprintf(f->cert_path, sizeof f->cert_path, "/tmp/tg-test-cert-%d.pem", (int)getpid());
    FILE *fp = fopen(f->cert_path, "w");
    if (!fp)
        return -1;
    int ok = PEM_write_X509(fp, f->cert);
    fclose(fp);
    return ok ? 0 : -1;
}

static void free_cert(struct fixture *f)
{
    unlink(f->cert_path);
    X509_free(f->cert);
    EVP_PKEY_free(f->key);
}

struct pair {
    SSL_CTX *sctx;
    SSL *server;
    struct tg_net_conn client;
};

static int pair_open(struct pair *p, struct fixture *f, struct tg_tls *t, const char *host)
{
    int sv[2];
    memset(p, 0, sizeof *p);
    p->client.fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return -1;
    p->sctx = SSL_CTX_new(TLS_server_method());
    if (!p->sctx || SSL_CTX_use_certificate(p->sctx, f->cert) != 1 || SSL_CTX_use_PrivateKey(p->sctx, f->key) != 1)
        return -1;
    p->server = SSL_new(p->sctx);
    SSL_set_fd(p->server, sv[1]);
    SSL_set_accept_state(p->server);
    p->client.fd = sv[0];
    return tg_tls_attach(t, &p->client, host);
}

static void pair_close(struct pair *p)
{
    if (p->server) {
        int fd = SSL_get_fd(p->server);
        SSL_free(p->server);
        close(fd);
    }
    SSL_CTX_free(p->sctx);
    tg_net_close(&p->client);
    ERR_clear_error();
}

/* Steps both ends until the client's handshake settles; returns its result. */
static enum tg_io handshake(struct pair *p, int *err, int *agains)
{
    for (int i = 0; i < 50; i++) {
        enum tg_io st = tg_net_handshake(&p->client, err);
        if (st != TG_IO_AGAIN)
            return st;
        (*agains)++;
        if (p->client.want != TG_NET_WANT_READ && p->client.want != TG_NET_WANT_WRITE)
            return TG_IO_ERROR;
        SSL_do_handshake(p->server);   /* non-blocking: does what it can */
        ERR_clear_error();
    }
    return TG_IO_ERROR;
}

TEST(tls_io_pending_and_eof)
{
    struct fixture f;
    REQUIRE(make_cert(&f) == 0);
    char why[256] = "";
    struct tg_tls *t = NULL;
    REQUIRE(tg_tls_new(f.cert_path, true, &t, why, sizeof why) == 0);
    CHECK(tg_tls_verifies(t));
    struct pair p;
    REQUIRE(pair_open(&p, &f, t, "localhost") == 0);
    int err = 0, agains = 0;
    CHECK_INT_EQ(TG_IO_OK, handshake(&p, &err, &agains));
    CHECK(agains >= 1);   /* the first step must wait for the server */
    /* the server's side finishes once it reads the client's Finished */
    for (int i = 0; i < 5 && SSL_do_handshake(p.server) != 1; i++)
        ERR_clear_error();
    CHECK(tg_tls_protocol(&p.client)[0] != '\0');

    /* nothing sent yet: AGAIN, waiting for readable */
    char buf[400];
    size_t got = 99;
    CHECK_INT_EQ(TG_IO_AGAIN, tg_net_read(&p.client, buf, sizeof buf, &got, &err));
    CHECK_UINT_EQ(TG_NET_WANT_READ, p.client.want);

    /* three records of 100 bytes, read 10 bytes at a time: the rest of a
     * record waits inside OpenSSL with nothing left on the socket */
    char rec[100];
    for (int r = 0; r < 3; r++) {
        memset(rec, 'a' + r, sizeof rec);
        REQUIRE(SSL_write(p.server, rec, sizeof rec) == (int)sizeof rec);
    }
    size_t total = 0;
    int reads = 0;
    bool saw_pending = false;
    for (;;) {
        enum tg_io st = tg_net_read(&p.client, buf + total, 10, &got, &err);
        if (st != TG_IO_OK)
            break;
        REQUIRE(got > 0 && got <= 10);
        total += got;
        reads++;
        if (tg_net_pending(&p.client))
            saw_pending = true;
        REQUIRE(total <= 300);
    }
    CHECK_UINT_EQ(300, total);
    CHECK_INT_EQ(30, reads);
    CHECK(saw_pending);
    CHECK(!tg_net_pending(&p.client));
    CHECK(buf[0] == 'a' && buf[150] == 'b' && buf[299] == 'c');

    /* client -> server, through the iovec interface (first non-empty iovec) */
    struct iovec iov[2] = { { (void *)"", 0 }, { (void *)"hello", 5 } };
    size_t put = 0;
    CHECK_INT_EQ(TG_IO_OK, tg_net_writev(&p.client, iov, 2, &put, &err));
    CHECK_UINT_EQ(5, put);
    char sbuf[16];
    CHECK_INT_EQ(5, SSL_read(p.server, sbuf, sizeof sbuf));
    CHECK_MEM_EQ("hello", 5, sbuf, 5);

    /* close_notify reads as EOF */
    SSL_shutdown(p.server);
    CHECK_INT_EQ(TG_IO_OK, tg_net_read(&p.client, buf, sizeof buf, &got, &err));
    CHECK_UINT_EQ(0, got);
    pair_close(&p);
    tg_tls_free(t);
    free_cert(&f);
}

TEST(tls_verification_table)
{
    struct fixture f;
    REQUIRE(make_cert(&f) == 0);
    static const struct {
        const char *host;
        bool use_cacert, verify;
        bool ok;
        const char *reason;   /* substring of tg_tls_describe() when it fails */
    } cases[] = {
        { "localhost", true, true, true, NULL },
        { "127.0.0.1", true, true, true, NULL },          /* IP SAN, no SNI */
        { "localhost", false, true, false, "self-signed certificate" },  /* system store */
        { "other.example", true, true, false, "mismatch" },
        { "127.0.0.2", true, true, false, "mismatch" },
        { "other.example", false, false, true, NULL },    /* --insecure */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[256] = "";
        struct tg_tls *t = NULL;
        REQUIRE(tg_tls_new(cases[i].use_cacert ? f.cert_path : NULL, cases[i].verify, &t, why, sizeof why) == 0);
        struct pair p;
        REQUIRE(pair_open(&p, &f, t, cases[i].host) == 0);
        int err = 0, agains = 0;
        enum tg_io st = handshake(&p, &err, &agains);
        if (cases[i].ok) {
            if (st != TG_IO_OK)
                fprintf(stderr, "case %zu (%s): handshake failed\n", i, cases[i].host);
            CHECK_INT_EQ(TG_IO_OK, st);
        } else {
            CHECK_INT_EQ(TG_IO_ERROR, st);
            CHECK_INT_EQ(TG_NET_ETLS, err);
            char d[200];
            CHECK(tg_tls_describe(&p.client, d, sizeof d));
            if (!strstr(d, cases[i].reason))
                fprintf(stderr, "case %zu: reason '%s' lacks '%s'\n", i, d, cases[i].reason);
            CHECK(strstr(d, cases[i].reason) != NULL);
            CHECK(!strncmp(d, "certificate verify failed: ", 27));
        }
        pair_close(&p);
        tg_tls_free(t);
    }
    free_cert(&f);
}

TEST(tls_bad_cacert)
{
    char why[256] = "";
    struct tg_tls *t = NULL;
    CHECK_INT_EQ(TG_EINVAL, tg_tls_new("/nonexistent/ca.pem", true, &t, why, sizeof why));
    CHECK(t == NULL);
    CHECK(strstr(why, "cannot load --cacert /nonexistent/ca.pem") != NULL);
    tg_tls_free(NULL);
}
