#!/usr/bin/python3
"""Builds the MUSIC corpus: random songs (midi.py: chord progressions, bass,
melodies and drums over General MIDI instruments, keys, tempi and metres)
rendered with fluidsynth, 48 kHz mono WAV at -25 dBFS RMS, cut into clips.

Split by rendering setup, not only by song: train and dev songs are each
rendered with one of FluidR3_GM (fluid-soundfont-gm), MuseScore General Lite
(musescore-general-soundfont-small) and an OPL3 FM emulation (opl3-soundfont),
half of them without fluidsynth's reverb and chorus; dev from songs training
never sees; eval is rendered with TimGM6mb (timgm6mb-soundfont), a different
sample set for every instrument, so a model scored on it has not heard those
sounds. The
eval split also holds 20 s of each of pingus-data's 20 tracker modules
(composed game music with sampled instruments; an eval-side package).

  /usr/bin/python3 ai/data/build_music.py [--minutes 20] [--dev-minutes 3]
        [--eval-minutes 3] [--clip 10] [--seed 1] [--small]
Writes <root>/music/{wav/*.wav,manifest.jsonl}; songs are drawn from
sha256(seed, split, song), so any amount can be made and a longer build
starts with a shorter one's songs.
"""
import argparse
import glob
import hashlib
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import midi  # noqa: E402
import sources as S  # noqa: E402

SF2 = "/usr/share/sounds/sf2"
TRAIN_FONTS = [  # (package, file, licence); one drawn per song
    ("fluid-soundfont-gm", os.path.join(SF2, "FluidR3_GM.sf2"), "MIT"),
    ("musescore-general-soundfont-small", "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
     "MIT"),
    ("opl3-soundfont", os.path.join(SF2, "OPL-3_FM_128M.sf2"), "CC-BY-SA-4.0"),
]
SOUNDFONTS = {  # split -> the soundfonts its songs are rendered with
    "train": TRAIN_FONTS,
    "dev": TRAIN_FONTS,
    "eval": [("timgm6mb-soundfont", os.path.join(SF2, "TimGM6mb.sf2"), "GPL-2")],
}
CLIPS_PER_SONG = 3
RMS_DB = -25.0


def render(mid_bytes, sf2, tmp, rate=C.RATE, fx=True):
    fd, mp_ = tempfile.mkstemp(suffix=".mid", dir=tmp)
    with os.fdopen(fd, "wb") as f:
        f.write(mid_bytes)
    wav = mp_[:-4] + ".wav"
    try:
        r = subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(rate), "-O", "s16",
                            "-R", "1" if fx else "0", "-C", "1" if fx else "0",
                            "-T", "wav", "-F", wav, sf2, mp_],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0 or not os.path.exists(wav):
            raise RuntimeError("fluidsynth failed: %s" % r.stderr.decode()[-400:])
        return C.decode(wav, rate)
    finally:
        for p in (mp_, wav):
            if os.path.exists(p):
                os.unlink(p)


def do_song(job):
    split, k, seed, clip_s, root, tmp = job
    rng = C.rng_for(seed, "music", split, k)
    mid, desc = midi.song(rng, clip_s * CLIPS_PER_SONG)
    fonts = SOUNDFONTS[split]
    pkg, sf2, lic = fonts[int(rng.integers(len(fonts)))] if len(fonts) > 1 else fonts[0]
    # Half the training songs dry: fluidsynth's reverb and chorus on every
    # song made "reverberant" a cue for music that dry recordings lack.
    fx = split == "eval" or rng.random() < 0.5
    x = render(mid, sf2, tmp, fx=fx)
    x = C.trim_silence(x, C.RATE, floor_db=-50.0, keep_s=0.0)
    rows = []
    n = int(clip_s * C.RATE)
    for c in range(CLIPS_PER_SONG):
        seg = x[c * n:(c + 1) * n]
        if len(seg) < n // 2 or C.rms_db(seg) < -70:
            continue
        y = seg * 10 ** ((RMS_DB - C.rms_db(seg)) / 20)
        pk = float(np.max(np.abs(y)))
        if pk > 0.99:
            y *= 0.99 / pk
        rid = "music-%s-%04d-%d" % (split, k, c)
        rel = "music/wav/%s.wav" % rid
        C.write_wav(os.path.join(root, rel), y, C.RATE)
        rows.append({"id": rid, "path": rel, "split": split, "source": "synthetic",
                     "type": "music", "package": pkg, "soundfont": os.path.basename(sf2),
                     "reverb_chorus": fx,
                     "licence": lic, "song": k, "clip": c, "midi_sha256": hashlib.sha256(mid).hexdigest(),
                     **desc, "duration_s": round(len(y) / C.RATE, 6), "sample_rate": C.RATE,
                     "sha256": C.sha256_file(os.path.join(root, rel))})
    return rows


