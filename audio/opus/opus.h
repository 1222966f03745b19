/* Opus for the media graph (RFC 6716 codec, RFC 7587 RTP payload): an encoder
 * that takes 10 ms graph frames and emits one packet per frame_ms, a decoder
 * with in-band FEC and PLC, packet inspection, and the SDP fmtp parameters.
 * Everything runs at 48 kHz, the RTP clock of Opus whatever the audio band. */
#ifndef PL_AUDIO_OPUS_H
#define PL_AUDIO_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio/frame.h"
#include "base/time.h"

#define PL_OPUS_RTP_CLOCK 48000   /* RFC 7587 4.1: always 48000 */
#define PL_OPUS_MAX_PACKET 1500   /* bytes; one packet per RTP datagram */
#define PL_OPUS_MAX_SAMPLES 5760  /* 120 ms at 48 kHz, the longest packet */
#define PL_OPUS_LOOKAHEAD 312     /* encoder delay at 48 kHz (2.5 + 4 ms) */

typedef enum {
  PL_OPUS_APP_VOIP,  /* speech: SILK/hybrid favoured, HP filter, more PLC-friendly */
  PL_OPUS_APP_AUDIO, /* music / wideband content: CELT favoured */
} pl_opus_app;

typedef struct pl_opus_enc_config {
  int channels;        /* 1 or 2 */
  int frame_ms;        /* 10, 20, 40 or 60 */
  int bitrate;         /* bit/s, 6000..510000 */
  pl_opus_app application;
  int complexity;      /* 0..10 */
  bool fec;            /* in-band FEC (LBRR); needs packet_loss_pct > 0 */
  int packet_loss_pct; /* expected loss, 0..100: sizes the LBRR */
  bool dtx;            /* discontinuous transmission on silence */
  bool cbr;            /* false: constrained VBR (libopus default) */
  int max_playback_rate; /* Hz, 0 = 48000: caps the coded audio band to
                          * what the remote plays (its maxplaybackrate) */
  int dred_ms;         /* DRED history per packet, 0 (off) .. PL_OPUS_DRED_MAX_MS;
                        * needs libopus >= 1.5 (pl_opus_neural) */
} pl_opus_enc_config;

typedef struct pl_opus_enc pl_opus_enc;
typedef struct pl_opus_dec pl_opus_dec;

/* Defaults for real-time speech: VOIP, 20 ms, 32 kbit/s, complexity 9,
 * FEC on for 10 % expected loss, DTX off, VBR. */
void pl_opus_enc_config_default(pl_opus_enc_config *c, int channels);
/* NULL when the config is invalid or libopus refuses it. */
pl_opus_enc *pl_opus_enc_new(const pl_opus_enc_config *c);
void pl_opus_enc_free(pl_opus_enc *e);
/* Encodes one whole frame (frame_samples per channel, interleaved) into out;
 * returns the packet length (1..cap) or PL_E*. A DTX packet is 1-2 bytes and
 * need not be sent (RFC 7587 3.3): see pl_opus_enc_last_dtx. */
int pl_opus_enc_encode(pl_opus_enc *e, const float *pcm, uint8_t *out, size_t cap);
/* Accumulates one 10 ms graph frame; returns 0 while the packet is not yet
 * full, the packet length when one was produced, or PL_E* (wrong channel
 * count or frame size). With DTX on, a frame's voice_prob (set by a voice
 * detector upstream, such as the denoise stage) gates the encoder: after
 * PL_OPUS_VOICE_HANGOVER_MS of frames under PL_OPUS_VOICE_OFF the packet is
 * coded as silence, so libopus goes to DTX. voice_prob < 0 (no detector)
 * leaves libopus's own decision alone. */
#define PL_OPUS_VOICE_OFF 0.2f
#define PL_OPUS_VOICE_HANGOVER_MS 200
int pl_opus_enc_push(pl_opus_enc *e, const pl_audio_frame *f, uint8_t *out, size_t cap);
/* Capture time of the first frame of the last packet push() produced. */
pl_time_us pl_opus_enc_packet_capture_us(const pl_opus_enc *e);
/* Signal type from a classifier upstream (the classify stage sets each
 * frame's music_prob): push() smooths it (PL_OPUS_MUSIC_SMOOTH per 10 ms,
 * a 200 ms time constant) and switches libopus to OPUS_SIGNAL_MUSIC above
 * PL_OPUS_MUSIC_ON and back to OPUS_SIGNAL_VOICE below PL_OPUS_MUSIC_OFF.
 * In music mode the bitrate in force is at least the music floor (capped
 * at the bitrate the encoder was created with) and the DTX voice gate is
 * off. music_prob < 0 (no classifier) leaves libopus's own choice alone. */
