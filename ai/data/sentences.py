"""Deterministic English text for the TTS voices: a small phrase-structure
generator (questions, commands, statements, numbers, names) mixed with plain
sentences taken from the licence texts in /usr/share/common-licenses (every
Debian system has them; base-files)."""
import glob
import re

import numpy as np

NAMES = ["Alice", "Bob", "Carmen", "Dmitri", "Eve", "Farid", "Grace", "Hiro",
         "Ingrid", "Jamal", "Keiko", "Liam", "Maya", "Nikhil", "Olga", "Pedro",
         "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe"]
PLACES = ["the kitchen", "the station", "the office", "the market", "the garden",
          "the library", "the harbour", "the airport", "the hospital", "the bakery",
          "the museum", "the old bridge", "the school", "the river bank", "the hotel",
          "the car park", "the hill", "the factory", "the beach", "the village hall"]
NOUNS = ["report", "bicycle", "window", "letter", "camera", "kettle", "ticket",
         "guitar", "umbrella", "ladder", "blanket", "engine", "notebook", "parcel",
         "lantern", "violin", "compass", "basket", "printer", "sandwich", "map",
         "battery", "jacket", "carpet", "microphone", "telescope", "bucket", "key"]
ADJS = ["red", "heavy", "broken", "quiet", "bright", "old", "tiny", "wooden",
        "famous", "strange", "wet", "expensive", "green", "enormous", "fragile",
        "square", "noisy", "clean", "rusty", "golden", "soft", "empty", "warm"]
VERBS_T = [("bring", "brought"), ("find", "found"), ("fix", "fixed"),
           ("paint", "painted"), ("carry", "carried"), ("sell", "sold"),
           ("open", "opened"), ("check", "checked"), ("wrap", "wrapped"),
           ("borrow", "borrowed"), ("move", "moved"), ("clean", "cleaned"),
           ("measure", "measured"), ("return", "returned"), ("hide", "hid")]
VERBS_I = [("arrive", "arrived"), ("wait", "waited"), ("laugh", "laughed"),
           ("sleep", "slept"), ("travel", "travelled"), ("complain", "complained"),
           ("sing", "sang"), ("work", "worked"), ("listen", "listened")]
TIMES = ["this morning", "yesterday", "on Tuesday", "last winter", "at noon",
         "after lunch", "before the meeting", "every Friday", "tonight",
         "in the spring", "at half past seven", "next week", "once a month"]
ADVS = ["slowly", "carefully", "quickly", "quietly", "suddenly", "happily",
        "again", "nearly", "almost", "never", "always", "probably"]
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
        "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
        "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
        "eighty", "ninety"]


def number_words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    rest = n % 1000
    return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def _pick(rng, xs):
    return xs[int(rng.integers(len(xs)))]


def _np(rng):
    """A noun phrase."""
    r = rng.random()
    if r < 0.15:
        return _pick(rng, NAMES)
    det = _pick(rng, ["the", "a", "my", "your", "that", "every", "her", "our"])
    if det == "a" and rng.random() < 0.5:
        adj = _pick(rng, ADJS)
        det = "an" if adj[0] in "aeiou" else "a"
        return "%s %s %s" % (det, adj, _pick(rng, NOUNS))
    noun = _pick(rng, NOUNS)
    if det == "a" and noun[0] in "aeiou":
        det = "an"
    if rng.random() < 0.4 and det != "a" and det != "an":
        return "%s %s %s" % (det, _pick(rng, ADJS), noun)
    return "%s %s" % (det, noun)


def generated_sentence(rng):
    kind = int(rng.integers(8))
    who = _pick(rng, NAMES)
    if kind == 0:
        v = _pick(rng, VERBS_T)
        s = "%s %s %s %s %s" % (who, v[1], _np(rng), "to" if rng.random() < .5 else "from",
                                _pick(rng, PLACES))
    elif kind == 1:
        s = "Did %s %s %s %s?" % (who, _pick(rng, VERBS_T)[0], _np(rng), _pick(rng, TIMES))
    elif kind == 2:
        s = "Please %s %s before you leave %s" % (_pick(rng, VERBS_T)[0], _np(rng),
                                                 _pick(rng, PLACES))
    elif kind == 3:
        n = int(rng.integers(2, 9999))
        s = "There were %s %ss in %s %s" % (number_words(n), _pick(rng, NOUNS),
                                            _pick(rng, PLACES), _pick(rng, TIMES))
    elif kind == 4:
        v = _pick(rng, VERBS_I)
        s = "%s %s %s because %s was %s" % (who, _pick(rng, ADVS), v[1], _np(rng),
                                            _pick(rng, ADJS))
    elif kind == 5:
        h, m = int(rng.integers(1, 13)), int(rng.integers(0, 60))
        mm = "o'clock" if m == 0 else ("oh " + ONES[m] if m < 10 else number_words(m))
        s = "The train to %s leaves at %s %s from platform %s" % (
            _pick(rng, ["Leeds", "Boston", "Lyon", "Osaka", "Perth", "Denver", "Cork",
                        "Austin", "Bergen", "Quebec"]), number_words(h), mm,
            number_words(int(rng.integers(1, 15))))
    elif kind == 6:
        s = "Why is %s so %s %s?" % (_np(rng), _pick(rng, ADJS), _pick(rng, TIMES))
    else:
        s = "%s said that %s %s %s" % (who, _np(rng), _pick(rng, ["was", "is", "seems",
                                                                 "looked"]),
                                       _pick(rng, ADJS))
    s = s[0].upper() + s[1:]
    return s if s[-1] in "?." else s + "."


def licence_sentences():
    """Plain-prose sentences of 6-30 words from the common licences, in a
    fixed order (sorted files, document order), duplicates dropped."""
    seen, out = set(), []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        text = re.sub(r"\s+", " ", text)
        for s in re.split(r"(?<=[.!?])\s+", text):
            s = s.strip()
            words = s.split()
            if not 6 <= len(words) <= 30:
                continue
            # Skip headings, URLs, numbered clauses and shouting.
            if re.search(r"https?:|www\.|<|>|@|\{|\}|_{2,}|\(c\)|\d\.\d", s, re.I):
                continue
            if sum(c.isupper() for c in s) > 0.3 * sum(c.isalpha() for c in s):
                continue
            if not re.match(r"^[A-Z][a-z]", s) or s[-1] not in ".?!":
                continue
            if s.lower() in seen:
                continue
            seen.add(s.lower())
            out.append(s)
    return out


def make_texts(rng, n, licence_share=0.35):
    """n utterance texts; each is one or two sentences."""
    lic = licence_sentences()
    out = []
    for _ in range(n):
        if lic and rng.random() < licence_share:
            out.append(_pick(rng, lic))
        else:
            k = 1 if rng.random() < 0.6 else 2
            out.append(" ".join(generated_sentence(rng) for _ in range(k)))
    return out


if __name__ == "__main__":
    g = np.random.default_rng(0)
    for t in make_texts(g, 12):
        print(t)
    print(len(licence_sentences()), "licence sentences")
