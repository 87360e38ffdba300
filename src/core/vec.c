/*
 * vec.c - array growth by doubling (vec.h).
 */
#include "core/vec.h"

#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int tg_grow(void **v, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (elem == 0)
        return TG_EINVAL;
    if (need <= *cap)
        return 0;
    size_t most = SIZE_MAX / elem;   /* the largest count whose bytes fit */
    if (need > most)
        return TG_ENOMEM;
    size_t nc = *cap > first ? *cap : first;
    if (nc == 0)
        nc = 1;
    while (nc < need)
        nc = nc > most / 2 ? most : nc * 2;
    /* through memcpy: *v is the caller's T *, not necessarily a void * object */
    void *old;
    memcpy(&old, v, sizeof old);
    void *p = realloc(old, nc * elem);
    if (!p)
        return TG_ENOMEM;
    memcpy(v, &p, sizeof p);
    *cap = nc;
    return 0;
}
