/*
 * tls.c - the run's SSL_CTX and per-connection set-up (see tls.h).
 */
#include "engine/tls.h"

#include "core/error.h"
#include "engine/net.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tg_tls {
    SSL_CTX *ctx;
    bool verify;
};

static void openssl_reason(char *why, size_t n, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[200] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    snprintf(why, n, "%s%s%s", what, e ? ": " : "", buf);
}

int tg_tls_new(const char *cacert, bool verify, struct tg_tls **out, char *why, size_t whylen)
{
    int rc = TG_ENOMEM;
    struct tg_tls *t = calloc(1, sizeof *t);
    if (!t)
        return TG_ENOMEM;
    t->verify = verify;
    if (!(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        openssl_reason(why, whylen, "SSL_CTX_new");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    /* Partial writes and a retried write from a moved buffer: the engine's
     * write loop keeps its own offset, like for plain sockets. */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    if (verify) {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
        if (cacert) {
            if (SSL_CTX_load_verify_locations(t->ctx, cacert, NULL) != 1) {
                char what[300];
                snprintf(what, sizeof what, "cannot load --cacert %.200s", cacert);
                openssl_reason(why, whylen, what);
                rc = TG_EINVAL;
                goto fail;
            }
        } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
            openssl_reason(why, whylen, "cannot load the system CA store");
            rc = TG_EINVAL;
            goto fail;
        }
    } else {
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    }
    *out = t;
    return 0;
fail:
    tg_tls_free(t);
    return rc;
}

void tg_tls_free(struct tg_tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

bool tg_tls_verifies(const struct tg_tls *t) { return t && t->verify; }

static bool ip_literal(const char *host)
{
    unsigned char a[16];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

int tg_tls_attach(struct tg_tls *t, struct tg_net_conn *nc, const char *host)
{
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl)
        goto fail;
    if (SSL_set_fd(ssl, nc->fd) != 1)
        goto fail;
    bool ip = ip_literal(host);
    if (!ip && SSL_set_tlsext_host_name(ssl, host) != 1)
        goto fail;
    if (t->verify) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        if (ip) {
            if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
                goto fail;
        } else {
            X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (SSL_set1_host(ssl, host) != 1)
                goto fail;
        }
    }
    SSL_set_connect_state(ssl);
    nc->ssl = ssl;
    return 0;
fail:
    ERR_clear_error();
    SSL_free(ssl);
    return TG_ENOMEM;
}

bool tg_tls_describe(const struct tg_net_conn *nc, char *buf, size_t n)
{
    if (nc->verify_result != X509_V_OK) {
        long v = nc->verify_result;
        const char *s = X509_verify_cert_error_string(v);
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            snprintf(buf, n, "certificate verify failed: %s (the certificate is for another name)", s);
        else
            snprintf(buf, n, "certificate verify failed: %s", s);
        return true;
    }
    if (!nc->tls_err) {
        snprintf(buf, n, "connection closed by peer during the TLS handshake");
        return false;
    }
    const char *r = ERR_reason_error_string(nc->tls_err);
    snprintf(buf, n, "%s", r ? r : "TLS error");
    return false;
}

const char *tg_tls_protocol(const struct tg_net_conn *nc)
{
    return nc->ssl ? SSL_get_version(nc->ssl) : "";
}

const char *tg_tls_cipher(const struct tg_net_conn *nc)
{
    return nc->ssl ? SSL_get_cipher_name(nc->ssl) : "";
}
