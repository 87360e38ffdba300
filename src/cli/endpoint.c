/*
 * endpoint.c - the endpoint options of analyze and tune (see endpoint.h).
 */
#include "cli/endpoint.h"

#include "api/api.h"
#include "cli/cli.h"
#include "cli/commands.h"

#include <stdio.h>

bool tg_cli_endpoint_opt(const char *cmd, struct tg_cli_endpoint *e, int ch, const char *arg,
                         int *exit_code)
{
    *exit_code = 0;
    switch (ch) {
    case TG_CLI_OPT_API:
        if (!tg_api_find(arg))
            *exit_code = tg_cli_usage_error(cmd, "unknown --api '%s' (one of %s)", arg, tg_api_names());
        else
            e->api = arg;
        return true;
    case 'H':
        if (e->nheaders == TG_PROBE_MAX_HEADERS)
            *exit_code = tg_cli_usage_error(cmd, "too many -H headers (at most %d)", TG_PROBE_MAX_HEADERS);
        else
            e->headers[e->nheaders++] = arg;
        return true;
    case TG_CLI_OPT_CACERT:
        e->cacert = arg;
        return true;
    case TG_CLI_OPT_INSECURE:
        e->insecure = true;
        return true;
    default:
        return false;
    }
}

int tg_cli_endpoint_target(const char *cmd, const struct tg_cli_endpoint *e, const char *url,
                           const char *payloads, struct tg_probe_target *t)
{
    char err[512];
    const struct tg_api *api = tg_api_find(e->api ? e->api : "tailgate");
    payloads = tg_cli_data_path(payloads);   /* an installed workload too (core/datadir.h) */
    if (tg_probe_target_init(t, api, url, payloads, err, sizeof err) != 0 ||
        ((e->cacert || e->insecure) && tg_probe_target_tls(t, e->cacert, e->insecure, err, sizeof err) != 0))
        return tg_cli_usage_error(cmd, "%s", err);
    for (size_t i = 0; i < e->nheaders; i++)
        if (tg_probe_target_header(t, e->headers[i], err, sizeof err) != 0)
            return tg_cli_usage_error(cmd, "%s", err);
    if (t->url.tls && e->insecure)
        fprintf(stderr, "tailgate %s: WARNING: --insecure: TLS certificates and host names are NOT "
                        "verified\n", cmd);
    return 0;
}

void tg_cli_endpoint_record(json_t *obj, const struct tg_cli_endpoint *e,
                            const struct tg_probe_target *t)
{
    json_t *hj = json_array();
    /* the first two are the probe's own Content-Type and User-Agent */
    for (size_t i = 2; hj && i < t->nheaders; i++) {
        char line[400];
        snprintf(line, sizeof line, "%s: %s", t->headers[i].name, tg_probe_header_shown(&t->headers[i]));
        json_array_append_new(hj, json_string(line));
    }
    json_object_set_new(obj, "headers", hj ? hj : json_null());
    json_object_set_new(obj, "tls", t->url.tls ? json_pack("{s:b, s:s}", "verify", !e->insecure, "ca",
                                                           e->insecure ? "none" : e->cacert ? e->cacert : "system")
                                               : json_null());
}
