/* libvpx encoder wrapper: real-time VP8/VP9, one-pass CBR, lag 0. */
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "base/log.h"
#include "parley.h"
#include "video/vpx/vpx.h"

#define TAG "vpx"

struct pl_vpx_encoder {
  pl_vpx_enc_config cfg;
  vpx_codec_ctx_t ctx;
  vpx_codec_enc_cfg_t vcfg;
  bool ctx_live;
  uint8_t *buf; /* the encoded picture, partitions concatenated */
  size_t cap;
  bool key_pending;
  int64_t frames_since_key;
  unsigned tl_pos; /* position in the temporal pattern */
  int64_t last_pts;
  bool have_pts;
  int alloc_w, alloc_h; /* what libvpx allocated for: its initial size */
  pl_vpx_enc_stats st;
};

static size_t out_cap(int w, int h) {
  /* An intra frame at the lowest q can exceed raw size a little; libvpx's
   * own output buffer is sized about this way too. */
  return (size_t)w * (size_t)h * 3 / 2 + 65536;
}

/* Cumulative share of the rate each temporal layer gets (as libwebrtc). */
static const int tl_rate_pct[PL_VPX_MAX_TL][PL_VPX_MAX_TL] = {
    {100, 100, 100}, {60, 100, 100}, {40, 60, 100}};

static void set_rates(pl_vpx_encoder *e, vpx_codec_enc_cfg_t *c) {
  unsigned kbps = (e->cfg.bitrate_bps + 500) / 1000;
  if (kbps < 10)
    kbps = 10;
  c->rc_target_bitrate = kbps;
  int tl = e->cfg.temporal_layers;
  if (tl > 1) {
    for (int i = 0; i < tl; i++)
      c->ts_target_bitrate[i] = kbps * (unsigned)tl_rate_pct[tl - 1][i] / 100;
    for (int i = 0; i < tl && e->cfg.codec == PL_CODEC_VP9; i++)
      c->layer_target_bitrate[i] = c->ts_target_bitrate[i];
  }
}

static int fill_cfg(pl_vpx_encoder *e) {
  vpx_codec_iface_t *iface =
      e->cfg.codec == PL_CODEC_VP8 ? vpx_codec_vp8_cx() : vpx_codec_vp9_cx();
  vpx_codec_enc_cfg_t *c = &e->vcfg;
  if (vpx_codec_enc_config_default(iface, c, 0) != VPX_CODEC_OK)
    return PL_ECODEC;
  c->g_w = (unsigned)e->cfg.width;
  c->g_h = (unsigned)e->cfg.height;
  /* The 90 kHz RTP clock is the time base, so pts is the RTP timestamp. */
  c->g_timebase.num = 1;
  c->g_timebase.den = 90000;
  c->g_threads = (unsigned)(e->cfg.threads > 1 ? e->cfg.threads : 1);
  c->g_lag_in_frames = 0;
  c->g_pass = VPX_RC_ONE_PASS;
  c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  c->rc_end_usage = VPX_CBR;
  c->rc_dropframe_thresh = (unsigned)e->cfg.frame_drop_threshold;
  c->rc_resize_allowed = 0;
  c->rc_min_quantizer = (unsigned)(e->cfg.min_q ? e->cfg.min_q : 2);
  c->rc_max_quantizer = (unsigned)(e->cfg.max_q ? e->cfg.max_q : 56);
  c->rc_undershoot_pct = 100;
  c->rc_overshoot_pct = 15;
  c->rc_buf_initial_sz = 500;
  c->rc_buf_optimal_sz = 600;
  c->rc_buf_sz = 1000;
  /* Keyframes are ours to place (first, requested, periodic), so the
   * temporal pattern can restart on each one. */
  c->kf_mode = VPX_KF_DISABLED;
  int tl = e->cfg.temporal_layers;
  if (tl > 1) {
    c->ts_number_layers = (unsigned)tl;
    c->ts_periodicity = tl == 2 ? 2 : 4;
    static const unsigned dec2[] = {2, 1}, dec3[] = {4, 2, 1};
    static const unsigned id2[] = {0, 1}, id3[] = {0, 2, 1, 2};
    for (int i = 0; i < tl; i++)
      c->ts_rate_decimator[i] = tl == 2 ? dec2[i] : dec3[i];
    for (unsigned i = 0; i < c->ts_periodicity; i++)
      c->ts_layer_id[i] = tl == 2 ? id2[i] : id3[i];
    if (e->cfg.codec == PL_CODEC_VP9) {
      c->ss_number_layers = 1;
      c->temporal_layering_mode = tl == 2 ? VP9E_TEMPORAL_LAYERING_MODE_0101
                                          : VP9E_TEMPORAL_LAYERING_MODE_0212;
    }
  }
  set_rates(e, c);
  return 0;
}

