/*
 * test_grow_sites.c - the byte readers that grow by doubling (core/vec.h's
 * tg_grow) past their first capacity: tg_read_file() from a pipe (no size
 * to start from: 4 KiB, then doubling) and from a regular file, its limit,
 * and tg_payloads_load() of a file larger than its first 64 KiB.  Contents
 * are compared byte for byte, so a growth step that lost or moved data fails.
 */
#include "core/error.h"
#include "core/fs.h"
#include "engine/payload.h"
#include "test.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* The byte at offset i of the test streams: not periodic in any power of two. */
static char byte_at(size_t i)
{
    return (char)('a' + (i * 7 + i / 251) % 26);
}

struct writer {
    int fd;
    size_t n;
};

static void *write_main(void *arg)
{
    struct writer *w = arg;
    char chunk[1000];   /* not a power of two: reads end mid-capacity */
    for (size_t off = 0; off < w->n;) {
        size_t k = w->n - off < sizeof chunk ? w->n - off : sizeof chunk;
        for (size_t i = 0; i < k; i++)
            chunk[i] = byte_at(off + i);
        ssize_t put = write(w->fd, chunk, k);
        if (put <= 0)
            break;   /* the reader stopped (its limit): EPIPE */
        off += (size_t)put;
    }
    close(w->fd);
    return NULL;
}

/* tg_read_file() of n bytes written into a pipe by another thread. */
static int read_pipe(size_t n, size_t max, char **data, size_t *len)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    struct writer w = { fds[1], n };
    pthread_t th;
    if (pthread_create(&th, NULL, write_main, &w) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[0]);
    int rc = tg_read_file(path, max, data, len);
    close(fds[0]);   /* the last read end: a writer still writing gets EPIPE */
    pthread_join(th, NULL);
    return rc;
}

static size_t mismatches(const char *data, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += data[i] != byte_at(i);
    return bad;
}

TEST(read_file_from_a_pipe_grows_past_its_first_capacity)
{
    signal(SIGPIPE, SIG_IGN);
    char *data = NULL;
    size_t len = 0;
    size_t n = 300001;   /* 4 KiB doubled seven times (512 KiB) holds it */
    CHECK_INT_EQ(0, read_pipe(n, (size_t)16 << 20, &data, &len));
    REQUIRE(data != NULL);
    printf("    read %zu bytes (wrote %zu) from a pipe\n", len, n);
    CHECK_UINT_EQ(n, len);
    CHECK_UINT_EQ(0, mismatches(data, len));
    CHECK_INT_EQ(0, data[len]);   /* NUL-terminated */
    free(data);
}

TEST(read_file_from_a_pipe_stops_at_its_limit)
{
    signal(SIGPIPE, SIG_IGN);
    char *data = (char *)"untouched";
    size_t len = 7;
    /* 10 000 allowed, 200 000 written: refused long before the end */
    CHECK_INT_EQ(TG_ETOOBIG, read_pipe(200000, 10000, &data, &len));
    CHECK(data == NULL);
    CHECK_UINT_EQ(0, len);
}

static int write_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    for (size_t i = 0; i < n; i++)
        fputc(byte_at(i), f);
    return fclose(f);
}

TEST(read_file_of_a_regular_file_reads_it_all)
{
    char path[] = "/tmp/tg_grow_sites_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    size_t n = 70000;
    REQUIRE(write_file(path, n) == 0);
    char *data = NULL;
    size_t len = 0;
    CHECK_INT_EQ(0, tg_read_file(path, 2 * n, &data, &len));
    REQUIRE(data != NULL);
    CHECK_UINT_EQ(n, len);
    CHECK_UINT_EQ(0, mismatches(data, len));
    CHECK_INT_EQ(0, data[len]);
    free(data);
    CHECK_INT_EQ(TG_ETOOBIG, tg_read_file(path, n / 2, &data, &len));
    unlink(path);
}

TEST(payloads_past_64_kib_keep_every_line)
{
    char path[] = "/tmp/tg_grow_sites_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    REQUIRE(f != NULL);
    size_t lines = 5000;   /* ~40 bytes each: ~200 KB, four growths of the read buffer */
    for (size_t i = 0; i < lines; i++)
        fprintf(f, "{\"input\": \"payload number %06zu\"}\n", i);
    REQUIRE(fclose(f) == 0);
    struct tg_payloads *p = NULL;
    char why[256];
    CHECK_INT_EQ(0, tg_payloads_load(path, NULL, &p, why, sizeof why));
    REQUIRE(p != NULL);
    printf("    %zu payloads (wrote %zu lines)\n", p->n, lines);
    CHECK_UINT_EQ(lines, p->n);
    size_t bad = 0;
    for (size_t i = 0; i < p->n && i < lines; i++) {
        char want[64];
        int k = snprintf(want, sizeof want, "{\"input\": \"payload number %06zu\"}", i);
        bad += p->items[i].len != (size_t)k || memcmp(p->items[i].line, want, (size_t)k) != 0;
    }
    CHECK_UINT_EQ(0, bad);
    tg_payloads_free(p);
    unlink(path);
}

TEST_MAIN()
