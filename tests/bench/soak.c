/* Soak: one long call with audio and video both ways on the simulated
 * clock (two engines, SRTP, RTP/RTCP, Opus, VP8, NACK/RTX, jitter and
 * frame buffers, through the emulator), printing every --every simulated
 * seconds how much memory the process holds: its resident set (VmRSS) and
 * the heap bytes in use (what malloc has handed out and not taken back;
 * under ASan the sanitizer's own count, which leaves out its quarantine).
 * A call that keeps something per packet or per frame grows without end;
 * a healthy one is flat once its buffers have filled.
 *
 *   build/bench/bench_soak [--seconds S] [--every S] [--net SPEC]
 *                          [--video WxH|none] [--webrtc] [--max-growth-kb K --from S]
 *
 * With --max-growth-kb the run fails (exit 1) when the heap in use at the
 * end exceeds the heap at simulated second --from by more than K KiB, or
 * when the calls stop carrying media: the check tests/app/test_soak.sh
 * runs. At the end both calls are freed and the heap measured again: what
 * the engine allocated must come back. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/sim.h"
#include "net/emu/scenario.h"

#if defined(__SANITIZE_ADDRESS__)
#define PL_SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PL_SOAK_ASAN 1
#endif
#endif
#ifdef PL_SOAK_ASAN
/* From <sanitizer/allocator_interface.h>, which GCC does not install. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6))
      kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

static long heap_kb(void) {
#ifdef PL_SOAK_ASAN
  return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
#else
  struct mallinfo2 mi = mallinfo2();
  return (long)((mi.uordblks + mi.hblkhd) / 1024);
#endif
}

typedef struct counts {
  uint64_t samples, pictures;
} counts;

static int audio_sink(void *user, const float *pcm, int samples, int channels) {
  (void)pcm, (void)channels;
  ((counts *)user)->samples += (uint64_t)samples;
  return 0;
}

static int video_sink(void *user, const pl_video_picture *pic) {
  (void)pic;
  ((counts *)user)->pictures++;
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_soak [--seconds S] [--every S] [--net SPEC] [--video WxH|none]\n"
                  "                  [--webrtc] [--max-growth-kb K --from S]\n");
}

int main(int argc, char **argv) {
  double seconds = 3600, every = 60, from = -1, max_growth_kb = -1;
  const char *net = "delay=40,jitter=5,loss=0.01";
  int vw = 320, vh = 240;
  bool video = true, webrtc = false;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "--webrtc")) {
      webrtc = true;
      continue;
    }
    if (!v) {
      usage();
      return 2;
    }
    if (!strcmp(o, "--seconds")) seconds = atof(v);
    else if (!strcmp(o, "--every")) every = atof(v);
    else if (!strcmp(o, "--from")) from = atof(v);
    else if (!strcmp(o, "--max-growth-kb")) max_growth_kb = atof(v);
    else if (!strcmp(o, "--net")) net = v;
    else if (!strcmp(o, "--video")) {
      if (!strcmp(v, "none")) video = false;
      else if (sscanf(v, "%dx%d", &vw, &vh) != 2 || vw < 16 || vh < 16 || vw > 1920 || vh > 1080) {
        usage();
        return 2;
      }
    } else {
      usage();
      return 2;
    }
    i++;
  }
  if (seconds <= 0 || every <= 0) {
    usage();
    return 2;
  }
  long heap0 = heap_kb(), rss0 = rss_kb();
  pl_emu_scenario sc;
  pl_emu_err err;
  if (pl_emu_scenario_parse(&sc, net, &err) != 0) {
    fprintf(stderr, "bench_soak: --net %s: %s\n", net, err.msg);
    return 2;
  }
  pl_call_config c;
  pl_call_config_init(&c);
  c.video = video;
  c.video_bitrate = 300000;
  if (webrtc)
    c.transport = PL_TRANSPORT_WEBRTC;
  pl_sim *s;
  if (pl_sim_new(&s, &c, &c, &sc.fwd, &sc.rev, 1) != 0) {
    fprintf(stderr, "bench_soak: cannot make the calls\n");
    return 1;
  }
  counts got[2] = {{0}, {0}};
  pl_call *calls[2] = {s->a, s->b};
  for (int i = 0; i < 2; i++) {
    pl_audio_io src, sink = {.write = audio_sink, .user = &got[i]};
    if (pl_audio_io_wav_source(&src, PL_SOURCE_DIR "/apps/parley/samples/speech_16k.wav", true)) {
      fprintf(stderr, "bench_soak: no speech sample\n");
      return 1;
    }
    pl_call_set_audio_source(calls[i], &src);
    pl_call_set_audio_sink(calls[i], &sink);
    if (video) {
      pl_video_io vsrc, vsink = {.write = video_sink, .user = &got[i]};
      pl_video_io_pattern_source(&vsrc, vw, vh);
      pl_call_set_video_source(calls[i], &vsrc);
      pl_call_set_video_sink(calls[i], &vsink);
    }
  }
  if (pl_sim_connect(s) != 0) {
    fprintf(stderr, "bench_soak: offer/answer failed\n");
    return 1;
  }
  printf("# bench_soak: %.0f s call, audio%s, net %s, %s\n", seconds,
         video ? " + video" : " only", net, webrtc ? "WebRTC" : "SDES");
  if (video)
    printf("# video %dx%d both ways\n", vw, vh);
  printf("# before the calls: heap %ld KiB, RSS %ld KiB\n", heap0, rss0);
  printf("%10s %9s %10s %10s %12s %10s %8s %8s\n", "call_s", "wall_s", "rss_kib", "heap_kib",
         "audio_rx_s", "frames_rx", "lost_a", "lost_v");
  double t0 = now_s();
  long heap_from = -1, rss_from = -1, heap_end = 0, rss_end = 0;
  counts at_from[2] = {{0}, {0}};
  for (double t = every;; t += every) {
    if (t > seconds)
      t = seconds;
    pl_sim_run_until(s, (pl_time_us)(t * 1e6));
    pl_call_stats st;
    pl_call_get_stats(s->b, &st);
    heap_end = heap_kb();
    rss_end = rss_kb();
    printf("%10.0f %9.1f %10ld %10ld %12.1f %10llu %8lld %8lld\n", t, now_s() - t0, rss_end,
           heap_end, (double)(got[0].samples + got[1].samples) / 2 / 48000,
           (unsigned long long)(got[0].pictures + got[1].pictures), (long long)st.packets_lost,
           (long long)st.video_packets_lost);
    fflush(stdout);
    if (from >= 0 && heap_from < 0 && t >= from) {
      heap_from = heap_end;
      rss_from = rss_end;
      at_from[0] = got[0];
      at_from[1] = got[1];
    }
    if (t >= seconds)
      break;
  }
  double wall = now_s() - t0;
  /* Both ways, audio (and video) still played in the last stretch. */
  bool media = true;
  for (int i = 0; i < 2; i++)
    media = media && got[i].samples > at_from[i].samples &&
            (!video || got[i].pictures > at_from[i].pictures);
  pl_sim_free(s);
  pl_emu_scenario_free(&sc);
  long heap_after = heap_kb();
  printf("# %.0f s simulated in %.1f s wall (%.1fx real time)\n", seconds, wall, seconds / wall);
  printf("# after freeing both calls: heap %ld KiB (%+ld KiB against before)\n", heap_after,
         heap_after - heap0);
  int rc = 0;
  if (max_growth_kb >= 0) {
    if (heap_from < 0) {
      fprintf(stderr, "bench_soak: --from %.0f is past the end\n", from);
      return 2;
    }
    long growth = heap_end - heap_from;
    printf("# heap growth from %.0f s to the end: %+ld KiB (bound %.0f), RSS %+ld KiB\n", from,
           growth, max_growth_kb, rss_end - rss_from);
    if (growth > max_growth_kb) {
      fprintf(stderr, "bench_soak: heap grew %ld KiB after %.0f s (bound %.0f)\n", growth, from,
              max_growth_kb);
      rc = 1;
    }
    if (!media) {
      fprintf(stderr, "bench_soak: media stopped flowing\n");
      rc = 1;
    }
  }
  return rc;
}