#define PL_OPUS_MUSIC_ON 0.6f
#define PL_OPUS_MUSIC_OFF 0.3f
#define PL_OPUS_MUSIC_SMOOTH 0.05f
#define PL_OPUS_MUSIC_MIN_BITRATE 24000
#define PL_OPUS_MUSIC_MIN_BITRATE_STEREO 40000
bool pl_opus_enc_music_mode(const pl_opus_enc *e);
float pl_opus_enc_music_prob(const pl_opus_enc *e); /* smoothed, -1 none */
uint64_t pl_opus_enc_signal_switches(const pl_opus_enc *e);
int pl_opus_enc_bitrate(const pl_opus_enc *e); /* in force (libopus's), or PL_E* */
/* The bitrate the caller wants (the music floor may raise what is used). */
int pl_opus_enc_set_bitrate(pl_opus_enc *e, int bitrate);
int pl_opus_enc_set_fec(pl_opus_enc *e, bool on, int packet_loss_pct);
int pl_opus_enc_set_dtx(pl_opus_enc *e, bool on);
bool pl_opus_enc_last_dtx(const pl_opus_enc *e);
/* Packets the voice gate coded as silence (see pl_opus_enc_push). */
uint64_t pl_opus_enc_gated_packets(const pl_opus_enc *e);
int pl_opus_enc_frame_samples(const pl_opus_enc *e); /* per channel */
int pl_opus_enc_lookahead(const pl_opus_enc *e);     /* samples at 48 kHz */

/* Decoder at 48 kHz with 1 or 2 output channels (a mono stream decodes to
 * stereo and back as RFC 7587 3.4 requires). NULL on bad channels. */
pl_opus_dec *pl_opus_dec_new(int channels);
void pl_opus_dec_free(pl_opus_dec *d);
int pl_opus_dec_channels(const pl_opus_dec *d);
/* Decodes a packet into pcm (room for max_samples per channel); returns the
 * samples per channel, PL_ECODEC for a malformed packet, PL_ERANGE when
 * max_samples is too small or PL_EINVAL for an empty one. A 1-byte packet
 * (a DTX frame, TOC only) decodes to comfort noise of its duration. */
int pl_opus_dec_decode(pl_opus_dec *d, const uint8_t *p, size_t n, float *pcm,
                       int max_samples);
/* Recovers a lost packet of `samples` per channel (a multiple of 120) from
 * the LBRR data in the packet after it. Where that packet has no LBRR libopus
 * conceals instead: check pl_opus_packet_has_lbrr first. */
int pl_opus_dec_decode_fec(pl_opus_dec *d, const uint8_t *next, size_t n,
                           float *pcm, int samples);
/* Packet loss concealment (or DTX comfort noise) for `samples` per channel,
 * a multiple of 120 up to PL_OPUS_MAX_SAMPLES. */
int pl_opus_dec_plc(pl_opus_dec *d, float *pcm, int samples);
/* Duration of the last packet decoded or concealed, per channel. */
int pl_opus_dec_last_duration(const pl_opus_dec *d);
void pl_opus_dec_reset(pl_opus_dec *d);

/* libopus >= 1.5's neural tools, present when the build found it
 * (PL_OPUS_NEURAL: scripts/build-opus.sh; the system's 1.3.1 has none):
 *  - deep PLC: decoder complexity >= 5 conceals with a neural vocoder;
 *  - LACE (complexity 6) and NoLACE (7): neural post-filters of SILK's
 *    output, worth most at low bitrates;
 *  - DRED ("deep redundancy"): each packet carries up to 1 s of very-low-rate
 *    history in its padding extension (ignored by older decoders and by
 *    browsers); after a loss, the first packet that arrives rebuilds what was
 *    lost before it. The encoder takes the bits out of its own bitrate. */
#define PL_OPUS_DRED_MAX_MS 1000
#define PL_OPUS_DEC_COMPLEXITY_PLC 5   /* deep PLC */
#define PL_OPUS_DEC_COMPLEXITY_LACE 6
#define PL_OPUS_DEC_COMPLEXITY_NOLACE 7
bool pl_opus_neural(void);           /* deep PLC, DRED and OSCE all built in */
const char *pl_opus_version(void);   /* libopus's own version string */
/* Decoder complexity 0..10; PL_ENOTSUP for anything but 0 without
 * pl_opus_neural (1.3.1 ignores it: no decoder tool depends on it there). */
int pl_opus_dec_set_complexity(pl_opus_dec *d, int complexity);
int pl_opus_dec_complexity(const pl_opus_dec *d);
/* libopus >= 1.6's blind bandwidth extension (OSCE BWE): a small network in
 * the decoder that extends wideband SILK (8 kHz of audio, what Opus codes
 * below about 16 kbit/s) to full band when decoding at 48 kHz; hybrid and
 * CELT packets pass unchanged, and libopus cross-fades in and out when the
 * coded bandwidth changes. It runs at decoder complexity >= 4 only.
 * pl_opus_bwe_available: built in (false with 1.5 or 1.3.1). */
