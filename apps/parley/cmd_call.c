/* `parley call`: a two-party audio call between two processes, or between
 * a browser and this process.
 *
 *   parley call --listen 127.0.0.1:8000 [--record rx.wav]
 *   parley call --connect 127.0.0.1:8000 [--send speech.wav] [--record rx.wav]
 *
 * The listener serves WHIP (RFC 9725) on its port: the caller POSTs its SDP
 * offer to /whip and gets the answer (201 Created + an unguessable
 * Location), trickles candidates with PATCH, and DELETE on the Location ends
 * the call; GET / serves a page that calls from a browser. It answers one
 * call, then exits with its summary; offers that fail, and callers that
 * never connect, are dropped and the listener waits on. Media flows over the WebRTC
 * transport (ICE, DTLS-SRTP) on UDP, the first socket on the same port
 * number; --sdes selects the older a=crypto transport. Only the public
 * header is used: this is also the first embedding example. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "apps/parley/call_data.h"
#include "apps/parley/cli.h"
#include "apps/parley/listener.h"
#include "audio/opus/opus.h"
#include "parley.h"

typedef struct app {
  uv_loop_t *loop;
  pl_engine *engine;
  pl_call *call;
  pl_listener lis; /* --listen: who owns which call (listener.c) */
  pl_whip_server *whip;
  uv_timer_t tick, stop_timer, retire_timer;
  uv_signal_t sigint, sigterm;
  const char *listen, *connect, *send_path, *record_path, *stats_json;
  const char *stun_server, *cert_path, *key_path, *www_dir, *webrtc_json, *bind;
  const char *send_video, *record_video, *video_json;
  int display_w, display_h; /* --video-display: the upscale stage's target */
  const char *token, *allow_origins, *cc;
  double session_timeout;
  int video_codec, video_bitrate, video_w, video_h;
  bool video;
  char ice_hosts[256];
  bool sdes, ice_all, ice_loopback, ice_lite, relay_only;
  const char *turn[4];
  int n_turn;
  const char *turn_secret, *turn_ca;
  char turn_rest[4][640]; /* --turn URLs with REST credentials filled in */
  double tone_hz;
  bool mic, speaker;                 /* --mic / --speaker: sound devices */
  const char *mic_name, *speaker_name; /* NULL: the server's default */
  char *page;
  size_t page_len;
  double duration;
  int channels, bitrate, frame_ms;
  bool fec, dtx, quiet, tty, loop_source, stopping, connected;
  int red; /* --red */
  int dred_ms;
  bool dial_failed; /* no call took place: no summary */
  pl_crypto_suite crypto;
  pl_cli_stage stages[PL_MAX_STAGES];
  int n_stages;
  char media_addr[64];
  int exit_code;
  double started_s;
  pl_call_data data; /* --echo-data, --send-data, --record-data */
} app;

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n >= 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
      *len = fread(buf, 1, (size_t)n, f);
      buf[*len] = 0;
    }
  }
  fclose(f);
  return buf;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley call (--listen ADDR | --connect ADDR) [options]\n"
          "  --listen IP:PORT     serve signaling (HTTP) and media (UDP) on this port\n"
          "  --connect IP:PORT    call a listener\n"
          "  --send FILE.wav      audio to send (default: the bundled speech sample)\n"
          "  --loop               repeat the send file\n"
          "  --record FILE.wav    record what is received (48 kHz, 16-bit)\n"
          "  --duration SECONDS   hang up after this long (default: until Ctrl-C or BYE)\n"
          "  --bitrate BPS        Opus bitrate (default 32000)\n"
          "  --frame-ms N         Opus frame: 10, 20, 40, 60 (default 20)\n"
          "  --stereo             two channels\n"
          "  --no-fec --dtx       Opus in-band FEC off / DTX on\n"
          "  --red 0|1|2|auto     RED (RFC 2198): previous frames per packet, or chosen\n"
          "                       from the loss the peer reports (default 0; RED from the\n"
          "                       peer is decoded whatever this says)\n"
          "  --dred MS            send Opus DRED (libopus >= 1.5) from the start, not only\n"
          "                       once the peer reports loss\n"
          "  --crypto aes|gcm     SRTP suite to offer (default aes)\n"
          "  --stage NAME=on|off|auto  a media-graph stage (extend: auto by default)\n"
          "  --stats-json FILE    write the final statistics as JSON\n"
          "  --webrtc-json FILE   write the final transport state (ICE, DTLS, pair) as JSON\n"
          "  --tone HZ            send a sine tone instead of a file\n"
          "  --mic [NAME]         send what a sound device captures (PulseAudio; default:\n"
          "                       the default source; --list-devices names them)\n"
          "  --speaker [NAME]     play what is received on a sound device\n"
          "  --list-devices       list the capture and playback devices, then exit\n"
          "  --bind IP:PORT       with --connect: local media address (default: by the peer's)\n"
          "  --sdes               a=crypto keys, no ICE/DTLS (the pre-WebRTC transport)\n"
          "  --stun-server IP:PORT  gather server-reflexive candidates there\n"
          "  --ice-host IP        one more host candidate address (repeatable)\n"
          "  --ice-all            host candidates on every interface that is up\n"
          "  --ice-loopback       with --ice-all, loopback interfaces too\n"
          "  --ice-lite           ICE-lite: answer checks only\n"
          "  --turn turn:USER:PASS@IP:PORT[?transport=tcp]  a TURN server to relay\n"
          "                       through (repeatable, up to 4; numeric addresses);\n"
          "                       turns:... for TLS to the server\n"
          "  --turn-ca PEM        CAs trusted for turns: (default: the system's)\n"
          "  --ice-relay-only     offer and use relayed candidates only (needs --turn)\n"
          "  --turn-secret S      REST-API credentials (coturn use-auth-secret) for each\n"
          "                       --turn turn:USER@IP:PORT, valid for a day\n"
          "  --cert PEM --key PEM DTLS identity (default: a fresh ECDSA P-256 one)\n"
          "  --www DIR            page served on GET / (default: the source tree's www)\n"
          "  --send-video FILE.y4m|pattern  send video (pattern: the moving test picture)\n"
          "  --record-video OUT.y4m         record the received video (XPL_* timing tags)\n"
          "  --video-codec vp8|vp9          preferred video codec (default vp8)\n"
          "  --video-bitrate BPS            video encoder target (default 800000)\n"
          "  --video-size WxH               pattern size (default 640x480)\n"
          "  --video                        negotiate video even with neither of the above\n"
          "  --video-json FILE              write the final video statistics as JSON\n"
          "  --video-display WxH            show received video at WxH: the upscale stage\n"
          "                                 enlarges smaller pictures (default: the sender's\n"
          "                                 capture size)\n"
          "  --token TOKEN        WHIP bearer token: required of callers (--listen),\n"
          "                       sent to the listener (--connect)\n"
          "  --allow-origin LIST  --listen: origins whose pages may call (comma-separated,\n"
          "                       or *); default: only the page this listener serves\n"
          "  --session-timeout S  --listen: drop a caller not connected after S seconds\n"
          "                       (default 30)\n"
          "  --cc NAME            congestion controller: gcc, learned or none (default: the engine's)\n"
          "  --echo-data          send every data channel message back on its channel\n"
          "  --send-data FILE     open a data channel and send FILE, then hang up\n"
          "  --record-data DIR    write each data channel the peer opens to DIR/<label>\n"
          "  --quiet              no live status line\n");
}

