#!/usr/bin/env python3
"""Checks a Janus room (test_janus_room.sh): every participant received
every other participant's audio, feed by feed.

  check_janus_room.py DIR PARLEY SPEECH.wav [--left NAME] NAME=KIND ...

  NAME is a participant's display name and its folder under DIR; KIND is
  tone:HZ or speech, with "+video" when it also publishes video (then
  every other participant must have decoded that feed's pictures). Engines left DIR/NAME/feeds.json and feed-<id>.wav;
  Chromium left DIR/NAME/chromium.json and chromium-feed-<id>.wav (decoded
  from its MediaRecorder's WebM).

A tone feed must be loud for most of what was recorded, with its spectral
peak within 5 Hz of the tone sent; a speech feed must reach a median STOI >= 0.9
against the speech file sent (looped), taken per 1 s window that holds
sound, each window found in the file on its own by `parley metrics`. With --left
NAME (a participant that left while the engines stayed), every engine
must have seen that feed go (removed in feeds.json). An engine must
not have found a message from Janus malformed or a reply to a transaction
it never sent. An engine's
speaker mix (DIR/NAME/mix.wav) must hold every other tone. Prints one line
per feed; exit 1 with every failure listed.
"""
import json
import os
import subprocess
import sys
import wave

import numpy as np


def read(path):
    w = wave.open(path)
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(float) / 32768
    return x.reshape(-1, w.getnchannels())[:, 0], w.getframerate()


