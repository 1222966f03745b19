/* TURN peers: a permission per peer IP (CreatePermission, refreshed every
 * 4 minutes of its 5), a channel per peer transport address (ChannelBind,
 * refreshed every 9 minutes of its 10), and the data path: ChannelData on a
 * bound channel (4 bytes of overhead), a Send indication until then (36 or
 * more), and the reverse for what the server relays to us. */
#include <string.h>

#include "base/bytes.h"
#include "net/turn/turn_internal.h"
#include "parley.h"

static pl_addr ip_only(const pl_addr *a) {
  pl_addr x = *a;
  pl_addr_set_port(&x, 0);
  return x;
}

static int find_perm(const pl_turn *t, const pl_addr *peer) {
  pl_addr ip = ip_only(peer);
  for (int i = 0; i < PL_TURN_MAX_PEERS; i++)
    if (t->perms[i].used && pl_addr_equal(&t->perms[i].ip, &ip))
      return i;
  return -1;
}

static int find_chan_peer(const pl_turn *t, const pl_addr *peer) {
  for (int i = 0; i < PL_TURN_MAX_CHANNELS; i++)
    if (t->chans[i].used && pl_addr_equal(&t->chans[i].peer, peer))
      return i;
  return -1;
}

static void ask_permission(pl_turn *t, pl_time_us now, int i) {
  int x = pl_turn_request_(t, now, REQ_PERMISSION, i);
  t->perms[i].tx = x >= 0 ? x : -1;
}

static void ask_channel(pl_turn *t, pl_time_us now, int i) {
  int x = pl_turn_request_(t, now, REQ_CHANNEL, i);
  t->chans[i].tx = x >= 0 ? x : -1;
}

int pl_turn_permit(pl_turn *t, pl_time_us now, const pl_addr *peer) {
  if (t->state != PL_TURN_ALLOCATED)
    return PL_ESTATE;
  if (!peer || pl_addr_family(peer) != pl_addr_family(&t->relayed))
    return PL_EINVAL;
  int i = find_perm(t, peer);
  if (i >= 0)
    return 0;
  for (i = 0; i < PL_TURN_MAX_PEERS && t->perms[i].used; i++)
    ;
  if (i == PL_TURN_MAX_PEERS)
    return PL_EFULL;
  turn_perm *p = &t->perms[i];
  memset(p, 0, sizeof *p);
  p->used = true;
  p->ip = ip_only(peer);
  p->tx = -1;
  ask_permission(t, now, i);
  return 0;
}

/* The first datagram for a new peer address asks for a channel as well, so
 * the rest of the call pays 4 bytes per packet instead of 36. */
static void want_channel(pl_turn *t, pl_time_us now, const pl_addr *peer) {
  if (find_chan_peer(t, peer) >= 0)
    return;
  int i;
  for (i = 0; i < PL_TURN_MAX_CHANNELS && t->chans[i].used; i++)
    ;
  if (i == PL_TURN_MAX_CHANNELS)
    return; /* Send indications it is, for this peer */
  turn_chan *c = &t->chans[i];
  memset(c, 0, sizeof *c);
  c->used = true;
  c->number = (uint16_t)(PL_TURN_CHANNEL_MIN + i);
  c->peer = *peer;
  c->tx = -1;
  ask_channel(t, now, i);
}

int pl_turn_frame(pl_turn *t, pl_time_us now, const pl_addr *peer,
                  const uint8_t *data, size_t n, uint8_t *out, size_t cap) {
  if (t->state != PL_TURN_ALLOCATED)
    return PL_ESTATE;
  if (!peer || (!data && n) || !out || n > 0xFFFF - PL_TURN_OVERHEAD)
    return PL_EINVAL;
  int c = find_chan_peer(t, peer);
  if (c >= 0 && t->chans[c].bound) {
    size_t total = 4 + n;
    size_t padded = t->stream ? (total + 3) & ~(size_t)3 : total;
    if (cap < padded)
      return PL_EFULL;
    memmove(out + 4, data, n);
    pl_put_be16(out, t->chans[c].number);
    pl_put_be16(out + 2, (uint16_t)n);
    memset(out + total, 0, padded - total);
    t->stats.channel_data_sent++;
    t->stats.bytes_sent += n;
    t->stats.packets_sent++;
    return (int)padded;
  }
  if (pl_turn_permit(t, now, peer) == PL_EFULL)
    return PL_EFULL;
  want_channel(t, now, peer);
  uint8_t txid[PL_STUN_TXID_LEN];
  uint64_t a = pl_rng_u64(t->rng), b2 = pl_rng_u64(t->rng);
  memcpy(txid, &a, 8);
  memcpy(txid + 8, &b2, 4);
  /* The payload may sit where the header goes (a caller framing in place):
   * move it to its final offset first, then write around it. */
  size_t hdr = PL_STUN_HEADER_LEN + 4 + (pl_addr_family(peer) == AF_INET ? 8 : 20) + 4;
  size_t padded = (n + 3) & ~(size_t)3;
  if (cap < hdr + padded)
    return PL_EFULL;
  memmove(out + hdr, data, n);
  pl_stun_builder b;
  pl_stun_build_begin(&b, out, cap, pl_stun_type(PL_TURN_SEND, PL_STUN_INDICATION), txid);
  pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_PEER_ADDRESS, peer);
  /* DATA's header by hand: its value is already in place. */
  if (b.err || b.len + 4 != hdr)
    return b.err ? b.err : PL_EINVAL;
  pl_put_be16(out + b.len, PL_TURN_ATTR_DATA);
  pl_put_be16(out + b.len + 2, (uint16_t)n);
  memset(out + hdr + n, 0, padded - n);
  size_t len = hdr + padded;
  pl_put_be16(out + 2, (uint16_t)(len - PL_STUN_HEADER_LEN));
  t->stats.send_indications++;
  t->stats.bytes_sent += n;
  t->stats.packets_sent++;
  return (int)len;
}

