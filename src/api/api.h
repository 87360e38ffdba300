/*
 * api.h - dialects: everything tailgate knows about one public inference API,
 * behind one table of functions (the way curl's protocol handlers are).
 *
 * A dialect says, for one API:
 *   client side  its route; how one payload line (a single-request body in
 *                the API's own format) splits into its input and the rest
 *                (the "group": lines whose rest is equal may be merged); how
 *                N inputs of one group make one batch body that keeps every
 *                other field; how a response splits back into N outputs;
 *                what an error body says (message, largest accepted batch);
 *   server side  (for `tailgate serve`) which paths are its routes, how a
 *                request body becomes input texts, and how vectors, errors
 *                and metadata are written in the API's shapes.
 * Nothing outside src/api/ knows a JSON shape of any API.  NULL members mean
 * "not supported" and are checked once by the caller (e.g. build_batch NULL:
 * not batchable, as the chat APIs are).
 *
 * Canonical outputs.  An output's canonical text is the JSON of its value,
 * compact, object keys sorted (bytewise), strings escaped as jansson does,
 * and every number written at float32 precision: the value is rounded to the
 * nearest float32 f; if f is integral and |f| < 2^24 it is written as an
 * integer ("1", "-3", "0"), else with "%.9g" (always round-trips a float32).
 * JSON integers with |i| >= 2^24 are kept exactly.  So an embedding gets the
 * same canonical text (and output_hash) whether it came as JSON numbers with
 * 8 decimals or as base64 little-endian float32, and in every dialect.
 *
 * Everything here is pure and thread-safe: no sockets, no globals but the
 * const table.  Functions that fill a tg_buf append to it and return 0 or
 * TG_ENOMEM.  `why` buffers (may be NULL) get a one-line reason on failure;
 * dialect reasons start with the dialect's name ("tei: response is not an
 * array of 2 embeddings").
 */
#ifndef TG_API_API_H
#define TG_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ---- client side ----------------------------------------------------------- */

/* One payload line as a dialect parsed it.  All strings malloc'ed,
 * NUL-terminated, owned by the struct (release with tg_api_line_free). */
struct tg_api_line {
    char *group;      /* canonical JSON of the body without its input (and
                         without per-request fields such as KServe's "id"):
                         lines with byte-equal groups may share one batch */
    char *item;       /* compact JSON of the line's one input, in a shape only
                         the dialect reads back (its build_batch) */
    size_t item_len;
    char *model;      /* model named in the body, plain text; NULL when the
                         body names none (TEI, KServe, TF Serving: the URL does) */
};
void tg_api_line_free(struct tg_api_line *l);

/* Receives output i (0-based, in input order) of a response: its canonical
 * text and that text's lowercase hex SHA-256.  Returns 0, or a negative code
 * that stops the split and is returned by it. */
typedef int (*tg_api_output_fn)(void *ctx, size_t i, const char *canon, size_t len,
                                const char *sha256_hex);

/* What an error body says. */
struct tg_api_error {
    char message[200];   /* the server's own message, one line; "" when none found */
    uint32_t max_batch;  /* largest batch the body names as accepted; 0 when it names none */
};

/* ---- server side ----------------------------------------------------------- */

enum tg_api_route {
    TG_API_ROUTE_NONE,
    TG_API_ROUTE_INFER,     /* POST: inference */
    TG_API_ROUTE_HEALTH,    /* GET: 200 when ready (body from write_metadata) */
    TG_API_ROUTE_METADATA,  /* GET: model metadata (body from write_metadata) */
};

/* What the server passes to a dialect's request parser. */
struct tg_api_server_limits {
    const char *model;       /* the one model this server serves ("example-model") */
    size_t max_batch;        /* the server's limit on inputs per request (the dialect
                                may have a smaller one of its own, e.g. TEI's 32) */
    size_t dim;              /* output vector length, for metadata */
};

/* One input text of a request: bytes inside the parsed request (not owned). */
struct tg_api_text {
    const char *data;
    size_t len;
};