def tone(path, hz):
    x, rate = read(path)
    hop = rate // 100
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames ** 2).mean(axis=1)) if len(frames) else np.zeros(0)
    loud = (rms > 0.05).sum() / 100
    y = x[rate // 2:]
    peak = 0.0
    if len(y) > rate // 2:
        spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
        peak = np.fft.rfftfreq(len(y), 1 / rate)[np.argmax(spec)]
    dur = len(x) / rate
    msg = "%.2f s, %.2f s loud, peak %.1f Hz (sent %g Hz)" % (dur, loud, peak, hz)
    ok = dur >= 2 and loud >= 0.7 * (dur - 0.5) and abs(peak - hz) <= 5
    return ok, msg


def mix_has(path, tones):
    """The speaker mix: each other participant's tone stands 12 dB over the
    spectrum 50 Hz beside it (typically 30-40; an absent tone is near 0)."""
    x, rate = read(path)
    y = x[rate // 2:]
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    fr = np.fft.rfftfreq(len(y), 1 / rate)
    band = lambda hz: spec[(fr > hz - 5) & (fr < hz + 5)].sum()
    out = []
    for hz in tones:
        out.append((hz, 10 * np.log10(band(hz) / max(band(hz + 50), 1e-12))))
    return out


def metrics(parley, ref_path, deg_path):
    out = subprocess.run([parley, "metrics", "--json", "--max-lag", "10000", ref_path, deg_path],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError("parley metrics: " + out.stderr.strip())
    return json.loads(out.stdout)


def write_wav(path, x, rate):
    w = wave.open(path, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())
    w.close()


def stoi(path, ref_path, parley):
    """STOI per 1 s window of the feed that holds sound, each window found
    in the speech sent on its own; the median must reach 0.9. The sender
    loops its file, so one alignment cannot serve the whole recording; nor
    could it if the file were sent once: a jitter buffer adapting after the
    start (NetEQ-style accelerate, a few tens of ms on a loaded machine)
    shifts the rest, which one alignment would score as lost
    intelligibility. A window across the loop's seam scores low; the median
    does not care."""
    x, rate = read(path)
    scores = []
    try:
        for k, a in enumerate(range(rate // 2, len(x) - rate + 1, rate)):
            seg = x[a: a + rate]
            if np.sqrt((seg ** 2).mean()) < 0.01:
                continue  # silence: the sender had not started, or had left
            p = "%s.w%d.wav" % (path, k)
            write_wav(p, seg, rate)
            v = metrics(parley, ref_path, p)["stoi"]
            if v is not None:  # None: nothing left once silent frames are dropped
                scores.append(v)
    except RuntimeError as e:
        return False, str(e)
    if len(scores) < 3:
        return False, "only %d s of the speech recorded" % len(scores)
    med = float(np.median(scores))
    msg = "STOI median %.3f (mean %.3f, min %.3f) over %d s" % (
        med, np.mean(scores), min(scores), len(scores))
    return med >= 0.9, msg


def main():
    d, parley, speech = sys.argv[1:4]
    args = sys.argv[4:]
    left = None
    if args[:1] == ["--left"]:
        left, args = args[1], args[2:]
    who = dict(a.split("=", 1) for a in args)
    problems = []
    for name in who:
        pdir = os.path.join(d, name)
        if os.path.exists(os.path.join(pdir, "chromium.json")):
            c = json.load(open(os.path.join(pdir, "chromium.json")))
            if not c.get("ok"):
                problems.append("%s: %s" % (name, c.get("error")))
                continue
            feeds = [dict(f, feed=k, file=f["file"].replace(".webm", ".wav")) for k, f in c["feeds"].items()]
        else:
            fj = json.load(open(os.path.join(pdir, "feeds.json")))
            feeds = fj["feeds"]
            # A real Janus never sends what the engine would not trust.
            j = fj["janus"]
            print("%-14s janus: %d messages, %d malformed, %d to unknown transactions, %d late"
                  % (name, j["messages"], j["malformed"], j["unknownTransactions"], j["lateReplies"]))
            if j["malformed"] or j["unknownTransactions"]:
                problems.append("%s distrusted Janus: %s" % (name, j))
        mix = os.path.join(pdir, "mix.wav")
        if os.path.exists(mix):
            tones = [float(k.split(":")[1].split("+")[0]) for n, k in who.items()
                     if n != name and k.startswith("tone:")]
            res = mix_has(mix, tones)
            mok = all(db >= 12 for _, db in res)
            print("%-14s mix: %s%s" % (name, ", ".join("%g Hz +%.0f dB" % r for r in res),
                                       "" if mok else "  FAIL"))
            if not mok:
                problems.append("%s: the mix lacks a tone: %s" % (name, res))
        if left and left != name and "removed" in (feeds[0] if feeds else {}):
            gone = [f.get("removed") for f in feeds if f["display"] == left]
            print("%-14s saw %s leave: %s" % (name, left, "yes" if gone == [True] else "NO  FAIL"))
            if gone != [True]:
                problems.append("%s did not see %s leave" % (name, left))
        got = sorted(f["display"] for f in feeds)
        want = sorted(n for n in who if n != name)
        if got != want:
            problems.append("%s heard %s, not %s" % (name, got, want))
        for f in feeds:
            kind = who.get(f["display"])
            if kind and kind.endswith("+video"):
                kind = kind[: -len("+video")]
                st = f.get("stats", f)
                n, wh = st.get("framesDecoded", 0), (st.get("frameWidth"), st.get("frameHeight"))
                vok = n >= 60 and wh == (320, 240)
                print("%-14s <- %-14s video: %d pictures decoded, %sx%s%s"
                      % (name, f["display"], n, wh[0], wh[1], "" if vok else "  FAIL"))
                if not vok:
                    problems.append("%s <- %s: video %d pictures at %s" % (name, f["display"], n, wh))
            path = os.path.join(pdir, f["file"])
            if kind is None or not os.path.exists(path):
                problems.append("%s: feed %s (%s) unknown or not recorded" % (name, f["feed"], f["display"]))
                continue
            try:
                if kind.startswith("tone:"):
                    ok, msg = tone(path, float(kind[5:]))
                else:
                    ok, msg = stoi(path, speech, parley)
            except Exception as e:  # a recording too short or broken to measure
                ok, msg = False, "cannot measure %s: %r" % (f["file"], e)
            print("%-14s <- %-14s %s%s" % (name, f["display"], msg, "" if ok else "  FAIL"))
            if not ok:
                problems.append("%s <- %s: %s" % (name, f["display"], msg))
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
