/* The loopback quality lab: what one run measured, and the report writers.
 * Lab code links the engine's internals (emulator, metrics) on purpose: it
 * measures them. The call app stays on the public header. */
#ifndef PL_APPS_LAB_H
#define PL_APPS_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "audio/metrics/metrics.h"
#include "parley.h"
#include "video/metrics/vmetrics.h"

#define PL_LAB_MAX_SECONDS 3600

/* One second of one direction (0: A->B, 1: B->A). */
typedef struct pl_lab_second {
  double send_kbps;      /* what the sender put on the wire */
  double capacity_kbps;  /* the link's capacity, < 0 when unlimited */
  double delivered_kbps; /* what the link delivered */
  double owd_ms;         /* capture -> arrival, mean over the second (-1: none) */
  double loss_pct;       /* packets lost on the link this second */
  double jb_ms;          /* receiver's jitter-buffer delay this second */
  double jb_target_ms;
  double concealed_pct;  /* of samples played this second */
  uint64_t conceal_events;
  double target_kbps;    /* the sender's congestion-control target at the second's end */
  double queue_ms;       /* mean bottleneck queue delay of this second's packets (-1: none) */
} pl_lab_second;

/* How one direction's congestion control did (issue 14; docs/congestion.md).
 * Figures after the first PL_LAB_CC_WARMUP seconds unless said otherwise. */
#define PL_LAB_CC_WARMUP 5
typedef struct pl_lab_congestion {
  char controller[16];
  double utilisation;        /* delivered bits / capacity (-1: unlimited link) */
  double queue_delay_p50_ms, queue_delay_p95_ms; /* bottleneck wait (-1: none queued) */
  double loss;               /* packets lost on the link / offered */
  double rate_step_response_s; /* mean time to 90 % of a new, higher capacity (-1: no step up) */
  int steps_up;
  double recovery_s;         /* mean time to queue delay < 100 ms after a step down (-1: none) */
  int steps_down;
  uint64_t freezes;
  uint64_t resolution_switches;
} pl_lab_congestion;

/* One rendered video frame, matched to the source frame it shows. */
typedef struct pl_lab_vframe {
  int64_t index;   /* source frame number */
  double render_s; /* simulated time it was shown */
  double delay_ms; /* capture -> render */
  double psnr, ssim; /* luma, against the source frame */
} pl_lab_vframe;

typedef struct pl_lab_video {
  bool on;
  char source[128];
  pl_lab_vframe *frames;
  size_t n, cap;
  size_t unmatched;    /* shown, but no source frame found for it */
  int64_t frames_sent; /* read from the source */
  pl_video_timing timing; /* fps, freezes, delay of what was shown */
  double psnr_mean, psnr_min, ssim_mean, ssim_min;
  /* Sender scaled below the file (--video-size): sums over sr_n pictures
   * enlarged to sr_width x sr_height, [0] bicubic, [1] the network. */
  size_t sr_n;
  double sr_psnr[2], sr_ssim[2];
  int sr_width, sr_height;
} pl_lab_video;

typedef struct pl_lab_dir {
  const char *send_path, *ref_path;
  float *ref; size_t n_ref; int ref_rate;  /* reference, mono, at its rate */
  float *rx; size_t n_rx;                  /* received, mono, 48 kHz */
  pl_audio_metrics m;    /* averaged over aligned segments (cmd_loopback.c) */
  /* When the sender's input is not the reference (--noise, --ref): the
   * input itself scored against the reference, so the report can show what
   * the call (its send-side stages) gained or lost. */
  bool has_input;
  pl_audio_metrics in_m;
  int segments;          /* how many; 0 when the call was too short */
  int metrics_rc;
  pl_call_stats final;   /* the receiver's */
  pl_call_stats sender;  /* the sender's: its send stages' cost */
  pl_lab_video video;
  pl_lab_congestion cc;
} pl_lab_dir;

typedef struct pl_lab_run {
  char scenario[96];
  char stages[128];
  char noise[160];       /* "--noise SPEC at N dB", empty without */
  double duration_s;
  uint64_t seed;
  double wall_s;         /* CPU wall time the run took */
  int n_seconds;
  pl_lab_second sec[2][PL_LAB_MAX_SECONDS];
  pl_lab_dir dir[2];
} pl_lab_run;

/* A WAV file mixed down to mono at its own rate (*out malloc'd). Errors
 * are printed, naming `what` (an option, or NULL) and the file. */
int pl_lab_load_mono(const char *path, const char *what, float **out, size_t *n, int *rate);

/* clean (n samples at rate) plus a noise at snr_db (active speech level
 * against noise power) into a malloc'd *out. spec: "white", "pink" (seeded)
 * or a WAV file, mixed down to mono, resampled and looped as needed. */
int pl_lab_mix_noise(const float *clean, size_t n, int rate, const char *spec, double snr_db,
                     uint64_t seed, float **out);

int pl_lab_write_json(const char *path, const pl_lab_run *r);
int pl_lab_write_html(const char *path, const pl_lab_run *r);

/* Fills cc for direction d of a finished run: `link` carried it, `end`
 * and `warm` are its stats now and at the end of the warm-up. */
struct pl_emu_link;
struct pl_emu_stats;
void pl_lab_congestion_measure(pl_lab_congestion *cc, const pl_lab_run *r, int d,
                               const struct pl_emu_link *link, const struct pl_emu_stats *end,
                               const struct pl_emu_stats *warm, const pl_call_stats *sender,
                               const pl_call_stats *receiver);

#endif
