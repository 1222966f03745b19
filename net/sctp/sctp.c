/* An SCTP association on usrsctp for data channels: see sctp.h, and
 * docs/datachannel.md for how usrsctp's process-wide state (one stack, one
 * timer wheel, one output callback) serves several associations. */
#include "net/sctp/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "base/bytes.h"
#include "net/sctp/dcep.h"
#include "net/sctp/sctp_clock.h"
#include "net/sctp/sendq.h"

#define OUTQ 256    /* SCTP packets waiting for poll */
#define EVQ (4 * PL_SCTP_MAX_CHANNELS + 8)
#define FLIGHTQ 4096 /* messages handed to usrsctp, not yet known sent */
#define RX_SLACK 8192 /* room for a notification after a partial message */
#define TICK PL_MS(10) /* how often usrsctp's timer wheel is turned */
/* The send window on top of SCTP's own congestion control (see
 * update_window): bytes handed to usrsctp and not yet acknowledged. */
#define WND_MIN (16 * 1024)
#define WND_INIT (16 * 1024)
#define CHANQ (1024 * 1024) /* a channel's queue behind the window */
#define QDELAY_TARGET 25 /* ms of queueing SCTP may add on the path */

/* ---- process-wide usrsctp ---- */

/* usrsctp is one stack per process: one lock serialises every call into it
 * (in single-threaded mode it runs only inside our calls), one timer wheel
 * is turned by whichever association sees time move forward, and the output
 * callback finds its association from the AF_CONN address, which is the
 * association's own pointer. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_refs;
static bool g_inited;
static bool g_have_clock;
static int64_t g_clock_ms;
static pl_time_us g_clock_us;

typedef struct slot {
  uint16_t len;
  uint8_t data[PL_SCTP_MAX_PACKET];
} slot;

typedef struct chan {
  bool used;
  int id; /* stream id, -1 until the DTLS role is known */
  pl_dc_state state;
  bool unordered, negotiated;
  uint16_t pr_policy; /* SCTP_PR_SCTP_* */
  uint32_t pr_value;
  uint16_t priority;
  bool acked;       /* ACK seen (or the peer opened it): unordered allowed */
  bool open_pending; /* waits for the association to come up */
  bool reset_wanted, reset_sent, reset_in, reset_out_done;
  bool blocked; /* a send was refused for room: tell it when there is */
  pl_sendq q;   /* messages waiting for the send window */
  char label[256], protocol[256];
  uint64_t buffered, low;
  uint64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
} chan;

struct pl_sctp {
  pl_sctp_config cfg;
  struct socket *sock;
  bool started, up, down, dtls_client;
  size_t remote_max;
  pl_time_us last_now;
  chan ch[PL_SCTP_MAX_CHANNELS];
  slot *outq;
  int out_head, out_n;
  pl_sctp_output ev[EVQ];
  int ev_head, ev_n;
  uint8_t *rx;
  size_t rx_len, rx_cap;
  bool rx_discard;
  struct {
    int16_t ch;
    uint32_t bytes;
  } fl[FLIGHTQ];
  int fl_head, fl_n;
  uint64_t inflight;  /* bytes handed to usrsctp not yet known sent */
  uint64_t wnd, wnd_peak;  /* send window; the most inflight reached */
  int rr;                  /* the channel whose queue goes next */
  bool acked_any;          /* SCTP's SRTT has data samples */
  uint32_t base_rtt;       /* ms, the smallest SRTT seen */
  pl_time_us wnd_at;       /* last window update */
  pl_sctp_stats st;
};

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos,
                       uint8_t set_df) {
  (void)tos;
  (void)set_df;
  pl_sctp *s = addr;
  if (len > PL_SCTP_MAX_PACKET || s->out_n == OUTQ) {
    s->st.out_dropped++;
    return 0; /* SCTP retransmits what is lost */
  }
  slot *o = &s->outq[(s->out_head + s->out_n) % OUTQ];
  memcpy(o->data, buf, len);
  o->len = (uint16_t)len;
  s->out_n++;
  s->st.packets_out++;
  return 0;
}

static void clock_advance(pl_sctp *s, pl_time_us now) {
  s->last_now = now;
  int64_t ms = now / 1000;
  /* A clock that goes back is another clock domain (a new simulation in
   * the same process): take it as the new base rather than jump. */
  if (!g_have_clock || now < g_clock_us) {
    g_clock_ms = ms;
    g_clock_us = now;
    g_have_clock = true;
    return;
  }
  pl_sctp_clock_add(now - g_clock_us);
  g_clock_us = now;
  if (ms > g_clock_ms) {
    int64_t d = ms - g_clock_ms;
    usrsctp_handle_timers((uint32_t)(d > 60000 ? 60000 : d));
    g_clock_ms = ms;
  }
}

