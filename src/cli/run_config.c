/*
 * run_config.c - the effective configuration of `tailgate run`, recorded in
 * summary.json's "config" (docs/formats.md): every option after defaults,
 * the URL and headers with secrets redacted, the TLS settings.
 */
#include "cli/run.h"

#include "core/redact.h"
#include "engine/trace.h"

#include <stdlib.h>
#include <string.h>

/* The URL as recorded: no userinfo, query values of secret-looking names redacted. */
static json_t *safe_url(const struct tg_url *u)
{
    char out[4096];
    size_t o = (size_t)snprintf(out, sizeof out, "%s://%s", u->tls ? "https" : "http", u->authority);
    if (tg_redact_put_path(out, sizeof out, o, u->path) >= sizeof out - 1)
        return json_string("(URL too long)");
    return json_string(out);
}

static json_t *tls_json(const struct run_opts *o, const struct tg_url *u)
{
    if (!u->tls)
        return json_null();
    json_t *tj = json_object();
    char *ca_abs = o->cacert && !o->insecure ? realpath(o->cacert, NULL) : NULL;
    json_object_set_new(tj, "verify", json_boolean(!o->insecure));
    json_object_set_new(tj, "ca", json_string(o->insecure ? "none" : o->cacert ? (ca_abs ? ca_abs : o->cacert)
                                                                              : "system"));
    free(ca_abs);
    json_object_set_new(tj, "sni", json_boolean(!strchr(u->host, ':') &&
                                                strspn(u->host, "0123456789.") != strlen(u->host)));
    json_object_set_new(tj, "session_resumption", json_false());
    return tj;
}

/* The load shape beyond rate/arrival: burstiness, stages (the trace is
 * added once read, tg_run_config_add_trace). */
static void shape_json(json_t *config, const struct run_opts *o)
{
    json_object_set_new(config, "burstiness", !strcmp(o->arrival, "gamma") ? json_real(o->burstiness) : json_null());
    if (!o->nstages) {
        json_object_set_new(config, "stages", json_null());
    } else {
        json_t *st = json_object(), *steps = json_array();
        json_object_set_new(st, "kind", json_string(o->stages_concurrency ? "concurrency" : "rate"));
        json_object_set_new(st, "text", json_string(o->stages_text));
        for (size_t i = 0; i < o->nstages; i++)
            json_array_append_new(steps, json_pack("{s:f, s:f, s:f}", "duration_s", (double)o->stages[i].dur_ns / 1e9,
                                                   "from", o->stages[i].from, "to", o->stages[i].to));
        json_object_set_new(st, "steps", steps);
        json_object_set_new(st, "duration_s", json_real((double)tg_stages_duration_ns(o->stages, o->nstages) / 1e9));
        if (!o->stages_concurrency)
            json_object_set_new(st, "expected_inputs", json_real(tg_stages_arrivals(o->stages, o->nstages)));
        json_object_set_new(config, "stages", st);
    }
    json_object_set_new(config, "trace", json_null());
}

void tg_run_config_add_trace(json_t *config, const struct run_opts *o, const struct tg_trace *t)
{
    if (!t)
        return;
    json_t *tj = json_object();
    char *abs = realpath(o->trace, NULL);
    json_object_set_new(tj, "file", json_string(abs ? abs : o->trace));
    free(abs);
    json_object_set_new(tj, "speed", json_real(o->trace_speed));
    json_object_set_new(tj, "lines", json_integer((json_int_t)t->n));
    json_object_set_new(tj, "synthesised", json_integer((json_int_t)t->synthesised));
    json_object_set_new(tj, "span_s", json_real((double)t->offsets_ns[t->n - 1] / 1e9 / o->trace_speed));
    json_object_set_new(config, "trace", tj);
}

json_t *tg_run_config_json(const struct run_opts *o, const struct tg_engine_config *cfg,
                           size_t payload_lines, const char *out_dir)
{
    json_t *config = json_object();
    if (!config)
        return NULL;
    json_object_set_new(config, "mode", json_string(o->mode));
    bool open = tg_run_open_loop(o);
    json_object_set_new(config, "load_model", json_string(open ? "open" : "closed"));
    json_object_set_new(config, "concurrency", json_integer((json_int_t)o->concurrency));
    json_object_set_new(config, "inputs", o->duration_ns && !o->set_n ? json_null() : json_integer((json_int_t)o->inputs));
    json_object_set_new(config, "duration_s", o->duration_ns ? json_real((double)o->duration_ns / 1e9) : json_null());
    json_object_set_new(config, "rate", o->rate > 0 ? json_real(o->rate) : json_null());
    json_object_set_new(config, "arrival", open ? json_string(o->arrival) : json_null());
    shape_json(config, o);
    json_object_set_new(config, "batch", json_integer((json_int_t)o->batch));
    json_object_set_new(config, "batch_wait_ms", json_real(o->batch_wait_ms));
    json_object_set_new(config, "api", json_string(o->api));
    /* the pre-dialect name of the same setting, kept so older readers still find it */
    json_object_set_new(config, "batch_format", json_string(o->api));
    json_object_set_new(config, "connections", json_integer((json_int_t)o->connections));
    json_object_set_new(config, "keepalive", json_boolean(o->keepalive));
    json_object_set_new(config, "preconnect", json_boolean(o->preconnect));
    json_object_set_new(config, "timeout_ms", json_real((double)o->timeout_ns / 1e6));
    json_object_set_new(config, "threads", json_integer((json_int_t)o->threads));
    json_object_set_new(config, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(config, "url", safe_url(&cfg->url));
    json_t *hj = json_array();
    for (size_t i = 0; i < cfg->nheaders; i++) {
        const struct tg_http_kv *h = &cfg->headers[i];
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", h->name,
                 tg_redact_is_secret_name(h->name, strlen(h->name)) ? "REDACTED" : h->value);
        json_array_append_new(hj, json_string(line));
    }
    json_object_set_new(config, "headers", hj);
    json_object_set_new(config, "payloads", json_string(o->payloads));
    json_object_set_new(config, "payload_lines", json_integer((json_int_t)payload_lines));
    char *save_abs = o->save_outputs ? realpath(o->save_outputs, NULL) : NULL;
    json_object_set_new(config, "save_outputs",
                        o->save_outputs ? json_string(save_abs ? save_abs : o->save_outputs) : json_null());
    free(save_abs);
    json_object_set_new(config, "parse_outputs", json_boolean(o->outputs));
    json_object_set_new(config, "max_response_bytes", json_integer((json_int_t)o->max_response));
    json_object_set_new(config, "out_dir", json_string(out_dir));
    json_object_set_new(config, "insecure", json_boolean(cfg->url.tls && o->insecure));
    json_object_set_new(config, "tls", tls_json(o, &cfg->url));
    json_object_set_new(config, "request_ids", json_boolean(cfg->request_ids));
    json_object_set_new(config, "run_token", cfg->request_ids ? json_string(cfg->run_token) : json_null());
    json_t *slos = json_array();
    for (size_t i = 0; i < o->nslos; i++)
        json_array_append_new(slos, json_string(o->slos[i].text));
    json_object_set_new(config, "slos", slos);
    json_object_set_new(config, "slo_confidence", json_real(o->slo_confidence));
    return config;
}
