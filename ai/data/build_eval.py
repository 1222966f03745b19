#!/usr/bin/python3
"""Builds the EVALUATION sets from corpora no training step reads: real human
speech (alsa-utils prompts, Allison Smith's Asterisk prompts, pocketsphinx
test utterances and LibriVox excerpts) and held-out noise (pingus, lbreakout2
and freedesktop effects; synthetic alarms and human babble). Produces clean
speech at 48/16/8 kHz and noisy speech at 0/5/10/15 dB SNR at 48 and 16 kHz,
then asserts that nothing here overlaps the training corpora (by package, by
file, and by audio content).

  /usr/bin/python3 ai/data/build_eval.py [--small] [--asterisk 60] [--seed 1]
Writes <root>/eval/{speech,noise,pairs}.jsonl and the WAVs they list.
"""
import argparse
import glob
import hashlib
import multiprocessing as mp
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment as A  # noqa: E402
import build_noise as BN  # noqa: E402
import build_speech as BS  # noqa: E402
import common as C  # noqa: E402
import dedup  # noqa: E402
import sources as S  # noqa: E402

SNRS = (0, 5, 10, 15)
RATES = (48000, 16000)
NARROW = 8000
BABBLE_TALKERS = 40  # leftover Asterisk prompts decoded for human babble


def asterisk_prompts(min_s=S.ASTERISK_MIN_S):
    """Top-level phrase prompts, sorted, with their duration (G.722 at 64
    kbit/s is 8000 bytes a second)."""
    out = []
    for p in sorted(glob.glob(os.path.join(S.ASTERISK, "*.g722"))):
        d = os.path.getsize(p) / 8000.0
        if d >= min_s:
            out.append((os.path.basename(p), d))
    return out


def speech_sources(seed, n_asterisk, small):
    """[(id, package, path, ffmpeg fmt, in_rate)] of every clean utterance, and
    the Asterisk prompts left over for human babble."""
    srcs = [("alsa-%s" % n, "alsa-utils", os.path.join(S.ALSA, n + ".wav"), None, None)
            for n in S.ALSA_SPEECH]
    srcs += [("sphinx-%s" % os.path.splitext(p)[0].replace("/", "-").replace("_64kb", ""),
              "pocketsphinx-testdata", os.path.join(S.SPHINX, p), fmt, 16000 if fmt else None)
             for p, fmt in S.SPHINX_SPEECH]
    prompts = asterisk_prompts()
    rng = C.rng_for(seed, "asterisk-pick")
    order = rng.permutation(len(prompts))
    n_asterisk = min(n_asterisk, len(prompts))
    chosen = sorted(prompts[i][0] for i in order[:n_asterisk])
    rest = sorted(prompts[i][0] for i in order[n_asterisk:])
    srcs += [("asterisk-%s" % os.path.splitext(n)[0], "asterisk-core-sounds-en-g722",
              os.path.join(S.ASTERISK, n), "g722", None) for n in chosen]
    if small:
        srcs = srcs[:2] + [s for s in srcs if s[1] == "pocketsphinx-testdata"][:1] + \
            [s for s in srcs if s[1] == "asterisk-core-sounds-en-g722"][:2]
        rest = rest[:6]
    return srcs, rest


def noise_sources(small):
    out = [("pingus-" + n, "pingus-data", os.path.join(S.PINGUS, n + ".wav"), "GPL-2+")
           for n in S.PINGUS_NOISE]
    out += [("lbreakout2-" + n, "lbreakout2-data", os.path.join(S.LBREAKOUT, n + ".wav"), "GPL")
            for n in S.LBREAKOUT_NOISE]
    out += [("freedesktop-" + n, "sound-theme-freedesktop", os.path.join(S.FREEDESKTOP, n + ".oga"),
             "GPL-2+/CC-BY-3.0/CC-BY-SA-3.0") for n in S.FREEDESKTOP_NOISE]
    if small:
        out = out[:2] + [o for o in out if o[1] == "sound-theme-freedesktop"][:1]
    return out


