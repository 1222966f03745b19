/* Subcommands of the `parley` program: one file each, cmd_NAME.c, defining
 * int pl_cmd_NAME(int argc, char **argv) (argv[0] is the subcommand name).
 * A subcommand returns the process exit code: 0 ok, 1 runtime failure,
 * 2 usage error. */
#ifndef PL_APPS_COMMANDS_H
#define PL_APPS_COMMANDS_H

typedef struct pl_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
} pl_command;

/* PL_COMMANDS(X): X(name, summary) for every subcommand built in. */
#define PL_COMMANDS(X)                                                         \
  X(call, "a two-party audio call: --listen ADDR or --connect ADDR")          \
  X(classify, "speech / music / other per second of a WAV")                  \
  X(conceal, "Opus over a lossy channel into the jitter buffer: PLC quality")  \
  X(denoise, "remove background noise from a speech WAV (or --speex)")       \
  X(extend, "restore the high band of band-limited speech (any rate in, 48 kHz out)") \
  X(loopback, "both ends of a call through an emulated network, with metrics") \
  X(metrics, "compare a received WAV/Y4M with the sent one (quality metrics)") \
  X(room, "join a Janus VideoRoom: publish, and hear every other publisher")   \
  X(relay, "relay UDP between two peers through the network emulator")        \
  X(serve, "answer many WHIP callers at once: --echo, --record DIR, --play FILE") \
  X(stun_server, "STUN binding server: --listen ADDR")                        \
  X(upscale, "enlarge Y4M video with the super-resolution network (or --bicubic)") \
  X(version, "print the engine version")

#define PL_CMD_DECL_(name, summary) int pl_cmd_##name(int argc, char **argv);
PL_COMMANDS(PL_CMD_DECL_)
#undef PL_CMD_DECL_

#endif
