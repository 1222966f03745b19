/* WAV (RIFF/WAVE, and RF64) files as float audio: a streaming reader and
 * writer for the apps and tests that play, record and compare calls. Reads
 * PCM 8/16/24/32-bit, IEEE float 32/64 and WAVE_FORMAT_EXTENSIBLE, 1-8
 * channels at 1-384 kHz; writes the same set. Off the media path. */
#ifndef PL_AUDIO_WAV_H
#define PL_AUDIO_WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pl_wav_format {
  PL_WAV_PCM_U8 = 1,
  PL_WAV_PCM_S16,
  PL_WAV_PCM_S24,
  PL_WAV_PCM_S32,
  PL_WAV_FLOAT32,
  PL_WAV_FLOAT64,
} pl_wav_format;

#define PL_WAV_MIN_RATE 1000
#define PL_WAV_MAX_RATE 384000
#define PL_WAV_MAX_CHANNELS 8

typedef struct pl_wav_info {
  int rate, channels;
  pl_wav_format format;
  bool extensible;          /* fmt was WAVE_FORMAT_EXTENSIBLE */
  int valid_bits;           /* from EXTENSIBLE, else the container size */
  uint64_t frames;          /* frames actually present in the file */
  uint64_t frames_declared; /* what the data chunk size says; 0 if streamed */
  bool streamed;            /* data size 0 or 0xFFFFFFFF: read to end */
  bool truncated;           /* file ends before the declared data does */
  int stray_bytes;          /* bytes after the last whole frame of the data
                             * (a size that is not a multiple of the block
                             * align, or a partial frame at the end of a
                             * streamed or cut file): ignored */
  uint64_t nonfinite;       /* NaN/Inf float samples read, replaced by 0 */
  char error[160];          /* on PL_EFORMAT/PL_ENOTSUP: what exactly */
} pl_wav_info;

typedef struct pl_wav_reader pl_wav_reader;

/* Opens and parses the header. PL_ENOENT when the file is missing,
 * PL_EIO when unreadable, PL_EFORMAT/PL_ENOTSUP with info->error set. */
int pl_wav_reader_open(pl_wav_reader **out, const char *path,
                       pl_wav_info *info);
/* Same, from memory (the bytes must outlive the reader). */
int pl_wav_reader_open_memory(pl_wav_reader **out, const uint8_t *p, size_t n,
                              pl_wav_info *info);
/* Reads up to `frames` frames as interleaved float; returns the number read
 * (0 at the end) or a negative PL_E*. Updates the reader's info (nonfinite,
 * truncated), see pl_wav_reader_info. */
long pl_wav_reader_read(pl_wav_reader *r, float *out, size_t frames);
const pl_wav_info *pl_wav_reader_info(const pl_wav_reader *r);
void pl_wav_reader_close(pl_wav_reader *r);

/* Whole file into *samples (interleaved, malloc'd, caller frees; NULL when
 * there are no frames). info is filled in on success and failure. */
int pl_wav_read_file(const char *path, float **samples, pl_wav_info *info);
int pl_wav_parse_memory(const uint8_t *p, size_t n, float **samples,
                        pl_wav_info *info);

typedef struct pl_wav_spec {
  int rate, channels;
  pl_wav_format format;
  bool extensible; /* write WAVE_FORMAT_EXTENSIBLE (default: plain) */
} pl_wav_spec;

typedef struct pl_wav_writer pl_wav_writer;

/* Writes a header with placeholder sizes; close fixes them. Integer formats
 * clip to [-1, 1) and round to nearest. */
int pl_wav_writer_open(pl_wav_writer **out, const char *path,
                       const pl_wav_spec *spec);
int pl_wav_writer_write(pl_wav_writer *w, const float *in, size_t frames);
/* Fixes up the header and closes; returns the first error seen (a failed
 * write earlier, or this fix-up). Frees w in every case. */
int pl_wav_writer_close(pl_wav_writer *w);
int pl_wav_write_file(const char *path, const pl_wav_spec *spec,
                      const float *samples, size_t frames);

/* Bytes per sample of a format. */
int pl_wav_format_bytes(pl_wav_format f);
const char *pl_wav_format_name(pl_wav_format f);

#endif
