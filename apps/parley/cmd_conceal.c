/* `parley conceal IN.wav OUT.wav --loss TRACE|RATE --plc none|opus|deep|neural`:
 * encodes IN with Opus (20 ms packets), drops packets by a trace or a seeded
 * random (or Gilbert-Elliott bursty) pattern, and plays what is left through
 * the jitter buffer with synthetic arrival times - the concealment path of a
 * call, without a network - then writes OUT and scores it against IN. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apps/parley/cli.h"
#include "ai/plc/plc.h"
#include "apps/parley/commands.h"
#include "apps/parley/wav_input.h"
#include "audio/jitter/jitter.h"
#include "audio/metrics/metrics.h"
#include "audio/opus/opus.h"
#include "audio/plc/loss.h"
#include "audio/plc/registry.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "base/rng.h"
#include "net/rtp/red.h"
#include "parley.h"

#define SPP 960            /* 20 ms packets */
#define NET_US PL_MS(20)   /* synthetic one-way delay */
/* A fixed 40 ms target (20 ms of packet + 20 ms for the LBRR wait) keeps
 * the buffer from stretching, so OUT lines up with IN sample for sample. */
#define HOLD_MS 40

typedef struct opts {
  const char *in, *out, *loss, *plc;
  uint64_t seed;
  double burst;
  bool fec, json;
  int bitrate;
  int red; /* RED distance: previous frames in every packet */
  int dred_ms;        /* encoder DRED history, 0 off */
  int dec_complexity; /* -1: by --plc (deep: 5, else 0) */
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley conceal IN.wav OUT.wav --loss TRACE|RATE --plc none|opus|deep|neural\n"
          "                      [--seed N] [--burst MEAN] [--fec] [--red N] [--dred MS]\n"
          "                      [--bitrate BPS] [--dec-complexity N] [--json]\n"
          "  --loss TRACE   a text file, one 0 or 1 (lost) per 20 ms packet; '#' comments;\n"
          "                 it repeats when shorter than the input\n"
          "  --loss RATE    random loss: 0.1 or 10%%, drawn from --seed (default 1)\n"
          "  --burst MEAN   with RATE: Gilbert-Elliott bursts of MEAN packets on average\n"
          "  --plc          none: silence; opus: Opus PLC; deep: Opus 1.5's deep PLC\n"
          "                 (decoder complexity 5); neural: the neural PLC stage\n"
          "  --fec          Opus in-band FEC (LBRR) on, used by the jitter buffer\n"
          "  --red N        RED (RFC 2198): every packet also carries the N (1 or 2) frames\n"
          "                 before it; the buffer waits N packets for the copies\n"
          "  --dred MS      Opus DRED: MS (10..1000) of history in each packet, rebuilt\n"
          "                 by the jitter buffer after a loss (needs libopus >= 1.5)\n"
          "  --dec-complexity N  Opus decoder complexity 0..10 (6 LACE, 7 NoLACE)\n"
          "  --bitrate BPS  Opus bitrate (default 24000)\n"
          "  --json         print the results as JSON\n"
          "IN is mixed to mono and resampled to 48 kHz for Opus; OUT has IN's rate and\n"
          "channels. Prints STOI, LSD and SNR of OUT against IN.\n"
          "exit status: 0 ok, 1 unreadable input or unavailable PLC, 2 usage\n");
}

