/* VP8 and VP9 through libvpx, set up the way a real-time call needs them:
 * one-pass CBR, no lookahead, error resilient, a keyframe when asked, rate
 * and size changeable mid-call, optional temporal layers. Frames in and out
 * are pl_video_frame (I420). Buffers are sized at _new and on a resolution
 * change; the per-frame path allocates nothing outside libvpx. */
#ifndef PL_VIDEO_VPX_H
#define PL_VIDEO_VPX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "video/frame.h"
#include "video/vpx/bitstream.h"

#define PL_VPX_MAX_PARTITIONS 9 /* VP8: first partition + up to 8 token ones */
#define PL_VPX_MAX_TL 3

typedef struct pl_vpx_enc_config {
  pl_video_codec codec;
  int width, height;
  int fps;              /* nominal rate, for rate control; default 30 */
  uint32_t bitrate_bps; /* default 1 Mbit/s */
  int cpu_used;         /* 0: codec default (VP8 -6, VP9 8) */
  int threads;          /* 0 or 1: single thread (deterministic) */
  int temporal_layers;  /* 1 (default), 2 or 3 */
  int keyframe_interval;    /* frames between periodic keyframes; 0: only
                               the first and those requested */
  int frame_drop_threshold; /* libvpx rc_dropframe_thresh (0: never drop) */
  bool output_partitions;   /* VP8: report token partition boundaries */
  int token_partitions;     /* VP8: log2 of token partitions, 0-3 */
  int min_q, max_q;         /* 0: defaults 2 and 56 */
} pl_vpx_enc_config;

/* One encoded picture. data is valid until the next call on the encoder. */
typedef struct pl_vpx_frame {
  const uint8_t *data;
  size_t len;
  bool key;
  bool droppable; /* nothing later references it (top temporal layer) */
  int width, height;
  uint32_t rtp_ts;
  int64_t index;
  pl_time_us capture_us;
  uint8_t temporal_id;
  bool layer_sync; /* refers only to base-layer frames (RFC 7741 Y bit) */
  /* Partition boundaries (VP8 with output_partitions): partition i is
   * data[part_off[i] .. part_off[i] + part_len[i]). One entry otherwise. */
  int nparts;
  size_t part_off[PL_VPX_MAX_PARTITIONS];
  size_t part_len[PL_VPX_MAX_PARTITIONS];
} pl_vpx_frame;

typedef struct pl_vpx_enc_stats {
  uint64_t frames_in, frames_out, keyframes, dropped, bytes;
  uint64_t keyframes_forced; /* by request or resolution change */
  int last_q;
} pl_vpx_enc_stats;

typedef struct pl_vpx_encoder pl_vpx_encoder;

/* PL_EINVAL for a bad config, PL_ERANGE for absurd sizes, PL_ECODEC when
 * libvpx refuses it, PL_ENOMEM. */
int pl_vpx_encoder_new(pl_vpx_encoder **out, const pl_vpx_enc_config *cfg);
void pl_vpx_encoder_free(pl_vpx_encoder *e);

/* Encodes one frame (its size must be the configured one: PL_EINVAL
 * otherwise) at 90 kHz time in->rtp_ts. Returns 1 with *out filled, 0 when
 * rate control dropped the frame, or PL_ECODEC. */
int pl_vpx_encoder_encode(pl_vpx_encoder *e, const pl_video_frame *in,
                          pl_vpx_frame *out);
/* The next encoded frame is a keyframe. */
void pl_vpx_encoder_request_keyframe(pl_vpx_encoder *e);
/* New target rate (and frame rate, 0 to keep it), applied from the next
 * frame without a keyframe. */
int pl_vpx_encoder_set_rate(pl_vpx_encoder *e, uint32_t bitrate_bps, int fps);
/* New input size. VP8 always sends a keyframe next (its inter frames cannot
 * code a size); VP9 goes on with inter frames predicted from scaled
 * references when libvpx allows it (down to the first size or below). The
 * return says which: 1 if a keyframe was forced, 0 if not, or an error. */
int pl_vpx_encoder_set_resolution(pl_vpx_encoder *e, int width, int height);
void pl_vpx_encoder_stats(const pl_vpx_encoder *e, pl_vpx_enc_stats *out);
const pl_vpx_enc_config *pl_vpx_encoder_config(const pl_vpx_encoder *e);

/* ---- decoder ---- */

typedef struct pl_vpx_dec_config {
  pl_video_codec codec;
  int threads;               /* 0 or 1: single thread */
  int max_width, max_height; /* refuse bigger frames; 0: 3840 x 2160 */
} pl_vpx_dec_config;

typedef struct pl_vpx_dec_stats {
  uint64_t frames_in, decoded, keyframes;
  uint64_t errors;          /* libvpx refused the frame */
  uint64_t corrupted;       /* decoded, but libvpx flags it corrupt */
  uint64_t rejected_dims;   /* header size over the limits */
  uint64_t rejected_header; /* header unreadable: not passed to libvpx */
  uint64_t skipped_need_key; /* inter frames refused while a key is due */
  uint64_t resolution_changes;
} pl_vpx_dec_stats;

typedef struct pl_vpx_decoder pl_vpx_decoder;

int pl_vpx_decoder_new(pl_vpx_decoder **out, const pl_vpx_dec_config *cfg);
void pl_vpx_decoder_free(pl_vpx_decoder *d);

/* Decodes one assembled frame. Returns 1 with *out pointing at libvpx's
 * picture (valid until the next call), 0 when the frame shows nothing, or
 * a negative code: PL_EPARSE (unreadable header), PL_ERANGE (dimensions
 * over the limits), PL_ESTATE (an inter frame while a keyframe is needed),
 * PL_ECODEC (libvpx error or corrupt output). After any of these the
 * decoder wants a keyframe: it refuses inter frames until one arrives, so
 * the caller should send a PLI. */
int pl_vpx_decoder_decode(pl_vpx_decoder *d, const uint8_t *data, size_t len,
                          pl_video_frame *out);
bool pl_vpx_decoder_needs_keyframe(const pl_vpx_decoder *d);
void pl_vpx_decoder_stats(const pl_vpx_decoder *d, pl_vpx_dec_stats *out);

#endif
