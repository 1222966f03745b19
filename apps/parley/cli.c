#include "apps/parley/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int pl_cli_parse_stage(const char *text, pl_cli_stage *out) {
  const char *eq = strchr(text, '=');
  size_t n = eq ? (size_t)(eq - text) : strlen(text);
  if (n == 0 || n >= sizeof out->name) {
    fprintf(stderr, "parley: bad stage '%s' (want NAME=on|off|auto)\n", text);
    return -1;
  }
  memcpy(out->name, text, n);
  out->name[n] = 0;
  out->on = true;
  out->mode = PL_STAGE_ON;
  if (eq) {
    if (!strcmp(eq + 1, "auto"))
      out->mode = PL_STAGE_AUTO;
    else if (!strcmp(eq + 1, "on") || !strcmp(eq + 1, "1") || !strcmp(eq + 1, "neural"))
      out->on = true;
    else if (!strcmp(eq + 1, "off") || !strcmp(eq + 1, "0") || !strcmp(eq + 1, "opus"))
      out->on = false;
    else if (!strcmp(eq + 1, "auto"))
      out->mode = PL_STAGE_AUTO;
    else {
      fprintf(stderr, "parley: bad stage value in '%s' (want on|off|auto; plc also neural|opus)\n",
              text);
      return -1;
    }
  }
  if (!out->on)
    out->mode = PL_STAGE_OFF;
  return 0;
}

int pl_cli_parse_red(const char *text, int *out) {
  if (text && !strcmp(text, "auto")) {
    *out = PL_RED_AUTO;
    return 0;
  }
  if (text && (!strcmp(text, "0") || !strcmp(text, "1") || !strcmp(text, "2"))) {
    *out = text[0] - '0';
    return 0;
  }
  fprintf(stderr, "parley: --red must be 0, 1, 2 or auto, not '%s'\n", text ? text : "");
  return 2;
}

int pl_cli_parse_double(const char *text, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end || !isfinite(v) || v < lo || v > hi) {
    fprintf(stderr, "parley: '%s' is not a number in [%g, %g]\n", text, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

/* Digits only, no sign, no spaces: sscanf("%dx%d") took " 64x+48junk" and
 * overflowed silently (undefined behaviour) on "99999999999x1". */
static int parse_dim(const char **p, int *out) {
  long v = 0;
  const char *s = *p;
  if (*s < '0' || *s > '9')
    return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    v = v * 10 + (*s - '0');
    if (v > 1000000)
      return -1;
  }
  *p = s;
  *out = (int)v;
  return 0;
}

int pl_cli_parse_size(const char *text, int min_w, int min_h, int max_w, int max_h, int *w,
                      int *h) {
  const char *p = text;
  int x, y;
  if (parse_dim(&p, &x) || *p++ != 'x' || parse_dim(&p, &y) || *p || x < min_w || y < min_h ||
      x > max_w || y > max_h) {
    fprintf(stderr, "parley: bad size '%s' (want WxH, %dx%d to %dx%d)\n", text, min_w, min_h,
            max_w, max_h);
    return -1;
  }
  *w = x;
  *h = y;
  return 0;
}

const char *pl_cli_sample_path(void) {
  const char *env = getenv("PARLEY_SAMPLE");
  return env && *env ? env : PL_SOURCE_DIR "/apps/parley/samples/speech_16k.wav";
}

void pl_cli_bind_for(const char *peer, char *out, size_t cap) {
  snprintf(out, cap, "%s", peer && peer[0] == '[' ? "[::1]:0" : "127.0.0.1:0");
  if (peer && peer[0] != '[' && strncmp(peer, "127.", 4) != 0)
    snprintf(out, cap, "0.0.0.0:0");
  else if (peer && peer[0] == '[' && strncmp(peer, "[::1]", 5) != 0)
    snprintf(out, cap, "[::]:0");
}

static double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0; }

