/* The video track of a call. Like audio it has a network half (RTP/RTX
 * out of a send history, NACK generation, PLI/FIR in and out, receive
 * statistics) that runs where datagrams arrive, and a media half (source,
 * VP8/VP9 encoder, packetizer; depacketizer, assembler, frame buffer,
 * decoder, sink) that runs on the media thread. They meet in two SPSC rings
 * and a few atomics, so the network thread never waits on a codec. */
#ifndef PL_ENGINE_CALL_VIDEO_H
#define PL_ENGINE_CALL_VIDEO_H

#include "ai/upscale/stage.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"
#include "engine/ring.h"
#include "net/nack/history.h"
#include "net/nack/nack.h"
#include "net/rtcp/rtcp.h"
#include "net/rtp/rtp.h"
#include "net/rtp/rtp_stats.h"
#include "parley.h"
#include "video/frame_buffer/assembler.h"
#include "video/frame_buffer/frame_buffer.h"
#include "video/ladder/adjust.h"
#include "video/ladder/ladder.h"
#include "video/payload/payload.h"
#include "video/vpx/vpx.h"

#define PL_VIDEO_MAX_PAYLOAD 1400 /* RTP payload we accept (descriptor incl.) */
#define PL_VIDEO_SEND_PAYLOAD 1100 /* what we put in one packet */
/* Bytes a video packet carries beside its payload, as the congestion
 * controller counts them: RTP header 12, extensions (mid, transport-wide
 * sequence, abs-capture-time on some) about 18, SRTP tag 10. */
#define PL_VIDEO_PKT_OVERHEAD 40
#define PL_VIDEO_CLOCK 90000
#define PL_VIDEO_VP8_PT 96
#define PL_VIDEO_VP8_RTX_PT 97
#define PL_VIDEO_VP9_PT 98
#define PL_VIDEO_VP9_RTX_PT 99

struct pl_call;

/* net -> media: one received video packet (RTX already unwrapped). */
typedef struct pl_vrx_item {
  pl_time_us arrival;
  uint64_t capture_ntp; /* abs-capture-time, 0 when absent */
  uint32_t ts;
  uint16_t seq;
  uint16_t len;
  bool marker, retx;
  uint8_t payload[PL_VIDEO_MAX_PAYLOAD];
} pl_vrx_item;

/* media -> net: one packetized video payload. */
typedef struct pl_vtx_item {
  pl_time_us capture_us;
  uint32_t ts;
  uint16_t len;
  bool marker;
  uint8_t payload[PL_VIDEO_SEND_PAYLOAD + 64];
} pl_vtx_item;

/* Media-side numbers, published under the call's snapshot lock. */
typedef struct pl_video_snapshot {
  uint64_t frames_encoded, key_frames_encoded, frames_sent_dropped;
  int width_sent, height_sent;
  uint64_t frames_received, frames_decoded, key_frames_decoded;
  uint64_t frames_dropped, decode_errors, bad_payloads;
  uint64_t keyframes_for_peer;
  uint64_t rate_changes; /* encoder target updates from congestion control */
  uint64_t frames_paced_out; /* skipped while the pacer was congested */
  uint64_t resolution_switches; /* ladder moves to another encode size */
  int fps_sent;                 /* the ladder's frame rate */
  int width, height;
  double fps;
  uint64_t freeze_count;
  pl_time_us total_freeze;
  double delay_sum_us;
  uint64_t delay_n;
  pl_time_us render_delay;
  pl_upscale_stats up; /* the upscale stage */
} pl_video_snapshot;

