/* libopus wrapper: encoder with a 10 ms accumulator, decoder with FEC/PLC,
 * packet inspection. fmtp parsing lives in opus_fmtp.c. */
#include "audio/opus/opus.h"

#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"

struct pl_opus_enc {
  OpusEncoder *enc;
  pl_opus_enc_config cfg;
  int frame_samples;
  int acc_fill; /* samples per channel accumulated by push() */
  pl_time_us acc_capture, last_capture;
  bool last_dtx;
  /* Voice gate (DTX with an external voice detector): the most voiced 10 ms
   * frame of the packet being accumulated (-1: no detector), and how long
   * the detector has said "no voice". */
  float acc_voice;
  int quiet_ms;
  uint64_t gated_packets;
  /* Signal type from a classifier upstream (frame->music_prob): its 10 ms
   * probabilities smoothed (-1: none seen), the mode chosen with
   * hysteresis, the bitrate the caller asked for (the one in force is
   * raised to the music floor while in music mode), mode switches. */
  float music_avg;
  bool music_mode;
  int want_bitrate;
  uint64_t signal_switches;
  float acc[PL_OPUS_MAX_SAMPLES * PL_AUDIO_MAX_CHANNELS];
};

struct pl_opus_dec {
  OpusDecoder *dec;
  int channels;
  int complexity;
  bool bwe;
};

struct pl_opus_dred {
#ifdef PL_OPUS_NEURAL
  OpusDREDDecoder *dd;
  OpusDRED *dred;
#endif
  int cover; /* samples before the parsed packet its DRED reaches */
};

void pl_opus_enc_config_default(pl_opus_enc_config *c, int channels) {
  memset(c, 0, sizeof *c);
  c->channels = channels;
  c->frame_ms = 20;
  c->bitrate = 32000;
  c->application = PL_OPUS_APP_VOIP;
  c->complexity = 9;
  c->fec = true;
  c->packet_loss_pct = 10;
  c->dtx = false;
  c->cbr = false;
  c->max_playback_rate = 0;
}

static int map_err(int oe) {
  switch (oe) {
  case OPUS_BAD_ARG:
    return PL_EINVAL;
  case OPUS_BUFFER_TOO_SMALL:
    return PL_ERANGE;
  case OPUS_ALLOC_FAIL:
    return PL_ENOMEM;
  default:
    return PL_ECODEC;
  }
}

static int bandwidth_for_rate(int rate) {
  if (rate <= 0 || rate > 24000)
    return OPUS_BANDWIDTH_FULLBAND;
  if (rate > 16000)
    return OPUS_BANDWIDTH_SUPERWIDEBAND;
  if (rate > 12000)
    return OPUS_BANDWIDTH_WIDEBAND;
  if (rate > 8000)
    return OPUS_BANDWIDTH_MEDIUMBAND;
  return OPUS_BANDWIDTH_NARROWBAND;
}

static bool config_valid(const pl_opus_enc_config *c) {
  if (c->channels != 1 && c->channels != 2)
    return false;
  if (c->frame_ms != 10 && c->frame_ms != 20 && c->frame_ms != 40 &&
      c->frame_ms != 60)
    return false;
  if (c->bitrate < 6000 || c->bitrate > 510000)
    return false;
  if (c->complexity < 0 || c->complexity > 10)
    return false;
  if (c->packet_loss_pct < 0 || c->packet_loss_pct > 100)
    return false;
  if (c->application != PL_OPUS_APP_VOIP && c->application != PL_OPUS_APP_AUDIO)
    return false;
  if (c->dred_ms < 0 || c->dred_ms > PL_OPUS_DRED_MAX_MS || (c->dred_ms && !pl_opus_neural()))
    return false;
  return c->max_playback_rate >= 0;
}

