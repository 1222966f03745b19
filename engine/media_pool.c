/* The media threads: each ticks the calls it owns (encode, decode, the
 * media graph's stages) on an absolute 10 ms clock (clock_nanosleep), and
 * wakes the loop through the engine's uv_async_t when a call has packets or
 * events for the network half.
 *
 * A call belongs to one thread for its whole life, the one with the fewest
 * calls when it was made: its media state is then touched by one thread
 * only, and a server spreads its calls over a few cores without locks on
 * the media path. The per-thread lock guards the list against add/remove
 * from the loop; the loop never waits for a tick longer than one pass. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "engine/call/call.h"
#include "engine/engine.h"

pl_time_us pl_driver_media_next_(pl_time_us tick, pl_time_us real) {
  /* A tick that overran by a whole period is not replayed in a burst (the
   * call's own catch-up bounds that): the clock re-anchors to real time.
   * It must: the network half stamps arrivals with real time, and a media
   * clock running behind it plays packets "before they arrived" (the
   * listener once reported a jitter buffer delay of -1023 ms, when this
   * compared whole seconds and let the lag reach 1-2 s). */
  pl_time_us next = tick + PL_MS(PL_AUDIO_FRAME_MS);
  return real - next > PL_MS(PL_AUDIO_FRAME_MS) ? real : next;
}

static void *media_main(void *arg) {
  pl_media_worker *w = arg;
  pl_engine *e = w->engine;
  pl_time_us tick = pl_time_now_real();
  while (!atomic_load(&e->media_stop)) {
    pl_time_us next = pl_driver_media_next_(tick, pl_time_now_real());
    bool late = next != tick + PL_MS(PL_AUDIO_FRAME_MS);
    tick = next;
    struct timespec at = {.tv_sec = tick / 1000000, .tv_nsec = (long)(tick % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
      ;
    bool wake = false;
    pthread_mutex_lock(&w->lock);
    w->ticks++;
    w->late_ticks += late;
    for (pl_call *c = w->calls; c; c = c->media_next)
      if (pl_call_media_tick(c, tick)) {
        atomic_store(&c->media_out, true);
        wake = true;
      }
    pthread_mutex_unlock(&w->lock);
    if (wake)
      uv_async_send(&e->wake);
  }
  return NULL;
}

int pl_media_pool_start(pl_engine *e, int threads) {
  atomic_init(&e->media_stop, false);
  for (int i = 0; i < threads; i++) {
    pl_media_worker *w = &e->workers[i];
    memset(w, 0, sizeof *w);
    w->engine = e;
    pthread_mutex_init(&w->lock, NULL);
    if (pthread_create(&w->thread, NULL, media_main, w) != 0) {
      pthread_mutex_destroy(&w->lock);
      pl_media_pool_stop(e);
      return PL_ENOMEM;
    }
    w->running = true;
    e->n_workers = i + 1;
  }
  return 0;
}

void pl_media_pool_stop(pl_engine *e) {
  atomic_store(&e->media_stop, true);
  for (int i = 0; i < e->n_workers; i++) {
    pl_media_worker *w = &e->workers[i];
    if (w->running)
      pthread_join(w->thread, NULL);
    w->running = false;
    pthread_mutex_destroy(&w->lock);
  }
  e->n_workers = 0;
}

void pl_media_pool_add(pl_engine *e, pl_call *c) {
  if (!e->n_workers)
    return;
  int best = 0;
  for (int i = 1; i < e->n_workers; i++)
    if (e->workers[i].n_calls < e->workers[best].n_calls)
      best = i; /* n_calls changes only here and in remove, on the loop */
  pl_media_worker *w = &e->workers[best];
  pthread_mutex_lock(&w->lock);
  c->media_next = w->calls;
  w->calls = c;
  w->n_calls++;
  c->media_worker = best;
  pthread_mutex_unlock(&w->lock);
}

void pl_media_pool_remove(pl_engine *e, pl_call *c) {
  if (c->media_worker < 0 || c->media_worker >= e->n_workers)
    return;
  pl_media_worker *w = &e->workers[c->media_worker];
  pthread_mutex_lock(&w->lock);
  for (pl_call **pp = &w->calls; *pp; pp = &(*pp)->media_next)
    if (*pp == c) {
      *pp = c->media_next;
      w->n_calls--;
      break;
    }
  c->media_worker = -1;
  pthread_mutex_unlock(&w->lock);
}