typedef struct pl_call_video {
  /* Negotiated. */
  bool on;
  pl_video_codec codec;
  int pt, rtx_pt;                 /* what we send (the answer's numbers) */
  int rx_pt, rx_rtx_pt;           /* what the peer sends for the same codec */
  uint32_t local_ssrc, local_rtx_ssrc;
  uint32_t remote_ssrc, remote_rtx_ssrc;
  bool remote_ssrc_known, remote_rtx_known;
  bool use_fir;                   /* peer offered ccm fir and not pli */
  uint32_t fb_bits;               /* PL_SDP_FB_* both sides use */
  char mid[16];

  /* Network half. */
  uint16_t seq;
  pl_send_history *hist;
  pl_rtx_sender rtx;
  pl_nack_generator *nack;
  pl_keyframe_requester kr;
  pl_fir_filter fir_filter;
  pl_rtp_recv_stats rstats;
  bool rstats_started;
  pl_rtp_send_stats sstats;
  uint32_t last_tx_ts;
  pl_time_us last_tx_us, last_tx_capture;
  uint64_t packets_sent, packets_received, bytes_received, dropped;
  uint64_t nack_sent, nacked_seqs, pli_sent, fir_sent;
  uint64_t nack_received, pli_received, fir_received;
  uint64_t rtx_sent, rtx_received;
  uint64_t rtx_limited;           /* NACKed packets not resent: over the RTX budget */
  double rtx_budget;              /* bytes RTX may still send (call_video_net.c) */
  pl_time_us rtx_budget_at;
  int remote_capture_w, remote_capture_h; /* the peer's source size, from its APP */

  /* Between the halves. */
  pl_ring rx_ring, tx_ring;
  _Atomic bool key_for_peer;  /* net -> media: the peer asked for one */
  _Atomic bool loss;          /* net -> media: NACK gave up on packets */
  _Atomic bool want_key;      /* media -> net: ask the peer (PLI/FIR) */
  _Atomic bool got_key;       /* media -> net: a keyframe decoded */
  _Atomic int64_t rtt_us;     /* net -> media, for the frame buffer */
  _Atomic uint32_t capture_size; /* media -> net: source w << 16 | h, 0 unknown */
  _Atomic int upscale_mode;      /* app -> media: pl_upscale_mode */
  _Atomic uint32_t display_size; /* app -> media: w << 16 | h shown, 0: peer's capture size */

  /* Media half. */
  pl_video_io source, sink;
  bool has_source, has_sink, source_ended;
  pl_vpx_encoder *enc;
  pl_vpx_decoder *dec;
  pl_frame_assembler *as;
  pl_frame_buffer *fb;
  pl_freeze_detector fd;
  pl_video_pic_counter pc;
  uint32_t ts_base;
  pl_time_us next_frame, frame_iv, last_forced_key, fps_t0, ts_t0;
  uint64_t fps_frames0;
  int64_t frame_no;
  uint32_t bitrate;
  int enc_fps;            /* the frame rate the encoder was told */
  pl_time_us last_enc_at; /* the last frame let through to the encoder */
  pl_ladder ladder;
  pl_rate_adjuster adj; /* libvpx's overshoot, measured (video/ladder/adjust.h) */
  pl_video_buffer scaled; /* the picture at the ladder's size: allocated at
                             the top rung, reused for every size under it */
  /* Capture time of recent frames by RTP timestamp (from abs-capture-time). */
  uint32_t cap_ts[64];
  pl_time_us cap_us[64];
  pl_upscale_stage *up; /* receive-side super-resolution (ai/upscale/stage.h) */
  pl_video_snapshot m; /* media-owned; copied to snap under the lock */
  pl_video_snapshot snap;
} pl_call_video;

int pl_call_video_new(struct pl_call *c);
void pl_call_video_free(struct pl_call *c);
/* Codec tables and SSRCs once the peer's description is known. */
int pl_call_video_start(struct pl_call *c);

/* Network half (call_video_net.c). */
bool pl_call_video_owns_rtp(const struct pl_call *c, const pl_rtp_header *h);
void pl_call_video_net_rtp(struct pl_call *c, pl_time_us now, const pl_rtp_header *h,
                           const uint8_t *pkt, size_t len);
/* An RTCP feedback packet (RTPFB/PSFB); true when it was for video. */
bool pl_call_video_net_rtcp(struct pl_call *c, pl_time_us now, const pl_rtcp_packet *pkt);
void pl_call_video_net_flush(struct pl_call *c, pl_time_us now);
void pl_call_video_net_timeout(struct pl_call *c, pl_time_us now);
pl_time_us pl_call_video_net_deadline(const struct pl_call *c);
/* Our video sender report (RFC 3550 6.4.1), so the peer can map video RTP
 * time to the wall clock (lip sync); false before video was sent. */
bool pl_call_video_sender_report(struct pl_call *c, pl_time_us now, pl_rtcp_sr *sr);
/* The peer's video SR: LSR/DLSR for our report block about its stream. */
void pl_call_video_on_sr(struct pl_call *c, const pl_rtcp_sr *sr, pl_time_us now);
/* The report block about the video stream we receive, if any. */
bool pl_call_video_report_block(struct pl_call *c, pl_time_us now, pl_rtcp_report_block *rb);
void pl_call_video_set_rtt(struct pl_call *c, pl_time_us rtt);
/* Our capture size in an RTCP APP packet ("PLCS"), appended to a compound
 * that carries our video SR; true when one was written. */
bool pl_call_video_write_capture_app(struct pl_call *c, pl_rtcp_writer *w);

/* Media half (call_video_media.c). Returns true when packets were queued
 * or a request for the network half is pending. */
bool pl_call_video_media_tick(struct pl_call *c, pl_time_us now);
void pl_call_video_publish(struct pl_call *c);
void pl_call_video_fill_stats(struct pl_call *c, pl_call_stats *s);

/* The upscale stage (call_video_media.c): mode is a pl_upscale_mode. */
int pl_call_video_set_upscale(pl_call *c, int mode);
void pl_call_video_stage_info(pl_call *c, pl_stage_info *info);

#endif
