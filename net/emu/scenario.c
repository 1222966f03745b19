/* Network presets and the flag parser. Every number in a preset says where
 * it comes from; the ones we chose ourselves say so. */
#include "net/emu/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"

/* RFC 8867 Section 5.1 (Variable Available Capacity with a Single Flow):
 * reference bottleneck capacity 1 Mbps; Table 1 capacity ratios 1.0, 2.5,
 * 0.6, 1.0 starting at 0, 40, 60 and 80 s of a 100 s test, forward path. */
static const pl_emu_step rfc8867_51_fwd[] = {
    {PL_SEC(0), 1000000},
    {PL_SEC(40), 2500000},
    {PL_SEC(60), 600000},
    {PL_SEC(80), 1000000},
};

/* RFC 8867 Section 5.3 (Congested Feedback Link with Bi-directional Media
 * Flows), reference capacity 1 Mbps. Forward ratios 2.0, 1.0, 0.5, 2.0 at
 * 0, 20, 40, 60 s; backward 2.0, 0.8, 2.0 at 0, 35, 70 s; 100 s test. */
static const pl_emu_step rfc8867_53_fwd[] = {
    {PL_SEC(0), 2000000},
    {PL_SEC(20), 1000000},
    {PL_SEC(40), 500000},
    {PL_SEC(60), 2000000},
};
static const pl_emu_step rfc8867_53_rev[] = {
    {PL_SEC(0), 2000000},
    {PL_SEC(35), 800000},
    {PL_SEC(70), 2000000},
};

#define STEPS(a) {.kind = PL_EMU_CAP_STEPS, .steps = a, .nsteps = sizeof a / sizeof a[0]}
#define CONST_BPS(b) {.kind = PL_EMU_CAP_CONSTANT, .bps = (b)}
#define RANDOM(p) .loss_model = PL_EMU_LOSS_RANDOM, .loss = (p)

/* RFC 8867 Sections 5.1 and 5.3 share these path characteristics: one-way
 * propagation delay 50 ms, maximum end-to-end jitter 30 ms (modelled as a
 * uniform extra 0..30 ms without reordering, so the spread is exactly the
 * published maximum), drop-tail bottleneck queue of 300 ms, 0% path loss. */
#define RFC8867_PATH                                                           \
  .delay = PL_MS(50), .jitter = PL_MS(30), .jitter_dist = PL_EMU_JITTER_UNIFORM, \
  .reorder = false