static int stack_ref(void) {
  if (g_refs++ > 0 && g_inited)
    return 0;
  if (!g_inited) {
    pl_sctp_clock_init();
    usrsctp_init_nothreads(0, conn_output, NULL);
    /* WebRTC's profile (RFC 8831 6.2): no ECN over DTLS, PR-SCTP and
     * stream reconfiguration on; enough chunks queued for a 4 MiB buffer. */
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    usrsctp_sysctl_set_sctp_asconf_enable(0);
    usrsctp_sysctl_set_sctp_auth_enable(0);
    usrsctp_sysctl_set_sctp_nrsack_enable(0);
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(16384);
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_min_default(200);
    usrsctp_sysctl_set_sctp_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_heartbeat_interval_default(10000);
    g_inited = true;
    g_have_clock = false;
  }
  return 0;
}

static void stack_unref(void) {
  if (--g_refs > 0)
    return;
  /* The last association is gone. usrsctp frees closed sockets from its
   * timers; if one is still there, finish refuses and the stack stays up
   * for the next association (it holds next to nothing while idle). */
  for (int i = 0; i < 10 && usrsctp_finish() != 0; i++)
    usrsctp_handle_timers(100);
  if (usrsctp_finish() == 0)
    g_inited = false;
}

/* ---- helpers ---- */

static void drain(pl_sctp *s);

static void push_ev(pl_sctp *s, pl_sctp_output_kind k, int ch) {
  if (s->ev_n == EVQ)
    return; /* cannot happen: at most a few events per channel */
  pl_sctp_output *o = &s->ev[(s->ev_head + s->ev_n++) % EVQ];
  memset(o, 0, sizeof *o);
  o->kind = k;
  o->channel = ch;
}

static int find_sid(const pl_sctp *s, int sid) {
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++)
    if (s->ch[i].used && s->ch[i].id == sid)
      return i;
  return -1;
}

static int free_slot(const pl_sctp *s) {
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++)
    if (!s->ch[i].used)
      return i;
  return -1;
}

/* The lowest free id of our parity (RFC 8832 6: DTLS client even). */
static int pick_id(const pl_sctp *s) {
  for (int id = s->dtls_client ? 0 : 1; id < PL_SCTP_STREAMS; id += 2)
    if (find_sid(s, id) < 0)
      return id;
  return -1;
}

static int raw_send(pl_sctp *s, int sid, uint32_t ppid, bool unordered,
                    uint16_t policy, uint32_t value, const void *p, size_t n) {
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof spa);
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = (uint16_t)sid;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR | (unordered ? SCTP_UNORDERED : 0);
  if (policy != SCTP_PR_SCTP_NONE) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = policy;
    spa.sendv_prinfo.pr_value = value;
  }
  ssize_t r = usrsctp_sendv(s->sock, p, n, NULL, 0, &spa, sizeof spa,
                            SCTP_SENDV_SPA, 0);
  if (r < 0) {
    if (errno == EWOULDBLOCK || errno == EAGAIN || errno == ENOBUFS)
      return PL_EFULL;
    if (errno == EMSGSIZE)
      return PL_ERANGE;
    return PL_EIO;
  }
  return 0;
}

static void send_open(pl_sctp *s, int i) {
  chan *c = &s->ch[i];
  c->open_pending = false;
  if (c->negotiated) {
    c->state = PL_DC_OPEN;
    c->acked = true;
    push_ev(s, PL_SCTP_OUT_OPEN, i);
    return;
  }
  uint8_t buf[PL_DCEP_OPEN_HEADER + 512];
  pl_dcep_open o = {
      .channel_type = (uint8_t)((c->pr_policy == SCTP_PR_SCTP_RTX
                                     ? PL_DCEP_PARTIAL_RELIABLE_REXMIT
                                 : c->pr_policy == SCTP_PR_SCTP_TTL
                                     ? PL_DCEP_PARTIAL_RELIABLE_TIMED
                                     : PL_DCEP_RELIABLE) |
                                (c->unordered ? PL_DCEP_UNORDERED : 0)),
      .priority = c->priority,
      .reliability = c->pr_value,
      .label = (const uint8_t *)c->label,
      .label_len = (uint16_t)strlen(c->label),
      .protocol = (const uint8_t *)c->protocol,
      .protocol_len = (uint16_t)strlen(c->protocol),
  };
  int n = pl_dcep_build_open(buf, sizeof buf, &o);
  /* RFC 8832 6: the OPEN goes ordered and reliable, and the opener may send
   * at once after it (ordered, until the ACK), so the channel opens here. */
  if (n > 0 && raw_send(s, c->id, PL_SCTP_PPID_DCEP, false, 0, 0, buf,
                        (size_t)n) == 0) {
    c->state = PL_DC_OPEN;
    push_ev(s, PL_SCTP_OUT_OPEN, i);
  } else {
    c->reset_wanted = true; /* could not open: close it */
    c->state = PL_DC_CLOSING;
  }
}

static void release(pl_sctp *s, int i) {
  chan *c = &s->ch[i];
  if (c->state != PL_DC_CLOSED) {
    c->state = PL_DC_CLOSED;
    push_ev(s, PL_SCTP_OUT_CLOSE, i);
  }
  c->used = false; /* stats stay readable until the slot is reused */
  if (c->q.n)
    s->st.queue_dropped += (uint64_t)c->q.n;
  pl_sendq_free(&c->q);
}

