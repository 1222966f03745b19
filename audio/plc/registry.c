/* A fixed table of registered concealer providers (see registry.h). */
#include "audio/plc/registry.h"

#include <string.h>

#include "parley.h"

static const pl_plc_provider *providers[PL_PLC_MAX_PROVIDERS];
static int nproviders;

int pl_plc_register(const pl_plc_provider *p) {
  if (!p || !p->name || !p->name[0] || !p->create || !p->destroy || !p->ops ||
      !p->ops->conceal)
    return PL_EINVAL;
  for (int i = 0; i < nproviders; i++)
    if (!strcmp(providers[i]->name, p->name)) {
      providers[i] = p;
      return 0;
    }
  if (nproviders == PL_PLC_MAX_PROVIDERS)
    return PL_EFULL;
  providers[nproviders++] = p;
  return 0;
}

const pl_plc_provider *pl_plc_find(const char *name) {
  if (!name)
    return NULL;
  for (int i = 0; i < nproviders; i++)
    if (!strcmp(providers[i]->name, name))
      return providers[i];
  return NULL;
}

void pl_plc_registry_clear(void) { nproviders = 0; }
