/*
 * canon.c - canonical outputs and the jansson helpers the dialects share
 * (see api.h and internal.h).
 */
#include "api/internal.h"

#include "core/error.h"
#include "core/hash.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- canonical text ------------------------------------------------------- */

#define F32_EXACT_INT 16777216.0 /* 2^24: every integer below is a float32 */

static int put_real(struct tg_buf *out, double x)
{
    float f = (float)x;
    double d = (double)f;
    if (!isfinite(d))
        return tg_buf_puts(out, d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    if (d == trunc(d) && fabs(d) < F32_EXACT_INT)
        return tg_buf_printf(out, "%lld", (long long)d); /* -0 becomes 0 */
    return tg_buf_printf(out, "%.9g", d);
}

int tg_api_put_string(struct tg_buf *b, const char *s, size_t n)
{
    int rc = tg_buf_reserve(b, n + 2);
    if (rc)
        return rc;
    rc = tg_buf_append(b, "\"", 1);
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        rc = tg_buf_append(b, s + i - run, run);
        run = 0;
        if (rc)
            break;
        switch (c) {
        case '"': rc = tg_buf_puts(b, "\\\""); break;
        case '\\': rc = tg_buf_puts(b, "\\\\"); break;
        case '\b': rc = tg_buf_puts(b, "\\b"); break;
        case '\f': rc = tg_buf_puts(b, "\\f"); break;
        case '\n': rc = tg_buf_puts(b, "\\n"); break;
        case '\r': rc = tg_buf_puts(b, "\\r"); break;
        case '\t': rc = tg_buf_puts(b, "\\t"); break;
        default: rc = tg_buf_printf(b, "\\u%04x", c); break;
        }
    }
    if (!rc)
        rc = tg_buf_append(b, s + n - run, run);
    return rc ? rc : tg_buf_append(b, "\"", 1);
}

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629), 0 when invalid. */
size_t tg_api_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (len > 1 && (s[1] < lo || s[1] > hi))
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Appends s[0..n) as a JSON string literal, escaped as tg_api_put_string
 * does, with every byte that does not start a valid UTF-8 sequence replaced
 * by repl.  One pass, no allocation but the buffer's growth: runs of bytes
 * that need nothing are copied at once (the servers' per-token path). */
static int put_utf8(struct tg_buf *b, const char *s, size_t n, const char *repl, size_t rlen)
{
    const unsigned char *u = (const unsigned char *)s;
    int rc = tg_buf_reserve(b, n + 2);
    if (rc)
        return rc;
    b->data[b->len++] = '"';
    size_t run = 0; /* bytes u[i - run .. i) pending, copied as they are */
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            run++;
            i++;
            continue;
        }
        size_t k = c >= 0x80 ? tg_api_utf8_seq(u + i, n - i) : 0;
        if (k) {
            run += k;
            i += k;
            continue;
        }
        if ((rc = tg_buf_append(b, s + i - run, run)) != 0)
            return rc;
        run = 0;
        i++;
        switch (c) {
        case '"': rc = tg_buf_append(b, "\\\"", 2); break;
        case '\\': rc = tg_buf_append(b, "\\\\", 2); break;
        case '\b': rc = tg_buf_append(b, "\\b", 2); break;
        case '\f': rc = tg_buf_append(b, "\\f", 2); break;
        case '\n': rc = tg_buf_append(b, "\\n", 2); break;
        case '\r': rc = tg_buf_append(b, "\\r", 2); break;
        case '\t': rc = tg_buf_append(b, "\\t", 2); break;
        default:
            rc = c < 0x20 ? tg_buf_printf(b, "\\u%04x", c) : tg_buf_append(b, repl, rlen);
            break;
        }
        if (rc)
            return rc;
    }
    if (run)
        rc = tg_buf_append(b, s + n - run, run);
    return rc ? rc : tg_buf_append(b, "\"", 1);
}

int tg_api_put_text(struct tg_buf *b, const char *s)
{
    return put_utf8(b, s, strlen(s), "?", 1);
}

