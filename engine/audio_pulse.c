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
 * queue, so the queue between (audio/devq) holds itself at 80 ms. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/devq/devq.h"
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
#define TARGET_MS 80 /* queued between the media thread and the device */

typedef struct pulse_io {
  char device[256];
  pa_threaded_mainloop *ml;
  pa_context *ctx;
  pa_stream *st;
  pa_time_event *pump; /* sink: feeds the stream every 5 ms */
  pl_devq q;
  float mono[PL_DEVQ_MAX_BLOCK]; /* media thread */
} pulse_io;

static int source_read(void *user, float *pcm, int samples, int channels) {
  pulse_io *p = user;
  if (samples > PL_DEVQ_MAX_BLOCK)
    samples = PL_DEVQ_MAX_BLOCK;
  pl_devq_read(&p->q, p->mono, samples);
  for (int i = 0; i < samples; i++)
    for (int c = 0; c < channels; c++)
      pcm[i * channels + c] = p->mono[i];
  return samples; /* a device never ends */
}

static int sink_write(void *user, const float *pcm, int samples, int channels) {
  pulse_io *p = user;
  if (samples > PL_DEVQ_MAX_BLOCK)
    samples = PL_DEVQ_MAX_BLOCK;
  for (int i = 0; i < samples; i++) {
    float v = 0;
    for (int c = 0; c < channels; c++)
      v += pcm[i * channels + c];
    p->mono[i] = v / (float)channels;
  }
  pl_devq_write(&p->q, p->mono, samples);
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
    if (data)
      pl_devq_push(&p->q, data, samples); /* a full ring is counted there */
    pa_stream_drop(s);                    /* a hole (data NULL) is dropped too */
  }
}

/* Hands the server what the call queued, up to what it asks for, and
 * never silence of our own. prebuf is 0: after an underrun the server
 * plays silence and moves on, so the stream keeps its latency and an
 * underrun costs one gap. (With a prebuf it pauses until it is refilled,
 * the queue grows by that much, and a second gap follows when it is taken
 * back; our own silence, written whenever the ring ran dry, queued ahead of
 * the audio: 0.50-0.72 STOI in tests/devices, against 0.99.) */
static void on_write(pa_stream *s, size_t nbytes, void *user) {
  pulse_io *p = user;
  float buf[1024];
  size_t want = nbytes / sizeof(float);
  while (want > 0) {
    size_t got = pl_devq_pop(&p->q, buf, want < 1024 ? want : 1024);
    if (got == 0)
      break;
    pa_stream_write(s, buf, got * sizeof(float), NULL, 0, PA_SEEK_RELATIVE);
    want -= got;
  }
  const pa_buffer_attr *a = pa_stream_get_buffer_attr(s);
  size_t writable = pa_stream_writable_size(s);
  if (a && writable != (size_t)-1 && a->tlength >= writable)
    pl_devq_set_device_queued(&p->q, (a->tlength - writable) / sizeof(float));
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
  atomic_fetch_add(&((pulse_io *)user)->q.underruns, 1);
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
  pl_devq_stats st;
  pl_devq_get_stats(&p->q, &st);
  if (st.overruns || st.underruns || st.corrections || st.jumps)
    PL_INFO("pulse", "%s %s: %llu overruns, %llu underruns, %llu drift corrections "
            "(%llu blocks stretched), %llu jumps", p->q.capture ? "source" : "sink",
            p->device[0] ? p->device : "(default)", (unsigned long long)st.overruns,
            (unsigned long long)st.underruns, (unsigned long long)st.corrections,
            (unsigned long long)st.stretched, (unsigned long long)st.jumps);
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
  pl_devq_init(&p->q, capture, TARGET_MS);
  snprintf(p->device, sizeof p->device, "%s", device ? device : "");
  int rc = connect_server(p);
  if (rc) {
    pulse_close(p);
    return rc;
  }
  pa_sample_spec ss = {.format = PA_SAMPLE_FLOAT32NE, .rate = RATE, .channels = 1};
  uint32_t ten_ms = (uint32_t)(RATE / 100 * sizeof(float));
  /* 60 ms in the server (what a loaded machine's scheduling needs; 20 ms
   * underran there), the ring in front: together the queue the drift
   * controller holds at TARGET_MS. */
  pa_buffer_attr attr = {.maxlength = (uint32_t)-1, .tlength = 6 * ten_ms, .prebuf = 0,
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
