/*
 * cli.h - what every subcommand's front end shares.  Only src/cli prints.
 */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

#include <getopt.h>

/* Prints the one-line usage error "tailgate <cmd>: <message>" on stderr and
 * returns TG_EXIT_USAGE, so that parsers can `return tg_cli_usage_error(…)`. */
int tg_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same line for a failure of the machine's resources (out of memory, a
 * thread that could not start); returns TG_EXIT_RESOURCE. */
int tg_cli_resource_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long(argc, argv, optstring, longopts, NULL): every subcommand's
 * parser calls this one, so that `tailgate help` sees the options the parser
 * accepts (its man page, completion and check come from them and from the
 * --help text; cli/help.c).  Single-threaded, like getopt_long. */
int tg_cli_getopt_long(int argc, char *const argv[], const char *optstring,
                       const struct option *longopts);

/* What a parser's first tg_cli_getopt_long call passed. */
struct tg_cli_optspec {
    const char *optstring;
    const struct option *longopts;
};

/* Records the next tg_cli_getopt_long call's tables into *into (NULL: stop
 * recording).  For cli/help.c only. */
void tg_cli_optspec_capture(struct tg_cli_optspec *into);

/* A data file path as the commands take it (e.g. --payloads' default
 * workload/requests.jsonl), found in the working directory, the source tree
 * or the installed data directory (core/datadir.h).  Returns path itself
 * when it exists as given or is found nowhere, else the found path (static
 * storage for up to 8 distinct paths a process; then path itself). */
const char *tg_cli_data_path(const char *path);

#endif
