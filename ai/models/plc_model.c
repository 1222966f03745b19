/* The neural concealer's weights (plc.plmd, docs/plc.md), linked into
 * libparley so `plc` needs no model file at run time. */
#include "incbin.h"

PL_INCBIN(pl_model_plc, "plc.plmd");