void pl_cli_print_summary(FILE *f, const pl_call_stats *st) {
  double expected = (double)st->packets_received + (double)(st->packets_lost > 0 ? st->packets_lost : 0);
  fprintf(f, "call summary (%.1f s)\n", st->duration_s);
  fprintf(f, "  sent        %8llu packets  %9llu bytes", (unsigned long long)st->packets_sent,
          (unsigned long long)st->bytes_sent);
  if (st->packets_send_failed)
    fprintf(f, "  (%llu not sent: no buffer or not yet connected)",
            (unsigned long long)st->packets_send_failed);
  fputc('\n', f);
  fprintf(f, "  received    %8llu packets  %9llu bytes\n",
          (unsigned long long)st->packets_received, (unsigned long long)st->bytes_received);
  fprintf(f, "  lost        %8lld packets  (%.2f%%)\n", (long long)st->packets_lost,
          pct((double)(st->packets_lost > 0 ? st->packets_lost : 0), expected));
  fprintf(f, "  discarded   %8llu late/duplicate, %llu dropped (bad SRTP/RTP, stranger, early)\n",
          (unsigned long long)st->packets_discarded, (unsigned long long)st->packets_dropped);
  fprintf(f, "  jitter      %8.1f ms (RFC 3550)\n", st->jitter_s * 1000);
  if (st->rtt_s >= 0)
    fprintf(f, "  rtt         %8.1f ms\n", st->rtt_s * 1000);
  fprintf(f, "  jitter buffer delay %.1f ms (target %.1f ms)\n",
          st->jitter_buffer_delay_s * 1000, st->jitter_buffer_target_delay_s * 1000);
  fprintf(f, "  concealed   %.2f%% of %llu samples in %llu events\n",
          pct((double)st->concealed_samples, (double)st->total_samples_received),
          (unsigned long long)st->total_samples_received,
          (unsigned long long)st->concealment_events);
  if (st->mouth_to_ear_s >= 0)
    fprintf(f, "  mouth-to-ear delay %.1f ms\n", st->mouth_to_ear_s * 1000);
  if (st->voice_activity >= 0)
    fprintf(f, "  voice       %8.2f probability (denoise, last second)\n", st->voice_activity);
  if (st->extend_cutoff_hz)
    fprintf(f, "  extend      %8d Hz band received, restored to 20 kHz\n", st->extend_cutoff_hz);
  if (st->music_probability >= 0)
    fprintf(f, "  music       %8.2f probability (classify, last second); Opus %s, %llu switches\n",
            st->music_probability, st->opus_music ? "music" : "voice",
            (unsigned long long)st->opus_signal_switches);
  if (st->dtx_packets_sent)
    fprintf(f, "  dtx         %8llu packets (%llu gated by the voice detector)\n",
            (unsigned long long)st->dtx_packets_sent,
            (unsigned long long)st->voice_gated_packets);
  if (st->fec_packets_received || st->red_packets_sent)
    fprintf(f, "  redundancy  %8llu FEC/RED copies received, %llu unused, %llu losses played "
               "from RED; sending RED distance %d (%llu packets)\n",
            (unsigned long long)st->fec_packets_received,
            (unsigned long long)st->fec_packets_discarded, (unsigned long long)st->red_recovered,
            st->red_distance, (unsigned long long)st->red_packets_sent);
  for (int i = 0; i < st->n_send_stages; i++)
    fprintf(f, "  send stage  %-10s %s  %.1f us/frame (max %.1f)\n", st->send_stages[i].name,
            st->send_stages[i].enabled ? "on " : "off", st->send_stages[i].avg_us,
            st->send_stages[i].max_us);
  for (int i = 0; i < st->n_recv_stages; i++)
    fprintf(f, "  recv stage  %-10s %s  %.1f us/frame (max %.1f)\n", st->recv_stages[i].name,
            st->recv_stages[i].enabled ? "on " : "off", st->recv_stages[i].avg_us,
            st->recv_stages[i].max_us);
}

