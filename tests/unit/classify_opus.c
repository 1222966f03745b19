/* The Opus wrapper follows a classifier's music probability: music mode
 * (OPUS_SIGNAL_MUSIC, the music bitrate floor, no DTX voice gate) after a
 * few hundred ms of music, back to voice after as long without, and no
 * flapping between the two thresholds; nothing changes without a
 * classifier (music_prob -1). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "audio/opus/opus.h"
#include "parley.h"

static pl_opus_enc *enc(int bitrate, bool dtx) {
  pl_opus_enc_config c;
  pl_opus_enc_config_default(&c, 1);
  c.bitrate = bitrate;
  c.dtx = dtx;
  pl_opus_enc *e = pl_opus_enc_new(&c);
  cr_assert_not_null(e);
  return e;
}

/* Pushes `frames` 10 ms frames of a quiet tone with the given music and
 * voice probabilities; returns the 10 ms frame (1-based) at which music
 * mode changed, or 0. */
static int push(pl_opus_enc *e, int frames, float music, float voice) {
  static double ph;
  uint8_t pkt[PL_OPUS_MAX_PACKET];
  bool was = pl_opus_enc_music_mode(e);
  int changed = 0;
  for (int t = 0; t < frames; t++) {
    pl_audio_frame f;
    pl_audio_frame_init(&f, 1);
    for (int i = 0; i < PL_AUDIO_FRAME_SAMPLES; i++, ph += 2 * M_PI * 440 / 48000)
      f.pcm[i] = 0.1f * (float)sin(ph);
    f.music_prob = music;
    f.voice_prob = voice;
    cr_assert_geq(pl_opus_enc_push(e, &f, pkt, sizeof pkt), 0);
    if (!changed && pl_opus_enc_music_mode(e) != was)
      changed = t + 1;
  }
  return changed;
}

Test(classify_opus, music_switches_on_within_300_ms_and_off_within_400_ms) {
  pl_opus_enc *e = enc(32000, false);
  cr_assert_eq(push(e, 100, 0.0f, 0.9f), 0);
  cr_assert(!pl_opus_enc_music_mode(e));
  int on = push(e, 100, 0.95f, 0.05f);
  cr_assert(on > 0 && on <= 30, "music mode after %d frames", on);
  int off = push(e, 100, 0.05f, 0.9f);
  cr_assert(off > 0 && off <= 40, "voice mode after %d frames", off);
  cr_assert_eq(pl_opus_enc_signal_switches(e), 2);
  pl_opus_enc_free(e);
}

Test(classify_opus, between_the_thresholds_the_mode_holds) {
  pl_opus_enc *e = enc(32000, false);
  push(e, 100, 0.95f, 0.0f);
  cr_assert(pl_opus_enc_music_mode(e));
  cr_assert_eq(push(e, 300, 0.45f, 0.5f), 0, "0.45 keeps music");
  push(e, 100, 0.0f, 0.9f);
  cr_assert(!pl_opus_enc_music_mode(e));
  cr_assert_eq(push(e, 300, 0.45f, 0.5f), 0, "0.45 keeps voice");
  cr_assert_eq(pl_opus_enc_signal_switches(e), 2);
  pl_opus_enc_free(e);
}

Test(classify_opus, music_mode_raises_the_bitrate_to_its_floor_and_not_past_the_configured_rate) {
  pl_opus_enc *e = enc(64000, false);
  cr_assert_eq(pl_opus_enc_set_bitrate(e, 16000), 0); /* the congestion controller's share */
  cr_assert_eq(pl_opus_enc_bitrate(e), 16000);
  push(e, 50, 1.0f, 0.0f);
  cr_assert(pl_opus_enc_music_mode(e));
  cr_assert_eq(pl_opus_enc_bitrate(e), PL_OPUS_MUSIC_MIN_BITRATE);
  cr_assert_eq(pl_opus_enc_set_bitrate(e, 48000), 0, "above the floor: as asked");
  cr_assert_eq(pl_opus_enc_bitrate(e), 48000);
  cr_assert_eq(pl_opus_enc_set_bitrate(e, 12000), 0);
  cr_assert_eq(pl_opus_enc_bitrate(e), PL_OPUS_MUSIC_MIN_BITRATE);
  push(e, 60, 0.0f, 1.0f);
  cr_assert(!pl_opus_enc_music_mode(e));
  cr_assert_eq(pl_opus_enc_bitrate(e), 12000, "voice: the share as set");
  pl_opus_enc_free(e);
  /* An app that configured 20 kbit/s is never raised above it. */
  e = enc(20000, false);
  push(e, 50, 1.0f, 0.0f);
  cr_assert(pl_opus_enc_music_mode(e));
  cr_assert_eq(pl_opus_enc_bitrate(e), 20000);
  pl_opus_enc_free(e);
}

Test(classify_opus, music_is_never_gated_as_silence_and_no_classifier_changes_nothing) {
  /* DTX with the voice detector saying "no voice": a song must still be
   * coded, not replaced by comfort noise. */
  pl_opus_enc *e = enc(32000, true);
  push(e, 100, 1.0f, 0.0f);
  uint64_t gated = pl_opus_enc_gated_packets(e);
  push(e, 100, 1.0f, 0.0f);
  cr_assert_eq(pl_opus_enc_gated_packets(e), gated, "music mode: no gating");
  pl_opus_enc_free(e);
  e = enc(32000, false);
  cr_assert_eq(push(e, 200, -1.0f, -1.0f), 0);
  cr_assert(!pl_opus_enc_music_mode(e));
  cr_assert_lt(pl_opus_enc_music_prob(e), 0.0f);
  cr_assert_eq(pl_opus_enc_signal_switches(e), 0);
  pl_opus_enc_free(e);
}
