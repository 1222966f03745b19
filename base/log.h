/* Logging with levels and a per-component tag. Never on a per-packet or
 * per-frame path: count there, and log state changes and errors. */
#ifndef PL_BASE_LOG_H
#define PL_BASE_LOG_H

#include "parley.h" /* pl_log_level, pl_log_sink and their setters are public */

int pl_log_parse_level(const char *name, pl_log_level *out);

void pl_log_(pl_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define PL_LOG(level, tag, ...)                                                \
  do {                                                                         \
    if ((level) >= pl_log_get_level())                                         \
      pl_log_(level, tag, __VA_ARGS__);                                        \
  } while (0)
#define PL_TRACE(tag, ...) PL_LOG(PL_LOG_TRACE, tag, __VA_ARGS__)
#define PL_DEBUG(tag, ...) PL_LOG(PL_LOG_DEBUG, tag, __VA_ARGS__)
#define PL_INFO(tag, ...) PL_LOG(PL_LOG_INFO, tag, __VA_ARGS__)
#define PL_WARN(tag, ...) PL_LOG(PL_LOG_WARN, tag, __VA_ARGS__)
#define PL_ERROR(tag, ...) PL_LOG(PL_LOG_ERROR, tag, __VA_ARGS__)

#endif
