/* `parley room`: join a Janus VideoRoom as a publisher and subscribe to
 * every other publisher in it.
 *
 *   parley room --janus http://IP:PORT/janus --room 1234 [--send FILE.wav |
 *               --tone HZ] [--send-video Y4M|pattern] [--recv-video]
 *               [--record DIR] [--duration S] [--display NAME] [--rejoin N]
 *
 * What we send goes out on one call (the publisher; denoise, when asked
 * for, runs there once). Each remote publisher (feed) gets its own call
 * answering Janus's offer, so its jitter buffer, decoder and concealment
 * are its own. The feeds' audio is mixed for the speaker (audio/mix), and
 * with --record each feed is written to DIR/feed-<id>.wav, the mix to
 * DIR/mix.wav, and who was who to DIR/feeds.json. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "apps/parley/cli.h"
#include "audio/mix/mix.h"
#include "parley.h"

#define MAX_FEEDS 64 /* feeds over the room's life (16 at once: PL_JANUS_MAX_FEEDS) */
#define LEAVE_WAIT_MS 3000

typedef struct app app;

typedef struct feed {
  app *a;
  uint64_t id;
  char display[64];
  pl_call *call;       /* NULL: free slot (or handed back and retired) */
  pl_call_stats last;  /* taken when the room let go of it */
  bool had_call, removed;
  int input;           /* mixer input */
  pl_audio_io wav;
  bool has_wav;
} feed;

struct app {
  uv_loop_t *loop;
  pl_engine *engine;
  pl_room *room;
  pl_call *pub;
  uv_timer_t stop_timer, retire_timer, leave_timer;
  uv_signal_t sigint, sigterm;
  const char *url, *send_path, *record_dir, *display, *bind, *send_video, *stun_server;
  uint64_t room_id;
  double tone_hz, duration;
  bool loop_source, quiet, stopping, closed, joined, recv_video, finished;
  int rejoins;                   /* --rejoin N: tries left after the room fails */
  uv_timer_t rejoin_timer;
  int video_w, video_h;
  pl_cli_stage stages[PL_MAX_STAGES];
  bool stage_recv[PL_MAX_STAGES]; /* a receive stage: set on every feed */
  int n_stages;
  feed feeds[MAX_FEEDS];
  pl_call *retire[MAX_FEEDS * 2];
  int n_retire;
  pl_mix mix;
  float mix_out[PL_MIX_BLOCK * 2];
  pl_audio_io mix_wav;
  bool has_mix_wav;
  int exit_code;
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley room --janus http://IP:PORT/janus --room N [options]\n"
          "  --janus URL          the Janus HTTP API (numeric address)\n"
          "  --room N             the VideoRoom to join\n"
          "  --display NAME       our display name in the room (default parley)\n"
          "  --send FILE.wav      audio to publish (default: the bundled speech sample)\n"
          "  --loop               repeat the send file\n"
          "  --tone HZ            publish a sine tone instead\n"
          "  --send-video FILE.y4m|pattern  publish video too\n"
          "  --video-size WxH     pattern size (default 640x480)\n"
          "  --recv-video         take the feeds' video too (with --record: DIR/feed-<id>.y4m)\n"
          "  --record DIR         write each feed to DIR/feed-<id>.wav, the mix to\n"
          "                       DIR/mix.wav and the feeds' names to DIR/feeds.json\n"
          "  --duration SECONDS   leave after this long (default: until Ctrl-C)\n"
          "  --bind IP:PORT       local media address (default: every interface)\n"
          "  --stun-server IP:PORT  server-reflexive candidates (trickled to Janus)\n"
          "  --stage NAME=on|off  a stage: send side (denoise) once, on what we publish;\n"
          "                       receive side (plc) on every feed\n"
          "  --rejoin N           when the room fails (Janus restarted: 458), join again,\n"
          "                       up to N times, 1 s apart (default 0: exit 1)\n"
          "  --quiet              fewer messages\n");
}

/* ---- per-feed sink: the feed's own WAV and the mixer ---------------------- */

