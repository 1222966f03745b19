/* What the VP8 and VP9 RTP payload formats have in common: the view of one
 * depacketized packet that the frame assembler and frame buffer work from,
 * the balanced split of a frame into packets, and the picture ID and
 * TL0PICIDX counters a sender keeps. */
#ifndef PL_VIDEO_PAYLOAD_H
#define PL_VIDEO_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "video/vpx/bitstream.h"

#define PL_VP9_MAX_REFS 3

/* One video RTP payload, codec-independent. Pointers are into the packet. */
typedef struct pl_video_rtp_info {
  pl_video_codec codec;
  bool frame_begin; /* first packet of a picture (VP8 S with PID 0; VP9 B
                       in the lowest spatial layer) */
  bool frame_end;   /* VP9 E in a stream without spatial layers; VP8 never
                       says: the RTP marker does */
  bool key;         /* a keyframe begins here (only set with frame_begin) */
  int width, height;  /* coded size when the packet carries it, else 0 */
  int32_t picture_id; /* -1 when absent */
  uint8_t picture_id_bits; /* 7 or 15 */
  int16_t tl0picidx;       /* -1 when absent */
  int8_t tid, sid;         /* -1 when absent */
  bool layer_sync;         /* VP8 Y: depends on the base layer only */
  bool inter_predicted;    /* VP9 P; for VP8, !key on frame_begin */
  bool flexible;           /* VP9 F: refs below are the whole truth */
  uint8_t nrefs;
  uint8_t pdiff[PL_VP9_MAX_REFS]; /* referenced pictures: picture_id - pdiff */
  const uint8_t *payload;         /* codec bytes after the descriptor */
  size_t payload_len;
} pl_video_rtp_info;

/* Splits len bytes into the fewest packets whose payload fits, the first
 * taking at most cap_first and the others cap_rest (cap_first <= cap_rest:
 * the first may carry a longer descriptor), with sizes as even as the caps
 * allow: RFC 7741 §4.4 asks for equal fragments, which keeps one packet from
 * being the small straggler that is lost alone. */
typedef struct pl_payload_split {
  size_t len, n;
  size_t first;     /* bytes in packet 0 */
  size_t base, rem; /* packets 1..n-1: base bytes, the first rem get one more */
} pl_payload_split;

/* PL_EINVAL when a cap is 0 or cap_first > cap_rest, or len is 0. */
int pl_payload_split_init(pl_payload_split *s, size_t len, size_t cap_first,
                          size_t cap_rest);
size_t pl_payload_split_size(const pl_payload_split *s, size_t i);

/* A sender's picture ID (15 bit, random start) and TL0PICIDX (bumped on
 * each base-layer picture), RFC 7741 §4.2 and RFC 9628 §4.2. */
typedef struct pl_video_pic_counter {
  uint16_t picture_id;
  uint8_t tl0picidx;
  bool started;
} pl_video_pic_counter;

void pl_video_pic_counter_init(pl_video_pic_counter *c, uint16_t first_id);
/* Advances to the next picture of temporal layer tid. */
void pl_video_pic_counter_next(pl_video_pic_counter *c, uint8_t tid,
                               uint16_t *picture_id, uint8_t *tl0picidx);

#endif