/* A parsed inference request (server side). */
struct tg_api_request {
    void *root;                 /* private: the parsed document; owns the texts' bytes */
    size_t n;                   /* inputs */
    struct tg_api_text *texts;  /* n texts in input order; == &one or malloc'ed */
    struct tg_api_text one;
    bool batched;               /* the body used the API's list form (answer in list form) */
    char model[128];            /* model asked for (from the body or the path) */
    unsigned flags;             /* dialect-private (e.g. OpenAI encoding_format base64) */
    char id[128];               /* request id to echo (KServe "id"); "" when none */
    /* generative dialects (openai-chat, openai-completions) */
    bool stream;                /* "stream": true */
    bool include_usage;         /* "stream_options": {"include_usage": true} */
    int64_t max_tokens;         /* max_tokens / max_completion_tokens; -1 when absent */
    int status;                 /* 200 when valid, else the HTTP status to answer */
    char message[256];          /* what is wrong, when status != 200 */
};
void tg_api_request_free(struct tg_api_request *r);

/* ---- streaming ---------------------------------------------------------------- */

/* What one SSE event of a streaming response is (stream_event). */
enum tg_api_event_kind {
    TG_API_EV_OTHER,    /* no content for choice 0 (role-only, empty delta, another
                           choice's chunk, a finish_reason-only chunk, a comment) */
    TG_API_EV_CONTENT,  /* non-empty content for choice 0 (appended to text) */
    TG_API_EV_DONE,     /* "data: [DONE]": the stream's end marker */
    TG_API_EV_ERROR,    /* an error event ("event: error", or a chunk {"error":…}):
                           message says what */
};

struct tg_api_stream_event {
    enum tg_api_event_kind kind;
    size_t content_len;            /* bytes appended to text (CONTENT only) */
    /* usage.completion_tokens when this chunk carries a usage object (the
     * final include_usage chunk, or vLLM's continuous usage stats on every
     * chunk: cumulative); -1 when it carries none.  Any kind may carry it. */
    int64_t completion_tokens;
    int64_t prompt_tokens;         /* usage.prompt_tokens, or -1 */
    char finish_reason[24];        /* choice 0's finish_reason when set ("stop", "length"), else "" */
    char message[200];             /* ERROR: the server's message, one line */
};

/* Appends the canonical text (JSON string, jansson escaping) of generated
 * text[0..len) (UTF-8; invalid bytes become U+FFFD) to out. */
int tg_api_canon_text(struct tg_buf *out, const char *text, size_t len);

/* Server side of the generative dialects: what one generation is, for the
 * writers below (the placeholder LLM of tailgate serve fills it). */
struct tg_api_gen {
    const char *id;                /* "chatcmpl-…" / "cmpl-…", the server's response id */
    const char *model;
    int64_t created;               /* Unix seconds */
    uint32_t prompt_tokens, completion_tokens;
    const char *finish_reason;     /* "stop" or "length"; NULL while generating */
    bool include_usage;            /* every chunk carries "usage": null (OpenAI's shape
                                      under stream_options.include_usage) */
};

/* ---- the table --------------------------------------------------------------- */

struct tg_api {
    const char *name;            /* --api value: "tailgate", "openai-embeddings", … */
    const char *summary;         /* one line, for --help and docs */
    const char *route;           /* request path; "{model}" stands for the model name
                                    ("/v2/models/{model}/infer") */
    const char *health_route;    /* GET path of readiness ("/v2/health/ready"); NULL: none */
    const char *metadata_route;  /* GET path of model metadata; NULL: none */
    uint32_t spec_max_batch;     /* the documented default limit (OpenAI 2048, TEI 32); 0: none */
    /* Response headers through which a real server of this API reports its
     * own queue and compute time in ms (TEI: "x-queue-time",
     * "x-inference-time"); NULL when it has none.  The engine reads them when
     * Server-Timing is absent; tailgate serve writes them on this route. */
    const char *queue_time_header, *compute_time_header;