static void stop(app *a, int code);
static void on_stop_timer(uv_timer_t *t);

/* From inside the engine's callbacks (a call's event, the WHIP server's
 * handler): stopping frees the call and the server, so it waits for the
 * loop's next turn. */
static void stop_later(app *a, int code) {
  if (code && !a->exit_code)
    a->exit_code = code;
  if (!a->stopping)
    uv_timer_start(&a->stop_timer, on_stop_timer, 0, 0);
}

static void print_status(app *a, bool final) {
  if (!a->call)
    return;
  pl_call_stats st;
  if (pl_call_get_stats(a->call, &st) != 0)
    return;
  if (final) {
    pl_cli_print_summary(stdout, &st);
    if (a->stats_json && pl_cli_write_stats_json(a->stats_json, &st) != 0)
      fprintf(stderr, "parley call: cannot write %s\n", a->stats_json);
    return;
  }
  if (a->quiet || !a->tty)
    return;
  fprintf(stderr,
          "\r%5.1fs  tx %6.1f kbit/s  rx %6.1f kbit/s  lost %5.1f%%  rtt %4.0f ms"
          "  jb %4.0f ms  conceal %5.2f%%   ",
          st.duration_s, st.send_bitrate_bps / 1000, st.recv_bitrate_bps / 1000,
          st.packets_received + st.packets_lost > 0
              ? 100.0 * (double)st.packets_lost /
                    (double)(st.packets_received + (uint64_t)(st.packets_lost > 0 ? st.packets_lost : 0))
              : 0.0,
          st.rtt_s >= 0 ? st.rtt_s * 1000 : 0, st.jitter_buffer_delay_s * 1000,
          st.total_samples_received
              ? 100.0 * (double)st.concealed_samples / (double)st.total_samples_received
              : 0.0);
  fflush(stderr);
}

static void on_tick(uv_timer_t *t) { print_status(t->data, false); }

/* --send-data: the file is acknowledged; give the channel's close (and an
 * echo on its way back) a second, then hang up. */
static void on_data_done_timer(uv_timer_t *t) { stop(t->data, 0); }
static void data_finished(void *user) {
  app *a = user;
  if (!a->stopping)
    uv_timer_start(&a->stop_timer, on_data_done_timer, 1000, 0);
}

