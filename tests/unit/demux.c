/* RFC 7983 demultiplexing: first-byte ranges, RFC 5761 RTP/RTCP split, runts. */
#include <criterion/criterion.h>
#include <string.h>

#include "net/demux/demux.h"

Test(demux, every_first_byte_lands_in_its_rfc7983_range) {
  uint8_t pkt[64];
  memset(pkt, 0, sizeof pkt);
  pkt[1] = 111; /* RTP PT 111 (Opus) for the 128..191 range */
  int count[PL_DEMUX_RTCP + 1] = {0};
  for (int b = 0; b < 256; b++) {
    pkt[0] = (uint8_t)b;
    pl_demux_kind k = pl_demux_classify(pkt, sizeof pkt);
    count[k]++;
    pl_demux_kind want = PL_DEMUX_UNKNOWN;
    if (b <= 3)
      want = PL_DEMUX_STUN;
    else if (b >= 16 && b <= 19)
      want = PL_DEMUX_ZRTP;
    else if (b >= 20 && b <= 63)
      want = PL_DEMUX_DTLS;
    else if (b >= 64 && b <= 79)
      want = PL_DEMUX_TURN_CHANNEL;
    else if (b >= 128 && b <= 191)
      want = PL_DEMUX_RTP;
    cr_assert_eq(k, want, "first byte %d: got %s", b, pl_demux_kind_name(k));
  }
  cr_assert_eq(count[PL_DEMUX_STUN], 4);
  cr_assert_eq(count[PL_DEMUX_ZRTP], 4);
  cr_assert_eq(count[PL_DEMUX_DTLS], 44);
  cr_assert_eq(count[PL_DEMUX_TURN_CHANNEL], 16);
  cr_assert_eq(count[PL_DEMUX_RTP], 64);
  cr_assert_eq(count[PL_DEMUX_UNKNOWN], 256 - 4 - 4 - 44 - 16 - 64);
}

Test(demux, second_byte_192_to_223_is_rtcp_per_rfc5761) {
  uint8_t pkt[32] = {0x80};
  for (int b = 0; b < 256; b++) {
    pkt[1] = (uint8_t)b;
    pl_demux_kind want = (b >= 192 && b <= 223) ? PL_DEMUX_RTCP : PL_DEMUX_RTP;
    cr_assert_eq(pl_demux_classify(pkt, sizeof pkt), want, "second byte %d", b);
  }
  /* Real first bytes: SR (200), RR (201), transport feedback (205), PSFB (206). */
  const uint8_t sr[8] = {0x80, 200, 0, 6, 1, 2, 3, 4};
  const uint8_t tcc[8] = {0x8f, 205, 0, 4, 1, 2, 3, 4};
  cr_assert_eq(pl_demux_classify(sr, 8), PL_DEMUX_RTCP);
  cr_assert_eq(pl_demux_classify(tcc, 8), PL_DEMUX_RTCP);
  /* VP8 PT 96 with the marker bit set is 0xe0 = 224: just past RTCP's range. */
  const uint8_t rtp[12] = {0x80, 0xe0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  cr_assert_eq(pl_demux_classify(rtp, 12), PL_DEMUX_RTP);
}

Test(demux, real_headers_classify) {
  /* STUN Binding request header (RFC 5769 2.1 first 20 bytes). */
  const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
                            0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
                            0xfa, 0x87, 0xdf, 0xae};
  cr_assert_eq(pl_demux_classify(stun, sizeof stun), PL_DEMUX_STUN);
  /* DTLS 1.2 handshake record header. */
  const uint8_t dtls[13] = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40};
  cr_assert_eq(pl_demux_classify(dtls, sizeof dtls), PL_DEMUX_DTLS);
  /* TURN ChannelData for channel 0x4000, 0 bytes. */
  const uint8_t chan[4] = {0x40, 0x00, 0x00, 0x00};
  cr_assert_eq(pl_demux_classify(chan, sizeof chan), PL_DEMUX_TURN_CHANNEL);
}

Test(demux, runts_and_null_are_unknown) {
  uint8_t pkt[20] = {0};
  cr_assert_eq(pl_demux_classify(NULL, 100), PL_DEMUX_UNKNOWN);
  cr_assert_eq(pl_demux_classify(pkt, 0), PL_DEMUX_UNKNOWN);
  cr_assert_eq(pl_demux_classify(pkt, 19), PL_DEMUX_UNKNOWN); /* STUN < 20 */
  cr_assert_eq(pl_demux_classify(pkt, 20), PL_DEMUX_STUN);
  pkt[0] = 0x17;
  cr_assert_eq(pl_demux_classify(pkt, 12), PL_DEMUX_UNKNOWN);
  cr_assert_eq(pl_demux_classify(pkt, 13), PL_DEMUX_DTLS);
  pkt[0] = 0x80;
  cr_assert_eq(pl_demux_classify(pkt, 1), PL_DEMUX_UNKNOWN);
  cr_assert_eq(pl_demux_classify(pkt, 11), PL_DEMUX_UNKNOWN);
  cr_assert_eq(pl_demux_classify(pkt, 12), PL_DEMUX_RTP);
  pkt[1] = 201;
  cr_assert_eq(pl_demux_classify(pkt, 7), PL_DEMUX_UNKNOWN);
  cr_assert_eq(pl_demux_classify(pkt, 8), PL_DEMUX_RTCP);
  pkt[0] = 0x40;
  cr_assert_eq(pl_demux_classify(pkt, 3), PL_DEMUX_UNKNOWN);
}

Test(demux, kind_names_are_distinct) {
  cr_assert_str_eq(pl_demux_kind_name(PL_DEMUX_STUN), "stun");
  cr_assert_str_eq(pl_demux_kind_name(PL_DEMUX_RTCP), "rtcp");
  cr_assert_str_eq(pl_demux_kind_name(PL_DEMUX_TURN_CHANNEL), "turn-channel");
  cr_assert_str_eq(pl_demux_kind_name((pl_demux_kind)99), "unknown");
}
