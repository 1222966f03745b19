/* The learned bandwidth estimator (ai/bwe: GCC underneath, a GRU deciding
 * the rate) through its controller entry, under tests/fuzz/cc_drive.h's
 * hostile input, like fuzz_gcc drives GCC. */
#include "ai/bwe/bwe.h"
#include "tests/fuzz/cc_drive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return cc_drive(&pl_bwe_ops, NULL, data, size);
}
