/* Evaluation driver for the neural PLC: every WAV in a directory (48 kHz
 * mono; the held-out ai/data/out/eval/48k/clean set) is encoded with Opus at
 * 24 kbit/s in 20 ms packets, packets are dropped by a seeded trace, and the
 * rest is decoded in a simple concealment loop twice: with Opus PLC and with
 * the neural concealer (Opus PLC still runs for the decoder's state). After a
 * loss both paths merge into the next decoded packet with the same 5 ms
 * cross-fade from a pitch-periodic extension of what was played. STOI and
 * LSD (audio/metrics) against the clean file, averaged over files.
 *   plc_eval DIR [--cond r05,r10,r20,b20] [--seed N] [--model F.plmd]
 *                [--limit N] [--out-dir D] [--no-merge]
 * Conditions: rNN = NN % Bernoulli loss, bNN = NN % Gilbert-Elliott loss
 * with a mean burst of 5 packets. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/plc/plc.h"
#include "audio/metrics/metrics.h"
#include "audio/opus/opus.h"
#include "audio/wav/wav.h"
#include "base/crc32.h"
#include "base/rng.h"
#include "parley.h"

#define SPP 960
#define MERGE 240

typedef struct cond {
  char name[8];
  double rate;
  bool bursty;
} cond;

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Loss mask of n packets. Gilbert-Elliott: bad state loses, good keeps;
 * P(good->bad) = rate * r / (1 - rate), P(bad->good) = r = 1 / burst. */
static void make_mask(const cond *c, uint64_t seed, bool *m, size_t n) {
  pl_rng rng;
  pl_rng_seed(&rng, seed);
  if (!c->bursty) {
    for (size_t i = 0; i < n; i++)
      m[i] = pl_rng_uniform(&rng) < c->rate;
    return;
  }
  double r = 1.0 / 5.0, p = c->rate * r / (1.0 - c->rate);
  bool bad = pl_rng_uniform(&rng) < p / (p + r);
  for (size_t i = 0; i < n; i++) {
    m[i] = bad;
    bad = bad ? pl_rng_uniform(&rng) >= r : pl_rng_uniform(&rng) < p;
  }
}

/* The last period of y[0..n) repeated into ext[0..m): period by normalised
 * autocorrelation over 2.5..15 ms (what a NetEq merge does). */
static void periodic_ext(const float *y, size_t n, float *ext, int m) {
  int win = 960, best_lag = 480;
  double best = -2.0;
  if (n < (size_t)(win + 720)) {
    for (int i = 0; i < m; i++)
      ext[i] = n ? y[n - 1] * 0.0f : 0.0f;
    return;
  }
  const float *a = y + n - win;
  for (int lag = 120; lag <= 720; lag++) {
    const float *b = a - lag;
    double xc = 0, ea = 0, eb = 0;
    for (int i = 0; i < win; i++) {
      xc += (double)a[i] * b[i];
      ea += (double)a[i] * a[i];
      eb += (double)b[i] * b[i];
    }
    double c = xc / sqrt(ea * eb + 1e-18);
    if (c > best) {
      best = c;
      best_lag = lag;
    }
  }
  for (int i = 0; i < m; i++)
    ext[i] = y[n - (size_t)best_lag + (size_t)(i % best_lag)];
}

typedef struct result {
  double stoi, lsd;
  double t_plc;    /* seconds in the concealer (observe + conceal) */
} result;