static void write_webrtc_json(app *a) {
  pl_call_stats st;
  if (!a->webrtc_json || !a->call || pl_call_get_stats(a->call, &st) != 0)
    return;
  FILE *f = fopen(a->webrtc_json, "w");
  if (!f) {
    fprintf(stderr, "parley call: cannot write %s\n", a->webrtc_json);
    return;
  }
  /* The selected pair's candidate types: the first word of "type addr". */
  char lt[16] = "", rt[16] = "";
  sscanf(st.local_candidate, "%15s", lt);
  sscanf(st.remote_candidate, "%15s", rt);
  fprintf(f,
          "{\"iceState\": \"%s\", \"dtlsState\": \"%s\", \"connectionState\": \"%s\",\n"
          " \"localCandidate\": \"%s\", \"remoteCandidate\": \"%s\", \"srtpProfile\": \"%s\",\n"
          " \"dtlsConnectedSeconds\": %.4f, \"stunBadIntegrity\": %llu,\n"
          " \"iceChecksSent\": %llu, \"iceChecksReceived\": %llu, \"consentOk\": %llu,\n"
          " \"localCandidates\": %d, \"srflxCandidates\": %d, \"remoteCandidates\": %d,\n"
          " \"stunMapped\": \"%s\", \"packetsReceived\": %llu, \"packetsSent\": %llu,\n"
          " \"srtpAuthFailures\": %llu, \"srtpReplays\": %llu, \"packetsDropped\": %llu,\n"
          " \"dtlsRecordsDiscarded\": %llu,\n"
          " \"localCandidateType\": \"%s\", \"remoteCandidateType\": \"%s\",\n"
          " \"relayCandidates\": %d, \"turnAllocations\": %llu, \"turnBytesSent\": %llu,\n"
          " \"turnBytesReceived\": %llu, \"turnErrors\": %llu, \"turnError\": \"%s\",\n"
          " \"iceRebinds\": %llu, \"iceRestarts\": %llu}\n",
          pl_ice_connection_state_name(st.ice_state), pl_dtls_transport_state_name(st.dtls_state),
          pl_connection_state_name(st.connection_state), st.local_candidate, st.remote_candidate,
          st.srtp_profile, st.dtls_connected_s, (unsigned long long)st.stun_bad_integrity,
          (unsigned long long)st.ice_checks_sent, (unsigned long long)st.ice_checks_received,
          (unsigned long long)st.consent_ok, st.local_candidates, st.srflx_candidates,
          st.remote_candidates, st.stun_mapped, (unsigned long long)st.packets_received,
          (unsigned long long)st.packets_sent, (unsigned long long)st.srtp_auth_failures,
          (unsigned long long)st.srtp_replays, (unsigned long long)st.packets_dropped,
          (unsigned long long)st.dtls_records_discarded, lt, rt, st.relay_candidates,
          (unsigned long long)st.turn_allocations, (unsigned long long)st.turn_bytes_sent,
          (unsigned long long)st.turn_bytes_received, (unsigned long long)st.turn_errors,
          st.turn_error, (unsigned long long)st.ice_rebinds,
          (unsigned long long)st.ice_restarts);
  fclose(f);
}

static double upscale_us(const pl_call_stats *st) {
  for (int i = 0; i < st->n_recv_stages; i++)
    if (!strcmp(st->recv_stages[i].name, "upscale"))
      return st->recv_stages[i].avg_us;
  return 0;
}

static void write_video_json(app *a) {
  pl_call_stats st;
  if (!a->video_json || !a->call || pl_call_get_stats(a->call, &st) != 0)
    return;
  FILE *f = fopen(a->video_json, "w");
  if (!f) {
    fprintf(stderr, "parley call: cannot write %s\n", a->video_json);
    return;
  }
  fprintf(f,
          "{\"video\": %s, \"codec\": \"%s\", \"packetsSent\": %llu, \"packetsReceived\": %llu,\n"
          " \"packetsLost\": %lld, \"framesEncoded\": %llu, \"keyFramesEncoded\": %llu,\n"
          " \"frameWidthSent\": %d, \"frameHeightSent\": %d, \"framesReceived\": %llu,\n"
          " \"framesDecoded\": %llu, \"keyFramesDecoded\": %llu, \"framesDropped\": %llu,\n"
          " \"decodeErrors\": %llu, \"packetsDropped\": %llu, \"frameWidth\": %d,\n"
          " \"frameHeight\": %d, \"framesPerSecond\": %.2f, \"freezeCount\": %llu,\n"
          " \"totalFreezesDuration\": %.3f, \"nackCount\": %llu, \"pliCount\": %llu,\n"
          " \"firCount\": %llu, \"nacksReceived\": %llu, \"plisReceived\": %llu,\n"
          " \"firsReceived\": %llu, \"retransmittedPacketsSent\": %llu,\n"
          " \"retransmittedPacketsReceived\": %llu, \"delaySeconds\": %.4f,\n"
          " \"resolutionSwitches\": %llu, \"framesPerSecondSent\": %d,\n"
          " \"frameWidthCapture\": %d, \"frameHeightCapture\": %d,\n"
          " \"framesUpscaled\": %llu, \"framesUpscaledModel\": %llu, \"upscaleFallbacks\": %llu,\n"
          " \"framesUpscaledBicubic\": %llu, \"frameWidthUpscaled\": %d, \"frameHeightUpscaled\": %d,\n"
          " \"upscaleUsPerFrame\": %.1f}\n",
          st.video ? "true" : "false", st.video_codec == 9 ? "VP9" : st.video_codec == 8 ? "VP8" : "",
          (unsigned long long)st.video_packets_sent, (unsigned long long)st.video_packets_received,
          (long long)st.video_packets_lost, (unsigned long long)st.frames_encoded,
          (unsigned long long)st.key_frames_encoded, st.frame_width_sent, st.frame_height_sent,
          (unsigned long long)st.frames_received, (unsigned long long)st.frames_decoded,
          (unsigned long long)st.key_frames_decoded, (unsigned long long)st.frames_dropped,
          (unsigned long long)st.decode_errors, (unsigned long long)st.video_packets_dropped,
          st.frame_width, st.frame_height, st.frames_per_second,
          (unsigned long long)st.freeze_count, st.total_freezes_duration_s,
          (unsigned long long)st.nack_count, (unsigned long long)st.pli_count,
          (unsigned long long)st.fir_count, (unsigned long long)st.nacks_received,
          (unsigned long long)st.plis_received, (unsigned long long)st.firs_received,
          (unsigned long long)st.retransmitted_packets_sent,
          (unsigned long long)st.retransmitted_packets_received, st.video_delay_s,
          (unsigned long long)st.resolution_switches, st.frames_per_second_sent,
          st.frame_width_capture, st.frame_height_capture,
          (unsigned long long)st.frames_upscaled, (unsigned long long)st.frames_upscaled_model,
          (unsigned long long)st.upscale_fallbacks, (unsigned long long)st.frames_upscaled_bicubic,
          st.frame_width_upscaled, st.frame_height_upscaled, upscale_us(&st));
  fclose(f);
}

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  app *a = user;
  if (call != a->call)
    return; /* a dropped session's last words */
  /* A listener's caller that fails before connecting is dropped by the WHIP
   * server's reaper: the listener waits for the next one. */
  if (ev->type == PL_EVENT_CONNECTION_STATE)
    pl_listener_on_state(&a->lis, call, ev->state);
  bool dropped_later = a->listen && !pl_listener_event_matters(&a->lis, call);
  switch (ev->type) {
  case PL_EVENT_ICE_STATE:
    if (!a->quiet)
      fprintf(stderr, "parley call: ICE %s\n", pl_ice_connection_state_name(ev->state));
    break;
  case PL_EVENT_DTLS_STATE:
    if (!a->quiet || ev->state == PL_DTLS_TRANSPORT_FAILED)
      fprintf(stderr, "parley call: DTLS %s%s%s\n", pl_dtls_transport_state_name(ev->state),
              ev->error ? ": " : "", ev->error ? ev->detail : "");
    break;
  case PL_EVENT_CONNECTION_STATE:
    if (!a->quiet || ev->state == PL_CONNECTION_FAILED)
      fprintf(stderr, "parley call: connection %s%s%s%s\n", pl_connection_state_name(ev->state),
              ev->error ? " (" : "", ev->error ? ev->detail : "", ev->error ? ")" : "");
    if (dropped_later)
      break;
    if (ev->state == PL_CONNECTION_FAILED)
      stop_later(a, 1);
    else if (ev->state == PL_CONNECTION_CLOSED)
      stop_later(a, 0);
    break;
  case PL_EVENT_TRACK:
    if (!a->quiet)
      fprintf(stderr, "parley call: remote track %s\n", ev->detail ? ev->detail : "");
    break;
  case PL_EVENT_CONNECTED:
    a->connected = true;
    if (!a->quiet)
      fprintf(stderr, "parley call: media connected\n");
    break;
  case PL_EVENT_REMOTE_BYE:
    if (dropped_later)
      break;
    if (!a->quiet)
      fprintf(stderr, "\nparley call: peer hung up\n");
    stop_later(a, 0);
    break;
  case PL_EVENT_TIMEOUT:
    if (dropped_later)
      break;
    fprintf(stderr, "\nparley call: no media from the peer: %s\n",
            ev->detail ? ev->detail : "timeout");
    stop_later(a, 1);
    break;
  case PL_EVENT_DATA_CHANNEL:
  case PL_EVENT_DATA_OPEN:
  case PL_EVENT_DATA_MESSAGE:
  case PL_EVENT_DATA_CLOSE:
  case PL_EVENT_DATA_BUFFERED_LOW:
    pl_call_data_event(&a->data, call, ev);
    break;
  case PL_EVENT_SOURCE_ENDED:
  default:
    break;
  case PL_EVENT_ERROR:
    if (!a->quiet)
      fprintf(stderr, "\nparley call: %s (%s)\n", ev->detail ? ev->detail : "error",
              pl_strerror(ev->error));
    break;
  }
}