/* Stream resets go out together, and again later if usrsctp is busy with
 * one already (it allows one outstanding request). */
static void flush_resets(pl_sctp *s) {
  if (!s->up)
    return;
  uint8_t buf[sizeof(struct sctp_reset_streams) + 2 * PL_SCTP_MAX_CHANNELS];
  struct sctp_reset_streams *rs = (struct sctp_reset_streams *)buf;
  memset(rs, 0, sizeof *rs);
  uint16_t *list = rs->srs_stream_list;
  int n = 0, idx[PL_SCTP_MAX_CHANNELS];
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++) {
    chan *c = &s->ch[i];
    /* Not before what the channel queued is handed to SCTP (W3C: close
     * lets buffered data go first; SCTP sends its own before the reset). */
    if (c->used && c->id >= 0 && c->reset_wanted && !c->reset_sent && !c->q.n) {
      idx[n] = i;
      list[n++] = (uint16_t)c->id;
    }
  }
  if (!n)
    return;
  rs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  rs->srs_number_streams = (uint16_t)n;
  if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, rs,
                         (socklen_t)(sizeof *rs + 2 * (size_t)n)) != 0)
    return;
  for (int k = 0; k < n; k++)
    s->ch[idx[k]].reset_sent = true;
}

/* What usrsctp no longer holds was sent (and acknowledged, or abandoned):
 * it is taken off the channels' bufferedAmount oldest first. usrsctp.h
 * leaves out SCTP_GET_SNDBUF_USE, but the stack answers it (the same
 * sctp_usrreq.c as FreeBSD's). */
#ifndef SCTP_GET_SNDBUF_USE
#define SCTP_GET_SNDBUF_USE 0x00001101
struct sctp_sockstat {
  sctp_assoc_t ss_assoc_id;
  uint32_t ss_total_sndbuf;
  uint32_t ss_total_recv_buf;
};
#endif

static void apply_sent(pl_sctp *s) {
  if (!s->inflight || !s->up)
    return;
  struct sctp_sockstat ss;
  memset(&ss, 0, sizeof ss);
  socklen_t l = sizeof ss;
  if (usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_GET_SNDBUF_USE, &ss,
                         &l) != 0)
    return;
  uint64_t used = ss.ss_total_sndbuf;
  uint64_t done = s->inflight > used ? s->inflight - used : 0;
  if (done)
    s->acked_any = true;
  while (done && s->fl_n) {
    int k = s->fl_head;
    uint32_t take = s->fl[k].bytes < done ? s->fl[k].bytes : (uint32_t)done;
    s->fl[k].bytes -= take;
    done -= take;
    s->inflight -= take;
    int ci = s->fl[k].ch;
    chan *c = &s->ch[ci];
    if (c->used) {
      uint64_t before = c->buffered;
      c->buffered -= take < c->buffered ? take : c->buffered;
      if (before > c->low && c->buffered <= c->low)
        push_ev(s, PL_SCTP_OUT_BUFFERED_LOW, ci);
    }
    if (!s->fl[k].bytes) {
      s->fl_head = (s->fl_head + 1) % FLIGHTQ;
      s->fl_n--;
    }
  }
}

/* SCTP's congestion control is loss-based: on a path with a deep buffer it
 * fills the buffer, and the call's audio waits behind the data (seconds at
 * 1 Mbit/s). So the bytes we hand to usrsctp are capped by a window that
 * follows the queueing delay SCTP itself measures, as LEDBAT (RFC 6817)
 * does: its smoothed RTT above the smallest one seen. Once per RTT the
 * window moves towards QDELAY_TARGET ms of queue, in proportion to the
 * distance (a quarter of itself at most; it grows only while in use). */
static void update_window(pl_sctp *s, pl_time_us now) {
  if (!s->up)
    return;
  if (s->inflight > s->wnd_peak)
    s->wnd_peak = s->inflight;
  struct sctp_status st;
  memset(&st, 0, sizeof st);
  socklen_t l = sizeof st;
  if (usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &l) != 0)
    return;
  /* An SRTT of 0 ms is a real one on loopback; before data was acked it
   * may be no sample at all. */
  uint32_t srtt = st.sstat_primary.spinfo_srtt;
  if (!s->acked_any)
    return;
  if (srtt < s->base_rtt)
    s->base_rtt = srtt;
  pl_time_us every = PL_MS(srtt > 20 ? srtt : 20);
  if (now - s->wnd_at < every)
    return;
  s->wnd_at = now;
  uint32_t q = srtt - s->base_rtt;
  /* Proportional to the distance from the target, a quarter of the window
   * per RTT at most either way (half when far over). */
  if (q > QDELAY_TARGET) {
    uint64_t d = s->wnd * (q - QDELAY_TARGET) / (4 * QDELAY_TARGET);
    if (d > s->wnd / 2)
      d = s->wnd / 2;
    s->wnd = s->wnd - d > WND_MIN ? s->wnd - d : WND_MIN;
  } else if (s->wnd_peak >= s->wnd / 2) {
    s->wnd += s->wnd * (QDELAY_TARGET - q) / (4 * QDELAY_TARGET);
    if (s->wnd > s->cfg.send_buffer)
      s->wnd = s->cfg.send_buffer;
  }
  s->wnd_peak = s->inflight;
  s->st.send_window = s->wnd;
  s->st.queue_delay_ms = q;
}

