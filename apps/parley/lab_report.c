/* Writers for a loopback run: stats.json (per-second series and final
 * metrics, for tests and scripts) and report.html (self-contained: inline
 * SVG charts, the spectrograms as inline images; opens with no network). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/parley/cli.h"
#include "apps/parley/lab.h"
#include "audio/metrics/fft.h"

static const char *dir_name[2] = {"A->B", "B->A"};

static void json_num(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.4f", v);
  else
    fputs("null", f);
}

#define SERIES(field)                                                          \
  do {                                                                         \
    fprintf(f, "\"" #field "\":[");                                            \
    for (int s = 0; s < r->n_seconds; s++) {                                   \
      if (s)                                                                   \
        fputc(',', f);                                                         \
      json_num(f, (double)r->sec[d][s].field);                                 \
    }                                                                          \
    fputc(']', f);                                                             \
  } while (0)

static void video_json(FILE *f, const pl_lab_video *v, const pl_call_stats *st) {
  fprintf(f, ",\"video\":{\"source\":\"%s\",\"codec\":\"%s\",\"frames_sent\":%lld,"
             "\"frames_shown\":%zu,\"unmatched\":%zu,\"psnr_mean\":",
          v->source, st->video_codec == 9 ? "VP9" : "VP8", (long long)v->frames_sent, v->n,
          v->unmatched);
  json_num(f, v->psnr_mean);
  fprintf(f, ",\"psnr_min\":");
  json_num(f, v->psnr_min);
  fprintf(f, ",\"ssim_mean\":");
  json_num(f, v->ssim_mean);
  fprintf(f, ",\"ssim_min\":");
  json_num(f, v->ssim_min);
  fprintf(f, ",\"fps\":");
  json_num(f, v->timing.fps);
  fprintf(f, ",\"freeze_count\":%u,\"freeze_total_s\":", v->timing.freeze_count);
  json_num(f, v->timing.freeze_total_s);
  fprintf(f, ",\"delay_mean_ms\":");
  json_num(f, v->timing.has_delay ? v->timing.delay_mean_ms : NAN);
  fprintf(f, ",\"delay_p95_ms\":");
  json_num(f, v->timing.has_delay ? v->timing.delay_p95_ms : NAN);
  fprintf(f, ",\"nack_count\":%llu,\"pli_count\":%llu,\"retransmitted_packets_received\":%llu,"
             "\"frames_decoded\":%llu,\"frames_dropped\":%llu,\"frames\":[",
          (unsigned long long)st->nack_count, (unsigned long long)st->pli_count,
          (unsigned long long)st->retransmitted_packets_received,
          (unsigned long long)st->frames_decoded, (unsigned long long)st->frames_dropped);
  /* One row per shown frame: [index, render s, delay ms, PSNR dB, SSIM]. */
  for (size_t i = 0; i < v->n; i++) {
    const pl_lab_vframe *r = &v->frames[i];
    fprintf(f, "%s[%lld,%.4f,", i ? "," : "", (long long)r->index, r->render_s);
    json_num(f, r->delay_ms);
    fputc(',', f);
    json_num(f, r->psnr);
    fputc(',', f);
    json_num(f, r->ssim);
    fputc(']', f);
  }
  fprintf(f, "]}");
}

static void metrics_json(FILE *f, const pl_audio_metrics *m) {
  const char *keys[] = {"delay_ms", "align_peak", "snr_db", "si_sdr_db", "stoi", "lsd_db"};
  const double vals[] = {m->delay_ms, m->align_peak, m->snr_db, m->si_sdr_db, m->stoi, m->lsd_db};
  for (int i = 0; i < 6; i++) {
    fprintf(f, "%s\"%s\":", i ? "," : "{", keys[i]);
    json_num(f, vals[i]);
  }
  fputc('}', f);
}

