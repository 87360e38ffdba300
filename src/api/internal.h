/*
 * internal.h - helpers shared by the dialect files of src/api/ (jansson
 * based).  Not for use outside src/api/.
 */
#ifndef TG_API_INTERNAL_H
#define TG_API_INTERNAL_H

#include "api/api.h"

#include <jansson.h>

/* Canonical text of v (see api.h) appended to out.  0 or TG_ENOMEM. */
int tg_api_canon_value(struct tg_buf *out, const json_t *v);

/* Canonicalises v, hashes the text and calls fn(ctx, i, …).  scratch is
 * reset and reused.  Returns 0, TG_ENOMEM or fn's code. */
int tg_api_emit(const json_t *v, size_t i, tg_api_output_fn fn, void *ctx, struct tg_buf *scratch);
/* The same for text that is already canonical. */
int tg_api_emit_text(const char *canon, size_t len, size_t i, tg_api_output_fn fn, void *ctx);
/* tg_api_emit of arr[i] as output i, for i in 0..n (stops at the first
 * non-zero code, which it returns). */
int tg_api_emit_each(const json_t *arr, size_t n, tg_api_output_fn fn, void *ctx,
                     struct tg_buf *scratch);

/* Parses body as JSON; on failure writes "<dialect>: response body is not
 * JSON: … at byte N" to why and returns NULL. */
json_t *tg_api_load(const char *dialect, const char *body, size_t len, char *why, size_t whylen);
/* The start of a split (api.h): an unbatched response answers exactly one
 * input (else NULL, *rc = TG_EINVAL, why untouched), then tg_api_load (NULL,
 * *rc = TG_EPARSE).  Returns the document with *rc = 0. */
json_t *tg_api_load_answer(const char *dialect, const char *body, size_t len, bool batched, size_t n,
                           int *rc, char *why, size_t whylen);

/* Writes "<dialect>: <fmt…>" to why (may be NULL) and returns rc. */
int tg_api_fail(char *why, size_t whylen, int rc, const char *dialect, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The exact JSON of v as group/item text: compact, keys sorted, reals with
 * 17 significant digits (the same values).  malloc'ed; NULL on ENOMEM. */
char *tg_api_dump(const json_t *v);

/* Fills l->item (dump of item) and l->group (dump of root without the keys
 * in drop[], NULL-terminated), and l->model from root["model"] when it is a
 * string.  Returns 0 or TG_ENOMEM. */
int tg_api_line_fill(struct tg_api_line *l, const json_t *root, const json_t *item,
                     const char *const *drop);

/* Appends group (a compact JSON object) with "key":[items…] added as its
 * last member: the batch body of every API whose input list is top-level.
 * Returns 0, TG_EINVAL (group not an object text, n == 0) or TG_ENOMEM. */
int tg_api_splice_list(struct tg_buf *out, const char *group, const char *key,
                       const char *const *items, const size_t *item_lens, size_t n);

/* Appends s[0..n) as a JSON string literal (quotes included), escaping '"',
 * '\\' and control bytes; other bytes as they are. */
int tg_api_put_string(struct tg_buf *b, const char *s, size_t n);

/* Appends NUL-terminated s as a JSON string literal in which bytes that are
 * not UTF-8 (RFC 3629; a model name cut from a URL, say) become '?', so the
 * body stays valid JSON. */
int tg_api_put_text(struct tg_buf *b, const char *s);

/* The inputs one request may carry: the server's limit, capped by the
 * dialect's documented one (spec). */
size_t tg_api_batch_limit(const struct tg_api_server_limits *lim, size_t spec);

/* True when every element of array arr is a JSON integer; else false with
 * *bad the first other index. */
bool tg_api_all_integers(const json_t *arr, size_t *bad);

/* Checks the one input v of a payload line whose field key takes a string or
 * one tokenized input (an array of integer ids), as OpenAI and TEI do: an
 * empty array, an array of strings or arrays (a batch already), an array
 * with a non-integer, or any other type is refused with TG_EPARSE and why
 * "<dialect>: …" naming key.  Returns 0 or TG_EPARSE. */
int tg_api_check_token_input(const char *dialect, const char *key, const json_t *v, char *why,
                             size_t whylen);

/* Appends n vectors (vecs: n rows of dim) as tg_api_put_vector8 does,
 * separated by ',' (no brackets). */
int tg_api_put_vector_list8(struct tg_buf *b, const double *vecs, size_t n, size_t dim);

/* Standard base64 (RFC 4648, '=' padding required when len % 4 != 0 is not
 * accepted) into out (cap bytes).  Returns the decoded length or TG_EPARSE /
 * TG_ERANGE (does not fit). */
long tg_api_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap);
/* Appends the base64 text of p[0..n). */
int tg_api_base64_put(struct tg_buf *b, const void *p, size_t n);

