/* Pitch period tracking for the noise suppressor's comb filter and
 * features: a coarse normalised-autocorrelation search on a 12 kHz copy of
 * the signal, refined at 48 kHz. Uses only past samples (no lookahead). */
#ifndef PL_AI_DENOISE_PITCH_H
#define PL_AI_DENOISE_PITCH_H

#define PL_DN_PITCH_MIN 96  /* 500 Hz at 48 kHz */
#define PL_DN_PITCH_MAX 800 /* 60 Hz */
#define PL_DN_PITCH_DEC 4   /* 48 kHz -> 12 kHz for the coarse search */
#define PL_DN_PITCH_WIN12 240 /* coarse correlation window: 20 ms */
#define PL_DN_PITCH_HIST12 512

typedef struct pl_dn_pitch {
  float lp[4];                      /* low-pass biquad state (x1 x2 y1 y2) */
  float b0, b1, b2, a1, a2;         /* its coefficients */
  float d[PL_DN_PITCH_HIST12];      /* decimated history, newest last */
  float corr[PL_DN_PITCH_MAX / PL_DN_PITCH_DEC + 1];
  int phase;                        /* decimation phase carried over frames */
  int period;                       /* last period at 48 kHz */
} pl_dn_pitch;

void pl_dn_pitch_init(pl_dn_pitch *p);
void pl_dn_pitch_reset(pl_dn_pitch *p);
/* Feeds n new 48 kHz samples (n a multiple of 4 keeps phases simple, any n
 * works) and estimates the period of the signal ending at the newest one.
 * hist points one past the newest of at least PL_DN_PITCH_MAX + win
 * samples of 48 kHz history (hist[-1] is the newest), and the period is
 * refined on the last win of them.
 * Returns the period in samples and writes its normalised correlation
 * (in [-1, 1]; 0 for silence) to *gain. */
int pl_dn_pitch_search(pl_dn_pitch *p, const float *in, int n,
                       const float *hist, int win, float *gain);

#endif
