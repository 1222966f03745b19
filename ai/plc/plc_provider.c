/* Makes the neural concealer the "neural" provider of the jitter buffer's
 * concealer registry (audio/plc/registry.h) where that registry is part of
 * the build; `parley conceal --plc neural` and calls find it by name. A
 * static library drops unreferenced objects, so registration is an explicit
 * call at start-up rather than a constructor. */
#include "ai/plc/plc.h"
#include "parley.h"

#if __has_include("audio/plc/registry.h")
#include "audio/plc/registry.h"

static void *create(int channels) {
  (void)channels; /* mono or stereo is decided per call by the buffer */
  return pl_plc_new(NULL);
}

static void destroy(void *self) { pl_plc_free(self); }

static const pl_plc_provider provider = {"neural", create, destroy, &pl_plc_ops};

int pl_plc_register_neural(void) { return pl_plc_register(&provider); }
#else
int pl_plc_register_neural(void) { return PL_ENOTSUP; }
#endif