int pl_lab_write_json(const char *path, const pl_lab_run *r) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f, "{\"scenario\":\"%s\",\"stages\":\"%s\",\"duration_s\":%.3f,\"seed\":%llu,"
             "\"wall_s\":%.3f,\"directions\":[",
          r->scenario, r->stages, r->duration_s, (unsigned long long)r->seed, r->wall_s);
  for (int d = 0; d < 2; d++) {
    const pl_lab_dir *dir = &r->dir[d];
    fprintf(f, "%s{\"name\":\"%s\",\"metrics\":", d ? "," : "", dir_name[d]);
    if (dir->metrics_rc == 0)
      metrics_json(f, &dir->m);
    else
      fprintf(f, "{\"error\":\"%s\"}", pl_strerror(dir->metrics_rc));
    if (dir->has_input) {
      /* The input was not degraded by the call: delay and alignment are
       * those of the file against itself, only the quality fields count. */
      fprintf(f, ",\"input_metrics\":");
      metrics_json(f, &dir->in_m);
    }
    fprintf(f, ",\"stats\":");
    pl_cli_stats_json(f, &dir->final);
    fprintf(f, ",\"sender_stats\":");
    pl_cli_stats_json(f, &dir->sender);
    if (dir->video.on)
      video_json(f, &dir->video, &dir->final);
    fprintf(f, ",\"per_second\":{");
    SERIES(send_kbps);
    fputc(',', f);
    SERIES(capacity_kbps);
    fputc(',', f);
    SERIES(delivered_kbps);
    fputc(',', f);
    SERIES(owd_ms);
    fputc(',', f);
    SERIES(loss_pct);
    fputc(',', f);
    SERIES(jb_ms);
    fputc(',', f);
    SERIES(jb_target_ms);
    fputc(',', f);
    SERIES(concealed_pct);
    fputc(',', f);
    SERIES(conceal_events);
    fputc(',', f);
    SERIES(target_kbps);
    fputc(',', f);
    SERIES(queue_ms);
    const pl_lab_congestion *cc = &dir->cc;
    fprintf(f, "},\"congestion\":{\"controller\":\"%s\",\"utilisation\":", cc->controller);
    json_num(f, cc->utilisation);
    fprintf(f, ",\"queue_delay_p50_ms\":");
    json_num(f, cc->queue_delay_p50_ms);
    fprintf(f, ",\"queue_delay_p95_ms\":");
    json_num(f, cc->queue_delay_p95_ms);
    fprintf(f, ",\"loss\":%.5f,\"rate_step_response_s\":", cc->loss);
    json_num(f, cc->rate_step_response_s);
    fprintf(f, ",\"steps_up\":%d,\"recovery_s\":", cc->steps_up);
    json_num(f, cc->recovery_s);
    fprintf(f, ",\"steps_down\":%d,\"freezes\":%llu,\"resolution_switches\":%llu}}",
            cc->steps_down, (unsigned long long)cc->freezes,
            (unsigned long long)cc->resolution_switches);
  }
  fprintf(f, "]}\n");
  return fclose(f) == 0 ? 0 : -1;
}

/* ---- SVG line charts ----------------------------------------------------- */

typedef struct series {
  const char *name, *color;
  double v[PL_LAB_MAX_SECONDS];
  int n;
  bool dashed;
} series;

#define W 720
#define H 220
#define ML 56
#define MR 16
#define MT 28
#define MB 34

static double nice_max(double m) {
  if (!(m > 0))
    return 1;
  double e = pow(10, floor(log10(m)));
  for (double k = 1; k <= 10; k *= 2)
    if (k * e >= m)
      return k * e;
  return 10 * e;
}

