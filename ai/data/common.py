"""Shared plumbing for the Parley data builders: audio I/O through ffmpeg,
byte-exact WAV writing, the ITU-T P.56 active speech level, manifests.

Every builder is deterministic from its seed: no wall clock, no unordered
iteration, no process-count-dependent random draws.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = 48000          # the media graph's rate (audio/frame.h PL_AUDIO_RATE)
TARGET_DBOV = -26.0   # active speech level of every normalised utterance


def out_root(arg=None):
    """Corpus root: --out, else $PARLEY_DATA, else ai/data/out/."""
    root = arg or os.environ.get("PARLEY_DATA") or os.path.join(HERE, "out")
    os.makedirs(root, exist_ok=True)
    return os.path.abspath(root)


def need_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        sys.exit("missing tools: %s (run ai/data/install.sh)" % " ".join(missing))


def seed_for(seed, *keys):
    """A child seed from the corpus seed and a stable name, so that one item's
    draws do not depend on how many items came before it or on which worker
    made it."""
    h = hashlib.sha256(("%d|" % seed + "|".join(str(k) for k in keys)).encode())
    return int.from_bytes(h.digest()[:8], "little")


def rng_for(seed, *keys):
    return np.random.Generator(np.random.PCG64(seed_for(seed, *keys)))


# ---------------------------------------------------------------- audio I/O

def decode(path, rate, fmt=None, in_rate=None):
    """Any file ffmpeg reads -> float64 mono at `rate` (soxr, 28-bit precision,
    no dither). `fmt`/`in_rate` describe headerless input (s16le, g722)."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1"]
    if fmt:
        cmd += ["-f", fmt]
    if in_rate:
        cmd += ["-ar", str(in_rate), "-ac", "1"]
    cmd += ["-i", path, "-ac", "1", "-af",
            "aresample=resampler=soxr:precision=28:dither_method=none",
            "-ar", str(rate), "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("ffmpeg failed on %s: %s" % (path, r.stderr.decode()[-400:]))
    return np.frombuffer(r.stdout, dtype="<f4").astype(np.float64)


def resample(x, rate_in, rate_out):
    """Resample an in-memory signal with the same soxr path as decode()."""
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float64).copy()
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-f", "f32le",
           "-ar", str(rate_in), "-ac", "1", "-i", "-", "-af",
           "aresample=resampler=soxr:precision=28:dither_method=none",
           "-ar", str(rate_out), "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    r = subprocess.run(cmd, input=np.asarray(x, "<f4").tobytes(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("ffmpeg resample failed: %s" % r.stderr.decode()[-400:])
    return np.frombuffer(r.stdout, dtype="<f4").astype(np.float64)


def to_pcm16(x):
    """Round-to-nearest with saturation; no dither, so bytes are reproducible."""
    return np.clip(np.rint(np.asarray(x) * 32768.0), -32768, 32767).astype("<i2")


