/* `parley denoise IN.wav OUT.wav`: neural noise suppression of a file (any
 * rate and channel count; resampled to 48 kHz and back, each channel on
 * its own, output time-aligned with the input and in the input's format),
 * or the Speex preprocessor as the classical baseline (--speex). Also the
 * training-data helper of ai/train/denoise (--train-records). */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <speex/speex_preprocess.h>

#include "ai/denoise/denoise.h"
#include "ai/denoise/dsp.h"
#include "apps/parley/commands.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "parley.h"

typedef struct opts {
  bool speex, quiet;
  double speex_db, max_atten_db;
  const char *model, *vad, *in, *out;
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley denoise [options] IN.wav OUT.wav\n"
          "  Removes background noise from speech. Any rate (8-192 kHz) and\n"
          "  channel count; OUT has IN's rate, channels, sample format and\n"
          "  length (time-aligned). Channels are denoised independently.\n"
          "  --speex             the classical baseline instead: speexdsp's\n"
          "                      preprocessor, denoise only (no AGC/VAD)\n"
          "  --speex-suppress DB its maximum attenuation (default 15)\n"
          "  --model FILE        a PLMD model instead of the built-in one\n"
          "  --max-atten DB      limit the model's attenuation (default none)\n"
          "  --vad FILE          write voice probability per 10 ms as CSV\n"
          "  --quiet             no progress bar\n"
          "developer:\n"
          "  parley denoise --train-records NOISY.f32 CLEAN.f32 OUT.f32 "
          "[--segments FILE]\n"
          "                      training records (ai/train/denoise) of raw\n"
          "                      48 kHz float32 audio; FILE lists segment\n"
          "                      lengths in samples, each analysed afresh\n"
          "exit status: 0 ok, 1 unreadable input or failure, 2 usage\n");
}

/* ---- progress ---------------------------------------------------------- */

typedef struct progress {
  bool tty;
  size_t done, total;
  int shown;
} progress;

static void progress_step(progress *p, size_t n) {
  p->done += n;
  if (!p->tty || !p->total)
    return;
  int pct = (int)(100.0 * (double)p->done / (double)p->total);
  if (pct > 100)
    pct = 100;
  if (pct == p->shown)
    return;
  p->shown = pct;
  int width = 40, fill = pct * width / 100;
  fprintf(stderr, "\rdenoise [");
  for (int i = 0; i < width; i++)
    fputc(i < fill ? '#' : '.', stderr);
  fprintf(stderr, "] %3d%%", pct);
  fflush(stderr);
}

static void progress_end(progress *p) {
  if (p->tty && p->shown >= 0)
    fprintf(stderr, "\n");
}

/* ---- the two denoisers over one channel at 48 kHz ------------------------ */

/* y[0..n) = denoised x[0..n), with the model's delay taken out. */
static void run_model(pl_denoise *d, const float *x, size_t n, float *y,
                      float *vad, progress *pg) {
  float in[PL_DENOISE_FRAME], out[PL_DENOISE_FRAME];
  size_t skip = (size_t)pl_denoise_delay(d), w = 0;
  size_t la = skip / PL_DENOISE_FRAME - 1; /* the voice probability is for this many frames back */
  for (size_t t = 0; w < n; t += PL_DENOISE_FRAME) {
    for (size_t i = 0; i < PL_DENOISE_FRAME; i++)
      in[i] = t + i < n ? x[t + i] : 0.0f;
    float v = pl_denoise_process(d, in, out);
    size_t fi = t / PL_DENOISE_FRAME;
    if (vad && fi >= la && fi - la < (n + PL_DENOISE_FRAME - 1) / PL_DENOISE_FRAME)
      vad[fi - la] = fmaxf(vad[fi - la], v);
    for (size_t i = 0; i < PL_DENOISE_FRAME && w < n; i++) {
      if (skip) {
        skip--;
        continue;
      }
      y[w++] = out[i];
    }
    progress_step(pg, PL_DENOISE_FRAME);
  }
}

static int run_speex(int rate, double suppress_db, const float *x, size_t n,
                     float *y, progress *pg) {
  int fs = rate / 100;
  SpeexPreprocessState *st = speex_preprocess_state_init(fs, rate);
  if (!st)
    return PL_ENOMEM;
  int on = 1, off = 0, sup = -(int)lround(suppress_db);
  speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DENOISE, &on);
  speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_AGC, &off);
  speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_DEREVERB, &off);
  speex_preprocess_ctl(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &sup);
  spx_int16_t *buf = malloc(sizeof(spx_int16_t) * (size_t)fs);
  if (!buf) {
    speex_preprocess_state_destroy(st);
    return PL_ENOMEM;
  }
  for (size_t t = 0; t < n; t += (size_t)fs) {
    for (size_t i = 0; i < (size_t)fs; i++) {
      double v = t + i < n ? x[t + i] * 32768.0 : 0.0;
      buf[i] = (spx_int16_t)lrint(fmax(-32768.0, fmin(32767.0, v)));
    }
    speex_preprocess_run(st, buf);
    for (size_t i = 0; i < (size_t)fs && t + i < n; i++)
      y[t + i] = (float)(buf[i] / 32768.0);
    progress_step(pg, (size_t)fs);
  }
  free(buf);
  speex_preprocess_state_destroy(st);
  return 0;
}