static void chart(FILE *f, const char *title, const char *unit, const series *s, int ns,
                  double tmax) {
  double ymax = 0;
  for (int i = 0; i < ns; i++)
    for (int k = 0; k < s[i].n; k++)
      if (isfinite(s[i].v[k]) && s[i].v[k] > ymax)
        ymax = s[i].v[k];
  ymax = nice_max(ymax * 1.05);
  double pw = W - ML - MR, ph = H - MT - MB;
  fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
             "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
          W, H, W, H);
  fprintf(f, "<text x=\"%d\" y=\"18\" class=\"t\">%s</text>\n", ML, title);
  for (int g = 0; g <= 4; g++) {
    double y = MT + ph - ph * g / 4;
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
               "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%g</text>\n",
            ML, y, W - MR, y, ML - 4, y + 4, ymax * g / 4);
  }
  for (int g = 0; g <= 5; g++) {
    double x = ML + pw * g / 5;
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%.0f s</text>\n", x,
            H - MB + 16, tmax * g / 5);
  }
  fprintf(f, "<text x=\"12\" y=\"%d\" class=\"ax\" transform=\"rotate(-90 12 %d)\" "
             "text-anchor=\"middle\">%s</text>\n",
          MT + (int)ph / 2, MT + (int)ph / 2, unit);
  for (int i = 0; i < ns; i++) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"", s[i].color,
            s[i].dashed ? " stroke-dasharray=\"5,3\"" : "");
    for (int k = 0; k < s[i].n; k++) {
      if (!isfinite(s[i].v[k]) || s[i].v[k] < 0)
        continue;
      fprintf(f, "%.1f,%.1f ", ML + pw * (k + 1) / tmax, MT + ph - ph * s[i].v[k] / ymax);
    }
    fprintf(f, "\"/>\n<text x=\"%d\" y=\"%d\" class=\"lg\" fill=\"%s\">%s</text>\n",
            ML + 10 + i * 170, H - 4, s[i].color, s[i].name);
  }
  fprintf(f, "</svg>\n");
}

static void fill(series *s, const pl_lab_run *r, int d, size_t off, const char *name,
                 const char *color, bool dashed) {
  s->name = name;
  s->color = color;
  s->dashed = dashed;
  s->n = r->n_seconds;
  for (int k = 0; k < r->n_seconds; k++)
    s->v[k] = *(const double *)((const char *)&r->sec[d][k] + off);
}

/* Per-frame PSNR (x: when each frame was shown), both directions. */
static void frame_chart(FILE *f, const pl_lab_run *r, double tmax) {
  double ymax = 60, ymin = 20;
  for (int d = 0; d < 2; d++)
    for (size_t i = 0; i < r->dir[d].video.n; i++) {
      double p = r->dir[d].video.frames[i].psnr;
      if (isfinite(p) && p > ymax)
        ymax = ceil(p / 10) * 10;
      if (isfinite(p) && p < ymin)
        ymin = floor(p / 10) * 10;
    }
  double pw = W - ML - MR, ph = H - MT - MB;
  fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
             "height=\"%d\" viewBox=\"0 0 %d %d\">\n<text x=\"%d\" y=\"18\" class=\"t\">"
             "PSNR of every shown frame (luma, against the source frame it shows)</text>\n",
          W, H, W, H, ML);
  for (int g = 0; g <= 4; g++) {
    double y = MT + ph - ph * g / 4;
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
               "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%g</text>\n",
            ML, y, W - MR, y, ML - 4, y + 4, ymin + (ymax - ymin) * g / 4);
  }
  for (int g = 0; g <= 5; g++)
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%.0f s</text>\n",
            ML + pw * g / 5, H - MB + 16, tmax * g / 5);
  fprintf(f, "<text x=\"12\" y=\"%d\" class=\"ax\" transform=\"rotate(-90 12 %d)\" "
             "text-anchor=\"middle\">dB</text>\n",
          MT + (int)ph / 2, MT + (int)ph / 2);
  static const char *col[2] = {"#1b9e77", "#d95f02"};
  for (int d = 0; d < 2; d++) {
    const pl_lab_video *v = &r->dir[d].video;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" points=\"", col[d]);
    for (size_t i = 0; i < v->n; i++) {
      double p = v->frames[i].psnr;
      if (!isfinite(p))
        continue;
      fprintf(f, "%.1f,%.1f ", ML + pw * v->frames[i].render_s / tmax,
              MT + ph - ph * (p - ymin) / (ymax - ymin));
    }
    fprintf(f, "\"/>\n<text x=\"%d\" y=\"%d\" class=\"lg\" fill=\"%s\">%s</text>\n",
            ML + 10 + d * 170, H - 4, col[d], dir_name[d]);
  }
  fprintf(f, "</svg>\n");
}

