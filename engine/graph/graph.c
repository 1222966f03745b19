#include "engine/graph/graph.h"

#include <string.h>
#include <time.h>

#include "parley.h"

void pl_graph_init(pl_graph *g, pl_media_kind kind) {
  memset(g, 0, sizeof *g);
  g->kind = kind;
}

const pl_stage *pl_graph_find(const pl_graph *g, const char *name) {
  for (int i = 0; i < g->n; i++)
    if (strcmp(g->stages[i].ops->name, name) == 0)
      return &g->stages[i];
  return NULL;
}

int pl_graph_add(pl_graph *g, const pl_stage_ops *ops, void *self, bool on) {
  if (!ops || !ops->process || ops->kind != g->kind || pl_graph_find(g, ops->name))
    return PL_EINVAL;
  if (g->n == PL_GRAPH_MAX_STAGES)
    return PL_EFULL;
  pl_stage *s = &g->stages[g->n++];
  memset(s, 0, sizeof *s);
  s->ops = ops;
  s->self = self;
  atomic_store(&s->want, on);
  s->on = on;
  return 0;
}

int pl_graph_request(pl_graph *g, const char *name, bool on) {
  pl_stage *s = (pl_stage *)pl_graph_find(g, name);
  if (!s)
    return PL_ENOENT;
  atomic_store(&s->want, on);
  return 0;
}

/* Thread CPU time: what the stage costs this core, not wall time that a
 * busy machine would inflate. */
static uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pl_graph_run(pl_graph *g, void *frame, pl_time_us now) {
  for (int i = 0; i < g->n; i++) {
    pl_stage *s = &g->stages[i];
    bool want = atomic_load_explicit(&s->want, memory_order_relaxed);
    if (want != s->on) {
      if (want && s->ops->reset)
        s->ops->reset(s->self);
      s->on = want;
    }
    if (!s->on)
      continue;
    uint64_t t0 = cpu_ns();
    int rc = s->ops->process(s->self, frame, now);
    uint64_t dt = cpu_ns() - t0;
    s->stats.frames++;
    s->stats.total_ns += dt;
    if (dt > s->stats.max_ns)
      s->stats.max_ns = dt;
    if (rc < 0)
      s->stats.errors++;
  }
}

void pl_graph_destroy(pl_graph *g) {
  for (int i = 0; i < g->n; i++)
    if (g->stages[i].ops->free)
      g->stages[i].ops->free(g->stages[i].self);
  g->n = 0;
}
