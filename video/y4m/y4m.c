/* YUV4MPEG2: a text header line, then per frame a "FRAME" line and the raw
 * planes. Header lines are parsed from bounded buffers by (p, n) parsers;
 * the file reader only finds the newline and hands the line over. */
#include "video/y4m/y4m.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"

#define MAGIC "YUV4MPEG2"
#define MAX_LINE 4096

struct pl_y4m_reader {
  FILE *f;
  pl_y4m_info info;
  int64_t next_index;
  uint8_t line[MAX_LINE];
};

struct pl_y4m_writer {
  FILE *f;
  int width, height;
  int err;
};

__attribute__((format(printf, 3, 4))) static int fail(char *msg, int err,
                                                      const char *fmt, ...) {
  if (msg) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, 128, fmt, ap);
    va_end(ap);
  }
  return err;
}

/* Unsigned decimal of at most 9 digits filling [p, e) exactly. */
static int parse_uint(const uint8_t *p, const uint8_t *e, int *out) {
  if (p == e || e - p > 9)
    return -1;
  int v = 0;
  for (; p < e; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (*p - '0');
  }
  *out = v;
  return 0;
}

static int parse_ratio(const uint8_t *p, const uint8_t *e, int *num, int *den) {
  const uint8_t *c = memchr(p, ':', (size_t)(e - p));
  if (!c)
    return -1;
  return parse_uint(p, c, num) || parse_uint(c + 1, e, den) ? -1 : 0;
}

static int parse_int64(const uint8_t *p, const uint8_t *e, int64_t *out) {
  bool neg = p < e && *p == '-';
  if (neg)
    p++;
  if (p == e || e - p > 18)
    return -1;
  int64_t v = 0;
  for (; p < e; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (*p - '0');
  }
  *out = neg ? -v : v;
  return 0;
}

static const uint8_t *find_eol(const uint8_t *p, size_t n) {
  return memchr(p, '\n', n);
}

int pl_y4m_parse_header(const uint8_t *p, size_t n, pl_y4m_info *info,
                        size_t *consumed) {
  if (!p || !info)
    return PL_EINVAL;
  memset(info, 0, sizeof *info);
  size_t ml = sizeof MAGIC - 1;
  if (n < ml + 1 || memcmp(p, MAGIC, ml) != 0 || (p[ml] != ' ' && p[ml] != '\n'))
    return fail(info->error, n <= ml && !memcmp(p, MAGIC, n) ? PL_ETRUNC : PL_EFORMAT,
                "not a YUV4MPEG2 stream");
  const uint8_t *eol = find_eol(p, n);
  if (!eol)
    return fail(info->error, PL_ETRUNC, "header line has no end");
  bool have_w = false, have_h = false;
  for (const uint8_t *t = p + ml; t < eol;) {
    while (t < eol && *t == ' ')
      t++;
    if (t == eol)
      break;
    const uint8_t *e = memchr(t, ' ', (size_t)(eol - t));
    if (!e)
      e = eol;
    uint8_t tag = *t;
    const uint8_t *v = t + 1;
    switch (tag) {
    case 'W':
    case 'H': {
      int x;
      if (parse_uint(v, e, &x) || x == 0)
        return fail(info->error, PL_EFORMAT, "bad %c value in header", tag);
      if (x > PL_VIDEO_MAX_DIM)
        return fail(info->error, PL_ERANGE, "%c%d is over the limit %d", tag,
                    x, PL_VIDEO_MAX_DIM);
      if (tag == 'W') {
        info->width = x;
        have_w = true;
      } else {
        info->height = x;
        have_h = true;
      }
      break;
    }
    case 'F':
      if (parse_ratio(v, e, &info->fps_num, &info->fps_den) ||
          info->fps_num == 0 || info->fps_den == 0)
        return fail(info->error, PL_EFORMAT, "bad frame rate in header");
      break;
    case 'A':
      if (parse_ratio(v, e, &info->par_num, &info->par_den))
        return fail(info->error, PL_EFORMAT, "bad pixel aspect in header");
      break;
    case 'I':
      if (e - v != 1 || !strchr("ptbm?", *v))
        return fail(info->error, PL_EFORMAT, "bad interlace tag in header");
      info->interlace = *v == '?' ? 0 : (char)*v;
      break;
    case 'C': {
      size_t len = (size_t)(e - v);
      if (len >= sizeof info->chroma)
        return fail(info->error, PL_ENOTSUP, "unsupported chroma format");
      memcpy(info->chroma, v, len);
      info->chroma[len] = 0;
      if (strcmp(info->chroma, "420jpeg") && strcmp(info->chroma, "420paldv") &&
          strcmp(info->chroma, "420mpeg2") && strcmp(info->chroma, "420"))
        return fail(info->error, PL_ENOTSUP,
                    "chroma C%s is not supported (only 8-bit 4:2:0)",
                    info->chroma);
      break;
    }
    default: /* X... and tags from later versions: ignored */
      break;
    }
    t = e;
  }
  if (!have_w || !have_h)
    return fail(info->error, PL_EFORMAT, "header lacks %s",
                have_w ? "H" : "W");
  if (consumed)
    *consumed = (size_t)(eol - p) + 1;
  return 0;
}

