/* The noise suppressor's weights (denoise.plmd, docs/denoise.md), linked
 * into libparley so `denoise` needs no model file at run time. */
#include "incbin.h"

PL_INCBIN(pl_model_denoise, "denoise.plmd");
