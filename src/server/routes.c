/*
 * routes.c - which dialect owns a path (through the dialect table only),
 * which dialects are served, and the 404 message that lists their routes
 * (see internal.h).
 */
#include "server/internal.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

/* Routes url (its query string stripped): /metrics is the server's own;
 * otherwise the first served dialect whose server_route claims the path
 * owns it (c->api, c->path_model). */
enum route tg_srv_route_of(struct tg_server *s, struct req_ctx *c, const char *url)
{
    char path[1024];
    size_t n = strcspn(url, "?");
    if (n >= sizeof path)
        return ROUTE_NONE; /* longer than any route */
    memcpy(path, url, n);
    path[n] = '\0';
    if (!strcmp(path, "/metrics"))
        return ROUTE_METRICS;
    for (size_t i = 0; i < s->napis; i++) {
        c->path_model[0] = '\0';
        enum tg_api_route k = s->apis[i]->server_route(path, c->path_model, sizeof c->path_model);
        c->path_model[sizeof c->path_model - 1] = '\0';
        if (k == TG_API_ROUTE_NONE)
            continue;
        c->api = s->apis[i];
        c->declared = (c->api->health_route && !strcmp(path, c->api->health_route)) ||
                      (c->api->metadata_route && !strcmp(path, c->api->metadata_route));
        switch (k) {
        case TG_API_ROUTE_INFER: return ROUTE_INFER;
        case TG_API_ROUTE_HEALTH: return ROUTE_HEALTH;
        case TG_API_ROUTE_METADATA: return ROUTE_METADATA;
        default: break;
        }
        c->api = NULL; /* an unknown kind: not a route of this build */
    }
    c->path_model[0] = '\0';
    return ROUTE_NONE;
}

bool tg_server_serves(const struct tg_api *a)
{
    if (!a || !a->server_route || !a->server_parse || !a->server_error)
        return false;
    return (a->server_write && a->server_meta) || tg_srv_is_generative(a);
}

/* Appends ", METHOD path" to out (model substituted) when path is set. */
static void add_route(char *out, size_t cap, const char *method, const char *route,
                      const char *model)
{
    char path[256];
    size_t len = strlen(out);
    if (!route || tg_api_path(route, model, path, sizeof path))
        return;
    snprintf(out + len, cap - len, "%s%s %s", len && out[len - 1] != ' ' ? ", " : "", method,
             path);
}

/* The served dialects, and the 404 message that lists their routes. */
int tg_srv_pick_dialects(struct tg_server *s)
{
    const struct tg_api *const *all = tg_api_all();
    char *m = s->not_found;
    size_t cap = sizeof s->not_found;
    snprintf(m, cap, "unknown path (try ");
    for (size_t i = 0; all[i] && s->napis < MAX_DIALECTS; i++) {
        if (!tg_server_serves(all[i]))
            continue;
        s->apis[s->napis++] = all[i];
        add_route(m, cap, "POST", all[i]->route, s->lim.model);
        add_route(m, cap, "GET", all[i]->health_route, s->lim.model);
        add_route(m, cap, "GET", all[i]->metadata_route, s->lim.model);
    }
    add_route(m, cap, "GET", "/metrics", s->lim.model);
    size_t len = strlen(m);
    snprintf(m + len, cap - len, ")");
    return s->napis ? 0 : TG_EINVAL;
}

