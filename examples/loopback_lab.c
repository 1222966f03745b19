/* loopback_lab: runs the loopback lab from code (pl_loopback_run): two
 * calls in this process over an emulated network, on a simulated clock,
 * and prints what each direction measured.
 *
 *   cc loopback_lab.c $(pkg-config --cflags --libs parley) -o loopback_lab
 *   ./loopback_lab speech.wav lte 20
 *   ./loopback_lab speech.wav "loss=10%,burst=3,delay=40,jitter=10" 20 plc
 *
 * Arguments: the WAV both sides send, the network (a preset or key=value
 * flags, as `parley loopback --net`), seconds, and stages to switch on. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: loopback_lab SEND.wav [NET] [SECONDS] [STAGES]\n");
    return 2;
  }
  pl_loopback_config cfg;
  pl_loopback_config_init(&cfg);
  cfg.send = argv[1];
  cfg.net = argc > 2 ? argv[2] : NULL;
  cfg.duration_s = argc > 3 ? atof(argv[3]) : 10;
  cfg.stages = argc > 4 ? argv[4] : NULL;
  cfg.call.red = PL_RED_AUTO; /* protection chosen from the loss reported */

  pl_loopback_result r;
  char err[256];
  int rc = pl_loopback_run(&cfg, &r, err, sizeof err);
  if (rc) {
    fprintf(stderr, "loopback_lab: %s\n", err);
    return 1;
  }
  printf("%-6s %8s %8s %8s %9s %9s %7s %8s\n", "dir", "packets", "lost%", "STOI", "SI-SDR",
         "delay ms", "jb ms", "concl%");
  for (int d = 0; d < 2; d++) {
    const pl_loopback_direction *x = &r.dir[d];
    const pl_call_stats *rx = &x->receiver;
    printf("%-6s %8llu %8.2f %8.3f %9.1f %9.0f %7.0f %8.2f\n", d ? "B->A" : "A->B",
           (unsigned long long)x->link_packets,
           x->link_packets ? 100.0 * (double)x->link_lost / (double)x->link_packets : 0.0,
           x->stoi, x->si_sdr_db, x->delay_ms, rx->jitter_buffer_delay_s * 1000,
           rx->total_samples_received
               ? 100.0 * (double)rx->concealed_samples / (double)rx->total_samples_received
               : 0.0);
  }
  return 0;
}
