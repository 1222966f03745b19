/* RFC 7983 section 7 first-byte ranges, with RFC 5761 section 4 for telling
 * RTCP from RTP on a muxed port. */
#include "net/demux/demux.h"

pl_demux_kind pl_demux_classify(const uint8_t *p, size_t n) {
  if (!p || n == 0)
    return PL_DEMUX_UNKNOWN;
  uint8_t b = p[0];
  pl_demux_kind k;
  size_t min;
  if (b <= 3) {
    k = PL_DEMUX_STUN;
    min = PL_DEMUX_MIN_STUN;
  } else if (b >= 16 && b <= 19) {
    k = PL_DEMUX_ZRTP;
    min = PL_DEMUX_MIN_ZRTP;
  } else if (b >= 20 && b <= 63) {
    k = PL_DEMUX_DTLS;
    min = PL_DEMUX_MIN_DTLS;
  } else if (b >= 64 && b <= 79) {
    k = PL_DEMUX_TURN_CHANNEL;
    min = PL_DEMUX_MIN_TURN_CHANNEL;
  } else if (b >= 128 && b <= 191) {
    if (n < 2)
      return PL_DEMUX_UNKNOWN;
    /* The second byte is the RTCP packet type or the RTP marker bit plus
     * payload type; 192..223 is reserved for RTCP, which is why WebRTC
     * never uses RTP payload types 64..95. */
    if (p[1] >= 192 && p[1] <= 223) {
      k = PL_DEMUX_RTCP;
      min = PL_DEMUX_MIN_RTCP;
    } else {
      k = PL_DEMUX_RTP;
      min = PL_DEMUX_MIN_RTP;
    }
  } else {
    return PL_DEMUX_UNKNOWN;
  }
  return n >= min ? k : PL_DEMUX_UNKNOWN;
}

const char *pl_demux_kind_name(pl_demux_kind k) {
  switch (k) {
  case PL_DEMUX_STUN:
    return "stun";
  case PL_DEMUX_ZRTP:
    return "zrtp";
  case PL_DEMUX_DTLS:
    return "dtls";
  case PL_DEMUX_TURN_CHANNEL:
    return "turn-channel";
  case PL_DEMUX_RTP:
    return "rtp";
  case PL_DEMUX_RTCP:
    return "rtcp";
  case PL_DEMUX_UNKNOWN:
    break;
  }
  return "unknown";
}
