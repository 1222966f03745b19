/* The speech/music classifier's weights (classify.plmd, docs/classify.md),
 * linked into libparley so the classify stage needs no model file. */
#include "incbin.h"

PL_INCBIN(pl_model_classify, "classify.plmd");