static void assoc_down(pl_sctp *s) {
  if (s->down)
    return;
  s->down = true;
  s->up = false;
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++)
    if (s->ch[i].used)
      release(s, i);
  push_ev(s, PL_SCTP_OUT_DOWN, -1);
}

static void on_notification(pl_sctp *s, const uint8_t *p, size_t n) {
  const union sctp_notification *nt = (const void *)p;
  if (n < sizeof nt->sn_header)
    return;
  switch (nt->sn_header.sn_type) {
  case SCTP_ASSOC_CHANGE:
    if (n < sizeof nt->sn_assoc_change)
      return;
    if (nt->sn_assoc_change.sac_state == SCTP_COMM_UP && !s->up && !s->down) {
      s->up = true;
      push_ev(s, PL_SCTP_OUT_UP, -1);
      for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++)
        if (s->ch[i].used && s->ch[i].open_pending)
          send_open(s, i);
    } else if (nt->sn_assoc_change.sac_state == SCTP_COMM_LOST ||
               nt->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP ||
               nt->sn_assoc_change.sac_state == SCTP_CANT_STR_ASSOC) {
      assoc_down(s);
    }
    break;
  case SCTP_STREAM_RESET_EVENT: {
    const struct sctp_stream_reset_event *e = &nt->sn_strreset_event;
    if (n < sizeof *e)
      return;
    size_t cnt = (n - sizeof *e) / sizeof(uint16_t);
    for (size_t k = 0; k < cnt; k++) {
      int i = find_sid(s, e->strreset_stream_list[k]);
      if (i < 0)
        continue;
      chan *c = &s->ch[i];
      s->st.streams_reset++;
      if (e->strreset_flags & (SCTP_STREAM_RESET_DENIED |
                               SCTP_STREAM_RESET_FAILED)) {
        release(s, i);
        continue;
      }
      if (e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
        /* The peer closed: close our side too (RFC 8831 6.7). */
        c->reset_in = true;
        c->reset_wanted = true;
        if (c->state == PL_DC_OPEN || c->state == PL_DC_CONNECTING)
          c->state = PL_DC_CLOSING;
      }
      if (e->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN)
        c->reset_out_done = true;
      if (c->reset_in && c->reset_out_done)
        release(s, i);
    }
    flush_resets(s);
    break;
  }
  default:
    break;
  }
}

static void on_dcep(pl_sctp *s, int sid, const uint8_t *p, size_t n) {
  int t = pl_dcep_type(p, n);
  if (t == PL_DCEP_ACK) {
    int i = find_sid(s, sid);
    if (i < 0) {
      s->st.dcep_errors++;
      return;
    }
    s->ch[i].acked = true;
    return;
  }
  pl_dcep_open o;
  if (t != PL_DCEP_OPEN || pl_dcep_parse_open(&o, p, n) < 0) {
    s->st.dcep_errors++;
    return;
  }
  if (find_sid(s, sid) >= 0) {
    s->st.id_in_use++;
    return;
  }
  int i = free_slot(s);
  if (i < 0) {
    s->st.dcep_errors++;
    return;
  }
  chan *c = &s->ch[i];
  memset(c, 0, sizeof *c);
  c->used = true;
  c->id = sid;
  c->acked = true;
  c->unordered = (o.channel_type & PL_DCEP_UNORDERED) != 0;
  uint8_t base = o.channel_type & (uint8_t)~PL_DCEP_UNORDERED;
  c->pr_policy = base == PL_DCEP_PARTIAL_RELIABLE_REXMIT ? SCTP_PR_SCTP_RTX
                 : base == PL_DCEP_PARTIAL_RELIABLE_TIMED ? SCTP_PR_SCTP_TTL
                                                           : SCTP_PR_SCTP_NONE;
  c->pr_value = c->pr_policy ? o.reliability : 0;
  c->priority = o.priority;
  size_t ll = o.label_len < sizeof c->label ? o.label_len : sizeof c->label - 1;
  memcpy(c->label, o.label, ll);
  size_t pl = o.protocol_len < sizeof c->protocol ? o.protocol_len
                                                   : sizeof c->protocol - 1;
  memcpy(c->protocol, o.protocol, pl);
  uint8_t ack[1];
  pl_dcep_build_ack(ack, sizeof ack);
  raw_send(s, sid, PL_SCTP_PPID_DCEP, false, 0, 0, ack, 1);
  c->state = PL_DC_OPEN;
  push_ev(s, PL_SCTP_OUT_CHANNEL, i);
  push_ev(s, PL_SCTP_OUT_OPEN, i);
}

