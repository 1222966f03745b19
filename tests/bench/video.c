/* Frames per second through each stage of the video path, single-threaded:
 * encode (libvpx real-time CBR), packetize (MTU 1200), depacketize +
 * assemble, decode, for VP8 and VP9 at 360p and 720p and the cpu-used
 * (speed) values worth choosing between, with the PSNR and rate each
 * gives. Ratios are against VP8 cpu-used -6 at the same size, measured in
 * the same run. Source frames are drawn outside the timed regions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parley.h"
#include "video/frame_buffer/assembler.h"
#include "video/pattern/pattern.h"
#include "video/payload/vp8.h"
#include "video/payload/vp9.h"
#include "video/scale/scale.h"
#include "video/vpx/vpx.h"

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
  double enc_fps, pkt_fps, depkt_fps, dec_fps, psnr, kbps;
  int frames;
} row;

/* Packetizes one frame into pk (concatenated, lengths in lens). */
static int packetize(pl_video_codec c, const pl_vpx_frame *ef, uint16_t pid,
                     uint8_t *pk, size_t *lens, bool *marks) {
  int n = 0, len;
  bool last;
  if (c == PL_CODEC_VP8) {
    pl_vp8_desc d = {.has_picture_id = true, .picture_id_15 = true,
                     .picture_id = pid};
    pl_vp8_packetizer pz;
    if (pl_vp8_packetizer_init(&pz, &d, ef->data, ef->len, NULL, NULL, 0, 1200) < 0)
      return -1;
    while ((len = pl_vp8_packetizer_next(&pz, pk + (size_t)n * 1200, 1200, &last)) > 0) {
      lens[n] = (size_t)len;
      marks[n++] = last;
    }
  } else {
    static pl_vp9_desc d;
    memset(&d, 0, sizeof d);
    d.i = d.pid_15 = true;
    d.picture_id = pid;
    d.p = !ef->key;
    d.v = ef->key;
    d.ss.n_s = 1;
    d.ss.y = true;
    d.ss.width[0] = (uint16_t)ef->width;
    d.ss.height[0] = (uint16_t)ef->height;
    static pl_vp9_packetizer pz;
    if (pl_vp9_packetizer_init(&pz, &d, ef->data, ef->len, 1200) < 0)
      return -1;
    while ((len = pl_vp9_packetizer_next(&pz, pk + (size_t)n * 1200, 1200, &last)) > 0) {
      lens[n] = (size_t)len;
      marks[n++] = last;
    }
  }
  return n;
}

static int run(pl_video_codec c, int w, int h, uint32_t bps, int cpu, int frames,
               row *r) {
  memset(r, 0, sizeof *r);
  pl_vpx_enc_config ec = {.codec = c, .width = w, .height = h, .fps = 30,
                          .bitrate_bps = bps, .cpu_used = cpu};
  pl_vpx_encoder *e;
  pl_vpx_dec_config dc = {.codec = c};
  pl_vpx_decoder *d;
  pl_frame_assembler *as;
  pl_frame_assembler_config ac = {.max_frame_bytes = 4 << 20};
  if (pl_vpx_encoder_new(&e, &ec) || pl_vpx_decoder_new(&d, &dc) ||
      pl_frame_assembler_new(&as, &ac))
    return -1;
  pl_video_buffer src;
  pl_video_buffer_alloc(&src, w, h);
  size_t maxpk = 4096;
  uint8_t *pk = malloc(maxpk * 1200);
  size_t *lens = malloc(maxpk * sizeof *lens);
  bool *marks = malloc(maxpk);
  double t_enc = 0, t_pkt = 0, t_dep = 0, t_dec = 0, psnr = 0;
  size_t bytes = 0;
  uint16_t seq = 0;
  for (int i = 0; i < frames; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    double t0 = wall();
    if (pl_vpx_encoder_encode(e, &src.f, &ef) != 1)
      return -1;
    double t1 = wall();
    int n = packetize(c, &ef, (uint16_t)i, pk, lens, marks);
    double t2 = wall();
    if (n <= 0)
      return -1;
    bytes += ef.len;
    pl_encoded_frame f;
    bool got = false;
    for (int k = 0; k < n; k++) {
      pl_video_rtp_info info;
      const uint8_t *p = pk + (size_t)k * 1200;
      int rc = c == PL_CODEC_VP8 ? pl_vp8_depacketize(&info, p, lens[k])
                                 : pl_vp9_depacketize(&info, p, lens[k]);
      if (rc < 0)
        return -1;
      if (pl_frame_assembler_insert(as, 0, seq++, src.f.rtp_ts, marks[k], &info,
                                    false) > 0)
        got = pl_frame_assembler_poll(as, &f);
    }
    double t3 = wall();
    if (!got || f.len != ef.len)
      return -1;
    pl_video_frame out;
    if (pl_vpx_decoder_decode(d, f.data, f.len, &out) != 1)
      return -1;
    double t4 = wall();
    psnr += pl_video_psnr(&src.f, &out);
    t_enc += t1 - t0;
    t_pkt += t2 - t1;
    t_dep += t3 - t2;
    t_dec += t4 - t3;
  }
  r->frames = frames;
  r->enc_fps = frames / t_enc;
  r->pkt_fps = frames / t_pkt;
  r->depkt_fps = frames / t_dep;
  r->dec_fps = frames / t_dec;
  r->psnr = psnr / frames;
  r->kbps = (double)bytes * 8 * 30 / frames / 1000;
  free(pk);
  free(lens);
  free(marks);
  pl_video_buffer_free(&src);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
  pl_frame_assembler_free(as);
  return 0;
}

int main(int argc, char **argv) {
  int frames = argc > 1 ? atoi(argv[1]) : 150;
  if (frames < 10)
    frames = 10;
  static const struct {
    int w, h;
    uint32_t bps;
  } sizes[] = {{640, 360, 800000}, {1280, 720, 2000000}};
  static const struct {
    pl_video_codec c;
    int cpu;
  } cfgs[] = {{PL_CODEC_VP8, -6}, {PL_CODEC_VP8, -8}, {PL_CODEC_VP8, -12},
              {PL_CODEC_VP9, 7},  {PL_CODEC_VP9, 8},  {PL_CODEC_VP9, 9}};
  printf("Command: bench_video %d  (libvpx %s, 1 thread, %d frames of the "
         "moving pattern per row, MTU 1200)\n\n",
         frames, "1.12", frames);
  printf("| codec | size | cpu-used | kbit/s | PSNR dB | encode fps | x base "
         "| packetize fps | depacketize+assemble fps | decode fps | x base |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t s = 0; s < 2; s++) {
    row base = {0};
    for (size_t k = 0; k < sizeof cfgs / sizeof *cfgs; k++) {
      row r;
      if (run(cfgs[k].c, sizes[s].w, sizes[s].h, sizes[s].bps, cfgs[k].cpu,
              frames, &r) < 0) {
        printf("| VP%d | %dx%d | %d | failed |\n", cfgs[k].c, sizes[s].w,
               sizes[s].h, cfgs[k].cpu);
        continue;
      }
      if (k == 0)
        base = r;
      printf("| VP%d | %dx%d | %d | %.0f | %.2f | %.0f | %.2f | %.0f | %.0f | "
             "%.0f | %.2f |\n",
             cfgs[k].c, sizes[s].w, sizes[s].h, cfgs[k].cpu, r.kbps, r.psnr,
             r.enc_fps, r.enc_fps / base.enc_fps, r.pkt_fps, r.depkt_fps,
             r.dec_fps, r.dec_fps / base.dec_fps);
      fflush(stdout);
    }
  }
  return 0;
}