int tg_api_canon_text(struct tg_buf *out, const char *text, size_t len)
{
    return put_utf8(out, text, len, "\xef\xbf\xbd", 3); /* U+FFFD */
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tg_api_canon_value(struct tg_buf *out, const json_t *v)
{
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys)
            return TG_ENOMEM;
        size_t k = 0;
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val)
            keys[k++] = key;
        qsort(keys, k, sizeof *keys, cmp_key);
        rc = tg_buf_append(out, "{", 1);
        for (size_t i = 0; i < k && !rc; i++) {
            if (i)
                rc = tg_buf_append(out, ",", 1);
            if (!rc)
                rc = tg_api_put_string(out, keys[i], strlen(keys[i]));
            if (!rc)
                rc = tg_buf_append(out, ":", 1);
            if (!rc)
                rc = tg_api_canon_value(out, json_object_get(v, keys[i]));
        }
        free(keys);
        return rc ? rc : tg_buf_append(out, "}", 1);
    }
    case JSON_ARRAY: {
        rc = tg_buf_append(out, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = tg_buf_append(out, ",", 1);
            if (!rc)
                rc = tg_api_canon_value(out, json_array_get(v, i));
        }
        return rc ? rc : tg_buf_append(out, "]", 1);
    }
    case JSON_STRING:
        return tg_api_put_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        return tg_buf_printf(out, "%lld", (long long)i);
    }
    case JSON_REAL:
        return put_real(out, json_real_value(v));
    case JSON_TRUE:
        return tg_buf_puts(out, "true");
    case JSON_FALSE:
        return tg_buf_puts(out, "false");
    case JSON_NULL:
        return tg_buf_puts(out, "null");
    }
    return TG_EINVAL;
}

int tg_api_canon_floats(struct tg_buf *out, const float *v, size_t n)
{
    int rc = tg_buf_append(out, "[", 1);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = tg_buf_append(out, ",", 1);
        if (!rc)
            rc = put_real(out, (double)v[i]);
    }
    return rc ? rc : tg_buf_append(out, "]", 1);
}

int tg_api_canon_json(struct tg_buf *out, const char *json, size_t len)
{
    json_t *v = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return TG_EPARSE;
    int rc = tg_api_canon_value(out, v);
    json_decref(v);
    return rc;
}

int tg_api_emit_text(const char *canon, size_t len, size_t i, tg_api_output_fn fn, void *ctx)
{
    char hex[TG_SHA256_HEX_LEN + 1];
    tg_sha256_hex(canon, len, hex);
    return fn(ctx, i, canon, len, hex);
}

int tg_api_emit(const json_t *v, size_t i, tg_api_output_fn fn, void *ctx, struct tg_buf *scratch)
{
    tg_buf_reset(scratch);
    int rc = tg_api_canon_value(scratch, v);
    if (rc)
        return rc;
    return tg_api_emit_text(scratch->data ? scratch->data : "", scratch->len, i, fn, ctx);
}

int tg_api_emit_each(const json_t *arr, size_t n, tg_api_output_fn fn, void *ctx,
                     struct tg_buf *scratch)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = tg_api_emit(json_array_get(arr, i), i, fn, ctx, scratch);
    return rc;
}

/* ---- parsing helpers ------------------------------------------------------ */

int tg_api_fail(char *why, size_t whylen, int rc, const char *dialect, const char *fmt, ...)
{
    if (why && whylen) {
        int w = snprintf(why, whylen, "%s: ", dialect);
        if (w >= 0 && (size_t)w < whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(why + w, whylen - (size_t)w, fmt, ap);
            va_end(ap);
        }
    }
    return rc;
}

json_t *tg_api_load(const char *dialect, const char *body, size_t len, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root)
        tg_api_fail(why, whylen, TG_EPARSE, dialect, "response body is not JSON: %s at byte %d",
                    jerr.text, jerr.position);
    return root;
}

json_t *tg_api_load_answer(const char *dialect, const char *body, size_t len, bool batched, size_t n,
                           int *rc, char *why, size_t whylen)
{
    if (!batched && n != 1) {
        *rc = TG_EINVAL;
        return NULL;
    }
    json_t *root = tg_api_load(dialect, body, len, why, whylen);
    *rc = root ? 0 : TG_EPARSE;
    return root;
}

char *tg_api_dump(const json_t *v)
{
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
}

int tg_api_line_fill(struct tg_api_line *l, const json_t *root, const json_t *item,
                     const char *const *drop)
{
    *l = (struct tg_api_line){ 0 };
    json_t *rest = json_copy((json_t *)root); /* shallow: only top-level keys are dropped */
    if (!rest)
        return TG_ENOMEM;
    for (size_t i = 0; drop && drop[i]; i++)
        json_object_del(rest, drop[i]);
    l->group = tg_api_dump(rest);
    json_decref(rest);
    l->item = tg_api_dump(item);
    json_t *m = json_object_get(root, "model");
    if (json_is_string(m))
        l->model = strdup(json_string_value(m));
    if (!l->group || !l->item || (json_is_string(m) && !l->model)) {
        tg_api_line_free(l);
        return TG_ENOMEM;
    }
    l->item_len = strlen(l->item);
    return 0;
}

