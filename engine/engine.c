/* Engines and the lifetime of calls: the binding to the app's libuv loop (or
 * none, in sans-IO mode), the list of calls, and the place where a call's
 * core meets its driver. The call core (engine/call/) never opens sockets or
 * calls the driver; creating and freeing a call here does both in order. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/call/call.h"
#include "engine/engine.h"
#include "engine/whip.h"
#include "net/dtls/dtls.h"

uv_loop_t *pl_engine_loop(const pl_engine *e) { return e ? e->loop : NULL; }

void pl_engine_config_init(pl_engine_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->media_threads = 1;
}

int pl_engine_new_with(pl_engine **out, struct uv_loop_s *loop, const pl_engine_config *cfg) {
  if (!out)
    return PL_EINVAL;
  *out = NULL;
  pl_engine_config def;
  if (!cfg) {
    pl_engine_config_init(&def);
    cfg = &def;
  }
  if (cfg->media_threads < 1 || cfg->media_threads > PL_ENGINE_MAX_MEDIA_THREADS)
    return PL_EINVAL;
  pl_engine *e = calloc(1, sizeof *e);
  if (!e)
    return PL_ENOMEM;
  e->loop = loop;
  e->cfg = *cfg;
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

int pl_engine_new(pl_engine **out, struct uv_loop_s *loop) {
  return pl_engine_new_with(out, loop, NULL);
}

int pl_engine_get_stats(pl_engine *e, pl_engine_stats *out) {
  if (!e || !out)
    return PL_EINVAL;
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&e->calls_lock);
  out->calls = e->n_calls;
  pthread_mutex_unlock(&e->calls_lock);
  out->media_threads = e->n_workers;
  for (int i = 0; i < e->n_workers && i < PL_ENGINE_STATS_THREADS; i++) {
    pl_media_worker *w = &e->workers[i];
    pthread_mutex_lock(&w->lock);
    out->thread_calls[i] = w->n_calls;
    out->thread_ticks[i] = w->ticks;
    out->thread_late_ticks[i] = w->late_ticks;
    pthread_mutex_unlock(&w->lock);
  }
  return 0;
}

const pl_dtls_cert *pl_engine_cert(pl_engine *e) {
  if (!e->cert && pl_dtls_cert_generate(&e->cert) != 0)
    e->cert = NULL;
  return e->cert;
}

int pl_engine_set_certificate(pl_engine *e, const char *cert_pem, const char *key_pem) {
  if (!e || !cert_pem || !key_pem)
    return PL_EINVAL;
  if (e->n_calls)
    return PL_ESTATE; /* calls already signalled the old fingerprint */
  pl_dtls_cert *c;
  int rc = pl_dtls_cert_from_pem(&c, cert_pem, key_pem);
  if (rc)
    return rc;
  if (e->cert)
    pl_dtls_cert_free(e->cert);
  e->cert = c;
  return 0;
}

int pl_engine_fingerprint(pl_engine *e, char *buf, size_t cap) {
  if (!e || !buf)
    return PL_EINVAL;
  const pl_dtls_cert *c = pl_engine_cert(e);
  if (!c)
    return PL_ECRYPTO;
  int n = snprintf(buf, cap, "%s", pl_dtls_cert_fingerprint(c));
  return n < 0 || (size_t)n >= cap ? PL_EFULL : 0;
}

void pl_engine_free(pl_engine *e) {
  if (!e)
    return;
  if (e->cert)
    pl_dtls_cert_free(e->cert);
  e->cert = NULL;
  if (e->loop) {
    /* Joins the media threads and closes the loop handles; the engine is
     * freed in their close callbacks, so the app runs its loop once more
     * (libuv's habit). */
    pl_driver_engine_stop(e);
    return;
  }
  pthread_mutex_destroy(&e->calls_lock);
  free(e);
}

/* ---- calls ------------------------------------------------------------------ */

/* Sans-IO: the call's address is whatever the app says it is. */
static int bind_virtual(pl_call *c) {
  const char *adv = c->cfg.advertise ? c->cfg.advertise : c->cfg.bind;
  if (pl_addr_parse(&c->local, adv) != 0)
    return PL_EINVAL;
  c->socks[0] = c->local;
  c->n_socks = 1;
  return 0;
}

int pl_call_new(pl_call **out, pl_engine *engine, const pl_call_config *cfg) {
  if (!out)
    return PL_EINVAL;
  *out = NULL;
  if (!engine || !cfg)
    return PL_EINVAL;
  pl_call *c;
  int rc = pl_call_core_new_(&c, engine, cfg);
  if (rc)
    return rc;
  rc = engine->loop ? pl_driver_call_open(c) : bind_virtual(c);
  if (!rc)
    rc = pl_call_core_start_(c);
  if (rc) {
    if (c->drv)
      pl_driver_call_close(c); /* frees once libuv let go of the sockets */
    else
      pl_call_destroy_(c);
    return rc;
  }
  pthread_mutex_lock(&engine->calls_lock);
  c->next = engine->calls;
  engine->calls = c;
  engine->n_calls++;
  pthread_mutex_unlock(&engine->calls_lock);
  if (engine->loop)
    pl_media_pool_add(engine, c);
  *out = c;
  return 0;
}

void pl_call_free(pl_call *c) {
  if (!c)
    return;
  pl_call_hangup(c);
  if (c->pending_dial)
    pl_whip_dial_detach_(c);
  pl_engine *e = c->engine;
  if (e->loop)
    pl_media_pool_remove(e, c); /* after this no tick touches it */
  pthread_mutex_lock(&e->calls_lock);
  for (pl_call **pp = &e->calls; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      e->n_calls--;
      break;
    }
  pthread_mutex_unlock(&e->calls_lock);
  if (c->drv)
    pl_driver_call_close(c); /* sends the BYE, frees when libuv is done */
  else
    pl_call_destroy_(c);
}