/* Decodes the packets with the loss mask; plc NULL = Opus PLC. */
static int run(uint8_t **pk, int *len, const bool *mask, size_t np, pl_plc *plc,
               bool merge, float *out, double *t_plc) {
  pl_opus_dec *dec = pl_opus_dec_new(1);
  if (!dec)
    return PL_ENOMEM;
  float buf[SPP], ext[MERGE];
  size_t n = 0;
  bool prev_lost = false;
  for (size_t i = 0; i < np; i++) {
    if (!mask[i]) {
      int m = pl_opus_dec_decode(dec, pk[i], (size_t)len[i], buf, SPP);
      if (m != SPP)
        return PL_ECODEC;
      if (plc) {
        double t0 = now_s();
        pl_plc_observe(plc, buf, SPP, 1);
        *t_plc += now_s() - t0;
      }
      if (prev_lost && merge) {
        periodic_ext(out, n, ext, MERGE);
        for (int k = 0; k < MERGE; k++) {
          float w = 0.5f - 0.5f * cosf((float)M_PI * ((float)k + 0.5f) / MERGE);
          buf[k] = (1.0f - w) * ext[k] + w * buf[k];
        }
      }
      memcpy(out + n, buf, sizeof buf);
    } else {
      if (pl_opus_dec_plc(dec, buf, SPP) != SPP)
        return PL_ECODEC;
      if (plc) {
        double t0 = now_s();
        for (int h = 0; h < 2; h++)
          if (pl_plc_conceal(plc, out + n + (size_t)h * 480, 480, 1, h + 1))
            return PL_EINVAL;
        *t_plc += now_s() - t0;
      } else {
        memcpy(out + n, buf, sizeof buf);
      }
    }
    prev_lost = mask[i];
    n += SPP;
  }
  pl_opus_dec_free(dec);
  return 0;
}

