/* Ready-made audio sources and sinks for apps: WAV files (streamed, any
 * common rate, resampled to 48 kHz, channels mapped) and a test tone.
 * They run on the media thread, 10 ms at a time; all buffers are made when
 * the io is created. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/frame.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "base/log.h"
#include "parley.h"

#define CHUNK 480 /* input frames read per step */
#define OUTBUF (CHUNK * 2 * 8 + PL_AUDIO_FRAME_SAMPLES * 2)

typedef struct wav_source {
  char *path;
  bool loop, eof, flushed;
  pl_wav_reader *reader;
  pl_resampler *rs;
  int in_ch, in_rate;
  int rs_ch;               /* channels through the resampler and in out[] */
  int skip;                /* resampler delay still to drop, in frames */
  float in[CHUNK * PL_WAV_MAX_CHANNELS];
  float out[OUTBUF * PL_WAV_MAX_CHANNELS];
  int out_frames;          /* buffered 48 kHz frames, rs_ch channels */
} wav_source;

static int open_reader(wav_source *s) {
  pl_wav_info info;
  int rc = pl_wav_reader_open(&s->reader, s->path, &info);
  if (rc) {
    PL_WARN("audio", "%s: %s%s%s", s->path, pl_strerror(rc), info.error[0] ? ": " : "",
            info.error);
    return rc;
  }
  if (s->rs && (info.rate != s->in_rate || info.channels != s->in_ch))
    return PL_EFORMAT;
  if (info.rate != PL_AUDIO_RATE &&
      (info.rate < PL_RESAMPLE_MIN_RATE || info.rate > PL_RESAMPLE_MAX_RATE)) {
    /* The reader takes 1..384 kHz; the resampler to 48 kHz does not. Say
     * which limit, not the NULL resampler's "out of memory". */
    PL_WARN("audio", "%s: sample rate %d Hz is outside the %d..%d Hz a WAV source resamples "
            "to 48 kHz", s->path, info.rate, PL_RESAMPLE_MIN_RATE, PL_RESAMPLE_MAX_RATE);
    pl_wav_reader_close(s->reader);
    s->reader = NULL;
    return PL_ENOTSUP;
  }
  s->in_ch = info.channels;
  s->in_rate = info.rate;
  /* Without resampling out[] holds every channel; the resampler takes 1
   * or 2, so more channels go through it as their front pair (WAVE
   * order starts FL, FR) - the call plays mono or stereo anyway. */
  s->rs_ch = info.rate == PL_AUDIO_RATE || info.channels <= 2 ? info.channels : 2;
  s->eof = s->flushed = false;
  return 0;
}

/* Pulls one chunk through the resampler into s->out. Returns false at the
 * true end of the stream. */
static bool refill(wav_source *s) {
  if (s->flushed)
    return false;
  long got = 0;
  if (!s->eof) {
    /* Read no more input than the output buffer can take once resampled. */
    long room = OUTBUF - s->out_frames - 64;
    long want = s->in_rate >= PL_AUDIO_RATE ? CHUNK : room * s->in_rate / PL_AUDIO_RATE;
    if (want > CHUNK)
      want = CHUNK;
    if (want < 1)
      want = 1;
    got = pl_wav_reader_read(s->reader, s->in, (size_t)want);
    if (got <= 0) {
      s->eof = true;
      if (s->loop) {
        pl_wav_reader_close(s->reader);
        s->reader = NULL;
        if (open_reader(s) != 0) {
          s->flushed = true;
          return false;
        }
        return true; /* a loop joins the two ends without flushing */
      }
    }
  }
  if (s->rs_ch < s->in_ch)
    for (long i = 0; i < got; i++) /* in place: the write never passes the read */
      for (int ch = 0; ch < s->rs_ch; ch++)
        s->in[i * s->rs_ch + ch] = s->in[i * s->in_ch + ch];
  const float *in = s->in;
  int n = (int)got;
  if (s->eof) {
    if (!s->rs) {
      s->flushed = true;
      return false;
    }
    in = NULL; /* push silence to drain the filter's tail */
    n = pl_resampler_latency(s->rs) + 8;
    s->flushed = true;
  }
  if (!s->rs) {
    memcpy(s->out + (size_t)s->out_frames * s->rs_ch, s->in, (size_t)n * s->rs_ch * sizeof(float));
    s->out_frames += n;
    return true;
  }
  int used = 0;
  int w = pl_resampler_process(s->rs, in, n, &used,
                               s->out + (size_t)s->out_frames * s->rs_ch, OUTBUF - s->out_frames);
  if (w < 0)
    return false;
  s->out_frames += w;
  if (s->skip > 0) {
    int k = s->skip < s->out_frames ? s->skip : s->out_frames;
    memmove(s->out, s->out + (size_t)k * s->rs_ch,
            (size_t)(s->out_frames - k) * s->rs_ch * sizeof(float));
    s->out_frames -= k;
    s->skip -= k;
  }
  return true;
}

