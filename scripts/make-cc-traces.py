#!/usr/bin/env python3
"""Writes the capacity traces of scripts/cc-table.sh into tests/fixtures/traces/cc/.

Synthetic, made here (nothing captured), deterministic: rerunning this
reproduces the committed files byte for byte.
  issue14-step.txt   2.5 -> 0.6 -> 1.5 Mbit/s, 20 s each (issue 14's target trace)
  steps.txt          4 -> 0.3 -> 4 -> 1 Mbit/s, 15 s each
  ramp.txt           0.3 -> 3 Mbit/s in 1 s steps over 60 s
  lte.mahi           LTE-like: a log-normal random walk between 0.4 and 5 Mbit/s,
                     a new rate every 500 ms, as Mahimahi delivery opportunities
and, in dev/, the development traces GCC's own settings are chosen on
(scripts/cc-table.sh --dev), so that no choice is made on a trace of the
reported table:
  dev/step-a.txt     3 -> 0.8 -> 2 Mbit/s, 20 s each
  dev/step-b.txt     1.8 -> 0.45 -> 1.2 Mbit/s, 20 s each
  dev/step-c.txt     2 -> 1 -> 3 -> 0.5 Mbit/s, 15 s each
  dev/lte.mahi       as lte.mahi from another seed
"""
import math, os, random

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "traces", "cc")
os.makedirs(out, exist_ok=True)

def steps(name, pairs, note):
    os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
    with open(os.path.join(out, name), "w") as f:
        f.write("# %s (scripts/make-cc-traces.py)\n" % note)
        for t, kbps in pairs:
            f.write("%d %d\n" % (t, kbps))

steps("issue14-step.txt", [(0, 2500), (20000, 600), (40000, 1500)], "2.5/0.6/1.5 Mbit/s, 20 s each")
steps("steps.txt", [(0, 4000), (15000, 300), (30000, 4000), (45000, 1000)], "4/0.3/4/1 Mbit/s, 15 s each")
steps("ramp.txt", [(i * 1000, 300 + i * 45) for i in range(61)], "0.3 to 3 Mbit/s over 60 s")

steps("dev/step-a.txt", [(0, 3000), (20000, 800), (40000, 2000)], "dev: 3/0.8/2 Mbit/s, 20 s each")
steps("dev/step-b.txt", [(0, 1800), (20000, 450), (40000, 1200)], "dev: 1.8/0.45/1.2 Mbit/s, 20 s each")
steps("dev/step-c.txt", [(0, 2000), (15000, 1000), (30000, 3000), (45000, 500)],
      "dev: 2/1/3/0.5 Mbit/s, 15 s each")

def lte(name, seed):
    rng = random.Random(seed)
    rate = 2e6
    opps = []
    t = 0.0
    for seg in range(120):  # 60 s in 500 ms segments
        rate = min(5e6, max(4e5, rate * math.exp(rng.gauss(0, 0.35))))
        gap = 1500 * 8 / rate * 1000  # ms between 1500-byte opportunities
        end = (seg + 1) * 500.0
        while t < end:
            opps.append(int(t) + 1)
            t += gap
    with open(os.path.join(out, name), "w") as f:
        f.write("".join("%d\n" % o for o in opps))

lte("lte.mahi", 14)
lte("dev/lte.mahi", 15)
