#include "core/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void tg_sha256_hex(const void *p, size_t n, char out[TG_SHA256_HEX_LEN + 1])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    EVP_Digest(p, n, d, &dn, EVP_sha256(), NULL);
    to_hex(d, dn, out);
}

int tg_sha256_file_hex(const char *path, char out[TG_SHA256_HEX_LEN + 1])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ? 0 : -ENOMEM;
    unsigned char chunk[65536];
    size_t n;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        EVP_DigestUpdate(ctx, chunk, n);
    if (!rc && ferror(f))
        rc = -EIO;
    if (!rc) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned dn = 0;
        EVP_DigestFinal_ex(ctx, d, &dn);
        to_hex(d, dn, out);
    }
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}
