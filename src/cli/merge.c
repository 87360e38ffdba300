/*
 * merge.c - `tailgate merge -o OUT SHARD_DIR...`: joins the shards of one
 * distributed run (docs/distributed.md) into one ordinary run directory.
 *
 * Each shard's requests.csv is read from disk once and parsed once: the
 * SHA-256 and the header come from the bytes read, the row count, the
 * request_id checks and the rows the summary needs from the one parse, and
 * OUT/requests.csv is written from the same bytes.
 *
 * Checks first, then writes: every shard has a manifest.json; all name the
 * same run id, configuration hash, payload hash and shard count; every index
 * 0..N-1 is there exactly once; each requests.csv still has the SHA-256 and
 * row count its manifest recorded (a truncated or edited file is refused);
 * every request_id sits in its own stripe (id mod N = the shard's index), is
 * in one shard only, and, for a count-bounded run, all of 0..inputs-1 are
 * there.  Any failure is one line on stderr and exit 2; nothing is written.
 *
 * Then OUT/requests.csv holds every shard's rows (shard 0's first, each
 * shard's rows in its own order, the header once), OUT/stream.jsonl and
 * OUT/outputs.jsonl the shards' when every shard has one, and
 * OUT/summary.json is computed from all rows (merge_summary.c).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/merge.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/vec.h"
#include "output/csv_read.h"

#define CMD "merge"

static void help(void)
{
    printf("usage: tailgate merge -o OUT SHARD_DIR...\n\n"
           "Joins the shards of one distributed run (tailgate run --shard-count N, one\n"
           "run directory per shard) into one run directory OUT that compare, report and\n"
           "analyze read like any other.  Refuses, with one line and exit 2, a missing,\n"
           "duplicated, truncated or foreign shard.\n\n"
           "  -o, --output DIR   the merged run directory (must not exist, or be empty)\n"
           "  -q, --quiet        no summary line\n"
           "  -h, --help\n\n"
           "summary.json's percentiles are those of all rows, computed as a single run\n"
           "computes them (never averaged per-shard figures).  See docs/distributed.md.\n\n"
           "Exit: 0 merged; 1 OUT could not be written whole; 2 usage error or a shard\n"
           "refused (nothing written); 4 out of memory (nothing written).\n");
}

/* One request_id and the shard it came from. */
struct owned_id {
    uint64_t id;
    uint32_t shard;
};

struct id_vec {
    struct owned_id *v;
    size_t n, cap;
    uint32_t shard;
    uint64_t shard_index, shard_count;
    const char *name;           /* the shard's requests.csv */
    uint64_t bad_stripe_id;
    bool bad_stripe;
    struct merge_rows *mr;      /* the rows for the summary */
};

static int collect_id(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    struct id_vec *iv = ctx;
    if (rec->request_id % iv->shard_count != iv->shard_index && !iv->bad_stripe) {
        iv->bad_stripe = true;
        iv->bad_stripe_id = rec->request_id;
    }
    if (tg_grow((void **)&iv->v, &iv->cap, iv->n + 1, sizeof *iv->v, 1024)) {
        snprintf(err, errlen, "out of memory");
        return TG_ENOMEM;
    }
    iv->v[iv->n++] = (struct owned_id){ rec->request_id, iv->shard };
    return tg_merge_rows_add(iv->mr, rec, iv->name, err, errlen);
}

static int cmp_id(const void *a, const void *b)
{
    const struct owned_id *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id ? 1 : (int)x->shard - (int)y->shard;
}

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int refuse(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tailgate merge: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return TG_EXIT_USAGE;
}

