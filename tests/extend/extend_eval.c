/* The bandwidth-extension table (scripts/bwe-table.sh, docs/bwe.md):
 * every utterance of a 48 kHz reference directory against its band-limited
 * copies (the 16 kHz file: 8 kHz band; the 8 kHz file: 4 kHz band),
 * resampled to 48 kHz and extended by none (plain resampling), spectral
 * folding and the model, through pl_extend_buffer (what `parley extend`
 * runs). Per method and band: LSD over the added band (cutoff..24 kHz) and
 * the whole band with 32 ms frames, LSD with the project's 20 ms frames,
 * STOI; means over the files, over all of them and over those whose
 * reference really has content above 8 kHz ("full-band": 8.5-11.5 kHz
 * within 50 dB of 0.5-3 kHz, measured on the reference alone).
 *
 *   extend_eval REF48_DIR WB16_DIR NB8_DIR [--model F] [--list] [--fold-db-nb X --fold-db-wb Y]
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extend/extend.h"
#include "audio/metrics/metrics.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "parley.h"

#define MAXF 512
/* Folding at the dev split's level (pl_extend_fold_db_default), and at
 * fixed levels for scale (not chosen on anything). */
enum { M_NONE, M_FOLD, M_MODEL, M_F18, M_F24, M_F30, NM };
static const char *mname[NM] = {"none", "fold", "model", "fold", "fold", "fold"};
static const double mfold[NM] = {NAN, NAN, NAN, -18.0, -24.0, -30.0};

typedef struct acc {
  double hi32, full32, full20, stoi;
  int n, nstoi;
} acc;

