/* Sound devices through PulseAudio (or PipeWire's pulse server) as
 * pl_audio_io: a capture source, a playback sink, and the device list.
 *
 * Each io runs libpulse's threaded main loop (a thread of its own) and
 * meets the call's media thread through a lock-free single-producer/
 * single-consumer ring of float samples, so the media thread never waits on
 * the sound server. The streams are mono 48 kHz float; the io mixes to and
 * from the call's channels.
 *
 * Clocks: the media thread runs on the system clock (10 ms ticks), the
 * device on its own crystal. The peer's capture clock is already absorbed
 * by our jitter buffer, which stretches toward its target delay whatever
 * rate packets come at; but the jitter buffer cannot see this device's
 * queue, so the io keeps that queue near a target itself: while its
 * smoothed fill is more than 10 ms off, each 10 ms block is resampled by
 * one sample (about 2000 ppm, far above any real drift; inaudible). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "parley.h"

#ifndef PL_HAVE_PULSE

int pl_audio_io_pulse_source(pl_audio_io *io, const char *device) {
  (void)io;
  (void)device;
  PL_WARN("pulse", "this build has no PulseAudio (libpulse-dev was not found)");
  return PL_ENOTSUP;
}
int pl_audio_io_pulse_sink(pl_audio_io *io, const char *device) {
  return pl_audio_io_pulse_source(io, device);
}
int pl_audio_device_list(pl_audio_device *out, int max) {
  (void)out;
  (void)max;
  return pl_audio_io_pulse_source(NULL, NULL);
}

#else

#include <pulse/pulseaudio.h>
#include <pulse/rtclock.h>

#define RATE 48000
#define RING 32768         /* samples (0.68 s), a power of two */
#define TARGET (RATE / 20) /* 50 ms queued between the media thread and the device */
#define SLACK (RATE / 100) /* correct when 10 ms off the target ... */
#define SETTLE (RATE / 500) /* ... until within 2 ms of it */
#define JUMP (RATE / 25)   /* 40 ms over: drop the excess at once */
#define MAX_BLOCK 4800     /* samples per channel in one read/write */

typedef struct pulse_io {
  bool capture;
  char device[256];
  pa_threaded_mainloop *ml;
  pa_context *ctx;
  pa_stream *st;
  pa_time_event *pump; /* sink: feeds the stream every 5 ms */
  float ring[RING];
  _Atomic size_t head, tail;  /* producer / consumer positions */
  _Atomic size_t dev_queued;  /* sink: samples in the server's buffer */
  /* Media-thread state. */
  bool started;               /* the queue reached the target once */
  bool draining;              /* sink: dropping blocks after a jump */
  double fill_avg;            /* smoothed queue, samples */
  int adjust;                 /* -1, 0, +1: the correction under way */
  float block[MAX_BLOCK + 2], mixed[MAX_BLOCK + 2];
  /* Counted, logged at close. */
  _Atomic uint64_t overruns, underruns;
  uint64_t corrections, jumps;
} pulse_io;

static size_t ring_fill(pulse_io *p) {
  return atomic_load_explicit(&p->head, memory_order_acquire) -
         atomic_load_explicit(&p->tail, memory_order_acquire);
}

/* Producer side; returns how many were taken. */
static size_t ring_push(pulse_io *p, const float *x, size_t n) {
  size_t h = atomic_load_explicit(&p->head, memory_order_relaxed);
  size_t room = RING - (h - atomic_load_explicit(&p->tail, memory_order_acquire));
  if (n > room)
    n = room;
  for (size_t i = 0; i < n; i++)
    p->ring[(h + i) & (RING - 1)] = x[i];
  atomic_store_explicit(&p->head, h + n, memory_order_release);
  return n;
}

static size_t ring_pop(pulse_io *p, float *x, size_t n) {
  size_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);
  size_t have = atomic_load_explicit(&p->head, memory_order_acquire) - t;
  if (n > have)
    n = have;
  for (size_t i = 0; i < n; i++)
    x[i] = p->ring[(t + i) & (RING - 1)];
  atomic_store_explicit(&p->tail, t + n, memory_order_release);
  return n;
}

/* Linear resampling of one block: in_n samples onto out_n (they differ by
 * at most one), so the drift correction has no step in it. */
static void stretch(const float *in, int in_n, float *out, int out_n) {
  if (in_n == out_n || out_n < 2) {
    memcpy(out, in, sizeof *out * (size_t)out_n);
    return;
  }
  double step = (double)(in_n - 1) / (out_n - 1);
  for (int k = 0; k < out_n; k++) {
    double x = k * step;
    int i = (int)x;
    double f = x - i;
    out[k] = i + 1 < in_n ? (float)((1 - f) * in[i] + f * in[i + 1]) : in[in_n - 1];
  }
}