pl_opus_enc *pl_opus_enc_new(const pl_opus_enc_config *c) {
  if (!c || !config_valid(c))
    return NULL;
  pl_opus_enc *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  int err = 0;
  int app = c->application == PL_OPUS_APP_VOIP ? OPUS_APPLICATION_VOIP
                                               : OPUS_APPLICATION_AUDIO;
  e->enc = opus_encoder_create(PL_OPUS_RTP_CLOCK, c->channels, app, &err);
  if (!e->enc || err != OPUS_OK) {
    free(e);
    return NULL;
  }
  e->cfg = *c;
  e->frame_samples = c->frame_ms * PL_OPUS_RTP_CLOCK / 1000;
  e->music_avg = -1.0f;
  e->want_bitrate = c->bitrate;
  int r = 0;
  r |= opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(c->bitrate));
  r |= opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(c->complexity));
  r |= opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(c->fec ? 1 : 0));
  r |= opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(c->packet_loss_pct));
  r |= opus_encoder_ctl(e->enc, OPUS_SET_DTX(c->dtx ? 1 : 0));
  r |= opus_encoder_ctl(e->enc, OPUS_SET_VBR(c->cbr ? 0 : 1));
  r |= opus_encoder_ctl(e->enc,
                        OPUS_SET_MAX_BANDWIDTH(bandwidth_for_rate(c->max_playback_rate)));
  if (r != OPUS_OK || (c->dred_ms && pl_opus_enc_set_dred(e, c->dred_ms))) {
    pl_opus_enc_free(e);
    return NULL;
  }
  return e;
}

void pl_opus_enc_free(pl_opus_enc *e) {
  if (!e)
    return;
  opus_encoder_destroy(e->enc);
  free(e);
}

int pl_opus_enc_encode(pl_opus_enc *e, const float *pcm, uint8_t *out, size_t cap) {
  if (!e || !pcm || !out || cap < 1)
    return PL_EINVAL;
  if (cap > PL_OPUS_MAX_PACKET * 4)
    cap = PL_OPUS_MAX_PACKET * 4;
  int n = opus_encode_float(e->enc, pcm, e->frame_samples, out, (opus_int32)cap);
  if (n < 0)
    return map_err(n);
  /* libopus signals a DTX frame by a packet of the TOC byte alone (at most
   * two bytes with padding); RFC 7587 3.3 lets the sender skip it. */
  e->last_dtx = n <= 2;
  return n;
}

/* The music floor: CELT needs about this much to carry music without
 * audible artefacts, while the congestion controller's audio share can go
 * down to 16 kbit/s, which suits speech. Never above what the app first
 * configured, so a floor never exceeds the call's own budget. */
static int music_floor(const pl_opus_enc *e) {
  int f = e->cfg.channels == 2 ? PL_OPUS_MUSIC_MIN_BITRATE_STEREO : PL_OPUS_MUSIC_MIN_BITRATE;
  return f < e->cfg.bitrate ? f : e->cfg.bitrate;
}

static int apply_bitrate(pl_opus_enc *e) {
  int b = e->want_bitrate;
  if (e->music_mode && b < music_floor(e))
    b = music_floor(e);
  return opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(b)) == OPUS_OK ? 0 : PL_ECODEC;
}

/* One 10 ms music probability into the smoothed one, and the mode with
 * hysteresis: on above PL_OPUS_MUSIC_ON, off below PL_OPUS_MUSIC_OFF, so a
 * chord under speech or a pause in a song does not flip the codec back and
 * forth (each flip changes SILK/CELT and costs a transition). */
static void follow_music(pl_opus_enc *e, float p) {
  if (p < 0.0f)
    return;
  if (e->music_avg < 0.0f) {
    /* A classifier has started: from voice, so one cold-state frame cannot
     * switch the codec on its own. */
    e->music_avg = 0.0f;
    opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  }
  e->music_avg += PL_OPUS_MUSIC_SMOOTH * (p - e->music_avg);
  bool want = e->music_mode ? e->music_avg > PL_OPUS_MUSIC_OFF : e->music_avg > PL_OPUS_MUSIC_ON;
  if (want == e->music_mode)
    return;
  e->music_mode = want;
  e->signal_switches++;
  opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(want ? OPUS_SIGNAL_MUSIC : OPUS_SIGNAL_VOICE));
  apply_bitrate(e);
}

