/* The congestion controllers a call can run, by name. "gcc" (net/cc/gcc.c)
 * is the default; "learned" (ai/bwe) is GCC with a GRU deciding the rate; "none" keeps the app's configured rates and sends
 * unpaced: the baseline every adaptive controller is measured against (and
 * what every call did before). */
#include <stdlib.h>
#include <string.h>

#include "net/cc/cc.h"
#include "net/cc/gcc.h"
#include "ai/bwe/bwe.h"

typedef struct none_ctl {
  pl_cc_target t;
} none_ctl;

static void *none_create(const pl_cc_config *cfg, pl_time_us now) {
  (void)now;
  none_ctl *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->t.target_bps = cfg->start_bps;
  n->t.delay_based_bps = n->t.loss_based_bps = cfg->start_bps;
  return n;
}

static void none_destroy(void *ctl) { free(ctl); }
static void none_feedback(void *ctl, const pl_cc_feedback *fb) { (void)ctl, (void)fb; }

static void none_rtt(void *ctl, pl_time_us now, pl_time_us rtt) {
  (void)now;
  ((none_ctl *)ctl)->t.rtt = rtt; /* reported, not acted on */
}

static void none_loss(void *ctl, pl_time_us now, double fraction_lost, uint32_t packets) {
  (void)now, (void)packets;
  ((none_ctl *)ctl)->t.loss = fraction_lost;
}

static void none_remb(void *ctl, pl_time_us now, uint64_t bps) { (void)ctl, (void)now, (void)bps; }

static void none_sent(void *ctl, pl_time_us now, uint32_t size, int probe) {
  (void)ctl, (void)now, (void)size, (void)probe;
}

static void none_timeout(void *ctl, pl_time_us now) { (void)ctl, (void)now; }
static pl_time_us none_deadline(const void *ctl) {
  (void)ctl;
  return PL_TIME_NEVER;
}
static void none_target(const void *ctl, pl_cc_target *out) { *out = ((const none_ctl *)ctl)->t; }
static int none_probe(void *ctl, pl_cc_probe *out) {
  (void)ctl, (void)out;
  return 0;
}

static const pl_cc_ctl_ops none_ops = {
    .name = "none", .paced = false, .create = none_create, .destroy = none_destroy,
    .on_feedback = none_feedback, .on_rtt = none_rtt, .on_loss_report = none_loss,
    .on_remb = none_remb, .on_sent = none_sent, .timeout = none_timeout,
    .deadline = none_deadline, .get_target = none_target, .poll_probe = none_probe,
};

static const pl_cc_ctl_ops *const all[] = {&none_ops, &pl_gcc_ops, &pl_bwe_ops};

const pl_cc_ctl_ops *pl_cc_controller_find(const char *name) {
  for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
    if (!strcmp(all[i]->name, name))
      return all[i];
  return NULL;
}

const char *pl_cc_controller_names(void) { return "none, gcc, learned"; }
