/* The media threads of an engine on a loop (engine/media_pool.c): calls are
 * spread over them and stay on theirs, and a hangup made by the app goes
 * out although the call core never calls the driver (engine/driver.c drains
 * marked calls before the loop waits). */
#include <criterion/criterion.h>
#include <uv.h>

#include "engine/call/call.h"
#include "engine/engine.h"
#include "parley.h"

static void run_for(uv_loop_t *loop, int ms) {
  uint64_t end = uv_now(loop) + (uint64_t)ms;
  while (uv_now(loop) < end) {
    uv_run(loop, UV_RUN_NOWAIT);
    uv_sleep(1);
    uv_update_time(loop);
  }
}

Test(media_pool, calls_spread_over_the_threads_and_leave_them) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  pl_engine_config ec;
  pl_engine_config_init(&ec);
  ec.media_threads = 3;
  pl_engine *e;
  cr_assert_eq(pl_engine_new_with(&e, &loop, &ec), 0);
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  pl_call *calls[7];
  for (int i = 0; i < 7; i++)
    cr_assert_eq(pl_call_new(&calls[i], e, &cfg), 0);
  pl_engine_stats st;
  cr_assert_eq(pl_engine_get_stats(e, &st), 0);
  cr_assert_eq(st.calls, 7);
  cr_assert_eq(st.media_threads, 3);
  cr_assert_eq(st.thread_calls[0] + st.thread_calls[1] + st.thread_calls[2], 7);
  for (int i = 0; i < 3; i++)
    cr_assert(st.thread_calls[i] == 2 || st.thread_calls[i] == 3, "thread %d has %d", i,
              st.thread_calls[i]);
  int owner = calls[4]->media_worker;
  pl_call_free(calls[4]);
  pl_call_free(calls[5]);
  cr_assert_eq(pl_engine_get_stats(e, &st), 0);
  cr_assert_eq(st.calls, 5);
  /* The next call goes to a thread that lost one. */
  cr_assert_eq(pl_call_new(&calls[4], e, &cfg), 0);
  cr_assert_eq(pl_engine_get_stats(e, &st), 0);
  cr_assert(st.thread_calls[owner] >= 2);
  run_for(&loop, 50);
  cr_assert_eq(pl_engine_get_stats(e, &st), 0);
  cr_assert(st.thread_ticks[0] >= 2, "the threads tick: %llu", (unsigned long long)st.thread_ticks[0]);
  for (int i = 0; i < 7; i++)
    if (i != 5)
      pl_call_free(calls[i]);
  pl_engine_free(e);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0, "every handle was closed");
}

Test(media_pool, bad_thread_counts_are_refused) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  pl_engine_config ec;
  pl_engine_config_init(&ec);
  pl_engine *e;
  ec.media_threads = 0;
  cr_assert_eq(pl_engine_new_with(&e, &loop, &ec), PL_EINVAL);
  ec.media_threads = 65;
  cr_assert_eq(pl_engine_new_with(&e, &loop, &ec), PL_EINVAL);
  uv_loop_close(&loop);
}

/* Two calls on one loop: the offer/answer and ICE run, then the app hangs
 * up one side from outside any engine callback; the other side hears the
 * BYE (its state ends) with no further help from the app. */
static int ended;
static void on_event(pl_call *c, const pl_event *ev, void *user) {
  (void)c;
  (void)user;
  if (ev->type == PL_EVENT_REMOTE_BYE || (ev->type == PL_EVENT_CONNECTION_STATE && ev->state == PL_CONNECTION_CLOSED))
    ended++;
}

Test(media_pool, a_hangup_from_the_app_reaches_the_peer) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, &loop), 0);
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.transport = PL_TRANSPORT_WEBRTC;
  cfg.on_event = on_event;
  pl_call *a, *b;
  cr_assert_eq(pl_call_new(&a, e, &cfg), 0);
  cr_assert_eq(pl_call_new(&b, e, &cfg), 0);
  static char offer[16384], answer[16384];
  cr_assert_eq(pl_call_create_offer(a, offer, sizeof offer), 0);
  cr_assert_eq(pl_call_accept_offer(b, offer, answer, sizeof answer), 0);
  cr_assert_eq(pl_call_accept_answer(a, answer), 0);
  pl_call_stats st;
  for (int i = 0; i < 300; i++) {
    run_for(&loop, 10);
    pl_call_get_stats(b, &st);
    if (st.connection_state == PL_CONNECTION_CONNECTED && st.packets_received > 5)
      break;
  }
  cr_assert_eq(st.connection_state, PL_CONNECTION_CONNECTED);
  pl_call_hangup(a);
  for (int i = 0; i < 100 && !ended; i++)
    run_for(&loop, 10);
  pl_call_get_stats(b, &st);
  cr_assert(ended, "b heard a's hangup (state %d)", st.connection_state);
  pl_call_free(a);
  pl_call_free(b);
  pl_engine_free(e);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}
