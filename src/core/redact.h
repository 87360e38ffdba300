/*
 * redact.h - keeping secrets out of files and messages: which header or
 * query names hold secrets, and a URL with its userinfo and secret query
 * values replaced by REDACTED.
 *
 * Pure functions on caller buffers; thread-safe.
 */
#ifndef TG_CORE_REDACT_H
#define TG_CORE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* True when name[0..n) (a header or query parameter name, any case)
 * contains auth, cookie, key, token, secret, passw or credential. */
bool tg_redact_is_secret_name(const char *name, size_t n);

/* Appends path (with its ?query) to out at offset o, values of secret query
 * names replaced by REDACTED.  out has size bytes, o < size; the result is
 * NUL-terminated and cut at size - 1.  Returns the new length. */
size_t tg_redact_put_path(char *out, size_t size, size_t o, const char *path);

/* url as the user gave it (need not be valid), for messages and files:
 * userinfo replaced by "REDACTED@", secret query values redacted.  Returns
 * out, or a static "(URL too long)" when it does not fit in size bytes
 * (size >= 32). */
const char *tg_redact_url(const char *url, char *out, size_t size);

#endif
