/* libFuzzer target: the WAV reader on arbitrary bytes, through the same
 * FILE-based code that reads files. Also checks the reported frame count
 * against what was returned. */
#include <stdint.h>
#include <stdlib.h>

#include "audio/wav/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  float *s = NULL;
  pl_wav_info info;
  if (pl_wav_parse_memory(data, size, &s, &info) == 0) {
    if (info.frames && !s)
      __builtin_trap();
    if (info.frames * (uint64_t)info.channels > size)
      __builtin_trap(); /* more samples than bytes */
    free(s);
  }
  /* The streaming path with small reads. */
  pl_wav_reader *r;
  if (pl_wav_reader_open_memory(&r, data, size, NULL) == 0) {
    float buf[8 * 13];
    while (pl_wav_reader_read(r, buf, 13) > 0) {
    }
    pl_wav_reader_close(r);
  }
  return 0;
}
