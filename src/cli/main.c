/*
 * main.c - dispatches to a subcommand; nothing else lives here.
 */
#include "cli/commands.h"
#include "cli/help.h"

#include <stdio.h>
#include <string.h>

/* A new subcommand: one line here (see commands.h for what it gets). */
const struct tg_command tg_commands[] = {
    { "run", tg_cmd_run, "one load test: per-request CSV and summary JSON" },
    { "serve", tg_cmd_serve, "the placeholder inference server" },
    { "compare", tg_cmd_compare, "Before/After comparison and SLA gate" },
    { "analyze", tg_cmd_analyze, "explain where the latency goes, from measured data" },
    { "tune", tg_cmd_tune, "search the client configuration that meets the SLA" },
    { "sweep", tg_cmd_sweep, "one measured point per concurrency or rate: latency/throughput curve" },
    { "report", tg_cmd_report, "self-contained HTML report with SVG plots" },
    { "capacity", tg_cmd_capacity, "the highest arrival rate that still meets the SLOs" },
    { "merge", tg_cmd_merge, "join the shards of a distributed run into one run" },
    { NULL, NULL, NULL },
};

const struct tg_command *tg_command_find(const char *name)
{
    for (const struct tg_command *c = tg_commands; c->name; c++)
        if (!strcmp(name, c->name))
            return c;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        tg_cli_usage(stderr);
        return TG_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help"))
        return tg_cmd_help(argc - 1, argv + 1);
    if (!strcmp(name, "version") || !strcmp(name, "--version"))
        return tg_cmd_version(argc - 1, argv + 1);
    const struct tg_command *c = tg_command_find(name);
    if (c)
        return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "tailgate: unknown command '%s' (try 'tailgate --help')\n", name);
    return TG_EXIT_USAGE;
}