static void write_out(const char *dir, const char *cname, const char *tag,
                      const char *file, const float *x, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s-%s-%s", dir, cname, tag, file);
  pl_wav_spec sp = {48000, 1, PL_WAV_PCM_S16, false};
  pl_wav_write_file(path, &sp, x, n);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: plc_eval DIR [--cond r05,r10,r20,b20] [--seed N] "
                    "[--model F.plmd] [--limit N] [--out-dir D] [--no-merge]\n");
    return 2;
  }
  const char *dir = argv[1], *conds = "r05,r10,r20,b20", *model_path = NULL,
             *out_dir = NULL;
  uint64_t seed = 1;
  int limit = 0;
  bool merge = true;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--cond") && i + 1 < argc)
      conds = argv[++i];
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--model") && i + 1 < argc)
      model_path = argv[++i];
    else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
      limit = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--out-dir") && i + 1 < argc)
      out_dir = argv[++i];
    else if (!strcmp(argv[i], "--no-merge"))
      merge = false;
    else {
      fprintf(stderr, "plc_eval: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  pl_model *model = NULL;
  if (model_path) {
    char why[PL_MODEL_WHY_LEN];
    if (pl_model_load_file(&model, model_path, why, sizeof why)) {
      fprintf(stderr, "plc_eval: %s: %s\n", model_path, why);
      return 1;
    }
  }
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "plc_eval: cannot open %s\n", dir);
    return 1;
  }
  char **files = NULL;
  size_t nf = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > 4 && !strcmp(e->d_name + l - 4, ".wav")) {
      files = realloc(files, (nf + 1) * sizeof *files);
      files[nf++] = strdup(e->d_name);
    }
  }
  closedir(d);
  qsort(files, nf, sizeof *files, cmpstr);
  size_t nf_all = nf;
  if (limit > 0 && (size_t)limit < nf)
    nf = (size_t)limit;

  cond cs[8];
  int nc = 0;
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s", conds);
  for (char *t = strtok(tmp, ","); t && nc < 8; t = strtok(NULL, ",")) {
    if ((t[0] != 'r' && t[0] != 'b') || strlen(t) > 4) {
      fprintf(stderr, "plc_eval: bad condition %s\n", t);
      return 2;
    }
    snprintf(cs[nc].name, sizeof cs[nc].name, "%s", t);
    cs[nc].rate = atof(t + 1) / 100.0;
    cs[nc].bursty = t[0] == 'b';
    nc++;
  }
  printf("| condition | files | loss | Opus PLC STOI | neural STOI | dSTOI | Opus PLC LSD dB | neural LSD dB | dLSD | concealer %% of a core |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (int ci = 0; ci < nc; ci++) {
    double so = 0, sn = 0, lo = 0, ln = 0, lost = 0, total = 0, tplc = 0, dur = 0;
    int counted = 0;
    for (size_t fi = 0; fi < nf; fi++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s", dir, files[fi]);
      float *x = NULL;
      pl_wav_info info;
      if (pl_wav_read_file(path, &x, &info) || info.rate != 48000 || info.channels != 1) {
        fprintf(stderr, "plc_eval: skipping %s (need 48 kHz mono)\n", path);
        free(x);
        continue;
      }
      size_t np = (info.frames + SPP - 1) / SPP;
      pl_opus_enc_config ec;
      pl_opus_enc_config_default(&ec, 1);
      ec.bitrate = 24000;
      ec.fec = false;
      ec.packet_loss_pct = 0;
      pl_opus_enc *enc = pl_opus_enc_new(&ec);
      uint8_t **pk = calloc(np, sizeof *pk);
      int *len = calloc(np, sizeof *len);
      float in[SPP];
      for (size_t i = 0; i < np; i++) {
        for (int k = 0; k < SPP; k++) {
          size_t at = i * SPP + (size_t)k;
          in[k] = at < info.frames ? x[at] : 0.0f;
        }
        pk[i] = malloc(PL_OPUS_MAX_PACKET);
        len[i] = pl_opus_enc_encode(enc, in, pk[i], PL_OPUS_MAX_PACKET);
      }
      pl_opus_enc_free(enc);
      bool *mask = calloc(np, sizeof *mask);
      make_mask(&cs[ci], seed * 1000003u + pl_crc32(0, files[fi], strlen(files[fi])) +
                             (uint64_t)ci * 7919u, mask, np);
      for (size_t i = 0; i < np; i++)
        lost += mask[i];
      total += (double)np;
      float *yo = malloc(np * SPP * sizeof *yo), *yn = malloc(np * SPP * sizeof *yn);
      pl_plc *plc = pl_plc_new(model);
      double t_dummy = 0, t = 0;
      if (!plc || run(pk, len, mask, np, NULL, merge, yo, &t_dummy) ||
          run(pk, len, mask, np, plc, merge, yn, &t)) {
        fprintf(stderr, "plc_eval: %s failed\n", files[fi]);
        return 1;
      }
      tplc += t;
      dur += (double)(np * SPP) / 48000.0;
      pl_audio_metrics mo, mn;
      if (pl_audio_compare(x, info.frames, yo, np * SPP, 48000, &mo) == 0 &&
          pl_audio_compare(x, info.frames, yn, np * SPP, 48000, &mn) == 0 &&
          isfinite(mo.stoi) && isfinite(mn.stoi)) {
        so += mo.stoi;
        sn += mn.stoi;
        lo += mo.lsd_db;
        ln += mn.lsd_db;
        counted++;
      }
      if (out_dir) {
        write_out(out_dir, cs[ci].name, "opus", files[fi], yo, np * SPP);
        write_out(out_dir, cs[ci].name, "neural", files[fi], yn, np * SPP);
      }
      pl_plc_free(plc);
      for (size_t i = 0; i < np; i++)
        free(pk[i]);
      free(pk);
      free(len);
      free(mask);
      free(yo);
      free(yn);
      free(x);
    }
    if (!counted)
      return 1;
    printf("| %s | %d | %.3f | %.4f | %.4f | %+.4f | %.3f | %.3f | %+.3f | %.3f |\n",
           cs[ci].name, counted, lost / total, so / counted, sn / counted,
           (sn - so) / counted, lo / counted, ln / counted, (ln - lo) / counted,
           100.0 * tplc / dur);
    fflush(stdout);
  }
  printf("\n`plc_eval %s --cond %s --seed %llu%s%s%s`\n", dir, conds,
         (unsigned long long)seed, model_path ? " --model " : "", model_path ? model_path : "",
         merge ? "" : " --no-merge");
  for (size_t i = 0; i < nf_all; i++)
    free(files[i]);
  free(files);
  pl_model_free(model);
  return 0;
}