def write_wav(path, x, rate, fmt="pcm16"):
    """Mono WAV, 16-bit PCM or 32-bit IEEE float, written byte by byte so the
    file depends only on the samples."""
    if fmt == "pcm16":
        data, tag, bits = to_pcm16(x).tobytes(), 1, 16
    elif fmt == "float":
        data, tag, bits = np.asarray(x, "<f4").tobytes(), 3, 32
    else:
        raise ValueError(fmt)
    block = bits // 8
    fmt_chunk = struct.pack("<HHIIHH", tag, 1, rate, rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    if tag == 3:  # non-PCM WAVs carry a fact chunk (sample count)
        chunks += b"fact" + struct.pack("<II", 4, len(data) // block)
    chunks += b"data" + struct.pack("<I", len(data)) + data
    if len(data) % 2:
        chunks += b"\0"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    os.replace(tmp, path)


def read_wav(path):
    """Reads the WAVs write_wav makes (mono PCM16 / float32): (samples, rate)."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 12 or b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise ValueError("%s: not a RIFF/WAVE file" % path)
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack_from("<I", b, pos + 4)[0]
        body = b[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", body)
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError("%s: missing fmt or data chunk" % path)
    tag, ch, rate, _, _, bits = fmt
    if ch != 1:
        raise ValueError("%s: %d channels, expected mono" % (path, ch))
    if tag == 1 and bits == 16:
        return np.frombuffer(data, "<i2").astype(np.float64) / 32768.0, rate
    if tag == 3 and bits == 32:
        return np.frombuffer(data, "<f4").astype(np.float64), rate
    raise ValueError("%s: unsupported format tag %d/%d bits" % (path, tag, bits))


# ------------------------------------------------- ITU-T P.56 speech level

P56_MARGIN_DB = 15.9
P56_TAU_S = 0.03
P56_HANGOVER_S = 0.2


def _sliding_max(v, w):
    """max(v[n-w+1 .. n]) for every n (van Herk / Gil-Werman, vectorised)."""
    n = len(v)
    if w <= 1 or n == 0:
        return v.copy()
    m = -(-n // w) * w
    pad = np.full(m + w, -np.inf)
    pad[w:w + n] = v  # left padding so windows before 0 see -inf
    blocks = pad[:(len(pad) // w) * w].reshape(-1, w)
    pre = np.maximum.accumulate(blocks, axis=1).ravel()
    suf = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    idx = np.arange(n) + w  # index of n in pad
    return np.maximum(suf[idx - w + 1], pre[idx])


def _fft_filter(x, h):
    n = len(x) + len(h) - 1
    nfft = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[:len(x)]


def active_level(x, rate):
    """Active speech level in dB re full scale power (dBov) and activity
    factor, per ITU-T P.56 method B: envelope of |x| through two first-order
    30 ms smoothers, 200 ms hangover, threshold where the active level sits
    15.9 dB above it. Returns (level_db, activity); (-inf, 0) for silence."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) == 0 or not np.any(x):
        return float("-inf"), 0.0
    g = np.exp(-1.0 / (P56_TAU_S * rate))
    klen = int(np.ceil(np.log(1e-7) / np.log(g)))
    k = np.arange(klen)
    h = (1 - g) ** 2 * (k + 1) * g ** k  # the two cascaded one-pole smoothers
    q = np.maximum(_fft_filter(np.abs(x), h), 0.0)
    m = _sliding_max(q, int(round(P56_HANGOVER_S * rate)))
    order = np.argsort(-m, kind="stable")
    ms = m[order]
    e = np.cumsum(x[order] ** 2)
    # Thresholds on a 0.05 dB grid from the envelope peak down 120 dB.
    top = 20 * np.log10(ms[0])
    c_db = top - np.arange(0, 120, 0.05)
    c = 10 ** (c_db / 20)
    cnt = np.searchsorted(-ms, -c, side="right")  # samples with m >= c
    ok = cnt > 0
    c_db, cnt = c_db[ok], cnt[ok]
    a_db = 10 * np.log10(np.maximum(e[cnt - 1], 1e-300) / cnt)
    d = a_db - c_db  # grows as the threshold falls
    hit = np.nonzero(d >= P56_MARGIN_DB)[0]
    if len(hit) == 0:  # no threshold is 15.9 dB below: treat all as active
        return float(10 * np.log10(np.mean(x ** 2))), 1.0
    i = hit[0]
    if i == 0:
        lvl, act = a_db[0], cnt[0] / len(x)
    else:  # interpolate between the grid points that bracket the margin
        t = (P56_MARGIN_DB - d[i - 1]) / (d[i] - d[i - 1])
        lvl = a_db[i - 1] + t * (a_db[i] - a_db[i - 1])
        act = (cnt[i - 1] + t * (cnt[i] - cnt[i - 1])) / len(x)
    return float(lvl), float(act)


def rms_db(x):
    p = float(np.mean(np.asarray(x, dtype=np.float64) ** 2)) if len(x) else 0.0
    return 10 * np.log10(p) if p > 0 else float("-inf")


def trim_silence(x, rate, floor_db=-45.0, keep_s=0.1):
    """Cuts leading/trailing frames quieter than `floor_db` below the loudest
    10 ms frame, keeping `keep_s` of margin."""
    f = int(rate * 0.01)
    nf = len(x) // f
    if nf == 0:
        return x
    e = 10 * np.log10(np.mean(x[:nf * f].reshape(nf, f) ** 2, axis=1) + 1e-20)
    on = np.nonzero(e > e.max() + floor_db)[0]
    if len(on) == 0:
        return x[:0]
    a = max(0, on[0] * f - int(keep_s * rate))
    b = min(len(x), (on[-1] + 1) * f + int(keep_s * rate))
    return x[a:b]


def normalise(x, rate, target_db=TARGET_DBOV, peak=0.98):
    """Scales to the target active level, then lowers it if the peak would
    clip. Returns (y, level_db_after)."""
    lvl, _ = active_level(x, rate)
    if not np.isfinite(lvl):
        return x, lvl
    y = x * 10 ** ((target_db - lvl) / 20)
    pk = np.max(np.abs(y))
    if pk > peak:
        y = y * (peak / pk)
    return y, target_db + 20 * np.log10(min(1.0, peak / pk)) if pk > 0 else target_db


# ---------------------------------------------------------------- manifests

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def write_manifest(path, rows):
    """JSON lines, keys sorted, rows in the given (deterministic) order."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True, ensure_ascii=True) + "\n")
    os.replace(tmp, path)


def read_manifest(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


AUDIO_FIELDS = {"id": str, "path": str, "split": str, "source": str,
                "package": str, "duration_s": float, "sample_rate": int,
                "sha256": str}


def validate_audio_manifest(root, rows, check_audio=True):
    """Raises ValueError on the first bad row: missing/typed fields, a file
    that is absent, has another rate or length, or another hash."""
    ids = set()
    for i, r in enumerate(rows):
        for k, t in AUDIO_FIELDS.items():
            if k not in r or not isinstance(r[k], t) or (t is float and not np.isfinite(r[k])):
                raise ValueError("row %d: field %s missing or not %s" % (i, k, t.__name__))
        if r["id"] in ids:
            raise ValueError("row %d: duplicate id %s" % (i, r["id"]))
        ids.add(r["id"])
        if r["split"] not in ("train", "eval"):
            raise ValueError("row %d: split %r" % (i, r["split"]))
        p = os.path.join(root, r["path"])
        if not os.path.isfile(p):
            raise ValueError("row %d: %s missing" % (i, p))
        if check_audio:
            x, rate = read_wav(p)
            if rate != r["sample_rate"]:
                raise ValueError("row %d: rate %d != %d" % (i, rate, r["sample_rate"]))
            if abs(len(x) / rate - r["duration_s"]) > 1e-3:
                raise ValueError("row %d: duration %.4f != %.4f" % (i, len(x) / rate, r["duration_s"]))
            if sha256_file(p) != r["sha256"]:
                raise ValueError("row %d: sha256 mismatch for %s" % (i, p))
    return len(rows)


def log(msg):
    print(msg, file=sys.stderr, flush=True)
