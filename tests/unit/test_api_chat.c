/*
 * test_api_chat.c - the generative dialects openai-chat and openai-completions:
 * stream events over real chunk shapes (OpenAI, vLLM with continuous usage
 * stats, llama.cpp server, TGI's OpenAI route, Ollama's /v1), non-streaming
 * answers, payload lines, the server's parser (OpenAI's statuses and error
 * shape) and writers (OpenAI's exact objects), and the round trips: what the
 * server writes streams back to exactly the text written, and a streamed text
 * hashes like the same text answered whole.
 */
#include "test.h"

#include "api/api.h"
#include "api/internal.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "apicheck.h"
#include "checkstr.h"

#include <jansson.h>

TEST_MAIN()

static const struct tg_api *chat(void) { return tg_api_find("openai-chat"); }
static const struct tg_api *cmpl(void) { return tg_api_find("openai-completions"); }

TEST(chat_tables)
{
    const struct tg_api *a = chat(), *c = cmpl();
    REQUIRE(a && c);
    CHECK_STR_EQ("/v1/chat/completions", a->route);
    CHECK_STR_EQ("/v1/completions", c->route);
    for (int k = 0; k < 2; k++) {
        const struct tg_api *d = k ? c : a;
        CHECK(d->parse_line && d->split && d->read_text && d->stream_event && d->server_route &&
              d->server_parse && d->server_error && d->server_chunk && d->server_stream_end &&
              d->server_complete);
        CHECK(d->build_batch == NULL && d->server_write == NULL && d->metadata_route == NULL);
        CHECK(strstr(tg_api_batchable_names(), d->name) == NULL);
        CHECK(strstr(tg_api_names(), d->name) != NULL);
        char model[32] = "x";
        CHECK_INT_EQ(TG_API_ROUTE_NONE, d->server_route("/v1/models", model, sizeof model));
        CHECK_INT_EQ(TG_API_ROUTE_NONE, d->server_route("/v1/embeddings", model, sizeof model));
        CHECK_STR_EQ("", model);
    }
    char model[32];
    CHECK_INT_EQ(TG_API_ROUTE_INFER, a->server_route("/v1/chat/completions", model, sizeof model));
    CHECK_INT_EQ(TG_API_ROUTE_NONE, a->server_route("/v1/completions", model, sizeof model));
    CHECK_INT_EQ(TG_API_ROUTE_INFER, c->server_route("/v1/completions", model, sizeof model));
    CHECK_INT_EQ(TG_API_ROUTE_NONE, c->server_route("/v1/chat/completions", model, sizeof model));
    /* /v1/models stays openai-embeddings' */
    CHECK_INT_EQ(TG_API_ROUTE_METADATA,
                 tg_api_find("openai-embeddings")->server_route("/v1/models", model, sizeof model));
}

/* ---- stream events ------------------------------------------------------------ */

#define NONE -1
enum { C_CHAT = 1, C_CMPL = 2, C_BOTH = 3 };

struct ev_case {
    int dialects;
    const char *source, *event, *data;
    int rc;
    enum tg_api_event_kind kind;
    const char *content;       /* CONTENT: the text appended */
    long long completion, prompt;
    const char *finish, *message;  /* message: substring of ev.message (ERROR) or why (rc) */
};