int pl_opus_enc_push(pl_opus_enc *e, const pl_audio_frame *f, uint8_t *out, size_t cap) {
  if (!e || !f || f->channels != e->cfg.channels || f->samples <= 0 ||
      f->samples > e->frame_samples - e->acc_fill)
    return PL_EINVAL;
  if (e->acc_fill == 0) {
    e->acc_capture = f->capture_us;
    e->acc_voice = -1.0f;
  }
  if (f->voice_prob > e->acc_voice)
    e->acc_voice = f->voice_prob;
  follow_music(e, f->music_prob);
  memcpy(e->acc + e->acc_fill * e->cfg.channels, f->pcm,
         sizeof(float) * (size_t)(f->samples * f->channels));
  e->acc_fill += f->samples;
  if (e->acc_fill < e->frame_samples)
    return 0;
  e->acc_fill = 0;
  e->last_capture = e->acc_capture;
  if (e->cfg.dtx && e->acc_voice >= 0.0f && !e->music_mode) {
    /* A suppressor upstream leaves a little residual noise, which libopus's
     * own detector may call speech and keep coding at full rate. Once the
     * external detector has heard no voice for a hangover (so word endings
     * and short pauses stay coded), the packet is coded as digital silence:
     * libopus then sends DTX frames and the receiver plays comfort noise. */
    if (e->acc_voice < PL_OPUS_VOICE_OFF)
      e->quiet_ms += e->cfg.frame_ms;
    else
      e->quiet_ms = 0;
    if (e->quiet_ms > PL_OPUS_VOICE_HANGOVER_MS) {
      memset(e->acc, 0, sizeof(float) * (size_t)(e->frame_samples * e->cfg.channels));
      e->gated_packets++;
    }
  }
  return pl_opus_enc_encode(e, e->acc, out, cap);
}

pl_time_us pl_opus_enc_packet_capture_us(const pl_opus_enc *e) {
  return e->last_capture;
}

int pl_opus_enc_set_bitrate(pl_opus_enc *e, int bitrate) {
  if (!e || bitrate < 6000 || bitrate > 510000)
    return PL_EINVAL;
  e->want_bitrate = bitrate;
  return apply_bitrate(e);
}

bool pl_opus_enc_music_mode(const pl_opus_enc *e) { return e->music_mode; }
float pl_opus_enc_music_prob(const pl_opus_enc *e) { return e->music_avg; }
uint64_t pl_opus_enc_signal_switches(const pl_opus_enc *e) { return e->signal_switches; }

int pl_opus_enc_bitrate(const pl_opus_enc *e) {
  opus_int32 b = 0;
  if (opus_encoder_ctl(e->enc, OPUS_GET_BITRATE(&b)) != OPUS_OK)
    return PL_ECODEC;
  return (int)b;
}

int pl_opus_enc_set_fec(pl_opus_enc *e, bool on, int packet_loss_pct) {
  if (!e || packet_loss_pct < 0 || packet_loss_pct > 100)
    return PL_EINVAL;
  int r = opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(on ? 1 : 0));
  if (r == OPUS_OK)
    r = opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(packet_loss_pct));
  if (r != OPUS_OK)
    return map_err(r);
  e->cfg.fec = on;
  e->cfg.packet_loss_pct = packet_loss_pct;
  return 0;
}

int pl_opus_enc_set_dtx(pl_opus_enc *e, bool on) {
  if (!e)
    return PL_EINVAL;
  int r = opus_encoder_ctl(e->enc, OPUS_SET_DTX(on ? 1 : 0));
  if (r != OPUS_OK)
    return map_err(r);
  e->cfg.dtx = on;
  return 0;
}

