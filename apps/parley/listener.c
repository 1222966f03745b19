/* One call at a time behind a WHIP server: see listener.h. */
#include <stdio.h>

#include "apps/parley/listener.h"

pl_call *pl_listener_on_offer(void *user) {
  pl_listener *l = user;
  if (l->call || l->stopping)
    return NULL; /* one call at a time: 503 */
  pl_call *c = NULL;
  if (l->make_call(l->app, &c) != 0) {
    /* The app said why; the caller gets 503 and the listener stays (the
     * media port of a dropped caller may take a loop turn to close). */
    if (c)
      pl_call_free(c);
    return NULL;
  }
  l->call = c;
  l->ever_connected = false;
  l->calls_answered++;
  if (!l->quiet)
    fprintf(stderr, "parley call: answering a call\n");
  return c;
}

void pl_listener_on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  pl_listener *l = user;
  if (call != l->call)
    return;
  if (why == PL_WHIP_END_DELETED || (why == PL_WHIP_END_CLOSED && l->ever_connected)) {
    if (!l->quiet && why == PL_WHIP_END_DELETED)
      fprintf(stderr, "\nparley call: the caller ended the session\n");
    l->stop(l->app, 0);
    return;
  }
  fprintf(stderr, "parley call: caller dropped (%s); waiting for the next\n",
          pl_whip_end_reason_name(why));
  l->call = NULL;
  l->ever_connected = false;
  l->calls_answered--;
  /* Not from inside the server's handler or tick: freed on the next turn. */
  if (l->n_retired == PL_LISTENER_RETIRED)
    pl_listener_retire(l); /* cannot happen within one turn */
  l->retired[l->n_retired++] = call;
  l->retire_later(l->app);
}

void pl_listener_on_state(pl_listener *l, pl_call *call, int connection_state) {
  if (call == l->call && connection_state == PL_CONNECTION_CONNECTED)
    l->ever_connected = true;
}

bool pl_listener_event_matters(const pl_listener *l, const pl_call *call) {
  return call == l->call && l->ever_connected;
}

void pl_listener_retire(pl_listener *l) {
  for (int i = 0; i < l->n_retired; i++)
    pl_call_free(l->retired[i]);
  l->n_retired = 0;
}