/* ---- files -------------------------------------------------------------- */

static int write_vad(const char *path, const float *vad, size_t n) {
  FILE *f = fopen(path, "w");
  if (!f)
    return PL_EIO;
  fprintf(f, "time_s,voice_prob\n");
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%.2f,%.4f\n", (double)i * PL_DENOISE_FRAME / PL_DENOISE_RATE,
            vad[i]);
  return fclose(f) ? PL_EIO : 0;
}

static int denoise_file(const opts *o) {
  pl_wav_info info;
  float *s = NULL;
  int rc = pl_wav_read_file(o->in, &s, &info);
  if (rc) {
    fprintf(stderr, "parley denoise: %s: %s%s%s\n", o->in, pl_strerror(rc),
            info.error[0] ? ": " : "", info.error);
    return 1;
  }
  if (info.truncated)
    fprintf(stderr, "parley denoise: note: %s is truncated: %llu of %llu "
            "frames present\n", o->in, (unsigned long long)info.frames,
            (unsigned long long)info.frames_declared);
  if (info.nonfinite)
    fprintf(stderr, "parley denoise: note: %s: %llu NaN/Inf samples read as "
            "0\n", o->in, (unsigned long long)info.nonfinite);
  int rate = info.rate, C = info.channels;
  size_t n = (size_t)info.frames;
  if (n && (rate < PL_RESAMPLE_MIN_RATE || rate > PL_RESAMPLE_MAX_RATE)) {
    fprintf(stderr, "parley denoise: %s: %d Hz is not supported (%d to %d "
            "Hz)\n", o->in, rate, PL_RESAMPLE_MIN_RATE, PL_RESAMPLE_MAX_RATE);
    free(s);
    return 1;
  }
  /* Speex runs at the file's rate when it supports it natively. */
  int work_rate = PL_DENOISE_RATE;
  if (o->speex && (rate == 8000 || rate == 16000 || rate == 32000 ||
                   rate == 48000))
    work_rate = rate;
  size_t nw = rate == work_rate ? n : pl_resample_out_len(n, rate, work_rate);
  float *x = malloc(sizeof(float) * (n ? n : 1));
  float *y = malloc(sizeof(float) * (nw ? nw : 1));
  size_t nvad = (nw + PL_DENOISE_FRAME - 1) / PL_DENOISE_FRAME;
  float *vad = o->vad ? calloc(nvad ? nvad : 1, sizeof(float)) : NULL;
  pl_denoise *d = NULL;
  pl_denoise_model *model = NULL;
  if (!x || !y || (o->vad && !vad)) {
    fprintf(stderr, "parley denoise: out of memory\n");
    rc = PL_ENOMEM;
    goto out;
  }
  if (!o->speex) {
    char why[160] = "";
    if (o->model && (rc = pl_denoise_model_load_file(&model, o->model, why,
                                                     sizeof why))) {
      fprintf(stderr, "parley denoise: %s: %s%s%s\n", o->model,
              pl_strerror(rc), why[0] ? ": " : "", why);
      goto out;
    }
    if ((rc = pl_denoise_new(&d, model))) {
      fprintf(stderr, "parley denoise: cannot start the model: %s\n",
              pl_strerror(rc));
      goto out;
    }
    pl_denoise_set_max_atten(d, (float)o->max_atten_db);
  }
  progress pg = {.tty = !o->quiet && isatty(2), .total = nw * (size_t)C,
                 .shown = -1};
  for (int c = 0; c < C && n; c++) {
    for (size_t i = 0; i < n; i++)
      x[i] = s[i * (size_t)C + (size_t)c];
    float *xw = x, *yw = NULL;
    size_t got = n;
    if (rate != work_rate &&
        (rc = pl_resample_buffer(1, rate, work_rate, PL_RESAMPLE_QUALITY_FILE,
                                 x, n, &xw, &got)))
      break;
    if (o->speex) {
      rc = run_speex(work_rate, o->speex_db, xw, got, y, &pg);
    } else {
      pl_denoise_reset(d);
      run_model(d, xw, got, y, vad, &pg);
    }
    if (xw != x)
      free(xw);
    if (rc)
      break;
    const float *yo = y;
    if (rate != work_rate) {
      size_t back;
      if ((rc = pl_resample_buffer(1, work_rate, rate,
                                   PL_RESAMPLE_QUALITY_FILE, y, got, &yw,
                                   &back)))
        break;
      yo = yw;
      if (back < n) /* cannot happen: ceil both ways; keep the bound safe */
        n = back;
    }
    for (size_t i = 0; i < n; i++)
      s[i * (size_t)C + (size_t)c] = yo[i];
    free(yw);
  }
  progress_end(&pg);
  if (rc) {
    fprintf(stderr, "parley denoise: %s\n", pl_strerror(rc));
    goto out;
  }
  pl_wav_spec spec = {.rate = rate, .channels = C, .format = info.format,
                      .extensible = info.extensible};
  if ((rc = pl_wav_write_file(o->out, &spec, s, n))) {
    fprintf(stderr, "parley denoise: %s: cannot write: %s\n", o->out,
            pl_strerror(rc));
    goto out;
  }
  if (vad && (rc = write_vad(o->vad, vad, nvad)))
    fprintf(stderr, "parley denoise: %s: cannot write: %s\n", o->vad,
            pl_strerror(rc));
out:
  pl_denoise_free(d);
  pl_denoise_model_free(model);
  free(s);
  free(x);
  free(y);
  free(vad);
  return rc ? 1 : 0;
}

