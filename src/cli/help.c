/*
 * help.c - `tailgate help`: usage, `help CMD`, and the hidden generators
 * the Makefile and the tests use (see usage_hidden below).  The man pages
 * and the completion come from each subcommand's own --help text and the
 * getopt table its parser runs on, so that they cannot drift from either.
 */
#include "cli/help.h"

#include "core/datadir.h"
#include "doc/roff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tg_cli_usage(FILE *f)
{
    fprintf(f, "usage: tailgate <command> [options]   (tailgate <command> --help)\n\n");
    for (const struct tg_command *c = tg_commands; c->name; c++)
        fprintf(f, "  %-8s %s\n", c->name, c->summary);
    fprintf(f, "\n  help [COMMAND]   this list, or COMMAND's --help (man tailgate-COMMAND)\n"
               "  version          the version and the libraries' (also --version)\n");
}

static void usage_hidden(FILE *f)
{
    fprintf(f, "usage: tailgate help [COMMAND]\n"
               "       tailgate help --man [COMMAND]        roff man page: tailgate(1) or tailgate-COMMAND(1)\n"
               "       tailgate help --completion bash      the bash completion script\n"
               "       tailgate help --commands             the subcommands, one a line\n"
               "       tailgate help --options COMMAND      the options COMMAND's parser accepts\n"
               "       tailgate help --documented COMMAND   the options COMMAND's --help documents\n"
               "       tailgate help --check [COMMAND...]   --help against the parser's options\n");
}

/* ---- capturing a subcommand's --help --------------------------------------------- */

/* Runs cmd --help with stdout (fd 1) in a temporary file; the text, malloc'd. */
static char *capture_help(const struct tg_command *cmd, struct tg_cli_optspec *spec, char *err,
                          size_t errlen)
{
    char *text = NULL;
    FILE *tmp = tmpfile();
    if (!tmp) {
        snprintf(err, errlen, "tmpfile: %s", strerror(errno));
        return NULL;
    }
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    if (saved < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
        snprintf(err, errlen, "dup: %s", strerror(errno));
        if (saved >= 0)
            close(saved);
        fclose(tmp);
        return NULL;
    }
    char name[64], opt[] = "--help";
    snprintf(name, sizeof name, "%s", cmd->name);
    char *argv[] = { name, opt, NULL };
    *spec = (struct tg_cli_optspec){ 0 };
    tg_cli_optspec_capture(spec);
    int rc = cmd->fn(2, argv);
    tg_cli_optspec_capture(NULL);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long len = ftell(tmp);
    if (rc != 0)
        snprintf(err, errlen, "tailgate %s --help exited %d", cmd->name, rc);
    else if (len < 0 || fseek(tmp, 0, SEEK_SET) != 0 || !(text = calloc(1, (size_t)len + 1)) ||
             fread(text, 1, (size_t)len, tmp) != (size_t)len) {
        snprintf(err, errlen, "reading the captured --help: %s", strerror(errno ? errno : EIO));
        free(text);
        text = NULL;
    } else if (!spec->longopts) {
        snprintf(err, errlen, "its parser did not call tg_cli_getopt_long (cli/cli.h)");
        free(text);
        text = NULL;
    }
    fclose(tmp);
    return text;
}

int tg_cli_cmdinfo_get(const struct tg_command *cmd, struct tg_cli_cmdinfo *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    info->cmd = cmd;
    char why[256];
    char *text = capture_help(cmd, &info->spec, why, sizeof why);
    if (!text) {
        snprintf(err, errlen, "tailgate %s: %s", cmd->name, why);
        return -1;
    }
    int rc = tg_help_parse(text, &info->doc, why, sizeof why);
    free(text);
    if (rc) {
        snprintf(err, errlen, "tailgate %s --help: %s (format: src/doc/help.h)", cmd->name, why);
        return -1;
    }
    return 0;
}

void tg_cli_cmdinfo_free(struct tg_cli_cmdinfo *info)
{
    tg_help_doc_free(&info->doc);
}

/* ---- the options: accepted (the parser's tables) and documented (--help) ---------- */

/* Whether short option c takes an argument in optstring: 1 yes, 0 no, -1 not there. */
static int short_arg(const char *optstring, char c)
{
    for (const char *s = optstring; *s; s++) {
        if (*s == ':')
            continue;
        if (*s == c)
            return s[1] == ':';
    }
    return -1;
}

