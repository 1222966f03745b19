/* WAV reading and writing. The header walk reads chunk headers one at a
 * time and seeks over bodies it does not need, so a file with a huge LIST
 * or JUNK chunk costs nothing; memory input goes through fmemopen so the
 * fuzzer drives exactly the code that reads files. */
#include "audio/wav/wav.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "parley.h"

#define TAG_PCM 0x0001
#define TAG_FLOAT 0x0003
#define TAG_EXTENSIBLE 0xFFFE
#define READ_CHUNK 8192

/* Bytes 2..15 of the KSDATAFORMAT_SUBTYPE_* GUIDs; bytes 0..1 hold the
 * plain format tag. */
static const uint8_t guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10,
                                      0x00, 0x80, 0x00, 0x00, 0xAA,
                                      0x00, 0x38, 0x9B, 0x71};

struct pl_wav_reader {
  FILE *f;
  pl_wav_info info;
  uint64_t left; /* frames not yet read */
  int block;     /* bytes per frame */
  uint8_t buf[READ_CHUNK];
};

struct pl_wav_writer {
  FILE *f;
  pl_wav_spec spec;
  uint64_t frames;
  long riff_size_at, data_size_at, fact_at; /* -1 when absent */
  int err;
};

int pl_wav_format_bytes(pl_wav_format f) {
  switch (f) {
  case PL_WAV_PCM_U8: return 1;
  case PL_WAV_PCM_S16: return 2;
  case PL_WAV_PCM_S24: return 3;
  case PL_WAV_PCM_S32: return 4;
  case PL_WAV_FLOAT32: return 4;
  case PL_WAV_FLOAT64: return 8;
  }
  return 0;
}

const char *pl_wav_format_name(pl_wav_format f) {
  switch (f) {
  case PL_WAV_PCM_U8: return "pcm_u8";
  case PL_WAV_PCM_S16: return "pcm_s16";
  case PL_WAV_PCM_S24: return "pcm_s24";
  case PL_WAV_PCM_S32: return "pcm_s32";
  case PL_WAV_FLOAT32: return "float32";
  case PL_WAV_FLOAT64: return "float64";
  }
  return "unknown";
}

__attribute__((format(printf, 3, 4))) static int fail(pl_wav_info *info,
                                                      int err, const char *fmt,
                                                      ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(info->error, sizeof info->error, fmt, ap);
  va_end(ap);
  return err;
}

/* A four-character code as printable text for error messages. */
static const char *fourcc(const uint8_t *p, char out[20]) {
  char *o = out;
  for (int i = 0; i < 4; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
      *o++ = (char)p[i];
    else
      o += sprintf(o, "\\x%02x", p[i]);
  }
  *o = 0;
  return out;
}

static int read_at(FILE *f, uint64_t off, uint8_t *buf, size_t n) {
  if (fseeko(f, (off_t)off, SEEK_SET) != 0)
    return -1;
  return fread(buf, 1, n, f) == n ? 0 : -1;
}