static int feed_write(void *user, const float *pcm, int samples, int channels) {
  feed *f = user;
  app *a = f->a;
  (void)channels;
  if (f->has_wav)
    f->wav.write(f->wav.user, pcm, samples, channels);
  if (f->input >= 0)
    pl_mix_write(&a->mix, f->input, pcm, samples);
  while (pl_mix_read(&a->mix, a->mix_out))
    if (a->has_mix_wav)
      a->mix_wav.write(a->mix_wav.user, a->mix_out, PL_MIX_BLOCK, 1);
  return 0;
}

static void feed_close(void *user) {
  feed *f = user;
  if (f->input >= 0)
    pl_mix_remove(&f->a->mix, f->input);
  f->input = -1;
  if (f->has_wav && f->wav.close)
    f->wav.close(f->wav.user);
  f->has_wav = false;
}

/* ---- calls ------------------------------------------------------------------ */

static void on_call_event(pl_call *call, const pl_event *ev, void *user) {
  app *a = user;
  (void)call;
  if (ev->type == PL_EVENT_CONNECTION_STATE && (!a->quiet || ev->state == PL_CONNECTION_FAILED))
    fprintf(stderr, "parley room: %s connection %s\n", call == a->pub ? "publisher" : "feed",
            pl_connection_state_name(ev->state));
  else if (ev->type == PL_EVENT_ERROR && !a->quiet)
    fprintf(stderr, "parley room: %s (%s)\n", ev->detail ? ev->detail : "error",
            pl_strerror(ev->error));
}

static void base_config(app *a, pl_call_config *cfg) {
  pl_call_config_init(cfg);
  cfg->bind = a->bind;
  cfg->transport = PL_TRANSPORT_WEBRTC;
  cfg->ice_all_interfaces = !strncmp(a->bind, "0.0.0.0:", 8) || !strncmp(a->bind, "[::]:", 5);
  cfg->stun_server = a->stun_server;
  cfg->on_event = on_call_event;
  cfg->user = a;
}

static pl_call *make_feed_call(void *user, uint64_t id, const char *display) {
  app *a = user;
  feed *f = NULL;
  for (int i = 0; i < MAX_FEEDS && !f; i++)
    if (!a->feeds[i].call && !a->feeds[i].had_call)
      f = &a->feeds[i];
  if (!f || a->stopping)
    return NULL;
  pl_call_config cfg;
  base_config(a, &cfg);
  cfg.video = a->recv_video;
  pl_call *c;
  if (pl_call_new(&c, a->engine, &cfg) != 0)
    return NULL;
  *f = (feed){.a = a, .id = id, .input = pl_mix_add(&a->mix)};
  snprintf(f->display, sizeof f->display, "%s", display ? display : "");
  if (a->record_dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/feed-%" PRIu64 ".wav", a->record_dir, id);
    f->has_wav = pl_audio_io_wav_sink(&f->wav, path, 1) == 0;
    if (!f->has_wav)
      fprintf(stderr, "parley room: cannot write %s\n", path);
  }
  pl_audio_io sink = {.write = feed_write, .close = feed_close, .user = f};
  pl_call_set_audio_sink(c, &sink);
  for (int i = 0; i < a->n_stages; i++)
    if (a->stage_recv[i])
      pl_cli_set_stage(c, &a->stages[i]);
  if (a->recv_video && a->record_dir) {
    char path[1024];
    pl_video_io vs;
    snprintf(path, sizeof path, "%s/feed-%" PRIu64 ".y4m", a->record_dir, id);
    if (pl_video_io_y4m_sink(&vs, path, 30) == 0)
      pl_call_set_video_sink(c, &vs);
    else
      fprintf(stderr, "parley room: cannot write %s\n", path);
  }
  f->call = c;
  f->had_call = true;
  return c;
}

static feed *feed_of(app *a, pl_call *call) {
  for (int i = 0; i < MAX_FEEDS; i++)
    if (call && a->feeds[i].call == call)
      return &a->feeds[i];
  return NULL;
}

static void on_retire_timer(uv_timer_t *t) {
  app *a = t->data;
  for (int i = 0; i < a->n_retire; i++)
    pl_call_free(a->retire[i]);
  a->n_retire = 0;
}

static void retire(app *a, pl_call *call) {
  if (a->n_retire < (int)(sizeof a->retire / sizeof a->retire[0])) {
    a->retire[a->n_retire++] = call;
    uv_timer_start(&a->retire_timer, on_retire_timer, 0, 0);
  }
}