def do_clean(job):
    (sid, pkg, path, fmt, in_rate), root = job
    x = C.decode(path, C.RATE, fmt=fmt, in_rate=in_rate)
    x = C.trim_silence(x, C.RATE)
    rows = []
    cuts = BS.cut_points(x, C.RATE)
    for k in range(len(cuts) - 1):
        seg = x[cuts[k]:cuts[k + 1]]
        if len(seg) < 0.5 * C.RATE:
            continue
        y, lvl = C.normalise(seg, C.RATE)
        uid = sid if len(cuts) == 2 else "%s-%02d" % (sid, k)
        sigs = {48000: y, 16000: C.resample(y, C.RATE, 16000), NARROW: C.resample(y, C.RATE, NARROW)}
        for rate, s in sigs.items():
            rel = "eval/%dk/clean/%s.wav" % (rate // 1000, uid)
            C.write_wav(os.path.join(root, rel), s, rate)
            rows.append({"id": "%s@%dk" % (uid, rate // 1000), "utt": uid, "path": rel,
                         "split": "eval", "source": "real", "kind": "clean",
                         "package": pkg, "source_file": path, "sample_rate": rate,
                         "duration_s": round(len(s) / rate, 6),
                         "band_limit_hz": 4000 if rate == NARROW else None,
                         "level_dbov": round(C.active_level(s, rate)[0], 2),
                         "sha256": C.sha256_file(os.path.join(root, rel))})
    return rows


def do_noise(job):
    (nid, pkg, path, lic), root = job
    x = C.decode(path, C.RATE)
    x = C.trim_silence(x, C.RATE, floor_db=-60.0, keep_s=0.02)
    if len(x) < int(0.05 * C.RATE) or not np.any(x):
        return None
    rel = "eval/noise/rec-%s.wav" % nid
    C.write_wav(os.path.join(root, rel), BN.level(x), C.RATE)
    return {"id": "rec-" + nid, "path": rel, "split": "eval", "source": "recorded",
            "type": "recorded", "package": pkg, "source_file": path, "licence": lic,
            "duration_s": round(len(x) / C.RATE, 6), "sample_rate": C.RATE,
            "sha256": C.sha256_file(os.path.join(root, rel))}


def do_pair(job):
    """One clean utterance at one SNR, at every rate: the noise stretch is
    the same recording cut at the same place, scaled per rate so each file
    has the exact SNR (high-passed content differs between rates)."""
    uid, snr, noise_row, seed, root = job
    rng = C.rng_for(seed, "pair", uid, snr)
    noise48 = C.read_wav(os.path.join(root, noise_row["path"]))[0]
    clean48 = C.read_wav(os.path.join(root, "eval/48k/clean/%s.wav" % uid))[0]
    seg48 = A.fit_noise(rng, noise48, len(clean48))
    rows = []
    for rate in RATES:
        clean = clean48 if rate == C.RATE else C.read_wav(
            os.path.join(root, "eval/%dk/clean/%s.wav" % (rate // 1000, uid)))[0]
        seg = seg48 if rate == C.RATE else C.resample(seg48, C.RATE, rate)
        seg = A.fit_noise(np.random.default_rng(0), seg, len(clean)) if len(seg) < len(clean) \
            else seg[:len(clean)]
        mix, _ = A.mix_at_snr(clean, seg, snr, rate)
        pk = float(np.max(np.abs(mix)))
        g = 0.99 / pk if pk > 0.99 else 1.0  # keep 16-bit files unclipped
        rel = "eval/%dk/noisy/snr%02d/%s.wav" % (rate // 1000, snr, uid)
        C.write_wav(os.path.join(root, rel), mix * g, rate)
        rows.append({"id": "%s@%dk@snr%02d" % (uid, rate // 1000, snr), "utt": uid,
                     "path": rel, "clean": "eval/%dk/clean/%s.wav" % (rate // 1000, uid),
                     "split": "eval", "source": "mix", "kind": "noisy", "snr_db": float(snr),
                     "noise_id": noise_row["id"], "noise_type": noise_row["type"],
                     "package": noise_row["package"], "noisy_gain_db": round(20 * np.log10(g), 6),
                     "sample_rate": rate, "duration_s": round(len(mix) / rate, 6),
                     "sha256": C.sha256_file(os.path.join(root, rel))})
    return rows


# --------------------------------------------------------- disjointness

def train_fingerprints(root):
    """(byte hashes, recordings, packages, files) of every recording the
    training corpora in `root` used (if none is built: every registry
    recording less those dedup drops, as a build would)."""
    files, pkgs = set(), set()
    for m in ("speech/manifest.jsonl", "noise/manifest.jsonl"):
        p = os.path.join(root, m)
        if os.path.exists(p):
            for r in C.read_manifest(p):
                pkgs.add(r["package"])
                if "source_file" in r:
                    files.add(r["source_file"])
    if files:
        recs = [dedup.rec_for(f, "train") for f in sorted(files)]
    else:
        recs = dedup.train_recordings(True)
        drops = dedup.train_drops(root, recs)
        recs = [r for r in recs if r["source_file"] not in drops]
        files = {r["source_file"] for r in recs}
    byte_h = set()
    for r in recs:
        byte_h.add(hashlib.sha256(r["bytes"]).hexdigest() if r.get("bytes") is not None
                   else C.sha256_file(r["path"]))
    return byte_h, recs, pkgs, files


def assert_disjoint(root, speech_rows, noise_rows):
    """Raises AssertionError if any eval recording is also a training one:
    by package, by file, by bytes, and by decoded audio (exact PCM hash or a
    near-duplicate envelope, dedup.py), so a re-encoded, resampled or
    re-levelled copy under another name is caught too."""
    S.check_disjoint()
    t_bytes, t_recs, t_pkgs, t_files = train_fingerprints(root)
    e_pkgs = {r["package"] for r in speech_rows + noise_rows if r["source"] != "synthetic"}
    assert not (t_pkgs & e_pkgs), "packages on both sides: %s" % (t_pkgs & e_pkgs)
    e_files = {r["source_file"] for r in speech_rows + noise_rows if "source_file" in r}
    assert not (t_files & e_files), "files on both sides: %s" % (t_files & e_files)
    for f in sorted(e_files):
        assert C.sha256_file(f) not in t_bytes, "eval file %s is byte-identical to a train file" % f
    e_recs = [dedup.rec_for(f, "eval") for f in sorted(e_files)]
    dups = dedup.find_duplicates(dedup.Cache(root), t_recs, e_recs)
    assert not dups, "eval file %s has training audio (%s, %s)" % (
        dups[0][1]["source_file"], dups[0][0]["source_file"], dups[0][2])
    e_types = {r["type"] for r in noise_rows if r["source"] == "synthetic"}
    assert not (e_types & set(S.TRAIN_NOISE_TYPES)), "synthetic type used in training"
    return {"train_packages": sorted(t_pkgs), "eval_packages": sorted(e_pkgs),
            "train_files": len(t_files), "eval_files": len(e_files)}


def build(root, seed, n_asterisk, small, jobs, minutes_synth):
    C.need_tools("ffmpeg")
    srcs, babble_src = speech_sources(seed, n_asterisk, small)
    nsrcs = noise_sources(small)
    for s in srcs:
        if not os.path.exists(s[2]):
            sys.exit("missing %s (%s; run ai/data/install.sh)" % (s[2], s[1]))
    for s in nsrcs:
        if not os.path.exists(s[2]):
            sys.exit("missing %s (%s; run ai/data/install.sh)" % (s[2], s[1]))
    shutil.rmtree(os.path.join(root, "eval"), ignore_errors=True)
    os.makedirs(os.path.join(root, "eval/noise"))
    # Human babble: Asterisk prompts that are NOT in the clean set.
    BN.SHARED["eval_human"] = [(n, C.decode(os.path.join(S.ASTERISK, n), C.RATE, fmt="g722"))
                               for n in babble_src[:BABBLE_TALKERS]]
    dur = 3.0 if small else BN.CLIP_S
    per_type = 1 if small else max(1, int(round(minutes_synth * 60 / len(S.EVAL_NOISE_TYPES) / dur)))
    syn = [(kind, k, seed, dur, root, "pcm16", "eval",
            "eval_human" if kind == "babble_human" else None, "eval")
           for kind in S.EVAL_NOISE_TYPES for k in range(per_type)]
    with mp.get_context("fork").Pool(jobs) as pool:
        speech = [r for rr in pool.imap(do_clean, [(s, root) for s in srcs]) for r in rr]
        noise = [r for r in pool.imap(do_noise, [(s, root) for s in nsrcs]) if r is not None]
        noise += list(pool.imap(BN.do_synth, syn))
        for r in noise:
            if r["type"] == "babble_human":
                r["package"] = "asterisk-core-sounds-en-g722"
        utts = sorted({r["utt"] for r in speech})
        pjobs = []
        for uid in utts:
            for snr in SNRS:
                pick = C.rng_for(seed, "noise-pick", uid, snr).integers(len(noise))
                pjobs.append((uid, snr, noise[int(pick)], seed, root))
        pairs = [r for rr in pool.imap(do_pair, pjobs) for r in rr]
    C.write_manifest(os.path.join(root, "eval/speech.jsonl"), speech)
    C.write_manifest(os.path.join(root, "eval/noise.jsonl"), noise)
    C.write_manifest(os.path.join(root, "eval/pairs.jsonl"), pairs)
    report = assert_disjoint(root, speech, noise)
    return speech, noise, pairs, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--asterisk", type=int, default=60, help="Asterisk prompts in the clean set")
    ap.add_argument("--synth-minutes", type=float, default=2.0, help="held-out synthetic noise")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    root = C.out_root(a.out)
    speech, noise, pairs, rep = build(root, a.seed, a.asterisk, a.small, a.jobs, a.synth_minutes)
    n_utt = len({r["utt"] for r in speech})
    C.log("eval: %d utterances (%.1f min at 48k), %d noises, %d noisy files; disjoint from "
          "training (%d train / %d eval source files) -> %s/eval" % (
              n_utt, sum(r["duration_s"] for r in speech if r["sample_rate"] == C.RATE) / 60,
              len(noise), len(pairs), rep["train_files"], rep["eval_files"], root))


if __name__ == "__main__":
    main()
