/* The super-resolution nets' weights (upscale.plmd, docs/upscale.md),
 * linked into libparley so the `upscale` stage needs no model file. */
#include "incbin.h"

PL_INCBIN(pl_model_upscale, "upscale.plmd");
