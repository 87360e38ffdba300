/* test_junit.c - XML escaping of the JUnit writer (the gate's test cases are
 * covered end to end by tests/integration/test_ci_summaries). */
#include "test.h"

#include "compare/junit.h"

TEST_MAIN()

static void esc(const char *in, bool attr, char *out, size_t len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    tg_junit_escape(f, in, attr);
    fclose(f);
    snprintf(out, len, "%s", buf);
    free(buf);
}

TEST(escape_table)
{
    static const struct {
        const char *in;
        bool attr;
        const char *want;
    } cases[] = {
        { "plain", true, "plain" },
        { "a&b<c>d\"e'f", true, "a&amp;b&lt;c&gt;d&quot;e&apos;f" },
        { "line\nnext\ttab\r", true, "line&#10;next&#9;tab&#13;" },
        { "line\nnext\ttab", false, "line\nnext\ttab" },
        { "ctl\x01\x1f\x7f", false, "ctl??\x7f" },             /* C0 controls are not XML 1.0 */
        { "P95 \xe2\x89\xa4 800 \xe2\x80\x94 ok", true, "P95 \xe2\x89\xa4 800 \xe2\x80\x94 ok" },
        { "bad \xff\xfe utf8 \xc3", true, "bad ?? utf8 ?" },
        { "overlong \xc0\xaf", true, "overlong ??" },
        { "surrogate \xed\xa0\x80", true, "surrogate ???" },
        { "emoji \xf0\x9f\x98\x80", true, "emoji \xf0\x9f\x98\x80" },
        { "", true, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[256];
        esc(cases[i].in, cases[i].attr, got, sizeof got);
        CHECK_STR_EQ(cases[i].want, got);
    }
}
