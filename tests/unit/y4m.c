/* Y4M: header and FRAME line parsing with known answers, byte-exact
 * write/read round trips (odd sizes, per-frame times) and rejection of
 * unsupported or broken streams. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"
#include "video/frame.h"
#include "video/y4m/y4m.h"

#define S(x) (const uint8_t *)(x), sizeof(x) - 1

Test(y4m, parses_an_ffmpeg_header) {
  pl_y4m_info info;
  size_t used;
  const char h[] = "YUV4MPEG2 W640 H480 F30000:1001 It A128:117 C420jpeg "
                   "XYSCSS=420JPEG\nFRAME\n";
  cr_assert_eq(pl_y4m_parse_header(S(h), &info, &used), 0);
  cr_assert_eq(used, strlen(h) - 6);
  cr_assert_eq(info.width, 640);
  cr_assert_eq(info.height, 480);
  cr_assert_eq(info.fps_num, 30000);
  cr_assert_eq(info.fps_den, 1001);
  cr_assert_eq(info.par_num, 128);
  cr_assert_eq(info.par_den, 117);
  cr_assert_eq(info.interlace, 't');
  cr_assert_str_eq(info.chroma, "420jpeg");
  cr_assert_eq(pl_y4m_frame_bytes(&info), 640 * 480 * 3 / 2);
}

Test(y4m, accepts_every_420_spelling_and_no_c_tag) {
  const char *ok[] = {"YUV4MPEG2 W3 H3 C420\n", "YUV4MPEG2 W3 H3 C420mpeg2\n",
                      "YUV4MPEG2 W3 H3 C420paldv\n", "YUV4MPEG2 H3 W3\n",
                      "YUV4MPEG2  W3  H3 Zfuture X\n"};
  for (size_t i = 0; i < 5; i++) {
    pl_y4m_info info;
    cr_assert_eq(pl_y4m_parse_header((const uint8_t *)ok[i], strlen(ok[i]),
                                     &info, NULL),
                 0, "%s", ok[i]);
    cr_assert_eq(pl_y4m_frame_bytes(&info), 9 + 2 * 4);
  }
}

Test(y4m, refuses_other_chroma_absurd_sizes_and_garbage) {
  pl_y4m_info info;
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W8 H8 C444\n"), &info, NULL),
               PL_ENOTSUP);
  cr_assert_not_null(strstr(info.error, "C444"));
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W8 H8 C420p10\n"), &info, NULL),
               PL_ENOTSUP);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W8 H8 Cmono\n"), &info, NULL),
               PL_ENOTSUP);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W9000 H8\n"), &info, NULL),
               PL_ERANGE);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W0 H8\n"), &info, NULL),
               PL_EFORMAT);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W8\n"), &info, NULL),
               PL_EFORMAT);
  cr_assert_str_eq(info.error, "header lacks H");
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W8 H8 F30:0\n"), &info, NULL),
               PL_EFORMAT);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W-8 H8\n"), &info, NULL),
               PL_EFORMAT);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG2 W8 H8"), &info, NULL),
               PL_ETRUNC);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG"), &info, NULL), PL_ETRUNC);
  cr_assert_eq(pl_y4m_parse_header(S("YUV4MPEG3 W8 H8\n"), &info, NULL),
               PL_EFORMAT);
  cr_assert_eq(pl_y4m_parse_header(S("RIFF\n"), &info, NULL), PL_EFORMAT);
}

Test(y4m, frame_lines_carry_parley_times_and_ignore_other_tags) {
  pl_y4m_frame_meta m;
  size_t used;
  cr_assert_eq(pl_y4m_parse_frame_header(S("FRAME\nxx"), &m, &used), 0);
  cr_assert_eq(used, 6);
  cr_assert(!m.has_capture && !m.has_recv);
  cr_assert_eq(pl_y4m_parse_frame_header(
                   S("FRAME Ip XPL_CAPTURE_US=-5 XFOO=1 XPL_RECV_US=123456789\n"),
                   &m, &used),
               0);
  cr_assert(m.has_capture && m.has_recv);
  cr_assert_eq(m.capture_us, -5);
  cr_assert_eq(m.recv_us, 123456789);
  cr_assert_eq(pl_y4m_parse_frame_header(S("FRAME XPL_RECV_US=12a\n"), &m, NULL),
               PL_EFORMAT);
  cr_assert_eq(pl_y4m_parse_frame_header(S("FRAMES\n"), &m, NULL), PL_EFORMAT);
  cr_assert_eq(pl_y4m_parse_frame_header(S("FRAME"), &m, NULL), PL_ETRUNC);
  cr_assert_eq(pl_y4m_parse_frame_header(S("FRAME "), &m, NULL), PL_ETRUNC);
}

static void fill(pl_video_frame *f, int seed) {
  int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
  for (int y = 0; y < f->height; y++)
    for (int x = 0; x < f->width; x++)
      f->y[y * f->stride_y + x] = (uint8_t)(x * 7 + y * 13 + seed);
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++) {
      f->u[y * f->stride_u + x] = (uint8_t)(x + 3 * y + seed);
      f->v[y * f->stride_v + x] = (uint8_t)(5 * x + y - seed);
    }
}

Test(y4m, odd_sized_frames_and_times_round_trip_byte_exact) {
  char dir[] = "/tmp/pl_y4m_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char p1[64], p2[64];
  snprintf(p1, sizeof p1, "%s/a.y4m", dir);
  snprintf(p2, sizeof p2, "%s/b.y4m", dir);
  pl_video_buffer b;
  cr_assert_eq(pl_video_buffer_alloc(&b, 33, 17), 0);
  pl_y4m_writer *w;
  cr_assert_eq(pl_y4m_writer_open(&w, p1, 33, 17, 25, 1), 0);
  for (int i = 0; i < 4; i++) {
    fill(&b.f, i);
    pl_y4m_frame_meta m = {.has_capture = i != 2, .has_recv = i == 1,
                           .capture_us = 1000 * i, .recv_us = 99999};
    cr_assert_eq(pl_y4m_writer_write(w, &b.f, &m), 0);
  }
  cr_assert_eq(pl_y4m_writer_close(w), 0);

  pl_y4m_reader *r;
  pl_y4m_info info;
  cr_assert_eq(pl_y4m_reader_open(&r, p1, &info), 0);
  cr_assert_eq(info.width, 33);
  cr_assert_eq(info.fps_num, 25);
  pl_video_buffer c, want;
  pl_video_buffer_alloc(&c, 33, 17);
  pl_video_buffer_alloc(&want, 33, 17);
  cr_assert_eq(pl_y4m_writer_open(&w, p2, 33, 17, 25, 1), 0);
  pl_y4m_frame_meta m;
  int i = 0;
  for (int rc; (rc = pl_y4m_reader_read(r, &c.f, &m)) == 1; i++) {
    fill(&want.f, i);
    cr_assert_eq(memcmp(c.mem, want.mem, c.size), 0, "frame %d", i);
    cr_assert_eq(c.f.index, i);
    cr_assert_eq(m.has_capture, i != 2);
    cr_assert_eq(m.has_recv, i == 1);
    /* Without a capture tag the time comes from F25:1. */
    cr_assert_eq(c.f.capture_us, i == 2 ? 80000 : 1000 * i);
    pl_y4m_writer_write(w, &c.f, &m);
  }
  cr_assert_eq(i, 4);
  pl_y4m_reader_close(r);
  cr_assert_eq(pl_y4m_writer_close(w), 0);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "cmp -s %s %s", p1, p2);
  cr_assert_eq(system(cmd), 0, "rewritten file differs");

  /* Cut the file inside the last frame: 3 frames, then PL_ETRUNC. */
  snprintf(cmd, sizeof cmd, "truncate -s -100 %s", p1);
  cr_assert_eq(system(cmd), 0);
  cr_assert_eq(pl_y4m_reader_open(&r, p1, NULL), 0);
  for (int k = 0; k < 3; k++)
    cr_assert_eq(pl_y4m_reader_read(r, &c.f, NULL), 1);
  cr_assert_eq(pl_y4m_reader_read(r, &c.f, NULL), PL_ETRUNC);
  pl_y4m_reader_close(r);

  /* A buffer of another size is refused. */
  pl_video_buffer small;
  pl_video_buffer_alloc(&small, 32, 17);
  cr_assert_eq(pl_y4m_reader_open(&r, p2, NULL), 0);
  cr_assert_eq(pl_y4m_reader_read(r, &small.f, NULL), PL_EINVAL);
  pl_y4m_reader_close(r);
  pl_video_buffer_free(&small);
  pl_video_buffer_free(&b);
  pl_video_buffer_free(&c);
  pl_video_buffer_free(&want);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(y4m, memory_reader_reports_missing_frames_and_bad_frame_lines) {
  pl_y4m_reader *r;
  pl_y4m_info info;
  cr_assert_eq(pl_y4m_reader_open_memory(&r, S(""), &info), PL_EFORMAT);
  cr_assert_eq(pl_y4m_reader_open_memory(&r, S("YUV4MPEG2 W2 H2"), &info),
               PL_ETRUNC);
  const char s[] = "YUV4MPEG2 W2 H2\nFRAME\nabcdefFRAMX\n";
  cr_assert_eq(pl_y4m_reader_open_memory(&r, S(s), &info), 0);
  pl_video_buffer b;
  pl_video_buffer_alloc(&b, 2, 2);
  cr_assert_eq(pl_y4m_reader_read(r, &b.f, NULL), 1);
  cr_assert_eq(memcmp(b.mem, "abcdef", 6), 0);
  cr_assert_eq(pl_y4m_reader_read(r, &b.f, NULL), PL_EFORMAT);
  pl_y4m_reader_close(r);
  cr_assert_eq(pl_y4m_reader_open(&r, "/nonexistent/x.y4m", &info), PL_ENOENT);
  pl_video_buffer_free(&b);
}