static const struct option *long_find(const struct option *lo, const char *name)
{
    for (; lo->name; lo++)
        if (!strcmp(lo->name, name))
            return lo;
    return NULL;
}

static const struct tg_help_block *doc_long(const struct tg_help_doc *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->blocks[i].kind == TG_HELP_OPTION && d->blocks[i].longopt &&
            !strcmp(d->blocks[i].longopt, name))
            return &d->blocks[i];
    return NULL;
}

static const struct tg_help_block *doc_short(const struct tg_help_doc *d, char c)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->blocks[i].kind == TG_HELP_OPTION && d->blocks[i].shortopt == c)
            return &d->blocks[i];
    return NULL;
}

/* Prints every disagreement between --help and the tables; the count. */
static int check_one(const struct tg_cli_cmdinfo *in, FILE *f)
{
    const char *name = in->cmd->name;
    const struct tg_help_doc *d = &in->doc;
    int bad = 0;
    for (const struct option *lo = in->spec.longopts; lo->name; lo++) {
        const struct tg_help_block *b = doc_long(d, lo->name);
        if (!b) {
            fprintf(f, "tailgate %s: --%s is accepted but not in --help\n", name, lo->name);
            bad++;
        } else if ((lo->has_arg != no_argument) != (b->arg != NULL)) {
            fprintf(f, "tailgate %s: --%s %s an argument but --help %s\n", name, lo->name,
                    lo->has_arg != no_argument ? "takes" : "takes no", b->arg ? "names one" : "names none");
            bad++;
        }
    }
    for (const char *s = in->spec.optstring; *s; s++) {
        if (*s == ':')
            continue;
        const struct tg_help_block *b = doc_short(d, *s);
        if (!b) {
            fprintf(f, "tailgate %s: -%c is accepted but not in --help\n", name, *s);
            bad++;
        } else if ((s[1] == ':') != (b->arg != NULL)) {
            fprintf(f, "tailgate %s: -%c %s an argument but --help %s\n", name, *s,
                    s[1] == ':' ? "takes" : "takes no", b->arg ? "names one" : "names none");
            bad++;
        }
    }
    for (size_t i = 0; i < d->n; i++) {
        const struct tg_help_block *b = &d->blocks[i];
        if (b->kind != TG_HELP_OPTION)
            continue;
        const struct option *lo = b->longopt ? long_find(in->spec.longopts, b->longopt) : NULL;
        if (b->longopt && !lo) {
            fprintf(f, "tailgate %s: --help documents --%s, which the parser does not accept\n", name,
                    b->longopt);
            bad++;
        }
        if (b->shortopt && short_arg(in->spec.optstring, b->shortopt) < 0) {
            fprintf(f, "tailgate %s: --help documents -%c, which the parser does not accept\n", name,
                    b->shortopt);
            bad++;
        }
        if (b->shortopt && lo && lo->val != b->shortopt) {
            fprintf(f, "tailgate %s: --help pairs -%c with --%s, the parser does not\n", name,
                    b->shortopt, b->longopt);
            bad++;
        }
    }
    return bad;
}

/* ---- the man pages ------------------------------------------------------------------ */

static const char *const see_main[] = { "tailgate(1)", NULL };

static int man_cmd(const struct tg_cli_cmdinfo *in)
{
    char name[80];
    snprintf(name, sizeof name, "tailgate-%s", in->cmd->name);
    struct tg_man_page page = { name, in->cmd->summary, "tailgate " TG_VERSION, see_main };
    return tg_man_write(stdout, &in->doc, &page);
}

static void tp(const char *tag_roff, const char *text)
{
    printf(".TP\n%s\n", tag_roff);
    tg_roff_text(stdout, text);
    putchar('\n');
}