static int setup_call(app *a, const char *bind) {
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = bind;
  cfg.channels = a->channels;
  cfg.opus_bitrate = a->bitrate;
  cfg.opus_frame_ms = a->frame_ms;
  cfg.opus_fec = a->fec;
  cfg.red = a->red;
  cfg.opus_dtx = a->dtx;
  cfg.opus_dred_ms = a->dred_ms;
  cfg.crypto = a->crypto;
  cfg.on_event = on_event;
  cfg.user = a;
  cfg.transport = a->sdes ? PL_TRANSPORT_SDES : PL_TRANSPORT_WEBRTC;
  cfg.stun_server = a->stun_server;
  cfg.ice_hosts = a->ice_hosts[0] ? a->ice_hosts : NULL;
  /* A wildcard socket is no candidate: take every interface instead. */
  cfg.ice_all_interfaces = a->ice_all || !strncmp(bind, "0.0.0.0:", 8) || !strncmp(bind, "[::]:", 5);
  cfg.ice_loopback = a->ice_loopback;
  cfg.ice_lite = a->ice_lite;
  for (int i = 0; i < a->n_turn; i++) {
    cfg.turn_servers[i] = a->turn[i];
    /* turn:USER@HOST with --turn-secret: "expiry:USER" and its HMAC. */
    const char *at = strrchr(a->turn[i], '@');
    int pre = a->turn[i][4] == 's' ? 6 : 5; /* "turns:" or "turn:" */
    if (a->turn_secret && at && !memchr(a->turn[i] + pre, ':', (size_t)(at - a->turn[i] - pre))) {
      char user[300], name[340], pass[64];
      snprintf(user, sizeof user, "%.*s", (int)(at - a->turn[i] - pre), a->turn[i] + pre);
      if (pl_turn_rest_credentials(a->turn_secret, user, (int64_t)time(NULL) + 86400, name,
                                   sizeof name, pass, sizeof pass) == 0) {
        snprintf(a->turn_rest[i], sizeof a->turn_rest[i], "%.*s%s:%s%s", pre, a->turn[i], name,
                 pass, at);
        cfg.turn_servers[i] = a->turn_rest[i];
      }
    }
  }
  cfg.ice_relay_only = a->relay_only;
  cfg.turn_ca_file = a->turn_ca;
  cfg.video = a->video;
  cfg.cc = a->cc;
  cfg.data_channels = pl_call_data_enabled(&a->data);
  if (a->video_codec)
    cfg.video_codec = a->video_codec;
  if (a->video_bitrate)
    cfg.video_bitrate = a->video_bitrate;
  int rc = pl_call_new(&a->call, a->engine, &cfg);
  if (rc) {
    fprintf(stderr, "parley call: cannot create call on %s: %s%s\n", bind, pl_strerror(rc),
            a->n_turn && (rc == PL_EINVAL || rc == PL_ENOTSUP)
                ? " (check --turn: turn:USER:PASS@IP:PORT[?transport=tcp])"
                : "");
    return rc;
  }
  rc = pl_call_data_setup(&a->data, a->call);
  if (rc)
    return rc;
  pl_audio_io sink;
  rc = pl_cli_set_sources(a->call, "call", a->tone_hz, a->send_path, a->loop_source,
                          a->send_video, a->video_w, a->video_h);
  if (rc)
    return rc;
  if (a->mic) { /* the microphone replaces the file or tone */
    pl_audio_io src;
    rc = pl_audio_io_pulse_source(&src, a->mic_name);
    if (rc) {
      fprintf(stderr, "parley call: cannot read %s: %s\n",
              a->mic_name ? a->mic_name : "the default capture device", pl_strerror(rc));
      return rc;
    }
    pl_call_set_audio_source(a->call, &src);
  }
  if (a->speaker) {
    rc = pl_audio_io_pulse_sink(&sink, a->speaker_name);
    if (rc) {
      fprintf(stderr, "parley call: cannot play on %s: %s\n",
              a->speaker_name ? a->speaker_name : "the default playback device", pl_strerror(rc));
      return rc;
    }
    pl_call_set_audio_sink(a->call, &sink);
  } else if (a->record_path) {
    rc = pl_audio_io_wav_sink(&sink, a->record_path, a->channels);
    if (rc) {
      fprintf(stderr, "parley call: cannot write %s: %s\n", a->record_path, pl_strerror(rc));
      return rc;
    }
    pl_call_set_audio_sink(a->call, &sink);
  }
  if (a->record_video) {
    pl_video_io vsink;
    rc = pl_video_io_y4m_sink(&vsink, a->record_video, 30);
    if (rc) {
      fprintf(stderr, "parley call: cannot write %s: %s\n", a->record_video, pl_strerror(rc));
      return rc;
    }
    pl_call_set_video_sink(a->call, &vsink);
  }
  if (a->display_w)
    pl_call_set_video_display(a->call, a->display_w, a->display_h);
  return pl_cli_set_stages(a->call, "call", a->stages, a->n_stages);
}

