#!/usr/bin/python3
"""Builds the super-resolution image set: photographs from the Debian
wallpaper packages, scaled so the short side is --short-side pixels, cut into
random 128x128 patches (random crop, horizontal flip, occasional vertical
flip), saved as uint8 .npy shards. Whole pictures are held out for
validation (sources.IMAGES_HELDOUT), so no validation patch shares a source
with a training patch.

  /usr/bin/python3 ai/data/build_images.py [--small] [--per-image 128] [--luma]
Writes <root>/images/{train-NNN.npy,val-NNN.npy,manifest.json}.
"""
import argparse
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import sources as S  # noqa: E402

SMALL_TRAIN = ["/usr/share/backgrounds/mate/nature/FreshFlower.jpg",
               "/usr/share/backgrounds/mate/nature/Aqua.jpg"]
SMALL_VAL = ["/usr/share/backgrounds/mate/nature/LadyBird.jpg"]


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=width,height", "-of", "csv=p=0", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    w, h = r.stdout.decode().strip().split(",")[:2]
    return int(w), int(h)


def load_rgb(path, short_side):
    """Decodes and scales with bit-exact swscale settings, so the pixels do
    not depend on which SIMD path this CPU takes."""
    w, h = probe(path)
    s = short_side / min(w, h)
    if s > 1:
        s = 1.0  # never upscale: the patches are the high-resolution truth
    tw, th = max(2, int(round(w * s / 2)) * 2), max(2, int(round(h * s / 2)) * 2)
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-i", path,
                        "-vf", "scale=%d:%d:flags=lanczos+accurate_rnd+bitexact+full_chroma_int"
                        % (tw, th), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24",
                        "-fflags", "+bitexact", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("ffmpeg failed on %s: %s" % (path, r.stderr.decode()[-300:]))
    return np.frombuffer(r.stdout, np.uint8).reshape(th, tw, 3), (w, h)


def luma(rgb):
    """BT.601 full-range Y, rounded."""
    y = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return np.clip(np.rint(y), 0, 255).astype(np.uint8)


def cut(job):
    idx, path, seed, per, size, short_side, use_luma = job
    img, (w0, h0) = load_rgb(path, short_side)
    h, w = img.shape[:2]
    if h < size or w < size:
        raise RuntimeError("%s is smaller than one patch after scaling" % path)
    rng = C.rng_for(seed, "image", os.path.basename(path))
    ys = rng.integers(0, h - size + 1, per)
    xs = rng.integers(0, w - size + 1, per)
    hf = rng.random(per) < 0.5
    vf = rng.random(per) < 0.2
    out = np.empty((per, size, size, 3), np.uint8)
    for k in range(per):
        p = img[ys[k]:ys[k] + size, xs[k]:xs[k] + size]
        if hf[k]:
            p = p[:, ::-1]
        if vf[k]:
            p = p[::-1]
        out[k] = p
    if use_luma:
        out = luma(out)
    return idx, out, (w0, h0), (w, h)


def build(root, seed, per, size, short_side, use_luma, shard, small, jobs, graphics):
    C.need_tools("ffmpeg", "ffprobe")
    imgs = list(S.IMAGES) + (list(S.GRAPHICS) if graphics else [])
    if small:
        keep = set(SMALL_TRAIN + SMALL_VAL)
        imgs = [(p, f) for p, f in imgs if f in keep]
        per, short_side = 8, 256
    for _, f in imgs:
        if not os.path.exists(f):
            sys.exit("missing %s (run ai/data/install.sh)" % f)
    d = os.path.join(root, "images")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    jobsl = [(i, f, seed, per, size, short_side, use_luma) for i, (_, f) in enumerate(imgs)]
    results = {}
    with mp.get_context("fork").Pool(jobs) as pool:
        for idx, patches, orig, scaled in pool.imap(cut, jobsl):
            results[idx] = (patches, orig, scaled)
    meta = {"patch": size, "channels": 1 if use_luma else 3, "dtype": "uint8",
            "layout": "NHW" if use_luma else "NHWC", "short_side": short_side,
            "seed": seed, "images": [], "shards": []}
    split_of = {}
    for i, (pkg, f) in enumerate(imgs):
        split = "eval" if f in S.IMAGES_HELDOUT else "train"
        split_of[i] = split
        meta["images"].append({"index": i, "package": pkg, "path": f, "split": split,
                               "kind": "graphic" if (pkg, f) in S.GRAPHICS else "photo",
                               "width": results[i][1][0], "height": results[i][1][1],
                               "scaled": list(results[i][2]), "sha256": C.sha256_file(f)})
    for split, prefix in (("train", "train"), ("eval", "val")):
        ids = [i for i in sorted(results) if split_of[i] == split]
        if not ids:
            continue
        allp = np.concatenate([results[i][0] for i in ids])
        src = np.concatenate([np.full(len(results[i][0]), i, np.int32) for i in ids])
        order = C.rng_for(seed, "shuffle", split).permutation(len(allp))
        allp, src = allp[order], src[order]
        for s in range(0, len(allp), shard):
            name = "%s-%03d.npy" % (prefix, s // shard)
            np.save(os.path.join(d, name), allp[s:s + shard], allow_pickle=False)
            meta["shards"].append({"path": "images/" + name, "split": split,
                                   "count": int(min(shard, len(allp) - s)),
                                   "sources": [int(v) for v in src[s:s + shard]],
                                   "sha256": C.sha256_file(os.path.join(d, name))})
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    return meta


def check_split(meta):
    """No picture feeds both splits; every patch's source has its shard's split."""
    split = {im["index"]: im["split"] for im in meta["images"]}
    shas = {}
    for im in meta["images"]:
        shas.setdefault(im["sha256"], set()).add(im["split"])
    assert all(len(v) == 1 for v in shas.values()), "same picture on both sides"
    for sh in meta["shards"]:
        assert all(split[s] == sh["split"] for s in sh["sources"]), sh["path"]
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-image", type=int, default=128, help="patches per picture")
    ap.add_argument("--patch", type=int, default=128)
    ap.add_argument("--short-side", type=int, default=1080,
                    help="scale pictures so the short side is this (never upscaled)")
    ap.add_argument("--shard", type=int, default=1024, help="patches per .npy")
    ap.add_argument("--luma", action="store_true", help="Y only instead of RGB")
    ap.add_argument("--graphics", action="store_true", help="add the non-photo wallpapers")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    root = C.out_root(a.out)
    meta = build(root, a.seed, a.per_image, a.patch, a.short_side, a.luma, a.shard,
                 a.small, a.jobs, a.graphics)
    check_split(meta)
    n = {s: sum(x["count"] for x in meta["shards"] if x["split"] == s) for s in ("train", "eval")}
    C.log("images: %d pictures, %d train / %d val patches of %dx%d -> %s/images" % (
        len(meta["images"]), n["train"], n["eval"], a.patch, a.patch, root))


if __name__ == "__main__":
    main()
