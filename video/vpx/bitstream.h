/* What a receiver needs to know about a VP8 or VP9 frame before handing it
 * to libvpx: key or not, shown or not, and the coded size, read from the
 * frame's own uncompressed header (RFC 6386 §9.1, VP9 bitstream spec §6.2).
 * The depacketizer uses it to mark keyframes, the decoder to refuse absurd
 * dimensions before libvpx allocates for them. */
#ifndef PL_VIDEO_VPX_BITSTREAM_H
#define PL_VIDEO_VPX_BITSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PL_CODEC_VP8 = 8, PL_CODEC_VP9 = 9 } pl_video_codec;

typedef struct pl_vpx_header {
  bool key;        /* VP8/VP9 key frame */
  bool intra_only; /* VP9 intra-only frame (not key, but carries a size) */
  bool show;       /* show_frame */
  bool show_existing; /* VP9: repeats a stored frame, no coded data */
  bool has_size;   /* width/height were coded in this frame */
  int width, height;
  uint8_t profile; /* VP8 version 0-3, VP9 profile 0-3 */
  uint32_t first_part_size; /* VP8 first partition size in bytes */
} pl_vpx_header;

/* VP8 frame tag (3 bytes) plus, on key frames, start code and size (7 more).
 * Returns 0, PL_ETRUNC, or PL_EPARSE (bad start code, zero size, first
 * partition larger than the frame). */
int pl_vp8_header_parse(pl_vpx_header *h, const uint8_t *p, size_t n);

/* VP9 uncompressed header up to the frame size. For an inter frame whose
 * size is copied from a reference, has_size is false. Returns 0, PL_ETRUNC,
 * PL_EPARSE (bad frame marker or sync code) or PL_ENOTSUP (reserved bits). */
int pl_vp9_header_parse(pl_vpx_header *h, const uint8_t *p, size_t n);

/* VP9 superframe index (Annex B): splits a chunk into its frames. Returns
 * the frame count (1 with sizes[0] = n when there is no index), or PL_EPARSE
 * when an index is present but its sizes do not add up. */
#define PL_VP9_MAX_SUPERFRAME 8
int pl_vp9_superframe_split(const uint8_t *p, size_t n,
                            size_t offs[PL_VP9_MAX_SUPERFRAME],
                            size_t sizes[PL_VP9_MAX_SUPERFRAME]);

#endif