static int load_shard(struct merge_shard *s, const char *dir)
{
    char path[4200], err[600];
    s->dir = dir;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    struct stat st;
    if (stat(path, &st) != 0)
        return refuse("%s has no manifest.json: not a shard of a distributed run (tailgate run --shard-count N)",
                      dir);
    if (tg_manifest_load(path, &s->m, err, sizeof err))
        return refuse("%s", err);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_error_t je;
    s->summary = json_load_file(path, 0, &je);
    if (!json_is_object(s->summary))
        return refuse("%s: %s", path, s->summary ? "not a JSON object" : je.text);
    snprintf(path, sizeof path, "%s/requests.csv", dir);
    int rc = tg_read_file(path, TG_CSV_MAX_FILE, &s->csv, &s->csv_len);
    if (rc)
        return refuse("%s: %s", path, tg_strerror(rc));
    char hex[TG_SHA256_HEX_LEN + 1];
    tg_sha256_hex(s->csv, s->csv_len, hex);
    if (strcmp(hex, s->m.requests_csv_sha256) != 0)
        return refuse("%s does not match its manifest (SHA-256 differs): truncated or changed after the run", path);
    const char *nl = memchr(s->csv, '\n', s->csv_len);
    if (!nl)
        return refuse("%s has no header line", path);
    s->header_len = (size_t)(nl - s->csv) + 1;
    return 0;
}

/* The shards are one run, each index once.  Returns 0 or the exit code. */
static int check_one_run(struct merge_shard *s, size_t n, struct merge_shard **by_index)
{
    const struct tg_manifest *m0 = &s[0].m;
    for (size_t i = 1; i < n; i++) {
        const struct tg_manifest *m = &s[i].m;
        if (strcmp(m->run_id, m0->run_id) != 0)
            return refuse("%s is a shard of another run (run id \"%s\"; %s has \"%s\")", s[i].dir, m->run_id,
                          s[0].dir, m0->run_id);
        if (strcmp(m->config_sha256, m0->config_sha256) != 0)
            return refuse("%s ran another configuration than %s (config SHA-256 differs)", s[i].dir, s[0].dir);
        if (strcmp(m->payload_sha256, m0->payload_sha256) != 0)
            return refuse("%s sent another payload file than %s (payload SHA-256 differs)", s[i].dir, s[0].dir);
        if (m->shard_count != m0->shard_count)
            return refuse("%s is shard %llu of %llu, %s of %llu", s[i].dir, (unsigned long long)m->shard_index,
                          (unsigned long long)m->shard_count, s[0].dir, (unsigned long long)m0->shard_count);
    }
    uint64_t N = m0->shard_count;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = s[i].m.shard_index;
        if (by_index[k])
            return refuse("shard %llu of %llu given twice: %s and %s", (unsigned long long)k, (unsigned long long)N,
                          by_index[k]->dir, s[i].dir);
        by_index[k] = &s[i];
    }
    for (uint64_t k = 0; k < N; k++)
        if (!by_index[k])
            return refuse("shard %llu of %llu is missing (%zu of %llu shard directories given)",
                          (unsigned long long)k, (unsigned long long)N, n, (unsigned long long)N);
    for (uint64_t k = 1; k < N; k++)
        if (by_index[k]->header_len != by_index[0]->header_len ||
            memcmp(by_index[k]->csv, by_index[0]->csv, by_index[0]->header_len) != 0)
            return refuse("%s/requests.csv has other columns than %s/requests.csv", by_index[k]->dir,
                          by_index[0]->dir);
    return 0;
}

/* The one parse of every shard's requests.csv: every id in its stripe, in
 * one shard, and (count-bounded) all there; the rows go to mr. */