static void stages_json(FILE *f, const pl_stage_info *s, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++)
    fprintf(f, "%s{\"name\":\"%s\",\"enabled\":%s,\"frames\":%llu,\"avg_us\":%.3f,"
               "\"max_us\":%.3f,\"errors\":%llu}",
            i ? "," : "", s[i].name, s[i].enabled ? "true" : "false",
            (unsigned long long)s[i].frames, s[i].avg_us, s[i].max_us,
            (unsigned long long)s[i].errors);
  fputc(']', f);
}

void pl_cli_stats_json(FILE *f, const pl_call_stats *st) {
  fprintf(f,
          "{\"duration_s\":%.3f,\"packetsSent\":%llu,\"bytesSent\":%llu,"
          "\"sendBitrate\":%.1f,\"packetsReceived\":%llu,\"bytesReceived\":%llu,"
          "\"packetsLost\":%lld,\"packetsDiscarded\":%llu,\"packetsDropped\":%llu,"
          "\"packetsSendFailed\":%llu,"
          "\"srtpAuthFailures\":%llu,\"srtpReplays\":%llu,\"dtlsRecordsDiscarded\":%llu,"
          "\"recvBitrate\":%.1f,"
          "\"jitter\":%.6f,\"fractionLost\":%.4f,\"roundTripTime\":%.6f,"
          "\"jitterBufferDelay\":%.6f,\"jitterBufferTargetDelay\":%.6f,"
          "\"totalSamplesReceived\":%llu,\"concealedSamples\":%llu,"
          "\"silentConcealedSamples\":%llu,\"concealmentEvents\":%llu,"
          "\"insertedSamplesForDeceleration\":%llu,\"removedSamplesForAcceleration\":%llu,"
          "\"mouthToEar\":%.6f,\"voiceActivity\":%.4f,\"dtxPacketsSent\":%llu,"
          "\"voiceGatedPackets\":%llu,",
          st->duration_s, (unsigned long long)st->packets_sent,
          (unsigned long long)st->bytes_sent, st->send_bitrate_bps,
          (unsigned long long)st->packets_received, (unsigned long long)st->bytes_received,
          (long long)st->packets_lost, (unsigned long long)st->packets_discarded,
          (unsigned long long)st->packets_dropped, (unsigned long long)st->packets_send_failed,
          (unsigned long long)st->srtp_auth_failures,
          (unsigned long long)st->srtp_replays,
          (unsigned long long)st->dtls_records_discarded, st->recv_bitrate_bps, st->jitter_s,
          st->fraction_lost, st->rtt_s, st->jitter_buffer_delay_s,
          st->jitter_buffer_target_delay_s, (unsigned long long)st->total_samples_received,
          (unsigned long long)st->concealed_samples,
          (unsigned long long)st->silent_concealed_samples,
          (unsigned long long)st->concealment_events,
          (unsigned long long)st->inserted_samples_for_deceleration,
          (unsigned long long)st->removed_samples_for_acceleration, st->mouth_to_ear_s,
          st->voice_activity, (unsigned long long)st->dtx_packets_sent,
          (unsigned long long)st->voice_gated_packets);
  fprintf(f, "\"musicProbability\":%.4f,\"opusSignalMusic\":%s,\"opusSignalSwitches\":%llu,",
          st->music_probability, st->opus_music ? "true" : "false",
          (unsigned long long)st->opus_signal_switches);
  fprintf(f,
          "\"fecPacketsReceived\":%llu,\"fecPacketsDiscarded\":%llu,\"redRecovered\":%llu,"
          "\"redDistance\":%d,\"redProtection\":%d,\"redPacketsSent\":%llu,\"sendStages\":",
          (unsigned long long)st->fec_packets_received,
          (unsigned long long)st->fec_packets_discarded, (unsigned long long)st->red_recovered,
          st->red_distance, st->red_protection, (unsigned long long)st->red_packets_sent);
  stages_json(f, st->send_stages, st->n_send_stages);
  fprintf(f, ",\"recvStages\":");
  stages_json(f, st->recv_stages, st->n_recv_stages);
  fprintf(f, ",\"extendCutoffHz\":%d", st->extend_cutoff_hz);
  fprintf(f,
          ",\"cc\":{\"controller\":\"%s\",\"targetBitrate\":%.0f,\"pacingBitrate\":%.0f,"
          "\"audioBitrate\":%.0f,\"videoBitrate\":%.0f,\"delayState\":%d,\"inAlr\":%s,"
          "\"twccFeedbackSent\":%llu,\"twccFeedbackReceived\":%llu,"
          "\"twccFeedbackRefused\":%llu,\"twccPacketsReported\":%llu,"
          "\"twccPacketsLost\":%llu,\"pacerQueueMax\":%.4f,\"paddingBytesSent\":%llu,"
          "\"pacerFlushes\":%llu,\"pacerPacketsFlushed\":%llu,"
          "\"videoRateChanges\":%llu,\"resolutionSwitches\":%llu}",
          st->cc, st->cc_target_bps, st->cc_pacing_bps, st->cc_audio_bps, st->cc_video_bps,
          st->cc_delay_state, st->cc_in_alr ? "true" : "false",
          (unsigned long long)st->twcc_feedback_sent,
          (unsigned long long)st->twcc_feedback_received,
          (unsigned long long)st->twcc_feedback_refused,
          (unsigned long long)st->twcc_packets_reported,
          (unsigned long long)st->twcc_packets_lost, st->pacer_queue_max_s,
          (unsigned long long)st->padding_bytes_sent,
          (unsigned long long)st->pacer_flushes, (unsigned long long)st->pacer_packets_flushed,
          (unsigned long long)st->video_rate_changes,
          (unsigned long long)st->resolution_switches);
  fputc('}', f);
}

