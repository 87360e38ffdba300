/*
 * side.c - loading one side of a comparison.
 */
#include "compare/side.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

static void note_missing(struct tg_side *s, const char *key)
{
    size_t n = strlen(s->missing);
    snprintf(s->missing + n, sizeof s->missing - n, "%s%s", n ? ", " : "", key);
}

/* Looks up a dotted path ("config.concurrency") in a JSON object. */
static json_t *jpath(json_t *root, const char *dotted)
{
    char key[128];
    const char *p = dotted;
    json_t *cur = root;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
        p = dot ? dot + 1 : p + n;
    }
    return cur;
}

static bool is_hex64(const char *h)
{
    if (strlen(h) != 64)
        return false;
    for (const char *q = h; *q; q++)
        if (!strchr("0123456789abcdefABCDEF", *q))
            return false;
    return true;
}

static int load_summary(struct tg_side *s, const char *file, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", file, je.line, je.text);
        return TG_EPARSE;
    }
    int rc = 0;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: not a JSON object", file);
        rc = TG_EPARSE;
        goto out;
    }
    json_t *v = jpath(root, "schema");
    if (!json_is_string(v)) {
        note_missing(s, "schema");
    } else if (strncmp(json_string_value(v), "tailgate.summary/1", 18) != 0 ||
               (json_string_value(v)[18] != '\0' && json_string_value(v)[18] != '.')) {
        snprintf(err, errlen, "%s: schema '%.60s' is not tailgate.summary/1", file,
                 json_string_value(v));
        rc = TG_EPARSE;
        goto out;
    }
    v = jpath(root, "payload_sha256");
    if (json_is_string(v) && is_hex64(json_string_value(v))) {
        s->has_payload_sha = true;
        snprintf(s->payload_sha256, sizeof s->payload_sha256, "%s", json_string_value(v));
        for (char *q = s->payload_sha256; *q; q++)
            if (*q >= 'A' && *q <= 'F')
                *q = (char)(*q - 'A' + 'a');
    } else {
        note_missing(s, "payload_sha256");
    }
    v = jpath(root, "config.concurrency");
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        s->has_concurrency = true;
        s->concurrency = (uint64_t)json_integer_value(v);
    } else {
        note_missing(s, "config.concurrency");
    }
    v = jpath(root, "counts.inputs");
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        s->has_summary_inputs = true;
        s->summary_inputs = (uint64_t)json_integer_value(v);
    } else {
        note_missing(s, "counts.inputs");
    }
    v = jpath(root, "wall_time_s");
    if (json_is_number(v) && json_number_value(v) > 0)
        s->wall_time_s = json_number_value(v);
    else
        note_missing(s, "wall_time_s");
    v = jpath(root, "tool.version");
    if (!json_is_string(v))
        v = jpath(root, "tool_version");
    if (json_is_string(v))
        snprintf(s->tool_version, sizeof s->tool_version, "%s", json_string_value(v));
    v = jpath(root, "config.save_outputs");
    if (json_is_string(v) && json_string_value(v)[0]) {
        const char *so = json_string_value(v);
        struct stat st;
        /* Absolute; else relative to the run directory; else as written,
         * relative to where compare runs (the run's own working dir). */
        if (so[0] == '/')
            snprintf(s->save_outputs, sizeof s->save_outputs, "%s", so);
        else if (snprintf(s->save_outputs, sizeof s->save_outputs, "%s/%s", s->dir, so) > 0 &&
                 stat(s->save_outputs, &st) == 0)
            ;
        else
            snprintf(s->save_outputs, sizeof s->save_outputs, "%s", so);
    }
out:
    json_decref(root);
    return rc;
}

int tg_side_load(struct tg_side *s, const char *path, char *err, size_t errlen)
{
    struct stat st;
    s->wall_time_s = NAN;
    if (strlen(path) + 32 >= sizeof s->path) {
        snprintf(err, errlen, "%.80s...: path too long", path);
        return TG_ETOOBIG;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    if (stat(path, &st) < 0) {
        int e = -errno;
        snprintf(err, errlen, "%s: %s", path, tg_strerror(e));
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        s->kind = TG_SIDE_RUN;
        snprintf(s->dir, sizeof s->dir, "%s", path);
        size_t n = strlen(s->dir);
        while (n > 1 && s->dir[n - 1] == '/')
            s->dir[--n] = '\0';
        if (snprintf(s->csv_path, sizeof s->csv_path, "%s/requests.csv", s->dir) >=
            (int)sizeof s->csv_path) {
            snprintf(err, errlen, "%.80s...: path too long", path);
            return TG_ETOOBIG;
        }
        char summary[TG_SIDE_PATH_MAX + 16];
        snprintf(summary, sizeof summary, "%s/summary.json", s->dir);
        if (stat(summary, &st) < 0) {
            snprintf(err, errlen, "%s: no summary.json in this run directory", path);
            return -ENOENT;
        }
        int rc = load_summary(s, summary, err, errlen);
        if (rc < 0)
            return rc;
    } else {
        s->kind = TG_SIDE_CSV;
        snprintf(s->csv_path, sizeof s->csv_path, "%s", path);
        snprintf(s->dir, sizeof s->dir, "%s", path);
        char *slash = strrchr(s->dir, '/');
        if (!slash)
            snprintf(s->dir, sizeof s->dir, ".");
        else if (slash == s->dir)
            s->dir[1] = '\0';
        else
            *slash = '\0';
    }
    int rc = tg_rows_load(s->csv_path, &s->rows, err, errlen);
    if (rc < 0)
        return rc;
    if (s->has_summary_inputs && s->summary_inputs != s->rows.n) {
        snprintf(err, errlen, "%s: summary.json counts.inputs is %llu but requests.csv has %zu rows",
                 path, (unsigned long long)s->summary_inputs, s->rows.n);
        return TG_EMISMATCH;
    }
    return 0;
}

void tg_side_free(struct tg_side *s)
{
    if (s)
        tg_rows_free(&s->rows);
}

const char *tg_side_kind_name(const struct tg_side *s)
{
    return s->kind == TG_SIDE_RUN ? "tailgate run" : "CSV";
}