static const struct ev_case ev_cases[] = {
    /* OpenAI chat.completion.chunk, as the API reference shows them */
    { C_CHAT, "openai role", "", "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":"
      "{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_CHAT, "openai content", "", "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":"
      "{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}]}",
      0, TG_API_EV_CONTENT, "Hello", NONE, NONE, "", NULL },
    { C_CHAT, "openai usage null", "", "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},\"logprobs\":null,\"finish_reason\":null}],"
      "\"usage\":null}",
      0, TG_API_EV_CONTENT, " there", NONE, NONE, "", NULL },
    { C_CHAT, "openai finish", "", "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "stop", NULL },
    { C_BOTH, "openai include_usage final", "", "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
      "\"model\":\"m\",\"system_fingerprint\":\"fp\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
      "\"completion_tokens\":12,\"total_tokens\":21,\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
      0, TG_API_EV_OTHER, NULL, 12, 9, "", NULL },
    { C_BOTH, "done", "", "[DONE]", 0, TG_API_EV_DONE, NULL, NONE, NONE, "", NULL },
    { C_BOTH, "done blanks", "", " [DONE]\r\n\t", 0, TG_API_EV_DONE, NULL, NONE, NONE, "", NULL },
    { C_BOTH, "keep-alive", "", "", 0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_BOTH, "openai error chunk", "", "{\"error\":{\"message\":\"The server had an error while processing your "
      "request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}",
      0, TG_API_EV_ERROR, NULL, NONE, NONE, "", "The server had an error while processing your request." },
    /* vLLM: continuous usage stats on every chunk, reasoning and tool deltas */
    { C_CHAT, "vllm continuous usage", "", "{\"id\":\"chatcmpl-b3c4\",\"object\":\"chat.completion.chunk\",\"created\":"
      "1733000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
      "\" world\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":17,\"total_tokens\":19,"
      "\"completion_tokens\":2}}",
      0, TG_API_EV_CONTENT, " world", 2, 17, "", NULL },
    { C_CHAT, "vllm role with usage", "", "{\"id\":\"chatcmpl-b3c4\",\"object\":\"chat.completion.chunk\",\"created\":1,"
      "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
      "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":17,\"total_tokens\":17,\"completion_tokens\":0}}",
      0, TG_API_EV_OTHER, NULL, 0, 17, "", NULL },
    { C_CHAT, "vllm reasoning_content", "", "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
      "\"deepseek-r1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me think\"},\"logprobs\":null,"
      "\"finish_reason\":null}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_CHAT, "vllm tool_calls", "", "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
      "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\"\"}}]},"
      "\"logprobs\":null,\"finish_reason\":null}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_CHAT, "vllm content null", "", "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":null},"
      "\"finish_reason\":\"tool_calls\"}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "tool_calls", NULL },
    { C_BOTH, "vllm old error", "", "{\"object\":\"error\",\"message\":\"This model's maximum context length is 4096 "
      "tokens.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}",
      0, TG_API_EV_ERROR, NULL, NONE, NONE, "", "maximum context length is 4096" },
    { C_CMPL, "vllm completions usage", "", "{\"id\":\"cmpl-x\",\"object\":\"text_completion\",\"created\":1,\"model\":"
      "\"m\",\"choices\":[{\"index\":0,\"text\":\"ok\",\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}],"
      "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":4,\"completion_tokens\":1}}",
      0, TG_API_EV_CONTENT, "ok", 1, 3, "", NULL },
    /* llama.cpp server: "timings", index sometimes absent */
    { C_CHAT, "llama.cpp content", "", "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hi\"}}],"
      "\"created\":1733000000,\"id\":\"chatcmpl-abc\",\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\":\"b4000-abc\","
      "\"object\":\"chat.completion.chunk\"}",
      0, TG_API_EV_CONTENT, "Hi", NONE, NONE, "", NULL },
    { C_CHAT, "llama.cpp no index", "", "{\"choices\":[{\"finish_reason\":null,\"delta\":{\"content\":\"x\"}}],"
      "\"object\":\"chat.completion.chunk\"}",
      0, TG_API_EV_CONTENT, "x", NONE, NONE, "", NULL },
    { C_CHAT, "llama.cpp final timings", "", "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],"
      "\"created\":1733000000,\"id\":\"chatcmpl-abc\",\"model\":\"gpt-3.5-turbo\",\"system_fingerprint\":\"b4000\","
      "\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":10,\"prompt_tokens\":5,"
      "\"total_tokens\":15},\"timings\":{\"prompt_n\":5,\"prompt_ms\":12.3,\"predicted_n\":10,\"predicted_ms\":100.2,"
      "\"predicted_per_second\":99.8}}",
      0, TG_API_EV_OTHER, NULL, 10, 5, "stop", NULL },
    { C_BOTH, "llama.cpp error", "", "{\"error\":{\"code\":500,\"message\":\"the request exceeds the available "
      "context size\",\"type\":\"server_error\"}}",
      0, TG_API_EV_ERROR, NULL, NONE, NONE, "", "exceeds the available context size" },
    { C_CMPL, "llama.cpp completions", "", "{\"choices\":[{\"text\":\" sky\",\"index\":0,\"logprobs\":null,"
      "\"finish_reason\":null}],\"created\":1,\"model\":\"m\",\"system_fingerprint\":\"b1\",\"object\":\"text_completion\","
      "\"id\":\"chatcmpl-1\"}",
      0, TG_API_EV_CONTENT, " sky", NONE, NONE, "", NULL },
    /* TGI's OpenAI route (Messages API) */
    { C_CHAT, "tgi content", "", "{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1733000000,\"model\":"
      "\"tgi\",\"system_fingerprint\":\"3.0.1-native\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
      "\"content\":\"Deep\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}",
      0, TG_API_EV_CONTENT, "Deep", NONE, NONE, "", NULL },
    { C_CHAT, "tgi final eos", "", "{\"object\":\"chat.completion.chunk\",\"id\":\"\",\"created\":1,\"model\":\"tgi\","
      "\"system_fingerprint\":\"3.0.1-native\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
      "\"\"},\"logprobs\":null,\"finish_reason\":\"eos_token\"}],\"usage\":null}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "eos_token", NULL },
    { C_BOTH, "tgi error", "", "{\"error\":\"Input validation error: `inputs` tokens + `max_new_tokens` must be <= "
      "4096\",\"error_type\":\"validation\"}",
      0, TG_API_EV_ERROR, NULL, NONE, NONE, "", "Input validation error: `inputs` tokens" },
    { C_BOTH, "tgi event error", "error", "{\"error\":\"Request failed during generation: Server error: CUDA OOM\","
      "\"error_type\":\"generation\"}",
      0, TG_API_EV_ERROR, NULL, NONE, NONE, "", "Request failed during generation" },
    /* Ollama's /v1 route: role on every chunk */
    { C_CHAT, "ollama content", "", "{\"id\":\"chatcmpl-929\",\"object\":\"chat.completion.chunk\",\"created\":"
      "1733000000,\"model\":\"llama3.2\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":"
      "{\"role\":\"assistant\",\"content\":\"The\"},\"finish_reason\":null}]}",
      0, TG_API_EV_CONTENT, "The", NONE, NONE, "", NULL },
    { C_CHAT, "ollama final", "", "{\"id\":\"chatcmpl-929\",\"object\":\"chat.completion.chunk\",\"created\":1,"
      "\"model\":\"llama3.2\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
      "\"assistant\",\"content\":\"\"},\"finish_reason\":\"stop\"}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "stop", NULL },
    /* OpenAI text_completion chunks */
    { C_CMPL, "openai completions", "", "{\"id\":\"cmpl-8\",\"object\":\"text_completion\",\"created\":1733000000,"
      "\"choices\":[{\"text\":\" Paris\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],\"model\":"
      "\"gpt-3.5-turbo-instruct\",\"system_fingerprint\":\"fp_1\"}",
      0, TG_API_EV_CONTENT, " Paris", NONE, NONE, "", NULL },
    { C_CMPL, "openai completions length", "", "{\"id\":\"cmpl-8\",\"object\":\"text_completion\",\"created\":1,"
      "\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],\"model\":\"m\"}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "length", NULL },
    /* choices of other indexes; the other dialect's field is not content */
    { C_BOTH, "other choice", "", "{\"choices\":[{\"index\":1,\"text\":\"b\",\"delta\":{\"content\":\"b\"}}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_CHAT, "choice 0 second", "", "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"}},"
      "{\"index\":0,\"delta\":{\"content\":\"a\"}}]}",
      0, TG_API_EV_CONTENT, "a", NONE, NONE, "", NULL },
    { C_CMPL, "chat chunk to completions", "", "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_CHAT, "completions chunk to chat", "", "{\"choices\":[{\"index\":0,\"text\":\"a\"}]}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_CHAT, "escapes", "", "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\n\\u00e9\\ud83d\\ude00\\\"\\\\/"
      "\\u0000z\"}}]}",
      0, TG_API_EV_CONTENT, "a\n\xc3\xa9\xf0\x9f\x98\x80\"\\/\0z", NONE, NONE, "", NULL },
    { C_BOTH, "no choices", "", "{\"id\":\"x\",\"object\":\"chat.completion.chunk\"}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    { C_BOTH, "negative usage", "", "{\"choices\":[],\"usage\":{\"completion_tokens\":-3,\"prompt_tokens\":\"7\"}}",
      0, TG_API_EV_OTHER, NULL, NONE, NONE, "", NULL },
    /* event: error with plain text */
    { C_BOTH, "error event text", "error", "upstream timed out\r\nretry", 0, TG_API_EV_ERROR, NULL, NONE, NONE, "",
      "upstream timed out  retry" },
    { C_BOTH, "error event empty", "error", "", 0, TG_API_EV_ERROR, NULL, NONE, NONE, "", "error event" },
    /* not JSON objects */
    { C_CHAT, "not json", "", "Hello", TG_EPARSE, 0, NULL, NONE, NONE, "", "openai-chat: stream event data is not JSON" },
    { C_CMPL, "not json cmpl", "", "{\"choices\":", TG_EPARSE, 0, NULL, NONE, NONE, "",
      "openai-completions: stream event data is not JSON" },
    { C_BOTH, "array", "", "[1,2]", TG_EPARSE, 0, NULL, NONE, NONE, "", "not a JSON object" },
    { C_BOTH, "string", "", "\"DONE\"", TG_EPARSE, 0, NULL, NONE, NONE, "", "not a JSON object" },
    { C_BOTH, "two objects", "", "{}{}", TG_EPARSE, 0, NULL, NONE, NONE, "", "not JSON" },
    { C_BOTH, "done with more", "", "[DONE] x", TG_EPARSE, 0, NULL, NONE, NONE, "", "not JSON" },
    { C_BOTH, "invalid utf-8", "", "{\"choices\":[{\"index\":0,\"text\":\"\xff\",\"delta\":{\"content\":\"\xff\"}}]}",
      TG_EPARSE, 0, NULL, NONE, NONE, "", "not JSON" },
};

static size_t content_len_of(const struct ev_case *c)
{
    if (!c->content)
        return 0;
    if (!strcmp(c->source, "escapes"))
        return 13; /* holds a NUL */
    return strlen(c->content);
}

TEST(chat_stream_events)
{
    for (size_t i = 0; i < sizeof ev_cases / sizeof ev_cases[0]; i++) {
        const struct ev_case *c = &ev_cases[i];
        for (int k = 0; k < 2; k++) {
            if (!(c->dialects & (k ? C_CMPL : C_CHAT)))
                continue;
            const struct tg_api *a = k ? cmpl() : chat();
            struct tg_buf text = TG_BUF_INIT(0);
            REQUIRE(tg_buf_append(&text, "pre", 3) == 0);
            struct tg_api_stream_event ev;
            memset(&ev, 0x5a, sizeof ev);
            char why[200] = "";
            int rc = a->stream_event(c->event, strlen(c->event), c->data, strlen(c->data), &text, &ev, why,
                                     sizeof why);
            int before = tg_test_failed_checks;
            CHECK_INT_EQ(c->rc, rc);
            if (rc) {
                if (!strstr(why, c->message))
                    TG_FAIL_AT("why \"%s\" lacks \"%s\"", why, c->message);
                CHECK_UINT_EQ(3, text.len);
            } else {
                CHECK_INT_EQ(c->kind, ev.kind);
                size_t want = content_len_of(c);
                CHECK_UINT_EQ(want, ev.content_len);
                CHECK_MEM_EQ(c->content ? c->content : "", want, text.data + 3, text.len - 3);
                CHECK_INT_EQ(c->completion, ev.completion_tokens);
                CHECK_INT_EQ(c->prompt, ev.prompt_tokens);
                CHECK_STR_EQ(c->finish, ev.finish_reason);
                if (c->kind == TG_API_EV_ERROR && !strstr(ev.message, c->message))
                    TG_FAIL_AT("message \"%s\" lacks \"%s\"", ev.message, c->message);
                if (c->kind != TG_API_EV_ERROR)
                    CHECK_STR_EQ("", ev.message);
            }
            if (tg_test_failed_checks != before)
                fprintf(stderr, "  case %zu (%s, %s): data %s\n", i, c->source, a->name, c->data);
            tg_buf_free(&text);
        }
    }
}

/* The fast reader answers for the ordinary chunks and agrees with jansson on
 * every input; what it declines (repeated or escaped keys, exponents, NUL
 * escapes, deep nesting, errors) jansson reads. */
static void compare_readers(enum tg_api_gen_dialect d, const char *data, size_t len, int want_scan)
{
    struct tg_buf t1 = TG_BUF_INIT(0), t2 = TG_BUF_INIT(0);
    struct tg_api_stream_event e1, e2;
    memset(&e1, 0, sizeof e1);
    int scanned = tg_api_gen_event_scan(d, data, len, &t1, &e1);
    char why[200];
    int rc = tg_api_gen_event_jansson(d, "", 0, data, len, &t2, &e2, why, sizeof why);
    if (want_scan >= 0 && scanned != want_scan)
        TG_FAIL_AT("scan of %.*s: expected %d, got %d", (int)len, data, want_scan, scanned);
    if (scanned == 1) {
        CHECK_INT_EQ(0, rc);
        CHECK_INT_EQ(e2.kind, e1.kind);
        CHECK_UINT_EQ(e2.content_len, e1.content_len);
        CHECK_MEM_EQ(t2.data ? t2.data : "", t2.len, t1.data ? t1.data : "", t1.len);
        CHECK_INT_EQ(e2.completion_tokens, e1.completion_tokens);
        CHECK_INT_EQ(e2.prompt_tokens, e1.prompt_tokens);
        CHECK_STR_EQ(e2.finish_reason, e1.finish_reason);
    } else {
        CHECK_INT_EQ(0, scanned);
        CHECK_UINT_EQ(0, t1.len);
    }
    tg_buf_free(&t1);
    tg_buf_free(&t2);
}

TEST(chat_fast_reader_agrees)
{
    for (size_t i = 0; i < sizeof ev_cases / sizeof ev_cases[0]; i++) {
        const struct ev_case *c = &ev_cases[i];
        int ordinary = c->rc == 0 && c->kind != TG_API_EV_ERROR && c->kind != TG_API_EV_DONE && c->data[0] == '{' &&
                       strcmp(c->source, "escapes");
        for (int k = 0; k < 2; k++)
            compare_readers(k ? TG_API_GEN_COMPLETIONS : TG_API_GEN_CHAT, c->data, strlen(c->data),
                            ordinary ? 1 : c->rc || c->kind == TG_API_EV_ERROR || c->kind == TG_API_EV_DONE ? 0 : -1);
    }
    static const struct { const char *data; int chat, cmpl; } tricky[] = {
        { "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}", 0, 1 },
        { "{\"choices\":[{\"index\":1,\"index\":0,\"delta\":{\"content\":\"a\"}}]}", 0, 0 },
        { "{\"choices\":[],\"choices\":[{\"delta\":{\"content\":\"a\"}}]}", 0, 0 },
        { "{\"ch\\u006fices\":[{\"delta\":{\"content\":\"a\"}}]}", 0, 0 },
        { "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"completion_tokens\":1e2}}", 0, 0 },
        { "{\"choices\":[{\"delta\":{\"content\":\"a\\u0000\"}}]}", 0, 0 },
        { "{\"x\":\"\\ud800\"}", 0, 0 },
        { "{\"x\":\"\\udc00\"}", 0, 0 },
        { "{\"x\":1234567890123456789}", 0, 0 },
        { "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0, 0 },
        { "{\"object\":\"error\",\"message\":\"x\"}", 0, 0 },
        { "{\"object\":\"\\u0065rror\",\"message\":\"x\"}", 0, 0 },
        { "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"a\"}}]}", 0, 0 },
        { "{\"x\":01}", 0, 0 },
        { "{\"x\":-}", 0, 0 },
        { "{\"x\":1.}", 0, 0 },
        { "{\"x\":tru}", 0, 0 },
        { "{\"x\":1,}", 0, 0 },
        { "{\"x\" 1}", 0, 0 },
        { "{\"x\":\"\t\"}", 0, 0 },
        { "{\"x\":\"\\q\"}", 0, 0 },
        { "{}\f", 0, 0 },
        { "{} x", 0, 0 },
        { "\xef\xbb\xbf{}", 0, 0 },
        { "{\"x\":\"\xc3\"}", 0, 0 },
        { " \r\n\t{ \"choices\" : [ 7 , { \"index\" : -0 , \"delta\" : { \"content\" : \"\\u00e9\\ud83d\\ude00\\/\" } } ] } \n", 1, 1 },
        { "{\"choices\":[{\"index\":0.0,\"delta\":{\"content\":\"a\"}},{\"delta\":{\"content\":\"b\"}}]}", 1, 1 },
        { "{\"choices\":[{\"index\":\"0\",\"text\":\"a\"},{\"index\":null,\"text\":\"b\",\"finish_reason\":\"a\\\"very\\\"long finish reason past 23 bytes\"}]}", 1, 1 },
        { "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"completion_tokens\":-1,\"prompt_tokens\":2.5}}", 1, 1 },
        { "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"completion_tokens\":999999999999999999}}", 1, 1 },
        { "{\"choices\":{\"delta\":{\"content\":\"a\"}},\"usage\":[1],\"object\":7}", 1, 1 },
        { "{\"choices\":[{\"delta\":[],\"text\":{},\"finish_reason\":false}]}", 1, 1 },
        { "{\"\xc3\xa9\":\"\xf0\x9f\x98\x80\",\"n\":[true,false,null,-12.5e0]}", 0, 0 },
        { "{\"\xc3\xa9\":\"\xf0\x9f\x98\x80\",\"n\":[true,false,null,-12.50]}", 1, 1 },
    };
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++)
        for (int k = 0; k < 2; k++)
            compare_readers(k ? TG_API_GEN_COMPLETIONS : TG_API_GEN_CHAT, tricky[i].data, strlen(tricky[i].data),
                            k ? tricky[i].cmpl : tricky[i].chat);
    /* every prefix of an ordinary chunk: declined or agreed */
    const char *full = ev_cases[1].data;
    for (size_t n = 0; n <= strlen(full); n++)
        compare_readers(TG_API_GEN_CHAT, full, n, n == strlen(full) ? 1 : 0);
}

TEST(chat_stream_error_message_is_one_line)
{
    char data[600];
    snprintf(data, sizeof data, "{\"error\":{\"message\":\"line one\\nline\\ttwo\\u0001 %0400d\"}}", 7);
    struct tg_buf text = TG_BUF_INIT(0);
    struct tg_api_stream_event ev;
    char why[100];
    CHECK_INT_EQ(0, chat()->stream_event("", 0, data, strlen(data), &text, &ev, why, sizeof why));
    CHECK_INT_EQ(TG_API_EV_ERROR, ev.kind);
    CHECK(strncmp(ev.message, "line one line two  0000", 23) == 0);
    CHECK_UINT_EQ(sizeof ev.message - 1, strlen(ev.message));
    /* a cut never splits a UTF-8 sequence */
    char msg[400] = "{\"error\":\"";
    for (int i = 0; i < 120; i++)
        strcat(msg, "\xc3\xa9");
    strcat(msg, "\"}");
    CHECK_INT_EQ(0, chat()->stream_event("", 0, msg, strlen(msg), &text, &ev, why, sizeof why));
    CHECK_UINT_EQ(198, strlen(ev.message));
    tg_buf_free(&text);
}

/* ---- canonical text ------------------------------------------------------------ */

TEST(chat_canon_text)
{
    static const struct { const char *in; size_t len; const char *out; } cases[] = {
        { "", 0, "\"\"" },
        { "Hello, world", 12, "\"Hello, world\"" },
        { "a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"" },
        { "\n\r\t\b\f\x01\x1f\x7f", 8, "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"" },
        { "nul\0x", 5, "\"nul\\u0000x\"" },
        { "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
        { "bad\xff" "end", 7, "\"bad\xef\xbf\xbd" "end\"" },
        { "\xc3", 1, "\"\xef\xbf\xbd\"" },                 /* cut sequence */
        { "\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* a surrogate, byte by byte */
        { "\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"" },  /* overlong */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, tg_api_canon_text(&b, cases[i].in, cases[i].len));
        CHECK_MEM_EQ(cases[i].out, strlen(cases[i].out), b.data, b.len);
        /* valid JSON, and canonical: canon_json of it is itself */
        struct tg_buf again = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, tg_api_canon_json(&again, b.data, b.len));
        CHECK_MEM_EQ(b.data, b.len, again.data, again.len);
        tg_buf_free(&b);
        tg_buf_free(&again);
    }
    /* tg_api_put_text keeps its '?' for bytes that are not UTF-8 */
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, tg_api_put_text(&b, "m\xff\"x"));
    CHECK_STR_EQ("\"m?\\\"x\"", b.data);
    tg_buf_free(&b);
}

/* ---- non-streaming answers -------------------------------------------------------- */

TEST(chat_read_text_and_split)
{
    static const struct {
        int dialect;
        const char *body;
        int rc;
        const char *text;
        long long tokens;
        const char *why;
    } cases[] = {
        { C_CHAT, "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"created\":1677652288,\"model\":\"gpt-4o-mini\","
          "\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
          "\"content\":\"\\n\\nHello there, how may I assist you today?\",\"refusal\":null},\"logprobs\":null,"
          "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}",
          0, "\n\nHello there, how may I assist you today?", 12, NULL },
        { C_CHAT, "{\"choices\":[{\"index\":1,\"message\":{\"content\":\"b\"}},{\"index\":0,\"message\":{\"role\":"
          "\"assistant\",\"content\":\"a\"}}]}", 0, "a", -1, NULL },
        { C_CHAT, "{\"choices\":[{\"message\":{\"content\":\"no index\",\"reasoning_content\":\"hmm\"}}],"
          "\"usage\":{\"completion_tokens\":3}}", 0, "no index", 3, NULL },
        { C_CHAT, "{\"choices\":[{\"index\":2,\"message\":{\"content\":\"only\"}}]}", 0, "only", -1, NULL },
        { C_CHAT, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null}}]}", 0, "", -1, NULL },
        { C_CHAT, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
          "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
          "\"finish_reason\":\"tool_calls\"}]}",
          TG_EMISMATCH, NULL, -1, "openai-chat: choices[0].message.content is null: the answer is tool_calls" },
        { C_CHAT, "{\"choices\":[{\"index\":0,\"message\":{\"content\":null,\"refusal\":\"I can't\"}}]}",
          TG_EMISMATCH, NULL, -1, "refused" },
        { C_CHAT, "{\"choices\":[]}", TG_EMISMATCH, NULL, -1, "\"choices\" is empty" },
        { C_CHAT, "{\"object\":\"chat.completion\"}", TG_EMISMATCH, NULL, -1, "no \"choices\" array" },
        { C_CHAT, "{\"choices\":[{\"index\":0,\"text\":\"t\"}]}", TG_EMISMATCH, NULL, -1, "no \"message\" object" },
        { C_CHAT, "{\"choices\":[{\"index\":0,\"message\":{\"content\":[1]}}]}", TG_EMISMATCH, NULL, -1,
          "choices[0].message.content is not text" },
        { C_CHAT, "[1]", TG_EMISMATCH, NULL, -1, "not a JSON object" },
        { C_CHAT, "{\"choices\":", TG_EPARSE, NULL, -1, "openai-chat: response body is not JSON" },
        { C_CMPL, "{\"id\":\"cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7\",\"object\":\"text_completion\",\"created\":1589478378,"
          "\"model\":\"gpt-3.5-turbo-instruct\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"text\":"
          "\"\\n\\nThis is indeed a test\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":"
          "{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}",
          0, "\n\nThis is indeed a test", 7, NULL },
        { C_CMPL, "{\"choices\":[{\"index\":0,\"text\":null}]}", TG_EMISMATCH, NULL, -1,
          "openai-completions: choices[0].text is not text" },
        { C_CMPL, "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"x\"}}]}", TG_EMISMATCH, NULL, -1,
          "choices[0].text is missing" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tg_api *a = cases[i].dialect == C_CHAT ? chat() : cmpl();
        const char *body = cases[i].body;
        struct tg_buf text = TG_BUF_INIT(0);
        int64_t tokens = 99;
        char why[200] = "";
        int before = tg_test_failed_checks;
        int rc = a->read_text(body, strlen(body), &text, &tokens, why, sizeof why);
        CHECK_INT_EQ(cases[i].rc, rc);
        if (rc) {
            if (!strstr(why, cases[i].why))
                TG_FAIL_AT("why \"%s\" lacks \"%s\"", why, cases[i].why);
        } else {
            CHECK_MEM_EQ(cases[i].text, strlen(cases[i].text), text.data ? text.data : "", text.len);
            CHECK_INT_EQ(cases[i].tokens, tokens);
        }
        /* split gives the canonical text of the same output */
        struct outs o = { 0 };
        char why2[200] = "";
        CHECK_INT_EQ(cases[i].rc, a->split(body, strlen(body), false, 1, collect, &o, why2, sizeof why2));
        if (!rc) {
            struct tg_buf canon = TG_BUF_INIT(0);
            CHECK_INT_EQ(0, tg_api_canon_text(&canon, text.data, text.len));
            CHECK_UINT_EQ(1, o.n);
            CHECK_STR_EQ(canon.data, o.canon[0]);
            char hex[TG_SHA256_HEX_LEN + 1];
            tg_sha256_hex(canon.data, canon.len, hex);
            CHECK_STR_EQ(hex, o.hex[0]);
            tg_buf_free(&canon);
        } else {
            CHECK_STR_EQ(why, why2);
        }
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  case %zu: %s\n", i, body);
        outs_free(&o);
        tg_buf_free(&text);
    }
    /* not batchable: a request holds one output */
    struct outs o = { 0 };
    char why[200];
    const char *body = "{\"choices\":[{\"index\":0,\"text\":\"a\"}]}";
    CHECK_INT_EQ(TG_EMISMATCH, cmpl()->split(body, strlen(body), true, 2, collect, &o, why, sizeof why));
    CHECK_STR_HAS("not batchable", why);
    CHECK_INT_EQ(0, cmpl()->split(body, strlen(body), true, 1, collect, &o, why, sizeof why));
    outs_free(&o);
}

/* ---- payload lines --------------------------------------------------------------- */

TEST(chat_parse_line)
{
    static const struct {
        int dialect;
        const char *line;
        int rc;
        const char *item, *group, *why;
    } cases[] = {
        { C_CHAT, "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"developer\",\"content\":\"You are a helpful "
          "assistant.\"},{\"role\":\"user\",\"content\":\"Hello!\"}],\"stream\":true,\"stream_options\":"
          "{\"include_usage\":true},\"max_tokens\":64}",
          0, "[{\"content\":\"You are a helpful assistant.\",\"role\":\"developer\"},{\"content\":\"Hello!\","
          "\"role\":\"user\"}]",
          "{\"max_tokens\":64,\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", NULL },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What's "
          "in this image?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.jpg\"}}]}]}",
          0, NULL, "{\"model\":\"m\"}", NULL },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\","
          "\"content\":null,\"tool_calls\":[]}]}", 0, NULL, "{\"model\":\"m\"}", NULL },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[]}", TG_EPARSE, NULL, NULL, "\"messages\" must be a non-empty array" },
        { C_CHAT, "{\"model\":\"m\",\"messages\":\"hi\"}", TG_EPARSE, NULL, NULL, "\"messages\" must be a non-empty" },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", TG_EPARSE, NULL, NULL,
          "\"messages\"[0] is not an object with a string \"role\"" },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", TG_EPARSE, NULL, NULL,
          "\"messages\"[0] has no \"content\"" },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":3}]}", TG_EPARSE, NULL, NULL,
          "content must be a string, null or an array of parts" },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}", TG_EPARSE,
          NULL, NULL, "\"messages\"[0].content[0] (text) has no string \"text\"" },
        { C_CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]}", TG_EPARSE,
          NULL, NULL, "content[0] has no string \"type\"" },
        { C_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", TG_EPARSE, NULL, NULL, "string \"model\"" },
        { C_CHAT, "{\"model\":\"m\",\"prompt\":\"x\"}", TG_EPARSE, NULL, NULL, "--api openai-completions" },
        { C_CHAT, "nope", TG_EPARSE, NULL, NULL, "openai-chat: not JSON" },
        { C_CMPL, "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\",\"max_tokens\":7,"
          "\"temperature\":0}",
          0, "\"Say this is a test\"", "{\"max_tokens\":7,\"model\":\"gpt-3.5-turbo-instruct\",\"temperature\":0}", NULL },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[\"one\"]}", 0, "[\"one\"]", "{\"model\":\"m\"}", NULL },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[1212,318,257]}", 0, "[1212,318,257]", "{\"model\":\"m\"}", NULL },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[[1212,318]]}", 0, "[[1212,318]]", "{\"model\":\"m\"}", NULL },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", TG_EPARSE, NULL, NULL,
          "the line holds 2 prompts (an array of strings); give one prompt per line" },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[[1],[2]]}", TG_EPARSE, NULL, NULL, "holds 2 prompts" },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[]}", TG_EPARSE, NULL, NULL, "\"prompt\" is an empty array" },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[1,\"a\"]}", TG_EPARSE, NULL, NULL, "\"prompt\"[1] is not an integer" },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":[[]]}", TG_EPARSE, NULL, NULL, "\"prompt\"[0] is neither" },
        { C_CMPL, "{\"model\":\"m\",\"prompt\":3}", TG_EPARSE, NULL, NULL, "\"prompt\" must be a string" },
        { C_CMPL, "{\"model\":\"m\",\"messages\":[]}", TG_EPARSE, NULL, NULL, "no \"prompt\" (this is a chat body" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tg_api *a = cases[i].dialect == C_CHAT ? chat() : cmpl();
        struct tg_api_line l = { 0 };
        char why[200] = "";
        int before = tg_test_failed_checks;
        int rc = a->parse_line(cases[i].line, strlen(cases[i].line), &l, why, sizeof why);
        CHECK_INT_EQ(cases[i].rc, rc);
        if (rc) {
            CHECK(strncmp(why, a->name, strlen(a->name)) == 0);
            if (!strstr(why, cases[i].why))
                TG_FAIL_AT("why \"%s\" lacks \"%s\"", why, cases[i].why);
        } else {
            if (cases[i].item)
                CHECK_STR_EQ(cases[i].item, l.item);
            CHECK_UINT_EQ(strlen(l.item), l.item_len);
            CHECK_STR_EQ(cases[i].group, l.group);
            CHECK(l.model != NULL);
        }
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  case %zu: %s (%s)\n", i, cases[i].line, why);
        tg_api_line_free(&l);
    }
}

