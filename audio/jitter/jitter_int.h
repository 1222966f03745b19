/* The inside of pl_jitter, shared by jitter.c (packet store, push, delay
 * target, stats) and playout.c (sync buffer, decisions, DSP). */
#ifndef PL_AUDIO_JITTER_INT_H
#define PL_AUDIO_JITTER_INT_H

#include "audio/jitter/delay.h"
#include "audio/jitter/jitter.h"
#include "audio/opus/opus.h"
#include "audio/plc/cng.h"

#define PL_JB_FRAME PL_AUDIO_FRAME_SAMPLES
#define PL_JB_HIST 960    /* played samples kept behind the play point (merges) */
#define PL_JB_SB_CAP 10240 /* sync buffer, samples per channel */
#define PL_JB_SEGS 64

typedef struct pl_jb_slot {
  int64_t ts, seq;
  pl_time_us arrival;
  int len, samples, frame_samples;
  bool lbrr, lbrr_used;
  bool red; /* stored from a RED copy (redundant.c) */
  uint8_t *data;
} pl_jb_slot;

/* What a run of samples in the sync buffer is, for the W3C counters. */
enum { PL_JB_DECODED, PL_JB_CONCEALED, PL_JB_INSERTED };

typedef struct pl_jb_seg {
  int len;
  int kind;
  uint32_t flags; /* PL_AF_* */
  pl_time_us arrival;
} pl_jb_seg;

enum { PL_JB_IDLE, PL_JB_BUFFERING, PL_JB_PLAYING };

struct pl_jitter {
  pl_jitter_config c;
  pl_opus_dec *dec;
  const pl_concealer_ops *cops;
  void *cself;

  /* packet store: slots sorted by timestamp through `order` */
  pl_jb_slot *slots;
  uint8_t *mem;
  int *order;
  int count;
  int *freel;
  int nfree;

  /* RFC 3550 A.1 style sequence extension and duplicate bitmap */
  bool have_seq;
  int64_t highest_seq, base_seq;
  uint64_t seen[2];
  bool have_ts;
  int64_t ts_ref;

  pl_jdelay dm;
  pl_time_us last_now;
  int wild;
  pl_time_us loss_until;
  int64_t lbrr_frame_us;
  pl_time_us lbrr_until;
  /* RED (redundant.c): how far back copies reach, until when */
  int64_t red_wait_us;
  pl_time_us red_until;

  /* playout */
  int state;
  int64_t next_ts; /* RTP time of the next sample to decode */
  bool have_last_seq, last_was_dtx;
  int64_t last_seq;

  /* sync buffer: [0, play) history, [play, end) future, split into segs */
  float *sb;
  int play, end;
  pl_jb_seg segs[PL_JB_SEGS];
  int seg_head, nseg;
  int fut_media;      /* decoded future samples: they advance media time */
  bool tail_concealed; /* the last audio appended was synthesised */

  /* concealment run */
  int run_pos;   /* samples synthesised since the last decoded audio */
  int run_calls; /* calls to the concealer in this run (nth_consecutive) */
  int64_t run_media; /* missing audio (gaps skipped) this run stood in for */
  bool run_settled;  /* the run's extra delay was kept or cut already */
  bool prev_concealed;
  uint64_t run_unclassified;

  /* DRED: the parsed redundancy of the first packet after a gap (dred_seq) */
  pl_opus_dred *dred;
  int64_t dred_seq;
  int dred_cover;

  float *dbuf, *scratch, *scratch2;
  pl_cng cng;

  pl_jitter_stats st;
};

/* jitter.c */
void pl_jb_remove_at(pl_jitter *jb, int pos, bool discarded);
pl_jb_slot *pl_jb_first(pl_jitter *jb);
void pl_jb_insert(pl_jitter *jb, pl_time_us now, int64_t ts, int64_t seq, const uint8_t *payload,
                  size_t len, int samples, bool lbrr, bool red);
int64_t pl_jb_target_us(const pl_jitter *jb, pl_time_us now);
int64_t pl_jb_minimum_us(const pl_jitter *jb, pl_time_us now);
void pl_jb_note_loss(pl_jitter *jb, pl_time_us now);
static inline int64_t pl_jb_ts_us(int64_t ts) { return ts * 125 / 6; } /* 1e6/48000 */

/* redundant.c */
bool pl_jb_red_have(const pl_jitter *jb, int64_t ts, int samples);
void pl_jb_red_removed(pl_jitter *jb, const pl_jb_slot *s, bool discarded);
int64_t pl_jb_red_wait_us(const pl_jitter *jb, pl_time_us now);

/* playout.c */
void pl_jb_playout_reset(pl_jitter *jb);
int64_t pl_jb_cur_delay_us(const pl_jitter *jb, pl_time_us now);
void pl_jb_play(pl_jitter *jb, pl_time_us now, pl_audio_frame *out);

#endif
