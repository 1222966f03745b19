/* Where concealers that live outside audio/ make themselves known: the
 * neural PLC stage (ai/plc) registers a provider by name at start-up, and
 * `parley conceal --plc neural` or a call looks it up and plugs the
 * concealer it creates into the jitter buffer's hook. One process-wide table
 * written at start-up only; lookups after that are read-only. */
#ifndef PL_AUDIO_PLC_REGISTRY_H
#define PL_AUDIO_PLC_REGISTRY_H

#include "audio/jitter/jitter.h"

#define PL_PLC_MAX_PROVIDERS 8

typedef struct pl_plc_provider {
  const char *name; /* "neural" */
  /* A concealer for `channels` at 48 kHz, or NULL (then PL_ENOMEM). */
  void *(*create)(int channels);
  void (*destroy)(void *self);
  const pl_concealer_ops *ops; /* what the jitter buffer calls with self */
} pl_plc_provider;

/* Adds p (kept by pointer: static storage). PL_EINVAL for a provider
 * missing a name or a call, PL_EFULL when the table is full; a second
 * provider under a name replaces the first. Not thread-safe: call before
 * any call starts. */
int pl_plc_register(const pl_plc_provider *p);
/* NULL when nothing registered that name. */
const pl_plc_provider *pl_plc_find(const char *name);
/* Forgets every provider (tests). */
void pl_plc_registry_clear(void);

#endif
