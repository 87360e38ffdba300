/*
 * test_doc.c - the --help text parser (doc/help.h) and the man page writer
 * (doc/roff.h): every kind of line, every format error, the roff escapes.
 */
#include "core/error.h"
#include "doc/help.h"
#include "doc/roff.h"
#include "test.h"

static const char sample[] =
    "usage: tailgate demo [options] URL\n"
    "\n"
    "Demo text, first line\n"
    "and its second line.\n"
    "\n"
    "Routes: a table:\n"
    "  tailgate   POST /v1/infer\n"
    "             GET /healthz\n"
    "  (server)   GET /metrics\n"
    "\n"
    "Load model:\n"
    "  -c, --concurrency N      inputs in flight (default 20);\n"
    "                           open loop: the most\n"
    "      --rate R             open loop rate\n"
    "  --profile NAME           preset:\n"
    "      fast     alpha 1 ms\n"
    "      slow     alpha 9 ms\n"
    "  -H, --header 'N: V'      extra header\n"
    "  -q                       quiet\n"
    "  -h, --help\n"
    "  (a note under the options)\n"
    "\n"
    "Exit: 0 ok, 2 usage.\n";

TEST(help_parse_every_kind_of_line)
{
    struct tg_help_doc d;
    char err[128] = "";
    REQUIRE(tg_help_parse(sample, &d, err, sizeof err) == 0);
    CHECK_STR_EQ("tailgate demo [options] URL", d.synopsis);
    REQUIRE(d.n == 12);
    CHECK_INT_EQ(TG_HELP_PARA, d.blocks[0].kind);
    CHECK_STR_EQ("Demo text, first line and its second line.", d.blocks[0].text);
    CHECK_INT_EQ(TG_HELP_HEADING, d.blocks[1].kind);
    CHECK_STR_EQ("Routes: a table", d.blocks[1].text);
    CHECK_INT_EQ(TG_HELP_VERBATIM, d.blocks[2].kind);
    CHECK_STR_EQ("tailgate   POST /v1/infer\n           GET /healthz\n(server)   GET /metrics", d.blocks[2].text);
    CHECK_INT_EQ(TG_HELP_HEADING, d.blocks[3].kind);
    CHECK_STR_EQ("Load model", d.blocks[3].text);
    const struct tg_help_block *c = &d.blocks[4];
    CHECK_INT_EQ(TG_HELP_OPTION, c->kind);
    CHECK_INT_EQ('c', c->shortopt);
    CHECK_STR_EQ("concurrency", c->longopt);
    CHECK_STR_EQ("N", c->arg);
    CHECK_STR_EQ("inputs in flight (default 20); open loop: the most", c->text);
    CHECK_INT_EQ(0, d.blocks[5].shortopt);
    CHECK_STR_EQ("rate", d.blocks[5].longopt);
    CHECK_STR_EQ("preset:\nfast     alpha 1 ms\nslow     alpha 9 ms", d.blocks[6].text);
    CHECK_STR_EQ("'N: V'", d.blocks[7].arg);
    CHECK_STR_EQ("header", d.blocks[7].longopt);
    CHECK_INT_EQ('q', d.blocks[8].shortopt);
    CHECK(d.blocks[8].longopt == NULL);
    CHECK(d.blocks[8].arg == NULL);
    CHECK_STR_EQ("quiet", d.blocks[8].text);
    CHECK_STR_EQ("help", d.blocks[9].longopt);
    CHECK(d.blocks[9].arg == NULL);
    CHECK_STR_EQ("", d.blocks[9].text);
    CHECK_INT_EQ(TG_HELP_VERBATIM, d.blocks[10].kind);
    CHECK_STR_EQ("(a note under the options)", d.blocks[10].text);
    CHECK_INT_EQ(TG_HELP_PARA, d.blocks[11].kind);
    CHECK_STR_EQ("Exit: 0 ok, 2 usage.", d.blocks[11].text);
    tg_help_doc_free(&d);
    tg_help_doc_free(&d);   /* zeroed: a no-op */
}

