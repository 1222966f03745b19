"""Content deduplication across the train/eval wall: the same recording can
ship in two Debian packages under other names and containers (freedesktop's
message-new-instant.oga is byte for byte oxygen-sounds' Oxygen-Im-Message-In.ogg),
so packages and file names alone do not keep the held-out set held out.

Two fingerprints per recording, from its audio decoded to 16 kHz mono:
  exact  SHA-256 of the 16-bit PCM (same audio in any container or name);
  near   a coarse envelope: log energy in 8 bands of 125-3800 Hz per 10 ms,
         relative to the loudest frame, after trimming what is 40 dB below it
         (so a gain change, a re-encode, a resample to >= 8 kHz or a different
         silence padding give nearly the same matrix).
Two recordings of similar duration are near-duplicates when their envelopes,
at the best of +-3 frames of offset, differ by less than NEAR_DB on average
with levels below -45 dB read as -45 dB (docs/data.md shows the distances
behind that number).

Policy: a recording on both sides stays on the eval side (so the held-out set
does not change) and is dropped from training, with the reason written next
to the training manifest. Fingerprints are cached in <root>/dedup/ by the
SHA-256 of the file's bytes ($PARLEY_DEDUP_CACHE overrides the directory).
"""
import base64
import glob
import hashlib
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import sources as S  # noqa: E402

RATE = 16000
HOP = 160            # 10 ms
NFFT = 512
BANDS_HZ = np.geomspace(125.0, 3800.0, 9)   # 8 bands, all below 8 kHz sampling's Nyquist
TRIM_DB = -40.0
FLOOR_DB = -60.0
CMP_FLOOR_DB = -45.0  # compare above this: codec noise and dither live below it
MAX_SHIFT = 5
MIN_FRAMES = 5       # 50 ms; shorter clips are compared by the exact hash only
NEAR_DB = 5.0
DUR_TOL = 0.12       # durations within 12 % (or 3 frames) are compared
VERSION = 3


def envelope(x):
    """int8 matrix [frames, 8] of band levels in dB relative to the loudest
    frame, floored at -60; trimmed of leading/trailing frames 40 dB down."""
    # Zeros on both sides, so a sound that starts at the first sample gets
    # the same onset frames as one that starts after some silence.
    x = np.concatenate([np.zeros(NFFT), np.asarray(x, dtype=np.float64), np.zeros(NFFT)])
    n = 1 + (len(x) - NFFT) // HOP
    idx = np.arange(NFFT)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(NFFT), axis=1)) ** 2
    f = np.fft.rfftfreq(NFFT, 1.0 / RATE)
    band = np.stack([spec[:, (f >= lo) & (f < hi)].sum(axis=1)
                     for lo, hi in zip(BANDS_HZ[:-1], BANDS_HZ[1:])], axis=1)
    tot = 10 * np.log10(band.sum(axis=1) + 1e-20)
    keep = np.nonzero(tot >= tot.max() + TRIM_DB)[0]
    band = band[keep[0]:keep[-1] + 1] if len(keep) else band[:0]
    db = 10 * np.log10(band + 1e-20) - tot.max()
    return np.clip(np.round(db), FLOOR_DB, 0).astype(np.int8)


def distance(a, b):
    """Mean absolute band-level difference (dB) at the best offset, over the
    frames where either envelope is active; inf when not comparable."""
    la, lb = len(a), len(b)
    if min(la, lb) < MIN_FRAMES or abs(la - lb) > max(MAX_SHIFT, DUR_TOL * max(la, lb)):
        return float("inf")
    a = np.maximum(a.astype(np.float64), CMP_FLOOR_DB)
    b = np.maximum(b.astype(np.float64), CMP_FLOOR_DB)
    best = float("inf")
    for s in range(-MAX_SHIFT, MAX_SHIFT + 1):
        a0, b0 = max(0, s), max(0, -s)
        n = min(la - a0, lb - b0)
        if n < MIN_FRAMES:
            continue
        # Frames beyond the overlap count as fully different (the floor's
        # depth), so a clip that is a short part of a longer one is not a
        # near-duplicate of it.
        miss = max(la, lb) - n
        d = (np.abs(a[a0:a0 + n] - b[b0:b0 + n]).mean() * n - miss * CMP_FLOOR_DB) / (n + miss)
        best = min(best, d)
    return best


