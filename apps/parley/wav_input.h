/* The WAV files the subcommands read (references, inputs, noises), mixed
 * down to mono, with one way of reporting what is wrong with them. */
#ifndef PL_APPS_WAV_INPUT_H
#define PL_APPS_WAV_INPUT_H

#include "audio/wav/wav.h"

/* path read and mixed down to mono (malloc'd; *info describes the file).
 * NULL on error or a file without audio, printed as "CMD: [WHAT ]PATH:
 * reason"; truncated files and NaN/Inf samples (read as 0) are noted on
 * stderr and still returned. */
float *pl_cli_read_mono(const char *cmd, const char *what, const char *path,
                        pl_wav_info *info);

#endif