static int parse_fmt(const uint8_t *p, uint32_t size, pl_wav_info *info) {
  if (size < 16)
    return fail(info, PL_EFORMAT, "fmt chunk is %u bytes, needs at least 16",
                size);
  unsigned tag = pl_le16(p), channels = pl_le16(p + 2);
  uint32_t rate = pl_le32(p + 4);
  unsigned block = pl_le16(p + 12), bits = pl_le16(p + 14);
  info->extensible = tag == TAG_EXTENSIBLE;
  info->valid_bits = (int)bits;
  if (tag == TAG_EXTENSIBLE) {
    if (size < 40)
      return fail(info, PL_EFORMAT,
                  "WAVE_FORMAT_EXTENSIBLE fmt chunk is %u bytes, needs 40",
                  size);
    if (memcmp(p + 26, guid_tail, sizeof guid_tail) != 0)
      return fail(info, PL_ENOTSUP,
                  "WAVE_FORMAT_EXTENSIBLE with a sub-format GUID that is not "
                  "PCM or IEEE float");
    unsigned valid = pl_le16(p + 18);
    tag = pl_le16(p + 24);
    if (valid > bits)
      return fail(info, PL_EFORMAT, "%u valid bits in a %u-bit container",
                  valid, bits);
    if (valid)
      info->valid_bits = (int)valid;
  }
  if (tag == TAG_PCM) {
    switch (bits) {
    case 8: info->format = PL_WAV_PCM_U8; break;
    case 16: info->format = PL_WAV_PCM_S16; break;
    case 24: info->format = PL_WAV_PCM_S24; break;
    case 32: info->format = PL_WAV_PCM_S32; break;
    default:
      return fail(info, PL_ENOTSUP,
                  "integer PCM with %u bits per sample (supported 8, 16, 24, "
                  "32)", bits);
    }
  } else if (tag == TAG_FLOAT) {
    if (bits == 32)
      info->format = PL_WAV_FLOAT32;
    else if (bits == 64)
      info->format = PL_WAV_FLOAT64;
    else
      return fail(info, PL_ENOTSUP,
                  "IEEE float with %u bits per sample (supported 32, 64)",
                  bits);
  } else {
    return fail(info, PL_ENOTSUP,
                "format tag 0x%04x is not PCM (1), IEEE float (3) or "
                "EXTENSIBLE (0xfffe)", tag);
  }
  if (channels == 0)
    return fail(info, PL_EFORMAT, "fmt chunk says 0 channels");
  if (channels > PL_WAV_MAX_CHANNELS)
    return fail(info, PL_ENOTSUP, "%u channels (supported 1..%d)", channels,
                PL_WAV_MAX_CHANNELS);
  if (rate < PL_WAV_MIN_RATE || rate > PL_WAV_MAX_RATE)
    return fail(info, PL_ENOTSUP, "sample rate %u Hz (supported %d..%d)",
                rate, PL_WAV_MIN_RATE, PL_WAV_MAX_RATE);
  unsigned want = channels * (bits / 8);
  if (block != want)
    return fail(info, PL_EFORMAT,
                "block align %u, expected %u for %u channel(s) of %u bits",
                block, want, channels, bits);
  info->channels = (int)channels;
  info->rate = (int)rate;
  return 0;
}

