/* Shared state of the TURN client, split across turn.c (allocation life
 * cycle, transactions, timers, poll), turn_peers.c (permissions, channels,
 * data framing and input) and turn_msg.c (TURN attributes, ChannelData,
 * stream framing). Not part of the public API. */
#ifndef PL_NET_TURN_INTERNAL_H
#define PL_NET_TURN_INTERNAL_H

#include "net/stun/stun.h"
#include "net/stun/txq.h"
#include "net/turn/turn.h"

/* RFC 8656 methods and attributes. */
enum {
  PL_TURN_ALLOCATE = 0x003,
  PL_TURN_REFRESH = 0x004,
  PL_TURN_SEND = 0x006,
  PL_TURN_DATA = 0x007,
  PL_TURN_CREATE_PERMISSION = 0x008,
  PL_TURN_CHANNEL_BIND = 0x009,
};
enum {
  PL_TURN_ATTR_CHANNEL_NUMBER = 0x000C,
  PL_TURN_ATTR_LIFETIME = 0x000D,
  PL_TURN_ATTR_XOR_PEER_ADDRESS = 0x0012,
  PL_TURN_ATTR_DATA = 0x0013,
  PL_TURN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
  PL_TURN_ATTR_REQUESTED_TRANSPORT = 0x0019,
};
enum {
  PL_TURN_ERR_FORBIDDEN = 403,
  PL_TURN_ERR_MISMATCH = 437,
  PL_TURN_ERR_STALE_NONCE = 438,
  PL_TURN_ERR_QUOTA = 486,
  PL_TURN_ERR_CAPACITY = 508,
};

#define PL_TURN_CHANNEL_MIN 0x4000
#define PL_TURN_CHANNEL_MAX 0x4FFF
#define PL_TURN_PERMISSION_LIFE PL_SEC(300) /* RFC 8656 9 */
#define PL_TURN_PERMISSION_REFRESH PL_SEC(240)
#define PL_TURN_CHANNEL_LIFE PL_SEC(600) /* RFC 8656 12 */
#define PL_TURN_CHANNEL_REFRESH PL_SEC(540)
#define TURN_MAX_TX (4 + PL_TURN_MAX_PEERS + PL_TURN_MAX_CHANNELS)
#define TURN_MAX_EVENTS 8

typedef enum {
  REQ_ALLOCATE,
  REQ_REFRESH,
  REQ_DEALLOCATE,
  REQ_PERMISSION,
  REQ_CHANNEL,
} turn_req;

typedef struct turn_tx {
  bool used;
  turn_req kind;
  int slot;       /* permission or channel slot */
  bool authed;    /* carried MESSAGE-INTEGRITY */
  unsigned sends, stale;
  uint8_t txid[PL_STUN_TXID_LEN];
  pl_time_us cur, next, expire;
  size_t len;
  uint8_t msg[PL_STUN_MAX_MSG];
} turn_tx;

typedef struct turn_perm {
  bool used, installed;
  int tx;               /* request in flight, -1 none */
  pl_addr ip;           /* port 0 */
  pl_time_us refresh_at;
} turn_perm;

typedef struct turn_chan {
  bool used, bound;
  int tx;
  uint16_t number;
  pl_addr peer;
  pl_time_us refresh_at;
} turn_chan;

typedef struct turn_event {
  pl_turn_event_kind kind;
  int error;
  unsigned code;
  const char *reason;
} turn_event;

struct pl_turn {
  pl_turn_config cfg;
  pl_rng *rng;
  char user[PL_TURN_CRED_MAX + 1], pass[PL_TURN_CRED_MAX + 1];
  char realm[PL_TURN_CRED_MAX + 1], nonce[PL_TURN_CRED_MAX + 1];
  uint8_t key[16]; /* MD5(user:realm:pass), RFC 8489 9.2.2 */
  bool have_key;
  pl_turn_state state;
  pl_addr relayed, mapped;
  uint32_t lifetime_s;
  pl_time_us refresh_at;
  int refresh_tx;     /* -1 none */
  turn_tx txs[TURN_MAX_TX];
  turn_perm perms[PL_TURN_MAX_PEERS];
  turn_chan chans[PL_TURN_MAX_CHANNELS];
  turn_event events[TURN_MAX_EVENTS];
  size_t ev_head, ev_count;
  pl_stun_txq txq;
  /* TCP/TLS reassembly: bytes [soff, slen) are unread. */
  uint8_t sbuf[PL_TURN_STREAM_BUF];
  size_t soff, slen;
  bool stream;
  pl_turn_stats stats;
};

/* turn.c */
int pl_turn_request_(pl_turn *t, pl_time_us now, turn_req kind, int slot);
void pl_turn_emit_(pl_turn *t, pl_turn_event_kind k, int err, unsigned code,
                   const char *reason);
void pl_turn_fail_(pl_turn *t, int err, unsigned code, const char *reason);
void pl_turn_queue_(pl_turn *t, const uint8_t *p, size_t n);

/* turn_peers.c */
int pl_turn_data_input_(pl_turn *t, const pl_stun_msg *m, pl_turn_rx *rx);
int pl_turn_channel_input_(pl_turn *t, const uint8_t *p, size_t n,
                           pl_turn_rx *rx);
void pl_turn_peer_answer_(pl_turn *t, pl_time_us now, const turn_tx *x,
                          bool ok);
void pl_turn_peer_timers_(pl_turn *t, pl_time_us now);
pl_time_us pl_turn_peer_deadline_(const pl_turn *t);

/* turn_msg.c */
void pl_turn_put_xor_addr_(pl_stun_builder *b, uint16_t attr, const pl_addr *a);
/* The first attribute `type` as an XOR address. */
int pl_turn_get_xor_addr_(const pl_stun_msg *m, uint16_t type, pl_addr *a);

/* turn_auth.c */
int pl_turn_long_term_key_(const char *user, const char *realm,
                           const char *pass, uint8_t key[16]);

#endif