def do_module(job):
    """HELD-OUT music from an eval package: a 20 s excerpt (from 10 s in,
    or the start of a shorter piece) of one pingus-data tracker module, cut
    into clips like the renders."""
    path, clip_s, root, excerpt_s = job
    x = C.decode(path, C.RATE)
    start = int(10 * C.RATE) if len(x) > (10 + excerpt_s) * C.RATE else 0
    x = x[start:start + int(excerpt_s * C.RATE)]
    rows = []
    n = int(clip_s * C.RATE)
    name = os.path.splitext(os.path.basename(path))[0].replace("_", "-")
    for c in range(int(len(x) // n)):
        seg = x[c * n:(c + 1) * n]
        if C.rms_db(seg) < -60:
            continue
        y = seg * 10 ** ((RMS_DB - C.rms_db(seg)) / 20)
        pk = float(np.max(np.abs(y)))
        if pk > 0.99:
            y *= 0.99 / pk
        rid = "music-eval-pingus-%s-%d" % (name, c)
        rel = "music/wav/%s.wav" % rid
        C.write_wav(os.path.join(root, rel), y, C.RATE)
        rows.append({"id": rid, "path": rel, "split": "eval", "source": "recorded",
                     "type": "music", "package": "pingus-data", "source_file": path,
                     "licence": "GPL-2+", "offset_s": round(start / C.RATE + c * clip_s, 3),
                     "duration_s": round(len(y) / C.RATE, 6), "sample_rate": C.RATE,
                     "sha256": C.sha256_file(os.path.join(root, rel))})
    return rows


def build(root, seed, minutes, small, jobs, clip_s=10.0, dev_minutes=3.0, eval_minutes=3.0):
    C.need_tools("fluidsynth", "ffmpeg")
    for _, sf2, _ in [f for fonts in SOUNDFONTS.values() for f in fonts]:
        if not os.path.exists(sf2):
            sys.exit("missing %s (run ai/data/install.sh)" % sf2)
    shutil.rmtree(os.path.join(root, "music"), ignore_errors=True)
    tmp = os.path.join(root, "music/.tmp")
    os.makedirs(tmp)
    if small:
        clip_s, minutes, dev_minutes, eval_minutes = 3.0, 0.15, 0.15, 0.15
    songs = {s: max(1, int(round(m * 60 / clip_s / CLIPS_PER_SONG)))
             for s, m in (("train", minutes), ("dev", dev_minutes), ("eval", eval_minutes))}
    specs = [(s, k, seed, clip_s, root, tmp) for s in ("train", "dev", "eval")
             for k in range(songs[s])]
    mods = sorted(glob.glob(os.path.join(S.PINGUS_MUSIC_DIR, "*")))
    mjobs = [(m, clip_s, root, 2 * clip_s) for m in (mods[:1] if small else mods)]
    with mp.get_context("fork").Pool(jobs) as pool:
        rows = [r for rr in pool.imap(do_song, specs) for r in rr]
        rows += [r for rr in pool.imap(do_module, mjobs) for r in rr]
    shutil.rmtree(tmp)
    C.write_manifest(os.path.join(root, "music/manifest.jsonl"), rows)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=20.0, help="training music")
    ap.add_argument("--dev-minutes", type=float, default=3.0)
    ap.add_argument("--eval-minutes", type=float, default=3.0)
    ap.add_argument("--clip", type=float, default=10.0, help="clip length (s)")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    root = C.out_root(a.out)
    rows = build(root, a.seed, a.minutes, a.small, a.jobs, a.clip, a.dev_minutes, a.eval_minutes)
    by = {}
    for r in rows:
        by[r["split"]] = by.get(r["split"], 0) + r["duration_s"]
    C.log("music: %d clips (%s) -> %s/music" % (
        len(rows), ", ".join("%s %.1f min" % (k, v / 60) for k, v in sorted(by.items())), root))


if __name__ == "__main__":
    main()
