/* RTCP (RFC 3550 §6) compound packets: an iterator that validates each
 * packet header, typed parsers that read a packet in place, and a writer that
 * appends packets into one caller buffer. Covers SR, RR, SDES, BYE and the
 * feedback messages WebRTC uses: generic NACK and PLI (RFC 4585), FIR
 * (RFC 5104), REMB and transport-wide CC feedback. No allocation anywhere. */
#ifndef PL_NET_RTCP_H
#define PL_NET_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
  PL_RTCP_SR = 200,
  PL_RTCP_RR = 201,
  PL_RTCP_SDES = 202,
  PL_RTCP_BYE = 203,
  PL_RTCP_APP = 204,
  PL_RTCP_RTPFB = 205, /* transport-layer feedback, RFC 4585 §6.2 */
  PL_RTCP_PSFB = 206,  /* payload-specific feedback, RFC 4585 §6.3 */
  PL_RTCP_XR = 207,
};
/* Feedback message types (the FMT field). */
enum {
  PL_RTCP_RTPFB_NACK = 1,  /* RFC 4585 §6.2.1 */
  PL_RTCP_RTPFB_TWCC = 15, /* draft-holmer-rmcat-transport-wide-cc-ext-01 */
  PL_RTCP_PSFB_PLI = 1,    /* RFC 4585 §6.3.1 */
  PL_RTCP_PSFB_FIR = 4,    /* RFC 5104 §4.3.1 */
  PL_RTCP_PSFB_AFB = 15,   /* application layer; REMB lives here */
};

#define PL_RTCP_HEADER 4
#define PL_RTCP_MAX_COUNT 31 /* the 5-bit RC/SC field */
#define PL_RTCP_SDES_CNAME 1

/* One packet of a compound packet, as the iterator found it. */
typedef struct pl_rtcp_packet {
  uint8_t pt;
  uint8_t count; /* RC, SC or FMT: the 5-bit field after P */
  uint8_t padding_len;
  const uint8_t *data; /* the packet from its header, padding excluded */
  size_t len;
  const uint8_t *body; /* data + 4 */
  size_t body_len;
} pl_rtcp_packet;

typedef struct pl_rtcp_iter {
  const uint8_t *p;
  size_t n, off;
} pl_rtcp_iter;

void pl_rtcp_iter_init(pl_rtcp_iter *it, const uint8_t *p, size_t n);
/* Returns 1 with *pkt filled, 0 at the end, or an error that also ends the
 * iteration: PL_ETRUNC (a header or the length it claims does not fit),
 * PL_EPARSE (version not 2, padding on a packet that is not the last, or a
 * padding count of 0 or larger than the packet body). */
int pl_rtcp_iter_next(pl_rtcp_iter *it, pl_rtcp_packet *pkt);
/* Checks a whole compound packet: every header as above, plus (unless
 * reduced_size, RFC 5506 §3.4.2) that the first packet is an SR or RR.
 * Returns the number of packets or an error. */
int pl_rtcp_validate(const uint8_t *p, size_t n, bool reduced_size);

/* ---- SR / RR (RFC 3550 §6.4) ------------------------------------------- */

typedef struct pl_rtcp_report_block {
  uint32_t ssrc;
  uint8_t fraction_lost;   /* fixed point, /256 */
  int32_t cumulative_lost; /* 24-bit signed on the wire */
  uint32_t ext_highest_seq;
  uint32_t jitter; /* RTP timestamp units */
  uint32_t lsr;    /* middle 32 bits of the last SR's NTP time, 0 if none */
  uint32_t dlsr;   /* delay since that SR, 1/65536 s */
} pl_rtcp_report_block;

typedef struct pl_rtcp_sr {
  uint32_t ssrc;
  uint64_t ntp; /* 32.32 fixed-point seconds since 1900 */
  uint32_t rtp_ts;
  uint32_t packet_count;
  uint32_t octet_count;
  uint8_t report_count;
  pl_rtcp_report_block reports[PL_RTCP_MAX_COUNT];
} pl_rtcp_sr;

typedef struct pl_rtcp_rr {
  uint32_t ssrc;
  uint8_t report_count;
  pl_rtcp_report_block reports[PL_RTCP_MAX_COUNT];
} pl_rtcp_rr;

/* Both return 0, PL_EINVAL for a packet of another type, or PL_ETRUNC when
 * the report blocks the count promises do not fit. Profile-specific
 * extensions after the blocks are ignored. */
