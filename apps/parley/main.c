/* `parley`: the command-line front end. Dispatches to one subcommand per
 * file (see commands.h). Uses only the public header and app-side helpers. */
#include <stdio.h>
#include <string.h>

#include "apps/parley/commands.h"
#include "parley.h"

static const pl_command commands[] = {
#define PL_CMD_ENTRY_(name, summary) {#name, summary, pl_cmd_##name},
    PL_COMMANDS(PL_CMD_ENTRY_)
#undef PL_CMD_ENTRY_
};

static void usage(FILE *f) {
  fprintf(f, "usage: parley COMMAND [options]   (parley COMMAND --help)\n\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
  {
    char name[32];
    snprintf(name, sizeof name, "%s", commands[i].name);
    for (char *p = name; *p; p++)
      if (*p == '_')
        *p = '-';
    fprintf(f, "  %-12s %s\n", name, commands[i].summary);
  }
}

int pl_cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("parley %s\n", pl_version());
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  /* "stun-server" and "stun_server" both name pl_cmd_stun_server. */
  char name[32];
  snprintf(name, sizeof name, "%s", argv[1]);
  for (char *p = name; *p; p++)
    if (*p == '-')
      *p = '_';
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(name, commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "parley: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