bool pl_opus_enc_last_dtx(const pl_opus_enc *e) { return e->last_dtx; }
uint64_t pl_opus_enc_gated_packets(const pl_opus_enc *e) { return e->gated_packets; }
int pl_opus_enc_frame_samples(const pl_opus_enc *e) { return e->frame_samples; }

int pl_opus_enc_lookahead(const pl_opus_enc *e) {
  opus_int32 la = 0;
  if (opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&la)) != OPUS_OK)
    return PL_ECODEC;
  return (int)la;
}

pl_opus_dec *pl_opus_dec_new(int channels) {
  if (channels != 1 && channels != 2)
    return NULL;
  pl_opus_dec *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  int err = 0;
  d->dec = opus_decoder_create(PL_OPUS_RTP_CLOCK, channels, &err);
  if (!d->dec || err != OPUS_OK) {
    free(d);
    return NULL;
  }
  d->channels = channels;
  return d;
}

void pl_opus_dec_free(pl_opus_dec *d) {
  if (!d)
    return;
  opus_decoder_destroy(d->dec);
  free(d);
}

int pl_opus_dec_channels(const pl_opus_dec *d) { return d->channels; }

int pl_opus_dec_decode(pl_opus_dec *d, const uint8_t *p, size_t n, float *pcm,
                       int max_samples) {
  if (!d || !p || !pcm || n == 0 || max_samples <= 0)
    return PL_EINVAL;
  if (n > 0x7fffffff)
    return PL_ECODEC;
  /* Validate the framing first so a short output buffer and a bad packet
   * are told apart. */
  int ns = pl_opus_packet_samples(p, n);
  if (ns < 0)
    return PL_ECODEC;
  if (ns > max_samples)
    return PL_ERANGE;
  int r = opus_decode_float(d->dec, p, (opus_int32)n, pcm, max_samples, 0);
  return r < 0 ? map_err(r) == PL_ERANGE ? PL_ERANGE : PL_ECODEC : r;
}

static bool samples_ok(int samples) {
  return samples > 0 && samples <= PL_OPUS_MAX_SAMPLES && samples % 120 == 0;
}

int pl_opus_dec_decode_fec(pl_opus_dec *d, const uint8_t *next, size_t n,
                           float *pcm, int samples) {
  if (!d || !next || !pcm || n == 0 || !samples_ok(samples))
    return PL_EINVAL;
  if (n > 0x7fffffff || opus_packet_get_nb_samples(next, (opus_int32)n,
                                                   PL_OPUS_RTP_CLOCK) < 0)
    return PL_ECODEC;
  int r = opus_decode_float(d->dec, next, (opus_int32)n, pcm, samples, 1);
  return r < 0 ? PL_ECODEC : r;
}

int pl_opus_dec_plc(pl_opus_dec *d, float *pcm, int samples) {
  if (!d || !pcm || !samples_ok(samples))
    return PL_EINVAL;
  int r = opus_decode_float(d->dec, NULL, 0, pcm, samples, 0);
  return r < 0 ? PL_ECODEC : r;
}

int pl_opus_dec_last_duration(const pl_opus_dec *d) {
  opus_int32 v = 0;
  if (opus_decoder_ctl(d->dec, OPUS_GET_LAST_PACKET_DURATION(&v)) != OPUS_OK)
    return PL_ECODEC;
  return (int)v;
}

void pl_opus_dec_reset(pl_opus_dec *d) {
  if (d)
    opus_decoder_ctl(d->dec, OPUS_RESET_STATE);
}

