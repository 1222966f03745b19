/* The audio jitter buffer (NetEq-class): holds Opus RTP payloads, reorders
 * them, and on each 10 ms playout tick emits one frame: decoded, rebuilt
 * from the next packet's in-band FEC, or concealed (faded into comfort noise
 * after 100 ms) and merged back with a cross-fade. Its target delay is a
 * percentile of the measured network delay; it reaches it by time-stretching
 * (WSOLA accelerate / preemptive expand), never by dropping frames. Sans-IO:
 * the caller passes arrival and playout times; nothing is allocated after
 * _new. */
#ifndef PL_AUDIO_JITTER_H
#define PL_AUDIO_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio/frame.h"
#include "base/time.h"

typedef struct pl_jitter_config {
  int channels;         /* decoded output channels, 1 or 2 */
  int capacity;         /* packet slots, 4..1024 */
  int max_payload;      /* bytes per slot, 64..4000 */
  int min_delay_ms;     /* floor of the target delay */
  int max_delay_ms;     /* ceiling of the target delay, <= 5000 */
  int initial_delay_ms; /* target before jitter has been measured */
  bool use_fec;         /* recover single losses from the next packet's LBRR */
  uint64_t seed;        /* comfort-noise generator seed (runs are reproducible) */
  bool comfort_noise;   /* long bursts fade into the background's noise (true)
                           or into silence */
  int decoder_complexity; /* Opus decoder complexity: 0 classic; with libopus
                             >= 1.5, 5 deep PLC, 6 LACE, 7 NoLACE (audio/opus) */
  bool use_dred;        /* rebuild lost audio from the DRED of the first packet
                           after a gap (libopus >= 1.5; ignored without) */
  bool decoder_bwe;     /* libopus >= 1.6's bandwidth extension of wideband
                           SILK (needs decoder_complexity >= 4; ignored
                           without it or on older libopus) */
} pl_jitter_config;

/* Replaces Opus PLC for lost packets when set (the neural PLC plugs in
 * here). conceal() writes `samples` (a multiple of 120, at most 480) per
 * channel, interleaved, continuing the signal; nth_consecutive is 1 for the
 * first piece of a loss burst, then 2, 3, ... It returns 0, or a negative
 * code to fall back to Opus PLC. The buffer fades whatever it returns into
 * comfort noise from fade_start_ms to fade_end_ms into a burst (and stops
 * calling it after that), and cross-fades into the next decoded audio, so a
 * concealer need not do either. observe() sees every stretch of audio
 * decoded from a packet (FEC included), in order, before it is played: the
 * concealer's history. DTX comfort noise never comes from the hook. */
typedef struct pl_concealer_ops {
  int (*conceal)(void *self, float *out, int samples, int channels,
                 int nth_consecutive);
  void (*observe)(void *self, const float *decoded, int samples, int channels);
  /* How long this concealer's output may be trusted: 0 for the buffer's
   * default, 50 to 100 ms (what Opus PLC's decaying repetition holds up
   * to). A concealer that predicts speech for longer says so here; the
   * default applies whenever it declines and Opus PLC fills in. */
  int fade_start_ms, fade_end_ms;
  /* Optional. The packet after a gap is here: bridge() writes the last
   * `samples` of the gap (a multiple of 120, at most PL_JB_BRIDGE_MAX) so
   * that they continue what was played *and* run into `next`, the
   * `next_samples` just decoded from that packet, which play right after
   * (interpolation, not extrapolation: a single lost packet has both
   * neighbours in a buffer that holds 20 ms or more). No merge is applied
   * to it; inside a burst's fade the buffer raises it from the faded level
   * back to full by its last sample. Returns 0, or a negative code to have
   * the buffer conceal as usual. */
  int (*bridge)(void *self, float *out, int samples, const float *next, int next_samples,
                int channels);
} pl_concealer_ops;

/* The longest gap a concealer is asked to bridge (60 ms: three 20 ms
 * packets); the buffer also bridges only gaps that end before the
 * concealer's fade_end. */
#define PL_JB_BRIDGE_MAX 2880

/* W3C webrtc-stats (RTCInboundRtpStreamStats) counters, as named in the
 * comments. Sample counts are per channel. Times are seconds. */
