"""The noise-suppression quality table (docs/quality.md): held-out real
speech mixed with held-out noises (ai/data/build_eval.py) at 0, 5, 10 and
15 dB SNR, at 16 and 48 kHz. For every noisy file: `parley denoise` (the
model) and `parley denoise --speex` (the classical baseline), then `parley
metrics --json` of the clean reference against the noisy input and both
outputs; and every clean file through the model (output vs input).

    /usr/bin/python3 -m ai.train.denoise.evaluate --parley build/bin/parley \\
        [--data ai/data/out] [--model FILE] [--limit N] [--json OUT.json] [--md OUT.md]

Files whose STOI is undefined (under 384 ms of active speech) are left out
of every STOI mean, for all systems alike. Prints the Markdown table."""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SNRS = (0, 5, 10, 15)
RATES = (16000, 48000)
SYSTEMS = ("noisy", "speex", "model")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def metrics(parley, ref, deg):
    m = json.loads(run([parley, "metrics", "--json", ref, deg]))
    stoi = m.get("stoi")
    return {"si_sdr": m["si_sdr_db"], "stoi": stoi if stoi is not None else math.nan}


def one_noisy(parley, model, data, tmp, row):
    noisy = os.path.join(data, row["path"])
    clean = os.path.join(data, row["clean"])
    base = os.path.join(tmp, row["id"].replace("@", "_"))
    m_out, s_out = base + ".model.wav", base + ".speex.wav"
    run([parley, "denoise", "--quiet"] + (["--model", model] if model else []) + [noisy, m_out])
    run([parley, "denoise", "--quiet", "--speex", noisy, s_out])
    res = {"noisy": metrics(parley, clean, noisy), "model": metrics(parley, clean, m_out),
           "speex": metrics(parley, clean, s_out)}
    for p in (m_out, s_out):
        os.remove(p)
    return row, res


def one_clean(parley, model, data, tmp, row):
    src = os.path.join(data, row["path"])
    out = os.path.join(tmp, row["id"].replace("@", "_") + ".clean.wav")
    run([parley, "denoise", "--quiet"] + (["--model", model] if model else []) + [src, out])
    m = metrics(parley, src, out)
    os.remove(out)
    return row, m


def mean(v):
    v = [x for x in v if x is not None and math.isfinite(x)]
    return sum(v) / len(v) if v else math.nan


def evaluate(parley, data, model=None, limit=0, jobs=2, log=print):
    with open(os.path.join(data, "eval", "pairs.jsonl")) as f:
        pairs = [json.loads(l) for l in f if l.strip()]
    with open(os.path.join(data, "eval", "speech.jsonl")) as f:
        speech = [json.loads(l) for l in f if l.strip()]
    pairs = [p for p in pairs if p["sample_rate"] in RATES and int(round(p["snr_db"])) in SNRS]
    clean = [s for s in speech if s["sample_rate"] in RATES]
    if limit:
        keep = sorted({p["utt"] for p in pairs})[:limit]
        pairs = [p for p in pairs if p["utt"] in keep]
        clean = [s for s in clean if s["utt"] in keep]
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="dn-eval-") as tmp, ThreadPoolExecutor(jobs) as ex:
        noisy_res = list(ex.map(lambda r: one_noisy(parley, model, os.path.join(data), tmp, r), pairs))
        clean_res = list(ex.map(lambda r: one_clean(parley, model, data, tmp, r), clean))
    cells = {}
    for row, res in noisy_res:
        key = (row["sample_rate"], int(round(row["snr_db"])))
        c = cells.setdefault(key, {s: {"si_sdr": [], "stoi": []} for s in SYSTEMS})
        stoi_ok = all(math.isfinite(res[s]["stoi"]) for s in SYSTEMS)
        for s in SYSTEMS:
            c[s]["si_sdr"].append(res[s]["si_sdr"])
            if stoi_ok:
                c[s]["stoi"].append(res[s]["stoi"])
    table = {"cells": [], "clean": {}, "files": len(noisy_res), "seconds": round(time.time() - t0, 1),
             "per_file": [{"id": row["id"], "noise_type": row["noise_type"], "noise_id": row["noise_id"],
                           "snr": row["snr_db"], "rate": row["sample_rate"], **res}
                          for row, res in noisy_res],
             "per_clean": [{"id": row["id"], **m} for row, m in clean_res]}
    for (rate, snr), c in sorted(cells.items()):
        table["cells"].append({"rate": rate, "snr": snr, "n": len(c["noisy"]["si_sdr"]),
                               "n_stoi": len(c["noisy"]["stoi"]),
                               **{f"{s}_{k}": mean(c[s][k]) for s in SYSTEMS for k in ("si_sdr", "stoi")}})
    for rate in RATES:
        v = [m["si_sdr"] for row, m in clean_res if row["sample_rate"] == rate]
        table["clean"][rate] = {"n": len(v), "mean": mean(v), "min": min(v) if v else math.nan}
    return table


def markdown(t):
    lines = ["| rate | SNR in | files | SI-SDR noisy | Speex | model | STOI noisy | Speex | model |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in t["cells"]:
        lines.append(
            f"| {c['rate'] // 1000} kHz | {c['snr']} dB | {c['n']} ({c['n_stoi']}) | "
            f"{c['noisy_si_sdr']:.2f} | {c['speex_si_sdr']:.2f} ({c['speex_si_sdr'] - c['noisy_si_sdr']:+.2f}) | "
            f"**{c['model_si_sdr']:.2f}** ({c['model_si_sdr'] - c['noisy_si_sdr']:+.2f}) | "
            f"{c['noisy_stoi']:.3f} | {c['speex_stoi']:.3f} ({c['speex_stoi'] - c['noisy_stoi']:+.3f}) | "
            f"**{c['model_stoi']:.3f}** ({c['model_stoi'] - c['noisy_stoi']:+.3f}) |")
    lines.append("")
    lines.append("| clean speech through the model | files | SI-SDR out vs in: mean | worst |")
    lines.append("|---|---|---|---|")
    for rate, c in sorted(t["clean"].items()):
        lines.append(f"| {int(rate) // 1000} kHz | {c['n']} | {c['mean']:.1f} dB | {c['min']:.1f} dB |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parley", default=os.path.join(REPO, "build", "bin", "parley"))
    ap.add_argument("--data", default=os.environ.get("PARLEY_DATA")
                    or os.path.join(REPO, "ai", "data", "out"))
    ap.add_argument("--model", default=None, help="PLMD file (default: the built-in model)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N utterances")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--md", default=None)
    a = ap.parse_args(argv)
    if not os.path.exists(os.path.join(a.data, "eval", "pairs.jsonl")):
        sys.exit(f"no eval set under {a.data}: run ai/data/build_all.sh first")
    t = evaluate(a.parley, a.data, a.model, a.limit, a.jobs)
    md = markdown(t)
    print(md)
    print(f"\n{t['files']} noisy files, {t['seconds']:.0f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(t, f, indent=1)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md + "\n")


if __name__ == "__main__":
    main()
