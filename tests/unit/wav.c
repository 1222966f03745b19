/* WAV reader/writer: byte-exact round trips of every format, hand-built
 * files for the corner cases (unknown and odd chunks, streamed and
 * truncated data, RF64, EXTENSIBLE) and clear rejection of bad files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/wav/wav.h"
#include "base/bytes.h"
#include "parley.h"

static char tmpdir[64];

static void setup(void) {
  strcpy(tmpdir, "/tmp/pl_wav_XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(wav, .init = setup, .fini = teardown);

static const char *path(const char *name) {
  static char p[128];
  snprintf(p, sizeof p, "%s/%s", tmpdir, name);
  return p;
}

static uint8_t *slurp(const char *p, size_t *n) {
  FILE *f = fopen(p, "rb");
  cr_assert_not_null(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*n ? *n : 1);
  cr_assert_eq(fread(b, 1, *n, f), *n);
  fclose(f);
  return b;
}

/* A builder for hand-made files. */
typedef struct wbuf {
  uint8_t b[4096];
  size_t n;
} wbuf;

static void put(wbuf *w, const void *p, size_t n) {
  memcpy(w->b + w->n, p, n);
  w->n += n;
}
static void put32(wbuf *w, uint32_t v) {
  pl_put_le32(w->b + w->n, v);
  w->n += 4;
}
static void put16(wbuf *w, uint16_t v) {
  pl_put_le16(w->b + w->n, v);
  w->n += 2;
}
static void riff(wbuf *w) {
  put(w, "RIFF", 4);
  put32(w, 0); /* fixed by finish() */
  put(w, "WAVE", 4);
}
static void fmt16(wbuf *w, uint16_t tag, uint16_t ch, uint32_t rate,
                  uint16_t bits) {
  put(w, "fmt ", 4);
  put32(w, 16);
  put16(w, tag);
  put16(w, ch);
  put32(w, rate);
  put32(w, rate * ch * bits / 8);
  put16(w, (uint16_t)(ch * bits / 8));
  put16(w, bits);
}
static void finish(wbuf *w) { pl_put_le32(w->b + 4, (uint32_t)(w->n - 8)); }

/* Values on each format's exact grid, so the round trip is lossless. */
static float grid_value(pl_wav_format f, size_t i) {
  int k = (int)(i * 7919 % 255) - 127; /* -127..127 */
  switch (f) {
  case PL_WAV_PCM_U8: return (float)k / 128.0f;
  case PL_WAV_PCM_S16: return (float)(k * 251) / 32768.0f;
  case PL_WAV_PCM_S24: return (float)(k * 65521) / 8388608.0f;
  case PL_WAV_PCM_S32: return (float)k * 16777216.0f / 2147483648.0f;
  default: return (float)k / 131.0f;
  }
}

Test(wav, every_format_and_layout_round_trips_exactly) {
  const pl_wav_format fmts[] = {PL_WAV_PCM_U8, PL_WAV_PCM_S16,
                                PL_WAV_PCM_S24, PL_WAV_PCM_S32,
                                PL_WAV_FLOAT32, PL_WAV_FLOAT64};
  const int chans[] = {1, 2, 3, 8};
  const int rates[] = {8000, 44100, 384000};
  for (size_t fi = 0; fi < 6; fi++)
    for (int ext = 0; ext < 2; ext++)
      for (size_t ci = 0; ci < 4; ci++) {
        pl_wav_spec spec = {rates[(fi + ci) % 3], chans[ci], fmts[fi], ext};
        size_t frames = 1001, n = frames * (size_t)spec.channels;
        float *x = malloc(n * sizeof *x);
        for (size_t i = 0; i < n; i++)
          x[i] = grid_value(spec.format, i);
        cr_assert_eq(pl_wav_write_file(path("a.wav"), &spec, x, frames), 0);
        float *y;
        pl_wav_info info;
        cr_assert_eq(pl_wav_read_file(path("a.wav"), &y, &info), 0, "%s",
                     info.error);
        cr_assert_eq(info.rate, spec.rate);
        cr_assert_eq(info.channels, spec.channels);
        cr_assert_eq(info.format, spec.format);
        cr_assert_eq(info.extensible, (bool)ext);
        cr_assert_eq(info.frames, frames);
        cr_assert_eq(info.frames_declared, frames);
        cr_assert(!info.truncated && !info.streamed);
        cr_assert_eq(memcmp(x, y, n * sizeof *x), 0, "%s ext=%d ch=%d",
                     pl_wav_format_name(spec.format), ext, spec.channels);
        /* Writing what was read gives the same bytes again. */
        cr_assert_eq(pl_wav_write_file(path("b.wav"), &spec, y, frames), 0);
        size_t na, nb;
        uint8_t *a = slurp(path("a.wav"), &na), *b = slurp(path("b.wav"), &nb);
        cr_assert_eq(na, nb);
        cr_assert_eq(memcmp(a, b, na), 0);
        cr_assert_eq(na % 2, 0, "RIFF chunks are word aligned");
        free(a);
        free(b);
        free(x);
        free(y);
      }
}

