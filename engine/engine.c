/* Engines: the binding to the app's libuv loop (or none, in sans-IO mode)
 * and the list of calls the media thread ticks. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

uv_loop_t *pl_engine_loop(const pl_engine *e) { return e ? e->loop : NULL; }

int pl_engine_new(pl_engine **out, struct uv_loop_s *loop) {
  *out = NULL;
  pl_engine *e = calloc(1, sizeof *e);
  if (!e)
    return PL_ENOMEM;
  e->loop = loop;
  pthread_mutex_init(&e->calls_lock, NULL);
  if (loop) {
    int rc = pl_driver_engine_start(e);
    if (rc) {
      pthread_mutex_destroy(&e->calls_lock);
      free(e);
      return rc;
    }
  }
  *out = e;
  return 0;
}

void pl_engine_free(pl_engine *e) {
  if (!e)
    return;
  if (e->loop) {
    /* Joins the media thread and closes `wake`; the engine is freed in its
     * close callback, so the app runs its loop once more (libuv's habit). */
    pl_driver_engine_stop(e);
    return;
  }
  pthread_mutex_destroy(&e->calls_lock);
  free(e);
}