static int check_ids(struct merge_shard **sh, uint64_t N, struct merge_rows *mr)
{
    struct id_vec iv = { .shard_count = N, .mr = mr };
    int code = 0;
    for (uint64_t k = 0; k < N && !code; k++) {
        char err[600] = "";
        iv.shard = (uint32_t)k;
        iv.shard_index = k;
        iv.bad_stripe = false;
        size_t before = iv.n;
        char name[4200];
        snprintf(name, sizeof name, "%s/requests.csv", sh[k]->dir);
        iv.name = name;
        struct tg_csv_read rd = { .name = name, .row = collect_id, .ctx = &iv };
        int rc = tg_csv_read(sh[k]->csv, sh[k]->csv_len, &rd, err, sizeof err);
        tg_merge_rows_columns(mr, rd.columns);   /* the same for every shard: one header */
        if (rc)
            code = rc == TG_ENOMEM ? tg_cli_resource_error(CMD, "%s", err) : refuse("%s", err);
        else if (iv.bad_stripe)
            code = refuse("%s holds request_id %llu, which belongs to shard %llu (request_id mod %llu): "
                          "a shard of another plan", name, (unsigned long long)iv.bad_stripe_id,
                          (unsigned long long)(iv.bad_stripe_id % N), (unsigned long long)N);
        else if (iv.n - before != sh[k]->m.rows)
            code = refuse("%s has %zu rows, its manifest says %llu", name, iv.n - before,
                          (unsigned long long)sh[k]->m.rows);
    }
    if (!code) {
        qsort(iv.v, iv.n, sizeof *iv.v, cmp_id);
        for (size_t i = 1; i < iv.n && !code; i++)
            if (iv.v[i].id == iv.v[i - 1].id && iv.v[i].shard == iv.v[i - 1].shard)
                code = refuse("request_id %llu appears twice in %s/requests.csv", (unsigned long long)iv.v[i].id,
                              sh[iv.v[i].shard]->dir);
            else if (iv.v[i].id == iv.v[i - 1].id)
                code = refuse("request_id %llu is in two shards: %s and %s", (unsigned long long)iv.v[i].id,
                              sh[iv.v[i - 1].shard]->dir, sh[iv.v[i].shard]->dir);
    }
    const struct tg_manifest *m0 = &sh[0]->m;
    if (!code && m0->has_inputs_planned) {
        /* sorted and distinct: complete exactly when v[i].id == i for all i */
        for (size_t i = 0; i < iv.n && !code; i++)
            if (iv.v[i].id != i)
                code = refuse("request_id %zu is missing from every shard (a run of %llu inputs)", i,
                              (unsigned long long)m0->inputs_planned);
        if (!code && iv.n != m0->inputs_planned)
            code = refuse("the shards hold %zu of the run's %llu inputs: request_id %zu onwards is missing",
                          iv.n, (unsigned long long)m0->inputs_planned, iv.n);
    }
    free(iv.v);
    return code;
}

/* OUT/name = the shards' name files joined in index order (skip_header: the
 * first line of every file but the first is left out).  Returns 0, 1 when
 * some shard has no such file (nothing written), or a negative code. */
static int join_files(const char *out_dir, const char *name, struct merge_shard **sh, uint64_t N)
{
    char path[4200];
    for (uint64_t k = 0; k < N; k++) {
        snprintf(path, sizeof path, "%s/%s", sh[k]->dir, name);
        struct stat st;
        if (stat(path, &st) != 0)
            return 1;
    }
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    struct tg_atomic_file a;
    int rc = tg_atomic_open(&a, path);
    if (rc)
        return rc;
    for (uint64_t k = 0; k < N && !rc; k++) {
        char src[4200];
        snprintf(src, sizeof src, "%s/%s", sh[k]->dir, name);
        char *data = NULL;
        size_t len = 0;
        rc = tg_read_file(src, TG_CSV_MAX_FILE, &data, &len);
        if (!rc && len && fwrite(data, 1, len, a.f) != len)
            rc = -EIO;
        if (!rc && len && data[len - 1] != '\n' && fputc('\n', a.f) == EOF)
            rc = -EIO;
        free(data);
    }
    if (rc) {
        tg_atomic_abort(&a);
        return rc;
    }
    return tg_atomic_commit(&a);
}

/* The bytes of body[0..len) (a shard's rows) up to its last row's line end:
 * the reader allows blank lines at a file's very end only, so they must not
 * land in the middle of OUT (the writer never leaves any; an edited shard
 * whose manifest was rewritten may). */
static size_t rows_len(const char *body, size_t len)
{
    size_t end = len;
    while (end && (body[end - 1] == '\n' || body[end - 1] == '\r'))
        end--;
    if (end == 0 || end == len)
        return end;
    if (body[end] == '\r' && end + 1 < len && body[end + 1] == '\n')
        return end + 2;
    return body[end] == '\n' ? end + 1 : end;
}

