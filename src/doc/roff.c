/*
 * roff.c - man pages from parsed --help texts (see roff.h).
 */
#include "doc/roff.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Escapes s; in_arg: inside a quoted macro argument (a '"' is \(dq). */
static void put_escaped_n(FILE *f, const char *s, size_t n, bool in_arg)
{
    bool bol = !in_arg;
    for (const char *end = s + n; s < end; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        bol = false;
        switch (*s) {
        case '\\': fputs("\\e", f); break;
        case '-': fputs("\\-", f); break;
        /* as typed, not as typographic quotes: -H 'N: V' copies and runs */
        case '\'': fputs("\\(aq", f); break;
        case '`': fputs("\\(ga", f); break;
        case '"': fputs(in_arg ? "\\(dq" : "\"", f); break;
        case '\n':
            fputc('\n', f);
            bol = true;
            break;
        default: {
            /* a UTF-8 sequence is groff's \[uXXXX] (troff reads bytes as Latin-1);
             * an invalid byte is written as U+FFFD */
            unsigned char c = (unsigned char)*s;
            if (c < 0x80) {
                fputc(c, f);
                break;
            }
            int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            unsigned long cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0fu : c & 0x1fu;
            int k = 1;
            for (; len && k < len && s + k < end && ((unsigned char)s[k] & 0xc0) == 0x80; k++)
                cp = cp << 6 | ((unsigned char)s[k] & 0x3fu);
            if (!len || k < len || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                (cp >= 0xd800 && cp <= 0xdfff)) {
                fputs("\\[uFFFD]", f);
                break;
            }
            fprintf(f, "\\[u%04lX]", cp);
            s += len - 1;
        }
        }
    }
}

static void put_escaped(FILE *f, const char *s, bool in_arg)
{
    put_escaped_n(f, s, strlen(s), in_arg);
}

void tg_roff_text(FILE *f, const char *s)
{
    put_escaped(f, s, false);
}

void tg_roff_title(FILE *f, const struct tg_man_page *page)
{
    char upper[128];
    size_t i;
    for (i = 0; page->name[i] && i + 1 < sizeof upper; i++)
        upper[i] = (char)toupper((unsigned char)page->name[i]);
    upper[i] = '\0';
    fputs(".TH \"", f);
    put_escaped(f, upper, true);
    fputs("\" \"1\" \"\" \"", f);
    put_escaped(f, page->version, true);
    fputs("\" \"User Commands\"\n", f);
    /* ragged right, no hyphenation: option names and paths stay whole */
    fputs(".ad l\n.nh\n", f);
}

void tg_roff_see_also(FILE *f, const struct tg_man_page *page)
{
    if (!page->see_also || !page->see_also[0])
        return;
    fputs(".SH \"SEE ALSO\"\n", f);
    for (const char *const *s = page->see_also; *s; s++) {
        const char *paren = strchr(*s, '(');
        size_t n = paren ? (size_t)(paren - *s) : strlen(*s);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)n, *s);
        fputs(".BR ", f);
        put_escaped(f, name, true);
        fprintf(f, " %s%s\n", paren ? paren : "", s[1] ? "," : "");
    }
}

static void put_option_tag(FILE *f, const struct tg_help_block *b)
{
    fputs(".TP\n", f);
    if (b->shortopt)
        fprintf(f, "\\fB\\-%c\\fR%s", b->shortopt, b->longopt ? ", " : "");
    if (b->longopt) {
        fputs("\\fB\\-\\-", f);
        put_escaped(f, b->longopt, true);
        fputs("\\fR", f);
    }
    if (b->arg) {
        fputs(" \\fI", f);
        put_escaped(f, b->arg, true);
        fputs("\\fR", f);
    }
    fputc('\n', f);
}

static void put_rows(FILE *f, const char *text)
{
    /* "\n" in an option's text starts a row: a line of its own */
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (s != text)
            fputs(".br\n", f);
        put_escaped_n(f, s, n, false);
        fputc('\n', f);
        s += n + (nl ? 1 : 0);
    }
}

enum section { SEC_NONE, SEC_DESCRIPTION, SEC_OPTIONS, SEC_NOTES, SEC_EXIT };

static const char *const section_names[] = { "", "DESCRIPTION", "OPTIONS", "NOTES", "EXIT STATUS" };

int tg_man_write(FILE *f, const struct tg_help_doc *doc, const struct tg_man_page *page)
{
    /* the options: from the first option (or the heading just before it) to the last */
    size_t first = doc->n, last = 0;
    for (size_t i = 0; i < doc->n; i++)
        if (doc->blocks[i].kind == TG_HELP_OPTION) {
            if (first == doc->n)
                first = i > 0 && doc->blocks[i - 1].kind == TG_HELP_HEADING ? i - 1 : i;
            last = i;
        }

    tg_roff_title(f, page);
    fputs(".SH NAME\n", f);
    put_escaped(f, page->name, false);
    fputs(" \\- ", f);
    put_escaped(f, page->summary, false);
    fputs("\n.SH SYNOPSIS\n", f);
    /* the command's own words in bold: "tailgate run" of "tailgate run [options] URL" */
    const char *syn = doc->synopsis;
    size_t words = strchr(page->name, '-') ? 2 : 1, cut = 0;
    for (size_t w = 0; w < words && syn[cut]; w++) {
        while (syn[cut] && syn[cut] != ' ')
            cut++;
        if (w + 1 < words && syn[cut] == ' ')
            cut++;
    }
    fputs("\\fB", f);
    put_escaped_n(f, syn, cut, true);
    fputs("\\fR", f);
    put_escaped(f, syn + cut, true);
    fputc('\n', f);

    enum section sec = SEC_NONE;
    for (size_t i = 0; i < doc->n; i++) {
        const struct tg_help_block *b = &doc->blocks[i];
        enum section want;
        if (first == doc->n || i < first)
            want = SEC_DESCRIPTION;
        else if (i <= last)
            want = SEC_OPTIONS;
        else
            want = b->kind == TG_HELP_PARA && !strncmp(b->text, "Exit", 4) ? SEC_EXIT
                   : sec == SEC_EXIT ? SEC_EXIT : SEC_NOTES;
        if (want != sec) {
            fprintf(f, ".SH \"%s\"\n", section_names[want]);
            sec = want;
        }
        switch (b->kind) {
        case TG_HELP_PARA:
            fputs(".PP\n", f);
            put_escaped(f, b->text, false);
            fputc('\n', f);
            break;
        case TG_HELP_HEADING:
            fputs(".SS \"", f);
            put_escaped(f, b->text, true);
            fputs("\"\n", f);
            break;
        case TG_HELP_OPTION:
            put_option_tag(f, b);
            put_rows(f, b->text);
            break;
        case TG_HELP_VERBATIM:
            fputs(".PP\n.nf\n", f);
            put_escaped(f, b->text, false);
            fputs("\n.fi\n", f);
            break;
        }
    }
    tg_roff_see_also(f, page);
    fflush(f);
    return ferror(f) ? -(errno ? errno : EIO) : 0;
}
