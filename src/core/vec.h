/*
 * vec.h - growing a caller's array by doubling, with the overflow checks
 * written once.
 *
 *   struct tg_row *rows; size_t n, cap;
 *   if (tg_grow((void **)&rows, &cap, n + 1, sizeof *rows, 1024)) return TG_ENOMEM;
 *   rows[n++] = row;
 *
 * Ownership: the array stays the caller's (free() it); a failed growth keeps
 * it and *cap as they were.  Thread-safe (no globals); one owner per array.
 */
#ifndef TG_CORE_VEC_H
#define TG_CORE_VEC_H

#include <stddef.h>

/* Ensures that *v, an array of *cap elements of elem bytes, has room for at
 * least need elements.  When need > *cap the capacity doubles, from *cap or
 * (when *cap is smaller) from first (0: 1), until it holds need -- clamped
 * to the largest count whose size in bytes fits a size_t -- and *v is
 * reallocated; otherwise nothing changes.  v is the address of the caller's
 * pointer to any object type, passed as (void **)&p (it is read and written
 * as bytes).  Returns 0, TG_ENOMEM (need x elem overflows size_t, or the
 * allocation failed: *v and *cap unchanged) or TG_EINVAL (elem 0). */
int tg_grow(void **v, size_t *cap, size_t need, size_t elem, size_t first);

#endif
