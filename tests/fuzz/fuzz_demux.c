/* Fuzz the RFC 7983 classifier: any bytes give one kind, and that kind's
 * minimum length is respected. */
#include <stdint.h>
#include <stdlib.h>

#include "net/demux/demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_demux_kind k = pl_demux_classify(data, size);
  size_t min = 0;
  switch (k) {
  case PL_DEMUX_STUN:
    min = PL_DEMUX_MIN_STUN;
    break;
  case PL_DEMUX_ZRTP:
    min = PL_DEMUX_MIN_ZRTP;
    break;
  case PL_DEMUX_DTLS:
    min = PL_DEMUX_MIN_DTLS;
    break;
  case PL_DEMUX_TURN_CHANNEL:
    min = PL_DEMUX_MIN_TURN_CHANNEL;
    break;
  case PL_DEMUX_RTP:
    min = PL_DEMUX_MIN_RTP;
    break;
  case PL_DEMUX_RTCP:
    min = PL_DEMUX_MIN_RTCP;
    break;
  case PL_DEMUX_UNKNOWN:
    break;
  }
  if (size < min)
    abort();
  (void)pl_demux_kind_name(k);
  return 0;
}
