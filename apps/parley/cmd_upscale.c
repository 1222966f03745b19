/* `parley upscale IN.y4m OUT.y4m --scale 2|1.5 [--bicubic]`: the receive
 * path's super-resolution (ai/upscale) on a file, every frame, luma by the
 * network (or bicubic), chroma by libyuv. With --ref HR.y4m it also scores
 * each output frame against the original (PSNR-Y, SSIM-Y as `parley
 * metrics` computes them) and prints one JSON line: what sr-table.sh reads. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/model/model.h"
#include "ai/upscale/upscale.h"
#include "apps/parley/commands.h"
#include "parley.h"
#include "video/metrics/vmetrics.h"
#include "video/y4m/y4m.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley upscale [options] IN.y4m OUT.y4m\n"
          "  Enlarges 8-bit 4:2:0 video with the super-resolution network of\n"
          "  the receive path (luma; chroma bilinear).\n"
          "  --scale 2|1.5       factor (default 2): W x H -> 2W x 2H, or\n"
          "                      floor(1.5W) x floor(1.5H)\n"
          "  --size WxH          any output size instead (network at the\n"
          "                      nearer scale, then bilinear to WxH)\n"
          "  --bicubic           bicubic only (the network's base), to compare\n"
          "  --model FILE        a PLMD model instead of the built-in one\n"
          "  --tile WxH          low-res tile size (default 160x48)\n"
          "  --ref HR.y4m        score the output against HR (same size): JSON\n"
          "                      line with psnr_y, ssim_y on stdout\n"
          "  --quiet             no summary on stderr\n"
          "exit status: 0 ok, 1 unreadable input or failure, 2 usage\n");
}

static int open_in(const char *path, pl_y4m_reader **r, pl_y4m_info *info) {
  memset(info, 0, sizeof *info);
  int rc = pl_y4m_reader_open(r, path, info);
  if (rc) {
    fprintf(stderr, "parley upscale: %s: %s%s%s\n", path, pl_strerror(rc),
            info->error[0] ? ": " : "", info->error);
    return -1;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU, not wall: the machine is shared */
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int pl_cmd_upscale(int argc, char **argv) {
  static const struct option lo[] = {
      {"scale", required_argument, 0, 's'}, {"size", required_argument, 0, 'z'},
      {"bicubic", no_argument, 0, 'b'},     {"model", required_argument, 0, 'm'},
      {"tile", required_argument, 0, 't'},  {"ref", required_argument, 0, 'r'},
      {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int s2 = PL_UPSCALE_X2, W = 0, H = 0, tw = 0, th = 0;
  bool bicubic = false, quiet = false;
  const char *model_path = NULL, *ref_path = NULL;
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
    switch (c) {
    case 's':
      if (!strcmp(optarg, "2"))
        s2 = PL_UPSCALE_X2;
      else if (!strcmp(optarg, "1.5"))
        s2 = PL_UPSCALE_X15;
      else {
        fprintf(stderr, "parley upscale: --scale must be 2 or 1.5, not '%s'\n", optarg);
        return 2;
      }
      break;
    case 'z':
    case 't': {
      int a, b;
      char x;
      if (sscanf(optarg, "%d%c%d", &a, &x, &b) != 3 || x != 'x' || a < 2 || b < 2 ||
          a > PL_VIDEO_MAX_DIM || b > PL_VIDEO_MAX_DIM) {
        fprintf(stderr, "parley upscale: bad %s '%s' (want WxH, 2..%d)\n",
                c == 'z' ? "--size" : "--tile", optarg, PL_VIDEO_MAX_DIM);
        return 2;
      }
      if (c == 'z')
        W = a, H = b;
      else
        tw = a, th = b;
      break;
    }
    case 'b':
      bicubic = true;
      break;
    case 'm':
      model_path = optarg;
      break;
    case 'r':
      ref_path = optarg;
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (argc - optind != 2) {
    usage(stderr);
    return 2;
  }
  const char *in_path = argv[optind], *out_path = argv[optind + 1];

  pl_upscale_model own = {0};
  const pl_upscale_model *um = NULL;
  pl_model *m = NULL;
  if (model_path) {
    char why[160] = "";
    int rc = pl_model_load_file(&m, model_path, why, sizeof why);
    if (!rc)
      rc = pl_upscale_model_init(&own, m);
    if (rc) {
      fprintf(stderr, "parley upscale: %s: %s%s%s\n", model_path, pl_strerror(rc),
              why[0] ? ": " : "", why);
      pl_model_free(m);
      return 1;
    }
    um = &own;
  } else if (!bicubic && !(um = pl_upscale_model_default())) {
    fprintf(stderr, "parley upscale: the built-in model is unreadable (see the warning)\n");
    return 1;
  }

  pl_y4m_reader *r = NULL, *rr = NULL;
  pl_y4m_info info, rinfo;
  pl_y4m_writer *wr = NULL;
  pl_upscaler *up = NULL;
  pl_video_buffer in = {0}, out = {0}, ref = {0};
  pl_video_quality *q = NULL;
  int status = 1;
  if (open_in(in_path, &r, &info))
    goto done;
  if (!W) {
    W = pl_upscale_out_size(info.width, s2);
    H = pl_upscale_out_size(info.height, s2);
  }
  if (W < info.width || H < info.height || W > PL_VIDEO_MAX_DIM || H > PL_VIDEO_MAX_DIM) {
    fprintf(stderr, "parley upscale: output %dx%d must be at least the input %dx%d and at most %d\n",
            W, H, info.width, info.height, PL_VIDEO_MAX_DIM);
    status = 2;
    goto done;
  }
  if (ref_path) {
    if (open_in(ref_path, &rr, &rinfo))
      goto done;
    if (rinfo.width != W || rinfo.height != H) {
      fprintf(stderr, "parley upscale: --ref is %dx%d, the output %dx%d\n", rinfo.width,
              rinfo.height, W, H);
      goto done;
    }
    if (pl_video_buffer_alloc(&ref, W, H) || !(q = pl_video_quality_new(W, H))) {
      fprintf(stderr, "parley upscale: out of memory\n");
      goto done;
    }
  }
  int rc = pl_video_buffer_alloc(&in, info.width, info.height);
  if (!rc)
    rc = pl_video_buffer_alloc(&out, W, H);
  if (!rc)
    rc = pl_upscaler_new(&up, um, tw, th);
  if (!rc)
    rc = pl_y4m_writer_open(&wr, out_path, W, H, info.fps_num, info.fps_den);
  if (rc) {
    fprintf(stderr, "parley upscale: %s: %s\n", out_path, pl_strerror(rc));
    goto done;
  }
  long frames = 0;
  double busy = 0;
  for (;;) {
    pl_y4m_frame_meta meta;
    rc = pl_y4m_reader_read(r, &in.f, &meta);
    if (rc == 0)
      break;
    if (rc < 0) {
      fprintf(stderr, "parley upscale: %s: %s%s%s\n", in_path, pl_strerror(rc),
              pl_y4m_reader_info(r)->error[0] ? ": " : "", pl_y4m_reader_info(r)->error);
      goto done;
    }
    double t0 = now_s();
    rc = pl_upscale_frame(up, &in.f, &out.f, !bicubic, NULL, NULL);
    busy += now_s() - t0;
    if (rc) {
      fprintf(stderr, "parley upscale: frame %ld: %s\n", frames, pl_strerror(rc));
      goto done;
    }
    out.f.capture_us = in.f.capture_us;
    if ((rc = pl_y4m_writer_write(wr, &out.f, &meta))) {
      fprintf(stderr, "parley upscale: %s: %s\n", out_path, pl_strerror(rc));
      goto done;
    }
    if (q) {
      int a = pl_y4m_reader_read(rr, &ref.f, NULL);
      if (a <= 0) {
        fprintf(stderr, "parley upscale: --ref %s: %s at frame %ld\n", ref_path,
                a == 0 ? "ends early" : pl_strerror(a), frames);
        goto done;
      }
      pl_video_quality_add(q, &ref.f, &out.f, NULL);
    }
    frames++;
  }
  if ((rc = pl_y4m_writer_close(wr))) {
    wr = NULL;
    fprintf(stderr, "parley upscale: %s: %s\n", out_path, pl_strerror(rc));
    goto done;
  }
  wr = NULL;
  if (!quiet)
    fprintf(stderr, "parley upscale: %ld frames %dx%d -> %dx%d (%s), %.2f ms/frame\n", frames,
            info.width, info.height, W, H, bicubic ? "bicubic" : "network",
            frames ? busy * 1e3 / (double)frames : 0.0);
  if (q) {
    pl_video_quality_summary s;
    pl_video_quality_get(q, &s);
    printf("{\"frames\": %ld, \"method\": \"%s\", \"psnr_y\": %.4f, \"psnr_y_mean\": %.4f, "
           "\"ssim_y\": %.5f, \"ms_per_frame\": %.3f}\n",
           frames, bicubic ? "bicubic" : "network", s.psnr_y, s.psnr_y_mean, s.ssim_y,
           frames ? busy * 1e3 / (double)frames : 0.0);
  }
  status = 0;
done:
  if (wr)
    pl_y4m_writer_close(wr);
  pl_y4m_reader_close(r);
  pl_y4m_reader_close(rr);
  pl_video_quality_free(q);
  pl_upscaler_free(up);
  pl_video_buffer_free(&in);
  pl_video_buffer_free(&out);
  pl_video_buffer_free(&ref);
  pl_model_free(m);
  return status;
}