static void video_section(FILE *f, const pl_lab_run *r, double tmax) {
  if (!r->dir[0].video.on) {
    fprintf(f, "<h2>Video</h2><p>This run carried audio only (see --video).</p>\n");
    return;
  }
  fprintf(f, "<h2>Video</h2><table><tr><th>direction</th><th>codec</th><th>sent</th>"
             "<th>shown</th><th>PSNR mean (dB)</th><th>PSNR min</th><th>SSIM mean</th>"
             "<th>fps</th><th>freezes</th><th>frozen (s)</th><th>delay mean (ms)</th>"
             "<th>delay p95 (ms)</th><th>NACKs</th><th>RTX in</th><th>PLIs</th></tr>\n");
  for (int d = 0; d < 2; d++) {
    const pl_lab_video *v = &r->dir[d].video;
    const pl_call_stats *st = &r->dir[d].final;
    fprintf(f, "<tr><td>%s</td><td>%s</td><td>%lld</td><td>%zu</td><td>%.2f</td><td>%.2f</td>"
               "<td>%.4f</td><td>%.1f</td><td>%u</td><td>%.2f</td><td>%.0f</td><td>%.0f</td>"
               "<td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
            dir_name[d], st->video_codec == 9 ? "VP9" : "VP8", (long long)v->frames_sent, v->n,
            v->psnr_mean, v->psnr_min, v->ssim_mean, v->timing.fps, v->timing.freeze_count,
            v->timing.freeze_total_s, v->timing.delay_mean_ms, v->timing.delay_p95_ms,
            (unsigned long long)st->nack_count,
            (unsigned long long)st->retransmitted_packets_received,
            (unsigned long long)st->pli_count);
  }
  fprintf(f, "</table>\n");
  frame_chart(f, r, tmax);
}

/* ---- waveform and spectrogram -------------------------------------------- */

static void waveform(FILE *f, const char *title, const float *x, size_t n, int rate,
                     const float *y, size_t ny, long lag, int rate_y) {
  const int cols = W - ML - MR, ph = 70;
  fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
             "height=\"%d\">\n<text x=\"%d\" y=\"16\" class=\"t\">%s</text>\n",
          W, 2 * ph + 40, ML, title);
  for (int row = 0; row < 2; row++) {
    const float *s = row ? y : x;
    size_t len = row ? ny : n;
    int r = row ? rate_y : rate;
    /* Received audio shifted by the measured delay so both rows line up. */
    double start = row ? (double)lag / rate : 0;
    double span = (double)n / rate;
    double yc = 30 + ph / 2.0 + row * (ph + 6);
    fprintf(f, "<text x=\"4\" y=\"%.0f\" class=\"ax\">%s</text><path fill=\"%s\" d=\"", yc,
            row ? "received" : "sent", row ? "#d95f02" : "#1b9e77");
    for (int c = 0; c < cols; c++) {
      size_t a = (size_t)((start + span * c / cols) * r), b = (size_t)((start + span * (c + 1) / cols) * r);
      float lo = 0, hi = 0;
      for (size_t i = a; i < b && i < len; i++) {
        lo = s[i] < lo ? s[i] : lo;
        hi = s[i] > hi ? s[i] : hi;
      }
      fprintf(f, "M%d,%.1fV%.1f", ML + c, yc - hi * ph / 2, yc - lo * ph / 2 + 0.5);
    }
    fprintf(f, "\" stroke=\"%s\" stroke-width=\"1\"/>\n", row ? "#d95f02" : "#1b9e77");
  }
  fprintf(f, "</svg>\n");
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(FILE *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    fputc(b64[v >> 18 & 63], f);
    fputc(b64[v >> 12 & 63], f);
    fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', f);
    fputc(i + 2 < n ? b64[v & 63] : '=', f);
  }
}

/* A magma-like ramp: dark purple -> orange -> pale yellow. */
static void colour(double t, uint8_t *bgr) {
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  double r = 255 * pow(t, 0.6), g = 255 * pow(t, 1.6), b = 255 * (0.35 + 0.4 * sin(3.14 * t)) * (1 - t * 0.6);
  bgr[0] = (uint8_t)b;
  bgr[1] = (uint8_t)g;
  bgr[2] = (uint8_t)r;
}

/* Spectrogram of x (any rate) as a 24-bit BMP data URI image: columns are
 * 20 ms hops, rows are FFT bins up to 8 kHz (speech band), 80 dB range. */