static int parse(int argc, char **argv, opts *o) {
  static const struct option lo[] = {
      {"loss", required_argument, 0, 'l'}, {"plc", required_argument, 0, 'p'},
      {"seed", required_argument, 0, 's'}, {"burst", required_argument, 0, 'b'},
      {"fec", no_argument, 0, 'f'},        {"bitrate", required_argument, 0, 'r'},
      {"json", no_argument, 0, 'j'},       {"help", no_argument, 0, 'h'},
      {"red", required_argument, 0, 'R'},
      {"dred", required_argument, 0, 'd'}, {"dec-complexity", required_argument, 0, 'c'},
      {0, 0, 0, 0}};
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->bitrate = 24000;
  o->dec_complexity = -1;
  optind = 1;
  int c;
  double v;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (c) {
    case 'l':
      o->loss = optarg;
      break;
    case 'p':
      o->plc = optarg;
      break;
    case 's':
      if (pl_cli_parse_double(optarg, 0, 9007199254740992.0, &v) || v != floor(v))
        return 2;
      o->seed = (uint64_t)v;
      break;
    case 'b':
      if (pl_cli_parse_double(optarg, 1, 1000, &v))
        return 2;
      o->burst = v;
      break;
    case 'f':
      o->fec = true;
      break;
    case 'r':
      if (pl_cli_parse_double(optarg, 6000, 510000, &v))
        return 2;
      o->bitrate = (int)v;
      break;
    case 'j':
      o->json = true;
      break;
    case 'R':
      if (pl_cli_parse_double(optarg, 0, PL_RED_MAX_DISTANCE, &v) || v != floor(v))
        return 2;
      o->red = (int)v;
      break;
    case 'd':
      if (pl_cli_parse_double(optarg, 10, PL_OPUS_DRED_MAX_MS, &v) || v != floor(v))
        return 2;
      o->dred_ms = (int)v;
      break;
    case 'c':
      if (pl_cli_parse_double(optarg, 0, 10, &v) || v != floor(v))
        return 2;
      o->dec_complexity = (int)v;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (argc - optind != 2 || !o->loss || !o->plc) {
    fprintf(stderr, "parley conceal: need IN.wav OUT.wav, --loss and --plc\n");
    usage(stderr);
    return 2;
  }
  if (strcmp(o->plc, "none") && strcmp(o->plc, "opus") && strcmp(o->plc, "deep") &&
      strcmp(o->plc, "neural")) {
    fprintf(stderr, "parley conceal: --plc must be none, opus, deep or neural, not '%s'\n",
            o->plc);
    return 2;
  }
  if (o->dec_complexity < 0)
    o->dec_complexity = strcmp(o->plc, "deep") ? 0 : PL_OPUS_DEC_COMPLEXITY_PLC;
  o->in = argv[optind];
  o->out = argv[optind + 1];
  return -1;
}

/* --loss: a file when one exists by that name, else a rate. */
static int loss_pattern(const opts *o, size_t np, uint8_t *lost, double *rate_out) {
  struct stat sb;
  if (stat(o->loss, &sb) == 0) {
    FILE *f = fopen(o->loss, "rb");
    if (!f) {
      fprintf(stderr, "parley conceal: %s: cannot read\n", o->loss);
      return 1;
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    uint8_t *text = malloc(cap);
    if (text)
      n = fread(text, 1, cap, f);
    fclose(f);
    if (!text)
      return 1;
    uint8_t *trace;
    size_t count, bad;
    int err = pl_loss_trace_parse(text, n, &trace, &count, &bad);
    free(text);
    if (err == PL_EPARSE && bad) {
      fprintf(stderr, "parley conceal: %s:%zu: expected 0 or 1 (1 = lost)\n", o->loss, bad);
      return 1;
    }
    if (err) {
      fprintf(stderr, "parley conceal: %s: %s\n", o->loss,
              err == PL_EPARSE ? "no 0/1 entries" : pl_strerror(err));
      return 1;
    }
    size_t sum = 0;
    for (size_t i = 0; i < np; i++)
      sum += lost[i] = trace[i % count];
    free(trace);
    if (o->burst > 0)
      fprintf(stderr, "parley conceal: note: --burst ignored with a trace\n");
    *rate_out = np ? (double)sum / (double)np : 0;
    return 0;
  }
  const char *s = o->loss;
  size_t len = strlen(s);
  char buf[64];
  bool pct = len > 0 && s[len - 1] == '%';
  if (len == 0 || len >= sizeof buf) {
    fprintf(stderr, "parley conceal: --loss '%s' is neither a file nor a rate\n", s);
    return 2;
  }
  memcpy(buf, s, len + 1);
  if (pct)
    buf[len - 1] = 0;
  char *end;
  double v = strtod(buf, &end);
  if (end == buf || *end || !isfinite(v)) {
    fprintf(stderr, "parley conceal: --loss '%s' is neither a file nor a rate\n", s);
    return 2;
  }
  if (pct)
    v /= 100.0;
  pl_rng rng;
  pl_rng_seed(&rng, o->seed);
  if (pl_loss_draw(&rng, v, o->burst, lost, np)) {
    fprintf(stderr, "parley conceal: loss rate %g%s is out of range (0 <= rate < 1%s)\n", v,
            o->burst > 0 ? " with that burst" : "", o->burst > 0 ? ", rate/(1-rate) <= burst" : "");
    return 2;
  }
  *rate_out = v;
  return 0;
}

typedef struct result {
  size_t packets, lost;
  double rate;
  double payload_bps; /* RTP payload bits per second: Opus, or RED with its copies */
  double kbps; /* what the encoder sent, all packets */
  pl_jitter_stats st;
} result;

/* Encode, drop, play through the jitter buffer; out48 gets n48 samples
 * aligned with in48 (the codec lookahead taken off). */
static int run(const opts *o, const float *in48, size_t n48, float *out48, result *res,
               const pl_concealer_ops *ops, void *self) {
  size_t np = (n48 + PL_OPUS_LOOKAHEAD + SPP - 1) / SPP;
  uint8_t *lost = calloc(np, 1);
  float *pcm = calloc(np * SPP, sizeof(float));
  uint8_t(*pkt)[PL_OPUS_MAX_PACKET] = malloc(sizeof *pkt * (np ? np : 1));
  int *len = malloc(sizeof(int) * (np ? np : 1));
  pl_opus_enc *enc = NULL;
  pl_jitter *jb = NULL;
  uint8_t(*red)[1400] = NULL;
  int *red_len = NULL;
  int rc = 1;
  if (!lost || !pcm || !pkt || !len)
    goto out;
  if ((rc = loss_pattern(o, np, lost, &res->rate)) != 0)
    goto out;
  rc = 1;
  memcpy(pcm, in48, n48 * sizeof(float));
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1);
  ec.frame_ms = 20;
  ec.bitrate = o->bitrate;
  ec.fec = o->fec;
  /* libopus sizes LBRR by the loss it expects: tell it the rate asked for. */
  /* DRED's share of the bitrate grows with the expected loss too. */
  ec.packet_loss_pct =
      o->fec || o->dred_ms ? (int)fmin(100, fmax(5, ceil(res->rate * 100))) : 0;
  ec.dred_ms = o->dred_ms;
  if (!(enc = pl_opus_enc_new(&ec))) {
    fprintf(stderr, "parley conceal: the Opus encoder refused bitrate %d\n", o->bitrate);
    goto out;
  }
  double bytes = 0;
  for (size_t i = 0; i < np; i++) {
    len[i] = pl_opus_enc_encode(enc, pcm + i * SPP, pkt[i], PL_OPUS_MAX_PACKET);
    if (len[i] <= 0) {
      fprintf(stderr, "parley conceal: encoding failed: %s\n", pl_strerror(len[i]));
      goto out;
    }
    bytes += len[i];
  }
  /* RED: each packet as the call sends it (RFC 2198), parsed back on
   * arrival, so the copies go through the same writer and parser. */
  if (o->red) {
    if (!(red = malloc(sizeof *red * np)) || !(red_len = malloc(sizeof(int) * np)))
      goto out;
    pl_red_sender rs;
    pl_red_sender_init(&rs, 111, o->red);
    for (size_t i = 0; i < np; i++)
      red_len[i] = pl_red_sender_wrap(&rs, (uint32_t)(i * SPP), pkt[i], (size_t)len[i], red[i],
                                      sizeof red[i]);
  }
  double wire = 0;
  for (size_t i = 0; i < np; i++)
    wire += red ? red_len[i] : len[i];
  res->payload_bps = np ? wire * 8 / ((double)np * SPP / PL_AUDIO_RATE) : 0;
  res->kbps = np ? bytes * 8.0 / ((double)np * SPP / PL_AUDIO_RATE) / 1000.0 : 0;
  pl_jitter_config jc;
  pl_jitter_config_default(&jc);
  /* Copies at distance N come N packets after their original: hold that
   * much (the first 20 ms of the wait is the LBRR wait already there). */
  jc.min_delay_ms = HOLD_MS + (o->red > 1 ? 20 * (o->red - 1) : 0);
  jc.initial_delay_ms = 0;
  jc.use_fec = o->fec;
  jc.comfort_noise = strcmp(o->plc, "none") != 0;
  jc.decoder_complexity = o->dec_complexity;
  jc.use_dred = o->dred_ms > 0;
  jc.seed = o->seed;
  if (!(jb = pl_jitter_new(&jc)))
    goto out;
  if (ops)
    pl_jitter_set_concealer(jb, ops, self);
  res->packets = np;
  res->lost = 0;
  /* Packet i leaves at i * 20 ms and arrives NET_US later; the playout
   * clock ticks every 10 ms. A receiver hears nothing before the first
   * packet that arrives: OUT is silent there. */
  size_t next = 0, need = n48 + PL_OPUS_LOOKAHEAD, have = 0;
  int64_t media = -1; /* media position of the next played sample */
  pl_time_us t0 = PL_SEC(1);
  for (int64_t k = 0; have < need || media < 0; k++) {
    pl_time_us now = t0 + k * PL_MS(10) + PL_MS(3);
    for (; next < np && t0 + (pl_time_us)next * PL_MS(20) + NET_US <= now; next++) {
      if (lost[next]) {
        res->lost++;
        continue;
      }
      pl_time_us at = t0 + (pl_time_us)next * PL_MS(20) + NET_US;
      pl_red_packet rp;
      if (red && red_len[next] > 0 &&
          pl_red_parse(&rp, red[next], (size_t)red_len[next]) == 0) {
        const pl_red_block *pb = &rp.blocks[rp.n - 1];
        uint32_t ts = (uint32_t)(next * SPP);
        pl_jitter_push(jb, at, (uint16_t)next, ts, pb->data, pb->len);
        for (int b = rp.n - 2; b >= 0; b--)
          pl_jitter_push_redundant(jb, at, (uint16_t)(next - (size_t)(rp.n - 1 - b)),
                                   ts - rp.blocks[b].ts_offset, rp.blocks[b].data,
                                   rp.blocks[b].len);
      } else {
        pl_jitter_push(jb, at, (uint16_t)next, (uint32_t)(next * SPP), pkt[next],
                       (size_t)len[next]);
      }
      if (media < 0)
        media = (int64_t)next * SPP;
    }
    pl_audio_frame f;
    if (pl_jitter_pull(jb, now, &f) != 0)
      continue;
    for (int j = 0; j < f.samples; j++, media++) {
      int64_t at = media - PL_OPUS_LOOKAHEAD;
      if (at >= 0 && (size_t)at < n48)
        out48[at] = f.pcm[j];
    }
    have = media < 0 ? 0 : (size_t)media;
    if (k > (int64_t)np * 4 + 1000)
      break; /* cannot happen: every pull plays 10 ms */
  }
  pl_jitter_get_stats(jb, &res->st);
  rc = 0;
out:
  pl_jitter_free(jb);
  pl_opus_enc_free(enc);
  free(red);
  free(red_len);
  free(lost);
  free(pcm);
  free(pkt);
  free(len);
  return rc;
}

static int zero_conceal(void *self, float *out, int samples, int channels, int nth) {
  (void)self;
  (void)nth;
  memset(out, 0, sizeof(float) * (size_t)(samples * channels));
  return 0;
}

static const pl_concealer_ops silence_ops = {.conceal = zero_conceal};

static bool all_zero(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0.0f)
      return false;
  return true;
}