/* One whole message; true when it is handed out in *out. */
static bool on_data(pl_sctp *s, int sid, uint32_t ppid, const uint8_t *p,
                    size_t n, pl_sctp_output *out) {
  if (ppid == PL_SCTP_PPID_DCEP) {
    on_dcep(s, sid, p, n);
    return false;
  }
  bool binary;
  switch (ppid) {
  case PL_SCTP_PPID_STRING: binary = false; break;
  case PL_SCTP_PPID_BINARY: binary = true; break;
  case PL_SCTP_PPID_STRING_EMPTY: binary = false; n = 0; break;
  case PL_SCTP_PPID_BINARY_EMPTY: binary = true; n = 0; break;
  default: s->st.unknown_ppid++; return false;
  }
  int i = find_sid(s, sid);
  if (i < 0 || (s->ch[i].state != PL_DC_OPEN &&
                s->ch[i].state != PL_DC_CLOSING)) {
    s->st.no_channel++;
    return false;
  }
  chan *c = &s->ch[i];
  c->msgs_recv++;
  c->bytes_recv += n;
  memset(out, 0, sizeof *out);
  out->kind = PL_SCTP_OUT_MESSAGE;
  out->channel = i;
  out->data = p;
  out->len = n;
  out->binary = binary;
  return true;
}

/* Reads the socket: 1 a message in *out, 0 something else was read,
 * -1 nothing to read. */
static int read_one(pl_sctp *s, pl_sctp_output *out) {
  uint8_t *dst = s->rx_discard ? s->rx : s->rx + s->rx_len;
  size_t cap = s->rx_discard ? s->rx_cap : s->rx_cap - s->rx_len;
  struct sctp_rcvinfo ri;
  memset(&ri, 0, sizeof ri);
  socklen_t il = sizeof ri;
  unsigned int infotype = 0;
  int flags = 0;
  struct sockaddr_conn from;
  socklen_t fl = sizeof from;
  ssize_t r = usrsctp_recvv(s->sock, dst, cap, (struct sockaddr *)&from, &fl,
                            &ri, &il, &infotype, &flags);
  if (r < 0)
    return -1;
  if (r == 0 && !(flags & MSG_EOR))
    return -1;
  if (flags & MSG_NOTIFICATION) {
    on_notification(s, dst, (size_t)r);
    return 0;
  }
  if (!s->rx_discard) {
    s->rx_len += (size_t)r;
    if (s->rx_len > s->cfg.max_message_size) {
      s->rx_discard = true;
      s->rx_len = 0;
    }
  }
  if (!(flags & MSG_EOR))
    return 0;
  if (s->rx_discard) {
    s->rx_discard = false;
    s->st.oversize_dropped++;
    return 0;
  }
  size_t len = s->rx_len;
  s->rx_len = 0;
  return on_data(s, ri.rcv_sid, ntohl(ri.rcv_ppid), s->rx, len, out) ? 1 : 0;
}

/* ---- API ---- */

int pl_sctp_new(pl_sctp **out, const pl_sctp_config *cfg) {
  if (!out)
    return PL_EINVAL;
  pl_sctp *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  if (cfg)
    s->cfg = *cfg;
  if (!s->cfg.local_port) s->cfg.local_port = PL_SCTP_PORT;
  if (!s->cfg.remote_port) s->cfg.remote_port = PL_SCTP_PORT;
  if (!s->cfg.max_message_size) s->cfg.max_message_size = PL_SCTP_MAX_MESSAGE;
  if (!s->cfg.send_buffer) s->cfg.send_buffer = 4u << 20;
  if (!s->cfg.mtu) s->cfg.mtu = 1150;
  if (s->cfg.mtu > PL_SCTP_MAX_PACKET) s->cfg.mtu = PL_SCTP_MAX_PACKET;
  if (s->cfg.send_buffer < s->cfg.max_message_size)
    s->cfg.send_buffer = s->cfg.max_message_size;
  s->wnd = WND_INIT < s->cfg.send_buffer ? WND_INIT : s->cfg.send_buffer;
  s->base_rtt = UINT32_MAX;
  s->rx_cap = s->cfg.max_message_size + RX_SLACK;
  s->outq = malloc(sizeof(slot) * OUTQ);
  s->rx = malloc(s->rx_cap);
  if (!s->outq || !s->rx) {
    free(s->outq);
    free(s->rx);
    free(s);
    return PL_ENOMEM;
  }
  pthread_mutex_lock(&g_mu);
  stack_ref();
  usrsctp_register_address(s);
  /* No callbacks: messages are pulled with recvv from poll, so a slow
   * reader closes SCTP's receive window instead of growing a queue here. */
  s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0,
                           NULL);
  int rc = 0;
  if (!s->sock) {
    rc = PL_EIO;
  } else {
    usrsctp_set_non_blocking(s->sock, 1);
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close = ABORT */
    usrsctp_setsockopt(s->sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    int one = 1;
    usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one);
    usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one,
                       sizeof one);
    int sb = (int)s->cfg.send_buffer, rb = 1 << 20;
    usrsctp_setsockopt(s->sock, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
    usrsctp_setsockopt(s->sock, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
    struct sctp_assoc_value av = {.assoc_id = SCTP_ALL_ASSOC,
                                  .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
    usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av,
                       sizeof av);
    /* Round-robin between streams: a big message on one channel does not
     * hold back the others' chunks. */
    struct sctp_assoc_value ss = {.assoc_id = SCTP_FUTURE_ASSOC,
                                  .assoc_value = SCTP_SS_ROUND_ROBIN};
    usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PLUGGABLE_SS, &ss, sizeof ss);
    struct sctp_initmsg im = {.sinit_num_ostreams = PL_SCTP_STREAMS,
                              .sinit_max_instreams = PL_SCTP_STREAMS};
    usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
    static const uint16_t evs[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT};
    for (size_t k = 0; k < sizeof evs / sizeof evs[0]; k++) {
      struct sctp_event e = {.se_assoc_id = SCTP_ALL_ASSOC, .se_on = 1,
                             .se_type = evs[k]};
      usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_EVENT, &e, sizeof e);
    }
    struct sockaddr_conn sc = {.sconn_family = AF_CONN,
                               .sconn_port = htons(s->cfg.local_port),
                               .sconn_addr = s};
    if (usrsctp_bind(s->sock, (struct sockaddr *)&sc, sizeof sc) != 0)
      rc = PL_EADDRINUSE;
  }
  if (rc) {
    if (s->sock)
      usrsctp_close(s->sock);
    usrsctp_deregister_address(s);
    stack_unref();
  }
  pthread_mutex_unlock(&g_mu);
  if (rc) {
    free(s->outq);
    free(s->rx);
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void pl_sctp_free(pl_sctp *s) {
  if (!s)
    return;
  pthread_mutex_lock(&g_mu);
  usrsctp_close(s->sock); /* SO_LINGER 0: an ABORT into our queue, dropped */
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++)
    pl_sendq_free(&s->ch[i].q);
  usrsctp_deregister_address(s);
  stack_unref();
  pthread_mutex_unlock(&g_mu);
  free(s->outq);
  free(s->rx);
  free(s);
}

