#include "core/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool tg_redact_is_secret_name(const char *name, size_t n)
{
    char low[128];
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[n] = '\0';
    return strstr(low, "auth") || strstr(low, "cookie") || strstr(low, "key") ||
           strstr(low, "token") || strstr(low, "secret") || strstr(low, "passw") ||
           strstr(low, "credential");
}

/* snprintf at out[*o..size), never moving *o past size - 1. */
#define PUT(...)                                                                  \
    do {                                                                          \
        int n_ = snprintf(out + o, size - o, __VA_ARGS__);                        \
        o = (n_ < 0 || (size_t)n_ >= size - o) ? size - 1 : o + (size_t)n_;       \
    } while (0)

size_t tg_redact_put_path(char *out, size_t size, size_t o, const char *path)
{
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : strlen(path);
    PUT("%.*s", (int)plen, path);
    if (!q)
        return o;
    const char *s = q + 1;
    char sep = '?';
    while (*s && o < size - 1) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        size_t nlen = eq ? (size_t)(eq - s) : len;
        if (eq && tg_redact_is_secret_name(s, nlen))
            PUT("%c%.*s=REDACTED", sep, (int)nlen, s);
        else
            PUT("%c%.*s", sep, (int)len, s);
        sep = '&';
        s += len + (amp ? 1 : 0);
    }
    if (*s && o >= size - 1) /* cut: never end in the middle of a secret value */
        return size;
    return o;
}

const char *tg_redact_url(const char *url, char *out, size_t size)
{
    static const char too_long[] = "(URL too long)";
    const char *hs = strstr(url, "://");
    hs = hs ? hs + 3 : url;
    size_t alen = strcspn(hs, "/?#");
    const char *at = NULL;
    for (const char *p = hs; p < hs + alen; p++)
        if (*p == '@')
            at = p;
    const char *rest = at ? at + 1 : hs;
    size_t o = 0;
    PUT("%.*s%s%.*s", (int)(hs - url), url, at ? "REDACTED@" : "", (int)(hs + alen - rest), rest);
    if (o >= size - 1)
        return too_long;
    if (tg_redact_put_path(out, size, o, hs + alen) >= size - 1)
        return too_long;
    return out;
}