/* The drift controller: how many samples this block should take from (or
 * give to) the queue for every `n` the call sees. */
static int corrected(pulse_io *p, size_t queued, int n) {
  p->fill_avg += 0.02 * ((double)queued - p->fill_avg); /* ~0.5 s time constant */
  double off = p->fill_avg - TARGET;
  if (p->adjust == 0 && fabs(off) > SLACK) {
    p->adjust = off > 0 ? 1 : -1;
    p->corrections++;
  } else if (p->adjust != 0 && fabs(off) < SETTLE) {
    p->adjust = 0;
  }
  /* A source drains a full queue faster; a sink feeds a full one less. */
  return p->capture ? n + p->adjust : n - p->adjust;
}

static int source_read(void *user, float *pcm, int samples, int channels) {
  pulse_io *p = user;
  if (samples > MAX_BLOCK)
    samples = MAX_BLOCK;
  size_t queued = ring_fill(p);
  if (!p->started && queued >= TARGET) {
    p->started = true;
    p->fill_avg = (double)queued;
  }
  memset(p->mixed, 0, sizeof(float) * (size_t)samples);
  if (p->started && queued > (size_t)(TARGET + JUMP)) {
    /* Far more than the controller can take back at 2000 ppm (the media
     * thread stalled, or the device started early): skip to the target. */
    for (size_t drop = queued - TARGET; drop > 0;) {
      size_t got = ring_pop(p, p->block, drop < MAX_BLOCK ? drop : MAX_BLOCK);
      if (!got)
        break;
      drop -= got;
    }
    p->jumps++;
    queued = ring_fill(p);
    p->fill_avg = (double)queued;
  }
  if (p->started) {
    int want = corrected(p, queued, samples);
    int got = (int)ring_pop(p, p->block, (size_t)want);
    if (got < want) { /* the device fell behind: wait for the target again */
      atomic_fetch_add(&p->underruns, 1);
      p->started = false;
      p->adjust = 0;
      memcpy(p->mixed, p->block, sizeof(float) * (size_t)(got < samples ? got : samples));
    } else {
      stretch(p->block, want, p->mixed, samples);
    }
  }
  for (int i = 0; i < samples; i++)
    for (int c = 0; c < channels; c++)
      pcm[i * channels + c] = p->mixed[i];
  return samples; /* a device never ends */
}

static int sink_write(void *user, const float *pcm, int samples, int channels) {
  pulse_io *p = user;
  if (samples > MAX_BLOCK)
    samples = MAX_BLOCK;
  for (int i = 0; i < samples; i++) {
    float v = 0;
    for (int c = 0; c < channels; c++)
      v += pcm[i * channels + c];
    p->block[i] = v / (float)channels;
  }
  size_t queued = ring_fill(p) + atomic_load(&p->dev_queued);
  if (!p->started) {
    p->started = true;
    p->fill_avg = TARGET;
  }
  if (queued > (size_t)(TARGET + JUMP) && !p->draining) {
    p->draining = true;
    p->jumps++;
  }
  if (p->draining) {
    /* The device stalled (a null sink waits out its old latency, up to 2 s,
     * before its first wake-up), or the call wrote ahead: drop blocks down
     * to the target rather than play late while the controller catches up
     * at 2000 ppm, stretching everything on the way. */
    if (queued > (size_t)(TARGET + samples)) {
      p->fill_avg = (double)queued - samples;
      return 0;
    }
    p->draining = false;
    p->fill_avg = (double)queued;
    p->adjust = 0;
  }
  int out = corrected(p, queued, samples);
  stretch(p->block, samples, p->mixed, out);
  if (ring_push(p, p->mixed, (size_t)out) < (size_t)out)
    atomic_fetch_add(&p->overruns, 1);
  return 0;
}

/* ---- the PulseAudio thread ---- */

static void on_read(pa_stream *s, size_t nbytes, void *user) {
  pulse_io *p = user;
  (void)nbytes;
  const void *data;
  size_t n;
  while (pa_stream_readable_size(s) > 0 && pa_stream_peek(s, &data, &n) == 0 && n > 0) {
    size_t samples = n / sizeof(float);
    if (data && ring_push(p, data, samples) < samples)
      atomic_fetch_add(&p->overruns, 1); /* the call stopped reading */
    pa_stream_drop(s);                   /* a hole (data NULL) is dropped too */
  }
}

/* Hands the server what the call queued, up to what it asks for, and
 * never silence of our own: after an underrun the server waits for prebuf
 * (= tlength) of real data before it plays on, instead of moving its read
 * index past audio still on its way; the pause shows in the queue, which
 * the drift controller (or a jump) takes back. */