static int ctl_all(pl_vpx_encoder *e) {
  vpx_codec_ctx_t *x = &e->ctx;
  int cpu = e->cfg.cpu_used;
  int err = 0;
  err |= vpx_codec_control(x, VP8E_SET_CPUUSED, cpu);
  /* Cap keyframes at ~3x an average frame so one does not flood the path
   * (libwebrtc's rule: optimal buffer * 0.5 * fps / 10, in percent). */
  unsigned intra_pct = (unsigned)(600 * 0.5 * e->cfg.fps / 10);
  if (intra_pct < 300)
    intra_pct = 300;
  err |= vpx_codec_control(x, VP8E_SET_MAX_INTRA_BITRATE_PCT, intra_pct);
  if (e->cfg.codec == PL_CODEC_VP8) {
    err |= vpx_codec_control(x, VP8E_SET_NOISE_SENSITIVITY, 0);
    err |= vpx_codec_control(x, VP8E_SET_STATIC_THRESHOLD, 1);
    err |= vpx_codec_control(x, VP8E_SET_TOKEN_PARTITIONS,
                             e->cfg.token_partitions);
  } else {
    if (e->cfg.temporal_layers > 1)
      err |= vpx_codec_control(x, VP9E_SET_SVC, 1);
    err |= vpx_codec_control(x, VP9E_SET_AQ_MODE, 3); /* cyclic refresh */
    err |= vpx_codec_control(x, VP9E_SET_NOISE_SENSITIVITY, 0);
    err |= vpx_codec_control(x, VP9E_SET_FRAME_PARALLEL_DECODING, 0);
    err |= vpx_codec_control(x, VP9E_SET_ROW_MT, e->cfg.threads > 1);
    err |= vpx_codec_control(x, VP9E_SET_TILE_COLUMNS,
                             e->cfg.threads > 1 ? 2 : 0);
    err |= vpx_codec_control(x, VP9E_SET_TUNE_CONTENT, VP9E_CONTENT_DEFAULT);
  }
  return err ? PL_ECODEC : 0;
}

