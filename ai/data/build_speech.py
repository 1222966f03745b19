#!/usr/bin/python3
"""Builds the TRAINING speech corpus: generated and licence-text sentences
spoken by flite, festival and espeak-ng voice configurations, plus the real
speech of codec2-examples; 48 kHz mono WAV, trimmed, -26 dBov (P.56).

  /usr/bin/python3 ai/data/build_speech.py [--small] [--minutes 60] [--seed 1]
Writes <root>/speech/{wav/...,manifest.jsonl}; see docs/data.md.
"""
import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import dedup  # noqa: E402
import sentences  # noqa: E402
import sources as S  # noqa: E402

SEG_MAX_S = 8.0   # real recordings are cut into pieces no longer than this
SEG_MIN_S = 1.0
SMALL_REAL = ("raw/big_dog.raw", "raw/speech_orig_16k.wav")  # 8 and 16 kHz
ENGINE_WEIGHTS = [("espeak-ng", 0.45), ("flite", 0.35), ("festival", 0.20)]
FLITE_F0 = {"kal": 100.0, "kal16": 100.0, "awb": 110.0, "rms": 105.0, "slt": 170.0}
FLITE_RATE = {"kal": 8000, "kal16": 16000, "awb": 16000, "rms": 16000, "slt": 16000}
FESTIVAL_RATE = {"kal_diphone": 16000, "ked_diphone": 16000, "cmu_us_slt_arctic_hts": 32000}


def tts_spec(seed, i, lic, engine=None):
    """Everything about utterance i, drawn from its own stream; `engine`
    forces the engine (--small cycles through all three)."""
    rng = C.rng_for(seed, "tts", i)
    r = rng.random()
    acc = 0.0
    for e, w in ENGINE_WEIGHTS:
        acc += w
        if r < acc:
            break
    engine = engine or e
    spec = {"i": i, "engine": engine}
    if engine == "espeak-ng":
        voice = S.ESPEAK_VOICES[int(rng.integers(len(S.ESPEAK_VOICES)))]
        var = S.ESPEAK_VARIANTS[int(rng.integers(len(S.ESPEAK_VARIANTS)))]
        spec.update(voice=voice + ("+" + var if var else ""),
                    rate_wpm=int(rng.integers(130, 211)), pitch=int(rng.integers(25, 76)),
                    native_rate=22050, package="espeak-ng")
    elif engine == "flite":
        voice = S.FLITE_VOICES[int(rng.integers(len(S.FLITE_VOICES)))]
        spec.update(voice=voice, stretch=round(float(rng.uniform(0.8, 1.25)), 3),
                    f0=round(FLITE_F0[voice] * float(rng.uniform(0.85, 1.2)), 1),
                    native_rate=FLITE_RATE[voice], package="flite")
    else:
        voice = sorted(S.FESTIVAL_VOICES)[int(rng.integers(len(S.FESTIVAL_VOICES)))]
        spec.update(voice=voice, stretch=round(float(rng.uniform(0.85, 1.2)), 3),
                    native_rate=FESTIVAL_RATE[voice], package=S.FESTIVAL_VOICES[voice])
    if lic and rng.random() < 0.35:
        spec["text"] = lic[int(rng.integers(len(lic)))]
        spec["text_source"] = "common-licenses"
    else:
        k = 1 if rng.random() < 0.6 else 2
        spec["text"] = " ".join(sentences.generated_sentence(rng) for _ in range(k))
        spec["text_source"] = "generated"
    return spec


def synth(spec, tmp):
    """Runs the engine; returns the path of its native-rate WAV."""
    path = os.path.join(tmp, "u%06d.wav" % spec["i"])
    e, text = spec["engine"], spec["text"]
    if e == "espeak-ng":
        cmd = ["espeak-ng", "-v", spec["voice"], "-s", str(spec["rate_wpm"]),
               "-p", str(spec["pitch"]), "-w", path, text]
        inp = None
    elif e == "flite":
        cmd = ["flite", "-voice", spec["voice"], "--setf",
               "duration_stretch=%g" % spec["stretch"], "--setf",
               "int_f0_target_mean=%g" % spec["f0"], "-t", text, "-o", path]
        inp = None
    else:
        cmd = ["text2wave", "-eval", "(voice_%s)" % spec["voice"], "-eval",
               "(Parameter.set 'Duration_Stretch %g)" % spec["stretch"], "-o", path]
        inp = text.encode()
    r = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0 or not os.path.exists(path):
        raise RuntimeError("%s failed: %s" % (e, r.stderr.decode()[-300:]))
    return path


def finish(x, root, rel, fmt, row):
    """Trim, normalise, write, fill in the measured fields."""
    x = C.trim_silence(x, C.RATE)
    if len(x) < int(0.3 * C.RATE):
        return None
    y, lvl = C.normalise(x, C.RATE)
    if not np.isfinite(lvl):
        return None
    _, act = C.active_level(y, C.RATE)
    path = os.path.join(root, rel)
    C.write_wav(path, y, C.RATE, fmt)
    row.update(path=rel, duration_s=round(len(y) / C.RATE, 6), sample_rate=C.RATE,
               level_dbov=round(lvl, 2), activity=round(act, 3), split="train",
               sha256=C.sha256_file(path))
    return row