/* The listener's side of the WHIP server (listener.c decides; these keep
 * the app's own view, a->call, in step). */
static int make_call(void *user, pl_call **out) {
  app *a = user;
  int rc = setup_call(a, a->media_addr);
  *out = a->call;
  if (rc)
    a->call = NULL; /* listener.c frees it */
  return rc;
}

static void stop_cb(void *user, int code) { stop_later(user, code); }

static void on_retire_timer(uv_timer_t *t) {
  app *a = t->data;
  pl_listener_retire(&a->lis);
}

static void retire_later(void *user) {
  app *a = user;
  uv_timer_start(&a->retire_timer, on_retire_timer, 0, 0);
}

static pl_call *on_offer(void *user) {
  app *a = user;
  a->lis.stopping = a->stopping;
  pl_call *c = pl_listener_on_offer(&a->lis);
  a->call = a->lis.call;
  return c;
}

static void on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  app *a = user;
  pl_listener_on_end(&a->lis, call, why);
  if (!a->lis.call && a->call == call) {
    a->call = NULL;
    a->connected = false;
  }
}

static void on_dialed(pl_call *call, int err, int http_status, void *user) {
  (void)call;
  app *a = user;
  if (err) {
    a->dial_failed = true;
    if (err == PL_EBUSY)
      fprintf(stderr, "parley call: %s is busy with another call (HTTP %d); try again later\n",
              a->connect, http_status);
    else if (err == PL_EDENIED)
      fprintf(stderr, "parley call: %s refused the call (HTTP %d): %s\n", a->connect,
              http_status, a->token ? "wrong --token" : "it wants a --token");
    else if (http_status && http_status != 201 && http_status != 200)
      fprintf(stderr, "parley call: %s answered HTTP %d (%s)\n", a->connect, http_status,
              pl_strerror(err));
    else if (http_status)
      fprintf(stderr, "parley call: %s sent an answer this call cannot use: %s\n", a->connect,
              pl_strerror(err));
    else
      fprintf(stderr, "parley call: cannot call %s: %s\n", a->connect, pl_strerror(err));
    stop_later(a, 1);
  }
}

/* A WebRTC call that ends without ever carrying media found no path: say
 * what was tried, and what usually helps, rather than only "failed". */
static void no_path_note(app *a) {
  pl_call_stats st;
  if (a->connected || a->dial_failed || a->sdes || pl_call_get_stats(a->call, &st) != 0 ||
      st.connection_state == PL_CONNECTION_CONNECTED || st.packets_received > 0)
    return;
  fprintf(stderr,
          "parley call: no media path to the peer: ICE %s with %d local candidate(s) "
          "(%d server-reflexive, %d relayed) and %d remote%s%s\n",
          pl_ice_connection_state_name(st.ice_state), st.local_candidates, st.srflx_candidates,
          st.relay_candidates, st.remote_candidates, st.turn_error[0] ? "; " : "",
          st.turn_error);
  if (!a->n_turn)
    fprintf(stderr, "parley call: behind a firewall or a symmetric NAT, relay through a TURN "
                    "server: --turn turn:USER:PASS@IP:PORT[?transport=tcp]\n");
  if (!a->exit_code)
    a->exit_code = 1;
}