/* ---- the room --------------------------------------------------------------- */

static void stop(app *a, int code);
static void finish(app *a);

static void on_stop_timer(uv_timer_t *t) { stop(t->data, 0); }
static void on_leave_timer(uv_timer_t *t) { finish(t->data); }
static void on_finish_timer(uv_timer_t *t) { finish(t->data); }

static void on_rejoin_timer(uv_timer_t *t);

static void on_room(void *user, const pl_room_event *ev) {
  app *a = user;
  feed *f;
  switch (ev->type) {
  case PL_ROOM_JOINED:
    a->joined = true;
    if (!a->quiet)
      fprintf(stderr, "parley room: publishing in room %" PRIu64 "\n", a->room_id);
    break;
  case PL_ROOM_FEED_ADDED:
    if (!a->quiet)
      fprintf(stderr, "parley room: feed %" PRIu64 " (%s) subscribed\n", ev->feed, ev->display);
    break;
  case PL_ROOM_FEED_REMOVED:
    f = feed_of(a, ev->call);
    fprintf(stderr, "parley room: feed %" PRIu64 " (%s) gone: %s\n", ev->feed,
            f ? f->display : "", ev->detail);
    if (f) {
      pl_call_get_stats(f->call, &f->last);
      f->call = NULL;
      f->removed = true;
    }
    if (ev->call)
      retire(a, ev->call);
    break;
  case PL_ROOM_ERROR:
    fprintf(stderr, "parley room: %s (%s)\n", ev->detail, pl_strerror(ev->error));
    break;
  case PL_ROOM_FAILED:
    fprintf(stderr, "parley room: the room is over: %s%s\n", ev->detail,
            ev->code == 458 ? " (Janus restarted?)" : "");
    if (a->rejoins > 0 && !a->stopping) {
      a->rejoins--;
      uv_timer_start(&a->rejoin_timer, on_rejoin_timer, 1000, 0);
      break;
    }
    a->closed = true;
    if (!a->exit_code)
      a->exit_code = 1;
    uv_timer_start(&a->leave_timer, on_finish_timer, 0, 0);
    break;
  case PL_ROOM_CLOSED:
    if (!a->quiet)
      fprintf(stderr, "parley room: left\n");
    a->closed = true;
    uv_timer_start(&a->leave_timer, on_finish_timer, 0, 0);
    break;
  }
}

static int setup_publisher(app *a);

/* The room failed and --rejoin allows another go: let go of the old room,
 * its feeds and our publisher (its ICE and DTLS were with the old Janus),
 * then join afresh. Feeds keep their history slots; new ones get new. */
static void on_rejoin_timer(uv_timer_t *t) {
  app *a = t->data;
  if (a->stopping)
    return;
  pl_room_free(a->room);
  a->room = NULL;
  for (int i = 0; i < MAX_FEEDS; i++) {
    feed *f = &a->feeds[i];
    if (f->call) {
      pl_call_get_stats(f->call, &f->last);
      retire(a, f->call);
      f->call = NULL;
      f->removed = true;
    }
  }
  if (a->pub)
    retire(a, a->pub);
  a->pub = NULL;
  a->joined = false;
  int rc = setup_publisher(a);
  if (!rc)
    rc = pl_room_join_janus(&a->room, a->engine, a->url, a->room_id, a->display, a->pub,
                            make_feed_call, on_room, a);
  if (rc) {
    fprintf(stderr, "parley room: cannot join again: %s\n", pl_strerror(rc));
    a->closed = true;
    stop(a, 1);
    return;
  }
  fprintf(stderr, "parley room: joining room %" PRIu64 " again\n", a->room_id);
}

/* A feed's stats: its call's now, or the last seen before the call went. */
static void feed_stats(const feed *f, pl_call_stats *st) {
  *st = f->last;
  if (f->call)
    pl_call_get_stats(f->call, st);
}

