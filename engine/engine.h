/* Internal view of the engine and calls, shared by engine/ files only. */
#ifndef PL_ENGINE_ENGINE_H
#define PL_ENGINE_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "base/time.h"
#include "parley.h"

#define PL_ENGINE_MAX_MEDIA_THREADS 64

/* One media thread (engine/media_pool.c): ticks the calls it owns on an
 * absolute 10 ms clock and wakes the loop when one of them has output. */
typedef struct pl_media_worker {
  pl_engine *engine;
  pthread_t thread;
  bool running;
  pthread_mutex_t lock; /* guards `calls` against add/remove; held per tick */
  pl_call *calls;       /* linked through media_next */
  int n_calls;
  uint64_t ticks, late_ticks; /* late: started a period or more behind */
} pl_media_worker;

struct pl_engine {
  uv_loop_t *loop; /* NULL in sans-IO mode */
  pl_engine_config cfg;
  /* Media threads (libuv mode): each call belongs to one, chosen at
   * creation (the one with the fewest calls), for its whole life. */
  pl_media_worker workers[PL_ENGINE_MAX_MEDIA_THREADS];
  int n_workers;
  _Atomic bool media_stop;
  uv_async_t wake;     /* a media thread has output for the loop */
  uv_prepare_t drain;  /* drains the output list before the loop waits */
  pthread_mutex_t calls_lock; /* guards `calls` against add/remove only */
  pl_call *calls;
  int n_calls;
  pl_call *output; /* calls marked by pl_call_mark_output_ (loop thread) */
  struct pl_dtls_cert *cert; /* WebRTC identity, made on first use */
};

uv_loop_t *pl_engine_loop(const pl_engine *e);
pl_engine *pl_call_engine(const pl_call *call);
/* The engine's DTLS certificate, generated on first use; NULL on failure. */
const struct pl_dtls_cert *pl_engine_cert(pl_engine *e);

/* Driver (engine/driver.c), libuv mode only. The call core never calls
 * these: pl_call_new/pl_call_free (engine.c) and the loop do. */
int pl_driver_call_open(pl_call *call);  /* bind the call's UDP sockets */
void pl_driver_call_close(pl_call *call); /* sends what is queued, then frees */
int pl_driver_engine_start(pl_engine *e);
void pl_driver_engine_stop(pl_engine *e);

/* Media threads (engine/media_pool.c). */
int pl_media_pool_start(pl_engine *e, int threads);
void pl_media_pool_stop(pl_engine *e);
void pl_media_pool_add(pl_engine *e, pl_call *call);
/* After this returns no media thread touches the call. */
void pl_media_pool_remove(pl_engine *e, pl_call *call);
/* The media thread's next tick after `tick`, given the real clock: the
 * next 10 ms step, or real time when the thread fell a period behind. */
pl_time_us pl_driver_media_next_(pl_time_us tick, pl_time_us real);

#endif
