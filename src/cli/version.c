/*
 * version.c - `tailgate version` / `tailgate --version`: tailgate's version,
 * then the version of each library it runs with (and, when it differs, the
 * one it was built against).
 */
#include "cli/commands.h"

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <stdio.h>
#include <string.h>

static void line(const char *lib, const char *running, const char *built)
{
    if (strcmp(running, built))
        printf("%s %s (built with %s)\n", lib, running, built);
    else
        printf("%s %s\n", lib, running);
}

int tg_cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "tailgate version: no arguments expected\n");
        return TG_EXIT_USAGE;
    }
    char mhd_built[32];
    snprintf(mhd_built, sizeof mhd_built, "%x.%x.%x", (MHD_VERSION >> 24) & 0xff,
             (MHD_VERSION >> 16) & 0xff, (MHD_VERSION >> 8) & 0xff);
    printf("tailgate %s\n", TG_VERSION);
    line("libmicrohttpd", MHD_get_version(), mhd_built);
    line("jansson", jansson_version_str(), JANSSON_VERSION);
    /* OpenSSL_version(OPENSSL_VERSION) is "OpenSSL 3.0.17 1 Jul 2025" */
    const char *ssl = OpenSSL_version(OPENSSL_VERSION);
    const char *ssl_built = OPENSSL_VERSION_TEXT;
    line("OpenSSL", strncmp(ssl, "OpenSSL ", 8) ? ssl : ssl + 8,
         strncmp(ssl_built, "OpenSSL ", 8) ? ssl_built : ssl_built + 8);
    return fflush(stdout) || ferror(stdout) ? TG_EXIT_FAIL : TG_EXIT_OK;
}