static void write_feeds_json(app *a) {
  if (!a->record_dir)
    return;
  char path[1024];
  snprintf(path, sizeof path, "%s/feeds.json", a->record_dir);
  FILE *fp = fopen(path, "w");
  if (!fp) {
    fprintf(stderr, "parley room: cannot write %s\n", path);
    return;
  }
  pl_room_stats rs = {0};
  pl_room_get_stats(a->room, &rs);
  fprintf(fp,
          "{\"joined\": %s, \"janus\": {\"messages\": %llu, \"malformed\": %llu,"
          " \"unknownTransactions\": %llu, \"lateReplies\": %llu, \"errors\": %llu,"
          " \"ignored\": %llu, \"polls\": %llu, \"keepalives\": %llu},\n \"feeds\": [",
          a->joined ? "true" : "false", (unsigned long long)rs.messages,
          (unsigned long long)rs.malformed, (unsigned long long)rs.unknown_transactions,
          (unsigned long long)rs.late_replies, (unsigned long long)rs.errors,
          (unsigned long long)rs.ignored, (unsigned long long)rs.polls,
          (unsigned long long)rs.keepalives);
  bool first = true;
  for (int i = 0; i < MAX_FEEDS; i++) {
    feed *f = &a->feeds[i];
    if (!f->had_call)
      continue;
    pl_call_stats st;
    feed_stats(f, &st);
    /* Display names are the peers' own text: only safe characters pass. */
    char disp[64];
    size_t k = 0;
    for (const char *s = f->display; *s && k + 1 < sizeof disp; s++)
      disp[k++] = (*s >= 0x20 && *s != '"' && *s != '\\' && (unsigned char)*s < 0x7f) ? *s : '_';
    disp[k] = 0;
    char on[128] = "";
    for (int s = 0; s < st.n_recv_stages; s++)
      if (st.recv_stages[s].enabled && strlen(on) + strlen(st.recv_stages[s].name) + 2 < sizeof on)
        snprintf(on + strlen(on), sizeof on - strlen(on), "%s%s", on[0] ? "," : "",
                 st.recv_stages[s].name);
    fprintf(fp, "%s\n {\"feed\": %" PRIu64 ", \"display\": \"%s\", \"file\": \"feed-%" PRIu64
                ".wav\", \"removed\": %s, \"packetsReceived\": %llu, \"packetsLost\": %lld,"
                " \"concealedSamples\": %llu, \"totalSamplesReceived\": %llu,"
                " \"removedSamplesForAcceleration\": %llu,"
                " \"insertedSamplesForDeceleration\": %llu, \"jitterBufferDelay\": %.4f,"
                " \"framesDecoded\": %llu, \"frameWidth\": %d, \"frameHeight\": %d,"
                " \"recvStagesOn\": \"%s\"}",
            first ? "" : ",", f->id, disp, f->id, f->removed ? "true" : "false",
            (unsigned long long)st.packets_received, (long long)st.packets_lost,
            (unsigned long long)st.concealed_samples,
            (unsigned long long)st.total_samples_received,
            (unsigned long long)st.removed_samples_for_acceleration,
            (unsigned long long)st.inserted_samples_for_deceleration, st.jitter_buffer_delay_s,
            (unsigned long long)st.frames_decoded, st.frame_width, st.frame_height, on);
    first = false;
  }
  fprintf(fp, "\n]}\n");
  fclose(fp);
}

static void close_cb(uv_handle_t *h) { (void)h; }

