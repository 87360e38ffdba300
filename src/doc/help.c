/*
 * help.c - the --help text parser (see help.h for the format).
 */
#include "doc/help.h"

#include "core/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines indented less than this under an option are rows of a list. */
#define ROW_INDENT 12

struct parser {
    struct tg_help_doc *doc;
    char *out;       /* the next free byte of the text area */
    char *err;
    size_t errlen;
    bool full;       /* a block past TG_HELP_MAX_BLOCKS was dropped */
};

static int fail(struct parser *p, size_t lineno, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(p->err, p->errlen, "line %zu: ", lineno);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return TG_EINVAL;
}

static size_t indent_of(const char *s)
{
    size_t i = 0;
    while (s[i] == ' ')
        i++;
    return i;
}

/* Starts a block whose text begins at the text area's end. */
static struct tg_help_block *add(struct parser *p, enum tg_help_kind kind)
{
    if (p->doc->n == TG_HELP_MAX_BLOCKS) {
        p->full = true;
        return NULL;
    }
    if (p->doc->n > 0)
        p->out++;   /* past the previous block's NUL */
    struct tg_help_block *b = &p->doc->blocks[p->doc->n++];
    *b = (struct tg_help_block){ .kind = kind, .text = p->out };
    *p->out = '\0';
    return b;
}

/* Appends s to the last block's text (which ends the text area), after sep
 * unless the text is still empty.  The area holds it: the text area is as
 * large as the input, and every input line adds at most its length + 1. */
static void append(struct parser *p, struct tg_help_block *b, char sep, const char *s)
{
    if (*b->text)
        *p->out++ = sep;
    size_t n = strlen(s);
    memcpy(p->out, s, n);
    p->out += n;
    *p->out = '\0';
}

static bool is_name_char(char c)
{
    return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-';
}

/* Parses an option line in place (NULs end the name and the argument) into
 * b; returns 0 or TG_EINVAL with the reason. */
static int parse_option(struct parser *p, size_t lineno, char *s, struct tg_help_block *b)
{
    char *name_end = NULL, *arg_end = NULL;
    if (s[1] != '-') {
        if (!isalnum((unsigned char)s[1]))
            return fail(p, lineno, "option line: '-' and a letter or digit expected");
        b->shortopt = s[1];
        s += 2;
        if (*s == ',') {
            if (s[1] != ' ' || s[2] != '-' || s[3] != '-')
                return fail(p, lineno, "option line: \", --name\" expected after the short option");
            s += 2;
        }
    }
    if (s[0] == '-' && s[1] == '-') {
        char *n = s + 2;
        while (is_name_char(*n))
            n++;
        if (n == s + 2 || s[2] == '-')
            return fail(p, lineno, "option line: a name expected after '--'");
        b->longopt = s + 2;
        name_end = n;
        s = n;
    }
    if (*s != '\0' && *s != ' ')
        return fail(p, lineno, "option line: unexpected '%c' after the option name", *s);
    if (s[0] == ' ' && s[1] != ' ' && s[1] != '\0') {
        char *a = s + 1;
        char *e;
        if (*a == '\'') {
            e = strchr(a + 1, '\'');
            if (!e)
                return fail(p, lineno, "option line: unterminated quoted argument");
            e++;
        } else {
            e = a;
            while (*e && *e != ' ')
                e++;
        }
        b->arg = a;
        arg_end = e;
        s = e;
    }
    if (s[0] == ' ' && s[1] != ' ' && s[1] != '\0')
        return fail(p, lineno, "option line: two spaces needed between the option and its description");
    while (*s == ' ')
        s++;
    if (name_end)
        *name_end = '\0';
    if (arg_end)
        *arg_end = '\0';
    append(p, b, ' ', s);
    return 0;
}

int tg_help_parse(const char *text, struct tg_help_doc *doc, char *err, size_t errlen)
{
    size_t len = strlen(text);
    memset(doc, 0, sizeof *doc);
    /* the lines (a copy, cut in place), then the blocks' texts */
    char *storage = malloc(2 * (len + 1));
    char **lines = NULL;
    size_t nlines = 1;
    for (const char *c = text; *c; c++)
        nlines += *c == '\n';
    if (storage)
        lines = malloc(nlines * sizeof *lines);
    if (!storage || !lines) {
        free(storage);
        free(lines);
        snprintf(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    memcpy(storage, text, len + 1);
    nlines = 0;
    for (char *l = storage; l;) {
        lines[nlines++] = l;
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        l = nl ? nl + 1 : NULL;
    }
    if (nlines > 0 && lines[nlines - 1][0] == '\0')
        nlines--;   /* the final newline */
    struct parser p = { .doc = doc, .out = storage + len + 1, .err = err, .errlen = errlen };
    doc->storage = storage;
    int rc = 0;
    struct tg_help_block *cur = NULL;   /* the block the next line may continue */

    for (size_t i = 0; i < nlines && !rc; i++) {
        char *line = lines[i];
        size_t lineno = i + 1;
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == ' ')
            line[--n] = '\0';
        if (strchr(line, '\t') || strchr(line, '\r')) {
            rc = fail(&p, lineno, "a tab or carriage return (spaces only)");
            break;
        }
        if (i == 0) {
            if (strncmp(line, "usage: ", 7) != 0) {
                rc = fail(&p, lineno, "the first line must be \"usage: ...\"");
                break;
            }
            doc->synopsis = line + 7;
            continue;
        }
        if (n == 0) {
            cur = NULL;
            continue;
        }
        size_t ind = indent_of(line);
        if (ind == 0) {
            if (cur && cur->kind == TG_HELP_PARA) {
                append(&p, cur, ' ', line);
                continue;
            }
            bool next_indented = i + 1 < nlines && lines[i + 1][0] == ' ';
            if (line[n - 1] == ':' && next_indented) {
                line[n - 1] = '\0';
                if (!(cur = add(&p, TG_HELP_HEADING)))
                    break;
                append(&p, cur, ' ', line);
                cur = NULL;
                continue;
            }
            if (!(cur = add(&p, TG_HELP_PARA)))
                break;
            append(&p, cur, ' ', line);
            continue;
        }
        if (ind >= 2 && ind <= 6 && line[ind] == '-') {
            if (!(cur = add(&p, TG_HELP_OPTION)))
                break;
            rc = parse_option(&p, lineno, line + ind, cur);
            continue;
        }
        if (cur && cur->kind == TG_HELP_OPTION && ind > 2) {
            append(&p, cur, ind < ROW_INDENT ? '\n' : ' ', line + ind);
            continue;
        }
        if (cur && cur->kind == TG_HELP_VERBATIM) {
            append(&p, cur, '\n', line + 2);
            continue;
        }
        if (!(cur = add(&p, TG_HELP_VERBATIM)))
            break;
        append(&p, cur, '\n', line + (ind >= 2 ? 2 : ind));
    }
    free(lines);
    if (!rc && p.full)
        rc = fail(&p, nlines, "more than %d blocks", TG_HELP_MAX_BLOCKS);
    if (!rc && !doc->synopsis)
        rc = fail(&p, 1, "empty text (no \"usage: ...\" line)");
    if (rc) {
        free(storage);
        memset(doc, 0, sizeof *doc);
    }
    return rc;
}

void tg_help_doc_free(struct tg_help_doc *doc)
{
    free(doc->storage);
    memset(doc, 0, sizeof *doc);
}