int pl_sctp_start(pl_sctp *s, pl_time_us now, bool dtls_client,
                  size_t remote_max_message) {
  if (!s)
    return PL_EINVAL;
  if (s->started)
    return PL_ESTATE;
  pthread_mutex_lock(&g_mu);
  clock_advance(s, now);
  s->started = true;
  s->dtls_client = dtls_client;
  s->remote_max = remote_max_message ? remote_max_message : 65536;
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS; i++)
    if (s->ch[i].used && s->ch[i].id < 0)
      s->ch[i].id = pick_id(s);
  struct sctp_paddrparams pp;
  memset(&pp, 0, sizeof pp);
  pp.spp_flags = SPP_PMTUD_DISABLE;
  pp.spp_pathmtu = (uint32_t)s->cfg.mtu;
  usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp,
                     sizeof pp);
  struct sockaddr_conn sc = {.sconn_family = AF_CONN,
                             .sconn_port = htons(s->cfg.remote_port),
                             .sconn_addr = s};
  int r = usrsctp_connect(s->sock, (struct sockaddr *)&sc, sizeof sc);
  int rc = (r == 0 || errno == EINPROGRESS) ? 0 : PL_EIO;
  pthread_mutex_unlock(&g_mu);
  return rc;
}

int pl_sctp_set_remote_port(pl_sctp *s, uint16_t port) {
  if (!s || !port)
    return PL_EINVAL;
  if (s->started)
    return PL_ESTATE;
  s->cfg.remote_port = port;
  return 0;
}

void pl_sctp_transport_closed(pl_sctp *s) {
  if (!s)
    return;
  pthread_mutex_lock(&g_mu);
  if (s->started)
    assoc_down(s);
  pthread_mutex_unlock(&g_mu);
}

int pl_sctp_input(pl_sctp *s, pl_time_us now, const uint8_t *p, size_t n) {
  if (!s || !p)
    return PL_EINVAL;
  if (!n || n > 65535)
    return PL_ERANGE;
  pthread_mutex_lock(&g_mu);
  clock_advance(s, now);
  s->st.packets_in++;
  /* usrsctp checks the CRC32c and the verification tag and drops what is
   * wrong; it does not keep the buffer. */
  usrsctp_conninput(s, p, n, 0);
  pthread_mutex_unlock(&g_mu);
  return 0;
}

int pl_sctp_timeout(pl_sctp *s, pl_time_us now) {
  if (!s)
    return PL_EINVAL;
  pthread_mutex_lock(&g_mu);
  clock_advance(s, now);
  flush_resets(s);
  update_window(s, now);
  apply_sent(s);
  drain(s);
  pthread_mutex_unlock(&g_mu);
  return 0;
}