/* Walks the chunks up to data; leaves f positioned at the first sample. */
static int parse_header(FILE *f, pl_wav_info *info, uint64_t *avail_bytes) {
  if (fseeko(f, 0, SEEK_END) != 0)
    return fail(info, PL_EIO, "cannot seek: %s", strerror(errno));
  off_t end = ftello(f);
  if (end < 0)
    return fail(info, PL_EIO, "cannot tell file size: %s", strerror(errno));
  uint64_t size = (uint64_t)end;
  uint8_t h[40];
  char cc[20];
  if (size < 12 || read_at(f, 0, h, 12) != 0)
    return fail(info, PL_EFORMAT,
                "%llu bytes: too short for a RIFF/WAVE header (12 bytes)",
                (unsigned long long)size);
  bool rf64 = !memcmp(h, "RF64", 4);
  if (memcmp(h, "RIFF", 4) != 0 && !rf64)
    return fail(info, PL_EFORMAT, "not a RIFF/WAVE file (starts with '%s')",
                fourcc(h, cc));
  if (memcmp(h + 8, "WAVE", 4) != 0)
    return fail(info, PL_EFORMAT, "RIFF form type is '%s', not 'WAVE'",
                fourcc(h + 8, cc));
  bool have_fmt = false, have_ds64 = false;
  uint64_t ds64_data = 0, pos = 12;
  for (;;) {
    if (size - pos < 8) {
      if (!have_fmt)
        return fail(info, PL_EFORMAT, "no fmt chunk");
      return fail(info, PL_EFORMAT, "no data chunk before the end of file");
    }
    if (read_at(f, pos, h, 8) != 0)
      return fail(info, PL_EIO, "read error at offset %llu",
                  (unsigned long long)pos);
    uint32_t csize = pl_le32(h + 4);
    uint64_t body = pos + 8, room = size - body;
    if (!memcmp(h, "data", 4)) {
      if (!have_fmt)
        return fail(info, PL_EFORMAT, "data chunk before the fmt chunk");
      uint64_t declared = csize;
      if (rf64 && csize == 0xFFFFFFFFu && have_ds64)
        declared = ds64_data;
      else if (csize == 0 || csize == 0xFFFFFFFFu)
        info->streamed = true;
      int block = info->channels * pl_wav_format_bytes(info->format);
      uint64_t bytes = info->streamed || declared > room ? room : declared;
      info->frames = bytes / (uint64_t)block;
      info->frames_declared = info->streamed ? 0 : declared / (uint64_t)block;
      /* Truncated means frames the header promised are missing. A data
       * size that is not a multiple of the block align (a writer's bug,
       * and not the RIFF pad byte, which follows the chunk uncounted)
       * leaves a partial frame that no header promised whole: that is
       * stray bytes, not truncation. */
      info->truncated = !info->streamed && info->frames < info->frames_declared;
      info->stray_bytes = (int)(bytes % (uint64_t)block);
      *avail_bytes = info->frames * (uint64_t)block;
      if (fseeko(f, (off_t)body, SEEK_SET) != 0)
        return fail(info, PL_EIO, "cannot seek to the data");
      return 0;
    }
    if (csize > room)
      return fail(info, PL_EFORMAT,
                  "chunk '%s' at offset %llu claims %u bytes but only %llu "
                  "remain, and no data chunk came before it",
                  fourcc(h, cc), (unsigned long long)pos, csize,
                  (unsigned long long)room);
    if (!memcmp(h, "fmt ", 4)) {
      if (have_fmt)
        return fail(info, PL_EFORMAT, "second fmt chunk at offset %llu",
                    (unsigned long long)pos);
      size_t take = csize < 40 ? csize : 40;
      if (read_at(f, body, h, take) != 0)
        return fail(info, PL_EIO, "read error in fmt chunk");
      int err = parse_fmt(h, csize, info);
      if (err)
        return err;
      have_fmt = true;
    } else if (!memcmp(h, "ds64", 4) && rf64) {
      if (csize < 24 || read_at(f, body, h, 24) != 0)
        return fail(info, PL_EFORMAT, "RF64 ds64 chunk of %u bytes is too "
                    "short (needs 24)", csize);
      ds64_data = pl_le64(h + 8);
      have_ds64 = true;
    }
    /* Chunks are word aligned: an odd size is followed by a pad byte. */
    pos = body + csize + (csize & 1u);
    if (pos > size)
      pos = size;
  }
}

static int open_stream(pl_wav_reader **out, FILE *f, pl_wav_info *info) {
  pl_wav_info scratch;
  if (!info)
    info = &scratch;
  memset(info, 0, sizeof *info);
  *out = NULL;
  uint64_t avail = 0;
  int err = parse_header(f, info, &avail);
  if (err) {
    fclose(f);
    return err;
  }
  pl_wav_reader *r = calloc(1, sizeof *r);
  if (!r) {
    fclose(f);
    return PL_ENOMEM;
  }
  r->f = f;
  r->info = *info;
  r->left = info->frames;
  r->block = info->channels * pl_wav_format_bytes(info->format);
  *out = r;
  return 0;
}

int pl_wav_reader_open(pl_wav_reader **out, const char *path,
                       pl_wav_info *info) {
  if (!out || !path)
    return PL_EINVAL;
  *out = NULL;
  if (info)
    memset(info, 0, sizeof *info);
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    if (info)
      snprintf(info->error, sizeof info->error, "%s: %s", path, strerror(e));
    return e == ENOENT ? PL_ENOENT : PL_EIO;
  }
  return open_stream(out, f, info);
}

int pl_wav_reader_open_memory(pl_wav_reader **out, const uint8_t *p, size_t n,
                              pl_wav_info *info) {
  if (!out || (!p && n))
    return PL_EINVAL;
  *out = NULL;
  if (info)
    memset(info, 0, sizeof *info);
  if (n < 12) {
    if (info)
      snprintf(info->error, sizeof info->error,
               "%zu bytes: too short for a RIFF/WAVE header (12 bytes)", n);
    return PL_EFORMAT;
  }
  FILE *f = fmemopen((void *)p, n, "rb");
  if (!f)
    return PL_ENOMEM;
  return open_stream(out, f, info);
}