static void on_stop_timer(uv_timer_t *t) { stop(t->data, 0); }
static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  stop(s->data, 0);
}

static void close_cb(uv_handle_t *h) { (void)h; }

static void stop(app *a, int code) {
  if (a->stopping)
    return;
  a->stopping = true;
  if (code && !a->exit_code)
    a->exit_code = code;
  if (!a->quiet && a->tty)
    fprintf(stderr, "\n");
  if (a->call) {
    if (!a->dial_failed) {
      print_status(a, true);
      pl_call_data_summary(&a->data, stdout);
    }
    write_webrtc_json(a);
    write_video_json(a);
    no_path_note(a);
    pl_call_hangup(a->call);
    pl_call_free(a->call);
    a->call = NULL;
  }
  if (a->whip) {
    pl_whip_server_free(a->whip);
    a->whip = NULL;
  }
  pl_listener_retire(&a->lis);
  uv_close((uv_handle_t *)&a->tick, close_cb);
  uv_close((uv_handle_t *)&a->retire_timer, close_cb);
  uv_close((uv_handle_t *)&a->stop_timer, close_cb);
  uv_close((uv_handle_t *)&a->sigint, close_cb);
  uv_close((uv_handle_t *)&a->sigterm, close_cb);
}

/* --list-devices: "capture|playback NAME  DESCRIPTION", one a line. */
static int list_devices(void) {
  pl_audio_device devs[64];
  int n = pl_audio_device_list(devs, 64);
  if (n < 0) {
    fprintf(stderr, "parley call: cannot list sound devices: %s%s\n", pl_strerror(n),
            n == PL_ENOTSUP ? " (this build has no PulseAudio: install libpulse-dev and rebuild)"
                            : "");
    return 1;
  }
  for (int i = 0; i < n && i < 64; i++)
    printf("%-8s %s  %s\n", devs[i].capture ? "capture" : "playback", devs[i].name,
           devs[i].description);
  return 0;
}