bool pl_sctp_poll(pl_sctp *s, pl_sctp_output *out) {
  if (!s || !out)
    return false;
  pthread_mutex_lock(&g_mu);
  bool got = false;
  apply_sent(s);
  drain(s);
  for (;;) {
    if (s->out_n) {
      slot *o = &s->outq[s->out_head];
      s->out_head = (s->out_head + 1) % OUTQ;
      s->out_n--;
      memset(out, 0, sizeof *out);
      out->kind = PL_SCTP_OUT_TRANSMIT;
      out->data = o->data;
      out->len = o->len;
      got = true;
      break;
    }
    if (s->ev_n) {
      *out = s->ev[s->ev_head];
      s->ev_head = (s->ev_head + 1) % EVQ;
      s->ev_n--;
      got = true;
      break;
    }
    if (!s->started)
      break;
    int r = read_one(s, out);
    if (r == 1) {
      got = true;
      break;
    }
    if (r < 0) {
      apply_sent(s); /* reading may have sent a window update */
      drain(s);
      if (!s->out_n && !s->ev_n)
        break;
    }
  }
  pthread_mutex_unlock(&g_mu);
  return got;
}

pl_time_us pl_sctp_deadline(const pl_sctp *s) {
  if (!s || !s->started || s->down)
    return PL_TIME_NEVER;
  /* usrsctp does not say when its next timer is due; turning its wheel
   * every 10 ms of the call's clock keeps its timers within a tick. */
  return s->last_now + TICK;
}

bool pl_sctp_is_up(const pl_sctp *s) { return s && s->up; }

int pl_sctp_open(pl_sctp *s, pl_time_us now, const pl_dc_init *in) {
  static const pl_dc_init dflt;
  if (!s)
    return PL_EINVAL;
  if (!in)
    in = &dflt;
  if ((in->label && strlen(in->label) > 255) ||
      (in->protocol && strlen(in->protocol) > 255) ||
      (in->has_max_retransmits && in->has_max_packet_lifetime) ||
      (in->negotiated && in->id >= PL_SCTP_STREAMS))
    return PL_EINVAL;
  pthread_mutex_lock(&g_mu);
  clock_advance(s, now);
  int rc;
  int i = free_slot(s);
  if (s->down) {
    rc = PL_ESTATE;
  } else if (i < 0) {
    rc = PL_EFULL;
  } else if (in->negotiated && find_sid(s, in->id) >= 0) {
    rc = PL_EINVAL;
  } else {
    chan *c = &s->ch[i];
    memset(c, 0, sizeof *c);
    c->used = true;
    c->state = PL_DC_CONNECTING;
    c->negotiated = in->negotiated;
    c->unordered = in->unordered;
    c->priority = in->priority;
    if (in->has_max_retransmits) {
      c->pr_policy = SCTP_PR_SCTP_RTX;
      c->pr_value = in->max_retransmits;
    } else if (in->has_max_packet_lifetime) {
      c->pr_policy = SCTP_PR_SCTP_TTL;
      c->pr_value = in->max_packet_lifetime;
    }
    snprintf(c->label, sizeof c->label, "%s", in->label ? in->label : "");
    snprintf(c->protocol, sizeof c->protocol, "%s",
             in->protocol ? in->protocol : "");
    c->id = -1; /* not yet in use while an id is picked */
    c->id = in->negotiated ? in->id : s->started ? pick_id(s) : -1;
    if (s->started && c->id < 0) {
      c->used = false;
      rc = PL_EFULL;
    } else {
      c->open_pending = true;
      if (s->up)
        send_open(s, i);
      rc = i;
    }
  }
  pthread_mutex_unlock(&g_mu);
  return rc;
}

static bool window_open(const pl_sctp *s, uint32_t b) {
  return s->fl_n < FLIGHTQ && (!s->inflight || s->inflight + b <= s->wnd);
}

/* One message into usrsctp, accounted for bufferedAmount's attribution. */
static int hand_over(pl_sctp *s, int channel, const uint8_t *p, size_t n,
                     bool binary) {
  chan *c = &s->ch[channel];
  static const uint8_t zero = 0;
  uint32_t ppid = n ? (binary ? PL_SCTP_PPID_BINARY : PL_SCTP_PPID_STRING)
                    : (binary ? PL_SCTP_PPID_BINARY_EMPTY
                              : PL_SCTP_PPID_STRING_EMPTY);
  /* Before the ACK, messages go ordered (RFC 8832 6.6). */
  int rc = raw_send(s, c->id, ppid, c->unordered && c->acked, c->pr_policy,
                    c->pr_value, n ? p : &zero, n ? n : 1);
  if (rc)
    return rc;
  uint32_t b = n ? (uint32_t)n : 1;
  s->inflight += b;
  if (s->inflight > s->wnd_peak)
    s->wnd_peak = s->inflight;
  int k = (s->fl_head + s->fl_n++) % FLIGHTQ;
  s->fl[k].ch = (int16_t)channel;
  s->fl[k].bytes = b;
  return 0;
}

/* Queued messages go to SCTP as the window opens, one channel after the
 * other (round robin); a channel whose next message does not fit yet does
 * not hold back a smaller one of another channel that does. */
