/*
 * test_datadir.c - the data file lookup (core/datadir.h) on a made-up tree:
 * as given, $TAILGATE_DATADIR, the source tree, BIN/../share/tailgate, the
 * compiled directory, in that order.
 */
#include "core/datadir.h"
#include "core/error.h"
#include "test.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

static void touch(const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(p, 0777);
        *s = '/';
    }
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
}

static const char *at(const char *rel)
{
    static char p[4][PATH_MAX * 2];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", root, rel);
    return p[k];
}

TEST(datadir_lookup_order)
{
    snprintf(root, sizeof root, "/tmp/tg_datadir_%d", (int)getpid());
    REQUIRE(mkdir(root, 0777) == 0 || errno == EEXIST);
    touch("tree/src/core/version.h");
    touch("tree/workload/requests.jsonl");
    touch("tree/build/release/tailgate");
    touch("inst/bin/tailgate");
    touch("inst/share/tailgate/workload/requests.jsonl");
    touch("env/workload/requests.jsonl");
    touch("compiled/workload/requests.jsonl");
    touch("compiled/workload/only-compiled.jsonl");

    char cwd[PATH_MAX];
    REQUIRE(getcwd(cwd, sizeof cwd));
    REQUIRE(chdir(root) == 0);   /* no workload/ here: "as given" misses */
    char out[PATH_MAX];
    const char *rel = "workload/requests.jsonl";
    /* the source tree, from build/release/ */
    struct tg_datadir_places pl = { .exe = at("tree/build/release/tailgate"), .compiled = at("compiled") };
    CHECK_INT_EQ(0, tg_datadir_find_in(rel, &pl, out, sizeof out));
    CHECK_STR_EQ(at("tree/workload/requests.jsonl"), out);
    /* the environment first */
    pl.env = at("env");
    CHECK_INT_EQ(0, tg_datadir_find_in(rel, &pl, out, sizeof out));
    CHECK_STR_EQ(at("env/workload/requests.jsonl"), out);
    /* a relocated install: BIN/../share/tailgate */
    pl = (struct tg_datadir_places){ .exe = at("inst/bin/tailgate"), .compiled = at("compiled") };
    CHECK_INT_EQ(0, tg_datadir_find_in(rel, &pl, out, sizeof out));
    CHECK_STR_EQ(at("inst/bin/../share/tailgate/workload/requests.jsonl"), out);
    /* the compiled directory last */
    CHECK_INT_EQ(0, tg_datadir_find_in("workload/only-compiled.jsonl", &pl, out, sizeof out));
    CHECK_STR_EQ(at("compiled/workload/only-compiled.jsonl"), out);
    /* nowhere: the path as given */
    CHECK_INT_EQ(-ENOENT, tg_datadir_find_in("workload/none.jsonl", &pl, out, sizeof out));
    CHECK_STR_EQ("workload/none.jsonl", out);
    /* as given wins (relative to the working directory) */
    REQUIRE(chdir(at("tree")) == 0);
    CHECK_INT_EQ(0, tg_datadir_find_in(rel, &pl, out, sizeof out));
    CHECK_STR_EQ(rel, out);
    /* absolute: as given, found or not */
    CHECK_INT_EQ(0, tg_datadir_find_in(at("env/workload/requests.jsonl"), &pl, out, sizeof out));
    CHECK_STR_EQ(at("env/workload/requests.jsonl"), out);
    CHECK_INT_EQ(-ENOENT, tg_datadir_find_in("/nonexistent/x.jsonl", &pl, out, sizeof out));
    /* too long for out */
    char small[8];
    CHECK_INT_EQ(TG_ERANGE, tg_datadir_find_in(rel, &pl, small, sizeof small));

    REQUIRE(chdir(cwd) == 0);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK_INT_EQ(0, system(cmd));
}

TEST(datadir_compiled_is_absolute)
{
    CHECK(tg_datadir_compiled()[0] == '/');
}

TEST_MAIN()