static void spectrogram(FILE *f, const char *label, const float *x, size_t n, int rate, long off,
                        double seconds) {
  const int N = 1024, cols = 600, rows = 128;
  pl_fft *fft = pl_fft_new((size_t)N);
  double *in = calloc((size_t)N, sizeof(double)), *out = calloc((size_t)N + 2, sizeof(double));
  double *db = calloc((size_t)cols * rows, sizeof(double));
  int stride = (cols * 3 + 3) & ~3;
  size_t img = (size_t)stride * rows;
  uint8_t *bmp = calloc(54 + img, 1);
  if (!fft || !in || !out || !db || !bmp)
    goto done;
  double fmax = rate / 2.0 < 8000 ? rate / 2.0 : 8000;
  double peak = -300;
  for (int c = 0; c < cols; c++) {
    long start = off + (long)(seconds * rate * c / cols);
    for (int i = 0; i < N; i++) {
      long k = start + i;
      double w = 0.5 - 0.5 * cos(2 * M_PI * i / (N - 1));
      in[i] = k >= 0 && (size_t)k < n ? x[k] * w : 0;
    }
    pl_fft_real_forward(fft, in, out);
    for (int row = 0; row < rows; row++) {
      int bin = (int)((double)row / rows * fmax / rate * N);
      double p = out[2 * bin] * out[2 * bin] + out[2 * bin + 1] * out[2 * bin + 1];
      double v = 10 * log10(p + 1e-12);
      db[(size_t)c * rows + row] = v;
      if (v > peak)
        peak = v;
    }
  }
  memcpy(bmp, "BM", 2);
  uint32_t size = (uint32_t)(54 + img);
  memcpy(bmp + 2, &size, 4);
  uint32_t v32 = 54;
  memcpy(bmp + 10, &v32, 4);
  v32 = 40;
  memcpy(bmp + 14, &v32, 4);
  int32_t wv = cols, hv = rows; /* positive height: bottom-up, low bins first */
  memcpy(bmp + 18, &wv, 4);
  memcpy(bmp + 22, &hv, 4);
  uint16_t v16 = 1;
  memcpy(bmp + 26, &v16, 2);
  v16 = 24;
  memcpy(bmp + 28, &v16, 2);
  memcpy(bmp + 34, &img, 4);
  for (int row = 0; row < rows; row++)
    for (int c = 0; c < cols; c++)
      colour((db[(size_t)c * rows + row] - (peak - 80)) / 80, bmp + 54 + (size_t)row * stride + c * 3);
  fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">"
             "<text x=\"%d\" y=\"14\" class=\"t\">%s (0-%.0f Hz)</text>"
             "<image x=\"%d\" y=\"20\" width=\"%d\" height=\"%d\" preserveAspectRatio=\"none\" "
             "href=\"data:image/bmp;base64,",
          W, rows + 26, ML, label, fmax, ML, W - ML - MR, rows);
  base64(f, bmp, 54 + img);
  fprintf(f, "\"/></svg>\n");
done:
  pl_fft_free(fft);
  free(in);
  free(out);
  free(db);
  free(bmp);
}