Test(wav, pcm16_mono_header_is_the_canonical_44_bytes) {
  float x[3] = {0.5f, -1.0f, 0.0f};
  pl_wav_spec spec = {16000, 1, PL_WAV_PCM_S16, false};
  cr_assert_eq(pl_wav_write_file(path("c.wav"), &spec, x, 3), 0);
  size_t n;
  uint8_t *b = slurp(path("c.wav"), &n);
  static const uint8_t want[] = {
      'R', 'I', 'F', 'F', 42, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ',
      16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0x00, 0x7d, 0, 0, 2, 0, 16, 0,
      'd', 'a', 't', 'a', 6, 0, 0, 0, 0x00, 0x40, 0x00, 0x80, 0x00, 0x00};
  cr_assert_eq(n, sizeof want);
  cr_assert_eq(memcmp(b, want, n), 0);
  free(b);
}

Test(wav, integer_writes_clip_and_round) {
  float x[6] = {1.5f, -2.0f, 1.0f, 0.49f / 32768.0f, 0.51f / 32768.0f, NAN};
  pl_wav_spec spec = {8000, 1, PL_WAV_PCM_S16, false};
  cr_assert_eq(pl_wav_write_file(path("d.wav"), &spec, x, 6), 0);
  size_t n;
  uint8_t *b = slurp(path("d.wav"), &n);
  int16_t want[6] = {32767, -32768, 32767, 0, 1, 0};
  for (int i = 0; i < 6; i++)
    cr_assert_eq((int16_t)pl_le16(b + 44 + 2 * i), want[i], "sample %d", i);
  free(b);
}

Test(wav, decodes_known_sample_values_of_each_integer_width) {
  wbuf w = {0};
  riff(&w);
  fmt16(&w, 1, 1, 8000, 24);
  put(&w, "data", 4);
  put32(&w, 9);
  const uint8_t s24[9] = {0xff, 0xff, 0x7f, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff};
  put(&w, s24, 9);
  put(&w, "\0", 1); /* pad */
  finish(&w);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0, "%s", info.error);
  cr_assert_eq(info.frames, 3);
  cr_assert_eq(y[0], 8388607.0f / 8388608.0f);
  cr_assert_eq(y[1], -1.0f);
  cr_assert_eq(y[2], -1.0f / 8388608.0f);
  free(y);

  wbuf u = {0};
  riff(&u);
  fmt16(&u, 1, 1, 8000, 8);
  put(&u, "data", 4);
  put32(&u, 3);
  put(&u, "\x00\x80\xff", 3);
  put(&u, "\0", 1);
  finish(&u);
  cr_assert_eq(pl_wav_parse_memory(u.b, u.n, &y, &info), 0);
  cr_assert_eq(y[0], -1.0f);
  cr_assert_eq(y[1], 0.0f);
  cr_assert_eq(y[2], 127.0f / 128.0f);
  free(y);
}