static int write_requests(const char *out_dir, struct merge_shard **sh, uint64_t N, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/requests.csv", out_dir);
    struct tg_atomic_file a;
    int rc = tg_atomic_open(&a, path);
    if (rc)
        return rc;
    if (fwrite(sh[0]->csv, 1, sh[0]->header_len, a.f) != sh[0]->header_len)
        rc = -EIO;
    for (uint64_t k = 0; k < N && !rc; k++) {
        const char *body = sh[k]->csv + sh[k]->header_len;
        size_t len = rows_len(body, sh[k]->csv_len - sh[k]->header_len);
        if (len && fwrite(body, 1, len, a.f) != len)
            rc = -EIO;
        if (!rc && len && body[len - 1] != '\n' && fputc('\n', a.f) == EOF)
            rc = -EIO;
    }
    if (rc) {
        tg_atomic_abort(&a);
        return rc;
    }
    return tg_atomic_commit(&a);
}

static const struct option options[] = {
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int tg_cmd_merge(int argc, char **argv)
{
    const char *out_dir = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = tg_cli_getopt_long(argc, argv, ":o:qh", options)) != -1) {
        switch (c) {
        case 'o': out_dir = optarg; break;
        case 'q': quiet = true; break;
        case 'h': help(); return TG_EXIT_OK;
        default:
            return tg_cli_usage_error(CMD, "unknown option or missing value '%s' (see tailgate merge --help)",
                                      argv[optind - 1]);
        }
    }
    if (!out_dir)
        return tg_cli_usage_error(CMD, "-o OUT is required (the merged run directory)");
    size_t n = (size_t)(argc - optind);
    if (n == 0)
        return tg_cli_usage_error(CMD, "no shard directories given");
    struct stat st;
    if (stat(out_dir, &st) == 0) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/requests.csv", out_dir);
        if (!S_ISDIR(st.st_mode) || stat(probe, &st) == 0)
            return tg_cli_usage_error(CMD, "%s already holds a run: give a new directory", out_dir);
    }

    struct merge_shard *s = calloc(n, sizeof *s);
    struct merge_shard **by_index = NULL;
    struct merge_rows *mr = NULL;
    int code = s ? 0 : tg_cli_resource_error(CMD, "out of memory");
    for (size_t i = 0; i < n && !code; i++)
        code = load_shard(&s[i], argv[optind + (int)i]);
    uint64_t N = code ? 0 : s[0].m.shard_count;
    if (!code && !(by_index = calloc(N, sizeof *by_index)))
        code = tg_cli_resource_error(CMD, "out of memory");
    if (!code)
        code = check_one_run(s, n, by_index);
    if (!code && !(mr = tg_merge_rows_new(by_index[0]->summary)))
        code = tg_cli_resource_error(CMD, "out of memory");
    if (!code)
        code = check_ids(by_index, N, mr);

    char csv_path[4200], err[600] = "";
    if (!code) {
        int rc = tg_mkdir_p(out_dir);
        if (!rc)
            rc = write_requests(out_dir, by_index, N, csv_path, sizeof csv_path);
        int srs = rc ? 0 : join_files(out_dir, "stream.jsonl", by_index, N);
        int ors = rc || srs < 0 ? 0 : join_files(out_dir, "outputs.jsonl", by_index, N);
        if (!rc && srs < 0)
            rc = srs;
        if (!rc && ors < 0)
            rc = ors;
        if (rc) {
            code = TG_EXIT_FAIL;
            fprintf(stderr, "tailgate merge: cannot write %s: %s\n", out_dir, tg_strerror(rc));
        } else {
            char stream[4200];
            snprintf(stream, sizeof stream, "%s/stream.jsonl", out_dir);
            rc = tg_merge_summary(out_dir, srs == 0 ? stream : NULL, mr, by_index, N, err, sizeof err);
            if (rc) {
                code = TG_EXIT_FAIL;
                fprintf(stderr, "tailgate merge: %s\n", err);
            }
        }
    }
    if (!code && !quiet) {
        uint64_t rows = 0;
        for (uint64_t k = 0; k < N; k++)
            rows += by_index[k]->m.rows;
        printf("merged %llu shards of run %s: %llu rows -> %s/requests.csv, %s/summary.json\n",
               (unsigned long long)N, s[0].m.run_id, (unsigned long long)rows, out_dir, out_dir);
    }
    for (size_t i = 0; s && i < n; i++) {
        json_decref(s[i].summary);
        free(s[i].csv);
    }
    tg_merge_rows_free(mr);
    free(by_index);
    free(s);
    return code;
}