/* ---- server: requests ------------------------------------------------------------ */

static const struct tg_api_server_limits LIM = { "example-llm", 64, 0 };

TEST(chat_server_parse_accepts)
{
    static const struct {
        int dialect;
        const char *body, *prompt;
        bool stream, usage;
        long long max_tokens;
    } cases[] = {
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello!\"}]}", "Hello!",
          false, false, -1 },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
          "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},"
          "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},{\"role\":\"user\",\"content\":\"\\u00e9\"}],"
          "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":16}",
          "Be brief.\na\nb\n\xc3\xa9", true, true, 16 },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true,"
          "\"stream_options\":{\"include_usage\":false},\"max_completion_tokens\":3,\"max_tokens\":9}", "x", true,
          false, 3 },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"assistant\",\"content\":null}],\"stream\":false,"
          "\"stream_options\":null,\"max_tokens\":null,\"n\":1}", "", false, false, -1 },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":\"Say this is a test\",\"max_tokens\":7,\"temperature\":0}",
          "Say this is a test", false, false, 7 },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":[\"one\"],\"stream\":true}", "one", true, false, -1 },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":\"\",\"max_completion_tokens\":0}", "", false, false, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tg_api *a = cases[i].dialect == C_CHAT ? chat() : cmpl();
        struct tg_api_request r;
        int before = tg_test_failed_checks;
        CHECK_INT_EQ(0, a->server_parse(cases[i].body, strlen(cases[i].body), "", &LIM, &r));
        CHECK_INT_EQ(200, r.status);
        CHECK_UINT_EQ(1, r.n);
        if (r.n == 1)
            CHECK_MEM_EQ(cases[i].prompt, strlen(cases[i].prompt), r.texts[0].data, r.texts[0].len);
        CHECK_INT_EQ(cases[i].stream, r.stream);
        CHECK_INT_EQ(cases[i].usage, r.include_usage);
        CHECK_INT_EQ(cases[i].max_tokens, r.max_tokens);
        CHECK_STR_EQ("example-llm", r.model);
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  case %zu: %s (%s)\n", i, cases[i].body, r.message);
        tg_api_request_free(&r);
    }
}