int pl_vpx_encoder_new(pl_vpx_encoder **out, const pl_vpx_enc_config *cfg) {
  *out = NULL;
  if (!cfg || (cfg->codec != PL_CODEC_VP8 && cfg->codec != PL_CODEC_VP9))
    return PL_EINVAL;
  if (cfg->width <= 0 || cfg->height <= 0 || cfg->width > PL_VIDEO_MAX_DIM ||
      cfg->height > PL_VIDEO_MAX_DIM)
    return PL_ERANGE;
  if (cfg->temporal_layers < 0 || cfg->temporal_layers > PL_VPX_MAX_TL ||
      cfg->token_partitions < 0 || cfg->token_partitions > 3 ||
      cfg->fps < 0 || cfg->fps > 240 || cfg->min_q < 0 || cfg->max_q > 63 ||
      cfg->min_q > (cfg->max_q ? cfg->max_q : 63))
    return PL_EINVAL;
  pl_vpx_encoder *e = calloc(1, sizeof *e);
  if (!e)
    return PL_ENOMEM;
  e->cfg = *cfg;
  if (!e->cfg.fps)
    e->cfg.fps = 30;
  if (!e->cfg.bitrate_bps)
    e->cfg.bitrate_bps = 1000000;
  if (!e->cfg.cpu_used)
    e->cfg.cpu_used = cfg->codec == PL_CODEC_VP8 ? -6 : 8; /* see docs/video.md */
  if (!e->cfg.temporal_layers)
    e->cfg.temporal_layers = 1;
  if (cfg->codec == PL_CODEC_VP9)
    e->cfg.output_partitions = false;
  int rc = fill_cfg(e);
  if (rc < 0)
    goto fail;
  vpx_codec_iface_t *iface =
      cfg->codec == PL_CODEC_VP8 ? vpx_codec_vp8_cx() : vpx_codec_vp9_cx();
  vpx_codec_flags_t fl = e->cfg.output_partitions ? VPX_CODEC_USE_OUTPUT_PARTITION : 0;
  if (vpx_codec_enc_init(&e->ctx, iface, &e->vcfg, fl) != VPX_CODEC_OK) {
    PL_ERROR(TAG, "encoder init: %s", vpx_codec_error_detail(&e->ctx)
                                          ? vpx_codec_error_detail(&e->ctx)
                                          : vpx_codec_error(&e->ctx));
    rc = PL_ECODEC;
    goto fail;
  }
  e->ctx_live = true;
  if ((rc = ctl_all(e)) < 0)
    goto fail;
  e->cap = out_cap(cfg->width, cfg->height);
  if (!(e->buf = malloc(e->cap))) {
    rc = PL_ENOMEM;
    goto fail;
  }
  e->key_pending = true;
  e->alloc_w = cfg->width;
  e->alloc_h = cfg->height;
  *out = e;
  return 0;
fail:
  pl_vpx_encoder_free(e);
  return rc;
}

void pl_vpx_encoder_free(pl_vpx_encoder *e) {
  if (!e)
    return;
  if (e->ctx_live)
    vpx_codec_destroy(&e->ctx);
  free(e->buf);
  free(e);
}

void pl_vpx_encoder_request_keyframe(pl_vpx_encoder *e) { e->key_pending = true; }

const pl_vpx_enc_config *pl_vpx_encoder_config(const pl_vpx_encoder *e) {
  return &e->cfg;
}

void pl_vpx_encoder_stats(const pl_vpx_encoder *e, pl_vpx_enc_stats *out) {
  *out = e->st;
}

int pl_vpx_encoder_set_rate(pl_vpx_encoder *e, uint32_t bitrate_bps, int fps) {
  if (bitrate_bps == 0 || fps < 0 || fps > 240)
    return PL_EINVAL;
  if (!e->ctx_live)
    return PL_ESTATE;
  e->cfg.bitrate_bps = bitrate_bps;
  if (fps)
    e->cfg.fps = fps;
  set_rates(e, &e->vcfg);
  if (vpx_codec_enc_config_set(&e->ctx, &e->vcfg) != VPX_CODEC_OK)
    return PL_ECODEC;
  return 0;
}

/* libvpx's own test (vp9_cx_iface.c, valid_ref_frame_size): references can
 * be scaled down by at most 2 and up by at most 16. */
static bool vp9_scalable(int rw, int rh, int w, int h) {
  return 2 * w >= rw && 2 * h >= rh && w <= 16 * rw && h <= 16 * rh;
}