int pl_opus_packet_samples(const uint8_t *p, size_t n) {
  if (!p || n == 0 || n > 0x7fffffff)
    return PL_ECODEC;
  /* get_nb_samples reads only the TOC and frame count; parse checks the
   * whole framing (RFC 6716 3.4 rules R1-R7). */
  const unsigned char *frames[48];
  opus_int16 sizes[48];
  if (opus_packet_parse(p, (opus_int32)n, NULL, frames, sizes, NULL) < 0)
    return PL_ECODEC;
  int ns = opus_packet_get_nb_samples(p, (opus_int32)n, PL_OPUS_RTP_CLOCK);
  return ns < 0 || ns > PL_OPUS_MAX_SAMPLES ? PL_ECODEC : ns;
}

int pl_opus_packet_frame_samples(const uint8_t *p, size_t n) {
  if (!p || n == 0)
    return PL_ECODEC;
  return opus_packet_get_samples_per_frame(p, PL_OPUS_RTP_CLOCK);
}

int pl_opus_packet_channels(const uint8_t *p, size_t n) {
  if (!p || n == 0)
    return PL_ECODEC;
  return (p[0] & 0x4) ? 2 : 1;
}

bool pl_opus_packet_has_lbrr(const uint8_t *p, size_t n) {
  if (!p || n < 2 || n > 0x7fffffff)
    return false;
  int config = p[0] >> 3;
  if (config >= 16) /* CELT-only: no SILK layer, no LBRR */
    return false;
  const unsigned char *frames[48];
  opus_int16 sizes[48];
  unsigned char toc;
  int nf = opus_packet_parse(p, (opus_int32)n, &toc, frames, sizes, NULL);
  if (nf < 1 || sizes[0] < 1)
    return false;
  /* SILK codes 1..3 20 ms frames (one 10 ms frame) per Opus frame. Its
   * header is one VAD flag per SILK frame then the LBRR flag, for the mid
   * channel and again for the side channel of a stereo stream, all coded at
   * probability 1/2. The range decoder of RFC 6716 4.1 turns the k-th such
   * symbol at the start of a frame into bit 7-k of the first byte. */
  int fs = opus_packet_get_samples_per_frame(p, PL_OPUS_RTP_CLOCK);
  int silk_frames = fs <= 960 ? 1 : fs / 960;
  unsigned b0 = frames[0][0];
  bool mid = (b0 >> (7 - silk_frames)) & 1u;
  bool side = false;
  if (p[0] & 0x4)
    side = (b0 >> (7 - (2 * silk_frames + 1))) & 1u;
  return mid || side;
}

/* ---- libopus >= 1.5's neural tools (PL_OPUS_NEURAL) ---- */

bool pl_opus_neural(void) {
#ifdef PL_OPUS_NEURAL
  return true;
#else
  return false;
#endif
}

const char *pl_opus_version(void) { return opus_get_version_string(); }

int pl_opus_dec_set_complexity(pl_opus_dec *d, int complexity) {
  if (!d || complexity < 0 || complexity > 10)
    return PL_EINVAL;
  if (complexity && !pl_opus_neural())
    return PL_ENOTSUP;
  if (complexity == d->complexity)
    return 0;
#ifdef PL_OPUS_NEURAL
  int r = opus_decoder_ctl(d->dec, OPUS_SET_COMPLEXITY(complexity));
  if (r != OPUS_OK)
    return map_err(r);
#endif
  d->complexity = complexity;
  return 0;
}

int pl_opus_dec_complexity(const pl_opus_dec *d) { return d ? d->complexity : PL_EINVAL; }

/* The header tells: OPUS_SET_OSCE_BWE exists from 1.6, and our build always
 * configures --enable-osce, which compiles the BWE in with it. */
#if defined(PL_OPUS_NEURAL) && defined(OPUS_SET_OSCE_BWE_REQUEST)
#define PL_OPUS_HAVE_BWE 1
#endif

bool pl_opus_bwe_available(void) {
#ifdef PL_OPUS_HAVE_BWE
  return true;
#else
  return false;
#endif
}

