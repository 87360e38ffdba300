/*
 * checkstr.h - a check test.h lacks: a text holds a substring.  Like test.h's
 * checks it prints both sides when it fails and does not end the test.
 * Include after test.h.  (A candidate for test.h itself.)
 */
#ifndef TG_TEST_CHECKSTR_H
#define TG_TEST_CHECKSTR_H

#include <string.h>

/* hay (NUL-terminated) holds needle; NULL on either side fails. */
#define CHECK_STR_HAS(needle, hay)                                            \
    do {                                                                      \
        const char *n_ = (needle), *h_ = (hay);                               \
        if (!n_ || !h_ || !strstr(h_, n_))                                    \
            TG_FAIL_AT("%s: \"%s\" lacks \"%s\"", #hay, h_ ? h_ : "(null)",   \
                       n_ ? n_ : "(null)");                                   \
    } while (0)

#endif
