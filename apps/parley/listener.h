/* The session ownership of `parley call --listen`, apart from its I/O: the
 * WHIP server's on_offer/on_end handlers for a listener that answers one
 * call at a time. A refused offer or a caller that never connects is
 * dropped (freed on the next turn) and the listener waits on; the caller's
 * DELETE, or the end of a call that connected, ends it. The app and the
 * WHIP fuzz target both run these handlers. Public header only. */
#ifndef PL_APPS_LISTENER_H
#define PL_APPS_LISTENER_H

#include <stdbool.h>

#include "parley.h"

#define PL_LISTENER_RETIRED 4

typedef struct pl_listener {
  pl_call *call; /* the call being answered, or NULL while waiting */
  pl_call *retired[PL_LISTENER_RETIRED]; /* dropped, freed by pl_listener_retire */
  int n_retired;
  bool ever_connected, stopping, quiet;
  int calls_answered;
  /* The app's part: make a configured call (0 or a PL_E* code, after saying
   * why), end the listener on its next turn, and have pl_listener_retire
   * run on the next turn (never inside the server's own callback). */
  int (*make_call)(void *app, pl_call **out);
  void (*stop)(void *app, int code);
  void (*retire_later)(void *app);
  void *app;
} pl_listener;

/* pl_whip_offer_cb and pl_whip_end_cb, with the listener as `user`. */
pl_call *pl_listener_on_offer(void *user);
void pl_listener_on_end(void *user, pl_call *call, pl_whip_end_reason why);
/* A call's connection state changed (from the app's event handler). */
void pl_listener_on_state(pl_listener *l, pl_call *call, int connection_state);
/* Whether an event of `call` is the listener's business: false for a
 * dropped call's last words, and for the failure of a caller that never
 * connected (the WHIP server's reaper drops it). */
bool pl_listener_event_matters(const pl_listener *l, const pl_call *call);
/* Frees the dropped calls. */
void pl_listener_retire(pl_listener *l);

#endif