bool pl_opus_bwe_available(void);
/* PL_ENOTSUP when not available (on = false is always accepted). */
int pl_opus_dec_set_bwe(pl_opus_dec *d, bool on);
bool pl_opus_dec_bwe(const pl_opus_dec *d);
/* DRED history the encoder puts in each packet (0 turns it off); the encoder
 * spends on it a share of the bitrate that grows with packet_loss_pct (set
 * by pl_opus_enc_set_fec). PL_ENOTSUP without pl_opus_neural. */
int pl_opus_enc_set_dred(pl_opus_enc *e, int dred_ms);
int pl_opus_enc_dred_ms(const pl_opus_enc *e);
/* The DRED duration for a loss rate (0..1) the receiver reports: none on a
 * clean link, more history the more is lost (docs/plc.md, "DRED"). */
int pl_opus_dred_ms_for_loss(double fraction_lost);

/* DRED decoding state, sized once (about 30 KB): one packet's DRED at a time. */
typedef struct pl_opus_dred pl_opus_dred;
/* NULL without pl_opus_neural, or when memory is short. */
pl_opus_dred *pl_opus_dred_new(void);
void pl_opus_dred_free(pl_opus_dred *r);
/* Reads the DRED of packet p (any packet; the padding extension is skipped
 * by normal decoding) and returns how far back before p's first sample it
 * reaches, in samples at 48 kHz (0: p has none), or PL_ECODEC. */
int pl_opus_dred_parse(pl_opus_dred *r, const uint8_t *p, size_t n);
/* Decodes `samples` per channel (a multiple of 120) of lost audio starting
 * `offset` samples before the first sample of the packet last parsed into r
 * (offset >= samples), continuing the decoder's state as a decode would. The
 * part of it r does not reach is concealed (deep PLC). Returns `samples`. */
int pl_opus_dec_dred(pl_opus_dec *d, const pl_opus_dred *r, int offset, float *pcm,
                     int samples);

/* Packet inspection without decoding (RFC 6716 3.1-3.2). */
int pl_opus_packet_samples(const uint8_t *p, size_t n);        /* per channel, or PL_ECODEC */
int pl_opus_packet_frame_samples(const uint8_t *p, size_t n);  /* one Opus frame */
int pl_opus_packet_channels(const uint8_t *p, size_t n);       /* 1 or 2, or PL_ECODEC */
/* True when the first Opus frame carries LBRR (in-band FEC) data for the
 * previous packet: the SILK LBRR flags of RFC 6716 4.2.3/4.2.4. */
bool pl_opus_packet_has_lbrr(const uint8_t *p, size_t n);

/* RFC 7587 7.1 format parameters ("a=fmtp:111 minptime=10;useinbandfec=1").
 * Absent parameters keep the defaults the RFC gives. */
typedef struct pl_opus_fmtp {
  int maxplaybackrate;    /* Hz, default 48000 */
  int sprop_maxcapturerate; /* Hz, default 48000 */
  int maxptime;           /* ms, 0 = absent */
  int ptime;              /* ms, 0 = absent */
  int minptime;           /* ms, 0 = absent */
  int maxaveragebitrate;  /* bit/s, 0 = absent */
  bool stereo;            /* receiver prefers stereo, default false */
  bool sprop_stereo;      /* sender likely sends stereo, default false */
  bool cbr;               /* default false */
  bool useinbandfec;      /* receiver can use FEC, default false */
  bool usedtx;            /* receiver prefers DTX, default false */
} pl_opus_fmtp;

void pl_opus_fmtp_default(pl_opus_fmtp *f);
/* Parses "k=v;k=v" (blanks around tokens allowed, unknown keys ignored as
 * RFC 7587 7.1 asks). PL_EPARSE for a malformed pair or number, PL_ERANGE
 * for a value the RFC does not allow. f is left at defaults on error. */
int pl_opus_fmtp_parse(pl_opus_fmtp *f, const char *s, size_t n);
/* Writes every non-default parameter as "k=v;k=v" with a NUL; returns the
 * length, or PL_ETRUNC when cap is too small. */
int pl_opus_fmtp_format(const pl_opus_fmtp *f, char *buf, size_t cap);
/* Applies what the remote receiver asked for (its fmtp) to our encoder
 * config: stereo, FEC, DTX, CBR, bitrate cap, audio band, ptime. */
void pl_opus_fmtp_apply(const pl_opus_fmtp *remote, pl_opus_enc_config *c);

#endif
