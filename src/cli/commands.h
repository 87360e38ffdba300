/*
 * commands.h - one entry point per subcommand, one file each in src/cli/.
 * Each takes the argv that follows the subcommand name (argv[0] is the
 * subcommand) and returns the process exit code: 0 success, 1 the run or
 * gate failed, 2 usage or setup error, 3 interrupted (SIGINT/SIGTERM), 4 the
 * machine's resources (out of memory, a thread that could not start): neither
 * the user's mistake nor the endpoint's verdict.
 */
#ifndef TG_CLI_COMMANDS_H
#define TG_CLI_COMMANDS_H

#include "core/version.h"

enum { TG_EXIT_OK = 0, TG_EXIT_FAIL = 1, TG_EXIT_USAGE = 2, TG_EXIT_INTERRUPTED = 3, TG_EXIT_RESOURCE = 4 };

int tg_cmd_run(int argc, char **argv);
int tg_cmd_serve(int argc, char **argv);
int tg_cmd_compare(int argc, char **argv);
int tg_cmd_report(int argc, char **argv);
int tg_cmd_analyze(int argc, char **argv);
int tg_cmd_tune(int argc, char **argv);
int tg_cmd_merge(int argc, char **argv);
int tg_cmd_capacity(int argc, char **argv);
int tg_cmd_sweep(int argc, char **argv);
int tg_cmd_help(int argc, char **argv);      /* cli/help.c: help, man pages, completion */
int tg_cmd_version(int argc, char **argv);   /* cli/version.c */

/* The subcommand table (main.c), in the order of `tailgate --help`; ends
 * with a NULL name.  Every entry gets `tailgate help` support, a man page
 * tailgate-NAME(1) and completion (cli/help.c): its parser must call
 * tg_cli_getopt_long (cli/cli.h) and its --help follow doc/help.h's format. */
struct tg_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;   /* one line: --help's list and the man page's NAME */
};
extern const struct tg_command tg_commands[];

/* The entry named name, or NULL. */
const struct tg_command *tg_command_find(const char *name);

#endif
