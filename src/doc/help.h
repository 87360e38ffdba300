/*
 * help.h - a subcommand's --help text, parsed into blocks, so that its man
 * page (doc/roff.h), its shell completion and the check against the getopt
 * table all come from the one text --help prints: they cannot drift.
 *
 * The --help format (strict: tg_help_parse rejects a line that breaks it):
 *   - line 1: "usage: tailgate CMD ..." (the synopsis);
 *   - a column-0 line after a blank line (or after an option) that ends in
 *     ':' and is followed by an indented line: a heading ("Load model:");
 *   - other column-0 lines: prose; consecutive lines are one paragraph; a
 *     paragraph that starts "Exit" is the exit status;
 *   - an option line: 2 to 6 spaces, then "-x, --name ARG", "--name ARG",
 *     "-x ARG" or "-x, --name" (ARG optional: one word, or a 'quoted'
 *     string), then two or more spaces and the description (or nothing);
 *   - its continuation lines: indented more than 2 columns and not option
 *     lines; one indented less than 12 columns is a row of its own (a list
 *     under the option), deeper ones are the description wrapped;
 *   - any other indented line (2 spaces, not a '-'), with the indented
 *     lines that follow it, is verbatim text (a table: the routes of serve).
 * Pure: no I/O; thread-safe on distinct docs.
 */
#ifndef TG_DOC_HELP_H
#define TG_DOC_HELP_H

#include <stddef.h>

enum tg_help_kind { TG_HELP_PARA, TG_HELP_HEADING, TG_HELP_OPTION, TG_HELP_VERBATIM };

/* One block.  Strings point into the doc's own storage.  text: a paragraph's
 * or heading's words (lines joined by ' '), a verbatim block's lines ('\n'
 * between them), an option's description (wrapped lines joined by ' ', a
 * list row after '\n'; "" when none). */
struct tg_help_block {
    enum tg_help_kind kind;
    char shortopt;          /* option: 'c' of "-c", else '\0' */
    const char *longopt;    /* option: "concurrency" of "--concurrency", or NULL */
    const char *arg;        /* option: "N", "'N: V'", or NULL when it takes none */
    const char *text;
};

#define TG_HELP_MAX_BLOCKS 256

struct tg_help_doc {
    const char *synopsis;   /* after "usage: ", e.g. "tailgate run [options] URL" */
    struct tg_help_block blocks[TG_HELP_MAX_BLOCKS];
    size_t n;
    char *storage;          /* owned */
};

/* Parses text (the whole --help output).  0 and *doc filled (free it with
 * tg_help_doc_free), or TG_EINVAL with "line N: why" in err, or TG_ENOMEM;
 * on error *doc needs no free. */
int tg_help_parse(const char *text, struct tg_help_doc *doc, char *err, size_t errlen);

/* Frees doc's storage; doc may be zeroed (a no-op then). */
void tg_help_doc_free(struct tg_help_doc *doc);

#endif