/* A number, or n/a when the metric is undefined (a silent signal). */
static void tnum(const char *label, double v, const char *fmt, const char *unit) {
  printf("%-8s ", label);
  if (isfinite(v))
    printf(fmt, v);
  else
    printf("%9s", "n/a");
  printf("%s\n", isfinite(v) ? unit : "");
}

static void jnum(const char *key, double v, const char *fmt, bool comma) {
  printf("  \"%s\": ", key);
  if (isfinite(v))
    printf(fmt, v);
  else
    printf("null");
  printf(comma ? ",\n" : "\n");
}

int pl_cmd_conceal(int argc, char **argv) {
  opts o;
  int rc = parse(argc, argv, &o);
  if (rc >= 0)
    return rc;
  const pl_plc_provider *prov = NULL;
  if (!strcmp(o.plc, "neural") && !pl_plc_find("neural"))
    pl_plc_register_neural(); /* the compiled-in model (ai/plc) */
  if (!strcmp(o.plc, "neural") && !(prov = pl_plc_find("neural"))) {
    fprintf(stderr, "parley conceal: neural PLC model not available in this build\n");
    return 1;
  }
  if (!pl_opus_neural() && (o.dred_ms || o.dec_complexity)) {
    fprintf(stderr, "parley conceal: %s needs libopus >= 1.5; this build has %s "
            "(scripts/build-opus.sh)\n", o.dred_ms ? "--dred" : !strcmp(o.plc, "deep") ?
            "--plc deep" : "--dec-complexity", pl_opus_version());
    return 1;
  }
  pl_wav_info info;
  float *in = pl_cli_read_mono("parley conceal", NULL, o.in, &info);
  if (!in)
    return 1;
  float *in48 = in, *out48 = NULL, *out = NULL, *outc = NULL;
  size_t n48 = info.frames, nout = 0;
  void *self = NULL;
  rc = 1;
  if (info.rate != PL_AUDIO_RATE &&
      pl_resample_buffer(1, info.rate, PL_AUDIO_RATE, PL_RESAMPLE_QUALITY_FILE, in, info.frames,
                         &in48, &n48)) {
    if (info.rate < PL_RESAMPLE_MIN_RATE || info.rate > PL_RESAMPLE_MAX_RATE)
      fprintf(stderr,
              "parley conceal: %s: sample rate %d Hz is outside the %d..%d Hz the resampler to "
              "48 kHz takes\n",
              o.in, info.rate, PL_RESAMPLE_MIN_RATE, PL_RESAMPLE_MAX_RATE);
    else
      fprintf(stderr, "parley conceal: cannot resample %d Hz to 48 kHz: out of memory\n",
              info.rate);
    in48 = NULL;
    goto done;
  }
  out48 = calloc(n48 ? n48 : 1, sizeof(float));
  if (!out48)
    goto done;
  const pl_concealer_ops *ops = NULL;
  if (prov) {
    if (!(self = prov->create(1))) {
      fprintf(stderr, "parley conceal: the neural PLC could not start\n");
      goto done;
    }
    ops = prov->ops;
  } else if (!strcmp(o.plc, "none")) {
    ops = &silence_ops;
  }
  result res;
  memset(&res, 0, sizeof res);
  if ((rc = run(&o, in48, n48, out48, &res, ops, self)) != 0)
    goto done;
  rc = 1;
  /* OUT at IN's rate and channel count. */
  out = out48;
  nout = n48;
  if (info.rate != PL_AUDIO_RATE &&
      pl_resample_buffer(1, PL_AUDIO_RATE, info.rate, PL_RESAMPLE_QUALITY_FILE, out48, n48, &out,
                         &nout)) {
    out = NULL;
    goto done;
  }
  if (nout > info.frames)
    nout = info.frames;
  outc = malloc(sizeof(float) * nout * (size_t)info.channels);
  if (!outc)
    goto done;
  for (size_t i = 0; i < nout; i++)
    for (int c = 0; c < info.channels; c++)
      outc[i * (size_t)info.channels + (size_t)c] = out[i];
  pl_wav_spec spec = {info.rate, info.channels, info.format, false};
  int err = pl_wav_write_file(o.out, &spec, outc, nout);
  if (err) {
    fprintf(stderr, "parley conceal: %s: %s\n", o.out, pl_strerror(err));
    goto done;
  }
  pl_audio_metrics m;
  pl_audio_compare_opts co = {.max_lag_s = 0.2};
  /* Silence is valid input, but alignment, STOI, LSD and the SNRs are
   * ratios against the signal: undefined when either side is all zeros.
   * Those are n/a (null in JSON); the loss and concealment counts stand. */
  const char *silent = all_zero(in, info.frames) ? "IN" : all_zero(out48, n48) ? "OUT" : NULL;
  if (silent) {
    memset(&m, 0, sizeof m);
    m.delay_ms = m.stoi = m.lsd_db = m.snr_db = m.si_sdr_db = NAN;
    fprintf(stderr, "parley conceal: note: %s is silent (all samples 0): STOI, LSD, SNR, SI-SDR "
            "and delay are n/a\n", silent);
  } else {
    err = pl_audio_compare_ex(in, info.frames, info.rate, out48, n48, PL_AUDIO_RATE, &co, &m);
    if (err) {
      fprintf(stderr, "parley conceal: cannot score OUT against IN: %s\n", pl_strerror(err));
      goto done;
    }
  }
  if (!silent && m.stoi_err)
    fprintf(stderr, "parley conceal: note: no STOI: %s (needs 384 ms of active speech)\n",
            pl_strerror(m.stoi_err));
  const pl_jitter_stats *st = &res.st;
  double played = (double)st->total_samples_received;
  double conc = played > 0 ? 100.0 * (double)st->concealed_samples / played : 0;
  if (o.json) {
    printf("{\n  \"plc\": \"%s\",\n  \"fec\": %s,\n  \"red\": %d,\n  \"bitrate\": %d,\n",
           o.plc, o.fec ? "true" : "false", o.red, o.bitrate);
    printf("  \"dred_ms\": %d,\n  \"dec_complexity\": %d,\n", o.dred_ms, o.dec_complexity);
    jnum("payload_bps", res.payload_bps, "%.0f", true);
    jnum("sent_kbps", res.kbps, "%.3f", true);
    printf("  \"red_recovered\": %llu,\n", (unsigned long long)st->red_recovered);
    printf("  \"dred_recovered_samples\": %llu,\n",
           (unsigned long long)st->dred_recovered_samples);
    printf("  \"packets\": %zu,\n  \"lost\": %zu,\n", res.packets, res.lost);
    jnum("loss_pct", 100.0 * (double)res.lost / (double)(res.packets ? res.packets : 1), "%.2f",
         true);
    printf("  \"fec_recovered\": %llu,\n", (unsigned long long)st->fec_recovered);
    jnum("concealed_pct", conc, "%.2f", true);
    printf("  \"concealment_events\": %llu,\n", (unsigned long long)st->concealment_events);
    printf("  \"bridged_gaps\": %llu,\n", (unsigned long long)st->bridged_gaps);
    printf("  \"stretched_samples\": %llu,\n",
           (unsigned long long)(st->inserted_samples_for_deceleration +
                                st->removed_samples_for_acceleration));
    jnum("delay_ms", m.delay_ms, "%.3f", true);
    jnum("stoi", m.stoi, "%.6f", true);
    jnum("lsd_db", m.lsd_db, "%.4f", true);
    jnum("snr_db", m.snr_db, "%.4f", true);
    jnum("si_sdr_db", m.si_sdr_db, "%.4f", false);
    printf("}\n");
  } else {
    printf("packets  %zu (%.1f kbit/s), lost %zu (%.2f %%), FEC recovered %llu, RED recovered %llu, "
           "DRED rebuilt %.2f %%, concealed %.2f %% in %llu events (%llu bridged into the "
           "packet after them)\n",
           res.packets, res.kbps, res.lost,
           100.0 * (double)res.lost / (double)(res.packets ? res.packets : 1),
           (unsigned long long)st->fec_recovered, (unsigned long long)st->red_recovered,
           played > 0 ? 100.0 * (double)st->dred_recovered_samples / played : 0.0, conc,
           (unsigned long long)st->concealment_events, (unsigned long long)st->bridged_gaps);
    tnum("STOI", m.stoi, "%9.6f", "");
    tnum("LSD", m.lsd_db, "%9.4f", " dB");
    tnum("SNR", m.snr_db, "%9.4f", " dB");
    tnum("SI-SDR", m.si_sdr_db, "%9.4f", " dB");
    tnum("delay", m.delay_ms, "%9.3f", " ms");
    tnum("payload", res.payload_bps / 1000, "%9.1f", " kbit/s");
  }
  if (st->inserted_samples_for_deceleration + st->removed_samples_for_acceleration)
    fprintf(stderr, "parley conceal: note: the buffer stretched %llu samples; OUT may drift\n",
            (unsigned long long)(st->inserted_samples_for_deceleration +
                                 st->removed_samples_for_acceleration));
  rc = 0;
done:
  if (prov && self)
    prov->destroy(self);
  if (out && out != out48)
    free(out);
  free(outc);
  free(out48);
  if (in48 != in)
    free(in48);
  free(in);
  return rc;
}