TEST(help_parse_rejects_what_breaks_the_format)
{
    static const struct { const char *text, *why; } bad[] = {
        { "", "usage" },
        { "Usage: tailgate x\n", "usage" },
        { "usage: x\n  --out-dir DIR one space\n", "two spaces" },
        { "usage: x\n  --Out X  upper case\n", "name" },
        { "usage: x\n  -- X  no name\n", "name" },
        { "usage: x\n  -c --count N  no comma\n", "two spaces" },
        { "usage: x\n  -c, -count N  one dash\n", "--name" },
        { "usage: x\n  -H, --header 'N: V  unterminated\n", "unterminated" },
        { "usage: x\n  --name=ARG  equals\n", "unexpected" },
        { "usage: x\n\tindented with a tab\n", "tab" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tg_help_doc d;
        char err[160] = "";
        int rc = tg_help_parse(bad[i].text, &d, err, sizeof err);
        if (rc != TG_EINVAL || !strstr(err, bad[i].why))
            TG_FAIL_AT("case %zu: expected TG_EINVAL and \"%s\" in the error, got %d \"%s\"", i, bad[i].why, rc,
                       err);
    }
}

TEST(help_parse_every_prefix)
{
    /* every prefix parses or fails cleanly (no crash, no leak under ASan) */
    size_t n = strlen(sample);
    char buf[sizeof sample];
    for (size_t k = 0; k <= n; k++) {
        memcpy(buf, sample, k);
        buf[k] = '\0';
        struct tg_help_doc d;
        char err[128];
        if (tg_help_parse(buf, &d, err, sizeof err) == 0)
            tg_help_doc_free(&d);
    }
    CHECK(1);
}

static char *man_of(const char *text)
{
    struct tg_help_doc d;
    char err[128];
    if (tg_help_parse(text, &d, err, sizeof err) != 0)
        return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    static const char *const see[] = { "tailgate(1)", NULL };
    struct tg_man_page p = { "tailgate-demo", "a demo page", "tailgate 9.9", see };
    int rc = f ? tg_man_write(f, &d, &p) : -1;
    if (f)
        fclose(f);
    tg_help_doc_free(&d);
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}

TEST(man_sections_and_escapes)
{
    char *m = man_of(sample);
    REQUIRE(m);
    static const char *const want[] = {
        ".TH \"TAILGATE\\-DEMO\" \"1\" \"\" \"tailgate 9.9\" \"User Commands\"\n",
        ".SH NAME\ntailgate\\-demo \\- a demo page\n",
        ".SH SYNOPSIS\n\\fBtailgate demo\\fR [options] URL\n",
        ".SH \"DESCRIPTION\"\n.PP\nDemo text, first line and its second line.\n",
        ".SS \"Routes: a table\"\n.PP\n.nf\ntailgate   POST /v1/infer\n",
        ".SH \"OPTIONS\"\n.SS \"Load model\"\n.TP\n\\fB\\-c\\fR, \\fB\\-\\-concurrency\\fR \\fIN\\fR\n",
        ".TP\n\\fB\\-\\-profile\\fR \\fINAME\\fR\npreset:\n.br\nfast     alpha 1 ms\n.br\nslow",
        "\\fB\\-H\\fR, \\fB\\-\\-header\\fR \\fI\\(aqN: V\\(aq\\fR\n",
        ".TP\n\\fB\\-q\\fR\nquiet\n",
        ".SH \"EXIT STATUS\"\n.PP\nExit: 0 ok, 2 usage.\n",
        ".SH \"SEE ALSO\"\n.BR tailgate (1)\n",
    };
    const char *at = m;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            TG_FAIL_AT("expected, in order:\n%s\nin the rest of the page:\n%s", want[i], at);
        else
            at = hit + strlen(want[i]);
    }
    free(m);
}

TEST(man_notes_after_the_options)
{
    char *m = man_of("usage: tailgate demo\n\nText.\n\n  -x  an option\n\nA note.\n\nExit: 0.\n");
    REQUIRE(m);
    CHECK(strstr(m, ".SH \"OPTIONS\"\n.TP\n\\fB\\-x\\fR\nan option\n.SH \"NOTES\"\n.PP\nA note.\n"
                    ".SH \"EXIT STATUS\"\n.PP\nExit: 0.\n") != NULL);
    free(m);
    /* no options: all description */
    m = man_of("usage: tailgate demo\n\nText.\n");
    REQUIRE(m);
    CHECK(strstr(m, ".SH \"DESCRIPTION\"\n.PP\nText.\n") != NULL);
    CHECK(strstr(m, "OPTIONS") == NULL);
    free(m);
}

TEST(roff_text_escapes)
{
    static const struct { const char *in, *out; } cases[] = {
        { "a-b", "a\\-b" },
        { "back\\slash", "back\\eslash" },
        { ".starts with a dot", "\\&.starts with a dot" },
        { "'quoted'", "\\&\\(aqquoted\\(aq" },
        { "`cmd`", "\\(gacmd\\(ga" },
        { "row\n.dot", "row\n\\&.dot" },
        { "say \"hi\"", "say \"hi\"" },
        /* UTF-8 becomes groff's \[uXXXX] (troff reads bytes as Latin-1) */
        { "x \xc3\x97 2, \xe2\x80\xa6, \xf0\x9f\x98\x80", "x \\[u00D7] 2, \\[u2026], \\[u1F600]" },
        /* invalid: a lone continuation byte, a truncated sequence, an overlong form, a surrogate */
        { "\x80|\xe2\x80|\xc0\xaf|\xed\xa0\x80", "\\[uFFFD]|\\[uFFFD]\\[uFFFD]|\\[uFFFD]\\[uFFFD]|\\[uFFFD]\\[uFFFD]\\[uFFFD]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        REQUIRE(f);
        tg_roff_text(f, cases[i].in);
        fclose(f);
        CHECK_STR_EQ(cases[i].out, out);
        free(out);
    }
}

TEST_MAIN()
