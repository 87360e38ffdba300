/*
 * cli.h - what every subcommand's front end shares.  Only src/cli prints.
 */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

/* Prints the one-line usage error "tailgate <cmd>: <message>" on stderr and
 * returns TG_EXIT_USAGE, so that parsers can `return tg_cli_usage_error(…)`. */
int tg_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