static int wav_read(void *user, float *pcm, int samples, int channels) {
  wav_source *s = user;
  while (s->out_frames < samples && refill(s))
    ;
  int n = s->out_frames < samples ? s->out_frames : samples;
  for (int i = 0; i < n; i++) {
    const float *f = s->out + (size_t)i * s->rs_ch;
    if (channels == 1) {
      float acc = 0;
      for (int ch = 0; ch < s->rs_ch; ch++)
        acc += f[ch];
      pcm[i] = acc / (float)s->rs_ch;
    } else {
      pcm[2 * i] = f[0];
      pcm[2 * i + 1] = s->rs_ch > 1 ? f[1] : f[0];
    }
  }
  memmove(s->out, s->out + (size_t)n * s->rs_ch, (size_t)(s->out_frames - n) * s->rs_ch * sizeof(float));
  s->out_frames -= n;
  return n;
}

static void wav_source_close(void *user) {
  wav_source *s = user;
  if (s->reader)
    pl_wav_reader_close(s->reader);
  if (s->rs)
    pl_resampler_free(s->rs);
  free(s->path);
  free(s);
}

int pl_audio_io_wav_source(pl_audio_io *io, const char *path, bool loop) {
  if (!io || !path)
    return PL_EINVAL;
  wav_source *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return PL_ENOMEM;
  }
  s->loop = loop;
  int rc = open_reader(s);
  if (rc) {
    free(s->path);
    free(s);
    return rc;
  }
  if (s->in_rate != PL_AUDIO_RATE) {
    s->rs = pl_resampler_new(s->rs_ch, s->in_rate, PL_AUDIO_RATE, 5);
    if (!s->rs) {
      wav_source_close(s);
      return PL_ENOMEM;
    }
    s->skip = pl_resampler_latency(s->rs);
  }
  memset(io, 0, sizeof *io);
  io->read = wav_read;
  io->close = wav_source_close;
  io->user = s;
  return 0;
}

typedef struct wav_sink {
  pl_wav_writer *w;
  int channels;
  bool failed;
} wav_sink;

static int wav_write(void *user, const float *pcm, int samples, int channels) {
  wav_sink *s = user;
  if (s->failed)
    return PL_EIO;
  if (channels != s->channels)
    return PL_EINVAL;
  if (pl_wav_writer_write(s->w, pcm, (size_t)samples) != 0) {
    s->failed = true; /* disk full: report once, keep the call going */
    return PL_EIO;
  }
  return 0;
}

static void wav_sink_close(void *user) {
  wav_sink *s = user;
  int rc = pl_wav_writer_close(s->w);
  if (rc)
    PL_WARN("audio", "recording incomplete: %s", pl_strerror(rc));
  free(s);
}

int pl_audio_io_wav_sink(pl_audio_io *io, const char *path, int channels) {
  if (!io || !path || (channels != 1 && channels != 2))
    return PL_EINVAL;
  wav_sink *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  pl_wav_spec spec = {.rate = PL_AUDIO_RATE, .channels = channels, .format = PL_WAV_PCM_S16};
  int rc = pl_wav_writer_open(&s->w, path, &spec);
  if (rc) {
    free(s);
    return rc;
  }
  s->channels = channels;
  memset(io, 0, sizeof *io);
  io->write = wav_write;
  io->close = wav_sink_close;
  io->user = s;
  return 0;
}

typedef struct tone {
  double phase, step, amp;
} tone;

static int tone_read(void *user, float *pcm, int samples, int channels) {
  tone *t = user;
  for (int i = 0; i < samples; i++) {
    float v = (float)(t->amp * sin(t->phase));
    t->phase += t->step;
    if (t->phase > 2 * M_PI)
      t->phase -= 2 * M_PI;
    for (int ch = 0; ch < channels; ch++)
      pcm[i * channels + ch] = v;
  }
  return samples;
}

static void tone_close(void *user) { free(user); }

int pl_audio_io_tone_source(pl_audio_io *io, double hz, double amplitude) {
  if (!io || !(hz > 0 && hz < PL_AUDIO_RATE / 2) || !(amplitude >= 0 && amplitude <= 1))
    return PL_EINVAL;
  tone *t = calloc(1, sizeof *t);
  if (!t)
    return PL_ENOMEM;
  t->step = 2 * M_PI * hz / PL_AUDIO_RATE;
  t->amp = amplitude;
  memset(io, 0, sizeof *io);
  io->read = tone_read;
  io->close = tone_close;
  io->user = t;
  return 0;
}
