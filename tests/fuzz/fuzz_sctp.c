/* libFuzzer: the SCTP input path. Two associations are set up back to back
 * once (with a data channel each way); then each input is taken as a
 * sequence of SCTP packets ([len:2][bytes]) for one of them, with the
 * header's ports and verification tag set to what that association expects
 * and the CRC32c recomputed, so the chunks reach usrsctp's chunk handlers
 * and, through them, our DCEP and message handling. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <usrsctp.h>

#include "net/sctp/sctp.h"

static pl_sctp *g_s[2];
static uint8_t g_vtag[2][4]; /* the tag each side expects */
static pl_time_us g_now = PL_SEC(1);
static int g_ch[2];
static bool g_down;

static void pump(int rounds) {
  static uint8_t q[2][64][PL_SCTP_MAX_PACKET];
  static size_t ql[2][64];
  for (int r = 0; r < rounds; r++) {
    int nq[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
      pl_sctp_output o;
      while (pl_sctp_poll(g_s[i], &o)) {
        if (o.kind == PL_SCTP_OUT_DOWN)
          g_down = true;
        if (o.kind != PL_SCTP_OUT_TRANSMIT || nq[i] == 64)
          continue;
        if (o.len >= 12 && o.data[12] != 1) /* not INIT: tag is the peer's */
          memcpy(g_vtag[1 - i], o.data + 4, 4);
        memcpy(q[i][nq[i]], o.data, o.len);
        ql[i][nq[i]++] = o.len;
      }
    }
    g_now += PL_MS(10);
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < nq[i]; k++)
        pl_sctp_input(g_s[1 - i], g_now, q[i][k], ql[i][k]);
      pl_sctp_timeout(g_s[i], g_now);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g_down) { /* an input aborted it: start over */
    pl_sctp_free(g_s[0]);
    pl_sctp_free(g_s[1]);
    g_s[0] = g_s[1] = NULL;
    g_down = false;
  }
  if (!g_s[0]) {
    pl_sctp_new(&g_s[0], NULL);
    pl_sctp_new(&g_s[1], NULL);
    g_ch[0] = pl_sctp_open(g_s[0], g_now, &(pl_dc_init){.label = "a"});
    g_ch[1] = pl_sctp_open(g_s[1], g_now,
                           &(pl_dc_init){.negotiated = true, .id = 3});
    pl_sctp_open(g_s[0], g_now, &(pl_dc_init){.negotiated = true, .id = 3});
    pl_sctp_start(g_s[0], g_now, true, 0);
    pl_sctp_start(g_s[1], g_now, false, 0);
    pump(50);
  }
  int who = size ? data[0] & 1 : 0;
  size_t off = 1;
  uint8_t pkt[PL_SCTP_MAX_PACKET];
  while (off + 2 <= size) {
    size_t n = ((size_t)data[off] << 8 | data[off + 1]) % (sizeof pkt - 12);
    off += 2;
    if (n > size - off)
      n = size - off;
    memset(pkt, 0, 12);
    pkt[0] = 0x13, pkt[1] = 0x88, pkt[2] = 0x13, pkt[3] = 0x88; /* 5000 */
    memcpy(pkt + 4, g_vtag[who], 4);
    memcpy(pkt + 12, data + off, n);
    off += n;
    uint32_t crc = usrsctp_crc32c(pkt, n + 12);
    memcpy(pkt + 8, &crc, 4);
    pl_sctp_input(g_s[who], g_now, pkt, n + 12);
  }
  pump(2);
  uint8_t msg[8] = "fuzz";
  pl_sctp_send(g_s[1], g_now, g_ch[1], false, msg, sizeof msg);
  pump(2);
  return 0;
}
