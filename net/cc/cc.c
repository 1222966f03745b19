/* What every congestion controller shares (cc.h). */
#include "net/cc/cc.h"

void pl_cc_config_init(pl_cc_config *cfg) {
  /* 300 kbit/s is libwebrtc's default start rate (BitrateConstraints,
   * kDefaultStartBitrateBps); 30 kbit/s its usual video floor
   * (kMinVideoBitrateBps); the 10 Mbit/s cap is ours: more than a call's
   * encoders use, low enough that a wild probe cannot flood a home link. */
  *cfg = (pl_cc_config){.start_bps = 300000, .min_bps = 30000, .max_bps = 10000000};
}
