/* RFC 7983 demultiplexing: which protocol a datagram on a WebRTC 5-tuple
 * carries, decided from its first byte (and, for RTP vs RTCP, the second,
 * RFC 5761 section 4). The engine calls this once per datagram before
 * handing the bytes to STUN, DTLS, TURN or SRTP. */
#ifndef PL_NET_DEMUX_H
#define PL_NET_DEMUX_H

#include <stddef.h>
#include <stdint.h>

typedef enum pl_demux_kind {
  PL_DEMUX_UNKNOWN = 0, /* empty, runt, or a first byte no protocol owns */
  PL_DEMUX_STUN,        /* 0..3 */
  PL_DEMUX_ZRTP,        /* 16..19: WebRTC ignores ZRTP */
  PL_DEMUX_DTLS,        /* 20..63 */
  PL_DEMUX_TURN_CHANNEL,/* 64..79 */
  PL_DEMUX_RTP,         /* 128..191, second byte outside 192..223 */
  PL_DEMUX_RTCP,        /* 128..191, second byte 192..223 */
} pl_demux_kind;

/* Smallest datagram of each kind that can be well formed; shorter ones are
 * classified PL_DEMUX_UNKNOWN so a runt never reaches a protocol parser. */
#define PL_DEMUX_MIN_STUN 20 /* RFC 8489 header */
#define PL_DEMUX_MIN_ZRTP 12 /* RFC 6189 packet header */
#define PL_DEMUX_MIN_DTLS 13 /* RFC 6347 record header */
#define PL_DEMUX_MIN_TURN_CHANNEL 4 /* RFC 8656 ChannelData header */
#define PL_DEMUX_MIN_RTP 12
#define PL_DEMUX_MIN_RTCP 8 /* header + sender SSRC */

pl_demux_kind pl_demux_classify(const uint8_t *p, size_t n);
const char *pl_demux_kind_name(pl_demux_kind k);

#endif
