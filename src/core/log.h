/*
 * log.h - diagnostics to stderr, one line each, prefixed "tailgate: ".
 * Results never go through here (they go to files or stdout).
 * Thread-safe (one fprintf per line).
 */
#ifndef TG_CORE_LOG_H
#define TG_CORE_LOG_H

enum tg_log_level { TG_LOG_ERROR, TG_LOG_WARN, TG_LOG_INFO, TG_LOG_DEBUG };

/* Messages above this level are dropped. Default TG_LOG_INFO; set once at start-up. */
void tg_log_set_level(enum tg_log_level level);

void tg_log(enum tg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define tg_error(...) tg_log(TG_LOG_ERROR, __VA_ARGS__)
#define tg_warn(...) tg_log(TG_LOG_WARN, __VA_ARGS__)
#define tg_info(...) tg_log(TG_LOG_INFO, __VA_ARGS__)
#define tg_debug(...) tg_log(TG_LOG_DEBUG, __VA_ARGS__)

#endif