int pl_rtcp_sr_parse(pl_rtcp_sr *sr, const pl_rtcp_packet *pkt);
int pl_rtcp_rr_parse(pl_rtcp_rr *rr, const pl_rtcp_packet *pkt);

/* ---- SDES (§6.5) and BYE (§6.6) ----------------------------------------- */

typedef struct pl_rtcp_sdes_chunk {
  uint32_t ssrc;
  const uint8_t *cname; /* NULL if the chunk had no CNAME; not terminated */
  uint8_t cname_len;
} pl_rtcp_sdes_chunk;

typedef struct pl_rtcp_sdes {
  uint8_t count;
  pl_rtcp_sdes_chunk chunks[PL_RTCP_MAX_COUNT];
} pl_rtcp_sdes;

/* Items other than CNAME are skipped. PL_EPARSE for a chunk whose item list
 * is not ended by a null octet inside the packet. */
int pl_rtcp_sdes_parse(pl_rtcp_sdes *sdes, const pl_rtcp_packet *pkt);

typedef struct pl_rtcp_bye {
  uint8_t count;
  uint32_t ssrcs[PL_RTCP_MAX_COUNT];
  const uint8_t *reason; /* NULL if absent; not terminated */
  uint8_t reason_len;
} pl_rtcp_bye;

int pl_rtcp_bye_parse(pl_rtcp_bye *bye, const pl_rtcp_packet *pkt);

/* APP (RFC 3550 §6.7): a subtype, an SSRC, a four-character name and data
 * in whole 32-bit words; a peer that does not know the name ignores it. */
typedef struct pl_rtcp_app {
  uint8_t subtype;
  uint32_t ssrc;
  char name[4]; /* not terminated */
  const uint8_t *data;
  size_t len; /* a multiple of 4 */
} pl_rtcp_app;

/* PL_ETRUNC under SSRC + name, PL_EPARSE for data not in whole words. */
int pl_rtcp_app_parse(pl_rtcp_app *app, const pl_rtcp_packet *pkt);

/* ---- Feedback (RFC 4585 §6.1): PLI, generic NACK, FIR, REMB --------------
 * Variable-length lists are not copied: the parsed struct points at them and
 * an accessor reads entry i. */

typedef struct pl_rtcp_fb {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
} pl_rtcp_fb;

/* PLI carries no FCI; PL_EPARSE if one is present (RFC 4585 §6.3.1). */
int pl_rtcp_pli_parse(pl_rtcp_fb *fb, const pl_rtcp_packet *pkt);

typedef struct pl_rtcp_nack {
  pl_rtcp_fb fb;
  const uint8_t *fci;
  size_t count; /* (PID, BLP) pairs */
} pl_rtcp_nack;

int pl_rtcp_nack_parse(pl_rtcp_nack *nack, const pl_rtcp_packet *pkt);
void pl_rtcp_nack_item(const pl_rtcp_nack *nack, size_t i, uint16_t *pid,
                       uint16_t *blp);
/* Expands every PID/BLP into sequence numbers, in packet order. Writes at
 * most cap and returns the total, which may be larger than cap. */
size_t pl_rtcp_nack_seqs(const pl_rtcp_nack *nack, uint16_t *seqs, size_t cap);

typedef struct pl_rtcp_fir {
  pl_rtcp_fb fb;
  const uint8_t *fci;
  size_t count;
} pl_rtcp_fir;

int pl_rtcp_fir_parse(pl_rtcp_fir *fir, const pl_rtcp_packet *pkt);
void pl_rtcp_fir_entry(const pl_rtcp_fir *fir, size_t i, uint32_t *ssrc,
                       uint8_t *seq_nr);

typedef struct pl_rtcp_remb {
  pl_rtcp_fb fb;
  uint64_t bitrate_bps; /* mantissa << exp */
  uint8_t ssrc_count;
  const uint8_t *ssrcs;
} pl_rtcp_remb;

/* PL_ENOENT for an AFB message that is not REMB, PL_ERANGE for a bitrate
 * that overflows 64 bits. */
int pl_rtcp_remb_parse(pl_rtcp_remb *remb, const pl_rtcp_packet *pkt);
uint32_t pl_rtcp_remb_ssrc(const pl_rtcp_remb *remb, size_t i);

/* ---- Transport-wide congestion control feedback ------------------------- */

typedef struct pl_rtcp_twcc {
  pl_rtcp_fb fb;
  uint16_t base_seq;
  uint16_t status_count;
  int32_t ref_time; /* 24-bit signed, in units of 64 ms */
  uint8_t fb_count;
  /* How the packet is padded to a word: the P bit with a count byte (what
   * libwebrtc sends) or plain zero bytes (the draft's figure). Set by the
   * parser, honoured by the writer, so a round trip is byte-exact. */
  bool pad_with_p_bit;
} pl_rtcp_twcc;

