/* `parley extend IN.wav OUT.wav`: bandwidth extension of a file (any rate
 * and format in, 48 kHz out), with the two baselines of docs/bwe.md:
 * plain resampling (--method none) and spectral folding (--method fold).
 * The file runs through the same stream as a call's `extend` stage, so what
 * it writes is what a call plays (the added band 10 ms behind). */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extend/dsp.h"
#include "ai/extend/extend.h"
#include "apps/parley/commands.h"
#include "audio/frame.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "parley.h"


typedef struct opts {
  const char *method, *model, *in, *out;
  int cutoff;      /* 0: from the rate, else detected */
  double fold_db;  /* NAN: the default for the cutoff */
  bool auto_mode, quiet;
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley extend [options] IN.wav OUT.wav\n"
          "  Generates the missing high band (up to 20 kHz) of band-limited\n"
          "  speech: narrowband (4 kHz), mediumband (6 kHz) or wideband (8 kHz).\n"
          "  Any rate, 8-bit to float, any channel count in (more than two are\n"
          "  mixed to mono); OUT is 48 kHz, IN's channels (1 or 2), 16-bit\n"
          "  (float when IN is float), the existing band sample-aligned with IN.\n"
          "  --method M     model (default), fold (spectral folding) or none\n"
          "                 (plain resampling): the baselines of the table\n"
          "  --cutoff HZ    the band IN has (4000-8000, multiple of 200); default:\n"
          "                 half IN's rate when that is 4-8 kHz, else detected\n"
          "  --auto         run as a call's stage in auto mode: extend only\n"
          "                 where the band detector finds a band limit\n"
          "  --fold-db DB   folding level (default %.0f at 4 kHz, %.0f at 8 kHz)\n"
          "  --model FILE   a PLMD model instead of the built-in one\n"
          "  --quiet        no summary line\n"
          "exit status: 0 ok, 1 unreadable input or failure, 2 usage\n",
          pl_extend_fold_db_default(4000), pl_extend_fold_db_default(8000));
}

/* The band a file's rate leaves: half the rate, on the 200 Hz grid the
 * excitation needs, when that is a band the model knows (4-8 kHz). */
static int cutoff_from_rate(int rate) {
  int half = rate / 2;
  if (half < PL_EXT_CUTOFF_NB - 1000 || half > PL_EXT_CUTOFF_WB)
    return 0;
  int fc = half / 200 * 200;
  return fc < PL_EXT_CUTOFF_NB ? PL_EXT_CUTOFF_NB : fc;
}