int pl_y4m_parse_frame_header(const uint8_t *p, size_t n,
                              pl_y4m_frame_meta *meta, size_t *consumed) {
  pl_y4m_frame_meta m = {0};
  if (!p)
    return PL_EINVAL;
  if (n < 6)
    return n && !memcmp(p, "FRAME", n < 5 ? n : 5) ? PL_ETRUNC : PL_EFORMAT;
  if (memcmp(p, "FRAME", 5) != 0 || (p[5] != ' ' && p[5] != '\n'))
    return PL_EFORMAT;
  const uint8_t *eol = find_eol(p, n);
  if (!eol)
    return PL_ETRUNC;
  for (const uint8_t *t = p + 5; t < eol;) {
    while (t < eol && *t == ' ')
      t++;
    if (t == eol)
      break;
    const uint8_t *e = memchr(t, ' ', (size_t)(eol - t));
    if (!e)
      e = eol;
    static const char cap[] = "XPL_CAPTURE_US=", rcv[] = "XPL_RECV_US=";
    size_t len = (size_t)(e - t);
    if (len > sizeof cap - 1 && !memcmp(t, cap, sizeof cap - 1)) {
      if (parse_int64(t + sizeof cap - 1, e, &m.capture_us))
        return PL_EFORMAT;
      m.has_capture = true;
    } else if (len > sizeof rcv - 1 && !memcmp(t, rcv, sizeof rcv - 1)) {
      if (parse_int64(t + sizeof rcv - 1, e, &m.recv_us))
        return PL_EFORMAT;
      m.has_recv = true;
    }
    t = e;
  }
  if (meta)
    *meta = m;
  if (consumed)
    *consumed = (size_t)(eol - p) + 1;
  return 0;
}

size_t pl_y4m_frame_bytes(const pl_y4m_info *info) {
  size_t w = (size_t)info->width, h = (size_t)info->height;
  return w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2);
}

/* Reads one line (with its newline) into r->line; returns its length, 0 at
 * a clean end of file, or -1 when the line is too long or cut short. */
static long read_line(pl_y4m_reader *r) {
  size_t n = 0;
  int c;
  while (n < MAX_LINE && (c = getc(r->f)) != EOF) {
    r->line[n++] = (uint8_t)c;
    if (c == '\n')
      return (long)n;
  }
  return n == 0 ? 0 : -1;
}

static int open_stream(pl_y4m_reader **out, FILE *f, pl_y4m_info *info) {
  pl_y4m_info scratch;
  if (!info)
    info = &scratch;
  pl_y4m_reader *r = calloc(1, sizeof *r);
  if (!r) {
    fclose(f);
    return PL_ENOMEM;
  }
  r->f = f;
  long n = read_line(r);
  int err;
  if (n <= 0) {
    memset(info, 0, sizeof *info);
    err = fail(info->error, n == 0 ? PL_EFORMAT : PL_ETRUNC,
               n == 0 ? "empty file" : "header line has no end");
  } else {
    err = pl_y4m_parse_header(r->line, (size_t)n, info, NULL);
  }
  if (err) {
    pl_y4m_reader_close(r);
    return err;
  }
  r->info = *info;
  *out = r;
  return 0;
}

int pl_y4m_reader_open(pl_y4m_reader **out, const char *path,
                       pl_y4m_info *info) {
  if (!out || !path)
    return PL_EINVAL;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    if (info) {
      memset(info, 0, sizeof *info);
      snprintf(info->error, sizeof info->error, "%s: %s", path, strerror(e));
    }
    return e == ENOENT ? PL_ENOENT : PL_EIO;
  }
  return open_stream(out, f, info);
}

int pl_y4m_reader_open_memory(pl_y4m_reader **out, const uint8_t *p, size_t n,
                              pl_y4m_info *info) {
  if (!out || (!p && n))
    return PL_EINVAL;
  *out = NULL;
  if (n == 0) {
    if (info) {
      memset(info, 0, sizeof *info);
      snprintf(info->error, sizeof info->error, "empty file");
    }
    return PL_EFORMAT;
  }
  FILE *f = fmemopen((void *)p, n, "rb");
  if (!f)
    return PL_ENOMEM;
  return open_stream(out, f, info);
}

const pl_y4m_info *pl_y4m_reader_info(const pl_y4m_reader *r) {
  return &r->info;
}

/* Bytes read into the plane (w * h when whole). */
static size_t read_plane(FILE *f, uint8_t *dst, int stride, int w, int h) {
  size_t got = 0;
  for (int y = 0; y < h; y++) {
    size_t n = fread(dst + (size_t)y * (size_t)stride, 1, (size_t)w, f);
    got += n;
    if (n != (size_t)w)
      break;
  }
  return got;
}

