/*
 * main.c - dispatches to a subcommand; nothing else lives here.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "run", tg_cmd_run, "one load test: per-request CSV and summary JSON" },
    { "serve", tg_cmd_serve, "the placeholder inference server" },
    { "compare", tg_cmd_compare, "Before/After comparison and SLA gate" },
    { "analyze", tg_cmd_analyze, "explain where the latency goes, from measured data" },
    { "tune", tg_cmd_tune, "search the client configuration that meets the SLA" },
    { "sweep", tg_cmd_sweep, "one measured point per concurrency or rate: latency/throughput curve" },
    { "report", tg_cmd_report, "self-contained HTML report with SVG plots" },
    { "capacity", tg_cmd_capacity, "the highest arrival rate that still meets the SLOs" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: tailgate <command> [options]   (tailgate <command> --help)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n  version  print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TG_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return TG_EXIT_OK;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("tailgate %s\n", TG_VERSION);
        return TG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "tailgate: unknown command '%s' (try 'tailgate --help')\n", name);
    return TG_EXIT_USAGE;
}
