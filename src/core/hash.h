/*
 * hash.h - SHA-256 (OpenSSL libcrypto) for payload files and output hashes.
 * Thread-safe.
 */
#ifndef TG_CORE_HASH_H
#define TG_CORE_HASH_H

#include <stddef.h>

#define TG_SHA256_HEX_LEN 64

/* Writes the lowercase hex SHA-256 of p[0..n) into out (65 bytes with NUL). */
void tg_sha256_hex(const void *p, size_t n, char out[TG_SHA256_HEX_LEN + 1]);

/* Hashes a whole file. Returns 0 or -errno. */
int tg_sha256_file_hex(const char *path, char out[TG_SHA256_HEX_LEN + 1]);

#endif
