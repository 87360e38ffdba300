/*
 * url.c - the target URL: http:// or https://, a host name, an IPv4
 * dotted quad or a bracketed IPv6 literal, an optional port 1..65535, and a
 * path with its query.
 *
 * Choices: the scheme is case-insensitive; userinfo ("user@") is refused
 * (tailgate never sends credentials from a URL); a "#fragment" is stripped,
 * as a browser does, since it is never sent; a host made only of digits and
 * dots must be a valid dotted quad; path bytes must be printable ASCII
 * (anything else percent-encoded); IPv6 zone identifiers are refused.
 */
#include "http/http.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return TG_EINVAL;
}

static bool host_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static bool valid_ipv4(const char *h, size_t n)
{
    int parts = 0;
    size_t i = 0;
    while (i < n) {
        unsigned v = 0, digits = 0;
        while (i < n && h[i] >= '0' && h[i] <= '9') {
            v = v * 10 + (unsigned)(h[i++] - '0');
            if (++digits > 3)
                return false;
        }
        if (!digits || v > 255)
            return false;
        parts++;
        if (i < n) {
            if (h[i] != '.' || ++i == n)
                return false;
        }
    }
    return parts == 4;
}

static bool valid_ipv6(const char *h, size_t n)
{
    /* Character set and shape only; connect() has the last word. */
    if (n < 2)
        return false;
    int colons = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == ':')
            colons++;
        else if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == '.'))
            return false;
    }
    return colons >= 2 && colons <= 7;
}

int tg_url_parse(const char *s, struct tg_url *u, const char **why)
{
    if (!s)
        return fail(why, "no URL");
    memset(u, 0, sizeof *u);
    const char *p;
    if (strncasecmp(s, "http://", 7) == 0) {
        p = s + 7;
    } else if (strncasecmp(s, "https://", 8) == 0) {
        p = s + 8;
        u->tls = true;
    } else {
        return fail(why, "URL must start with http:// or https://");
    }

    size_t alen = strcspn(p, "/?#");
    const char *a = p, *ae = p + alen;
    if (memchr(a, '@', alen))
        return fail(why, "userinfo (user@host) is not supported in the URL");
    if (alen == 0)
        return fail(why, "URL has no host");

    const char *h, *he, *port = NULL;
    if (*a == '[') {
        const char *rb = memchr(a, ']', alen);
        if (!rb)
            return fail(why, "IPv6 literal is missing its ']'");
        h = a + 1;
        he = rb;
        if (!valid_ipv6(h, (size_t)(he - h)))
            return fail(why, "invalid IPv6 literal in URL");
        if (rb + 1 < ae) {
            if (rb[1] != ':')
                return fail(why, "unexpected characters after the IPv6 literal");
            port = rb + 2;
        }
    } else {
        const char *colon = memchr(a, ':', alen);
        h = a;
        he = colon ? colon : ae;
        if (colon)
            port = colon + 1;
        if (he == h)
            return fail(why, "URL has no host");
        bool numeric = true;
        for (const char *q = h; q < he; q++) {
            if (!host_byte((unsigned char)*q))
                return fail(why, "invalid character in URL host");
            if (!((*q >= '0' && *q <= '9') || *q == '.'))
                numeric = false;
        }
        if (numeric && !valid_ipv4(h, (size_t)(he - h)))
            return fail(why, "invalid IPv4 address in URL");
    }
    size_t hlen = (size_t)(he - h);
    if (hlen >= sizeof u->host)
        return fail(why, "URL host is too long");
    memcpy(u->host, h, hlen);
    u->host[hlen] = '\0';

    if (port) {
        unsigned v = 0;
        if (port == ae)
            return fail(why, "URL has an empty port");
        for (const char *q = port; q < ae; q++) {
            if (*q < '0' || *q > '9')
                return fail(why, "URL port is not a number");
            v = v * 10 + (unsigned)(*q - '0');
            if (v > 65535)
                return fail(why, "URL port is out of range 1..65535");
        }
        if (v == 0)
            return fail(why, "URL port is out of range 1..65535");
        u->port = (uint16_t)v;
    } else {
        u->port = u->tls ? 443 : 80;
    }

    int n;
    if (*a == '[')
        n = port ? snprintf(u->authority, sizeof u->authority, "[%s]:%u", u->host, u->port)
                 : snprintf(u->authority, sizeof u->authority, "[%s]", u->host);
    else
        n = port ? snprintf(u->authority, sizeof u->authority, "%s:%u", u->host, u->port)
                 : snprintf(u->authority, sizeof u->authority, "%s", u->host);
    if (n < 0 || (size_t)n >= sizeof u->authority)
        return fail(why, "URL host is too long");

    const char *path = ae;
    size_t plen = strcspn(path, "#");
    size_t off = 0;
    if (plen == 0 || *path == '?')
        u->path[off++] = '/';
    if (off + plen >= sizeof u->path)
        return fail(why, "URL path is too long");
    for (size_t i = 0; i < plen; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c <= 0x20 || c >= 0x7f)
            return fail(why, "URL path has a space, control or non-ASCII byte (percent-encode it)");
    }
    memcpy(u->path + off, path, plen);
    u->path[off + plen] = '\0';
    return 0;
}