TEST(chat_server_parse_refuses)
{
    static const struct {
        int dialect;
        const char *body;
        int status;
        const char *message, *param, *code;
    } cases[] = {
        { C_CHAT, "{\"model\":", 400, "We could not parse the JSON body of your request", NULL, NULL },
        { C_CHAT, "[1]", 400, "expected an object, but got an array", NULL, "invalid_type" },
        { C_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 400, "you must provide a model parameter",
          NULL, "missing_required_parameter" },
        { C_CHAT, "{\"model\":7,\"messages\":[]}", 400, "Invalid type for 'model'", "model", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\"}", 400, "Missing required parameter: 'messages'.", "messages",
          "missing_required_parameter" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[]}", 400, "Invalid 'messages': empty array.", "messages",
          "empty_array" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":{}}", 400, "expected an array, but got an object",
          "messages", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", 400,
          "Invalid value for 'messages[0].role'", "messages[0].role", "invalid_value" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"content\":\"x\"}]}", 400,
          "Missing required parameter: 'messages[0].role'.", "messages[0].role", "missing_required_parameter" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\"}]}", 400,
          "Missing required parameter: 'messages[0].content'.", "messages[0].content", "missing_required_parameter" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
          400, "text parts only", "messages[0].content[0].type", NULL },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400,
          "Invalid type for 'messages[0].content'", "messages[0].content", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}",
          400, "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
          "max_tokens", "integer_below_min_value" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
          "\"max_completion_tokens\":\"8\"}", 400, "Invalid type for 'max_completion_tokens': expected an integer, "
          "but got a string instead.", "max_completion_tokens", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1.5}",
          400, "Invalid type for 'max_tokens'", "max_tokens", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
          "\"stream_options\":{\"include_usage\":true}}", 400,
          "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", NULL },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":false,"
          "\"stream_options\":{}}", 400, "only allowed when 'stream' is enabled", "stream_options", NULL },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}",
          400, "Invalid type for 'stream': expected a boolean", "stream", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true,"
          "\"stream_options\":{\"include_usage\":1}}", 400, "'stream_options.include_usage'",
          "stream_options.include_usage", "invalid_type" },
        { C_CHAT, "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", 400,
          "one choice", "n", NULL },
        { C_CHAT, "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404,
          "The model `gpt-4o` does not exist or you do not have access to it.", NULL, "model_not_found" },
        { C_CMPL, "{\"model\":\"example-llm\"}", 400, "Missing required parameter: 'prompt'.", "prompt",
          "missing_required_parameter" },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":[\"a\",\"b\"]}", 400, "one prompt per request", "prompt", NULL },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":[1,2]}", 400, "token prompts are not supported", "prompt", NULL },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":[]}", 400, "Invalid 'prompt': empty array.", "prompt",
          "empty_array" },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":{}}", 400, "Invalid type for 'prompt'", "prompt", "invalid_type" },
        { C_CMPL, "{\"model\":\"example-llm\",\"prompt\":\"x\",\"max_tokens\":-1}", 400, "below minimum value",
          "max_tokens", "integer_below_min_value" },
        { C_CMPL, "{\"model\":\"davinci\",\"prompt\":\"x\"}", 404, "The model `davinci` does not exist", NULL,
          "model_not_found" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tg_api *a = cases[i].dialect == C_CHAT ? chat() : cmpl();
        struct tg_api_request r;
        int before = tg_test_failed_checks;
        CHECK(a->server_parse(cases[i].body, strlen(cases[i].body), "", &LIM, &r) < 0);
        CHECK_INT_EQ(cases[i].status, r.status);
        if (!strstr(r.message, cases[i].message))
            TG_FAIL_AT("message \"%s\" lacks \"%s\"", r.message, cases[i].message);
        /* the error body: OpenAI's shape, param and code from the wording */
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, a->server_error(&b, r.status, r.message));
        json_t *doc = json_loadb(b.data, b.len, 0, NULL), *e = json_object_get(doc, "error");
        CHECK(json_is_object(e) && json_object_size(e) == 4);
        CHECK_STR_EQ(r.message, json_string_value(json_object_get(e, "message")));
        CHECK_STR_EQ("invalid_request_error", json_string_value(json_object_get(e, "type")));
        json_t *param = json_object_get(e, "param"), *code = json_object_get(e, "code");
        if (cases[i].param)
            CHECK_STR_EQ(cases[i].param, json_string_value(param));
        else
            CHECK(json_is_null(param));
        if (cases[i].code)
            CHECK_STR_EQ(cases[i].code, json_string_value(code));
        else
            CHECK(json_is_null(code));
        struct tg_api_error got;
        tg_api_read_error(a, r.status, b.data, b.len, &got);
        CHECK_STR_EQ(r.message, got.message);
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  case %zu: %s -> %s\n", i, cases[i].body, b.data);
        json_decref(doc);
        tg_buf_free(&b);
        tg_api_request_free(&r);
    }
}

