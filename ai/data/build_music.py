#!/usr/bin/python3
"""Builds the MUSIC corpus: random songs (midi.py: chord progressions, bass,
melodies and drums over General MIDI instruments, keys, tempi and metres)
rendered with fluidsynth, 48 kHz mono WAV at -25 dBFS RMS, cut into clips.

Split by rendering setup, not only by song: train and dev are rendered with
FluidR3_GM (fluid-soundfont-gm), dev from songs training never sees; eval is
rendered with TimGM6mb (timgm6mb-soundfont), a different sample set for
every instrument, so a model scored on it has not heard those sounds.

  /usr/bin/python3 ai/data/build_music.py [--minutes 20] [--dev-minutes 3]
        [--eval-minutes 3] [--clip 10] [--seed 1] [--small]
Writes <root>/music/{wav/*.wav,manifest.jsonl}; songs are drawn from
sha256(seed, split, song), so any amount can be made and a longer build
starts with a shorter one's songs.
"""
import argparse
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

SF2 = "/usr/share/sounds/sf2"
SOUNDFONTS = {  # split -> (package, file, licence)
    "train": ("fluid-soundfont-gm", os.path.join(SF2, "FluidR3_GM.sf2"), "MIT"),
    "dev": ("fluid-soundfont-gm", os.path.join(SF2, "FluidR3_GM.sf2"), "MIT"),
    "eval": ("timgm6mb-soundfont", os.path.join(SF2, "TimGM6mb.sf2"), "GPL-2"),
}
CLIPS_PER_SONG = 3
RMS_DB = -25.0


def render(mid_bytes, sf2, tmp, rate=C.RATE):
    fd, mp_ = tempfile.mkstemp(suffix=".mid", dir=tmp)
    with os.fdopen(fd, "wb") as f:
        f.write(mid_bytes)
    wav = mp_[:-4] + ".wav"
    try:
        r = subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(rate), "-O", "s16",
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
    pkg, sf2, lic = SOUNDFONTS[split]
    x = render(mid, sf2, tmp)
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
                     "licence": lic, "song": k, "clip": c, "midi_sha256": hashlib.sha256(mid).hexdigest(),
                     **desc, "duration_s": round(len(y) / C.RATE, 6), "sample_rate": C.RATE,
                     "sha256": C.sha256_file(os.path.join(root, rel))})
    return rows


def build(root, seed, minutes, small, jobs, clip_s=10.0, dev_minutes=3.0, eval_minutes=3.0):
    C.need_tools("fluidsynth", "ffmpeg")
    for _, sf2, _ in SOUNDFONTS.values():
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
    with mp.get_context("fork").Pool(jobs) as pool:
        rows = [r for rr in pool.imap(do_song, specs) for r in rr]
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