/* Server side: sets r->status and r->message, returns rc. */
int tg_api_reject(struct tg_api_request *r, int rc, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Server side: checks that name[0..len) is lim->model (else 404 via
 * tg_api_reject with the dialect's wording) and copies it to r->model. */
int tg_api_check_model(struct tg_api_request *r, const struct tg_api_server_limits *lim,
                       const char *name, size_t len);
/* Server side: the one text of a request is string s (r->texts = &r->one,
 * r->n = 1). */
void tg_api_take_text(struct tg_api_request *r, const json_t *s);
/* Server side: points r->texts at the strings of array arr (each must be a
 * string: else 400 "<what>[i] must be a string"), r->n = size.  0 or rc. */
int tg_api_take_texts(struct tg_api_request *r, const json_t *arr, const char *what);

/* Server side: parses body into r->root (JSON_ALLOW_NUL, any value); a
 * syntax error is 400 "malformed JSON at line L, column C (byte B): …",
 * another value than an object 400 "request body must be a JSON object"
 * (tg_api_reject).  Returns 0 or TG_EPARSE.  Does not clear *r. */
int tg_api_parse_object(struct tg_api_request *r, const char *body, size_t len);
/* Server side: server_route of a dialect whose paths name no model: a's
 * route, health_route and metadata_route (each when not NULL) as INFER,
 * HEALTH and METADATA; model[0] = '\0' when cap > 0. */
enum tg_api_route tg_api_fixed_route(const struct tg_api *a, const char *path, char *model, size_t cap);
/* Server side: server_error of the APIs whose error body is {"error":"…"}
 * (TF Serving, the Open Inference Protocol): message via tg_api_put_text. */
int tg_api_error_plain(struct tg_buf *b, int status, const char *message);

/* ---- openai-chat and openai-completions (openai_gen*.c) ---------------------- */

enum tg_api_gen_dialect { TG_API_GEN_CHAT, TG_API_GEN_COMPLETIONS };

/* The server side of the two generative dialects (openai_gen_server.c); the
 * table members of the same names (api.h) call these with their dialect. */
enum tg_api_route tg_api_gen_route(enum tg_api_gen_dialect d, const char *path, char *model, size_t cap);
int tg_api_gen_parse(enum tg_api_gen_dialect d, const char *body, size_t len,
                     const struct tg_api_server_limits *lim, struct tg_api_request *r);
int tg_api_gen_chunk(enum tg_api_gen_dialect d, struct tg_buf *b, const struct tg_api_gen *g,
                     const char *text, size_t len, bool first);
int tg_api_gen_stream_end(enum tg_api_gen_dialect d, struct tg_buf *b, const struct tg_api_gen *g,
                          bool include_usage);
int tg_api_gen_complete(enum tg_api_gen_dialect d, struct tg_buf *b, const struct tg_api_gen *g,
                        const char *text, size_t len);
/* stream_event of dialect d, read with jansson (the reference reader). */
int tg_api_gen_event_jansson(enum tg_api_gen_dialect d, const char *event, size_t elen,
                             const char *data, size_t len, struct tg_buf *text,
                             struct tg_api_stream_event *ev, char *why, size_t whylen);
/* The fast reader of an ordinary chunk (openai_gen_scan.c): validates all of
 * data[0..len) as JSON and, when it is a chunk it answers for, fills *ev,
 * appends the content to text and returns 1; returns 0 (nothing touched:
 * ask tg_api_gen_event_jansson) for anything else, or TG_ENOMEM.  Gives
 * exactly what tg_api_gen_event_jansson gives whenever it returns 1. */
int tg_api_gen_event_scan(enum tg_api_gen_dialect d, const char *data, size_t len,
                          struct tg_buf *text, struct tg_api_stream_event *ev);
/* OpenAI's error body {"error":{"message","type","param","code"}} for status. */
int tg_api_gen_error(struct tg_buf *b, int status, const char *message);

/* Copies s[0..n) into out (cap bytes) as one line: control bytes become
 * spaces; cut at cap - 1 bytes without splitting a UTF-8 sequence. */
void tg_api_one_line(char *out, size_t cap, const char *s, size_t n);

#endif