int pl_cli_write_stats_json(const char *path, const pl_call_stats *st) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  pl_cli_stats_json(f, st);
  fputc('\n', f);
  return fclose(f) == 0 ? 0 : -1;
}

int pl_cli_set_sources(pl_call *call, const char *cmd, double tone_hz, const char *wav,
                       bool loop, const char *video, int w, int h) {
  pl_audio_io src;
  const char *send = wav ? wav : pl_cli_sample_path();
  int rc = tone_hz > 0 ? pl_audio_io_tone_source(&src, tone_hz, 0.3)
                       : pl_audio_io_wav_source(&src, send, loop);
  if (rc) {
    fprintf(stderr, "parley %s: cannot read %s: %s\n", cmd, send, pl_strerror(rc));
    return rc;
  }
  pl_call_set_audio_source(call, &src);
  if (!video)
    return 0;
  pl_video_io v;
  rc = !strcmp(video, "pattern") ? pl_video_io_pattern_source(&v, w, h)
                                 : pl_video_io_y4m_source(&v, video, true);
  if (rc) {
    fprintf(stderr, "parley %s: cannot read %s: %s\n", cmd, video, pl_strerror(rc));
    return rc;
  }
  pl_call_set_video_source(call, &v);
  return 0;
}

int pl_cli_set_stage(pl_call *call, const pl_cli_stage *st) {
  return pl_call_set_stage_mode(call, st->name, st->mode);
}

int pl_cli_set_stages(pl_call *call, const char *cmd, const pl_cli_stage *stages, int n) {
  for (int i = 0; i < n; i++) {
    int rc = pl_cli_set_stage(call, &stages[i]);
    if (rc == PL_ENOTSUP) {
      fprintf(stderr, "parley %s: stage '%s' has no auto mode\n", cmd, stages[i].name);
      return rc;
    }
    if (rc) {
      fprintf(stderr, "parley %s: no stage '%s' in this build\n", cmd, stages[i].name);
      return rc;
    }
  }
  return 0;
}