/* Everything is over: per-feed summary, free calls and room, close handles. */
static void finish(app *a) {
  if (a->finished)
    return;
  a->finished = true;
  write_feeds_json(a);
  for (int i = 0; i < MAX_FEEDS; i++) {
    feed *f = &a->feeds[i];
    if (!f->had_call)
      continue;
    pl_call_stats st;
    feed_stats(f, &st);
    printf("feed %" PRIu64 " (%s): %llu packets, %lld lost, %.2f%% concealed%s\n", f->id,
           f->display, (unsigned long long)st.packets_received, (long long)st.packets_lost,
           st.total_samples_received
               ? 100.0 * (double)st.concealed_samples / (double)st.total_samples_received
               : 0.0,
           f->removed ? " (left)" : "");
  }
  pl_room_stats rs;
  if (pl_room_get_stats(a->room, &rs) == 0 && !a->quiet)
    printf("janus: %llu messages, %llu malformed, %llu to unknown transactions, %llu late\n",
           (unsigned long long)rs.messages, (unsigned long long)rs.malformed,
           (unsigned long long)rs.unknown_transactions, (unsigned long long)rs.late_replies);
  pl_room_free(a->room);
  a->room = NULL;
  on_retire_timer(&a->retire_timer);
  for (int i = 0; i < MAX_FEEDS; i++)
    if (a->feeds[i].call) {
      pl_call_free(a->feeds[i].call);
      a->feeds[i].call = NULL;
    }
  if (a->pub) {
    pl_call_stats st;
    if (a->joined && pl_call_get_stats(a->pub, &st) == 0)
      printf("published: %llu packets sent\n", (unsigned long long)st.packets_sent);
    pl_call_free(a->pub);
    a->pub = NULL;
  }
  if (a->has_mix_wav && a->mix_wav.close)
    a->mix_wav.close(a->mix_wav.user);
  a->has_mix_wav = false;
  uv_close((uv_handle_t *)&a->stop_timer, close_cb);
  uv_close((uv_handle_t *)&a->retire_timer, close_cb);
  uv_close((uv_handle_t *)&a->leave_timer, close_cb);
  uv_close((uv_handle_t *)&a->rejoin_timer, close_cb);
  uv_close((uv_handle_t *)&a->sigint, close_cb);
  uv_close((uv_handle_t *)&a->sigterm, close_cb);
}

static void stop(app *a, int code) {
  if (code && !a->exit_code)
    a->exit_code = code;
  if (a->stopping)
    return;
  a->stopping = true;
  if (a->room && !a->closed) {
    /* Leave politely; if Janus does not answer, go anyway. */
    pl_room_leave(a->room);
    if (!a->closed)
      uv_timer_start(&a->leave_timer, on_leave_timer, LEAVE_WAIT_MS, 0);
  } else {
    uv_timer_start(&a->leave_timer, on_finish_timer, 0, 0);
  }
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  stop(s->data, 0);
}

static int setup_publisher(app *a) {
  pl_call_config cfg;
  base_config(a, &cfg);
  cfg.video = a->send_video != NULL;
  int rc = pl_call_new(&a->pub, a->engine, &cfg);
  if (rc) {
    fprintf(stderr, "parley room: cannot create a call on %s: %s\n", a->bind, pl_strerror(rc));
    return rc;
  }
  rc = pl_cli_set_sources(a->pub, "room", a->tone_hz, a->send_path, a->loop_source, a->send_video,
                          a->video_w, a->video_h);
  if (rc)
    return rc;
  /* A send stage (denoise) runs once, on what we publish; the concealer
   * (plc) on each feed, where its stream's losses are. Which side a stage
   * is on cannot be asked of a call that has not run yet (its stage list
   * comes from the media thread), so the one receive-side name is known
   * here. Every name is checked on the publisher, which has them all. */
  for (int i = 0; i < a->n_stages; i++)
    a->stage_recv[i] = !strcmp(a->stages[i].name, "plc");
  return pl_cli_set_stages(a->pub, "room", a->stages, a->n_stages);
}