TEST(chat_server_error_statuses)
{
    static const struct { int status; const char *type, *code; } cases[] = {
        { 429, "requests", "rate_limit_exceeded" },
        { 401, "invalid_request_error", "invalid_api_key" },
        { 500, "server_error", NULL },
        { 503, "server_error", NULL },
        { 404, "invalid_request_error", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_buf b = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, chat()->server_error(&b, cases[i].status, "busy \xff \"now\""));
        json_t *doc = json_loadb(b.data, b.len, 0, NULL), *e = json_object_get(doc, "error");
        CHECK_STR_EQ("busy ? \"now\"", json_string_value(json_object_get(e, "message")));
        CHECK_STR_EQ(cases[i].type, json_string_value(json_object_get(e, "type")));
        if (cases[i].code)
            CHECK_STR_EQ(cases[i].code, json_string_value(json_object_get(e, "code")));
        else
            CHECK(json_is_null(json_object_get(e, "code")));
        json_decref(doc);
        tg_buf_free(&b);
    }
}

/* ---- server: writers ---------------------------------------------------------------- */

TEST(chat_server_writers_exact)
{
    struct tg_api_gen g = { "chatcmpl-7", "example-llm", 1733000000, 5, 2, NULL, false };
    struct tg_buf b = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, chat()->server_chunk(&b, &g, "", 0, true));
    CHECK_STR_EQ("data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1733000000,"
                 "\"model\":\"example-llm\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                 "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, chat()->server_chunk(&b, &g, "Hi \"x\"\n", 7, false));
    CHECK_STR_EQ("data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1733000000,"
                 "\"model\":\"example-llm\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi \\\"x\\\"\\n\"},"
                 "\"logprobs\":null,\"finish_reason\":null}]}\n\n", b.data);
    tg_buf_reset(&b);
    g.finish_reason = "length";
    g.include_usage = true;
    CHECK_INT_EQ(0, chat()->server_chunk(&b, &g, NULL, 0, false));
    CHECK_STR_EQ("data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1733000000,"
                 "\"model\":\"example-llm\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                 "\"finish_reason\":\"length\"}],\"usage\":null}\n\n", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, chat()->server_stream_end(&b, &g, true));
    CHECK_STR_EQ("data: {\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1733000000,"
                 "\"model\":\"example-llm\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
                 "\"total_tokens\":7}}\n\ndata: [DONE]\n\n", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, chat()->server_stream_end(&b, &g, false));
    CHECK_STR_EQ("data: [DONE]\n\n", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, chat()->server_complete(&b, &g, "Hello", 5));
    CHECK_STR_EQ("{\"id\":\"chatcmpl-7\",\"object\":\"chat.completion\",\"created\":1733000000,\"model\":\"example-llm\","
                 "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\",\"refusal\":null},"
                 "\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,"
                 "\"completion_tokens\":2,\"total_tokens\":7}}", b.data);

    struct tg_api_gen c = { "cmpl-7", "example-llm", 1733000000, 5, 2, NULL, false };
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, cmpl()->server_chunk(&b, &c, " Paris", 6, true));
    CHECK_STR_EQ("data: {\"id\":\"cmpl-7\",\"object\":\"text_completion\",\"created\":1733000000,\"choices\":"
                 "[{\"text\":\" Paris\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],\"model\":"
                 "\"example-llm\"}\n\n", b.data);
    tg_buf_reset(&b);
    c.finish_reason = "stop";
    c.include_usage = true;
    CHECK_INT_EQ(0, cmpl()->server_chunk(&b, &c, "", 0, false));
    CHECK_STR_EQ("data: {\"id\":\"cmpl-7\",\"object\":\"text_completion\",\"created\":1733000000,\"choices\":"
                 "[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],\"model\":"
                 "\"example-llm\",\"usage\":null}\n\n", b.data);
    tg_buf_reset(&b);
    CHECK_INT_EQ(0, cmpl()->server_stream_end(&b, &c, true));
    CHECK_STR_EQ("data: {\"id\":\"cmpl-7\",\"object\":\"text_completion\",\"created\":1733000000,\"choices\":[],"
                 "\"model\":\"example-llm\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
                 "\"total_tokens\":7}}\n\ndata: [DONE]\n\n", b.data);
    tg_buf_reset(&b);
    c.finish_reason = NULL;
    CHECK_INT_EQ(0, cmpl()->server_complete(&b, &c, "ok", 2));
    CHECK_STR_EQ("{\"id\":\"cmpl-7\",\"object\":\"text_completion\",\"created\":1733000000,\"model\":\"example-llm\","
                 "\"choices\":[{\"text\":\"ok\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                 "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}", b.data);
    tg_buf_free(&b);
}