int tg_api_splice_list(struct tg_buf *out, const char *group, const char *key,
                       const char *const *items, const size_t *item_lens, size_t n)
{
    size_t glen = strlen(group);
    if (n == 0 || glen < 2 || group[0] != '{' || group[glen - 1] != '}')
        return TG_EINVAL;
    size_t total = glen + strlen(key) + 8;
    for (size_t i = 0; i < n; i++)
        total += item_lens[i] + 1;
    int rc = tg_buf_reserve(out, total);
    rc = rc ? rc : tg_buf_append(out, group, glen - 1);
    if (!rc && glen > 2)
        rc = tg_buf_append(out, ",", 1);
    rc = rc ? rc : tg_buf_printf(out, "\"%s\":[", key);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = tg_buf_append(out, ",", 1);
        if (!rc)
            rc = tg_buf_append(out, items[i], item_lens[i]);
    }
    return rc ? rc : tg_buf_puts(out, "]}");
}

size_t tg_api_batch_limit(const struct tg_api_server_limits *lim, size_t spec)
{
    return lim->max_batch && lim->max_batch < spec ? lim->max_batch : spec;
}

bool tg_api_all_integers(const json_t *arr, size_t *bad)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        if (!json_is_integer(json_array_get(arr, i))) {
            *bad = i;
            return false;
        }
    }
    return true;
}

int tg_api_check_token_input(const char *dialect, const char *key, const json_t *v, char *why,
                             size_t whylen)
{
    const json_t *first = json_array_get(v, 0);
    size_t bad = 0;
    if (json_is_array(v) && json_array_size(v) == 0)
        return tg_api_fail(why, whylen, TG_EPARSE, dialect, "\"%s\" is an empty array", key);
    if (json_is_string(first) || json_is_array(first))
        return tg_api_fail(why, whylen, TG_EPARSE, dialect,
                           "the line is already a batch (\"%s\" is an array of %zu inputs); "
                           "give one input per line",
                           key, json_array_size(v));
    if (json_is_array(v) && !tg_api_all_integers(v, &bad))
        return tg_api_fail(why, whylen, TG_EPARSE, dialect, "\"%s\"[%zu] is not an integer token id",
                           key, bad);
    if (!json_is_string(v) && !json_is_array(v))
        return tg_api_fail(why, whylen, TG_EPARSE, dialect,
                           "\"%s\" must be a string or an array of integer token ids", key);
    return 0;
}

/* ---- base64 ---------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long tg_api_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4)
        return TG_EPARSE;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_value(c)) < 0) {
                return TG_EPARSE;
            }
        }
        unsigned long w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                          ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        size_t take = 3 - (size_t)pad;
        if (o + take > cap)
            return TG_ERANGE;
        out[o++] = (unsigned char)(w >> 16);
        if (take > 1)
            out[o++] = (unsigned char)(w >> 8);
        if (take > 2)
            out[o++] = (unsigned char)w;
    }
    return (long)o;
}

int tg_api_base64_put(struct tg_buf *b, const void *p, size_t n)
{
    const unsigned char *s = p;
    int rc = tg_buf_reserve(b, (n + 2) / 3 * 4);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned long w = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
        *o++ = b64[w >> 18 & 63];
        *o++ = b64[w >> 12 & 63];
        *o++ = b64[w >> 6 & 63];
        *o++ = b64[w & 63];
    }
    if (i < n) {
        unsigned long w = (unsigned long)s[i] << 16;
        if (i + 1 < n)
            w |= (unsigned long)s[i + 1] << 8;
        *o++ = b64[w >> 18 & 63];
        *o++ = b64[w >> 12 & 63];
        *o++ = i + 1 < n ? b64[w >> 6 & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

void tg_api_one_line(char *out, size_t cap, const char *s, size_t n)
{
    if (!cap)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    if (k < n) {
        /* cut: drop the last sequence when it is incomplete */
        size_t j = k;
        while (j && ((unsigned char)out[j - 1] & 0xc0) == 0x80 && k - j < 3)
            j--;
        unsigned char lead = j ? (unsigned char)out[j - 1] : 0;
        size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (lead >= 0xc0 && k - (j - 1) < want)
            k = j - 1;
    }
    out[k] = '\0';
}
