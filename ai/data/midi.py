"""A small Standard MIDI File writer and a random song generator for the
music corpus (build_music.py): chord progressions, bass, a melody and drums
over General MIDI instruments, keys, modes, tempi and metres, all drawn from
a numpy Generator, so a seed gives the same song and the supply is endless.

Only what the generator needs: format 1, one tempo map track plus one track
per part, note on/off, program change, control change (volume, pan,
reverb), tempo and time-signature meta events.
"""
import struct

import numpy as np

PPQ = 480  # ticks per quarter note


def _varlen(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


class Track:
    def __init__(self):
        self.ev = []  # (tick, order, bytes): order puts note-offs before note-ons at a tick

    def add(self, tick, data, order=1):
        self.ev.append((int(tick), order, len(self.ev), bytes(data)))

    def note(self, ch, start, dur, key, vel):
        key = int(min(127, max(0, key)))
        self.add(start, (0x90 | ch, key, int(min(127, max(1, vel)))), 1)
        self.add(start + max(1, int(dur)), (0x80 | ch, key, 0), 0)

    def program(self, ch, prog, tick=0):
        self.add(tick, (0xC0 | ch, prog & 0x7F), 0)

    def control(self, ch, cc, val, tick=0):
        self.add(tick, (0xB0 | ch, cc, int(min(127, max(0, val)))), 0)

    def meta(self, tick, kind, payload):
        self.add(tick, b"\xff" + bytes([kind]) + _varlen(len(payload)) + payload, 0)

    def encode(self):
        out, last = bytearray(), 0
        for tick, _, _, data in sorted(self.ev):
            out += _varlen(tick - last) + data
            last = tick
        out += _varlen(0) + b"\xff\x2f\x00"
        return b"MTrk" + struct.pack(">I", len(out)) + bytes(out)


def smf(tracks):
    """Format-1 file bytes from Track objects."""
    return (b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), PPQ) +
            b"".join(t.encode() for t in tracks))


# ------------------------------------------------------------- generator

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
# Degree progressions (0 = I/i) common in pop, folk, jazz and classical.
PROGRESSIONS = [[0, 4, 5, 3], [0, 5, 3, 4], [0, 3, 4, 0], [1, 4, 0, 0], [0, 3, 0, 4],
                [5, 3, 0, 4], [0, 0, 3, 4], [0, 5, 1, 4], [0, 2, 3, 4], [0, 4, 3, 3]]
# GM programs (0-based) by role; drums are channel 10.
CHORD_PROGS = list(range(0, 8)) + list(range(16, 24)) + [24, 25, 26, 27, 28, 29, 30] + \
    list(range(48, 56)) + list(range(88, 96)) + [11, 12, 13, 14, 15, 46]
BASS_PROGS = list(range(32, 40)) + [42, 43, 58]
LEAD_PROGS = list(range(0, 8)) + [8, 9, 10, 11, 12, 13, 14, 40, 41, 56, 57, 60, 61, 64, 65, 66,
                                  67, 68, 69, 70, 71, 72, 73, 74, 75, 78, 79, 80, 81, 104,
                                  105, 106, 109] + list(range(24, 32))
STYLES = ["band", "band", "band", "solo", "duo", "ensemble"]


def _beat_grid(rng, meter):
    if meter == 3:
        return [(0, 1.0), (1, 0.6), (2, 0.6)]
    return [(0, 1.0), (1, 0.6), (2, 0.8), (3, 0.6)]


