/* `parley classify IN.wav`: speech / music / other per second of a file (any
 * rate and channel count: mixed to mono, resampled to 48 kHz), from the
 * classifier the send path runs (ai/classify). --frames FILE writes the
 * probabilities of every 10 ms frame as CSV. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/classify/classify.h"
#include "apps/parley/commands.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "parley.h"

static const char *const class_name[PL_CLASS_N] = {"speech", "music", "other"};

static void usage(FILE *f) {
  fprintf(f, "usage: parley classify [options] IN.wav\n"
             "  Prints, for every second of IN, the class with the highest mean\n"
             "  probability (speech, music or other) and the three means:\n"
             "    time_s label p_speech p_music p_other\n"
             "  Any rate (8-192 kHz) and channel count (mixed to mono).\n"
             "  --frames FILE   also every 10 ms frame's probabilities as CSV\n"
             "  --model FILE    a PLMD model instead of the built-in one\n"
             "exit status: 0 ok, 1 unreadable input or failure, 2 usage\n");
}

int pl_cmd_classify(int argc, char **argv) {
  static const struct option lo[] = {{"frames", required_argument, 0, 'f'},
                                     {"model", required_argument, 0, 'm'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  const char *frames = NULL, *model_path = NULL;
  char why[160] = "";
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (ch) {
    case 'f':
      frames = optarg;
      break;
    case 'm':
      model_path = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (argc - optind != 1) {
    usage(stderr);
    return 2;
  }
  const char *in = argv[optind];
  pl_wav_info info;
  float *s = NULL;
  int rc = pl_wav_read_file(in, &s, &info);
  if (rc) {
    fprintf(stderr, "parley classify: %s: %s%s%s\n", in, pl_strerror(rc),
            info.error[0] ? ": " : "", info.error);
    return 1;
  }
  int rate = info.rate, C = info.channels;
  size_t n = (size_t)info.frames;
  if (n && (rate < PL_RESAMPLE_MIN_RATE || rate > PL_RESAMPLE_MAX_RATE)) {
    fprintf(stderr, "parley classify: %s: %d Hz is not supported (%d to %d Hz)\n", in, rate,
            PL_RESAMPLE_MIN_RATE, PL_RESAMPLE_MAX_RATE);
    free(s);
    return 1;
  }
  float *x = malloc(sizeof(float) * (n ? n : 1)), *xw = NULL;
  pl_classify_model *model = NULL;
  pl_classify *cl = NULL;
  FILE *ff = NULL;
  if (!x) {
    rc = PL_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    double v = 0;
    for (int c = 0; c < C; c++)
      v += s[i * (size_t)C + (size_t)c];
    x[i] = (float)(v / C);
  }
  size_t nw = n;
  xw = x;
  if (n && rate != PL_CLASSIFY_RATE &&
      (rc = pl_resample_buffer(1, rate, PL_CLASSIFY_RATE, PL_RESAMPLE_QUALITY_FILE, x, n, &xw,
                               &nw)))
    goto out;
  if (model_path && (rc = pl_classify_model_load_file(&model, model_path, why, sizeof why))) {
    fprintf(stderr, "parley classify: %s: %s%s%s\n", model_path, pl_strerror(rc),
            why[0] ? ": " : "", why);
    goto out;
  }
  if ((rc = pl_classify_new(&cl, model)))
    goto out;
  if (frames && !(ff = fopen(frames, "w"))) {
    fprintf(stderr, "parley classify: %s: cannot write\n", frames);
    rc = PL_EIO;
    goto out;
  }
  if (ff)
    fprintf(ff, "time_s,p_speech,p_music,p_other\n");
  printf("time_s label p_speech p_music p_other\n");
  double acc[PL_CLASS_N] = {0};
  int in_sec = 0, sec = 0;
  const int per_sec = PL_CLASSIFY_RATE / PL_CLASSIFY_FRAME;
  for (size_t t = 0; t < nw; t += PL_CLASSIFY_FRAME) {
    float buf[PL_CLASSIFY_FRAME], p[PL_CLASS_N];
    for (size_t i = 0; i < PL_CLASSIFY_FRAME; i++)
      buf[i] = t + i < nw ? xw[t + i] : 0.0f;
    pl_classify_process(cl, buf, p);
    if (ff)
      fprintf(ff, "%.2f,%.4f,%.4f,%.4f\n", (double)t / PL_CLASSIFY_RATE, p[0], p[1], p[2]);
    for (int k = 0; k < PL_CLASS_N; k++)
      acc[k] += p[k];
    /* A last partial second is printed too (its means over what there is). */
    if (++in_sec == per_sec || t + PL_CLASSIFY_FRAME >= nw) {
      int best = 0;
      for (int k = 1; k < PL_CLASS_N; k++)
        if (acc[k] > acc[best])
          best = k;
      printf("%d %s %.3f %.3f %.3f\n", sec, class_name[best], acc[0] / in_sec, acc[1] / in_sec,
             acc[2] / in_sec);
      memset(acc, 0, sizeof acc);
      in_sec = 0;
      sec++;
    }
  }
  if (ff && fclose(ff)) {
    ff = NULL;
    fprintf(stderr, "parley classify: %s: cannot write\n", frames);
    rc = PL_EIO;
  }
  ff = NULL;
out:
  if (rc && rc != PL_EIO && !why[0])
    fprintf(stderr, "parley classify: %s\n", pl_strerror(rc));
  if (ff)
    fclose(ff);
  pl_classify_free(cl);
  pl_classify_model_free(model);
  if (xw != x)
    free(xw);
  free(x);
  free(s);
  return rc ? 1 : 0;
}
