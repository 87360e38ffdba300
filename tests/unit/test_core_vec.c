/* test_core_vec.c - tg_grow: the doubling sequence from `first` or the
 * current capacity, no change when the room is there, the contents kept
 * across growth, and the overflow refusals that leave the array as it was. */
#include "core/error.h"
#include "core/vec.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

struct item { uint64_t a; double b; };

TEST(grow_doubles_from_first_then_from_cap)
{
    struct item *v = NULL;
    size_t cap = 0;
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 1, sizeof *v, 4));
    CHECK_UINT_EQ(4, cap);
    REQUIRE(v != NULL);
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 5, sizeof *v, 4));
    CHECK_UINT_EQ(8, cap);
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 100, sizeof *v, 4));   /* 8 -> 16 -> 32 -> 64 -> 128 */
    CHECK_UINT_EQ(128, cap);
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 129, sizeof *v, 1024));   /* a first above cap: from first */
    CHECK_UINT_EQ(1024, cap);
    free(v);
}

TEST(grow_first_zero_starts_at_one)
{
    char *v = NULL;
    size_t cap = 0;
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 1, 1, 0));
    CHECK_UINT_EQ(1, cap);
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 3, 1, 0));
    CHECK_UINT_EQ(4, cap);
    free(v);
}

TEST(grow_with_room_changes_nothing)
{
    struct item *v = NULL;
    size_t cap = 0;
    REQUIRE(tg_grow((void **)&v, &cap, 10, sizeof *v, 16) == 0);
    struct item *before = v;
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 16, sizeof *v, 16));
    CHECK_INT_EQ(0, tg_grow((void **)&v, &cap, 0, sizeof *v, 16));
    CHECK(v == before);
    CHECK_UINT_EQ(16, cap);
    free(v);
}

TEST(grow_keeps_the_contents)
{
    uint32_t *v = NULL;
    size_t cap = 0, n = 0;
    for (uint32_t i = 0; i < 10000; i++) {
        REQUIRE(tg_grow((void **)&v, &cap, n + 1, sizeof *v, 8) == 0);
        v[n++] = i * 7u;
    }
    CHECK_UINT_EQ(16384, cap);   /* 8 * 2^11 */
    size_t bad = 0;
    for (uint32_t i = 0; i < 10000; i++)
        bad += v[i] != i * 7u;
    CHECK_UINT_EQ(0, bad);
    free(v);
}

TEST(grow_refuses_an_overflowing_size_and_keeps_the_array)
{
    struct item *v = NULL;
    size_t cap = 0;
    REQUIRE(tg_grow((void **)&v, &cap, 3, sizeof *v, 4) == 0);
    v[0].a = 42;
    struct item *before = v;
    /* need x elem does not fit a size_t: refused before any allocation */
    CHECK_INT_EQ(TG_ENOMEM, tg_grow((void **)&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v, 4));
    CHECK_INT_EQ(TG_ENOMEM, tg_grow((void **)&v, &cap, SIZE_MAX, sizeof *v, 4));
    CHECK(v == before);
    CHECK_UINT_EQ(4, cap);
    CHECK_UINT_EQ(42, v[0].a);
    free(v);
}

TEST(grow_elem_zero_is_invalid)
{
    void *v = NULL;
    size_t cap = 0;
    CHECK_INT_EQ(TG_EINVAL, tg_grow(&v, &cap, 1, 0, 4));
    CHECK(v == NULL);
    CHECK_UINT_EQ(0, cap);
}

TEST_MAIN()