def song(rng, seconds, programs=None):
    """(midi bytes, description) of a random piece about `seconds` long.
    `programs` limits every melodic part to that set of GM programs."""
    def pick(pool):
        pool = [p for p in pool if programs is None or p in programs] or \
            sorted(programs if programs is not None else pool)
        return int(rng.choice(pool))

    tonic = int(rng.integers(0, 12))
    mode = "minor" if rng.random() < 0.4 else "major"
    scale = MINOR if mode == "minor" else MAJOR
    bpm = float(rng.uniform(60, 180))
    meter = 3 if rng.random() < 0.2 else 4
    style = str(rng.choice(STYLES))
    prog = [int(d) for d in PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]]
    if rng.random() < 0.3:
        prog = [int(d) for d in rng.integers(0, 7, 4)]
    bar = PPQ * meter
    bars = int(np.ceil(seconds * bpm / 60.0 / meter)) + 1
    chords_per_bar = 2 if rng.random() < 0.2 else 1
    swing = float(rng.uniform(0, 0.3)) if rng.random() < 0.3 else 0.0
    human = float(rng.uniform(0, 15))  # timing jitter in ticks

    def jit():
        return int(rng.normal(0, human)) if human > 0 else 0

    def pitch(deg, octave):
        return 12 * octave + tonic + scale[deg % 7] + 12 * (deg // 7)

    meta = Track()
    meta.meta(0, 0x51, struct.pack(">I", int(60e6 / bpm))[1:])
    meta.meta(0, 0x58, bytes([meter, 2, 24, 8]))
    tracks = [meta]
    desc = {"key": tonic, "mode": mode, "bpm": round(bpm, 2), "meter": meter, "style": style,
            "progression": prog, "parts": []}
    parts = {"solo": ["chords"], "duo": ["chords", "melody"],
             "band": ["chords", "bass", "melody", "drums"],
             "ensemble": ["chords", "chords2", "bass", "melody", "melody2"]}[style]
    if style == "band" and rng.random() < 0.25:
        parts.remove("melody")
    if style in ("solo", "duo") and rng.random() < 0.3:
        parts.append("drums")
    ch = 0
    for part in parts:
        t = Track()
        if part == "drums":
            c = 9
            kit = int(rng.choice([0, 0, 0, 8, 16, 24, 25, 32, 40, 48]))
            t.program(c, kit)
        else:
            c = ch
            ch += 1
            p = pick(BASS_PROGS if part == "bass" else LEAD_PROGS if part.startswith("melody")
                     else CHORD_PROGS)
            t.program(c, p)
            desc["parts"].append({"part": part, "program": p})
        t.control(c, 7, rng.integers(70, 120))       # volume
        t.control(c, 10, rng.integers(20, 108))      # pan
        t.control(c, 91, rng.integers(0, 90))        # reverb send
        vel0 = float(rng.uniform(50, 110))
        if part in ("chords", "chords2"):
            octave = int(rng.integers(4, 6)) if part == "chords" else int(rng.integers(5, 7))
            pattern = str(rng.choice(["block", "arp", "strum", "offbeat"]))
            step = PPQ // int(rng.choice([2, 4]))
            for b in range(bars):
                for h in range(chords_per_bar):
                    deg = prog[(b * chords_per_bar + h) % len(prog)]
                    start = b * bar + h * bar // chords_per_bar
                    span = bar // chords_per_bar
                    notes = [pitch(deg, octave), pitch(deg + 2, octave), pitch(deg + 4, octave)]
                    if rng.random() < 0.3:
                        notes.append(pitch(deg + 6, octave))
                    if pattern == "block":
                        for n in notes:
                            t.note(c, max(0, start + jit()), span * 0.95, n, vel0 + rng.normal(0, 6))
                    elif pattern == "strum":
                        for i, n in enumerate(notes):
                            t.note(c, start + 20 * i, span * 0.9, n, vel0 + rng.normal(0, 6))
                    elif pattern == "offbeat":
                        for q in range(span // (PPQ // 2)):
                            if q % 2:
                                for n in notes:
                                    t.note(c, start + q * PPQ // 2, PPQ // 2 * 0.8, n, vel0)
                    else:
                        for i in range(span // step):
                            t.note(c, start + i * step + jit() % 8, step * 1.5,
                                   notes[i % len(notes)] + 12 * ((i // len(notes)) % 2),
                                   vel0 + rng.normal(0, 8))
        elif part == "bass":
            for b in range(bars):
                for h in range(chords_per_bar):
                    deg = prog[(b * chords_per_bar + h) % len(prog)]
                    start = b * bar + h * bar // chords_per_bar
                    span = bar // chords_per_bar
                    root = pitch(deg, 2)
                    beats = span // PPQ
                    for q in range(beats):
                        n = root if q % 2 == 0 or rng.random() < 0.5 else pitch(deg + 4, 2)
                        t.note(c, start + q * PPQ + jit() % 10, PPQ * 0.85, n, vel0 + rng.normal(0, 5))
        elif part.startswith("melody"):
            octave = int(rng.integers(5, 7))
            deg = int(rng.integers(0, 7))
            tick = 0
            end = bars * bar
            lens = [PPQ // 2, PPQ, PPQ, PPQ * 2, PPQ // 4 * 3, PPQ // 4]
            while tick < end:
                L = int(rng.choice(lens))
                if rng.random() < 0.12:  # rest
                    tick += L
                    continue
                deg += int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]))
                deg = int(np.clip(deg, -3, 10))
                sw = int(swing * PPQ / 2) if (tick // (PPQ // 2)) % 2 else 0
                t.note(c, tick + sw + jit() % 12, L * float(rng.uniform(0.6, 1.0)),
                       pitch(deg, octave), vel0 + rng.normal(0, 10))
                tick += L
        else:  # drums (GM percussion keys)
            kick, snare, hat = 36, int(rng.choice([38, 40, 37])), int(rng.choice([42, 44, 46, 51]))
            sub = int(rng.choice([2, 4]))
            for b in range(bars):
                for beat, acc in _beat_grid(rng, meter):
                    s0 = b * bar + beat * PPQ
                    if beat == 0 or (meter == 4 and beat == 2 and rng.random() < 0.7):
                        t.note(c, s0, PPQ // 4, kick, 100 * acc)
                    if meter == 4 and beat in (1, 3):
                        t.note(c, s0 + jit() % 6, PPQ // 4, snare, 95)
                    for k in range(sub):
                        t.note(c, s0 + k * PPQ // sub, PPQ // 8, hat, 60 + 30 * (k == 0))
                if b % 4 == 3 and rng.random() < 0.5:  # fill / crash
                    t.note(c, b * bar + bar - PPQ // 2, PPQ // 4, int(rng.choice([45, 47, 50])), 100)
                    t.note(c, (b + 1) * bar, PPQ, 49, 100)
            desc["parts"].append({"part": "drums", "kit": kit})
        tracks.append(t)
    return smf(tracks), desc