int pl_vpx_encoder_set_resolution(pl_vpx_encoder *e, int width, int height) {
  if (width <= 0 || height <= 0 || width > PL_VIDEO_MAX_DIM ||
      height > PL_VIDEO_MAX_DIM)
    return PL_ERANGE;
  if (width == e->cfg.width && height == e->cfg.height)
    return 0;
  if (!e->ctx_live)
    return PL_ESTATE;
  /* libvpx forces a keyframe itself when the new size is above the one it
   * allocated for (the first, or the last that forced a reallocation);
   * VP8 needs one for any change, since only keyframes code a size. */
  bool grow = width > e->alloc_w || height > e->alloc_h;
  bool key = e->cfg.codec == PL_CODEC_VP8 || grow ||
             !vp9_scalable(e->cfg.width, e->cfg.height, width, height);
  size_t cap = out_cap(width, height);
  if (cap > e->cap) {
    uint8_t *nb = realloc(e->buf, cap);
    if (!nb)
      return PL_ENOMEM;
    e->buf = nb;
    e->cap = cap;
  }
  vpx_codec_enc_cfg_t c = e->vcfg;
  c.g_w = (unsigned)width;
  c.g_h = (unsigned)height;
  if (e->cfg.codec == PL_CODEC_VP8 || grow) {
    /* A new encoder rather than vpx_codec_enc_config_set: a keyframe is due
     * anyway, and libvpx 1.12's in-place growth writes past its buffers
     * (seen under valgrind; CVE-2023-6349 for VP9, CVE-2023-44488 for
     * multi-threaded VP8 size changes). */
    vpx_codec_destroy(&e->ctx);
    e->ctx_live = false;
    vpx_codec_iface_t *iface =
        e->cfg.codec == PL_CODEC_VP8 ? vpx_codec_vp8_cx() : vpx_codec_vp9_cx();
    vpx_codec_flags_t fl =
        e->cfg.output_partitions ? VPX_CODEC_USE_OUTPUT_PARTITION : 0;
    if (vpx_codec_enc_init(&e->ctx, iface, &c, fl) != VPX_CODEC_OK)
      return PL_ECODEC;
    e->ctx_live = true;
    int rc = ctl_all(e);
    if (rc < 0)
      return rc;
    e->alloc_w = width;
    e->alloc_h = height;
  } else if (vpx_codec_enc_config_set(&e->ctx, &c) != VPX_CODEC_OK) {
    PL_WARN(TAG, "resolution %dx%d refused: %s", width, height,
            vpx_codec_error(&e->ctx));
    return PL_ECODEC;
  }
  e->vcfg = c;
  e->cfg.width = width;
  e->cfg.height = height;
  if (key)
    e->key_pending = true;
  return key ? 1 : 0;
}

/* VP8 temporal patterns: which layer each position is in, what it may
 * reference and update. A layer-n frame only references layers below or
 * equal to n inside its own base period, so dropping the top layer never
 * breaks the rest. */
typedef struct {
  uint8_t tid;
  bool sync;
  vpx_enc_frame_flags_t flags;
} tl_step;

#define NOREF_GA (VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF)
#define NOUPD_ALL                                                              \
  (VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF |        \
   VP8_EFLAG_NO_UPD_ENTROPY)

static tl_step vp8_tl_step(int layers, unsigned pos) {
  tl_step s = {0, false, 0};
  if (layers == 2) {
    if (pos % 2 == 0)
      s.flags = NOREF_GA | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF;
    else
      s = (tl_step){1, true, NOREF_GA | NOUPD_ALL};
  } else if (layers == 3) {
    switch (pos % 4) {
    case 0:
      s.flags = NOREF_GA | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF;
      break;
    case 1:
      s = (tl_step){2, true, NOREF_GA | NOUPD_ALL};
      break;
    case 2:
      s = (tl_step){1, true,
                    NOREF_GA | VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_ARF |
                        VP8_EFLAG_NO_UPD_ENTROPY};
      break;
    default:
      s = (tl_step){2, false, VP8_EFLAG_NO_REF_ARF | NOUPD_ALL};
      break;
    }
  }
  return s;
}

