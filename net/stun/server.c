#include "net/stun/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/stun/stun.h"
#include "net/stun/txq.h"
#include "parley.h"

struct pl_stun_server {
  char software[128];
  pl_stun_txq q;
  pl_stun_server_stats stats;
};

pl_stun_server *pl_stun_server_new(const pl_stun_server_config *cfg) {
  pl_stun_server *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  if (cfg && cfg->software)
    snprintf(s->software, sizeof s->software, "%s", cfg->software);
  if (pl_stun_txq_init(&s->q, cfg && cfg->queue ? cfg->queue : 64) < 0) {
    free(s);
    return NULL;
  }
  return s;
}

void pl_stun_server_free(pl_stun_server *s) {
  if (!s)
    return;
  pl_stun_txq_destroy(&s->q);
  free(s);
}

int pl_stun_server_input(pl_stun_server *s, pl_time_us now, int socket_id,
                         const pl_addr *from, const uint8_t *p, size_t n) {
  (void)now;
  pl_stun_msg m;
  int rc = pl_stun_parse(&m, p, n);
  if (rc < 0) {
    s->stats.ignored++;
    return rc;
  }
  /* Only requests get answers; a bad FINGERPRINT means it is not STUN. */
  if (m.cls != PL_STUN_REQUEST ||
      ((m.has & PL_STUN_HAS_FINGERPRINT) && !m.fingerprint_ok)) {
    s->stats.ignored++;
    return PL_EPARSE;
  }
  pl_stun_tx *t = pl_stun_txq_reserve(&s->q);
  if (!t) {
    s->stats.dropped++;
    return PL_EFULL;
  }
  pl_stun_builder b;
  bool ok = m.method == PL_STUN_BINDING && m.n_unknown_required == 0;
  pl_stun_build_begin(&b, t->data, sizeof t->data,
                      pl_stun_type(m.method, ok ? PL_STUN_SUCCESS : PL_STUN_ERROR),
                      m.txid);
  if (ok) {
    pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, from);
  } else if (m.n_unknown_required) {
    pl_stun_put_error(&b, PL_STUN_ERR_UNKNOWN_ATTRIBUTE, "Unknown Attribute");
    pl_stun_put_unknown(&b, m.unknown_required, m.n_unknown_required);
  } else {
    pl_stun_put_error(&b, PL_STUN_ERR_BAD_REQUEST, "Bad Request");
  }
  if (s->software[0])
    pl_stun_put_bytes(&b, PL_STUN_ATTR_SOFTWARE, s->software,
                      strlen(s->software));
  pl_stun_put_fingerprint(&b);
  rc = pl_stun_build_end(&b);
  if (rc < 0)
    return rc;
  t->len = (size_t)rc;
  t->to = *from;
  t->socket_id = socket_id;
  pl_stun_txq_commit(&s->q);
  if (ok)
    s->stats.requests++;
  else
    s->stats.errors++;
  return 0;
}

bool pl_stun_server_poll(pl_stun_server *s, pl_stun_server_output *out) {
  const pl_stun_tx *t = pl_stun_txq_pop(&s->q);
  if (!t)
    return false;
  out->socket_id = t->socket_id;
  out->to = t->to;
  out->data = t->data;
  out->len = t->len;
  return true;
}

pl_time_us pl_stun_server_deadline(const pl_stun_server *s) {
  (void)s;
  return PL_TIME_NEVER;
}

pl_stun_server_stats pl_stun_server_get_stats(const pl_stun_server *s) {
  return s->stats;
}
