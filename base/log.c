#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"trace", "debug", "info",
                                          "warn",  "error", "off"};

static void stderr_sink(void *user, pl_log_level level, const char *tag,
                        const char *msg) {
  (void)user;
  fprintf(stderr, "%-5s [%s] %s\n", level_names[level], tag, msg);
}

static pl_log_sink g_sink = stderr_sink;
static void *g_sink_user;
static int g_level = -1; /* -1: not yet read from PARLEY_LOG */

int pl_log_parse_level(const char *name, pl_log_level *out) {
  for (int i = 0; i <= PL_LOG_OFF; i++) {
    if (name && strcmp(name, level_names[i]) == 0) {
      *out = (pl_log_level)i;
      return 0;
    }
  }
  return -1;
}

pl_log_level pl_log_get_level(void) {
  if (g_level < 0) {
    pl_log_level l = PL_LOG_WARN;
    pl_log_parse_level(getenv("PARLEY_LOG"), &l);
    g_level = (int)l;
  }
  return (pl_log_level)g_level;
}

void pl_log_set_level(pl_log_level level) { g_level = (int)level; }

void pl_log_set_sink(pl_log_sink sink, void *user) {
  g_sink = sink ? sink : stderr_sink;
  g_sink_user = user;
}

void pl_log_(pl_log_level level, const char *tag, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  g_sink(g_sink_user, level, tag, msg);
}