const pl_wav_info *pl_wav_reader_info(const pl_wav_reader *r) {
  return &r->info;
}

static float clean(float v, uint64_t *nonfinite) {
  if (isfinite(v))
    return v;
  (*nonfinite)++;
  return 0.0f;
}

static void decode(pl_wav_reader *r, const uint8_t *p, size_t samples,
                   float *out) {
  uint64_t *nf = &r->info.nonfinite;
  switch (r->info.format) {
  case PL_WAV_PCM_U8:
    for (size_t i = 0; i < samples; i++)
      out[i] = ((int)p[i] - 128) * (1.0f / 128.0f);
    break;
  case PL_WAV_PCM_S16:
    for (size_t i = 0; i < samples; i++)
      out[i] = (int16_t)pl_le16(p + 2 * i) * (1.0f / 32768.0f);
    break;
  case PL_WAV_PCM_S24:
    for (size_t i = 0; i < samples; i++) {
      const uint8_t *q = p + 3 * i;
      /* Sign-extend through the top byte of a 32-bit word. */
      int32_t v = (int32_t)(((uint32_t)q[0] << 8) | ((uint32_t)q[1] << 16) |
                            ((uint32_t)q[2] << 24)) / 256;
      out[i] = (float)v * (1.0f / 8388608.0f);
    }
    break;
  case PL_WAV_PCM_S32:
    for (size_t i = 0; i < samples; i++)
      out[i] = (float)((double)(int32_t)pl_le32(p + 4 * i) / 2147483648.0);
    break;
  case PL_WAV_FLOAT32:
    for (size_t i = 0; i < samples; i++)
      out[i] = clean(pl_le_f32(p + 4 * i), nf);
    break;
  case PL_WAV_FLOAT64:
    for (size_t i = 0; i < samples; i++) {
      uint64_t u = pl_le64(p + 8 * i);
      double d;
      memcpy(&d, &u, 8);
      out[i] = clean((float)d, nf);
      /* A finite double beyond float range became Inf: counted above. */
    }
    break;
  }
}

long pl_wav_reader_read(pl_wav_reader *r, float *out, size_t frames) {
  if (!r || (!out && frames))
    return PL_EINVAL;
  size_t done = 0, per = READ_CHUNK / (size_t)r->block;
  while (done < frames && r->left > 0) {
    size_t want = frames - done;
    if (want > per)
      want = per;
    if (want > r->left)
      want = (size_t)r->left;
    size_t got = fread(r->buf, (size_t)r->block, want, r->f);
    decode(r, r->buf, got * (size_t)r->info.channels,
           out + done * (size_t)r->info.channels);
    done += got;
    r->left -= got;
    if (got < want) {
      /* The file shrank under us or a read failed: stop and say so. */
      r->info.truncated = true;
      r->info.frames -= r->left;
      r->left = 0;
      if (ferror(r->f))
        return PL_EIO;
    }
  }
  return (long)done;
}

void pl_wav_reader_close(pl_wav_reader *r) {
  if (!r)
    return;
  fclose(r->f);
  free(r);
}

static int read_all(pl_wav_reader *r, float **samples, pl_wav_info *info) {
  const pl_wav_info *ri = pl_wav_reader_info(r);
  size_t n = (size_t)ri->frames * (size_t)ri->channels;
  float *s = NULL;
  int err = 0;
  if (ri->frames > SIZE_MAX / sizeof(float) / (size_t)ri->channels) {
    err = PL_ENOMEM;
  } else if (n) {
    s = malloc(n * sizeof *s);
    if (!s) {
      err = PL_ENOMEM;
    } else {
      long got = pl_wav_reader_read(r, s, (size_t)ri->frames);
      if (got < 0)
        err = (int)got;
    }
  }
  if (info)
    *info = *ri;
  pl_wav_reader_close(r);
  if (err) {
    free(s);
    s = NULL;
  }
  *samples = s;
  return err;
}

