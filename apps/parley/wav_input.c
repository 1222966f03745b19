#include "apps/parley/wav_input.h"

#include <stdio.h>
#include <stdlib.h>

#include "parley.h"

float *pl_cli_read_mono(const char *cmd, const char *what, const char *path,
                        pl_wav_info *info) {
  const char *w = what ? what : "", *sep = what ? " " : "";
  float *s = NULL;
  int err = pl_wav_read_file(path, &s, info);
  if (err) {
    fprintf(stderr, "%s: %s%s%s: %s%s%s\n", cmd, w, sep, path, pl_strerror(err),
            info->error[0] ? ": " : "", info->error);
    free(s);
    return NULL;
  }
  if (!s || info->frames == 0) {
    fprintf(stderr, "%s: %s%s%s: no audio\n", cmd, w, sep, path);
    free(s);
    return NULL;
  }
  if (info->truncated)
    fprintf(stderr, "%s: note: %s is truncated: %llu of %llu frames present\n", cmd, path,
            (unsigned long long)info->frames, (unsigned long long)info->frames_declared);
  if (info->stray_bytes)
    fprintf(stderr, "%s: note: %s: the data chunk ends with %d stray byte%s after %llu whole "
            "%d-byte frames (ignored)\n", cmd, path, info->stray_bytes,
            info->stray_bytes == 1 ? "" : "s", (unsigned long long)info->frames,
            info->channels * pl_wav_format_bytes(info->format));
  if (info->nonfinite)
    fprintf(stderr, "%s: note: %s: %llu NaN/Inf samples read as 0\n", cmd, path,
            (unsigned long long)info->nonfinite);
  size_t c = (size_t)info->channels;
  for (size_t i = 0; c > 1 && i < info->frames; i++) {
    double acc = 0.0;
    for (size_t k = 0; k < c; k++)
      acc += s[i * c + k];
    s[i] = (float)(acc / (double)c);
  }
  return s;
}