int pl_opus_dec_set_bwe(pl_opus_dec *d, bool on) {
  if (!d)
    return PL_EINVAL;
  if (on && !pl_opus_bwe_available())
    return PL_ENOTSUP;
  if (on == d->bwe)
    return 0;
#ifdef PL_OPUS_HAVE_BWE
  int r = opus_decoder_ctl(d->dec, OPUS_SET_OSCE_BWE(on ? 1 : 0));
  if (r != OPUS_OK)
    return map_err(r);
#endif
  d->bwe = on;
  return 0;
}

bool pl_opus_dec_bwe(const pl_opus_dec *d) { return d && d->bwe; }

int pl_opus_enc_set_dred(pl_opus_enc *e, int dred_ms) {
  if (!e || dred_ms < 0 || dred_ms > PL_OPUS_DRED_MAX_MS)
    return PL_EINVAL;
  if (!pl_opus_neural())
    return dred_ms ? PL_ENOTSUP : 0;
#ifdef PL_OPUS_NEURAL
  /* libopus counts DRED in 10 ms frames. */
  int r = opus_encoder_ctl(e->enc, OPUS_SET_DRED_DURATION((dred_ms + 9) / 10));
  if (r != OPUS_OK)
    return map_err(r);
#endif
  e->cfg.dred_ms = dred_ms;
  return 0;
}

int pl_opus_enc_dred_ms(const pl_opus_enc *e) { return e ? e->cfg.dred_ms : PL_EINVAL; }

int pl_opus_dred_ms_for_loss(double fraction_lost) {
  /* Chosen on the development speech (docs/plc.md, "Opus 1.5"): at 24
   * kbit/s 100 ms scored above 200-1000 ms at 20 % random and bursty loss
   * (libopus spreads the same DRED bits thinner over a longer history), and
   * a buffer holding 40-100 ms never reaches further back; under 5 % loss
   * DRED cost 7.8 kbit/s more for +0.005 STOI, so it stays off there. */
  if (!pl_opus_neural() || !(fraction_lost >= 0.05))
    return 0;
  return 100;
}

pl_opus_dred *pl_opus_dred_new(void) {
#ifdef PL_OPUS_NEURAL
  pl_opus_dred *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  int e1 = 0, e2 = 0;
  r->dd = opus_dred_decoder_create(&e1);
  r->dred = opus_dred_alloc(&e2);
  if (!r->dd || !r->dred || e1 != OPUS_OK || e2 != OPUS_OK) {
    pl_opus_dred_free(r);
    return NULL;
  }
  return r;
#else
  return NULL;
#endif
}

void pl_opus_dred_free(pl_opus_dred *r) {
  if (!r)
    return;
#ifdef PL_OPUS_NEURAL
  opus_dred_decoder_destroy(r->dd);
  opus_dred_free(r->dred);
#endif
  free(r);
}

int pl_opus_dred_parse(pl_opus_dred *r, const uint8_t *p, size_t n) {
  if (!r || !p || n == 0)
    return PL_EINVAL;
  r->cover = 0;
  if (n > 0x7fffffff || pl_opus_packet_samples(p, n) < 0)
    return PL_ECODEC;
#ifdef PL_OPUS_NEURAL
  int end = 0;
  int got = opus_dred_parse(r->dd, r->dred, p, (opus_int32)n, PL_OPUS_RTP_CLOCK,
                            PL_OPUS_RTP_CLOCK, &end, 0);
  if (got < 0)
    return PL_ECODEC;
  r->cover = got;
  return got;
#else
  return 0;
#endif
}

int pl_opus_dec_dred(pl_opus_dec *d, const pl_opus_dred *r, int offset, float *pcm,
                     int samples) {
  if (!d || !r || !pcm || !samples_ok(samples) || offset < samples ||
      offset > PL_OPUS_RTP_CLOCK * 2)
    return PL_EINVAL;
#ifdef PL_OPUS_NEURAL
  int got = opus_decoder_dred_decode_float(d->dec, r->dred, offset, pcm, samples);
  return got == samples ? got : PL_ECODEC;
#else
  return PL_ENOTSUP;
#endif
}