/* ---- round trips ------------------------------------------------------------------ */

/* Feeds one "data: …\n\n" event of b (at *off) to a->stream_event. */
static int next_event(const struct tg_api *a, const struct tg_buf *b, size_t *off, struct tg_buf *text,
                      struct tg_api_stream_event *ev)
{
    const char *s = b->data + *off, *end = strstr(s, "\n\n");
    if (strncmp(s, "data: ", 6) || !end)
        return TG_EPARSE;
    *off = (size_t)(end + 2 - b->data);
    char why[200];
    return a->stream_event("", 0, s + 6, (size_t)(end - s - 6), text, ev, why, sizeof why);
}

/* Streams pieces through server_chunk -> stream_event; whole text through
 * server_complete -> split; the canonical texts must agree. */
static void round_trip(const struct tg_api *a, const char *const *pieces, const size_t *lens, size_t n)
{
    struct tg_api_gen g = { "id-1", "example-llm", 1, 3, (uint32_t)n, NULL, n % 2 == 1 };
    struct tg_buf wire = TG_BUF_INIT(0), whole = TG_BUF_INIT(0), text = TG_BUF_INIT(0);
    int before = tg_test_failed_checks;
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(0, a->server_chunk(&wire, &g, pieces[i], lens[i], i == 0));
        CHECK_INT_EQ(0, tg_buf_append(&whole, pieces[i], lens[i]));
    }
    g.finish_reason = "stop";
    CHECK_INT_EQ(0, a->server_chunk(&wire, &g, "", 0, false));
    CHECK_INT_EQ(0, a->server_stream_end(&wire, &g, true));
    size_t off = 0, content = 0;
    struct tg_api_stream_event ev;
    int64_t tokens = -1;
    size_t want[16], nw = 0;
    for (size_t i = 0; i < n && nw < 16; i++)
        if (lens[i])
            want[nw++] = lens[i];
    for (;;) {
        REQUIRE(next_event(a, &wire, &off, &text, &ev) == 0);
        if (ev.kind == TG_API_EV_DONE)
            break;
        if (ev.kind == TG_API_EV_CONTENT) {
            CHECK(content < nw && want[content] == ev.content_len);
            content++;
        }
        if (ev.completion_tokens >= 0)
            tokens = ev.completion_tokens;
    }
    CHECK_UINT_EQ(wire.len, off);
    CHECK_INT_EQ(n, tokens);
    CHECK_UINT_EQ(nw, content);
    /* the streamed text is the written text exactly (valid UTF-8 here) */
    CHECK_MEM_EQ(whole.data ? whole.data : "", whole.len, text.data ? text.data : "", text.len);
    /* the whole stream as one body (a reader that waits for the end) */
    struct tg_buf again = TG_BUF_INIT(0);
    int64_t ct = 0;
    char why0[200] = "";
    CHECK_INT_EQ(0, a->read_text(wire.data, wire.len, &again, &ct, why0, sizeof why0));
    CHECK_MEM_EQ(whole.data ? whole.data : "", whole.len, again.data ? again.data : "", again.len);
    CHECK_INT_EQ(n, ct);
    tg_buf_free(&again);
    struct tg_buf body = TG_BUF_INIT(0), canon = TG_BUF_INIT(0);
    CHECK_INT_EQ(0, a->server_complete(&body, &g, whole.data, whole.len));
    struct outs o = { 0 };
    char why[200] = "";
    CHECK_INT_EQ(0, a->split(body.data, body.len, false, 1, collect, &o, why, sizeof why));
    CHECK_INT_EQ(0, tg_api_canon_text(&canon, text.data, text.len));
    CHECK_STR_EQ(canon.data, o.canon[0]);
    if (tg_test_failed_checks != before)
        fprintf(stderr, "  %s: wire %s\n", a->name, wire.data);
    outs_free(&o);
    tg_buf_free(&wire);
    tg_buf_free(&whole);
    tg_buf_free(&text);
    tg_buf_free(&body);
    tg_buf_free(&canon);
}

