/* pl_call_stats_json: the W3C webrtc-stats report of a call's stats. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "parley.h"

static pl_call_stats sample(void) {
  pl_call_stats st;
  memset(&st, 0, sizeof st);
  st.packets_sent = 500;
  st.bytes_sent = 40000;
  st.packets_received = 480;
  st.packets_lost = 20;
  st.jitter_s = 0.004;
  st.jitter_buffer_delay_s = 0.05;
  st.total_samples_received = 480000;
  st.concealed_samples = 9600;
  st.concealment_events = 12;
  st.rtt_s = -1; /* not known yet */
  st.fraction_lost = 0.04;
  return st;
}

Test(stats_json, names_types_and_w3c_units) {
  pl_call_stats st = sample();
  char buf[4096];
  int n = pl_call_stats_json(&st, 1700000000000.0, buf, sizeof buf);
  cr_assert_gt(n, 0);
  cr_assert_eq((size_t)n, strlen(buf));
  cr_assert(strstr(buf, "\"OTA\":{\"id\":\"OTA\",\"type\":\"outbound-rtp\",\"timestamp\":1.7e+12,"
                        "\"kind\":\"audio\""), "%s", buf);
  cr_assert(strstr(buf, "\"type\":\"inbound-rtp\""));
  cr_assert(strstr(buf, "\"packetsLost\":20,"));
  cr_assert(strstr(buf, "\"concealedSamples\":9600,"));
  /* W3C keeps the delay as a sum over the emitted samples: 0.05 s x 480000. */
  cr_assert(strstr(buf, "\"jitterBufferDelay\":24000,"), "%s", buf);
  cr_assert(strstr(buf, "\"jitterBufferEmittedCount\":480000,"));
  cr_assert(strstr(buf, "\"fractionLost\":0.04"));
  /* Unknown values are left out, not written as -1; no video without video;
   * an SDES call has no DTLS state or candidate pair. */
  cr_assert_null(strstr(buf, "roundTripTime"));
  cr_assert_null(strstr(buf, "\"kind\":\"video\""));
  cr_assert_null(strstr(buf, "dtlsState"));
  cr_assert_null(strstr(buf, "candidate-pair"));
  int depth = 0;
  for (const char *p = buf; *p; p++)
    depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
  cr_assert_eq(depth, 0);
}

Test(stats_json, webrtc_and_video_objects_when_present) {
  pl_call_stats st = sample();
  st.rtt_s = 0.012;
  st.video = true;
  st.frames_decoded = 299;
  st.freeze_count = 2;
  snprintf(st.srtp_profile, sizeof st.srtp_profile, "SRTP_AEAD_AES_128_GCM");
  snprintf(st.local_candidate, sizeof st.local_candidate, "host 127.0.0.1:5000");
  snprintf(st.remote_candidate, sizeof st.remote_candidate, "host \"odd\"\\1");
  st.dtls_state = PL_DTLS_TRANSPORT_CONNECTED;
  char buf[8192];
  cr_assert_gt(pl_call_stats_json(&st, -1, buf, sizeof buf), 0);
  cr_assert(strstr(buf, "\"roundTripTime\":0.012"));
  cr_assert(strstr(buf, "\"ITV\":{\"id\":\"ITV\",\"type\":\"inbound-rtp\",\"kind\":\"video\""), "%s",
            buf);
  cr_assert(strstr(buf, "\"framesDecoded\":299,"));
  cr_assert(strstr(buf, "\"dtlsState\":\"connected\""), "%s", buf);
  cr_assert(strstr(buf, "\"srtpCipher\":\"SRTP_AEAD_AES_128_GCM\""));
  cr_assert(strstr(buf, "\"selectedCandidatePairId\":\"CP01\""));
  /* Quotes and backslashes in a string are escaped. */
  cr_assert(strstr(buf, "\"remoteCandidateId\":\"host \\\"odd\\\"\\\\1\""), "%s", buf);
}

Test(stats_json, too_small_a_buffer_is_efull_and_terminated) {
  pl_call_stats st = sample();
  char buf[64];
  memset(buf, 'x', sizeof buf);
  cr_assert_eq(pl_call_stats_json(&st, 0, buf, sizeof buf), PL_EFULL);
  cr_assert_lt(strlen(buf), sizeof buf);
  cr_assert_eq(pl_call_stats_json(NULL, 0, buf, sizeof buf), PL_EINVAL);
}