static float *load(const char *path, int *rate, size_t *n) {
  pl_wav_info info;
  float *s = NULL;
  if (pl_wav_read_file(path, &s, &info) || info.channels != 1) {
    free(s);
    return NULL;
  }
  *rate = info.rate;
  *n = (size_t)info.frames;
  return s;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: extend_eval REF48_DIR WB16_DIR NB8_DIR [--model F] [--list]\n");
    return 2;
  }
  const char *dref = argv[1], *dwb = argv[2], *dnb = argv[3];
  const char *model_path = NULL;
  int list = 0;
  double fold_db[2] = {NAN, NAN};
  for (int i = 4; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc)
      model_path = argv[++i];
    else if (!strcmp(argv[i], "--list"))
      list = 1;
    else if (!strcmp(argv[i], "--fold-db-nb") && i + 1 < argc)
      fold_db[0] = atof(argv[++i]);
    else if (!strcmp(argv[i], "--fold-db-wb") && i + 1 < argc)
      fold_db[1] = atof(argv[++i]);
    else {
      fprintf(stderr, "extend_eval: bad argument %s\n", argv[i]);
      return 2;
    }
  }
  pl_model *model = NULL;
  if (model_path) {
    char why[160];
    if (pl_model_load_file(&model, model_path, why, sizeof why)) {
      fprintf(stderr, "extend_eval: %s: %s\n", model_path, why);
      return 1;
    }
  }
  DIR *d = opendir(dref);
  if (!d) {
    fprintf(stderr, "extend_eval: %s: cannot open\n", dref);
    return 1;
  }
  char *names[MAXF];
  int nf = 0;
  struct dirent *de;
  while ((de = readdir(d)) && nf < MAXF) {
    size_t l = strlen(de->d_name);
    if (l > 4 && !strcmp(de->d_name + l - 4, ".wav"))
      names[nf++] = strdup(de->d_name);
  }
  closedir(d);
  for (int i = 0; i < nf; i++) /* sorted, for a stable table */
    for (int j = i + 1; j < nf; j++)
      if (strcmp(names[i], names[j]) > 0) {
        char *t = names[i];
        names[i] = names[j];
        names[j] = t;
      }
  static const int cut[2] = {4000, 8000};
  acc all[2][NM] = {{{0}}}, fb[2][NM] = {{{0}}};
  int n_fb = 0;
  char path[4096];
  for (int f = 0; f < nf; f++) {
    int rr;
    size_t nr;
    snprintf(path, sizeof path, "%s/%s", dref, names[f]);
    float *ref = load(path, &rr, &nr);
    if (!ref || rr != 48000) {
      fprintf(stderr, "extend_eval: %s: unreadable or not 48 kHz mono\n", path);
      free(ref);
      continue;
    }
    /* Full-band: the reference itself reaches past 8 kHz (its 8.5-11.5 kHz
     * level within 50 dB of its 0.5-3 kHz level; a 16 kHz recording
     * resampled to 48 kHz sits 100 dB and more under). */
    double lo_p = 0, hi_p = 0;
    {
      /* mean power in 0.5-3 kHz and 8.5-11.5 kHz from 2048-point frames */
      size_t N = 2048;
      for (size_t s = 0; s + N <= nr; s += N) {
        for (int k = 22; k < 128; k += 3) {
          double re = 0, im = 0;
          for (size_t t = 0; t < N; t++) {
            double ph = 2 * M_PI * (double)k * (double)t / (double)N;
            double w = 0.5 - 0.5 * cos(2 * M_PI * (double)t / (double)N); /* Hann: no leakage */
            re += w * ref[s + t] * cos(ph);
            im -= w * ref[s + t] * sin(ph);
          }
          lo_p += re * re + im * im;
        }
        for (int k = 363; k < 491; k += 4) {
          double re = 0, im = 0;
          for (size_t t = 0; t < N; t++) {
            double ph = 2 * M_PI * (double)k * (double)t / (double)N;
            double w = 0.5 - 0.5 * cos(2 * M_PI * (double)t / (double)N);
            re += w * ref[s + t] * cos(ph);
            im -= w * ref[s + t] * sin(ph);
          }
          hi_p += re * re + im * im;
        }
      }
    }
    double l8 = 10 * log10((hi_p / 32 + 1e-30) / (lo_p / 36 + 1e-30));
    int is_fb = l8 > -50.0;
    n_fb += is_fb;
    for (int b = 0; b < 2; b++) {
      const char *dir = b ? dwb : dnb;
      int ri;
      size_t ni;
      snprintf(path, sizeof path, "%s/%s", dir, names[f]);
      float *in = load(path, &ri, &ni);
      if (!in) {
        fprintf(stderr, "extend_eval: %s: unreadable\n", path);
        continue;
      }
      float *x48 = NULL;
      size_t m = 0;
      if (pl_resample_buffer(1, ri, 48000, PL_RESAMPLE_QUALITY_FILE, in, ni, &x48, &m)) {
        free(in);
        continue;
      }
      size_t n = m < nr ? m : nr;
      float *y = malloc(sizeof(float) * (m ? m : 1));
      for (int k = 0; k < NM; k++) {
        double fdb = isnan(mfold[k]) ? fold_db[b] : mfold[k];
        int rc = pl_extend_buffer(x48, y, m, 1, mname[k], cut[b], fdb, false, model, NULL);
        if (rc) {
          fprintf(stderr, "extend_eval: %s: %s\n", mname[k], pl_strerror(rc));
          return 1;
        }
        double h32 = pl_lsd_band_db(ref, y, n, 48000, 32, cut[b], 24000.0);
        double f32 = pl_lsd_band_db(ref, y, n, 48000, 32, 0.0, 24001.0);
        double f20 = pl_lsd_db(ref, y, n, 48000);
        double st = NAN;
        int src = pl_stoi(ref, y, n, 48000, &st);
        if (list)
          printf("%s\t%d\t%s%s\t%s\t%.3f\t%.3f\t%.3f\t%.4f\n", names[f], cut[b], mname[k],
                 isnan(mfold[k]) ? "" : (k == M_F18 ? "-18" : k == M_F24 ? "-24" : "-30"),
                 is_fb ? "fb" : "-", h32, f32, f20, src ? NAN : st);
        acc *a[2] = {&all[b][k], is_fb ? &fb[b][k] : NULL};
        for (int j = 0; j < 2; j++) {
          if (!a[j] || isnan(h32))
            continue;
          a[j]->hi32 += h32;
          a[j]->full32 += f32;
          a[j]->full20 += f20;
          a[j]->n++;
          if (!src) {
            a[j]->stoi += st;
            a[j]->nstoi++;
          }
        }
      }
      free(y);
      free(x48);
      free(in);
    }
    free(ref);
  }
  printf("| set | band in | method | files | LSD added band (32 ms) | LSD full band (32 ms) | LSD full (20 ms) | STOI |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  for (int s = 0; s < 2; s++)
    for (int b = 0; b < 2; b++)
      for (int o = 0; o < NM; o++) {
        static const int order[NM] = {M_NONE, M_FOLD, M_F18, M_F24, M_F30, M_MODEL};
        int k = order[o];
        acc *a = s ? &all[b][k] : &fb[b][k];
        if (!a->n)
          continue;
        char fl[64];
        snprintf(fl, sizeof fl, "spectral folding at %.0f dB%s",
                 isnan(mfold[k]) ? pl_extend_fold_db_default(cut[b]) : mfold[k],
                 isnan(mfold[k]) ? " (dev level)" : " (scale only)");
        printf("| %s | %d kHz | %s | %d | %.2f | %.2f | %.2f | %.4f |\n",
               s ? "all eval speech" : "full-band eval speech", cut[b] / 1000,
               k == M_NONE ? "none (resampling)" : k == M_MODEL ? "**model**" : fl,
               a->n, a->hi32 / a->n, a->full32 / a->n, a->full20 / a->n,
               a->nstoi ? a->stoi / a->nstoi : NAN);
      }
  fprintf(stderr, "extend_eval: %d files, %d with content above 8 kHz\n", nf, n_fb);
  for (int f = 0; f < nf; f++)
    free(names[f]);
  pl_model_free(model);
  return 0;
}