typedef struct pl_jitter_stats {
  uint64_t packets_received;       /* packetsReceived: every push, dups and late included */
  int64_t packets_lost;            /* packetsLost: expected - received (RFC 3550 6.4.1;
                                      negative when duplicates outnumber losses) */
  uint64_t packets_discarded;      /* packetsDiscarded: late, too early, or unplayable */
  uint64_t packets_duplicated;     /* (Parley) duplicates dropped, not in packetsDiscarded */
  uint64_t fec_packets_received;   /* fecPacketsReceived: packets carrying LBRR,
                                      and RED redundant blocks */
  uint64_t fec_packets_discarded;  /* fecPacketsDiscarded: LBRR never used, RED
                                      copies of what was here or played already */
  uint64_t fec_recovered;          /* (Parley) lost packets rebuilt from LBRR */
  uint64_t red_recovered;          /* (Parley) lost packets played from a RED copy */
  double jitter_buffer_delay;      /* jitterBufferDelay: sum over emitted samples
                                      of (emit time - arrival of their packet) */
  double jitter_buffer_target_delay;  /* jitterBufferTargetDelay: sum over emitted
                                         samples of the target at emission */
  double jitter_buffer_minimum_delay; /* jitterBufferMinimumDelay: the same for
                                         the jitter-only target (no min_delay floor) */
  uint64_t jitter_buffer_emitted_count; /* jitterBufferEmittedCount: samples
                                           decoded from packets (FEC included) */
  uint64_t total_samples_received; /* totalSamplesReceived: every sample played
                                      since playout began (concealed included) */
  uint64_t concealed_samples;      /* concealedSamples: synthesised for missing,
                                      late or DTX-gap audio */
  uint64_t silent_concealed_samples; /* silentConcealedSamples: the DTX-gap part */
  uint64_t concealment_events;     /* concealmentEvents: concealed runs begun */
  uint64_t inserted_samples_for_deceleration; /* insertedSamplesForDeceleration */
  uint64_t removed_samples_for_acceleration;  /* removedSamplesForAcceleration */
  uint64_t decode_errors;          /* (Parley) packets the decoder rejected */
  uint64_t bridged_gaps;           /* (Parley) gaps a concealer filled knowing the
                                      packet after them (pl_concealer_ops.bridge) */
  uint64_t resyncs;                /* (Parley) stream restarts (timestamp jumps) */
  uint64_t dred_recovered_samples; /* (Parley) lost samples rebuilt from the DRED of
                                      the packet after them (counted as emitted) */
} pl_jitter_stats;

typedef struct pl_jitter pl_jitter;

/* Defaults: mono, 128 slots of 1500 bytes, delay 0..1000 ms starting at
 * 20 ms (one packet: the target grows within 0.1 s when the network needs
 * more, and a start above need would have to be stretched away), FEC on,
 * comfort noise on, seed 1. */
void pl_jitter_config_default(pl_jitter_config *c);
/* NULL when the config is out of range or memory is short. */
pl_jitter *pl_jitter_new(const pl_jitter_config *c);
void pl_jitter_free(pl_jitter *jb);
/* A packet arrived at `now`. 0 when stored; PL_EFULL when no slot is free,
 * PL_ERANGE when too late/early to play or larger than a slot, PL_ECODEC for
 * a payload that is not an Opus packet, PL_EAGAIN for a duplicate. Every
 * refusal except the duplicate counts in packets_discarded. */
int pl_jitter_push(pl_jitter *jb, pl_time_us now, uint16_t seq, uint32_t rtp_ts,
                   const uint8_t *payload, size_t len);
/* The playout clock ticked: writes the next 10 ms into out (channels and
 * samples set, flags PL_AF_*). Returns 0, or PL_EAGAIN with silence while
 * playout has not begun (no packet yet, or still filling to the target). */
int pl_jitter_pull(pl_jitter *jb, pl_time_us now, pl_audio_frame *out);
/* A redundant copy (an RFC 2198 block) of the frame at rtp_ts, from the
 * packet just pushed; seq is the sequence number the original had (the
 * carrier's minus the block's distance). When that frame is missing and
 * can still play, the copy is stored as if the original had come (it does
 * not count as received, nor feed the delay estimate); otherwise it is a
 * counted discard. Every call counts in fec_packets_received. Returns 0
 * when stored, PL_EAGAIN for a copy of what is here or was played,
 * PL_ERANGE for one before the stream, PL_ECODEC, PL_EFULL. */
int pl_jitter_push_redundant(pl_jitter *jb, pl_time_us now, uint16_t seq, uint32_t rtp_ts,
                             const uint8_t *payload, size_t len);
void pl_jitter_set_concealer(pl_jitter *jb, const pl_concealer_ops *ops, void *self);
void pl_jitter_get_stats(const pl_jitter *jb, pl_jitter_stats *out);
/* Current target delay, and the playout delay of the next sample to play
 * measured against the fastest packet path, in ms. */
int pl_jitter_target_ms(const pl_jitter *jb);
int pl_jitter_delay_ms(const pl_jitter *jb, pl_time_us now);
/* Packets buffered, not yet decoded. */
int pl_jitter_packets(const pl_jitter *jb);

#endif