Test(wav, skips_unknown_and_odd_sized_chunks) {
  wbuf w = {0};
  riff(&w);
  put(&w, "JUNK", 4);
  put32(&w, 5);
  put(&w, "abcde\0", 6); /* odd size + pad byte */
  fmt16(&w, 1, 2, 48000, 16);
  put(&w, "LIST", 4);
  put32(&w, 3);
  put(&w, "xyz\0", 4);
  put(&w, "data", 4);
  put32(&w, 8);
  put16(&w, 0x4000);
  put16(&w, 0xC000);
  put16(&w, 0x2000);
  put16(&w, 0xE000);
  put(&w, "cue ", 4); /* trailing chunk after data is not audio */
  put32(&w, 4);
  put32(&w, 0);
  finish(&w);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0, "%s", info.error);
  cr_assert_eq(info.channels, 2);
  cr_assert_eq(info.frames, 2);
  cr_assert_eq(y[0], 0.5f);
  cr_assert_eq(y[1], -0.5f);
  cr_assert_eq(y[2], 0.25f);
  cr_assert_eq(y[3], -0.25f);
  free(y);
}

static void streamed_case(uint32_t size_field) {
  wbuf w = {0};
  riff(&w);
  fmt16(&w, 1, 1, 16000, 16);
  put(&w, "data", 4);
  put32(&w, size_field);
  for (int i = 0; i < 5; i++)
    put16(&w, (uint16_t)(i * 1000));
  pl_put_le32(w.b + 4, 0xFFFFFFFFu);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0, "%s", info.error);
  cr_assert(info.streamed);
  cr_assert(!info.truncated);
  cr_assert_eq(info.frames, 5);
  cr_assert_eq(info.frames_declared, 0);
  cr_assert_eq(y[4], 4000.0f / 32768.0f);
  free(y);
}

Test(wav, data_size_0_or_ffffffff_reads_to_end_of_file) {
  streamed_case(0);
  streamed_case(0xFFFFFFFFu);
}

Test(wav, truncated_data_is_read_and_reported) {
  wbuf w = {0};
  riff(&w);
  fmt16(&w, 1, 2, 16000, 16);
  put(&w, "data", 4);
  put32(&w, 400); /* 100 frames declared */
  for (int i = 0; i < 11; i++)
    put16(&w, (uint16_t)i); /* 5 frames and half of a sixth */
  finish(&w);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0);
  cr_assert(info.truncated);
  cr_assert(!info.streamed);
  cr_assert_eq(info.frames, 5);
  cr_assert_eq(info.frames_declared, 100);
  cr_assert_eq(y[9], 9.0f / 32768.0f);
  cr_assert_eq(info.stray_bytes, 2); /* the half frame */
  free(y);
}

/* A data chunk whose size is not a multiple of the block align, all of it
 * present (then the RIFF pad byte): every declared whole frame is there,
 * so the file is not truncated; the stray byte is counted, not read. */
Test(wav, odd_data_size_is_stray_bytes_not_truncation) {
  wbuf w = {0};
  riff(&w);
  fmt16(&w, 1, 1, 16000, 16);
  put(&w, "data", 4);
  put32(&w, 2 * 1000 + 1);
  for (int i = 0; i < 1000; i++)
    put16(&w, (uint16_t)i);
  put(&w, "\x7f\0", 2); /* the stray byte, then the pad byte */
  finish(&w);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0);
  cr_assert(!info.truncated, "all 1000 declared frames are present");
  cr_assert_eq(info.frames, 1000);
  cr_assert_eq(info.frames_declared, 1000);
  cr_assert_eq(info.stray_bytes, 1);
  cr_assert_eq(y[999], 999.0f / 32768.0f);
  free(y);
}

Test(wav, float_nan_and_inf_become_zero_and_are_counted) {
  float x[6] = {0.25f, NAN, INFINITY, -INFINITY, -0.5f, 1e30f};
  pl_wav_spec spec = {48000, 2, PL_WAV_FLOAT32, false};
  cr_assert_eq(pl_wav_write_file(path("n.wav"), &spec, x, 3), 0);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_read_file(path("n.wav"), &y, &info), 0);
  cr_assert_eq(info.nonfinite, 3);
  float want[6] = {0.25f, 0, 0, 0, -0.5f, 1e30f};
  cr_assert_eq(memcmp(y, want, sizeof want), 0);
  free(y);
  double d[2] = {1e300, 0.125};
  wbuf w = {0};
  riff(&w);
  fmt16(&w, 3, 1, 8000, 64);
  put(&w, "data", 4);
  put32(&w, 16);
  for (int i = 0; i < 2; i++) {
    uint64_t u;
    memcpy(&u, &d[i], 8);
    pl_put_le64(w.b + w.n, u);
    w.n += 8;
  }
  finish(&w);
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0);
  cr_assert_eq(info.nonfinite, 1, "a double beyond float range is Inf");
  cr_assert_eq(y[0], 0.0f);
  cr_assert_eq(y[1], 0.125f);
  free(y);
}

