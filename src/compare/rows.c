/*
 * rows.c - compare's rows from the one requests.csv reader (output/csv_read.h):
 * each record is kept compactly, then the rows are sorted by request_id and
 * checked for duplicates.
 */
#include "compare/rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/vec.h"

static int push_row(struct tg_rows *r, const struct tg_row *row)
{
    int rc = tg_grow((void **)&r->rows, &r->cap, r->n + 1, sizeof *r->rows, 1024);
    if (rc)
        return rc;
    r->rows[r->n++] = *row;
    return 0;
}

static int push_string(struct tg_rows *r, const char *s, size_t n, uint32_t *off)
{
    if (r->strings_len + n > UINT32_MAX)
        return TG_ENOMEM;
    int rc = tg_grow((void **)&r->strings, &r->strings_cap, r->strings_len + n, 1, 16384);
    if (rc)
        return rc;
    memcpy(r->strings + r->strings_len, s, n);
    *off = (uint32_t)r->strings_len;
    r->strings_len += n;
    return 0;
}

static uint8_t intern_class(struct tg_rows *r, const char *name)
{
    for (unsigned i = 0; i < r->nclasses; i++)
        if (!strcmp(r->classes[i], name))
            return (uint8_t)i;
    if (r->nclasses == TG_ROWS_MAX_CLASSES - 1 && strcmp(name, "other") != 0)
        return intern_class(r, "other");
    snprintf(r->classes[r->nclasses], sizeof r->classes[0], "%s", name);
    return (uint8_t)r->nclasses++;
}

static int cmp_row(const void *a, const void *b)
{
    uint64_t x = ((const struct tg_row *)a)->request_id, y = ((const struct tg_row *)b)->request_id;
    return (x > y) - (x < y);
}

int tg_rows_add(struct tg_rows *out, const struct tg_csv_rec *rec, const char *name, char *err, size_t errlen)
{
    struct tg_row row = {
        .request_id = rec->request_id, .timestamp_ms = rec->timestamp_ms,
        .latency_ms = rec->latency_ms, .ttft_ms = rec->ttft_ms, .tpot_ms = rec->tpot_ms,
        .itl_max_ms = rec->itl_max_ms, .output_tokens = rec->output_tokens,
        .status_code = (int16_t)rec->status_code, .ok = rec->ok, .line = rec->line,
    };
    if (rec->has_http_id) {
        row.http_request_id = rec->http_request_id;
        row.has_http_id = 1;
    }
    if (rec->output_hash_len) {
        if (push_string(out, rec->output_hash, rec->output_hash_len, &row.hash_off) < 0)
            goto nomem;
        row.hash_len = (uint16_t)rec->output_hash_len;
    }
    if (!rec->ok) {
        char cls[64];
        if (rec->error[0])
            snprintf(cls, sizeof cls, "%s", rec->error);
        else if (rec->status_code == 0)
            snprintf(cls, sizeof cls, "no_response");
        else
            snprintf(cls, sizeof cls, "status_%d", rec->status_code);
        row.error_class = intern_class(out, cls);
    }
    if (push_row(out, &row) < 0)
        goto nomem;
    return 0;
nomem:
    tg_err_at(err, errlen, name ? name : "csv", rec->line, "out of memory");
    return TG_ENOMEM;
}

int tg_rows_finish(struct tg_rows *out, const char *name, char *err, size_t errlen)
{
    if (out->n > 1)
        qsort(out->rows, out->n, sizeof out->rows[0], cmp_row);
    for (size_t i = 1; i < out->n; i++) {
        if (out->rows[i].request_id == out->rows[i - 1].request_id) {
            const struct tg_row *a = &out->rows[i - 1], *b = &out->rows[i];
            unsigned first = a->line < b->line ? a->line : b->line;
            unsigned second = a->line < b->line ? b->line : a->line;
            return tg_err_at(err, errlen, name ? name : "csv", second, "duplicate request_id %llu (first at line %u)",
                             (unsigned long long)a->request_id, first);
        }
    }
    return 0;
}

struct keep {
    struct tg_rows *out;
    const char *name;
};

static int keep_row(void *ctx, const struct tg_csv_rec *rec, char *err, size_t errlen)
{
    struct keep *k = ctx;
    return tg_rows_add(k->out, rec, k->name, err, errlen);
}

int tg_rows_parse(const char *data, size_t len, const char *name, struct tg_rows *out,
                  char *err, size_t errlen)
{
    struct keep k = { out, name ? name : "csv" };
    struct tg_csv_read rd = { .name = k.name, .row = keep_row, .ctx = &k };
    int rc = tg_csv_read(data, len, &rd, err, errlen);
    out->columns = rd.columns;
    if (rc)
        return rc;
    return tg_rows_finish(out, k.name, err, errlen);
}

int tg_rows_load(const char *path, struct tg_rows *out, char *err, size_t errlen)
{
    char *data;
    size_t len;
    int rc = tg_read_file(path, TG_ROWS_MAX_FILE, &data, &len);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, tg_strerror(rc));
        return rc;
    }
    rc = tg_rows_parse(data, len, path, out, err, errlen);
    free(data);
    return rc;
}

void tg_rows_free(struct tg_rows *r)
{
    if (!r)
        return;
    free(r->rows);
    free(r->strings);
    memset(r, 0, sizeof *r);
}

const struct tg_row *tg_rows_find(const struct tg_rows *r, uint64_t id)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->rows[mid].request_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->rows[lo].request_id == id ? &r->rows[lo] : NULL;
}

size_t tg_rows_count_hashes(const struct tg_rows *r)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n; i++)
        c += r->rows[i].hash_len > 0;
    return c;
}