int pl_turn_channel_input_(pl_turn *t, const uint8_t *p, size_t n,
                           pl_turn_rx *rx) {
  uint16_t num = pl_be16(p), len = pl_be16(p + 2);
  /* Over UDP the datagram may carry the padding or not (RFC 8656 12.5);
   * it must hold the whole announced payload. */
  if (num < PL_TURN_CHANNEL_MIN || num > PL_TURN_CHANNEL_MAX ||
      (size_t)len + 4 > n || n - 4 - len > 3) {
    t->stats.dropped++;
    return PL_EPARSE;
  }
  int i = num - PL_TURN_CHANNEL_MIN;
  if (i >= PL_TURN_MAX_CHANNELS || !t->chans[i].used) {
    t->stats.dropped++;
    return PL_EAUTH; /* no channel of ours: nothing the server may send */
  }
  rx->peer = t->chans[i].peer;
  rx->data = p + 4;
  rx->len = len;
  t->stats.bytes_received += len;
  t->stats.packets_received++;
  return PL_TURN_RX_DATA;
}

int pl_turn_data_input_(pl_turn *t, const pl_stun_msg *m, pl_turn_rx *rx) {
  const uint8_t *v;
  size_t n;
  if (pl_turn_get_xor_addr_(m, PL_TURN_ATTR_XOR_PEER_ADDRESS, &rx->peer) ||
      pl_stun_attr_find(m, PL_TURN_ATTR_DATA, &v, &n)) {
    t->stats.dropped++;
    return PL_EPARSE;
  }
  rx->data = v;
  rx->len = n;
  t->stats.bytes_received += n;
  t->stats.packets_received++;
  return PL_TURN_RX_DATA;
}

void pl_turn_peer_answer_(pl_turn *t, pl_time_us now, const turn_tx *x, bool ok) {
  if (x->kind == REQ_PERMISSION) {
    turn_perm *p = &t->perms[x->slot];
    p->tx = -1;
    if (!p->used)
      return;
    if (ok) {
      p->installed = true;
      p->refresh_at = now + PL_TURN_PERMISSION_REFRESH;
      t->stats.permissions++;
    } else {
      /* Forget it: the next datagram for that peer asks again. */
      p->used = p->installed = false;
    }
    return;
  }
  turn_chan *c = &t->chans[x->slot];
  c->tx = -1;
  if (!c->used)
    return;
  if (ok) {
    c->bound = true;
    c->refresh_at = now + PL_TURN_CHANNEL_REFRESH;
    t->stats.channel_binds++;
  } else {
    /* Refused (or a refresh refused): Send indications carry this peer's
     * data from now on, and the next datagram may ask again. */
    c->used = c->bound = false;
  }
}

void pl_turn_peer_timers_(pl_turn *t, pl_time_us now) {
  for (int i = 0; i < PL_TURN_MAX_PEERS; i++) {
    turn_perm *p = &t->perms[i];
    if (p->used && p->installed && p->tx < 0 && now >= p->refresh_at)
      ask_permission(t, now, i);
  }
  for (int i = 0; i < PL_TURN_MAX_CHANNELS; i++) {
    turn_chan *c = &t->chans[i];
    if (c->used && c->bound && c->tx < 0 && now >= c->refresh_at)
      ask_channel(t, now, i);
  }
}

pl_time_us pl_turn_peer_deadline_(const pl_turn *t) {
  pl_time_us d = PL_TIME_NEVER;
  for (int i = 0; i < PL_TURN_MAX_PEERS; i++) {
    const turn_perm *p = &t->perms[i];
    if (p->used && p->installed && p->tx < 0)
      d = pl_time_min(d, p->refresh_at);
  }
  for (int i = 0; i < PL_TURN_MAX_CHANNELS; i++) {
    const turn_chan *c = &t->chans[i];
    if (c->used && c->bound && c->tx < 0)
      d = pl_time_min(d, c->refresh_at);
  }
  return d;
}