TEST(chat_round_trip)
{
    static const char *const p1[] = { "Hello", ",", " world", "!" };
    static const size_t l1[] = { 5, 1, 6, 1 };
    static const char *const p2[] = { "\xc3\xa9t\xc3\xa9", " \xe2\x82\xac", "\xf0\x9f\x98\x80", "\"q\"\\", "\n\t\r\b\f",
                                      "\x01\x1f", "/</script>", "\0nul" };
    static const size_t l2[] = { 5, 4, 4, 4, 5, 2, 10, 4 };
    static const char *const p3[] = { "", "a", "", "b" };
    static const size_t l3[] = { 0, 1, 0, 1 };
    static const char *const p4[] = { "x" };
    static const size_t l4[] = { 1 };
    for (int k = 0; k < 2; k++) {
        const struct tg_api *a = k ? cmpl() : chat();
        round_trip(a, p1, l1, 4);
        round_trip(a, p2, l2, 8);
        round_trip(a, p3, l3, 4);
        round_trip(a, p4, l4, 1);
    }
}

/* Bytes that are not UTF-8 are written as U+FFFD: what streams back is the
 * canonical text's string, and it hashes like the same text answered whole. */
TEST(chat_round_trip_invalid_utf8)
{
    const char raw[] = "ok\xff\xc3(\xed\xa0\x80";
    for (int k = 0; k < 2; k++) {
        const struct tg_api *a = k ? cmpl() : chat();
        struct tg_api_gen g = { "i", "m", 1, 1, 1, NULL, false };
        struct tg_buf wire = TG_BUF_INIT(0), text = TG_BUF_INIT(0), c1 = TG_BUF_INIT(0), c2 = TG_BUF_INIT(0),
                      body = TG_BUF_INIT(0);
        CHECK_INT_EQ(0, a->server_chunk(&wire, &g, raw, sizeof raw - 1, false));
        size_t off = 0;
        struct tg_api_stream_event ev;
        CHECK_INT_EQ(0, next_event(a, &wire, &off, &text, &ev));
        CHECK_INT_EQ(TG_API_EV_CONTENT, ev.kind);
        CHECK_INT_EQ(0, tg_api_canon_text(&c1, text.data, text.len));
        CHECK_INT_EQ(0, tg_api_canon_text(&c2, raw, sizeof raw - 1));
        CHECK_STR_EQ(c2.data, c1.data);
        CHECK_INT_EQ(0, a->server_complete(&body, &g, raw, sizeof raw - 1));
        struct outs o = { 0 };
        char why[200];
        CHECK_INT_EQ(0, a->split(body.data, body.len, false, 1, collect, &o, why, sizeof why));
        CHECK_STR_EQ(c2.data, o.canon[0]);
        outs_free(&o);
        tg_buf_free(&wire);
        tg_buf_free(&text);
        tg_buf_free(&c1);
        tg_buf_free(&c2);
        tg_buf_free(&body);
    }
}

