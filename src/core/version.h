/*
 * version.h - the one version string of tailgate (CLI, summaries, the
 * placeholder server's metadata answers).
 */
#ifndef TG_CORE_VERSION_H
#define TG_CORE_VERSION_H

#define TG_VERSION "0.1.0"

#endif