/* tailgate(1): the subcommand table, the data files, the exit codes. */
static int man_main(void)
{
    const char *see[64];
    char names[64][80];
    size_t n = 0;
    for (const struct tg_command *c = tg_commands; c->name && n + 1 < 64; c++, n++) {
        snprintf(names[n], sizeof names[n], "tailgate-%s(1)", c->name);
        see[n] = names[n];
    }
    see[n] = NULL;
    struct tg_man_page page = { "tailgate", "load tester for HTTP inference APIs", "tailgate " TG_VERSION,
                                see };
    tg_roff_title(stdout, &page);
    printf(".SH NAME\ntailgate \\- ");
    tg_roff_text(stdout, page.summary);
    printf("\n.SH SYNOPSIS\n\\fBtailgate\\fR \\fICOMMAND\\fR [\\fIoptions\\fR]\n.br\n"
           "\\fBtailgate help\\fR [\\fICOMMAND\\fR]\n.br\n\\fBtailgate \\-\\-version\\fR\n"
           ".SH DESCRIPTION\n");
    tg_roff_text(stdout, "tailgate measures the latency and throughput of HTTP inference endpoints "
                         "(embeddings, chat and completions APIs) the way their clients load them, "
                         "explains where the latency goes, compares two runs with an SLA gate and "
                         "searches the client configuration that meets it.  It also serves a "
                         "placeholder inference server to test against.  Each command has its own "
                         "page, tailgate-COMMAND(1), and its own --help, from the same text.");
    printf("\n.SH COMMANDS\n");
    for (const struct tg_command *c = tg_commands; c->name; c++) {
        char tag[128], text[512];
        snprintf(tag, sizeof tag, "\\fB%s\\fR", c->name);
        snprintf(text, sizeof text, "%s; tailgate-%s(1).", c->summary, c->name);
        tp(tag, text);
    }
    tp("\\fBhelp\\fR [\\fICOMMAND\\fR]", "the list of commands, or COMMAND's --help.");
    tp("\\fBversion\\fR", "the version of tailgate and of the libraries it runs with "
                          "(libmicrohttpd, jansson, OpenSSL).");
    printf(".SH OPTIONS\n");
    tp("\\fB\\-h\\fR, \\fB\\-\\-help\\fR", "the list of commands.");
    tp("\\fB\\-\\-version\\fR", "the same as the version command.");
    printf(".SH FILES\n");
    char files[1024];
    snprintf(files, sizeof files,
             "A relative data file path that commands default to or are given (--payloads "
             "workload/requests.jsonl) is looked up in order: as given, relative to the working "
             "directory; in $%s; in the source tree the binary was built in (its directory or "
             "one of two parents, holding src/core/version.h); in BIN/../share/tailgate, BIN the "
             "binary's directory; in %s, this build's data directory.",
             TG_DATADIR_ENV, tg_datadir_compiled());
    printf(".PP\n");
    tg_roff_text(stdout, files);
    printf("\n.TP\n");
    tg_roff_text(stdout, tg_datadir_compiled());
    printf("/workload/\n");
    tg_roff_text(stdout, "the workloads: requests.jsonl (the default --payloads) and one "
                         "requests-API.jsonl for each --api dialect.");
    printf("\n.SH ENVIRONMENT\n.TP\n.B %s\n", TG_DATADIR_ENV);
    tg_roff_text(stdout, "a data directory searched before the built-in ones (see FILES).");
    printf("\n.SH \"EXIT STATUS\"\n");
    tp("0", "success.");
    tp("1", "the run or the gate failed (each command's page says when).");
    tp("2", "a usage or set-up error.");
    tp("3", "interrupted (SIGINT or SIGTERM).");
    tg_roff_see_also(stdout, &page);
    fflush(stdout);
    return ferror(stdout) ? TG_EXIT_FAIL : TG_EXIT_OK;
}

/* ---- the command ---------------------------------------------------------------------- */

static const struct tg_command *need_cmd(const char *name)
{
    const struct tg_command *c = name ? tg_command_find(name) : NULL;
    if (!c)
        fprintf(stderr, "tailgate help: %s '%s' (try 'tailgate --help')\n",
                name ? "unknown command" : "missing COMMAND", name ? name : "");
    return c;
}

static int with_info(const char *name, int (*fn)(const struct tg_cli_cmdinfo *))
{
    const struct tg_command *c = need_cmd(name);
    if (!c)
        return TG_EXIT_USAGE;
    struct tg_cli_cmdinfo in;
    char err[512];
    if (tg_cli_cmdinfo_get(c, &in, err, sizeof err) != 0) {
        fprintf(stderr, "tailgate help: %s\n", err);
        return TG_EXIT_FAIL;
    }
    int rc = fn(&in);
    tg_cli_cmdinfo_free(&in);
    return rc;
}