/* ---- training records ----------------------------------------------------- */

static float *read_f32(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  float *p = NULL;
  if (!fseek(f, 0, SEEK_END)) {
    long len = ftell(f);
    if (len >= 0 && !fseek(f, 0, SEEK_SET)) {
      *n = (size_t)len / sizeof(float);
      p = malloc(sizeof(float) * (*n ? *n : 1));
      if (p && fread(p, sizeof(float), *n, f) != *n) {
        free(p);
        p = NULL;
      }
    }
  }
  fclose(f);
  return p;
}

static int train_records(const char *noisy, const char *clean,
                         const char *outp, const char *segs, bool run_floor) {
  size_t nn = 0, nc = 0;
  float *a = read_f32(noisy, &nn), *b = read_f32(clean, &nc);
  float *rec = NULL;
  FILE *out = NULL, *sf = NULL;
  int rc = 1;
  if (!a || !b || nn != nc) {
    fprintf(stderr, "parley denoise: %s / %s: unreadable or of different "
            "lengths\n", noisy, clean);
    goto done;
  }
  if (segs && !(sf = fopen(segs, "r"))) {
    fprintf(stderr, "parley denoise: %s: cannot open\n", segs);
    goto done;
  }
  if (!(out = fopen(outp, "wb"))) {
    fprintf(stderr, "parley denoise: %s: cannot create\n", outp);
    goto done;
  }
  size_t pos = 0;
  while (pos < nn) {
    size_t len = nn - pos;
    if (sf) {
      unsigned long long v;
      if (fscanf(sf, "%llu", &v) != 1)
        break;
      if (v > nn - pos) {
        fprintf(stderr, "parley denoise: %s: segment past the end\n", segs);
        goto done;
      }
      len = (size_t)v;
    }
    size_t frames = len / PL_DENOISE_FRAME;
    float *r = realloc(rec, sizeof(float) * PL_DN_TRAIN_REC * (frames + 1));
    if (!r)
      goto done;
    rec = r;
    if (pl_denoise_training_records(a + pos, b + pos, len, run_floor, rec))
      goto done;
    if (fwrite(rec, sizeof(float) * PL_DN_TRAIN_REC, frames, out) != frames) {
      fprintf(stderr, "parley denoise: %s: write failed\n", outp);
      goto done;
    }
    pos += len;
  }
  rc = 0;
done:
  if (out && fclose(out))
    rc = 1;
  if (sf)
    fclose(sf);
  free(a);
  free(b);
  free(rec);
  return rc;
}

static int parse_db(const char *name, const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (*end || end == text || !(v >= 0) || v > 200) {
    fprintf(stderr, "parley denoise: %s wants a number of dB in [0, 200]\n",
            name);
    return -1;
  }
  *out = v;
  return 0;
}

int pl_cmd_denoise(int argc, char **argv) {
  opts o = {.speex_db = 15.0};
  const char *train = NULL, *segs = NULL;
  bool run_floor = false;
  static const struct option longopts[] = {
      {"speex", no_argument, NULL, 's'},
      {"speex-suppress", required_argument, NULL, 'S'},
      {"model", required_argument, NULL, 'm'},
      {"max-atten", required_argument, NULL, 'a'},
      {"vad", required_argument, NULL, 'v'},
      {"quiet", no_argument, NULL, 'q'},
      {"train-records", required_argument, NULL, 't'},
      {"segments", required_argument, NULL, 'g'},
      {"run-floor", no_argument, NULL, 'F'},
      {"help", no_argument, NULL, 'h'},
      {0, 0, 0, 0}};
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1;) {
    switch (c) {
    case 's': o.speex = true; break;
    case 'S':
      if (parse_db("--speex-suppress", optarg, &o.speex_db))
        return 2;
      break;
    case 'm': o.model = optarg; break;
    case 'a':
      if (parse_db("--max-atten", optarg, &o.max_atten_db))
        return 2;
      break;
    case 'v': o.vad = optarg; break;
    case 'q': o.quiet = true; break;
    case 't': train = optarg; break;
    case 'g': segs = optarg; break;
    case 'F': run_floor = true; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (train) {
    if (argc - optind != 2) {
      usage(stderr);
      return 2;
    }
    return train_records(train, argv[optind], argv[optind + 1], segs, run_floor);
  }
  if (argc - optind != 2 || segs || (o.speex && (o.model || o.vad))) {
    usage(stderr);
    return 2;
  }
  o.in = argv[optind];
  o.out = argv[optind + 1];
  return denoise_file(&o);
}
