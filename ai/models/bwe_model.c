/* The learned bandwidth estimator's weights (bwe.plmd, docs/congestion.md
 * "Learned estimator"), linked into libparley so `--cc learned` needs no
 * model file at run time. */
#include "incbin.h"

PL_INCBIN(pl_model_bwe, "bwe.plmd");