def fingerprint_audio(x):
    return {"pcm": hashlib.sha256(C.to_pcm16(x).tobytes()).hexdigest(),
            "env": base64.b64encode(envelope(x).tobytes()).decode(), "v": VERSION}


def env_of(fp):
    return np.frombuffer(base64.b64decode(fp["env"]), dtype=np.int8).reshape(-1, 8)


def _decode(rec):
    if rec.get("bytes") is not None:
        fd, p = tempfile.mkstemp(suffix=".wav")
        with os.fdopen(fd, "wb") as f:
            f.write(rec["bytes"])
        try:
            return C.decode(p, RATE)
        finally:
            os.unlink(p)
    return C.decode(rec["path"], RATE, fmt=rec.get("fmt"), in_rate=rec.get("in_rate"))


def _key(rec):
    data = rec["bytes"] if rec.get("bytes") is not None else open(rec["path"], "rb").read()
    return "%s|%s|%s" % (hashlib.sha256(data).hexdigest(), rec.get("fmt"), rec.get("in_rate"))


class Cache:
    def __init__(self, root):
        d = os.environ.get("PARLEY_DEDUP_CACHE") or os.path.join(root, "dedup")
        os.makedirs(d, exist_ok=True)
        self.path = os.path.join(d, "fingerprints.json")
        self.fp = {}
        if os.path.exists(self.path):
            try:
                self.fp = {k: v for k, v in json.load(open(self.path)).items()
                           if v.get("v") == VERSION}
            except ValueError:
                self.fp = {}
        self.dirty = False

    def get(self, rec):
        k = _key(rec)
        if k not in self.fp:
            self.fp[k] = fingerprint_audio(_decode(rec))
            self.dirty = True
        return self.fp[k]

    def save(self):
        if self.dirty:
            tmp = self.path + ".tmp%d" % os.getpid()
            with open(tmp, "w") as f:
                json.dump(self.fp, f, sort_keys=True)
            os.replace(tmp, self.path)
            self.dirty = False


# ------------------------------------------------------------ recordings

def train_recordings(extra_fx=True):
    """Every recorded training source: {side, package, source_file, path,
    fmt, in_rate, bytes}. OpenSFX entries are separate recordings."""
    import build_noise as BN
    out = [{"side": "train", "package": "codec2-examples", "source_file": os.path.join(S.CODEC2, p),
            "path": os.path.join(S.CODEC2, p), "fmt": f, "in_rate": r if f else None}
           for p, f, r, _ in S.CODEC2_SPEECH]
    for i, _, wav in BN.opensfx_entries(S.OPENSFX_CAT):
        if i not in S.OPENSFX_EXCLUDED:
            out.append({"side": "train", "package": "openttd-opensfx",
                        "source_file": "%s#%d" % (S.OPENSFX_CAT, i), "bytes": wav})
    out += [{"side": "train", "package": "tuxpaint-data", "source_file": p, "path": p}
            for p in (os.path.join(S.TUXPAINT, n + ".wav") for n in S.TUXPAINT_NOISE)]
    if extra_fx:
        out += [{"side": "train", "package": pkg, "source_file": p, "path": p}
                for pkg, _, p in S.fx_files()]
    return out


def eval_recordings():
    """Every recorded eval source, the whole Asterisk prompt set included
    (clean utterances and human babble both come from it)."""
    out = [{"side": "eval", "package": "alsa-utils", "source_file": p, "path": p}
           for p in (os.path.join(S.ALSA, n + ".wav") for n in S.ALSA_SPEECH)]
    for p in sorted(glob.glob(os.path.join(S.ASTERISK, "*.g722"))):
        if os.path.getsize(p) / 8000.0 >= S.ASTERISK_MIN_S:
            out.append({"side": "eval", "package": "asterisk-core-sounds-en-g722",
                        "source_file": p, "path": p, "fmt": "g722"})
    for p, f in S.SPHINX_SPEECH:
        q = os.path.join(S.SPHINX, p)
        out.append({"side": "eval", "package": "pocketsphinx-testdata", "source_file": q,
                    "path": q, "fmt": f, "in_rate": 16000 if f else None})
    for pkg, d, names, ext in (("pingus-data", S.PINGUS, S.PINGUS_NOISE, ".wav"),
                               ("lbreakout2-data", S.LBREAKOUT, S.LBREAKOUT_NOISE, ".wav"),
                               ("sound-theme-freedesktop", S.FREEDESKTOP, S.FREEDESKTOP_NOISE,
                                ".oga")):
        out += [{"side": "eval", "package": pkg, "source_file": os.path.join(d, n + ext),
                 "path": os.path.join(d, n + ext)} for n in names]
    return out