static int list_accepted(const struct tg_cli_cmdinfo *in)
{
    for (const char *s = in->spec.optstring; *s; s++)
        if (*s != ':')
            printf("-%c%s\n", *s, s[1] == ':' ? " ARG" : "");
    for (const struct option *lo = in->spec.longopts; lo->name; lo++)
        printf("--%s%s\n", lo->name, lo->has_arg != no_argument ? " ARG" : "");
    return TG_EXIT_OK;
}

static int list_documented(const struct tg_cli_cmdinfo *in)
{
    const struct tg_help_doc *d = &in->doc;
    for (size_t i = 0; i < d->n; i++)
        if (d->blocks[i].kind == TG_HELP_OPTION && d->blocks[i].shortopt)
            printf("-%c%s\n", d->blocks[i].shortopt, d->blocks[i].arg ? " ARG" : "");
    for (size_t i = 0; i < d->n; i++)
        if (d->blocks[i].kind == TG_HELP_OPTION && d->blocks[i].longopt)
            printf("--%s%s\n", d->blocks[i].longopt, d->blocks[i].arg ? " ARG" : "");
    return TG_EXIT_OK;
}

static int man_cmd_exit(const struct tg_cli_cmdinfo *in)
{
    return man_cmd(in) ? TG_EXIT_FAIL : TG_EXIT_OK;
}

static int check(int argc, char **argv)
{
    int bad = 0;
    for (const struct tg_command *c = tg_commands; c->name; c++) {
        bool wanted = argc == 0;
        for (int i = 0; i < argc; i++)
            wanted |= !strcmp(argv[i], c->name);
        if (!wanted)
            continue;
        struct tg_cli_cmdinfo in;
        char err[512];
        if (tg_cli_cmdinfo_get(c, &in, err, sizeof err) != 0) {
            printf("%s\n", err);
            bad++;
            continue;
        }
        int b = check_one(&in, stdout);
        size_t nopt = 0;
        for (size_t i = 0; i < in.doc.n; i++)
            nopt += in.doc.blocks[i].kind == TG_HELP_OPTION;
        if (!b)
            printf("tailgate %s: %zu options, --help and the parser agree\n", c->name, nopt);
        bad += b;
        tg_cli_cmdinfo_free(&in);
    }
    for (int i = 0; i < argc; i++)
        if (!tg_command_find(argv[i])) {
            printf("tailgate help --check: unknown command '%s'\n", argv[i]);
            bad++;
        }
    return bad ? TG_EXIT_FAIL : TG_EXIT_OK;
}

int tg_cmd_help(int argc, char **argv)
{
    const char *a = argc > 1 ? argv[1] : NULL;
    const char *b = argc > 2 ? argv[2] : NULL;
    if (!a) {
        tg_cli_usage(stdout);
        return TG_EXIT_OK;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        usage_hidden(stdout);
        return TG_EXIT_OK;
    }
    if (!strcmp(a, "--man"))
        return b ? with_info(b, man_cmd_exit) : man_main();
    if (!strcmp(a, "--options"))
        return with_info(b, list_accepted);
    if (!strcmp(a, "--documented"))
        return with_info(b, list_documented);
    if (!strcmp(a, "--check"))
        return check(argc - 2, argv + 2);
    if (!strcmp(a, "--commands")) {
        for (const struct tg_command *c = tg_commands; c->name; c++)
            printf("%s\n", c->name);
        return TG_EXIT_OK;
    }
    if (!strcmp(a, "--completion")) {
        if (!b || strcmp(b, "bash")) {
            fprintf(stderr, "tailgate help: --completion bash (the only shell supported)\n");
            return TG_EXIT_USAGE;
        }
        return tg_cli_completion_bash(stdout) ? TG_EXIT_FAIL : TG_EXIT_OK;
    }
    if (a[0] == '-') {
        usage_hidden(stderr);
        return TG_EXIT_USAGE;
    }
    const struct tg_command *c = need_cmd(a);
    if (!c)
        return TG_EXIT_USAGE;
    char name[64], opt[] = "--help";
    snprintf(name, sizeof name, "%s", c->name);
    char *av[] = { name, opt, NULL };
    return c->fn(2, av);
}
