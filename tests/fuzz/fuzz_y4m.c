/* libFuzzer target: Y4M header and FRAME-line parsers directly, and the
 * reader over whole streams (frames are small because W*H is bounded by
 * what the input can hold before allocation is attempted). */
#include <stdint.h>
#include <stdlib.h>

#include "video/frame.h"
#include "video/y4m/y4m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_y4m_info info;
  size_t used;
  if (pl_y4m_parse_header(data, size, &info, &used) == 0) {
    if (used > size || info.width <= 0 || info.height <= 0)
      __builtin_trap();
    pl_y4m_frame_meta m;
    size_t fu;
    if (pl_y4m_parse_frame_header(data + used, size - used, &m, &fu) == 0 &&
        fu > size - used)
      __builtin_trap();
  }
  pl_y4m_reader *r;
  if (pl_y4m_reader_open_memory(&r, data, size, &info) == 0) {
    /* Do not allocate a frame bigger than the input could fill. */
    if (pl_y4m_frame_bytes(&info) <= size) {
      pl_video_buffer b;
      if (pl_video_buffer_alloc(&b, info.width, info.height) == 0) {
        while (pl_y4m_reader_read(r, &b.f, NULL) == 1) {
        }
        pl_video_buffer_free(&b);
      }
    }
    pl_y4m_reader_close(r);
  }
  return 0;
}
