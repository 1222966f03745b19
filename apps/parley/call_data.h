/* `parley call`'s data channels: --echo-data answers every channel the
 * peer opens and sends each message back; --send-data FILE opens a channel
 * (labelled with the file's name) and sends the file in 64 KiB messages,
 * then closes it; --record-data DIR writes each channel the peer opens to
 * DIR/<label>. Both ends print their throughput. With --echo-data the
 * engine also opens a channel of its own, "parley", and says hello on it. */
#ifndef PL_APPS_PARLEY_CALL_DATA_H
#define PL_APPS_PARLEY_CALL_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parley.h"

#define PL_CALL_DATA_MAX 16 /* channels recorded at once */

typedef struct pl_call_data {
  bool echo;
  const char *send_path, *record_dir;
  bool quiet;
  int hello_ch; /* --echo-data: the channel we open ("parley") */
  /* sending */
  int send_ch;
  uint8_t *file;
  size_t file_len, sent;
  bool send_done, drained;
  uint64_t t_open_ns, t_drained_ns;
  /* receiving */
  struct {
    int ch;
    FILE *f;
    uint64_t bytes, msgs, t_first_ns, t_last_ns;
    char name[300];
  } rec[PL_CALL_DATA_MAX];
  uint64_t echoed, echo_failed, msgs_rx, bytes_rx;
  void (*finished)(void *user); /* the file is sent and acknowledged */
  void *user;
} pl_call_data;

bool pl_call_data_enabled(const pl_call_data *d);
/* After pl_call_new, before the offer: --send-data's channel. */
int pl_call_data_setup(pl_call_data *d, pl_call *call);
/* Every PL_EVENT_DATA_* of the call. */
void pl_call_data_event(pl_call_data *d, pl_call *call, const pl_event *ev);
/* The final lines (throughput); closes what is open. */
void pl_call_data_summary(pl_call_data *d, FILE *out);
void pl_call_data_free(pl_call_data *d);

#endif
