/* YUV4MPEG2 (.y4m) files of 8-bit 4:2:0 video, read into and written from
 * pl_video_frame: the raw format ffmpeg and the test tools exchange, used
 * by `parley metrics` and the video sources/sinks of the apps. */
#ifndef PL_VIDEO_Y4M_H
#define PL_VIDEO_Y4M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "video/frame.h"

typedef struct pl_y4m_info {
  int width, height;
  int fps_num, fps_den; /* F; 0:0 when absent */
  int par_num, par_den; /* A; 0:0 when absent or unknown */
  char interlace;       /* I: 'p', 't', 'b', 'm', or 0 when absent */
  char chroma[16];      /* C as written ("420jpeg"...), "" when absent */
  char error[128];      /* on failure: what exactly */
} pl_y4m_info;

/* Per-frame parameters Parley writes in FRAME headers (other X tags are
 * ignored): XPL_CAPTURE_US=<int> and XPL_RECV_US=<int>, the sender's
 * capture and the receiver's render time, for delay and freeze analysis. */
typedef struct pl_y4m_frame_meta {
  bool has_capture, has_recv;
  pl_time_us capture_us, recv_us;
} pl_y4m_frame_meta;

/* Parses the stream header "YUV4MPEG2 ...\n" at p. *consumed = bytes up to
 * and including the newline. PL_ETRUNC when no newline within n,
 * PL_EFORMAT on a malformed header, PL_ENOTSUP for chroma other than 4:2:0
 * (8-bit), PL_ERANGE for sizes over PL_VIDEO_MAX_DIM. */
int pl_y4m_parse_header(const uint8_t *p, size_t n, pl_y4m_info *info,
                        size_t *consumed);
/* Parses one "FRAME[ params]\n" line. Same error conventions. */
int pl_y4m_parse_frame_header(const uint8_t *p, size_t n,
                              pl_y4m_frame_meta *meta, size_t *consumed);
/* Bytes of picture data per frame (I420: w*h + 2 * ceil(w/2)*ceil(h/2)). */
size_t pl_y4m_frame_bytes(const pl_y4m_info *info);

typedef struct pl_y4m_reader pl_y4m_reader;

/* PL_ENOENT when missing, PL_EIO when unreadable, else as parse_header. */
int pl_y4m_reader_open(pl_y4m_reader **out, const char *path,
                       pl_y4m_info *info);
int pl_y4m_reader_open_memory(pl_y4m_reader **out, const uint8_t *p, size_t n,
                              pl_y4m_info *info);
/* Reads the next frame into f (whose size must match the stream; allocate
 * it with pl_video_buffer_alloc). Sets f->index to the frame number and
 * f->capture_us from XPL_CAPTURE_US, else from the frame rate. meta may be
 * NULL. Returns 1 for a frame, 0 at the end, PL_ETRUNC for a partial frame,
 * PL_EFORMAT for a bad FRAME line, PL_EIO for a read error, PL_EINVAL for a
 * size mismatch; on the first three pl_y4m_reader_info(r)->error names the
 * frame (from 0) and what is wrong ("frame 3: picture cut short: ..."). One
 * frame is read at a time into the caller's buffer, so any size up to
 * PL_VIDEO_MAX_DIM square costs one frame of memory (`parley metrics`). */
int pl_y4m_reader_read(pl_y4m_reader *r, pl_video_frame *f,
                       pl_y4m_frame_meta *meta);
const pl_y4m_info *pl_y4m_reader_info(const pl_y4m_reader *r);
void pl_y4m_reader_close(pl_y4m_reader *r);

typedef struct pl_y4m_writer pl_y4m_writer;

/* Writes "YUV4MPEG2 W H F Ip A C420jpeg"; fps 0 is written as 30:1. */
int pl_y4m_writer_open(pl_y4m_writer **out, const char *path, int width,
                       int height, int fps_num, int fps_den);
/* meta may be NULL; its present fields become X tags on the FRAME line. */
int pl_y4m_writer_write(pl_y4m_writer *w, const pl_video_frame *f,
                        const pl_y4m_frame_meta *meta);
int pl_y4m_writer_close(pl_y4m_writer *w);

#endif