int pl_cmd_call(int argc, char **argv) {
  app a = {.channels = 1, .bitrate = 32000, .frame_ms = 20, .fec = true, .video_w = 640,
           .video_h = 480,
           .crypto = PL_CRYPTO_AES_CM_128_HMAC_SHA1_80};
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG() PL_CLI_NEED_ARG("call", v)
    if (!strcmp(o, "--listen")) { NEED_ARG(); a.listen = v; }
    else if (!strcmp(o, "--connect")) { NEED_ARG(); a.connect = v; }
    else if (!strcmp(o, "--send")) { NEED_ARG(); a.send_path = v; }
    else if (!strcmp(o, "--record")) { NEED_ARG(); a.record_path = v; }
    else if (!strcmp(o, "--stats-json")) { NEED_ARG(); a.stats_json = v; }
    else if (!strcmp(o, "--webrtc-json")) { NEED_ARG(); a.webrtc_json = v; }
    else if (!strcmp(o, "--stun-server")) { NEED_ARG(); a.stun_server = v; }
    else if (!strcmp(o, "--bind")) { NEED_ARG(); a.bind = v; }
    else if (!strcmp(o, "--cert")) { NEED_ARG(); a.cert_path = v; }
    else if (!strcmp(o, "--key")) { NEED_ARG(); a.key_path = v; }
    else if (!strcmp(o, "--www")) { NEED_ARG(); a.www_dir = v; }
    else if (!strcmp(o, "--send-video")) { NEED_ARG(); a.send_video = v; a.video = true; }
    else if (!strcmp(o, "--record-video")) { NEED_ARG(); a.record_video = v; a.video = true; }
    else if (!strcmp(o, "--video-json")) { NEED_ARG(); a.video_json = v; }
    else if (!strcmp(o, "--video-display")) {
      NEED_ARG();
      if (pl_cli_parse_size(v, 16, 16, PL_VIDEO_CALL_MAX_WIDTH, PL_VIDEO_CALL_MAX_HEIGHT,
                            &a.display_w, &a.display_h)) return 2;
    }
    else if (!strcmp(o, "--token")) { NEED_ARG(); a.token = v; }
    else if (!strcmp(o, "--cc")) { NEED_ARG(); a.cc = v; }
    else if (!strcmp(o, "--send-data")) { NEED_ARG(); a.data.send_path = v; }
    else if (!strcmp(o, "--record-data")) { NEED_ARG(); a.data.record_dir = v; }
    else if (!strcmp(o, "--echo-data")) a.data.echo = true;
    else if (!strcmp(o, "--allow-origin")) { NEED_ARG(); a.allow_origins = v; }
    else if (!strcmp(o, "--session-timeout")) {
      NEED_ARG();
      if (pl_cli_parse_double(v, 1, 3600, &a.session_timeout)) return 2;
    }
    else if (!strcmp(o, "--video")) a.video = true;
    else if (!strcmp(o, "--video-codec")) {
      NEED_ARG();
      if (!strcmp(v, "vp8")) a.video_codec = 8;
      else if (!strcmp(v, "vp9")) a.video_codec = 9;
      else { fprintf(stderr, "parley call: --video-codec vp8|vp9\n"); return 2; }
      a.video = true;
    } else if (!strcmp(o, "--video-bitrate")) {
      NEED_ARG();
      double b;
      if (pl_cli_parse_double(v, 30000, 20000000, &b)) return 2;
      a.video_bitrate = (int)b;
    } else if (!strcmp(o, "--video-size")) {
      NEED_ARG();
      if (pl_cli_parse_size(v, 16, 16, 3840, 2160, &a.video_w, &a.video_h)) return 2;
    }
    else if (!strcmp(o, "--ice-host")) {
      NEED_ARG();
      size_t n = strlen(a.ice_hosts);
      if (n + strlen(v) + 2 > sizeof a.ice_hosts) {
        fprintf(stderr, "parley call: too many --ice-host\n");
        return 2;
      }
      snprintf(a.ice_hosts + n, sizeof a.ice_hosts - n, "%s%s", n ? "," : "", v);
    } else if (!strcmp(o, "--mic") || !strcmp(o, "--speaker")) {
      /* The device name is optional: a next word that is no option. */
      const char *name = v && v[0] != '-' ? (i++, v) : NULL;
      if (o[2] == 'm') a.mic = true, a.mic_name = name;
      else a.speaker = true, a.speaker_name = name;
    } else if (!strcmp(o, "--list-devices")) {
      return list_devices();
    } else if (!strcmp(o, "--tone")) {
      NEED_ARG();
      if (pl_cli_parse_double(v, 20, 20000, &a.tone_hz)) return 2;
    }
    else if (!strcmp(o, "--duration")) {
      NEED_ARG();
      if (pl_cli_parse_double(v, 0.01, 1e6, &a.duration)) return 2;
    } else if (!strcmp(o, "--bitrate")) {
      NEED_ARG();
      double b;
      if (pl_cli_parse_double(v, 6000, 510000, &b)) return 2;
      a.bitrate = (int)b;
    } else if (!strcmp(o, "--dred")) {
      NEED_ARG();
      double ms;
      if (pl_cli_parse_double(v, 0, PL_OPUS_DRED_MAX_MS, &ms)) return 2;
      a.dred_ms = (int)ms;
      if (a.dred_ms && !pl_opus_neural())
        fprintf(stderr, "parley call: note: --dred ignored: %s has no DRED\n", pl_opus_version());
    } else if (!strcmp(o, "--frame-ms")) {
      NEED_ARG();
      double ms = 0;
      a.frame_ms = pl_cli_parse_double(v, 10, 60, &ms) ? 0 : (int)ms;
      if (ms != a.frame_ms || (a.frame_ms != 10 && a.frame_ms != 20 && a.frame_ms != 40 &&
                               a.frame_ms != 60)) {
        fprintf(stderr, "parley call: --frame-ms must be 10, 20, 40 or 60\n");
        return 2;
      }
    } else if (!strcmp(o, "--red")) {
      NEED_ARG();
      if (pl_cli_parse_red(v, &a.red)) return 2;
    } else if (!strcmp(o, "--crypto")) {
      NEED_ARG();
      if (!strcmp(v, "aes")) a.crypto = PL_CRYPTO_AES_CM_128_HMAC_SHA1_80;
      else if (!strcmp(v, "gcm")) a.crypto = PL_CRYPTO_AEAD_AES_128_GCM;
      else { fprintf(stderr, "parley call: --crypto aes|gcm\n"); return 2; }
    } else if (!strcmp(o, "--stage")) {
      NEED_ARG();
      if (a.n_stages == PL_MAX_STAGES || pl_cli_parse_stage(v, &a.stages[a.n_stages]))
        return 2;
      a.n_stages++;
    } else if (!strcmp(o, "--stereo")) a.channels = 2;
    else if (!strcmp(o, "--no-fec")) a.fec = false;
    else if (!strcmp(o, "--dtx")) a.dtx = true;
    else if (!strcmp(o, "--loop")) a.loop_source = true;
    else if (!strcmp(o, "--sdes")) a.sdes = true;
    else if (!strcmp(o, "--ice-all")) a.ice_all = true;
    else if (!strcmp(o, "--ice-loopback")) a.ice_loopback = true;
    else if (!strcmp(o, "--ice-lite")) a.ice_lite = true;
    else if (!strcmp(o, "--ice-relay-only")) a.relay_only = true;
    else if (!strcmp(o, "--turn-secret")) { NEED_ARG(); a.turn_secret = v; }
    else if (!strcmp(o, "--turn-ca")) { NEED_ARG(); a.turn_ca = v; }
    else if (!strcmp(o, "--turn")) {
      NEED_ARG();
      if ((strncmp(v, "turn:", 5) != 0 && strncmp(v, "turns:", 6) != 0) || !strchr(v, '@') ||
          strlen(v) > 400) {
        fprintf(stderr, "parley call: --turn wants turn[s]:USER:PASS@IP:PORT[?transport=tcp]\n");
        return 2;
      }
      if (a.n_turn == 4) {
        fprintf(stderr, "parley call: at most 4 --turn servers\n");
        return 2;
      }
      a.turn[a.n_turn++] = v;
    }
    else if (!strcmp(o, "--quiet")) a.quiet = true;
    else if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); return 0; }
    else {
      fprintf(stderr, "parley call: unknown option '%s'\n", o);
      usage(stderr);
      return 2;
    }