def rec_for(source_file, side):
    """A recording dict for a manifest's source_file (decode format from the
    registry: codec2 raw, pocketsphinx raw, Asterisk G.722, OpenSFX entry)."""
    rec = {"side": side, "package": "?", "source_file": source_file, "path": source_file}
    if "#" in source_file:
        import build_noise as BN
        cat, i = source_file.rsplit("#", 1)
        rec["bytes"] = {k: w for k, _, w in BN.opensfx_entries(cat)}[int(i)]
        rec.pop("path")
        return rec
    r = _registry().get(source_file)
    return dict(r, side=side) if r else rec


_REG = {}


def _registry():
    if not _REG:
        _REG.update({r["source_file"]: r for r in train_recordings(False) + eval_recordings()
                     if "#" not in r["source_file"]})
    return _REG


def find_duplicates(cache, train, evals):
    """[(train_rec, eval_rec, kind, distance)] for every cross-side pair that
    is the same audio (kind 'exact') or a near-duplicate ('near')."""
    tf = [(r, cache.get(r)) for r in train]
    ef = [(r, cache.get(r)) for r in evals]
    cache.save()
    by_pcm = {}
    for r, fp in ef:
        by_pcm.setdefault(fp["pcm"], []).append(r)
    env_e = [(r, env_of(fp)) for r, fp in ef]
    out = []
    for r, fp in tf:
        hits = [(e, "exact", 0.0) for e in by_pcm.get(fp["pcm"], [])]
        if not hits:
            ea = env_of(fp)
            for e, eb in env_e:
                d = distance(ea, eb)
                if d < NEAR_DB:
                    hits.append((e, "near", round(d, 2)))
        out += [(r, e, k, d) for e, k, d in hits]
    return out


def train_drops(root, train_recs, extra_eval=()):
    """{source_file: reason} for the training recordings among train_recs
    that duplicate any eval recording; also written to <root>/dedup/drops.json."""
    cache = Cache(root)
    dups = find_duplicates(cache, train_recs, eval_recordings() + list(extra_eval))
    drops = {}
    for r, e, kind, d in dups:
        drops.setdefault(r["source_file"], "%s duplicate of eval %s (%s%s)" % (
            kind, e["source_file"], e["package"], "" if kind == "exact" else ", %.2f dB" % d))
    return drops


def drop_rows(drops, recs):
    return [{"package": r["package"], "source_file": r["source_file"], "split": "dropped",
             "reason": drops[r["source_file"]]} for r in recs if r["source_file"] in drops]


def main():
    """Report every cross-side duplicate and the nearest non-duplicate pairs:
    /usr/bin/python3 ai/data/dedup.py [--out ROOT]"""
    import argparse
    ap = argparse.ArgumentParser(description="train/eval duplicate report")
    ap.add_argument("--out")
    ap.add_argument("--nearest", type=int, default=10)
    a = ap.parse_args()
    root = C.out_root(a.out)
    cache = Cache(root)
    tr, ev = train_recordings(True), eval_recordings()
    for r, e, k, d in find_duplicates(cache, tr, ev):
        print("DUP %-5s %5.2f dB  %s (%s)  ==  %s (%s)" % (k, d, r["source_file"], r["package"],
                                                          e["source_file"], e["package"]))
    # Same audio twice on one side: no leak, but it weights that sound double.
    for side, recs in (("train", tr), ("eval", ev)):
        groups = {}
        for r in recs:
            groups.setdefault(cache.get(r)["pcm"], []).append(r["source_file"])
        for g in groups.values():
            if len(g) > 1:
                print("SAME-SIDE %s exact: %s" % (side, "  ==  ".join(g)))
    # Distances of the closest distinct pairs, to show the margin to NEAR_DB.
    te = [(r, env_of(cache.get(r))) for r in tr]
    ee = [(r, env_of(cache.get(r))) for r in ev]
    ds = sorted((distance(x, y), r["source_file"], e["source_file"])
                for r, x in te for e, y in ee)
    ds = [t for t in ds if np.isfinite(t[0])]
    print("compared pairs: %d; nearest:" % len(ds))
    for t in ds[:a.nearest]:
        print("  %6.2f dB  %s  ~  %s" % t)


if __name__ == "__main__":
    main()