    /* Splits payload line[0..len) into *out.  Returns 0, TG_EPARSE (not this
     * dialect's single-input body: why says which field), or TG_ENOMEM. */
    int (*parse_line)(const char *line, size_t len, struct tg_api_line *out, char *why, size_t whylen);

    /* Appends one request body holding items[0..n) (each a tg_api_line.item,
     * all of one group), every field of group kept.  NULL: not batchable.
     * Returns 0, TG_EINVAL (n == 0 or a bad group/item) or TG_ENOMEM. */
    int (*build_batch)(struct tg_buf *out, const char *group, const char *const *items,
                       const size_t *item_lens, size_t n);

    /* Splits a 2xx response body into its outputs, calling fn for each in
     * order.  batched false: the body answers one unbatched payload line
     * (n == 1; if it holds several outputs, the one output is the list of
     * them).  batched true: it answers a build_batch body of n inputs and must
     * hold exactly n outputs (matched by index where the API numbers them).
     * Returns 0, TG_EPARSE (not JSON), TG_EMISMATCH (wrong shape or count:
     * why names the dialect and the field), TG_ENOMEM, or fn's code. */
    int (*split)(const char *body, size_t len, bool batched, size_t n, tg_api_output_fn fn,
                 void *ctx, char *why, size_t whylen);

    /* Reads an error response (any status) into *out; never fails (an
     * unreadable body leaves message "" and max_batch 0).  NULL: the generic
     * reader (tg_api_error_generic). */
    void (*read_error)(int status, const char *body, size_t len, struct tg_api_error *out);

    /* Streaming (openai-chat, openai-completions).  NULL: the API does not
     * stream.  Reads one SSE event (type event[0..elen), "" for the default;
     * data[0..len), NUL-terminated) of a 2xx text/event-stream response into
     * *ev (zeroed by the callee first): the content it carries is appended
     * to text (the generated text, unescaped UTF-8).  Pure: all state across
     * events is the caller's.  Returns 0 (see ev->kind), TG_EPARSE (data is
     * neither "[DONE]" nor a JSON object: why says so), TG_ENOMEM. */
    int (*stream_event)(const char *event, size_t elen, const char *data, size_t len,
                        struct tg_buf *text, struct tg_api_stream_event *ev, char *why, size_t whylen);

    /* The generated text of a non-streaming 2xx response (choices[0]
     * .message.content / choices[0].text), appended to text, and its usage
     * (completion_tokens, -1 when absent).  NULL for non-generative APIs.
     * Returns 0, TG_EPARSE, TG_EMISMATCH (why names the field), TG_ENOMEM.
     * The engine hashes tg_api_canon_text(text): the same text streamed or
     * not gives the same output_hash.  (split does the same for these
     * dialects, so --no-stream runs hash alike.)  A body that is a whole
     * text/event-stream (it starts with "data:", "event:", "id:", "retry:"
     * or ":") is read event by event as stream_event reads them: a reader
     * that waits for the end of a streamed answer gets the same text; an
     * error event in it is TG_EMISMATCH with its message. */
    int (*read_text)(const char *body, size_t len, struct tg_buf *text, int64_t *completion_tokens,
                     char *why, size_t whylen);

    /* -- server side (tailgate serve); all NULL for a client-only dialect -- */

    /* Classifies path (no query string) for method-independent routing.
     * For routes with {model}, the path's model goes to model[0..cap);
     * otherwise model is set to "". */
    enum tg_api_route (*server_route)(const char *path, char *model, size_t cap);

    /* Parses an inference body (path_model: the model from the path, or "").
     * Returns 0 with r->status 200, or a negative code with r->status (400,
     * 404, 413, 422, …, the dialect's own choice for each fault) and
     * r->message set.  Always call tg_api_request_free() afterwards. */
    int (*server_parse)(const char *body, size_t len, const char *path_model,
                        const struct tg_api_server_limits *lim, struct tg_api_request *r);

