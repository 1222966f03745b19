/* pl_call_stats_json: a call's statistics as a W3C webrtc-stats report
 * (RTCStatsReport: stats objects with id, type and timestamp, keyed by id),
 * the JSON a browser's getStats() gives after JSON.stringify of its
 * entries, so dashboards and test harnesses built for browsers read
 * Parley's too. Counters the struct does not have are left out rather
 * than made up; unknown values (-1) are left out too, as a browser does
 * before it knows them. Bounded writes into the caller's buffer. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parley.h"

typedef struct jw {
  char *buf;
  size_t cap, len; /* len may pass cap: the size that was needed */
  bool first;      /* no member written yet in the open object */
} jw;

static void put(jw *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = w->len < w->cap ? w->cap - w->len : 0;
  int n = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    w->len += (size_t)n;
}

static void key(jw *w, const char *k) {
  put(w, "%s\"%s\":", w->first ? "" : ",", k);
  w->first = false;
}
static void u64(jw *w, const char *k, uint64_t v) {
  key(w, k);
  put(w, "%llu", (unsigned long long)v);
}
static void i64(jw *w, const char *k, int64_t v) {
  key(w, k);
  put(w, "%lld", (long long)v);
}
static void num(jw *w, const char *k, double v) {
  if (!isfinite(v) || v < 0)
    return; /* unknown yet */
  key(w, k);
  put(w, "%.6g", v);
}
/* Strings here are ours (enum names, "type addr", cipher names), but a
 * candidate address could in principle hold anything: escape what JSON
 * requires. */
static void str(jw *w, const char *k, const char *v) {
  key(w, k);
  put(w, "\"");
  for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
    if (*p == '"' || *p == '\\')
      put(w, "\\%c", *p);
    else if (*p < 0x20)
      put(w, "\\u%04x", *p);
    else
      put(w, "%c", *p);
  }
  put(w, "\"");
}

static void begin(jw *w, bool first_object, const char *id, const char *type, double ts_ms) {
  put(w, "%s\"%s\":{", first_object ? "" : ",", id);
  w->first = true;
  str(w, "id", id);
  str(w, "type", type);
  num(w, "timestamp", ts_ms);
}
static void end(jw *w) { put(w, "}"); }