int pl_cmd_room(int argc, char **argv) {
  static app a;
  a = (app){.bind = "0.0.0.0:0", .video_w = 640, .video_h = 480};
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG() PL_CLI_NEED_ARG("room", v)
    if (!strcmp(o, "--janus")) { NEED_ARG(); a.url = v; }
    else if (!strcmp(o, "--room")) {
      NEED_ARG();
      double r;
      if (pl_cli_parse_double(v, 1, 9007199254740991.0, &r) || r != (double)(uint64_t)r) {
        fprintf(stderr, "parley room: --room takes a positive integer\n");
        return 2;
      }
      a.room_id = (uint64_t)r;
    }
    else if (!strcmp(o, "--send")) { NEED_ARG(); a.send_path = v; }
    else if (!strcmp(o, "--record")) { NEED_ARG(); a.record_dir = v; }
    else if (!strcmp(o, "--display")) { NEED_ARG(); a.display = v; }
    else if (!strcmp(o, "--bind")) { NEED_ARG(); a.bind = v; }
    else if (!strcmp(o, "--stun-server")) { NEED_ARG(); a.stun_server = v; }
    else if (!strcmp(o, "--send-video")) { NEED_ARG(); a.send_video = v; }
    else if (!strcmp(o, "--tone")) {
      NEED_ARG();
      if (pl_cli_parse_double(v, 20, 20000, &a.tone_hz)) return 2;
    } else if (!strcmp(o, "--duration")) {
      NEED_ARG();
      if (pl_cli_parse_double(v, 0.01, 1e6, &a.duration)) return 2;
    } else if (!strcmp(o, "--stage")) {
      NEED_ARG();
      if (a.n_stages == PL_MAX_STAGES || pl_cli_parse_stage(v, &a.stages[a.n_stages]))
        return 2;
      a.n_stages++;
    }
    else if (!strcmp(o, "--video-size")) {
      NEED_ARG();
      if (pl_cli_parse_size(v, 16, 16, 3840, 2160, &a.video_w, &a.video_h)) return 2;
    }
    else if (!strcmp(o, "--recv-video")) a.recv_video = true;
    else if (!strcmp(o, "--rejoin")) {
      NEED_ARG();
      double n;
      if (pl_cli_parse_double(v, 0, 100, &n) || n != (int)n) return 2;
      a.rejoins = (int)n;
    }
    else if (!strcmp(o, "--loop")) a.loop_source = true;
    else if (!strcmp(o, "--quiet")) a.quiet = true;
    else if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); return 0; }
    else {
      fprintf(stderr, "parley room: unknown option '%s'\n", o);
      usage(stderr);
      return 2;
    }
#undef NEED_ARG
  }
  if (!a.url || !a.room_id) {
    fprintf(stderr, "parley room: --janus and --room are needed\n");
    usage(stderr);
    return 2;
  }
  if (a.display && strlen(a.display) >= 64) {
    fprintf(stderr, "parley room: --display is at most 63 bytes\n");
    return 2;
  }
  pl_mix_init(&a.mix, 1);
  a.loop = uv_default_loop();
  int rc = pl_engine_new(&a.engine, a.loop);
  if (rc) {
    fprintf(stderr, "parley room: %s\n", pl_strerror(rc));
    return 1;
  }
  uv_timer_init(a.loop, &a.stop_timer);
  uv_timer_init(a.loop, &a.retire_timer);
  uv_timer_init(a.loop, &a.leave_timer);
  uv_timer_init(a.loop, &a.rejoin_timer);
  a.stop_timer.data = a.retire_timer.data = a.leave_timer.data = a.rejoin_timer.data = &a;
  uv_signal_init(a.loop, &a.sigint);
  uv_signal_init(a.loop, &a.sigterm);
  a.sigint.data = a.sigterm.data = &a;
  uv_signal_start(&a.sigint, on_signal, SIGINT);
  uv_signal_start(&a.sigterm, on_signal, SIGTERM);
  if (a.record_dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/mix.wav", a.record_dir);
    a.has_mix_wav = pl_audio_io_wav_sink(&a.mix_wav, path, 1) == 0;
    if (!a.has_mix_wav) {
      fprintf(stderr, "parley room: cannot write %s\n", path);
      a.exit_code = 1;
    }
  }
  rc = a.exit_code ? 1 : setup_publisher(&a);
  if (!rc) {
    rc = pl_room_join_janus(&a.room, a.engine, a.url, a.room_id, a.display, a.pub,
                            make_feed_call, on_room, &a);
    if (rc)
      fprintf(stderr, "parley room: cannot use %s: %s (http://IP:PORT/path)\n", a.url,
              pl_strerror(rc));
  }
  if (rc) {
    if (!a.exit_code)
      a.exit_code = rc == PL_EINVAL || rc == PL_ENOTSUP ? 2 : 1;
    a.closed = true;
    stop(&a, a.exit_code);
  } else if (a.duration > 0) {
    uv_timer_start(&a.stop_timer, on_stop_timer, (uint64_t)(a.duration * 1000), 0);
  }
  uv_run(a.loop, UV_RUN_DEFAULT);
  pl_engine_free(a.engine);
  uv_run(a.loop, UV_RUN_DEFAULT);
  uv_loop_close(a.loop);
  return a.exit_code;
}
