/* Frame assembler: collects depacketized video RTP packets by sequence
 * number and hands out whole frames (pictures) once every packet from the
 * frame's first (begin bit) to its last (RTP marker) is in. Reordering,
 * duplicates and the 16-bit wrap are handled; a frame that never completes
 * is dropped after a timeout and counted. Sans-IO, preallocated. */
#ifndef PL_VIDEO_FRAME_ASSEMBLER_H
#define PL_VIDEO_FRAME_ASSEMBLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "video/payload/payload.h"

/* One complete encoded picture. data stays valid until the next call on
 * whoever handed it out. */
typedef struct pl_encoded_frame {
  pl_video_codec codec;
  const uint8_t *data;
  size_t len;
  uint32_t rtp_ts;
  int64_t first_seq, last_seq; /* unwrapped RTP sequence numbers */
  bool key;
  int width, height; /* from a keyframe's header, else 0 */
  int32_t picture_id; /* -1 when the payload had none */
  uint8_t picture_id_bits;
  int16_t tl0picidx;  /* -1 when absent */
  int8_t tid;         /* -1 when absent */
  bool layer_sync;
  bool flexible;
  uint8_t nrefs;
  uint8_t pdiff[PL_VP9_MAX_REFS];
  pl_time_us first_arrival, complete_at; /* first and last packet's arrival */
  bool retransmitted; /* at least one packet came by retransmission */
  uint32_t packets;
} pl_encoded_frame;

typedef struct pl_frame_assembler_config {
  size_t packets;         /* slots, rounded up to a power of two; 0: 2048 */
  size_t max_payload;     /* bytes per packet; 0: 1500 */
  size_t max_frame_bytes; /* bigger frames are dropped; 0: 1 MiB */
  pl_time_us timeout;     /* an incomplete frame is dropped this long after
                             its first packet; 0: 1 s */
} pl_frame_assembler_config;

typedef struct pl_frame_assembler_stats {
  uint64_t packets, duplicates;
  uint64_t too_old;       /* its slot already holds a newer packet */
  uint64_t late;          /* belongs to a frame already dropped */
  uint64_t too_big;       /* packet payload over max_payload */
  uint64_t frames;        /* complete frames handed out */
  uint64_t dropped_timeout;    /* frames that never completed */
  uint64_t dropped_evicted;    /* pushed out by newer packets */
  uint64_t dropped_superseded; /* partial frames older than a keyframe */
  uint64_t dropped_too_big;    /* assembled frame over max_frame_bytes */
} pl_frame_assembler_stats;

typedef struct pl_frame_assembler pl_frame_assembler;

int pl_frame_assembler_new(pl_frame_assembler **out,
                           const pl_frame_assembler_config *cfg);
void pl_frame_assembler_free(pl_frame_assembler *a);

/* One received packet: its RTP sequence number, timestamp and marker, and
 * the depacketizer's view of its payload (copied). `retransmitted` is true
 * for packets recovered through RTX or a plain NACK retransmission. Returns
 * 1 when a frame is ready to poll, 0 when stored or discarded (the stats
 * say which), PL_EINVAL for a NULL payload. */
int pl_frame_assembler_insert(pl_frame_assembler *a, pl_time_us now,
                              uint16_t seq, uint32_t ts, bool marker,
                              const pl_video_rtp_info *info,
                              bool retransmitted);
/* Hands out the next complete frame (data valid until the next call). */
bool pl_frame_assembler_poll(pl_frame_assembler *a, pl_encoded_frame *out);
/* When the oldest incomplete frame times out; PL_TIME_NEVER if none. */
pl_time_us pl_frame_assembler_deadline(const pl_frame_assembler *a);
void pl_frame_assembler_timeout(pl_frame_assembler *a, pl_time_us now);
/* Forgets every packet (a new stream, an SSRC change). */
void pl_frame_assembler_reset(pl_frame_assembler *a);
void pl_frame_assembler_get_stats(const pl_frame_assembler *a,
                              pl_frame_assembler_stats *out);

#endif