static void on_write(pa_stream *s, size_t nbytes, void *user) {
  pulse_io *p = user;
  float buf[1024];
  size_t want = nbytes / sizeof(float);
  while (want > 0) {
    size_t got = ring_pop(p, buf, want < 1024 ? want : 1024);
    if (got == 0)
      break;
    pa_stream_write(s, buf, got * sizeof(float), NULL, 0, PA_SEEK_RELATIVE);
    want -= got;
  }
  const pa_buffer_attr *a = pa_stream_get_buffer_attr(s);
  size_t writable = pa_stream_writable_size(s);
  if (a && writable != (size_t)-1 && a->tlength >= writable)
    atomic_store(&p->dev_queued, (a->tlength - writable) / sizeof(float));
}

/* The server asks for data only as its buffer drains; what the call queued
 * between two requests would wait for the next. A 5 ms pump hands it over
 * as soon as there is room. */
static void on_pump(pa_mainloop_api *api, pa_time_event *e, const struct timeval *tv,
                    void *user) {
  (void)api;
  (void)tv;
  pulse_io *p = user;
  size_t writable = pa_stream_writable_size(p->st);
  if (writable != (size_t)-1 && writable > 0)
    on_write(p->st, writable, p);
  pa_context_rttime_restart(p->ctx, e, pa_rtclock_now() + 5000);
}

static void on_underflow(pa_stream *s, void *user) {
  (void)s;
  atomic_fetch_add(&((pulse_io *)user)->underruns, 1);
}

static void on_state(pa_context *c, void *user) {
  (void)c;
  pa_threaded_mainloop_signal(((pulse_io *)user)->ml, 0);
}
static void on_stream_state(pa_stream *s, void *user) {
  (void)s;
  pa_threaded_mainloop_signal(((pulse_io *)user)->ml, 0);
}

static void pulse_close(void *user) {
  pulse_io *p = user;
  if (p->ml) {
    pa_threaded_mainloop_stop(p->ml); /* no callbacks after this */
    if (p->pump)
      pa_threaded_mainloop_get_api(p->ml)->time_free(p->pump);
    if (p->st) {
      pa_stream_disconnect(p->st);
      pa_stream_unref(p->st);
    }
    if (p->ctx) {
      pa_context_disconnect(p->ctx);
      pa_context_unref(p->ctx);
    }
    pa_threaded_mainloop_free(p->ml);
  }
  if (p->overruns || p->underruns || p->corrections || p->jumps)
    PL_INFO("pulse", "%s %s: %llu overruns, %llu underruns, %llu drift corrections, %llu jumps",
            p->capture ? "source" : "sink", p->device[0] ? p->device : "(default)",
            (unsigned long long)p->overruns, (unsigned long long)p->underruns,
            (unsigned long long)p->corrections, (unsigned long long)p->jumps);
  free(p);
}