#undef NEED_ARG
  }
  if (!!a.listen == !!a.connect) {
    fprintf(stderr, "parley call: give exactly one of --listen or --connect\n");
    usage(stderr);
    return 2;
  }
  if (a.mic && (a.tone_hz > 0 || a.send_path)) {
    fprintf(stderr, "parley call: --mic replaces --send and --tone: give one\n");
    return 2;
  }
  if (a.speaker && a.record_path) {
    fprintf(stderr, "parley call: --speaker and --record both take the received audio: give one\n");
    return 2;
  }
  if (a.cc && !pl_cc_known(a.cc)) {
    fprintf(stderr, "parley call: --cc %s: controllers are %s\n", a.cc, pl_cc_names());
    return 2;
  }
  if (!!a.cert_path != !!a.key_path) {
    fprintf(stderr, "parley call: --cert and --key go together\n");
    return 2;
  }
  a.tty = isatty(2);
  a.data.quiet = a.quiet;
  a.data.finished = data_finished;
  a.data.user = &a;
  a.loop = uv_default_loop();
  int rc = pl_engine_new(&a.engine, a.loop);
  if (rc) {
    fprintf(stderr, "parley call: %s\n", pl_strerror(rc));
    return 1;
  }
  if (a.cert_path) {
    size_t cl, kl;
    char *cert = read_file(a.cert_path, &cl), *key = read_file(a.key_path, &kl);
    rc = cert && key ? pl_engine_set_certificate(a.engine, cert, key) : PL_ENOENT;
    bool read_cert = cert != NULL;
    free(cert);
    free(key);
    if (rc) {
      if (rc == PL_ENOENT)
        fprintf(stderr, "parley call: cannot read %s\n", read_cert ? a.key_path : a.cert_path);
      else if (rc == PL_EFORMAT)
        fprintf(stderr, "parley call: %s is no PEM certificate\n", a.cert_path);
      else if (rc == PL_EPARSE)
        fprintf(stderr, "parley call: %s is no unencrypted PEM private key\n", a.key_path);
      else if (rc == PL_EAUTH)
        fprintf(stderr, "parley call: the key in %s is not the key of %s\n", a.key_path,
                a.cert_path);
      else
        fprintf(stderr, "parley call: cannot use %s / %s: %s\n", a.cert_path, a.key_path,
                pl_strerror(rc));
      pl_engine_free(a.engine);
      uv_run(a.loop, UV_RUN_DEFAULT);
      uv_loop_close(a.loop);
      return 1;
    }
  }
  uv_timer_init(a.loop, &a.tick);
  uv_timer_init(a.loop, &a.stop_timer);
  uv_timer_init(a.loop, &a.retire_timer);
  a.retire_timer.data = &a;
  a.lis = (pl_listener){.quiet = a.quiet, .make_call = make_call, .stop = stop_cb,
                        .retire_later = retire_later, .app = &a};
  uv_signal_init(a.loop, &a.sigint);
  uv_signal_init(a.loop, &a.sigterm);
  a.tick.data = a.stop_timer.data = &a;
  a.sigint.data = a.sigterm.data = &a;
  uv_signal_start(&a.sigint, on_signal, SIGINT);
  uv_signal_start(&a.sigterm, on_signal, SIGTERM);
  uv_timer_start(&a.tick, on_tick, 1000, 1000);
  if (a.duration > 0)
    uv_timer_start(&a.stop_timer, on_stop_timer, (uint64_t)(a.duration * 1000), 0);

  if (a.listen) {
    snprintf(a.media_addr, sizeof a.media_addr, "%s", a.listen);
    pl_whip_options wo;
    pl_whip_options_init(&wo);
    wo.max_sessions = 1; /* one call at a time: a second caller gets 503 */
    wo.token = a.token;
    wo.allow_origins = a.allow_origins;
    if (a.session_timeout > 0) {
      wo.connect_timeout_ms = (int)(a.session_timeout * 1000);
      if (wo.check_idle_ms > wo.connect_timeout_ms)
        wo.check_idle_ms = wo.connect_timeout_ms;
    }
    rc = pl_whip_server_new(&a.whip, a.engine, a.listen, &wo, on_offer, on_end, &a);
    if (rc) {
      fprintf(stderr, "parley call: cannot listen on %s: %s\n", a.listen,
              rc == PL_EINVAL && a.token ? "bad address or --token (no spaces or control characters)"
                                         : pl_strerror(rc));
      stop(&a, rc == PL_EINVAL ? 2 : 1);
    } else {
      char path[1024];
      snprintf(path, sizeof path, "%s/index.html",
               a.www_dir ? a.www_dir : PL_SOURCE_DIR "/apps/parley/www");
      a.page = read_file(path, &a.page_len);
      if (a.page)
        pl_whip_server_set_page(a.whip, a.page, a.page_len);
      else if (a.www_dir)
        fprintf(stderr, "parley call: no page at %s (GET / will be 404)\n", path);
      if (!a.quiet)
        fprintf(stderr, "parley call: waiting for a call on %s (WHIP POST /whip%s)\n", a.listen,
                a.page ? ", page on GET /" : "");
    }
  } else {
    char bind[64];
    pl_cli_bind_for(a.connect, bind, sizeof bind);
    if (a.bind)
      snprintf(bind, sizeof bind, "%s", a.bind);
    rc = setup_call(&a, bind);
    if (!rc)
      rc = pl_call_dial_whip(a.call, a.connect, a.token, on_dialed, &a);
    if (rc) {
      if (a.call)
        fprintf(stderr, "parley call: cannot call %s: %s\n", a.connect, pl_strerror(rc));
      stop(&a, rc == PL_EINVAL ? 2 : 1);
    }
  }
  uv_run(a.loop, UV_RUN_DEFAULT);
  pl_engine_free(a.engine);
  uv_run(a.loop, UV_RUN_DEFAULT); /* the engine's handles close */
  uv_loop_close(a.loop);
  free(a.page);
  pl_call_data_free(&a.data);
  return a.exit_code;
}
