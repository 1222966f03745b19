/* GCC (net/cc/gcc.c) under tests/fuzz/cc_drive.h's hostile input, plus
 * the encoders' maximum (pl_gcc_set_max_rate) as a ninth operation. */
#include "net/cc/gcc.h"
#include "tests/fuzz/cc_drive.h"

static void set_max(void *g, uint64_t v) { pl_gcc_set_max_rate(g, v); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return cc_drive(&pl_gcc_ops, set_max, data, size);
}
