/*
 * test.h - the unit-test harness: one file per module, TEST() functions
 * registered at load time, checks that print both sides, and a runner that
 * ends with "N passed, N failed".
 *
 *   TEST(parse_ms) { CHECK_INT_EQ(0, tg_parse_duration_ns("5ms", 1, &v)); ... }
 *
 * A test passes when none of its checks failed.  Checks do not abort the test
 * unless REQUIRE_* is used.  SKIP("reason") ends a test that cannot run here
 * (counted as skipped, never as passed).  The last line is
 * "N passed, N failed, N skipped"; a test past TG_TEST_MAX is not dropped
 * silently: the binary fails and says so.
 */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*tg_test_fn)(void);
struct tg_test { const char *name; tg_test_fn fn; };

#define TG_TEST_MAX 512
extern struct tg_test tg_tests[TG_TEST_MAX];
extern int tg_test_count;
extern int tg_test_dropped;        /* TEST()s past TG_TEST_MAX: a failure of the binary */
extern int tg_test_failed_checks;
extern const char *tg_test_skip_reason;

#define TEST(name)                                                            \
    static void test_##name(void);                                            \
    __attribute__((constructor)) static void register_##name(void)            \
    {                                                                         \
        if (tg_test_count < TG_TEST_MAX)                                      \
            tg_tests[tg_test_count++] = (struct tg_test){ #name, test_##name }; \
        else                                                                  \
            tg_test_dropped++;                                                \
    }                                                                         \
    static void test_##name(void)

#define TG_FAIL_AT(...)                                                       \
    do {                                                                      \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                     \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        tg_test_failed_checks++;                                              \
    } while (0)

#define CHECK(cond)                                                           \
    do { if (!(cond)) TG_FAIL_AT("CHECK(%s) is false", #cond); } while (0)

#define CHECK_INT_EQ(expected, actual)                                        \
    do {                                                                      \
        long long e_ = (long long)(expected), a_ = (long long)(actual);       \
        if (e_ != a_)                                                         \
            TG_FAIL_AT("%s: expected %lld, got %lld", #actual, e_, a_);       \
    } while (0)

#define CHECK_UINT_EQ(expected, actual)                                       \
    do {                                                                      \
        unsigned long long e_ = (unsigned long long)(expected),               \
                           a_ = (unsigned long long)(actual);                 \
        if (e_ != a_)                                                         \
            TG_FAIL_AT("%s: expected %llu, got %llu", #actual, e_, a_);       \
    } while (0)

#define CHECK_DBL_NEAR(expected, actual, tol)                                 \
    do {                                                                      \
        double e_ = (expected), a_ = (actual);                                \
        if (!(fabs(e_ - a_) <= (tol)))                                        \
            TG_FAIL_AT("%s: expected %.9g ± %g, got %.9g", #actual, e_,       \
                       (double)(tol), a_);                                    \
    } while (0)

#define CHECK_STR_EQ(expected, actual)                                        \
    do {                                                                      \
        const char *e_ = (expected), *a_ = (actual);                          \
        if (!e_ || !a_ || strcmp(e_, a_) != 0)                                \
            TG_FAIL_AT("%s: expected \"%s\", got \"%s\"", #actual,            \
                       e_ ? e_ : "(null)", a_ ? a_ : "(null)");               \
    } while (0)

#define CHECK_MEM_EQ(expected, elen, actual, alen)                            \
    do {                                                                      \
        size_t el_ = (elen), al_ = (alen);                                    \
        if (el_ != al_ || memcmp((expected), (actual), el_) != 0)             \
            TG_FAIL_AT("%s: expected \"%.*s\", got \"%.*s\"", #actual,        \
                       (int)el_, (const char *)(expected), (int)al_,          \
                       (const char *)(actual));                               \
    } while (0)

/* Like CHECK, but returns from the test function on failure. */
#define REQUIRE(cond)                                                         \
    do { if (!(cond)) { TG_FAIL_AT("REQUIRE(%s) is false", #cond); return; } } while (0)

/* Ends the current test as skipped, with a reason printed next to its name. */
#define SKIP(reason)                                                          \
    do { tg_test_skip_reason = (reason); return; } while (0)

/* Defines tg_tests[] and main(); put it in exactly one .c per test binary. */
#define TEST_MAIN()                                                           \
    struct tg_test tg_tests[TG_TEST_MAX];                                     \
    int tg_test_count, tg_test_dropped, tg_test_failed_checks;                \
    const char *tg_test_skip_reason;                                          \
    int main(int argc, char **argv)                                           \
    {                                                                         \
        int passed = 0, failed = 0, skipped = 0;                              \
        for (int i = 0; i < tg_test_count; i++) {                             \
            if (argc > 1 && !strstr(tg_tests[i].name, argv[1]))               \
                continue;                                                     \
            int before = tg_test_failed_checks;                               \
            tg_test_skip_reason = NULL;                                       \
            tg_tests[i].fn();                                                 \
            int ok = tg_test_failed_checks == before;                         \
            if (ok && tg_test_skip_reason) {                                  \
                printf("skip %s (%s)\n", tg_tests[i].name, tg_test_skip_reason); \
                skipped++;                                                    \
                continue;                                                     \
            }                                                                 \
            printf("%s %s\n", ok ? "ok  " : "FAIL", tg_tests[i].name);       \
            fflush(stdout);                                                   \
            ok ? passed++ : failed++;                                         \
        }                                                                     \
        if (tg_test_dropped) {                                                \
            printf("FAIL %d tests past TG_TEST_MAX (%d) were not run\n",      \
                   tg_test_dropped, TG_TEST_MAX);                             \
            failed += tg_test_dropped;                                        \
        }                                                                     \
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped); \
        return failed ? 1 : 0;                                                \
    }

#endif
