/* VP9 RTP payload format (RFC 9628): the payload descriptor (§4.2) with
 * picture ID, layer indices, flexible-mode reference diffs, non-flexible
 * TL0PICIDX and the scalability structure (§4.2.1), a packetizer and a
 * depacketizer. */
#ifndef PL_VIDEO_PAYLOAD_VP9_H
#define PL_VIDEO_PAYLOAD_VP9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "video/payload/payload.h"

#define PL_VP9_MAX_SPATIAL 8
#define PL_VP9_MAX_PG 255

/* §4.2.1 scalability structure. */
typedef struct pl_vp9_ss {
  uint8_t n_s; /* spatial layers, 1-8 */
  bool y;      /* resolutions present */
  uint16_t width[PL_VP9_MAX_SPATIAL], height[PL_VP9_MAX_SPATIAL];
  bool g; /* picture group description present */
  uint8_t n_g;
  struct {
    uint8_t tid; /* 0-7 */
    bool u;
    uint8_t r; /* 0-3 */
    uint8_t pdiff[PL_VP9_MAX_REFS];
  } pg[PL_VP9_MAX_PG];
} pl_vp9_ss;

typedef struct pl_vp9_desc {
  bool i; /* picture ID present */
  bool p; /* inter-picture predicted */
  bool l; /* layer indices present */
  bool f; /* flexible mode */
  bool b; /* start of a layer frame */
  bool e; /* end of a layer frame */
  bool v; /* scalability structure present */
  bool z; /* not used for inter-layer prediction */
  bool pid_15; /* M */
  uint16_t picture_id;
  uint8_t tid, sid; /* 0-7 */
  bool u, d;        /* switching up point, inter-layer dependency */
  uint8_t tl0picidx; /* non-flexible mode with L */
  uint8_t nrefs;     /* flexible mode with P: 1-3 P_DIFF values */
  uint8_t pdiff[PL_VP9_MAX_REFS];
  pl_vp9_ss ss; /* with V */
} pl_vp9_desc;

/* Returns the descriptor length, or PL_ETRUNC (ends inside the descriptor
 * or nothing follows it), PL_EPARSE (F without I, more than 3 P_DIFFs, a
 * P_DIFF of 0). */
int pl_vp9_desc_parse(pl_vp9_desc *d, const uint8_t *p, size_t n);
size_t pl_vp9_desc_len(const pl_vp9_desc *d);
/* Returns bytes written, PL_EFULL, PL_ERANGE (a field over its width, a
 * P_DIFF of 0 or over 127, nrefs outside 1-3 with F and P) or PL_EINVAL
 * (F without I). */
int pl_vp9_desc_write(const pl_vp9_desc *d, uint8_t *out, size_t cap);

/* Descriptor plus, on a frame start, the VP9 uncompressed header for key
 * and size (the SS resolution when present wins). */
int pl_vp9_depacketize(pl_video_rtp_info *info, const uint8_t *p, size_t n);

/* Cuts one layer frame into packets of at most max_payload bytes: B on the
 * first, E on the last, the SS (when desc->v) on the first only, which the
 * split accounts for so the fragments stay balanced. */
typedef struct pl_vp9_packetizer {
  pl_vp9_desc desc;
  const uint8_t *data;
  pl_payload_split split;
  size_t k, off;
} pl_vp9_packetizer;

/* Returns the packet count, PL_EINVAL (empty frame) or PL_ERANGE
 * (max_payload leaves no room after the descriptor). */
int pl_vp9_packetizer_init(pl_vp9_packetizer *pz, const pl_vp9_desc *desc,
                           const uint8_t *frame, size_t len,
                           size_t max_payload);
/* As pl_vp8_packetizer_next. */
int pl_vp9_packetizer_next(pl_vp9_packetizer *pz, uint8_t *out, size_t cap,
                           bool *last);

#endif
