#include "test.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/time.h"
#include "core/units.h"

TEST_MAIN()

TEST(duration_table)
{
    static const struct { const char *in; uint64_t unit; int rc; uint64_t ns; } cases[] = {
        { "250ms", TG_NS_PER_S, 0, 250 * TG_NS_PER_MS },
        { "10s", TG_NS_PER_MS, 0, 10 * TG_NS_PER_S },
        { "1.5s", TG_NS_PER_MS, 0, 1500 * TG_NS_PER_MS },
        { "2m", 1, 0, 120 * TG_NS_PER_S },
        { "1h", 1, 0, 3600 * TG_NS_PER_S },
        { "500us", 1, 0, 500 * TG_NS_PER_US },
        { "7", TG_NS_PER_MS, 0, 7 * TG_NS_PER_MS },
        { "0", TG_NS_PER_MS, 0, 0 },
        { "", 1, TG_EINVAL, 0 },
        { "ms", 1, TG_EINVAL, 0 },
        { "5 ms", 1, TG_EINVAL, 0 },
        { "5x", 1, TG_EINVAL, 0 },
        { "-5s", 1, TG_ERANGE, 0 },
        { "inf", 1, TG_EINVAL, 0 },
        { "nan", 1, TG_EINVAL, 0 },
        { "1e30s", 1, TG_ERANGE, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        int rc = tg_parse_duration_ns(cases[i].in, cases[i].unit, &v);
        CHECK_INT_EQ(cases[i].rc, rc);
        if (rc == 0)
            CHECK_UINT_EQ(cases[i].ns, v);
        else
            CHECK_UINT_EQ(12345, v);
    }
}

TEST(size_and_count)
{
    uint64_t v;
    CHECK_INT_EQ(0, tg_parse_size("2k", &v));
    CHECK_UINT_EQ(2048, v);
    CHECK_INT_EQ(0, tg_parse_size("10MB", &v));
    CHECK_UINT_EQ(10u << 20, v);
    CHECK_INT_EQ(0, tg_parse_size("1GiB", &v));
    CHECK_UINT_EQ(1u << 30, v);
    CHECK_INT_EQ(TG_EINVAL, tg_parse_size("1Q", &v));
    CHECK_INT_EQ(TG_ERANGE, tg_parse_size("0.3", &v));
    CHECK_INT_EQ(0, tg_parse_count("10k", 1, 100000000, &v));
    CHECK_UINT_EQ(10000, v);
    CHECK_INT_EQ(0, tg_parse_count("10M", 1, 100000000, &v));
    CHECK_UINT_EQ(10000000, v);
    CHECK_INT_EQ(TG_ERANGE, tg_parse_count("0", 1, 10, &v));
    CHECK_INT_EQ(TG_EINVAL, tg_parse_count("1.5", 1, 10, &v));
    CHECK_INT_EQ(TG_EINVAL, tg_parse_count("abc", 1, 10, &v));
    double d;
    CHECK_INT_EQ(0, tg_parse_double("0.99", 0, 1, &d));
    CHECK_DBL_NEAR(0.99, d, 1e-12);
    CHECK_INT_EQ(TG_ERANGE, tg_parse_double("1.5", 0, 1, &d));
    CHECK_INT_EQ(TG_EINVAL, tg_parse_double("0.5x", 0, 1, &d));
}

TEST(buf_cap_keeps_contents)
{
    struct tg_buf b = TG_BUF_INIT(8);
    CHECK_INT_EQ(0, tg_buf_puts(&b, "abcdef"));
    CHECK_INT_EQ(TG_ENOMEM, tg_buf_puts(&b, "xyz"));
    CHECK_STR_EQ("abcdef", b.data);
    CHECK_INT_EQ(0, tg_buf_printf(&b, "%d", 42));
    CHECK_STR_EQ("abcdef42", b.data);
    tg_buf_consume(&b, 3);
    CHECK_STR_EQ("def42", b.data);
    tg_buf_free(&b);
    tg_buf_free(NULL);
}

TEST(sha256_known_vector)
{
    char hex[TG_SHA256_HEX_LEN + 1];
    tg_sha256_hex("abc", 3, hex);
    CHECK_STR_EQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex);
}

TEST(strerror_names_both_kinds)
{
    CHECK_STR_EQ("malformed input", tg_strerror(TG_EPARSE));
    CHECK_STR_EQ("Connection refused", tg_strerror(-111));
}

#include "core/fs.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(fs_mkdir_p_and_atomic_write)
{
    char dir[] = "/tmp/tg-fs-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    char sub[256], path[300];
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    CHECK_INT_EQ(0, tg_mkdir_p(sub));
    CHECK_INT_EQ(0, tg_mkdir_p(sub));              /* existing: still fine */
    snprintf(path, sizeof path, "%s/file.json", sub);
    CHECK_INT_EQ(0, tg_write_file_atomic(path, "{\"a\":1}\n", 8));
    FILE *f = fopen(path, "r");
    REQUIRE(f != NULL);
    char got[32] = { 0 };
    CHECK_INT_EQ(8, fread(got, 1, sizeof got - 1, f));
    fclose(f);
    CHECK_STR_EQ("{\"a\":1}\n", got);

    /* An aborted write leaves the old file and no temporary file behind. */
    struct tg_atomic_file a;
    CHECK_INT_EQ(0, tg_atomic_open(&a, path));
    fputs("half", a.f);
    tg_atomic_abort(&a);
    CHECK(access(a.tmp, F_OK) != 0);
    f = fopen(path, "r");
    REQUIRE(f != NULL);
    memset(got, 0, sizeof got);
    CHECK_INT_EQ(8, fread(got, 1, sizeof got - 1, f));
    fclose(f);
    CHECK_STR_EQ("{\"a\":1}\n", got);

    /* A full disk fails the commit and keeps the target unchanged. */
    CHECK(tg_write_file_atomic("/dev/full/x", "y", 1) < 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT_EQ(0, system(cmd));
}