    /* Appends the answer to r: vecs holds r->n vectors of dim values each,
     * row-major, already rounded to 8 decimals (tg_api_round8); JSON numbers
     * are written with tg_api_put_fixed8. */
    int (*server_write)(struct tg_buf *b, const struct tg_api_request *r, const double *vecs,
                        size_t dim);

    /* Appends the error body for status with message (any bytes; escaped). */
    int (*server_error)(struct tg_buf *b, int status, const char *message);

    /* Appends the GET body of a HEALTH or METADATA route for model. */
    int (*server_meta)(struct tg_buf *b, enum tg_api_route kind, const char *model,
                       const struct tg_api_server_limits *lim);

    /* -- server side of the generative dialects; NULL for the others.  For
     * these, server_parse gives one text (the prompt: chat messages' contents
     * joined by "\n", in order) and stream/include_usage/max_tokens. -- */

    /* Appends one SSE event ("data: {…}\n\n") carrying text[0..len) as the
     * content of choice 0 (len 0 with g->finish_reason set: the final chunk
     * with finish_reason; chat's first chunk carries the role: first). */
    int (*server_chunk)(struct tg_buf *b, const struct tg_api_gen *g, const char *text, size_t len,
                        bool first);
    /* Appends the end of a stream: the usage chunk when include_usage
     * (choices [] and usage from g), then "data: [DONE]\n\n". */
    int (*server_stream_end)(struct tg_buf *b, const struct tg_api_gen *g, bool include_usage);
    /* Appends the non-streaming body: the whole text[0..len) in choice 0 with
     * g->finish_reason, and usage. */
    int (*server_complete)(struct tg_buf *b, const struct tg_api_gen *g, const char *text, size_t len);
};

/* The dialect called name, or NULL. */
const struct tg_api *tg_api_find(const char *name);
/* Every dialect, NULL-terminated, in a fixed order (tailgate first). */
const struct tg_api *const *tg_api_all(void);
/* Names of all dialects, comma-separated (static string, for --help). */
const char *tg_api_names(void);
/* Names of the batchable ones, comma-separated. */
const char *tg_api_batchable_names(void);

/* Writes a's route for model into out (cap bytes, "{model}" replaced).
 * Returns 0 or TG_ERANGE (too long). */
int tg_api_path(const char *route, const char *model, char *out, size_t cap);

/* a->read_error when set, else the generic reader: {"error":"…"},
 * {"error":{"message":"…"}}, {"message":…}, {"detail":…}, plain text; the
 * limit from phrases like "maximum (allowed) batch size (is) N", "at most N",
 * "max_batch_size N", "N > maximum … M" (the M). */
void tg_api_read_error(const struct tg_api *a, int status, const char *body, size_t len,
                       struct tg_api_error *out);
void tg_api_error_generic(int status, const char *body, size_t len, struct tg_api_error *out);

/* ---- shared helpers ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence (RFC 3629) at s[0..n), 0 when invalid. */
size_t tg_api_utf8_seq(const unsigned char *s, size_t n);

/* llround(v * 1e8) / 1e8, with -0 made 0: the placeholder's output values. */
double tg_api_round8(double v);
/* Appends v (a tg_api_round8 value) as fixed point with exactly 8 decimals. */
int tg_api_put_fixed8(struct tg_buf *b, double v);
/* Appends vector v[0..dim) as "[a,b,…]" of fixed8 numbers. */
int tg_api_put_vector8(struct tg_buf *b, const double *v, size_t dim);

/* Canonical text (see the top of this file) of a float32 vector, as if it
 * were the JSON array of its values.  Appends to out. */
int tg_api_canon_floats(struct tg_buf *out, const float *v, size_t n);
/* Canonical text of JSON text json[0..len).  Returns 0, TG_EPARSE or TG_ENOMEM. */
int tg_api_canon_json(struct tg_buf *out, const char *json, size_t len);

#endif