static void drain(pl_sctp *s) {
  if (!s->up)
    return;
  for (bool moved = true; moved;) {
    moved = false;
    for (int k = 0; k < PL_SCTP_MAX_CHANNELS; k++) {
      int i = (s->rr + k) % PL_SCTP_MAX_CHANNELS;
      chan *c = &s->ch[i];
      const uint8_t *p;
      size_t n;
      bool bin;
      if (!c->used || !pl_sendq_front(&c->q, &p, &n, &bin))
        continue;
      if (!window_open(s, n ? (uint32_t)n : 1))
        continue; /* a smaller message of another channel may fit */
      int rc = hand_over(s, i, p, n, bin);
      if (rc == PL_EFULL)
        return; /* usrsctp's buffer is full: later */
      if (rc) {
        s->st.queue_dropped++;
        c->buffered -= (n ? n : 1) < c->buffered ? (n ? n : 1) : c->buffered;
      }
      pl_sendq_pop(&c->q);
      if (c->blocked && c->q.bytes <= CHANQ / 2) {
        c->blocked = false;
        push_ev(s, PL_SCTP_OUT_BUFFERED_LOW, i);
      }
      if (!c->q.n && c->reset_wanted)
        flush_resets(s);
      s->rr = (i + 1) % PL_SCTP_MAX_CHANNELS;
      moved = true;
      break;
    }
  }
}

int pl_sctp_send(pl_sctp *s, pl_time_us now, int channel, bool binary,
                 const uint8_t *p, size_t n) {
  if (!s || channel < 0 || channel >= PL_SCTP_MAX_CHANNELS || (n && !p))
    return PL_EINVAL;
  pthread_mutex_lock(&g_mu);
  clock_advance(s, now);
  chan *c = &s->ch[channel];
  int rc;
  if (!c->used || c->state != PL_DC_OPEN) {
    rc = PL_ESTATE;
  } else if (n > s->remote_max) {
    rc = PL_ERANGE;
    s->st.send_refused++;
  } else {
    uint32_t b = n ? (uint32_t)n : 1;
    rc = PL_EFULL;
    /* Straight to SCTP when the window has room and nothing of this
     * channel waits (order); else behind the window, in the channel's
     * queue. Either way it counts in bufferedAmount until acknowledged. */
    if (!c->q.n && window_open(s, b))
      rc = hand_over(s, channel, n ? p : NULL, n, binary);
    if (rc == PL_EFULL) {
      size_t cap = s->remote_max + 64 > CHANQ ? s->remote_max + 64 : CHANQ;
      if (pl_sendq_push(&c->q, cap, p, n, binary)) {
        c->buffered += b;
        rc = 0;
      } else {
        c->blocked = true;
        s->st.window_full++;
      }
    } else if (rc == 0) {
      c->buffered += b;
    }
    if (rc == 0) {
      c->msgs_sent++;
      c->bytes_sent += n;
    } else if (rc != PL_EFULL) {
      s->st.send_refused++;
    }
  }
  pthread_mutex_unlock(&g_mu);
  return rc;
}

int pl_sctp_close(pl_sctp *s, pl_time_us now, int channel) {
  if (!s || channel < 0 || channel >= PL_SCTP_MAX_CHANNELS)
    return PL_EINVAL;
  pthread_mutex_lock(&g_mu);
  clock_advance(s, now);
  chan *c = &s->ch[channel];
  int rc = 0;
  if (!c->used) {
    rc = PL_ESTATE;
  } else if (c->state == PL_DC_CONNECTING && (!s->up || c->id < 0)) {
    release(s, channel); /* never reached the wire */
  } else if (c->state != PL_DC_CLOSING && c->state != PL_DC_CLOSED) {
    c->state = PL_DC_CLOSING;
    c->reset_wanted = true;
    flush_resets(s);
  }
  pthread_mutex_unlock(&g_mu);
  return rc;
}

int pl_sctp_set_buffered_low(pl_sctp *s, int channel, uint64_t threshold) {
  if (!s || channel < 0 || channel >= PL_SCTP_MAX_CHANNELS)
    return PL_EINVAL;
  pthread_mutex_lock(&g_mu);
  s->ch[channel].low = threshold;
  pthread_mutex_unlock(&g_mu);
  return 0;
}

int pl_sctp_channel_stats(const pl_sctp *s, int channel, pl_dc_stats *o) {
  if (!s || !o || channel < 0 || channel >= PL_SCTP_MAX_CHANNELS)
    return PL_EINVAL;
  pthread_mutex_lock(&g_mu);
  const chan *c = &s->ch[channel];
  memset(o, 0, sizeof *o);
  o->id = c->id;
  o->state = c->state;
  memcpy(o->label, c->label, sizeof o->label);
  memcpy(o->protocol, c->protocol, sizeof o->protocol);
  o->messages_sent = c->msgs_sent;
  o->messages_received = c->msgs_recv;
  o->bytes_sent = c->bytes_sent;
  o->bytes_received = c->bytes_recv;
  o->buffered_amount = c->buffered;
  pthread_mutex_unlock(&g_mu);
  return 0;
}

int pl_sctp_channels(const pl_sctp *s, int *out, int cap) {
  int n = 0;
  if (!s)
    return 0;
  for (int i = 0; i < PL_SCTP_MAX_CHANNELS && n < cap; i++)
    if (s->ch[i].used)
      out[n++] = i;
  return n;
}

pl_sctp_stats pl_sctp_get_stats(const pl_sctp *s) {
  pl_sctp_stats z = {0};
  return s ? s->st : z;
}