static const pl_emu_scenario presets[] = {
    {.name = "clean",
     .summary = "no loss, no delay, no bottleneck",
     .seed = 1},
    {.name = "loss-5",
     .summary = "5% random (Bernoulli) loss each way",
     .fwd = {RANDOM(0.05)}, .rev = {RANDOM(0.05)}, .seed = 1},
    {.name = "loss-10",
     .summary = "10% random (Bernoulli) loss each way",
     .fwd = {RANDOM(0.10)}, .rev = {RANDOM(0.10)}, .seed = 1},
    {.name = "loss-20",
     .summary = "20% random (Bernoulli) loss each way",
     .fwd = {RANDOM(0.20)}, .rev = {RANDOM(0.20)}, .seed = 1},
    /* Gilbert model from pl_emu_ge_from_rate(0.20, 5): r = 1/5,
     * p = r * 0.2 / 0.8 = 0.05; loss only in the bad state. */
    {.name = "burst-20",
     .summary = "Gilbert-Elliott bursts: 20% loss, mean burst 5 packets (p=0.05 r=0.2)",
     .fwd = {.loss_model = PL_EMU_LOSS_GE, .ge_p = 0.05, .ge_r = 0.2,
             .ge_loss_good = 0.0, .ge_loss_bad = 1.0},
     .rev = {.loss_model = PL_EMU_LOSS_GE, .ge_p = 0.05, .ge_r = 0.2,
             .ge_loss_good = 0.0, .ge_loss_bad = 1.0},
     .seed = 1},
    {.name = "jitter-50",
     .summary = "50 ms delay plus 0..50 ms uniform jitter, in order",
     .fwd = {.delay = PL_MS(50), .jitter = PL_MS(50),
             .jitter_dist = PL_EMU_JITTER_UNIFORM},
     .rev = {.delay = PL_MS(50), .jitter = PL_MS(50),
             .jitter_dist = PL_EMU_JITTER_UNIFORM},
     .seed = 1},
    {.name = "jitter-200",
     .summary = "50 ms delay plus 0..200 ms uniform jitter, reordering",
     .fwd = {.delay = PL_MS(50), .jitter = PL_MS(200),
             .jitter_dist = PL_EMU_JITTER_UNIFORM, .reorder = true},
     .rev = {.delay = PL_MS(50), .jitter = PL_MS(200),
             .jitter_dist = PL_EMU_JITTER_UNIFORM, .reorder = true},
     .seed = 1},
    /* WebPageTest's connectivity profiles "3G (1.6 Mbps/768 Kbps 300ms RTT)"
     * and "LTE (12 Mbps/12 Mbps 70ms RTT)"; A is the mobile end, so fwd is
     * the uplink. The RTT is split evenly; the 300 ms drop-tail queue is our
     * choice (RFC 8867's bottleneck queue size). No loss, as published. */
    {.name = "3g",
     .summary = "WebPageTest 3G: 768 kbps up, 1.6 Mbps down, 300 ms RTT",
     .fwd = {.capacity = CONST_BPS(768000), .queue_delay = PL_MS(300),
             .delay = PL_MS(150)},
     .rev = {.capacity = CONST_BPS(1600000), .queue_delay = PL_MS(300),
             .delay = PL_MS(150)},
     .seed = 1},
    {.name = "lte",
     .summary = "WebPageTest LTE: 12 Mbps each way, 70 ms RTT",
     .fwd = {.capacity = CONST_BPS(12000000), .queue_delay = PL_MS(300),
             .delay = PL_MS(35)},
     .rev = {.capacity = CONST_BPS(12000000), .queue_delay = PL_MS(300),
             .delay = PL_MS(35)},
     .seed = 1},
    /* 5.1 constrains the forward path only; feedback flows back unshaped
     * over the same propagation delay and jitter. */
    {.name = "rfc8867-5.1",
     .summary = "RFC 8867 5.1 variable capacity 1/2.5/0.6/1 Mbps at 0/40/60/80 s, 100 s",
     .fwd = {.capacity = STEPS(rfc8867_51_fwd), .queue_delay = PL_MS(300),
             RFC8867_PATH},
     .rev = {RFC8867_PATH},
     .duration = PL_SEC(100), .seed = 1},
    {.name = "rfc8867-5.3",
     .summary = "RFC 8867 5.3 congested feedback: fwd 2/1/0.5/2 Mbps, rev 2/0.8/2 Mbps, 100 s",
     .fwd = {.capacity = STEPS(rfc8867_53_fwd), .queue_delay = PL_MS(300),
             RFC8867_PATH},
     .rev = {.capacity = STEPS(rfc8867_53_rev), .queue_delay = PL_MS(300),
             RFC8867_PATH},
     .duration = PL_SEC(100), .seed = 1},
};

#define NPRESETS (sizeof presets / sizeof presets[0])