/* The reader's info.error names the frame that failed and how, so a video
 * source can say "frame 1: picture cut short: 3 of 6 bytes" instead of a
 * bare "input truncated" (issue #13). */
Test(y4m, read_errors_name_the_frame_and_the_reason) {
  static const struct {
    const char *file;
    int rc;
    const char *error;
  } cases[] = {
      {"YUV4MPEG2 W2 H2\nFRAME\nabcdefFRAME\nabc", PL_ETRUNC,
       "frame 1: picture cut short: 3 of 6 bytes"},
      {"YUV4MPEG2 W2 H2\nFRAME\nabcdefFRAMX\nabcdef", PL_EFORMAT,
       "frame 1: expected a FRAME line"},
      {"YUV4MPEG2 W2 H2\nFRAME XPL_CAPTURE_US=x\nabcdef", PL_EFORMAT,
       "frame 0: malformed FRAME line parameters"},
      {"YUV4MPEG2 W2 H2\nFRAME\nabcdefFRA", PL_ETRUNC,
       "frame 1: FRAME line cut short by the end of file"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pl_y4m_reader *r;
    cr_assert_eq(pl_y4m_reader_open_memory(&r, (const uint8_t *)cases[i].file,
                                           strlen(cases[i].file), NULL),
                 0);
    pl_video_buffer b;
    pl_video_buffer_alloc(&b, 2, 2);
    int rc;
    while ((rc = pl_y4m_reader_read(r, &b.f, NULL)) == 1)
      ;
    cr_expect_eq(rc, cases[i].rc, "case %zu: rc %d", i, rc);
    cr_expect_str_eq(pl_y4m_reader_info(r)->error, cases[i].error, "case %zu", i);
    pl_y4m_reader_close(r);
    pl_video_buffer_free(&b);
  }
}