Test(wav, extensible_24_in_32_and_rf64_are_read) {
  wbuf w = {0};
  riff(&w);
  put(&w, "fmt ", 4);
  put32(&w, 40);
  put16(&w, 0xFFFE);
  put16(&w, 1);
  put32(&w, 96000);
  put32(&w, 96000 * 4);
  put16(&w, 4);
  put16(&w, 32);
  put16(&w, 22);
  put16(&w, 24); /* valid bits */
  put32(&w, 4);
  put(&w, "\x01\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71",
      16);
  put(&w, "data", 4);
  put32(&w, 4);
  put32(&w, 0x40000000u);
  finish(&w);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(w.b, w.n, &y, &info), 0, "%s", info.error);
  cr_assert(info.extensible);
  cr_assert_eq(info.valid_bits, 24);
  cr_assert_eq(info.format, PL_WAV_PCM_S32);
  cr_assert_eq(y[0], 0.5f);
  free(y);

  wbuf r = {0};
  put(&r, "RF64", 4);
  put32(&r, 0xFFFFFFFFu);
  put(&r, "WAVE", 4);
  put(&r, "ds64", 4);
  put32(&r, 28);
  pl_put_le64(r.b + r.n, 0);
  pl_put_le64(r.b + r.n + 8, 4); /* data size: 2 frames */
  pl_put_le64(r.b + r.n + 16, 2);
  pl_put_le32(r.b + r.n + 24, 0);
  r.n += 28;
  fmt16(&r, 1, 1, 8000, 16);
  put(&r, "data", 4);
  put32(&r, 0xFFFFFFFFu);
  put16(&r, 0x1000);
  put16(&r, 0x2000);
  put16(&r, 0x3000); /* beyond ds64's size: not audio */
  cr_assert_eq(pl_wav_parse_memory(r.b, r.n, &y, &info), 0, "%s", info.error);
  cr_assert_eq(info.frames, 2);
  cr_assert(!info.streamed);
  cr_assert_eq(y[1], 0.25f);
  free(y);
}

static void expect_error(const uint8_t *p, size_t n, int code,
                         const char *text) {
  float *y = (float *)1;
  pl_wav_info info;
  int err = pl_wav_parse_memory(p, n, &y, &info);
  cr_assert_eq(err, code, "got %d (%s) for '%s'", err, info.error, text);
  cr_assert_null(y);
  cr_assert_not_null(strstr(info.error, text), "message '%s' lacks '%s'",
                     info.error, text);
}

Test(wav, bad_files_are_rejected_with_a_precise_message) {
  expect_error((const uint8_t *)"RIFF", 4, PL_EFORMAT, "too short");
  expect_error((const uint8_t *)"OggS\0\0\0\0WAVEfmt ", 16, PL_EFORMAT,
               "not a RIFF/WAVE file (starts with 'OggS')");
  expect_error((const uint8_t *)"RIFF\0\0\0\0AVI LIST", 16, PL_EFORMAT,
               "'AVI ', not 'WAVE'");
  wbuf w = {0};
  riff(&w);
  put(&w, "data", 4);
  put32(&w, 0);
  finish(&w);
  expect_error(w.b, w.n, PL_EFORMAT, "data chunk before the fmt chunk");
  w.n = 0;
  riff(&w);
  finish(&w);
  expect_error(w.b, w.n, PL_EFORMAT, "no fmt chunk");
  w.n = 0;
  riff(&w);
  fmt16(&w, 1, 1, 8000, 16);
  finish(&w);
  expect_error(w.b, w.n, PL_EFORMAT, "no data chunk");
  w.n = 0;
  riff(&w);
  fmt16(&w, 1, 1, 8000, 12);
  expect_error(w.b, w.n, PL_ENOTSUP, "12 bits");
  w.n = 0;
  riff(&w);
  fmt16(&w, 1, 9, 8000, 16);
  expect_error(w.b, w.n, PL_ENOTSUP, "9 channels");
  w.n = 0;
  riff(&w);
  fmt16(&w, 1, 1, 500, 16);
  expect_error(w.b, w.n, PL_ENOTSUP, "sample rate 500 Hz");
  w.n = 0;
  riff(&w);
  fmt16(&w, 7, 1, 8000, 8);
  expect_error(w.b, w.n, PL_ENOTSUP, "format tag 0x0007");
  w.n = 0;
  riff(&w);
  fmt16(&w, 1, 2, 8000, 16);
  pl_put_le16(w.b + w.n - 4, 3); /* block align */
  expect_error(w.b, w.n, PL_EFORMAT, "block align 3, expected 4");
  w.n = 0;
  riff(&w);
  put(&w, "fmt ", 4);
  put32(&w, 12);
  put(&w, "000000000000", 12);
  expect_error(w.b, w.n, PL_EFORMAT, "fmt chunk is 12 bytes");
  w.n = 0;
  riff(&w);
  put(&w, "LIST", 4);
  put32(&w, 1000);
  put(&w, "abcd", 4);
  expect_error(w.b, w.n, PL_EFORMAT, "chunk 'LIST' at offset 12 claims 1000");
}