static int fail(pl_emu_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(pl_emu_err *err, int code, const char *fmt, ...) {
  if (err) {
    err->line = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

const pl_emu_scenario *pl_emu_scenario_list(size_t *count) {
  if (count)
    *count = NPRESETS;
  return presets;
}

void pl_emu_scenario_names(char *buf, size_t size) {
  size_t off = 0;
  if (size)
    buf[0] = 0;
  for (size_t i = 0; i < NPRESETS && off < size; i++) {
    int n = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", presets[i].name);
    if (n < 0)
      break;
    off += (size_t)n;
  }
}

int pl_emu_scenario_find(const char *name, pl_emu_scenario *out, pl_emu_err *err) {
  for (size_t i = 0; name && i < NPRESETS; i++) {
    if (strcmp(name, presets[i].name) == 0) {
      *out = presets[i];
      return 0;
    }
  }
  char names[160];
  pl_emu_scenario_names(names, sizeof names);
  return fail(err, PL_ENOENT, "unknown network scenario '%.24s'; valid: %s",
              name ? name : "", names);
}

void pl_emu_scenario_free(pl_emu_scenario *s) {
  if (!s)
    return;
  for (int d = 0; d < 2; d++) {
    if (!s->trace[d] || (d == 1 && s->trace[1] == s->trace[0]))
      continue;
    pl_emu_trace_free(s->trace[d]);
    free(s->trace[d]);
  }
  s->trace[0] = s->trace[1] = NULL;
}

/* ---- flags ---- */

static bool num(const char *v, double lo, double hi, double *out) {
  char *end;
  if (!*v)
    return false;
  double x = strtod(v, &end);
  if (*end || !(x >= lo && x <= hi))
    return false;
  *out = x;
  return true;
}

static bool digits(const char *v) {
  size_t n = strspn(v, "0123456789");
  return n > 0 && n <= 19 && v[n] == 0;
}

/* Fraction 0..1, or a percentage with '%'. */
static bool fraction(const char *v, double *out) {
  size_t n = strlen(v);
  if (n && v[n - 1] == '%') {
    char tmp[32];
    if (n >= sizeof tmp)
      return false;
    memcpy(tmp, v, n - 1);
    tmp[n - 1] = 0;
    double pc;
    if (!num(tmp, 0, 100, &pc))
      return false;
    *out = pc / 100.0;
    return true;
  }
  return num(v, 0, 1, out);
}

/* Milliseconds (may be fractional) to microseconds. */
static bool msec(const char *v, pl_time_us *out) {
  double ms;
  if (!num(v, 0, 1e9, &ms))
    return false;
  *out = (pl_time_us)(ms * 1000.0 + 0.5);
  return true;
}

/* What each direction asked for, applied once all keys are read (burst
 * needs loss, whichever came first). */
typedef struct {
  bool has_loss, has_burst;
  double loss, burst;
} loss_req;

static int apply(pl_emu_scenario *s, pl_emu_config *c, int dir, loss_req *lr,
                 const char *key, const char *val, pl_emu_err *err) {
  double x;
  pl_time_us t;
  if (!strcmp(key, "loss")) {
    if (!fraction(val, &x))
      return fail(err, PL_EINVAL, "loss=%.32s: want a fraction 0..1 or a percent", val);
    lr->has_loss = true;
    lr->loss = x;
  } else if (!strcmp(key, "burst")) {
    if (!num(val, 1, 1e6, &x))
      return fail(err, PL_EINVAL, "burst=%.32s: want a mean burst length >= 1 packet", val);
    lr->has_burst = true;
    lr->burst = x;
  } else if (!strcmp(key, "ge")) {
    double v[4] = {0, 0, 0, 1};
    int n = 0;
    char tmp[96];
    if (strlen(val) >= sizeof tmp)
      return fail(err, PL_EINVAL, "ge=: value too long");
    strcpy(tmp, val);
    char *save = NULL;
    for (char *p = strtok_r(tmp, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
      if (n == 4 || !num(p, 0, 1, &v[n]))
        return fail(err, PL_EINVAL, "ge=%.40s: want P/R[/LOSS_GOOD/LOSS_BAD], each 0..1", val);
      n++;
    }
    if (n < 2)
      return fail(err, PL_EINVAL, "ge=%.40s: want P/R[/LOSS_GOOD/LOSS_BAD], each 0..1", val);
    c->loss_model = PL_EMU_LOSS_GE;
    c->ge_p = v[0];
    c->ge_r = v[1];
    c->ge_loss_good = v[2];
    c->ge_loss_bad = v[3];
    lr->has_loss = lr->has_burst = false;
  } else if (!strcmp(key, "delay")) {
    if (!msec(val, &c->delay))
      return fail(err, PL_EINVAL, "delay=%.32s: want milliseconds", val);
  } else if (!strcmp(key, "jitter")) {
    if (!msec(val, &c->jitter))
      return fail(err, PL_EINVAL, "jitter=%.32s: want milliseconds", val);
  } else if (!strcmp(key, "jitter_dist")) {
    if (!strcmp(val, "normal"))
      c->jitter_dist = PL_EMU_JITTER_NORMAL;
    else if (!strcmp(val, "uniform"))
      c->jitter_dist = PL_EMU_JITTER_UNIFORM;
    else
      return fail(err, PL_EINVAL, "jitter_dist=%.32s: want normal or uniform", val);
  } else if (!strcmp(key, "reorder")) {
    if (strcmp(val, "0") && strcmp(val, "1"))
      return fail(err, PL_EINVAL, "reorder=%.32s: want 0 or 1", val);
    c->reorder = val[0] == '1';
  } else if (!strcmp(key, "dup")) {
    if (!fraction(val, &c->duplicate))
      return fail(err, PL_EINVAL, "dup=%.32s: want a fraction 0..1 or a percent", val);
  } else if (!strcmp(key, "capacity")) {
    if (!num(val, 1, 1e9, &x))
      return fail(err, PL_EINVAL, "capacity=%.32s: want kbps > 0", val);
    c->capacity = (pl_emu_capacity){.kind = PL_EMU_CAP_CONSTANT,
                                    .bps = (uint64_t)(x * 1000 + 0.5)};
  } else if (!strcmp(key, "queue_ms")) {
    if (!msec(val, &t))
      return fail(err, PL_EINVAL, "queue_ms=%.32s: want milliseconds", val);
    c->queue_delay = t;
  } else if (!strcmp(key, "queue_bytes")) {
    if (!num(val, 0, 1e9, &x))
      return fail(err, PL_EINVAL, "queue_bytes=%.32s: want a byte count", val);
    c->queue_bytes = (size_t)x;
  } else if (!strcmp(key, "pool")) {
    if (!num(val, 1, 65536, &x))
      return fail(err, PL_EINVAL, "pool=%.32s: want 1..65536 packets", val);
    c->pool_packets = (size_t)x;
  } else if (!strcmp(key, "outage")) {
    const char *dash = strchr(val, '-');
    char a[32];
    pl_time_us start, end;
    if (!dash || (size_t)(dash - val) >= sizeof a)
      return fail(err, PL_EINVAL, "outage=%.32s: want START-END in ms", val);
    memcpy(a, val, (size_t)(dash - val));
    a[dash - val] = 0;
    if (!msec(a, &start) || !msec(dash + 1, &end) || end <= start)
      return fail(err, PL_EINVAL, "outage=%.32s: want START-END in ms, START < END", val);
    if (c->noutages == PL_EMU_MAX_OUTAGES)
      return fail(err, PL_EINVAL, "outage: at most %d windows", PL_EMU_MAX_OUTAGES);
    c->outages[c->noutages].start = start;
    c->outages[c->noutages].end = end;
    c->noutages++;
  } else if (!strcmp(key, "trace")) {
    pl_emu_trace *tr = calloc(1, sizeof *tr);
    if (!tr)
      return fail(err, PL_ENOMEM, "out of memory");
    int rc = pl_emu_trace_load(tr, val, err);
    if (rc) {
      free(tr);
      return rc;
    }
    if (s->trace[dir] && s->trace[dir] != s->trace[1 - dir]) {
      pl_emu_trace_free(s->trace[dir]);
      free(s->trace[dir]);
    }
    s->trace[dir] = tr;
    pl_emu_trace_capacity(tr, &c->capacity);
  } else {
    return fail(err, PL_ENOENT,
                "unknown network flag '%.32s'; valid: loss burst ge delay jitter "
                "jitter_dist reorder dup capacity queue_ms queue_bytes pool outage "
                "trace seed duration (fwd./rev. prefixes)", key);
  }
  return 0;
}

static int finish_loss(pl_emu_config *c, const loss_req *lr, pl_emu_err *err) {
  if (lr->has_burst && !lr->has_loss && c->loss_model != PL_EMU_LOSS_RANDOM)
    return fail(err, PL_EINVAL, "burst= needs loss= (the target loss rate)");
  double rate = lr->has_loss ? lr->loss : c->loss;
  if (lr->has_burst) {
    double p, r;
    if (pl_emu_ge_from_rate(rate, lr->burst, &p, &r))
      return fail(err, PL_EINVAL,
                  "loss=%g with burst=%g has no Gilbert model (need loss < 1 "
                  "and loss/(1-loss) <= burst)", rate, lr->burst);
    c->loss_model = PL_EMU_LOSS_GE;
    c->ge_p = p;
    c->ge_r = r;
    c->ge_loss_good = 0;
    c->ge_loss_bad = 1;
  } else if (lr->has_loss) {
    c->loss_model = rate > 0 ? PL_EMU_LOSS_RANDOM : PL_EMU_LOSS_NONE;
    c->loss = rate;
  }
  return 0;
}

#define SPEC_MAX 1024

int pl_emu_scenario_parse(pl_emu_scenario *out, const char *spec, pl_emu_err *err) {
  memset(out, 0, sizeof *out);
  if (!spec || !*spec)
    return fail(err, PL_EINVAL, "empty network spec");
  size_t n = strlen(spec);
  if (n >= SPEC_MAX)
    return fail(err, PL_EINVAL, "network spec longer than %d characters", SPEC_MAX - 1);
  char buf[SPEC_MAX];
  memcpy(buf, spec, n + 1);
  char *save = NULL;
  char *tok = strtok_r(buf, ",", &save);
  out->seed = 1;
  strcpy(out->name, "custom");
  if (tok && !strchr(tok, '=')) {
    int rc = pl_emu_scenario_find(tok, out, err);
    if (rc)
      return rc;
    tok = strtok_r(NULL, ",", &save);
  } else {
    out->summary = "custom flags";
  }
  loss_req lr[2] = {{0}, {0}};
  for (; tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) {
      pl_emu_scenario_free(out);
      return fail(err, PL_EINVAL, "'%.32s': want key=value (a scenario name "
                  "may come only first)", tok);
    }
    *eq = 0;
    const char *key = tok, *val = eq + 1;
    int dirs = 3; /* bit 0 fwd, bit 1 rev */
    if (!strncmp(key, "fwd.", 4)) {
      dirs = 1;
      key += 4;
    } else if (!strncmp(key, "rev.", 4)) {
      dirs = 2;
      key += 4;
    }
    int rc = 0;
    if (!strcmp(key, "seed") || !strcmp(key, "duration")) {
      double x;
      if (dirs != 3)
        rc = fail(err, PL_EINVAL, "%s= applies to both directions", key);
      else if (!strcmp(key, "seed") && digits(val))
        out->seed = strtoull(val, NULL, 10);
      else if (!strcmp(key, "duration") && num(val, 0, 1e7, &x))
        out->duration = (pl_time_us)(x * 1e6);
      else
        rc = fail(err, PL_EINVAL, "%s=%.32s: want a non-negative number", key, val);
    } else if (!strcmp(key, "trace") && dirs == 3) {
      rc = apply(out, &out->fwd, 0, &lr[0], key, val, err);
      if (!rc) { /* one trace shared by both directions */
        if (out->trace[1]) {
          pl_emu_trace_free(out->trace[1]);
          free(out->trace[1]);
        }
        out->trace[1] = out->trace[0];
        out->rev.capacity = out->fwd.capacity;
      }
    } else {
      for (int d = 0; d < 2 && !rc; d++)
        if (dirs & (1 << d))
          rc = apply(out, d ? &out->rev : &out->fwd, d, &lr[d], key, val, err);
    }
    if (rc) {
      pl_emu_scenario_free(out);
      return rc;
    }
  }
  for (int d = 0; d < 2; d++) {
    int rc = finish_loss(d ? &out->rev : &out->fwd, &lr[d], err);
    if (rc) {
      pl_emu_scenario_free(out);
      return rc;
    }
  }
  return 0;
}
