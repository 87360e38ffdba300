/*
 * endpoint.h - the endpoint options that `tailgate analyze --probe` and
 * `tailgate tune` share (--api, -H, --cacert, --insecure): parsing, the probe
 * target they set up, and how analysis.json / tune.json record them (header
 * values of secret-looking names REDACTED, core/redact.h).  Only src/cli.
 */
#ifndef TG_CLI_ENDPOINT_H
#define TG_CLI_ENDPOINT_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "analyze/probe.h"

enum { TG_CLI_OPT_API = 0x1000, TG_CLI_OPT_CACERT, TG_CLI_OPT_INSECURE };

/* Rows for a getopt_long table ('H' also goes into the short options). */
#define TG_CLI_ENDPOINT_LONG_OPTS                                   \
    { "api", required_argument, NULL, TG_CLI_OPT_API },             \
    { "header", required_argument, NULL, 'H' },                     \
    { "cacert", required_argument, NULL, TG_CLI_OPT_CACERT },       \
    { "insecure", no_argument, NULL, TG_CLI_OPT_INSECURE }

struct tg_cli_endpoint {
    const char *api;                               /* dialect name; "tailgate" by default */
    const char *headers[TG_PROBE_MAX_HEADERS + 1]; /* -H lines as given (never printed) */
    size_t nheaders;
    const char *cacert;
    bool insecure;
};

/* Takes option ch (with its argument) when it is one of these.  Returns
 * true when it was; then *exit_code is 0, or TG_EXIT_USAGE after a one-line
 * usage error "tailgate <cmd>: …" on stderr. */
bool tg_cli_endpoint_opt(const char *cmd, struct tg_cli_endpoint *e, int ch, const char *arg,
                         int *exit_code);

/* Sets up t for url and payloads with e's dialect, TLS and headers (and warns
 * on stderr about --insecure over https).  Returns 0, or TG_EXIT_USAGE after
 * a one-line usage error; t must be freed with tg_probe_target_free either way. */
int tg_cli_endpoint_target(const char *cmd, const struct tg_cli_endpoint *e, const char *url,
                           const char *payloads, struct tg_probe_target *t);

/* Sets obj's "headers" (the -H lines, secret values REDACTED) and "tls"
 * (null for http, else {"verify", "ca"}).  obj is a JSON object. */
void tg_cli_endpoint_record(json_t *obj, const struct tg_cli_endpoint *e,
                            const struct tg_probe_target *t);

#endif
