/* Internal view of the engine and calls, shared by engine/ files only. */
#ifndef PL_ENGINE_ENGINE_H
#define PL_ENGINE_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "base/time.h"
#include "parley.h"

struct pl_engine {
  uv_loop_t *loop; /* NULL in sans-IO mode */
  /* Media thread (libuv mode): ticks every call's media half on an
   * absolute 10 ms clock and wakes the loop through `wake`. */
  pthread_t media_thread;
  bool media_running;
  _Atomic bool media_stop;
  pthread_mutex_t calls_lock; /* guards `calls` against add/remove only */
  pl_call *calls;
  uv_async_t wake;
  int n_calls;
  struct pl_dtls_cert *cert; /* WebRTC identity, made on first use */
};

uv_loop_t *pl_engine_loop(const pl_engine *e);
pl_engine *pl_call_engine(const pl_call *call);
/* The engine's DTLS certificate, generated on first use; NULL on failure. */
const struct pl_dtls_cert *pl_engine_cert(pl_engine *e);

/* Driver hooks (engine/driver.c), libuv mode only. */
int pl_driver_call_open(pl_call *call);  /* bind the UDP socket */
void pl_driver_call_close(pl_call *call);
void pl_driver_kick(pl_call *call);      /* re-arm timer, flush sends */
int pl_driver_engine_start(pl_engine *e);
void pl_driver_engine_stop(pl_engine *e);
/* The media thread's next tick after `tick`, given the real clock: the
 * next 10 ms step, or real time when the thread fell a period behind. */
pl_time_us pl_driver_media_next_(pl_time_us tick, pl_time_us real);

#endif
