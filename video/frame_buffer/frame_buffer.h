/* Frame buffer: holds complete encoded frames and releases them to the
 * decoder in decode order, each when its playout time comes, with a render
 * delay that follows the 95th percentile of frame-level network jitter
 * (plus an RTT while retransmissions are frequent, as libwebrtc does). It
 * never releases a frame whose references may be missing: after a gap it
 * waits for the missing frames (retransmissions) for a while, then gives up,
 * drops what cannot be decoded and asks for a keyframe. Sans-IO. */
#ifndef PL_VIDEO_FRAME_BUFFER_H
#define PL_VIDEO_FRAME_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "video/frame_buffer/assembler.h"

typedef struct pl_frame_buffer_config {
  size_t frames;          /* slots; 0: 32 */
  size_t max_frame_bytes; /* 0: 1 MiB */
  size_t jitter_window;   /* frames in the percentile window; 0: 300 */
  double jitter_percentile; /* 0: 0.95 */
  pl_time_us min_delay;   /* render delay floor (decode + render time) */
  pl_time_us max_delay;   /* ceiling; 0: 1 s */
  pl_time_us missing_wait; /* how long a frame may wait for a missing
                              reference before the buffer asks for a
                              keyframe; 0: 500 ms (see set_rtt) */
} pl_frame_buffer_config;

typedef struct pl_frame_buffer_stats {
  uint64_t inserted, released, keyframes_released;
  uint64_t dropped_old;         /* arrived after a later frame went out */
  uint64_t dropped_skipped;     /* never became decodable, passed over */
  uint64_t dropped_undecodable; /* thrown out while waiting for a keyframe */
  uint64_t dropped_full, dropped_too_big, duplicates;
  uint64_t keyframe_needed; /* times the buffer started waiting for one */
  pl_time_us jitter_p95;    /* current estimate */
  pl_time_us render_delay;  /* what playout uses now */
  size_t stored;
} pl_frame_buffer_stats;

typedef struct pl_frame_buffer pl_frame_buffer;

int pl_frame_buffer_new(pl_frame_buffer **out, const pl_frame_buffer_config *cfg);
void pl_frame_buffer_free(pl_frame_buffer *fb);

/* Copies a complete frame in. Returns 0 (stored), or a negative code when
 * it was dropped and counted: PL_ESTATE (older than what was released, or
 * a non-key frame while a keyframe is needed), PL_EFULL, PL_ERANGE (too
 * big), PL_EAGAIN (duplicate). */
int pl_frame_buffer_insert(pl_frame_buffer *fb, pl_time_us now,
                           const pl_encoded_frame *f);
/* The next frame to decode, if one is decodable and due by now. data stays
 * valid until the next call on the buffer. *render_at is when it should be
 * shown (its playout time). */
bool pl_frame_buffer_poll(pl_frame_buffer *fb, pl_time_us now,
                          pl_encoded_frame *out, pl_time_us *render_at);
/* When poll or timeout has something to do; PL_TIME_NEVER when nothing. */
pl_time_us pl_frame_buffer_deadline(const pl_frame_buffer *fb);
/* Gives up on a missing reference whose wait is over. */
void pl_frame_buffer_timeout(pl_frame_buffer *fb, pl_time_us now);

/* The decoder failed or the NACK generator gave up: drop everything up to
 * the next keyframe. */
void pl_frame_buffer_need_keyframe(pl_frame_buffer *fb);
/* True from a gap given up on (or need_keyframe) until a keyframe is
 * released: the receiver keeps asking (PLI/FIR) while this holds. */
bool pl_frame_buffer_keyframe_needed(const pl_frame_buffer *fb);
/* The round-trip time sets two things: waiting for a retransmission makes
 * sense for a few round trips (missing_wait becomes max(configured,
 * 4 x rtt + 100 ms)), and while retransmissions are common (more than
 * 1 - percentile of recent frames needed one) the render delay includes one
 * RTT so that they arrive in time. Default RTT: 100 ms. */
void pl_frame_buffer_set_rtt(pl_frame_buffer *fb, pl_time_us rtt);
void pl_frame_buffer_get_stats(const pl_frame_buffer *fb, pl_frame_buffer_stats *out);

/* ---- freeze detection (webrtc-stats freezeCount, totalFreezesDuration) */

#define PL_FREEZE_WINDOW 30

/* Fed with each rendered frame's time: an interval between two rendered
 * frames is a freeze when it is at least max(3 x avg, avg + 150 ms), avg
 * being the mean of the previous (up to) 30 intervals, once 5 are known
 * (libwebrtc's VideoQualityObserver). */
typedef struct pl_freeze_detector {
  pl_time_us last;
  bool started;
  pl_time_us iv[PL_FREEZE_WINDOW];
  size_t n, pos;
  pl_time_us sum;
  uint64_t frames, freeze_count;
  pl_time_us total_freeze, longest_interval;
} pl_freeze_detector;

void pl_freeze_detector_init(pl_freeze_detector *fd);
/* Returns true when the interval ending at t was a freeze. */
bool pl_freeze_detector_frame(pl_freeze_detector *fd, pl_time_us t);

#endif