def do_tts(job):
    spec, root, tmp, fmt = job
    wav = synth(spec, tmp)
    try:
        x = C.decode(wav, C.RATE)
    finally:
        os.unlink(wav)
    row = {"id": "tts-%06d" % spec["i"], "source": "tts", "engine": spec["engine"],
           "speaker": "%s:%s" % (spec["engine"], spec["voice"]), "package": spec["package"],
           "text": spec["text"], "text_source": spec["text_source"],
           "native_rate": spec["native_rate"], "band_limit_hz": spec["native_rate"] // 2,
           "condition": "clean"}
    for k in ("rate_wpm", "pitch", "stretch", "f0"):
        if k in spec:
            row[k] = spec[k]
    return finish(x, root, "speech/wav/tts/%s.wav" % row["id"], fmt, row)


def cut_points(x, rate):
    """Splits at the quietest 20 ms between SEG_MAX_S/2 and SEG_MAX_S."""
    f = int(0.02 * rate)
    cuts, a = [0], 0
    while len(x) - a > SEG_MAX_S * rate:
        lo, hi = a + int(SEG_MAX_S / 2 * rate), a + int(SEG_MAX_S * rate)
        nf = (hi - lo) // f
        e = np.mean(x[lo:lo + nf * f].reshape(nf, f) ** 2, axis=1)
        a = lo + int(np.argmin(e)) * f + f // 2
        cuts.append(a)
    cuts.append(len(x))
    return cuts


def do_real(job):
    (rel_src, fmt_in, rate_in, cond), root, _, fmt = job
    src = os.path.join(S.CODEC2, rel_src)
    x = C.decode(src, C.RATE, fmt=fmt_in, in_rate=rate_in if fmt_in else None)
    name = os.path.splitext(os.path.basename(rel_src))[0]
    cuts = cut_points(x, C.RATE)
    rows = []
    for k in range(len(cuts) - 1):
        seg = x[cuts[k]:cuts[k + 1]]
        if len(seg) < SEG_MIN_S * C.RATE:
            continue
        rid = "real-codec2-%s-%02d" % (name, k)
        row = {"id": rid, "source": "real", "package": "codec2-examples",
               "speaker": "codec2:%s" % name, "source_file": src,
               "offset_s": round(cuts[k] / C.RATE, 6), "native_rate": rate_in,
               "band_limit_hz": rate_in // 2, "condition": cond}
        r = finish(seg, root, "speech/wav/real/%s.wav" % rid, fmt, row)
        if r is not None and r["activity"] >= 0.3:
            rows.append(r)
        elif r is not None:
            os.unlink(os.path.join(root, r["path"]))
    return rows


def build(root, seed, minutes, small, jobs, fmt):
    C.need_tools("ffmpeg", "flite", "espeak-ng", "text2wave")
    for p, _, _, _ in S.CODEC2_SPEECH:
        if not os.path.exists(os.path.join(S.CODEC2, p)):
            sys.exit("missing %s (codec2-examples; run ai/data/install.sh)" % p)
    for f in ("speech/wav", "speech/.tmp"):
        shutil.rmtree(os.path.join(root, f), ignore_errors=True)
    tmp = os.path.join(root, "speech/.tmp")
    os.makedirs(tmp)
    real_src = ([s for s in S.CODEC2_SPEECH if s[0] in SMALL_REAL] if small
                else S.CODEC2_SPEECH)
    # A recording that is also on the eval side (by content) stays there.
    recs = [dedup.rec_for(os.path.join(S.CODEC2, s[0]), "train") for s in real_src]
    drops = dedup.train_drops(root, recs)
    real_src = [s for s in real_src if os.path.join(S.CODEC2, s[0]) not in drops]
    C.write_manifest(os.path.join(root, "speech/dropped.jsonl"), dedup.drop_rows(drops, recs))
    target = (0.5 if small else minutes) * 60.0
    lic = sentences.licence_sentences()
    rows = []
    with mp.get_context("fork").Pool(jobs) as pool:
        for rr in pool.imap(do_real, [(s, root, tmp, fmt) for s in real_src]):
            rows += rr
        total = sum(r["duration_s"] for r in rows)
        i, batch = 0, 8 if small else 64
        while total < target:
            specs = [tts_spec(seed, j, lic, ENGINE_WEIGHTS[j % 3][0] if small else None)
                     for j in range(i, i + batch)]
            i += batch
            for r in pool.imap(do_tts, [(s, root, tmp, fmt) for s in specs]):
                if r is None:
                    continue
                if total >= target:  # overshoot of the last batch: drop, in order
                    os.unlink(os.path.join(root, r["path"]))
                    continue
                rows.append(r)
                total += r["duration_s"]
    shutil.rmtree(tmp)
    C.write_manifest(os.path.join(root, "speech/manifest.jsonl"), rows)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="corpus root (default $PARLEY_DATA or ai/data/out)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=60.0, help="total speech")
    ap.add_argument("--small", action="store_true", help="~30 s, for tests")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--format", choices=["pcm16", "float"], default="pcm16")
    a = ap.parse_args()
    root = C.out_root(a.out)
    rows = build(root, a.seed, a.minutes, a.small, a.jobs, a.format)
    spk = len({r["speaker"] + str(r.get("rate_wpm", r.get("stretch"))) for r in rows})
    C.log("speech: %d utterances, %.1f min, %d voice configurations -> %s/speech"
          % (len(rows), sum(r["duration_s"] for r in rows) / 60, spk, root))


if __name__ == "__main__":
    main()