int pl_wav_read_file(const char *path, float **samples, pl_wav_info *info) {
  if (!samples)
    return PL_EINVAL;
  *samples = NULL;
  pl_wav_reader *r;
  int err = pl_wav_reader_open(&r, path, info);
  return err ? err : read_all(r, samples, info);
}

int pl_wav_parse_memory(const uint8_t *p, size_t n, float **samples,
                        pl_wav_info *info) {
  if (!samples)
    return PL_EINVAL;
  *samples = NULL;
  pl_wav_reader *r;
  int err = pl_wav_reader_open_memory(&r, p, n, info);
  return err ? err : read_all(r, samples, info);
}

/* ---- writer ---- */

static void put_bytes(pl_wav_writer *w, const void *p, size_t n) {
  if (!w->err && fwrite(p, 1, n, w->f) != n)
    w->err = PL_EIO;
}

static void put_u32(pl_wav_writer *w, uint32_t v) {
  uint8_t b[4];
  pl_put_le32(b, v);
  put_bytes(w, b, 4);
}

static void put_u16(pl_wav_writer *w, uint16_t v) {
  uint8_t b[2];
  pl_put_le16(b, v);
  put_bytes(w, b, 2);
}

int pl_wav_writer_open(pl_wav_writer **out, const char *path,
                       const pl_wav_spec *spec) {
  if (!out || !path || !spec)
    return PL_EINVAL;
  *out = NULL;
  int bytes = pl_wav_format_bytes(spec->format);
  if (!bytes || spec->channels < 1 || spec->channels > PL_WAV_MAX_CHANNELS ||
      spec->rate < PL_WAV_MIN_RATE || spec->rate > PL_WAV_MAX_RATE)
    return PL_EINVAL;
  pl_wav_writer *w = calloc(1, sizeof *w);
  if (!w)
    return PL_ENOMEM;
  w->f = fopen(path, "wb");
  if (!w->f) {
    int e = errno;
    free(w);
    return e == ENOENT ? PL_ENOENT : PL_EIO;
  }
  w->spec = *spec;
  w->fact_at = -1;
  bool is_float = spec->format == PL_WAV_FLOAT32 || spec->format == PL_WAV_FLOAT64;
  unsigned tag = spec->extensible ? TAG_EXTENSIBLE : is_float ? TAG_FLOAT : TAG_PCM;
  unsigned fmt_size = spec->extensible ? 40 : is_float ? 18 : 16;
  unsigned block = (unsigned)(spec->channels * bytes);
  /* Sizes start as 0xFFFFFFFF ("to end of file"), so a writer killed
   * before close still leaves a file readers accept. */
  put_bytes(w, "RIFF", 4);
  w->riff_size_at = 4;
  put_u32(w, 0xFFFFFFFFu);
  put_bytes(w, "WAVE", 4);
  put_bytes(w, "fmt ", 4);
  put_u32(w, fmt_size);
  put_u16(w, (uint16_t)tag);
  put_u16(w, (uint16_t)spec->channels);
  put_u32(w, (uint32_t)spec->rate);
  put_u32(w, (uint32_t)spec->rate * block);
  put_u16(w, (uint16_t)block);
  put_u16(w, (uint16_t)(bytes * 8));
  if (fmt_size >= 18)
    put_u16(w, (uint16_t)(fmt_size - 18)); /* cbSize */
  if (spec->extensible) {
    uint32_t mask = spec->channels == 1 ? 0x4u : (1u << spec->channels) - 1u;
    put_u16(w, (uint16_t)(bytes * 8)); /* valid bits */
    put_u32(w, mask);
    put_u16(w, is_float ? TAG_FLOAT : TAG_PCM);
    put_bytes(w, guid_tail, sizeof guid_tail);
  }
  if (is_float) {
    /* Non-PCM formats carry a fact chunk with the frame count. */
    put_bytes(w, "fact", 4);
    put_u32(w, 4);
    w->fact_at = 12 + 8 + (long)fmt_size + 8;
    put_u32(w, 0xFFFFFFFFu);
  }
  put_bytes(w, "data", 4);
  w->data_size_at = ftell(w->f);
  put_u32(w, 0xFFFFFFFFu);
  if (w->err) {
    fclose(w->f);
    free(w);
    return PL_EIO;
  }
  *out = w;
  return 0;
}