/* Connects to the server; with the loop locked on success. */
static int connect_server(pulse_io *p) {
  if (!(p->ml = pa_threaded_mainloop_new()))
    return PL_ENOMEM;
  p->ctx = pa_context_new(pa_threaded_mainloop_get_api(p->ml), "parley");
  if (!p->ctx)
    return PL_ENOMEM;
  pa_context_set_state_callback(p->ctx, on_state, p);
  pa_threaded_mainloop_lock(p->ml);
  if (pa_context_connect(p->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0 ||
      pa_threaded_mainloop_start(p->ml) < 0) {
    PL_WARN("pulse", "cannot reach a PulseAudio server: %s",
            pa_strerror(pa_context_errno(p->ctx)));
    pa_threaded_mainloop_unlock(p->ml);
    return PL_EIO;
  }
  for (;;) {
    pa_context_state_t s = pa_context_get_state(p->ctx);
    if (s == PA_CONTEXT_READY)
      return 0;
    if (!PA_CONTEXT_IS_GOOD(s)) {
      PL_WARN("pulse", "cannot reach a PulseAudio server: %s",
              pa_strerror(pa_context_errno(p->ctx)));
      pa_threaded_mainloop_unlock(p->ml);
      return PL_EIO;
    }
    pa_threaded_mainloop_wait(p->ml);
  }
}

static int pulse_open(pl_audio_io *io, const char *device, bool capture) {
  if (!io)
    return PL_EINVAL;
  pulse_io *p = calloc(1, sizeof *p);
  if (!p)
    return PL_ENOMEM;
  p->capture = capture;
  snprintf(p->device, sizeof p->device, "%s", device ? device : "");
  int rc = connect_server(p);
  if (rc) {
    pulse_close(p);
    return rc;
  }
  pa_sample_spec ss = {.format = PA_SAMPLE_FLOAT32NE, .rate = RATE, .channels = 1};
  uint32_t ten_ms = (uint32_t)(RATE / 100 * sizeof(float));
  /* Small server-side buffers: the ring in front of them is the queue the
   * drift controller holds at TARGET. */
  pa_buffer_attr attr = {.maxlength = (uint32_t)-1, .tlength = 4 * ten_ms, .prebuf = (uint32_t)-1,
                         .minreq = ten_ms, .fragsize = ten_ms};
  p->st = pa_stream_new(p->ctx, capture ? "parley capture" : "parley playback", &ss, NULL);
  if (p->st) {
    pa_stream_set_state_callback(p->st, on_stream_state, p);
    pa_stream_flags_t fl = PA_STREAM_ADJUST_LATENCY | PA_STREAM_AUTO_TIMING_UPDATE;
    if (capture) {
      pa_stream_set_read_callback(p->st, on_read, p);
      rc = pa_stream_connect_record(p->st, device, &attr, fl);
    } else {
      pa_stream_set_write_callback(p->st, on_write, p);
      pa_stream_set_underflow_callback(p->st, on_underflow, p);
      rc = pa_stream_connect_playback(p->st, device, &attr, fl, NULL, NULL);
    }
    pa_stream_state_t s;
    while (rc == 0 && (s = pa_stream_get_state(p->st)) != PA_STREAM_READY) {
      if (!PA_STREAM_IS_GOOD(s))
        rc = -1;
      else
        pa_threaded_mainloop_wait(p->ml);
    }
  }
  if (!p->st || rc < 0) {
    PL_WARN("pulse", "cannot open %s %s: %s", capture ? "capture device" : "playback device",
            device ? device : "(default)", pa_strerror(pa_context_errno(p->ctx)));
    pa_threaded_mainloop_unlock(p->ml);
    pulse_close(p);
    return device ? PL_ENOENT : PL_EIO;
  }
  if (!capture)
    p->pump = pa_context_rttime_new(p->ctx, pa_rtclock_now() + 5000, on_pump, p);
  pa_threaded_mainloop_unlock(p->ml);
  memset(io, 0, sizeof *io);
  if (capture)
    io->read = source_read;
  else
    io->write = sink_write;
  io->close = pulse_close;
  io->user = p;
  return 0;
}

int pl_audio_io_pulse_source(pl_audio_io *io, const char *device) {
  return pulse_open(io, device, true);
}
int pl_audio_io_pulse_sink(pl_audio_io *io, const char *device) {
  return pulse_open(io, device, false);
}

typedef struct listing {
  pulse_io *p;
  pl_audio_device *out;
  int max, n, pending;
} listing;

static void add_device(listing *l, bool capture, const char *name, const char *desc) {
  if (l->n < l->max) {
    pl_audio_device *d = &l->out[l->n];
    d->capture = capture;
    snprintf(d->name, sizeof d->name, "%s", name ? name : "");
    snprintf(d->description, sizeof d->description, "%s", desc ? desc : "");
  }
  l->n++;
}
static void on_source(pa_context *c, const pa_source_info *i, int eol, void *user) {
  (void)c;
  listing *l = user;
  if (eol) {
    l->pending--;
    pa_threaded_mainloop_signal(l->p->ml, 0);
  } else {
    add_device(l, true, i->name, i->description);
  }
}
static void on_sink(pa_context *c, const pa_sink_info *i, int eol, void *user) {
  (void)c;
  listing *l = user;
  if (eol) {
    l->pending--;
    pa_threaded_mainloop_signal(l->p->ml, 0);
  } else {
    add_device(l, false, i->name, i->description);
  }
}

int pl_audio_device_list(pl_audio_device *out, int max) {
  if (max < 0 || (max > 0 && !out))
    return PL_EINVAL;
  pulse_io *p = calloc(1, sizeof *p);
  if (!p)
    return PL_ENOMEM;
  int rc = connect_server(p);
  if (rc) {
    pulse_close(p);
    return rc;
  }
  listing l = {.p = p, .out = out, .max = max};
  pa_operation *o1 = pa_context_get_source_info_list(p->ctx, on_source, &l);
  pa_operation *o2 = pa_context_get_sink_info_list(p->ctx, on_sink, &l);
  l.pending = (o1 != NULL) + (o2 != NULL);
  if (!o1 || !o2)
    rc = PL_EIO;
  while (l.pending > 0)
    pa_threaded_mainloop_wait(p->ml);
  if (o1)
    pa_operation_unref(o1);
  if (o2)
    pa_operation_unref(o2);
  pa_threaded_mainloop_unlock(p->ml);
  pulse_close(p);
  return rc ? rc : l.n;
}

#endif
