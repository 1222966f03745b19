/* Training-material tool for the neural PLC: encodes a 48 kHz mono WAV with
 * Opus (24 kbit/s, 20 ms, VOIP, no FEC) through audio/opus and decodes it
 * twice, once with every packet and once dropping the packets a mask marks
 * lost (Opus PLC fills them), so the trainer sees exactly the decoded audio
 * the concealer observes in a call.
 *   plc_codec IN.wav MASK|- CLEAN.f32 LOSSY.f32 [BITRATE]
 * MASK holds one character per 20 ms packet, '1' = lost (missing = '0').
 * Outputs are raw float32 mono, the decoder's timeline (6.5 ms behind IN). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/opus/opus.h"
#include "audio/wav/wav.h"
#include "parley.h"

static char *read_mask(const char *path, size_t *n) {
  *n = 0;
  if (!strcmp(path, "-"))
    return NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *m = malloc((size_t)len + 1);
  if (m && fread(m, 1, (size_t)len, f) == (size_t)len)
    *n = (size_t)len;
  fclose(f);
  return m;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: plc_codec IN.wav MASK|- CLEAN.f32 LOSSY.f32 [BITRATE]\n");
    return 2;
  }
  int bitrate = argc > 5 ? atoi(argv[5]) : 24000;
  float *x = NULL;
  pl_wav_info info;
  int rc = pl_wav_read_file(argv[1], &x, &info);
  if (rc || info.rate != 48000 || info.channels != 1) {
    fprintf(stderr, "plc_codec: %s: need 48 kHz mono (%s)\n", argv[1], pl_strerror(rc));
    return 1;
  }
  size_t nmask = 0;
  char *mask = read_mask(argv[2], &nmask);
  if (strcmp(argv[2], "-") && !mask) {
    fprintf(stderr, "plc_codec: cannot read mask %s\n", argv[2]);
    return 1;
  }
  pl_opus_enc_config c;
  pl_opus_enc_config_default(&c, 1);
  c.bitrate = bitrate;
  c.fec = false;
  c.packet_loss_pct = 0;
  pl_opus_enc *enc = pl_opus_enc_new(&c);
  pl_opus_dec *d0 = pl_opus_dec_new(1), *d1 = pl_opus_dec_new(1);
  FILE *f0 = fopen(argv[3], "wb"), *f1 = fopen(argv[4], "wb");
  if (!enc || !d0 || !d1 || !f0 || !f1) {
    fprintf(stderr, "plc_codec: setup failed\n");
    return 1;
  }
  const int fs = 960;
  size_t packets = (info.frames + fs - 1) / fs;
  float in[960], out[PL_OPUS_MAX_SAMPLES];
  uint8_t pkt[PL_OPUS_MAX_PACKET];
  for (size_t p = 0; p < packets; p++) {
    for (int i = 0; i < fs; i++) {
      size_t k = p * fs + (size_t)i;
      in[i] = k < info.frames ? x[k] : 0.0f;
    }
    int n = pl_opus_enc_encode(enc, in, pkt, sizeof pkt);
    if (n < 0) {
      fprintf(stderr, "plc_codec: encode: %s\n", pl_strerror(n));
      return 1;
    }
    int m = pl_opus_dec_decode(d0, pkt, (size_t)n, out, PL_OPUS_MAX_SAMPLES);
    if (m != fs || fwrite(out, sizeof(float), (size_t)m, f0) != (size_t)m)
      return 1;
    bool lost = p < nmask && mask[p] == '1';
    m = lost ? pl_opus_dec_plc(d1, out, fs)
             : pl_opus_dec_decode(d1, pkt, (size_t)n, out, PL_OPUS_MAX_SAMPLES);
    if (m != fs || fwrite(out, sizeof(float), (size_t)m, f1) != (size_t)m)
      return 1;
  }
  fclose(f0);
  fclose(f1);
  pl_opus_enc_free(enc);
  pl_opus_dec_free(d0);
  pl_opus_dec_free(d1);
  free(mask);
  free(x);
  return 0;
}
