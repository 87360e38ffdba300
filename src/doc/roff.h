/*
 * roff.h - man pages (man(7) macros) from a parsed --help text (doc/help.h).
 * Writers take a FILE * and return 0 or -errno of the first failed write.
 * Thread-safe on distinct streams.
 */
#ifndef TG_DOC_ROFF_H
#define TG_DOC_ROFF_H

#include "doc/help.h"

#include <stdio.h>

struct tg_man_page {
    const char *name;                  /* "tailgate-run": the page's name */
    const char *summary;               /* one line for NAME (whatis) */
    const char *version;               /* "tailgate 0.1.0": the footer */
    const char *const *see_also;       /* "tailgate(1)", ...; NULL-terminated, may be NULL */
};

/* Writes the page: NAME, SYNOPSIS, then the blocks in their order under
 * DESCRIPTION (before the first option or option heading), OPTIONS (up to
 * the last option), NOTES (prose after it) and EXIT STATUS (a paragraph
 * starting "Exit"), then SEE ALSO.  Every '-' is written as "\-" (ASCII
 * hyphen-minus in the rendered page: options copy and search as typed). */
int tg_man_write(FILE *f, const struct tg_help_doc *doc, const struct tg_man_page *page);

/* Writes s escaped as roff text (backslashes, hyphens, a leading '.' or
 * '\''); no newline is added.  For pages composed by hand (tailgate(1)). */
void tg_roff_text(FILE *f, const char *s);

/* Writes ".TH" for page (upper-cased name, section 1, the version footer). */
void tg_roff_title(FILE *f, const struct tg_man_page *page);

/* Writes the SEE ALSO section of page (nothing when it names none). */
void tg_roff_see_also(FILE *f, const struct tg_man_page *page);

#endif
