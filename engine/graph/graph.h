/* A media graph chain: an ordered list of stages run on every frame, each
 * switchable at run time and timed. One chain per direction and media kind
 * (audio send: after the source, before the encoder; audio receive: after
 * the decoder, before the sink; video likewise). */
#ifndef PL_ENGINE_GRAPH_H
#define PL_ENGINE_GRAPH_H

#include "engine/stage.h"

#define PL_GRAPH_MAX_STAGES 8

typedef struct pl_graph {
  pl_media_kind kind;
  int n;
  pl_stage stages[PL_GRAPH_MAX_STAGES];
} pl_graph;

void pl_graph_init(pl_graph *g, pl_media_kind kind);
/* Takes ownership of self (ops->free is called by pl_graph_destroy).
 * PL_EFULL when the chain is full, PL_EINVAL on a kind mismatch or a
 * duplicate name. */
int pl_graph_add(pl_graph *g, const pl_stage_ops *ops, void *self, bool on);
/* Any thread. PL_ENOENT for an unknown stage name. */
int pl_graph_request(pl_graph *g, const char *name, bool on);
/* Media thread: apply requests, then run every enabled stage in order.
 * A failing stage is counted and skipped; the frame goes on. */
void pl_graph_run(pl_graph *g, void *frame, pl_time_us now);
const pl_stage *pl_graph_find(const pl_graph *g, const char *name);
void pl_graph_destroy(pl_graph *g);

#endif