Test(wav, missing_file_is_enoent) {
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_read_file(path("nope.wav"), &y, &info), PL_ENOENT);
  cr_assert_not_null(strstr(info.error, "No such file"));
}

Test(wav, streaming_reader_and_writer_agree_with_whole_file_calls) {
  pl_wav_spec spec = {44100, 2, PL_WAV_PCM_S16, false};
  pl_wav_writer *w;
  cr_assert_eq(pl_wav_writer_open(&w, path("s.wav"), &spec), 0);
  float buf[2 * 100];
  size_t total = 0;
  for (int blk = 0; blk < 37; blk++) {
    size_t k = (size_t)(blk * 13 % 100);
    for (size_t i = 0; i < 2 * k; i++)
      buf[i] = grid_value(PL_WAV_PCM_S16, total * 2 + i);
    cr_assert_eq(pl_wav_writer_write(w, buf, k), 0);
    total += k;
  }
  cr_assert_eq(pl_wav_writer_close(w), 0);
  float *all;
  pl_wav_info info;
  cr_assert_eq(pl_wav_read_file(path("s.wav"), &all, &info), 0);
  cr_assert_eq(info.frames, total);
  pl_wav_reader *r;
  cr_assert_eq(pl_wav_reader_open(&r, path("s.wav"), NULL), 0);
  size_t at = 0;
  long got;
  while ((got = pl_wav_reader_read(r, buf, 7)) > 0) {
    cr_assert_eq(memcmp(buf, all + 2 * at, (size_t)got * 2 * sizeof(float)), 0);
    at += (size_t)got;
  }
  cr_assert_eq(got, 0);
  cr_assert_eq(at, total);
  pl_wav_reader_close(r);
  for (size_t i = 0; i < 2 * total; i++)
    cr_assert_eq(all[i], grid_value(PL_WAV_PCM_S16, i));
  free(all);
}

Test(wav, unclosed_writer_leaves_a_file_read_as_streamed) {
  pl_wav_spec spec = {8000, 1, PL_WAV_PCM_S16, false};
  pl_wav_writer *w;
  cr_assert_eq(pl_wav_writer_open(&w, path("u.wav"), &spec), 0);
  float x[10] = {0.5f};
  cr_assert_eq(pl_wav_writer_write(w, x, 10), 0);
  /* Copy the file as it is before close (a crashed recorder). */
  size_t n;
  fflush(NULL);
  cr_assert_eq(pl_wav_writer_close(w), 0);
  uint8_t *b = slurp(path("u.wav"), &n);
  pl_put_le32(b + 4, 0xFFFFFFFFu);
  pl_put_le32(b + 40, 0xFFFFFFFFu);
  float *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_parse_memory(b, n, &y, &info), 0);
  cr_assert(info.streamed);
  cr_assert_eq(info.frames, 10);
  cr_assert_eq(y[0], 0.5f);
  free(y);
  free(b);
}
