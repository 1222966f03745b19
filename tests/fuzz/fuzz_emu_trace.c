/* Fuzzes the emulator's text inputs: both trace parsers (and the format
 * sniffer) on raw bytes, and the network flag parser on a C string. A trace
 * that parses is then driven through a link, so a degenerate schedule
 * (zero capacity, one opportunity, huge gaps) cannot hang or crash it.
 * The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/emu/emu.h"
#include "net/emu/scenario.h"

static void drive(const pl_emu_trace *t) {
  pl_emu_config c = {.queue_delay = PL_MS(200), .pool_packets = 64};
  pl_emu_trace_capacity(t, &c.capacity);
  pl_emu_link *l;
  if (pl_emu_link_new(&l, &c, 1) != 0)
    return;
  uint8_t buf[1500] = {0};
  pl_time_us now = 0;
  for (int i = 0; i < 32; i++, now += PL_MS(3)) {
    pl_emu_link_input(l, now, buf, (size_t)(i * 97) % sizeof buf, NULL);
    pl_pkt *p;
    while (pl_emu_link_poll(l, now, &p))
      pl_emu_link_release(l, p);
  }
  pl_emu_stats st;
  pl_emu_link_stats(l, now, &st);
  pl_emu_link_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t which = data[0] % 4;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  pl_emu_trace t;
  pl_emu_err err;
  int rc = -1;
  switch (which) {
  case 0:
    rc = pl_emu_trace_parse_mahimahi(&t, text, len, &err);
    break;
  case 1:
    rc = pl_emu_trace_parse_steps(&t, text, len, &err);
    break;
  case 2:
    rc = pl_emu_trace_parse(&t, text, len, &err);
    break;
  default: {
    /* Flags come from argv: NUL-terminated. Files are not the fuzzer's to
     * open, so a spec naming a trace is skipped. */
    char *s = malloc(len + 1);
    if (!s)
      return 0;
    memcpy(s, text, len);
    s[len] = 0;
    if (!strstr(s, "trace")) {
      pl_emu_scenario sc;
      if (pl_emu_scenario_parse(&sc, s, &err) == 0) {
        pl_emu_link *l;
        if (sc.fwd.pool_packets == 0 || sc.fwd.pool_packets > 256)
          sc.fwd.pool_packets = 256; /* keep each run small */
        if (pl_emu_link_new(&l, &sc.fwd, sc.seed) == 0)
          pl_emu_link_free(l);
        pl_emu_scenario_free(&sc);
      }
    }
    free(s);
    return 0;
  }
  }
  if (rc == 0) {
    drive(&t);
    pl_emu_trace_free(&t);
  }
  return 0;
}
