/*
 * help.h - `tailgate help`: the usage, each subcommand's --help captured
 * and parsed (doc/help.h) into its man page, the completion script and the
 * check of --help against the getopt table (help.c, help_completion.c).
 */
#ifndef TG_CLI_HELP_H
#define TG_CLI_HELP_H

#include "cli/cli.h"
#include "cli/commands.h"
#include "doc/help.h"

#include <stdio.h>

/* Prints tailgate's own usage (the subcommand table) to f. */
void tg_cli_usage(FILE *f);

/* One subcommand's --help text (parsed) and the options its parser passed
 * to tg_cli_getopt_long, got by running `tailgate NAME --help` with stdout
 * captured.  0, or -1 with the reason in err. */
struct tg_cli_cmdinfo {
    const struct tg_command *cmd;
    struct tg_help_doc doc;
    struct tg_cli_optspec spec;
};
int tg_cli_cmdinfo_get(const struct tg_command *cmd, struct tg_cli_cmdinfo *info, char *err, size_t errlen);
void tg_cli_cmdinfo_free(struct tg_cli_cmdinfo *info);

/* Writes the bash completion script of every subcommand to f: 0, or -1 with
 * the reason on stderr (help_completion.c). */
int tg_cli_completion_bash(FILE *f);

#endif