typedef struct pl_twcc_status {
  uint16_t seq;
  bool received;
  int32_t delta_us; /* from the previous received packet (or ref_time) */
  int64_t recv_us;  /* ref_time * 64 ms + all deltas so far; 0 if lost */
} pl_twcc_status;

#define PL_TWCC_DELTA_US 250
#define PL_TWCC_REF_US 64000

/* Decodes status chunks and receive deltas into out[0..status_count).
 * Returns status_count, PL_EFULL if cap < status_count, PL_ETRUNC when chunks
 * or deltas run short, PL_EPARSE for the reserved status symbol 11. */
int pl_rtcp_twcc_parse(pl_rtcp_twcc *twcc, const pl_rtcp_packet *pkt,
                       pl_twcc_status *out, size_t cap);
/* Receiver side: given st[i].seq, .received and .recv_us (arrival time),
 * sets twcc->ref_time from the first received packet (floored to 64 ms) and
 * each delta_us to a multiple of 250 us, rounding against the running sum so
 * errors do not accumulate; recv_us is replaced by the value the peer will
 * reconstruct. PL_ERANGE if a delta does not fit 16 bits of 250 us. */
int pl_twcc_set_deltas(pl_rtcp_twcc *twcc, pl_twcc_status *st, size_t n);

/* ---- Writer --------------------------------------------------------------- */

typedef struct pl_rtcp_writer {
  uint8_t *buf;
  size_t cap, len;
  int err; /* first error; every later call returns it */
  unsigned packets;
  bool reduced_size;
  bool has_cname;
  bool closed; /* a packet with the P bit was written; it must stay last */
} pl_rtcp_writer;

/* Compound mode (reduced_size false) requires an SR or RR first and an SDES
 * with a CNAME somewhere (RFC 3550 §6.1); reduced-size mode (RFC 5506) takes
 * any packets in any order, e.g. a lone NACK or TWCC. */
void pl_rtcp_writer_init(pl_rtcp_writer *w, uint8_t *buf, size_t cap,
                         bool reduced_size);
/* Returns the compound length, or the first error: PL_EFULL (buffer),
 * PL_ESTATE (compound rules broken), PL_EINVAL/PL_ERANGE (bad input). */
int pl_rtcp_writer_finish(pl_rtcp_writer *w);

/* Each returns 0 or the writer's (sticky) error. */
int pl_rtcp_write_sr(pl_rtcp_writer *w, const pl_rtcp_sr *sr);
int pl_rtcp_write_rr(pl_rtcp_writer *w, const pl_rtcp_rr *rr);
int pl_rtcp_write_sdes(pl_rtcp_writer *w, const pl_rtcp_sdes_chunk *chunks,
                       size_t n);
int pl_rtcp_write_bye(pl_rtcp_writer *w, const uint32_t *ssrcs, size_t n,
                      const char *reason);
int pl_rtcp_write_pli(pl_rtcp_writer *w, uint32_t sender, uint32_t media);
/* PL_ERANGE for a subtype over 31 or data not in whole words. */
int pl_rtcp_write_app(pl_rtcp_writer *w, uint8_t subtype, uint32_t ssrc, const char name[4],
                      const uint8_t *data, size_t len);
/* Packs sequence numbers into PID/BLP pairs; give them in ascending
 * (wrap-aware) order for the fewest pairs. */
int pl_rtcp_write_nack(pl_rtcp_writer *w, uint32_t sender, uint32_t media,
                       const uint16_t *seqs, size_t n);
int pl_rtcp_write_fir(pl_rtcp_writer *w, uint32_t sender,
                      const uint32_t *ssrcs, const uint8_t *seq_nrs, size_t n);
/* Rounds the bitrate down to an 18-bit mantissa and a 6-bit exponent. */
int pl_rtcp_write_remb(pl_rtcp_writer *w, uint32_t sender, uint64_t bitrate_bps,
                       const uint32_t *ssrcs, size_t n);
/* st[i].seq must be twcc->base_seq + i and each received delta_us a multiple
 * of 250 us (see pl_twcc_set_deltas); status_count is taken from n. Chunks are
 * chosen like libwebrtc's encoder, so its packets round-trip byte-exactly. */
int pl_rtcp_write_twcc(pl_rtcp_writer *w, const pl_rtcp_twcc *twcc,
                       const pl_twcc_status *st, size_t n);

#endif