/* What the server parses back from a payload line of the client side. */
TEST(chat_payload_line_to_server)
{
    const char *line = "{\"model\":\"example-llm\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me\"}],"
                       "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":32}";
    struct tg_api_line l;
    char why[200];
    CHECK_INT_EQ(0, chat()->parse_line(line, strlen(line), &l, why, sizeof why));
    CHECK_STR_EQ("example-llm", l.model);
    tg_api_line_free(&l);
    struct tg_api_request r;
    CHECK_INT_EQ(0, chat()->server_parse(line, strlen(line), "", &LIM, &r));
    CHECK(r.stream && r.include_usage);
    CHECK_INT_EQ(32, r.max_tokens);
    tg_api_request_free(&r);
}

/* A text/event-stream body read whole: WHATWG line ends, comments, event
 * types; an error event fails the output; an unterminated event is dropped. */
TEST(chat_read_text_sse_body)
{
    static const struct { const char *body; int rc; const char *text; long long tokens; const char *why; } cases[] = {
        { ": ping\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\r\rdata:{\"choices\":[{\"index\":0,"
          "\"delta\":{\"content\":\"lo\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"completion_tokens\":2}}\n\n"
          "data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"after done\"}}]}\n\n",
          0, "Hello", 2, NULL },
        { "data: {\"choices\":[{\"delta\":\n"
          "data: {\"content\":\"split over two data lines\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
          0, "split over two data lines", -1, NULL },
        { "event: error\ndata: {\"error\":\"Request failed during generation\"}\n\n", TG_EMISMATCH, NULL, -1,
          "openai-chat: error event in the stream: Request failed during generation" },
        { "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: not json\n\n", TG_EPARSE, NULL, -1,
          "stream event data is not JSON" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tg_buf text = TG_BUF_INIT(0);
        int64_t tokens = 0;
        char why[200] = "";
        int before = tg_test_failed_checks;
        int rc = chat()->read_text(cases[i].body, strlen(cases[i].body), &text, &tokens, why, sizeof why);
        CHECK_INT_EQ(cases[i].rc, rc);
        if (rc == 0) {
            CHECK_MEM_EQ(cases[i].text, strlen(cases[i].text), text.data, text.len);
            CHECK_INT_EQ(cases[i].tokens, tokens);
        } else if (!strstr(why, cases[i].why)) {
            TG_FAIL_AT("why \"%s\" lacks \"%s\"", why, cases[i].why);
        }
        if (tg_test_failed_checks != before)
            fprintf(stderr, "  case %zu\n", i);
        tg_buf_free(&text);
    }
}
