/* The bandwidth extender's weights (extend.plmd, docs/bwe.md), linked
 * into libparley so the `extend` stage needs no model file at run time. */
#include "incbin.h"

PL_INCBIN(pl_model_extend, "extend.plmd");