static int run(const opts *o) {
  pl_wav_info info;
  float *s = NULL;
  int rc = pl_wav_read_file(o->in, &s, &info);
  if (rc) {
    fprintf(stderr, "parley extend: %s: %s%s%s\n", o->in, pl_strerror(rc),
            info.error[0] ? ": " : "", info.error);
    return 1;
  }
  if (info.truncated)
    fprintf(stderr, "parley extend: note: %s is truncated: %llu of %llu frames present\n", o->in,
            (unsigned long long)info.frames, (unsigned long long)info.frames_declared);
  if (info.nonfinite)
    fprintf(stderr, "parley extend: note: %s: %llu NaN/Inf samples read as 0\n", o->in,
            (unsigned long long)info.nonfinite);
  int rate = info.rate, C = info.channels;
  size_t n = (size_t)info.frames;
  if (n && (rate < PL_RESAMPLE_MIN_RATE || rate > PL_RESAMPLE_MAX_RATE)) {
    fprintf(stderr, "parley extend: %s: %d Hz is not supported (%d to %d Hz)\n", o->in, rate,
            PL_RESAMPLE_MIN_RATE, PL_RESAMPLE_MAX_RATE);
    free(s);
    return 1;
  }
  int OC = C;
  if (C > 2) { /* the stage takes mono or stereo: mix the rest down */
    fprintf(stderr, "parley extend: note: %s has %d channels, mixed to mono\n", o->in, C);
    for (size_t i = 0; i < n; i++) {
      double a = 0.0;
      for (int c = 0; c < C; c++)
        a += s[i * (size_t)C + (size_t)c];
      s[i] = (float)(a / C);
    }
    OC = 1;
  }
  int fc = o->cutoff ? o->cutoff : cutoff_from_rate(rate);
  if (!fc && rate < 2 * (PL_EXT_CUTOFF_NB - 1000))
    fprintf(stderr, "parley extend: note: %d Hz holds under 3 kHz of band; extending from 4 kHz\n",
            rate);
  if (!fc && rate < 2 * PL_EXT_CUTOFF_NB)
    fc = PL_EXT_CUTOFF_NB;
  float *x = NULL, *y = NULL;
  size_t m = 0;
  pl_model *model = NULL;
  if (n) {
    if (rate == PL_AUDIO_RATE) {
      m = n;
      x = malloc(sizeof(float) * n * (size_t)OC);
      if (x)
        memcpy(x, s, sizeof(float) * n * (size_t)OC);
    } else if ((rc = pl_resample_buffer(OC, rate, PL_AUDIO_RATE, PL_RESAMPLE_QUALITY_FILE, s, n,
                                        &x, &m))) {
      fprintf(stderr, "parley extend: resampling: %s\n", pl_strerror(rc));
      goto out;
    }
  }
  size_t frames = (m + PL_EXTEND_FRAME - 1) / PL_EXTEND_FRAME;
  y = calloc((frames ? frames : 1) * PL_EXTEND_FRAME * (size_t)OC, sizeof(float));
  if ((n && !x) || !y) {
    rc = PL_ENOMEM;
    fprintf(stderr, "parley extend: out of memory\n");
    goto out;
  }
  if (m)
    memcpy(y, x, sizeof(float) * m * (size_t)OC);
  const char *method = o->method ? o->method : "model";
  if (strcmp(method, "model") && strcmp(method, "fold") && strcmp(method, "none")) {
    fprintf(stderr, "parley extend: unknown --method '%s' (model, fold, none)\n", method);
    rc = PL_EINVAL;
    goto out;
  }
  if (!strcmp(method, "fold") && !fc) {
    fprintf(stderr, "parley extend: --method fold needs --cutoff at %d Hz\n", rate);
    rc = PL_EINVAL;
    goto out;
  }
  if (o->model) {
    char why[160] = "";
    if ((rc = pl_model_load_file(&model, o->model, why, sizeof why))) {
      fprintf(stderr, "parley extend: %s: %s%s%s\n", o->model, pl_strerror(rc), why[0] ? ": " : "",
              why);
      goto out;
    }
  }
  pl_extend_stats st;
  if ((rc = pl_extend_buffer(x, y, m, OC, method, fc, o->fold_db, o->auto_mode, model, &st))) {
    fprintf(stderr, "parley extend: %s\n", pl_strerror(rc));
    rc = rc == PL_EINVAL ? PL_EFORMAT : rc; /* the model did not fit */
    goto out;
  }
  if (!o->quiet && !strcmp(method, "model"))
    fprintf(stderr, "parley extend: %s: %d Hz -> 48000 Hz, %s %d Hz, extended %llu of %llu frames\n",
            o->in, rate, fc && !o->auto_mode ? "band" : "detected band", st.cutoff_hz,
            (unsigned long long)st.model_steps, (unsigned long long)st.frames);
  pl_wav_spec spec = {.rate = PL_AUDIO_RATE, .channels = OC,
                      .format = info.format == PL_WAV_FLOAT32 || info.format == PL_WAV_FLOAT64
                                    ? PL_WAV_FLOAT32 : PL_WAV_PCM_S16};
  if ((rc = pl_wav_write_file(o->out, &spec, y, m))) {
    fprintf(stderr, "parley extend: %s: cannot write: %s\n", o->out, pl_strerror(rc));
    goto out;
  }
out:
  pl_model_free(model);
  free(s);
  free(x);
  free(y);
  return rc ? (rc == PL_EINVAL ? 2 : 1) : 0;
}

int pl_cmd_extend(int argc, char **argv) {
  opts o = {.fold_db = NAN};
  static const struct option lo[] = {
      {"method", required_argument, 0, 'm'}, {"cutoff", required_argument, 0, 'c'},
      {"auto", no_argument, 0, 'a'},          {"fold-db", required_argument, 0, 'f'},
      {"model", required_argument, 0, 'M'},   {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
  optind = 1;
  int ch;
  while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    char *end = NULL;
    switch (ch) {
    case 'm':
      o.method = optarg;
      break;
    case 'c':
      o.cutoff = (int)strtol(optarg, &end, 10);
      if (!end || *end || o.cutoff < PL_EXT_CUTOFF_NB || o.cutoff > PL_EXT_CUTOFF_WB ||
          o.cutoff % 200) {
        fprintf(stderr, "parley extend: bad --cutoff '%s' (4000-8000, multiple of 200)\n", optarg);
        return 2;
      }
      break;
    case 'a':
      o.auto_mode = true;
      break;
    case 'f':
      o.fold_db = strtod(optarg, &end);
      if (!end || *end || !(o.fold_db > -60 && o.fold_db < 20)) {
        fprintf(stderr, "parley extend: bad --fold-db '%s'\n", optarg);
        return 2;
      }
      break;
    case 'M':
      o.model = optarg;
      break;
    case 'q':
      o.quiet = true;
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
  o.in = argv[optind];
  o.out = argv[optind + 1];
  return run(&o);
}