int pl_lab_write_html(const char *path, const pl_lab_run *r) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f,
          "<!doctype html><html><head><meta charset=\"utf-8\"><title>Parley loopback: %s</title>"
          "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
          "text-align:right}th{background:#f3f3f3}.chart{display:block;margin:10px 0}"
          ".t{font:600 13px sans-serif}.ax{font:11px sans-serif;fill:#555}"
          ".lg{font:12px sans-serif}.grid{stroke:#e5e5e5}</style></head><body>\n",
          r->scenario);
  fprintf(f, "<h1>Parley loopback report</h1><p>Network <b>%s</b>, %.1f s simulated in %.2f s "
             "(seed %llu)%s%s%s%s.</p>\n",
          r->scenario, r->duration_s, r->wall_s, (unsigned long long)r->seed,
          r->stages[0] ? ", stages " : ", no AI stages", r->stages,
          r->noise[0] ? "; noisy input: " : "", r->noise);
  fprintf(f, "<h2>Final metrics</h2><table><tr><th>direction</th><th>delay (ms)</th><th>STOI</th>"
             "<th>SI-SDR (dB)</th><th>SNR (dB)</th><th>LSD (dB)</th><th>lost</th>"
             "<th>concealed</th><th>jitter buffer (ms)</th><th>mouth-to-ear (stats, ms)</th></tr>\n");
  for (int d = 0; d < 2; d++) {
    const pl_lab_dir *dir = &r->dir[d];
    const pl_call_stats *st = &dir->final;
    double exp_ = (double)st->packets_received + (double)(st->packets_lost > 0 ? st->packets_lost : 0);
    fprintf(f, "<tr><td>%s</td>", dir_name[d]);
    if (dir->metrics_rc == 0)
      fprintf(f, "<td>%.1f</td><td>%.4f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>", dir->m.delay_ms,
              dir->m.stoi, dir->m.si_sdr_db, dir->m.snr_db, dir->m.lsd_db);
    else
      fprintf(f, "<td colspan=5>%s</td>", pl_strerror(dir->metrics_rc));
    fprintf(f, "<td>%.2f%%</td><td>%.2f%%</td><td>%.1f</td><td>%.1f</td></tr>\n",
            exp_ > 0 ? 100.0 * (double)st->packets_lost / exp_ : 0,
            st->total_samples_received
                ? 100.0 * (double)st->concealed_samples / (double)st->total_samples_received
                : 0,
            st->jitter_buffer_delay_s * 1000, st->mouth_to_ear_s * 1000);
  }
  fprintf(f, "</table>\n");
  if (r->dir[0].has_input || r->dir[1].has_input) {
    /* What the call did to a noisy (or otherwise degraded) input: the sent
     * file and the received audio, each scored against the clean talker. */
    fprintf(f, "<h2>Input against output</h2><table><tr><th>direction</th><th>scored</th>"
               "<th>STOI</th><th>SI-SDR (dB)</th><th>LSD (dB)</th></tr>\n");
    for (int d = 0; d < 2; d++) {
      const pl_lab_dir *dir = &r->dir[d];
      if (!dir->has_input)
        continue;
      fprintf(f, "<tr><td rowspan=3>%s</td><td>sent input</td><td>%.4f</td><td>%.2f</td>"
                 "<td>%.2f</td></tr>\n",
              dir_name[d], dir->in_m.stoi, dir->in_m.si_sdr_db, dir->in_m.lsd_db);
      if (dir->metrics_rc == 0)
        fprintf(f, "<tr><td>received</td><td>%.4f</td><td>%.2f</td><td>%.2f</td></tr>\n"
                   "<tr><td><b>change</b> (LSD: lower is better)</td><td><b>%+.4f</b></td><td><b>%+.2f</b></td>"
                   "<td><b>%+.2f</b></td></tr>\n",
                dir->m.stoi, dir->m.si_sdr_db, dir->m.lsd_db, dir->m.stoi - dir->in_m.stoi,
                dir->m.si_sdr_db - dir->in_m.si_sdr_db, dir->m.lsd_db - dir->in_m.lsd_db);
    }
    fprintf(f, "</table>\n");
  }
  bool any_stage = false;
  for (int d = 0; d < 2; d++)
    any_stage |= r->dir[d].sender.n_send_stages + r->dir[d].final.n_recv_stages > 0;
  if (any_stage) {
    fprintf(f, "<h2>Media-graph stages</h2><table><tr><th>direction</th><th>side</th>"
               "<th>stage</th><th>on</th><th>frames</th><th>CPU per 10 ms frame (us)</th>"
               "<th>share of a core</th><th>worst frame (us)</th></tr>\n");
    for (int d = 0; d < 2; d++) {
      const pl_call_stats *sides[2] = {&r->dir[d].sender, &r->dir[d].final};
      for (int k = 0; k < 2; k++) {
        int n = k ? sides[k]->n_recv_stages : sides[k]->n_send_stages;
        const pl_stage_info *si = k ? sides[k]->recv_stages : sides[k]->send_stages;
        for (int i = 0; i < n; i++)
          fprintf(f, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%llu</td>"
                     "<td>%.1f</td><td>%.3f%%</td><td>%.1f</td></tr>\n",
                  dir_name[d], k ? "receive" : "send", si[i].name, si[i].enabled ? "yes" : "no",
                  (unsigned long long)si[i].frames, si[i].avg_us, si[i].avg_us / 100.0,
                  si[i].max_us);
      }
    }
    fprintf(f, "</table>\n");
    for (int d = 0; d < 2; d++)
      if (r->dir[d].sender.voice_activity >= 0)
        fprintf(f, "<p>%s sender: voice probability (denoise) %.2f over the last second, "
                   "%llu DTX packets.</p>\n",
                dir_name[d], r->dir[d].sender.voice_activity,
                (unsigned long long)r->dir[d].sender.dtx_packets_sent);
  }
  static series s[4];
  double tmax = r->n_seconds > 0 ? r->n_seconds : 1;
  for (int d = 0; d < 2; d++) {
    fprintf(f, "<h2>%s</h2>\n", dir_name[d]);
    fill(&s[0], r, d, offsetof(pl_lab_second, send_kbps), "sent (kbit/s)", "#1b9e77", false);
    fill(&s[1], r, d, offsetof(pl_lab_second, delivered_kbps), "delivered", "#7570b3", false);
    fill(&s[2], r, d, offsetof(pl_lab_second, capacity_kbps), "capacity", "#d95f02", true);
    chart(f, "Send bitrate against link capacity", "kbit/s", s, 3, tmax);
    fill(&s[0], r, d, offsetof(pl_lab_second, target_kbps), "target (kbit/s)", "#e7298a", false);
    fill(&s[1], r, d, offsetof(pl_lab_second, send_kbps), "sent", "#1b9e77", false);
    fill(&s[2], r, d, offsetof(pl_lab_second, capacity_kbps), "capacity", "#d95f02", true);
    char title[160];
    snprintf(title, sizeof title, "Congestion control (%s): target, sent, capacity",
             r->dir[d].cc.controller);
    chart(f, title, "kbit/s", s, 3, tmax);
    fill(&s[0], r, d, offsetof(pl_lab_second, queue_ms), "bottleneck queue delay", "#7570b3",
         false);
    chart(f, "Queuing delay", "ms", s, 1, tmax);
    fill(&s[0], r, d, offsetof(pl_lab_second, owd_ms), "capture to arrival", "#1b9e77", false);
    chart(f, "One-way delay", "ms", s, 1, tmax);
    fill(&s[0], r, d, offsetof(pl_lab_second, loss_pct), "lost on the link", "#e7298a", false);
    fill(&s[1], r, d, offsetof(pl_lab_second, concealed_pct), "concealed samples", "#66a61e", false);
    chart(f, "Loss and concealment", "%", s, 2, tmax);
    fill(&s[0], r, d, offsetof(pl_lab_second, jb_ms), "jitter buffer delay", "#1b9e77", false);
    fill(&s[1], r, d, offsetof(pl_lab_second, jb_target_ms), "target", "#d95f02", true);
    chart(f, "Jitter buffer", "ms", s, 2, tmax);
    s[0].name = "concealment events";
    s[0].color = "#e6ab02";
    s[0].dashed = false;
    s[0].n = r->n_seconds;
    for (int k = 0; k < r->n_seconds; k++)
      s[0].v[k] = (double)r->sec[d][k].conceal_events;
    chart(f, "Concealment events per second", "events", s, 1, tmax);
    const pl_lab_dir *dir = &r->dir[d];
    if (dir->metrics_rc == 0 && dir->n_rx > 0) {
      double secs = (double)dir->n_ref / dir->ref_rate;
      if (secs > 10)
        secs = 10;
      long lag48 = (long)(dir->m.delay_ms * 48);
      waveform(f, "Waveform, first seconds (received aligned by the measured delay)", dir->ref,
               (size_t)(secs * dir->ref_rate), dir->ref_rate, dir->rx, dir->n_rx, lag48, 48000);
      spectrogram(f, "Spectrogram, sent", dir->ref, dir->n_ref, dir->ref_rate, 0, secs);
      spectrogram(f, "Spectrogram, received", dir->rx, dir->n_rx, 48000, lag48, secs);
    }
  }
  video_section(f, r, tmax);
  fprintf(f, "</body></html>\n");
  return fclose(f) == 0 ? 0 : -1;
}
