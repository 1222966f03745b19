/* libvpx decoder wrapper. Every frame's header is read here first, so that
 * garbage and absurd sizes are refused before libvpx allocates for them,
 * and so that after any failure only a keyframe restarts decoding: feeding
 * libvpx inter frames against a broken reference only paints corruption. */
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "parley.h"
#include "video/vpx/vpx.h"

struct pl_vpx_decoder {
  pl_vpx_dec_config cfg;
  vpx_codec_ctx_t ctx;
  bool need_key;
  int last_w, last_h;
  pl_vpx_dec_stats st;
};

int pl_vpx_decoder_new(pl_vpx_decoder **out, const pl_vpx_dec_config *cfg) {
  *out = NULL;
  if (!cfg || (cfg->codec != PL_CODEC_VP8 && cfg->codec != PL_CODEC_VP9) ||
      cfg->max_width < 0 || cfg->max_height < 0 ||
      cfg->max_width > PL_VIDEO_MAX_DIM || cfg->max_height > PL_VIDEO_MAX_DIM)
    return PL_EINVAL;
  pl_vpx_decoder *d = calloc(1, sizeof *d);
  if (!d)
    return PL_ENOMEM;
  d->cfg = *cfg;
  if (!d->cfg.max_width)
    d->cfg.max_width = 3840;
  if (!d->cfg.max_height)
    d->cfg.max_height = 2160;
  vpx_codec_dec_cfg_t dc = {.threads = (unsigned)(cfg->threads > 1 ? cfg->threads : 1)};
  vpx_codec_iface_t *iface =
      cfg->codec == PL_CODEC_VP8 ? vpx_codec_vp8_dx() : vpx_codec_vp9_dx();
  if (vpx_codec_dec_init(&d->ctx, iface, &dc, 0) != VPX_CODEC_OK) {
    free(d);
    return PL_ECODEC;
  }
  d->need_key = true;
  *out = d;
  return 0;
}

void pl_vpx_decoder_free(pl_vpx_decoder *d) {
  if (!d)
    return;
  vpx_codec_destroy(&d->ctx);
  free(d);
}

bool pl_vpx_decoder_needs_keyframe(const pl_vpx_decoder *d) { return d->need_key; }

void pl_vpx_decoder_stats(const pl_vpx_decoder *d, pl_vpx_dec_stats *out) {
  *out = d->st;
}

static bool dims_ok(const pl_vpx_decoder *d, const pl_vpx_header *h) {
  return !h->has_size ||
         (h->width <= d->cfg.max_width && h->height <= d->cfg.max_height);
}

/* Reads every header in the chunk: *key when the first coded frame is a
 * keyframe (the base spatial layer of a VP9 superframe). */
static int check_headers(pl_vpx_decoder *d, const uint8_t *p, size_t n,
                         bool *key) {
  pl_vpx_header h;
  int rc;
  if (d->cfg.codec == PL_CODEC_VP8) {
    if ((rc = pl_vp8_header_parse(&h, p, n)) < 0)
      return PL_EPARSE;
    *key = h.key;
    return dims_ok(d, &h) ? 0 : PL_ERANGE;
  }
  size_t offs[PL_VP9_MAX_SUPERFRAME], sizes[PL_VP9_MAX_SUPERFRAME];
  int nf = pl_vp9_superframe_split(p, n, offs, sizes);
  if (nf < 0)
    return PL_EPARSE;
  *key = false;
  for (int i = 0; i < nf; i++) {
    if ((rc = pl_vp9_header_parse(&h, p + offs[i], sizes[i])) < 0)
      return PL_EPARSE;
    if (i == 0)
      *key = h.key;
    if (!dims_ok(d, &h))
      return PL_ERANGE;
  }
  return 0;
}

int pl_vpx_decoder_decode(pl_vpx_decoder *d, const uint8_t *data, size_t len,
                          pl_video_frame *out) {
  d->st.frames_in++;
  bool key = false;
  int rc = check_headers(d, data, len, &key);
  if (rc == PL_EPARSE) {
    d->st.rejected_header++;
    d->need_key = true;
    return rc;
  }
  if (rc == PL_ERANGE) {
    d->st.rejected_dims++;
    d->need_key = true;
    return rc;
  }
  if (d->need_key && !key) {
    d->st.skipped_need_key++;
    return PL_ESTATE;
  }
  if (vpx_codec_decode(&d->ctx, data, (unsigned)len, NULL, 0) != VPX_CODEC_OK) {
    d->st.errors++;
    d->need_key = true;
    return PL_ECODEC;
  }
  vpx_codec_iter_t it = NULL;
  vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &it);
  int corrupt = 0;
  if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupt) ==
          VPX_CODEC_OK &&
      corrupt) {
    d->st.corrupted++;
    d->need_key = true;
    return PL_ECODEC;
  }
  if (key) {
    d->need_key = false;
    d->st.keyframes++;
  }
  if (!img)
    return 0;
  if (img->fmt != VPX_IMG_FMT_I420 || img->d_w == 0 || img->d_h == 0) {
    /* 4:4:4 or high bit depth profiles: valid VP9, not our pipeline's. */
    d->st.errors++;
    d->need_key = true;
    return PL_ECODEC;
  }
  d->st.decoded++;
  if ((int)img->d_w != d->last_w || (int)img->d_h != d->last_h) {
    if (d->last_w)
      d->st.resolution_changes++;
    d->last_w = (int)img->d_w;
    d->last_h = (int)img->d_h;
  }
  out->y = img->planes[VPX_PLANE_Y];
  out->u = img->planes[VPX_PLANE_U];
  out->v = img->planes[VPX_PLANE_V];
  out->stride_y = img->stride[VPX_PLANE_Y];
  out->stride_u = img->stride[VPX_PLANE_U];
  out->stride_v = img->stride[VPX_PLANE_V];
  out->width = (int)img->d_w;
  out->height = (int)img->d_h;
  out->flags = key ? PL_VF_KEY : 0;
  return 1;
}