int pl_vpx_encoder_encode(pl_vpx_encoder *e, const pl_video_frame *in,
                          pl_vpx_frame *out) {
  if (!e->ctx_live)
    return PL_ESTATE; /* a failed re-initialisation */
  if (in->width != e->cfg.width || in->height != e->cfg.height)
    return PL_EINVAL;
  e->st.frames_in++;
  if (e->cfg.keyframe_interval > 0 &&
      e->frames_since_key >= e->cfg.keyframe_interval)
    e->key_pending = true;

  vpx_image_t img;
  memset(&img, 0, sizeof img);
  img.fmt = VPX_IMG_FMT_I420;
  img.w = img.d_w = (unsigned)in->width;
  img.h = img.d_h = (unsigned)in->height;
  img.x_chroma_shift = img.y_chroma_shift = 1;
  img.bps = 12;
  img.bit_depth = 8;
  img.planes[VPX_PLANE_Y] = in->y;
  img.planes[VPX_PLANE_U] = in->u;
  img.planes[VPX_PLANE_V] = in->v;
  img.stride[VPX_PLANE_Y] = in->stride_y;
  img.stride[VPX_PLANE_U] = in->stride_u;
  img.stride[VPX_PLANE_V] = in->stride_v;

  vpx_enc_frame_flags_t flags = 0;
  bool forced = e->key_pending;
  if (forced) {
    flags |= VPX_EFLAG_FORCE_KF;
    e->tl_pos = 0;
  }
  tl_step step = {0, false, 0};
  int layers = e->cfg.temporal_layers;
  if (layers > 1 && e->cfg.codec == PL_CODEC_VP8) {
    step = vp8_tl_step(layers, e->tl_pos);
    if (!forced)
      flags |= step.flags;
    vpx_codec_control(&e->ctx, VP8E_SET_TEMPORAL_LAYER_ID, step.tid);
  }
  /* libvpx wants strictly increasing pts; a repeated timestamp (a source
   * that stalls) is nudged by one tick rather than refused. */
  int64_t pts = in->rtp_ts;
  if (e->have_pts) {
    int64_t d = (int64_t)(uint32_t)(in->rtp_ts - (uint32_t)e->last_pts);
    if (d <= 0 || d >= (1LL << 31))
      d = 1;
    pts = e->last_pts + d;
  }
  unsigned long dur = (unsigned long)(90000 / e->cfg.fps);
  if (vpx_codec_encode(&e->ctx, &img, pts, dur, flags, VPX_DL_REALTIME) !=
      VPX_CODEC_OK) {
    PL_WARN(TAG, "encode: %s", vpx_codec_error(&e->ctx));
    return PL_ECODEC;
  }
  e->last_pts = pts;
  e->have_pts = true;

  const vpx_codec_cx_pkt_t *pkt;
  vpx_codec_iter_t it = NULL;
  size_t len = 0;
  int nparts = 0;
  bool key = false, droppable = false;
  while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
      continue;
    size_t sz = pkt->data.frame.sz;
    if (sz > e->cap - len || nparts == PL_VPX_MAX_PARTITIONS) {
      PL_WARN(TAG, "encoded frame over %zu bytes", e->cap);
      return PL_ECODEC;
    }
    memcpy(e->buf + len, pkt->data.frame.buf, sz);
    out->part_off[nparts] = len;
    out->part_len[nparts] = sz;
    nparts++;
    len += sz;
    key |= (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    droppable = (pkt->data.frame.flags & VPX_FRAME_IS_DROPPABLE) != 0;
  }
  if (nparts == 0) {
    e->st.dropped++;
    return 0; /* rate control skipped it; the pattern does not advance */
  }
  if (e->cfg.codec == PL_CODEC_VP9 && layers > 1) {
    vpx_svc_layer_id_t lid;
    memset(&lid, 0, sizeof lid);
    if (vpx_codec_control(&e->ctx, VP9E_GET_SVC_LAYER_ID, &lid) == VPX_CODEC_OK)
      step.tid = (uint8_t)lid.temporal_layer_id;
  }
  if (key) {
    step.tid = 0;
    step.sync = false;
    e->tl_pos = 0;
    e->frames_since_key = 0;
    e->st.keyframes++;
    if (forced)
      e->st.keyframes_forced++;
    e->key_pending = false;
  }
  e->tl_pos++;
  e->frames_since_key++;
  out->data = e->buf;
  out->len = len;
  out->nparts = nparts;
  out->key = key;
  out->droppable = droppable && !key;
  out->width = e->cfg.width;
  out->height = e->cfg.height;
  out->rtp_ts = in->rtp_ts;
  out->index = in->index;
  out->capture_us = in->capture_us;
  out->temporal_id = step.tid;
  out->layer_sync = step.sync;
  e->st.frames_out++;
  e->st.bytes += len;
  int q = 0;
  if (vpx_codec_control(&e->ctx, VP8E_GET_LAST_QUANTIZER_64, &q) == VPX_CODEC_OK)
    e->st.last_q = q;
  return 1;
}