int pl_y4m_reader_read(pl_y4m_reader *r, pl_video_frame *f,
                       pl_y4m_frame_meta *meta) {
  if (!r || !f)
    return PL_EINVAL;
  if (f->width != r->info.width || f->height != r->info.height)
    return PL_EINVAL;
  /* Failures name the frame (counted from 0) in info.error, for apps
   * that must say which frame of a file is unreadable and why. */
  long long k = (long long)r->next_index;
  long n = read_line(r);
  if (n == 0)
    return 0;
  if (n < 0)
    return fail(r->info.error, PL_ETRUNC, "frame %lld: FRAME line %s", k,
                feof(r->f) ? "cut short by the end of file" : "longer than 1024 bytes");
  pl_y4m_frame_meta m;
  int err = pl_y4m_parse_frame_header(r->line, (size_t)n, &m, NULL);
  if (err)
    return fail(r->info.error, err, "frame %lld: %s", k,
                memcmp(r->line, "FRAME", n < 5 ? (size_t)n : 5) || n < 5
                    ? "expected a FRAME line"
                    : "malformed FRAME line parameters");
  int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
  size_t want = (size_t)f->width * (size_t)f->height + 2 * (size_t)cw * (size_t)ch;
  size_t got = read_plane(r->f, f->y, f->stride_y, f->width, f->height);
  if (got == (size_t)f->width * (size_t)f->height) {
    size_t u = read_plane(r->f, f->u, f->stride_u, cw, ch);
    got += u;
    if (u == (size_t)cw * (size_t)ch)
      got += read_plane(r->f, f->v, f->stride_v, cw, ch);
  }
  if (got != want)
    return fail(r->info.error, ferror(r->f) ? PL_EIO : PL_ETRUNC,
                "frame %lld: picture cut short: %zu of %zu bytes", k, got, want);
  f->index = r->next_index++;
  if (m.has_capture)
    f->capture_us = m.capture_us;
  else if (r->info.fps_num > 0)
    f->capture_us = (pl_time_us)((double)f->index * 1e6 * r->info.fps_den /
                                 r->info.fps_num);
  else
    f->capture_us = 0;
  if (meta)
    *meta = m;
  return 1;
}

void pl_y4m_reader_close(pl_y4m_reader *r) {
  if (!r)
    return;
  fclose(r->f);
  free(r);
}

int pl_y4m_writer_open(pl_y4m_writer **out, const char *path, int width,
                       int height, int fps_num, int fps_den) {
  if (!out || !path)
    return PL_EINVAL;
  *out = NULL;
  if (width <= 0 || height <= 0 || width > PL_VIDEO_MAX_DIM ||
      height > PL_VIDEO_MAX_DIM || fps_num < 0 || fps_den < 0)
    return PL_ERANGE;
  if (fps_num == 0 || fps_den == 0) {
    fps_num = 30;
    fps_den = 1;
  }
  pl_y4m_writer *w = calloc(1, sizeof *w);
  if (!w)
    return PL_ENOMEM;
  w->f = fopen(path, "wb");
  if (!w->f) {
    int e = errno;
    free(w);
    return e == ENOENT ? PL_ENOENT : PL_EIO;
  }
  w->width = width;
  w->height = height;
  if (fprintf(w->f, MAGIC " W%d H%d F%d:%d Ip A1:1 C420jpeg\n", width, height,
              fps_num, fps_den) < 0)
    w->err = PL_EIO;
  *out = w;
  return 0;
}

static void write_plane(pl_y4m_writer *w, const uint8_t *src, int stride,
                        int cols, int rows) {
  for (int y = 0; y < rows && !w->err; y++)
    if (fwrite(src + (size_t)y * (size_t)stride, 1, (size_t)cols, w->f) !=
        (size_t)cols)
      w->err = PL_EIO;
}

int pl_y4m_writer_write(pl_y4m_writer *w, const pl_video_frame *f,
                        const pl_y4m_frame_meta *meta) {
  if (!w || !f)
    return PL_EINVAL;
  if (f->width != w->width || f->height != w->height)
    return PL_EINVAL;
  if (!w->err) {
    int rc = fputs("FRAME", w->f);
    if (rc >= 0 && meta && meta->has_capture)
      rc = fprintf(w->f, " XPL_CAPTURE_US=%" PRId64, meta->capture_us);
    if (rc >= 0 && meta && meta->has_recv)
      rc = fprintf(w->f, " XPL_RECV_US=%" PRId64, meta->recv_us);
    if (rc >= 0)
      rc = fputc('\n', w->f);
    if (rc < 0)
      w->err = PL_EIO;
  }
  int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
  write_plane(w, f->y, f->stride_y, f->width, f->height);
  write_plane(w, f->u, f->stride_u, cw, ch);
  write_plane(w, f->v, f->stride_v, cw, ch);
  return w->err;
}

int pl_y4m_writer_close(pl_y4m_writer *w) {
  if (!w)
    return PL_EINVAL;
  int err = w->err;
  if (fclose(w->f) != 0 && !err)
    err = PL_EIO;
  free(w);
  return err;
}
