/* test_redact.c - secret names, and URLs with userinfo / secret query values
 * redacted, including unparsable URLs and tiny buffers. */
#include "core/redact.h"
#include "test.h"

#include <string.h>

TEST(redact_secret_names)
{
    static const struct { const char *name; bool secret; } cases[] = {
        { "Authorization", true }, { "proxy-authorization", true }, { "X-Api-Key", true },
        { "Cookie", true },        { "Set-Cookie", true },          { "X-Session-Token", true },
        { "X-Auth-User", true },   { "client_secret", true },       { "PASSWORD", true },
        { "passwd", true },        { "X-Credentials", true },       { "api_key", true },
        { "Content-Type", false }, { "User-Agent", false },         { "model", false },
        { "X-Request-Id", false }, { "", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_INT_EQ(cases[i].secret, tg_redact_is_secret_name(cases[i].name, strlen(cases[i].name)));
}

TEST(redact_urls)
{
    static const struct { const char *in, *out; } cases[] = {
        { "http://127.0.0.1:8000/v1/infer", "http://127.0.0.1:8000/v1/infer" },
        { "http://u:pw@h:1/p", "http://REDACTED@h:1/p" },
        { "http://a@b@h/p", "http://REDACTED@h/p" },
        { "http://h/p?api_key=K&x=1", "http://h/p?api_key=REDACTED&x=1" },
        { "http://h/p?x=1&access_token=T", "http://h/p?x=1&access_token=REDACTED" },
        { "http://h/p?token", "http://h/p?token" },
        { "http://h/p?a=b", "http://h/p?a=b" },
        { "https://u:pw@h/x?key=1", "https://REDACTED@h/x?key=REDACTED" },
        { "ftp://user:pw@x/", "ftp://REDACTED@x/" },
        { "u:pw@host/p?secret=s", "REDACTED@host/p?secret=REDACTED" },
        { "http://h/p@q", "http://h/p@q" }, /* an @ in the path is not userinfo */
        { "", "" },
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR_EQ(cases[i].out, tg_redact_url(cases[i].in, out, sizeof out));
}

TEST(redact_small_buffers_never_cut_a_secret)
{
    const char *url = "http://h/p?api_key=VERYSECRETVALUE&x=1";
    for (size_t size = 32; size < 64; size++) {
        char out[64];
        const char *r = tg_redact_url(url, out, size);
        CHECK(strlen(r) < size);
        CHECK(strstr(r, "VERY") == NULL);
    }
    char out[40];
    size_t n = tg_redact_put_path(out, sizeof out, 0, "/p?x=1&token=abcdefghijklmnopqrstuvwxyz0123456789");
    CHECK_UINT_EQ(21, n);
    CHECK_STR_EQ("/p?x=1&token=REDACTED", out);
    n = tg_redact_put_path(out, sizeof out, 0, "/p?x=abcdefghijklmnopqrstuvwxyz0123456789");
    CHECK(n >= sizeof out - 1); /* cut: the caller shows "(URL too long)" */
}

TEST_MAIN()
