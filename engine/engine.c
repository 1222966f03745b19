/* Engines: the binding to the app's libuv loop (or none, in sans-IO mode)
 * and the list of calls the media thread ticks. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/dtls/dtls.h"

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
    /* Joins the media thread and closes `wake`; the engine is freed in its
     * close callback, so the app runs its loop once more (libuv's habit). */
    pl_driver_engine_stop(e);
    return;
  }
  pthread_mutex_destroy(&e->calls_lock);
  free(e);
}