static int64_t quantize(float x, double scale, int64_t lo, int64_t hi) {
  if (!(x == x))
    return 0; /* NaN */
  double v = nearbyint((double)x * scale);
  return v < (double)lo ? lo : v > (double)hi ? hi : (int64_t)v;
}

int pl_wav_writer_write(pl_wav_writer *w, const float *in, size_t frames) {
  if (!w || (!in && frames))
    return PL_EINVAL;
  uint8_t buf[READ_CHUNK];
  int bytes = pl_wav_format_bytes(w->spec.format);
  size_t total = frames * (size_t)w->spec.channels;
  size_t per = sizeof buf / (size_t)bytes;
  for (size_t i = 0; i < total && !w->err;) {
    size_t k = total - i < per ? total - i : per;
    for (size_t j = 0; j < k; j++) {
      float x = in[i + j];
      uint8_t *q = buf + j * (size_t)bytes;
      switch (w->spec.format) {
      case PL_WAV_PCM_U8:
        q[0] = (uint8_t)(quantize(x, 128.0, -128, 127) + 128);
        break;
      case PL_WAV_PCM_S16:
        pl_put_le16(q, (uint16_t)quantize(x, 32768.0, -32768, 32767));
        break;
      case PL_WAV_PCM_S24: {
        uint32_t v = (uint32_t)quantize(x, 8388608.0, -8388608, 8388607);
        q[0] = (uint8_t)v;
        q[1] = (uint8_t)(v >> 8);
        q[2] = (uint8_t)(v >> 16);
        break;
      }
      case PL_WAV_PCM_S32:
        pl_put_le32(q, (uint32_t)quantize(x, 2147483648.0, INT32_MIN, INT32_MAX));
        break;
      case PL_WAV_FLOAT32:
        pl_put_le_f32(q, x);
        break;
      case PL_WAV_FLOAT64: {
        double d = x;
        uint64_t u;
        memcpy(&u, &d, 8);
        pl_put_le64(q, u);
        break;
      }
      }
    }
    put_bytes(w, buf, k * (size_t)bytes);
    i += k;
  }
  if (!w->err)
    w->frames += frames;
  return w->err;
}

int pl_wav_writer_close(pl_wav_writer *w) {
  if (!w)
    return PL_EINVAL;
  uint64_t data = w->frames * (uint64_t)w->spec.channels *
                  (uint64_t)pl_wav_format_bytes(w->spec.format);
  if (data & 1)
    put_bytes(w, "", 1); /* pad byte */
  long end = ftell(w->f);
  /* Over 4 GiB the placeholders stay: the file reads as streamed. */
  if (!w->err && end > 0 && (uint64_t)end - 8 < 0xFFFFFFFFu) {
    if (fseek(w->f, w->riff_size_at, SEEK_SET) == 0) {
      put_u32(w, (uint32_t)(end - 8));
      fseek(w->f, w->data_size_at, SEEK_SET);
      put_u32(w, (uint32_t)data);
      if (w->fact_at >= 0) {
        fseek(w->f, w->fact_at, SEEK_SET);
        put_u32(w, (uint32_t)w->frames);
      }
    } else if (errno != ESPIPE) {
      w->err = PL_EIO;
    }
  }
  if (fclose(w->f) != 0 && !w->err)
    w->err = PL_EIO;
  int err = w->err;
  free(w);
  return err;
}

int pl_wav_write_file(const char *path, const pl_wav_spec *spec,
                      const float *samples, size_t frames) {
  pl_wav_writer *w;
  int err = pl_wav_writer_open(&w, path, spec);
  if (err)
    return err;
  err = pl_wav_writer_write(w, samples, frames);
  int cerr = pl_wav_writer_close(w);
  return err ? err : cerr;
}