int pl_call_stats_json(const pl_call_stats *st, double timestamp_ms, char *buf, size_t cap) {
  if (!st || (!buf && cap))
    return PL_EINVAL;
  jw w = {.buf = buf, .cap = cap};
  put(&w, "{");

  begin(&w, true, "OTA", "outbound-rtp", timestamp_ms);
  str(&w, "kind", "audio");
  str(&w, "transportId", "T01");
  u64(&w, "packetsSent", st->packets_sent);
  u64(&w, "bytesSent", st->bytes_sent);
  num(&w, "targetBitrate", st->cc_audio_bps > 0 ? st->cc_audio_bps : -1);
  end(&w);

  begin(&w, false, "ITA", "inbound-rtp", timestamp_ms);
  str(&w, "kind", "audio");
  str(&w, "transportId", "T01");
  u64(&w, "packetsReceived", st->packets_received);
  u64(&w, "bytesReceived", st->bytes_received);
  i64(&w, "packetsLost", st->packets_lost);
  u64(&w, "packetsDiscarded", st->packets_discarded);
  num(&w, "jitter", st->jitter_s);
  /* W3C keeps sums: delay x emitted samples, and the count. */
  num(&w, "jitterBufferDelay", st->jitter_buffer_delay_s * (double)st->total_samples_received);
  num(&w, "jitterBufferTargetDelay",
      st->jitter_buffer_target_delay_s * (double)st->total_samples_received);
  u64(&w, "jitterBufferEmittedCount", st->total_samples_received);
  u64(&w, "totalSamplesReceived", st->total_samples_received);
  u64(&w, "concealedSamples", st->concealed_samples);
  u64(&w, "silentConcealedSamples", st->silent_concealed_samples);
  u64(&w, "concealmentEvents", st->concealment_events);
  u64(&w, "insertedSamplesForDeceleration", st->inserted_samples_for_deceleration);
  u64(&w, "removedSamplesForAcceleration", st->removed_samples_for_acceleration);
  u64(&w, "fecPacketsReceived", st->fec_packets_received);
  u64(&w, "fecPacketsDiscarded", st->fec_packets_discarded);
  end(&w);

  begin(&w, false, "RIA", "remote-inbound-rtp", timestamp_ms);
  str(&w, "kind", "audio");
  str(&w, "localId", "OTA");
  num(&w, "fractionLost", st->fraction_lost);
  num(&w, "roundTripTime", st->rtt_s);
  end(&w);

  if (st->video) {
    begin(&w, false, "OTV", "outbound-rtp", timestamp_ms);
    str(&w, "kind", "video");
    str(&w, "transportId", "T01");
    u64(&w, "packetsSent", st->video_packets_sent);
    u64(&w, "framesEncoded", st->frames_encoded);
    u64(&w, "keyFramesEncoded", st->key_frames_encoded);
    i64(&w, "frameWidth", st->frame_width_sent);
    i64(&w, "frameHeight", st->frame_height_sent);
    i64(&w, "framesPerSecond", st->frames_per_second_sent);
    num(&w, "targetBitrate", st->cc_video_bps > 0 ? st->cc_video_bps : -1);
    u64(&w, "nackCount", st->nacks_received);
    u64(&w, "pliCount", st->plis_received);
    u64(&w, "firCount", st->firs_received);
    u64(&w, "retransmittedPacketsSent", st->retransmitted_packets_sent);
    end(&w);

    begin(&w, false, "ITV", "inbound-rtp", timestamp_ms);
    str(&w, "kind", "video");
    str(&w, "transportId", "T01");
    u64(&w, "packetsReceived", st->video_packets_received);
    u64(&w, "bytesReceived", st->video_bytes_received);
    i64(&w, "packetsLost", st->video_packets_lost);
    u64(&w, "framesReceived", st->frames_received);
    u64(&w, "framesDecoded", st->frames_decoded);
    u64(&w, "keyFramesDecoded", st->key_frames_decoded);
    u64(&w, "framesDropped", st->frames_dropped);
    i64(&w, "frameWidth", st->frame_width);
    i64(&w, "frameHeight", st->frame_height);
    num(&w, "framesPerSecond", st->frames_per_second);
    u64(&w, "freezeCount", st->freeze_count);
    num(&w, "totalFreezesDuration", st->total_freezes_duration_s);
    u64(&w, "nackCount", st->nack_count);
    u64(&w, "pliCount", st->pli_count);
    u64(&w, "firCount", st->fir_count);
    u64(&w, "retransmittedPacketsReceived", st->retransmitted_packets_received);
    end(&w);
  }

  begin(&w, false, "T01", "transport", timestamp_ms);
  u64(&w, "packetsSent", st->packets_sent + st->video_packets_sent);
  u64(&w, "packetsReceived", st->packets_received + st->video_packets_received);
  if (st->srtp_profile[0]) { /* WebRTC transport; SDES calls have no DTLS or ICE */
    str(&w, "dtlsState", pl_dtls_transport_state_name(st->dtls_state));
    str(&w, "iceState", pl_ice_connection_state_name(st->ice_state));
    str(&w, "srtpCipher", st->srtp_profile);
    if (st->local_candidate[0])
      str(&w, "selectedCandidatePairId", "CP01");
  }
  end(&w);

  if (st->local_candidate[0]) {
    begin(&w, false, "CP01", "candidate-pair", timestamp_ms);
    str(&w, "transportId", "T01");
    str(&w, "state", "succeeded");
    str(&w, "localCandidateId", st->local_candidate);
    str(&w, "remoteCandidateId", st->remote_candidate);
    num(&w, "currentRoundTripTime", st->rtt_s);
    num(&w, "availableOutgoingBitrate", st->cc_target_bps > 0 ? st->cc_target_bps : -1);
    u64(&w, "requestsSent", st->ice_checks_sent);
    u64(&w, "requestsReceived", st->ice_checks_received);
    end(&w);
  }
  put(&w, "}");
  if (w.len >= cap)
    return PL_EFULL;
  return (int)w.len;
}
