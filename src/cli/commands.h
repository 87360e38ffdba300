/*
 * commands.h - one entry point per subcommand, one file each in src/cli/.
 * Each takes the argv that follows the subcommand name (argv[0] is the
 * subcommand) and returns the process exit code: 0 success, 1 the run or
 * gate failed, 2 usage or setup error, 3 interrupted (SIGINT/SIGTERM).
 */
#ifndef TG_CLI_COMMANDS_H
#define TG_CLI_COMMANDS_H

#include "core/version.h"

enum { TG_EXIT_OK = 0, TG_EXIT_FAIL = 1, TG_EXIT_USAGE = 2, TG_EXIT_INTERRUPTED = 3 };

int tg_cmd_run(int argc, char **argv);
int tg_cmd_serve(int argc, char **argv);
int tg_cmd_compare(int argc, char **argv);
int tg_cmd_report(int argc, char **argv);
int tg_cmd_analyze(int argc, char **argv);
int tg_cmd_tune(int argc, char **argv);
int tg_cmd_capacity(int argc, char **argv);
int tg_cmd_sweep(int argc, char **argv);

#endif
