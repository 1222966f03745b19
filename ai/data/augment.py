"""Training-time augmentation for Parley's audio models, importable by the
trainers: noise at a target SNR (re the P.56 active speech level), gain, random
biquad EQ, band-limiting, synthetic room impulse responses, clipping, and
packet-loss traces (Bernoulli, Gilbert-Elliott). numpy only; every random draw
comes from the numpy Generator the caller passes, so a seed fixes the output.

    import augment as A
    rng = np.random.default_rng(7)
    ex = A.degrade(rng, clean, noise, 48000)   # dict: clean, target, noisy, ...
"""
import numpy as np

from common import active_level, rms_db

# ------------------------------------------------------------------- SNR


def snr_db(speech, noise, rate):
    """SNR as Parley measures it: P.56 active level of the speech minus the
    plain power of the noise over the same span (both dB)."""
    return active_level(speech, rate)[0] - rms_db(noise)


def fit_noise(rng, noise, n):
    """A random n-sample stretch of `noise`, looped when it is too short."""
    noise = np.asarray(noise, dtype=np.float64)
    if len(noise) == 0:
        raise ValueError("empty noise")
    if len(noise) < n:
        reps = -(-n // len(noise)) + 1
        noise = np.tile(noise, reps)
    off = int(rng.integers(0, len(noise) - n + 1))
    return noise[off:off + n]


def mix_at_snr(speech, noise, snr, rate, rng=None):
    """speech + noise scaled so snr_db(speech, noise) == snr. The noise must
    be as long as the speech unless rng is given, in which case a random
    stretch is taken. Returns (mix, scaled_noise)."""
    speech = np.asarray(speech, dtype=np.float64)
    if rng is not None:
        noise = fit_noise(rng, noise, len(speech))
    noise = np.asarray(noise, dtype=np.float64)
    if len(noise) != len(speech):
        raise ValueError("noise length %d != speech length %d" % (len(noise), len(speech)))
    s_db = active_level(speech, rate)[0]
    n_db = rms_db(noise)
    if not (np.isfinite(s_db) and np.isfinite(n_db)):
        raise ValueError("silent speech or noise")
    noise = noise * 10 ** ((s_db - snr - n_db) / 20)
    return speech + noise, noise


def random_gain(rng, x, lo_db=-12.0, hi_db=6.0):
    g = float(rng.uniform(lo_db, hi_db))
    return x * 10 ** (g / 20), g

# ---------------------------------------------------------------- filters


def biquad(kind, f0, rate, q=0.707, gain_db=0.0):
    """RBJ Audio-EQ-Cookbook biquad: returns (b[3], a[3]) with a[0] == 1.
    kind: lowpass, highpass, bandpass, notch, peak, lowshelf, highshelf."""
    w = 2 * np.pi * f0 / rate
    cw, sw = np.cos(w), np.sin(w)
    alpha = sw / (2 * q)
    A = 10 ** (gain_db / 40)
    if kind == "lowpass":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "highpass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "bandpass":
        b = [alpha, 0.0, -alpha]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "notch":
        b = [1.0, -2 * cw, 1.0]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "peak":
        b = [1 + alpha * A, -2 * cw, 1 - alpha * A]
        a = [1 + alpha / A, -2 * cw, 1 - alpha / A]
    elif kind in ("lowshelf", "highshelf"):
        sq = 2 * np.sqrt(A) * alpha
        s = 1 if kind == "lowshelf" else -1
        b = [A * ((A + 1) - s * (A - 1) * cw + sq), s * 2 * A * ((A - 1) - s * (A + 1) * cw),
             A * ((A + 1) - s * (A - 1) * cw - sq)]
        a = [(A + 1) + s * (A - 1) * cw + sq, -s * 2 * ((A - 1) + s * (A + 1) * cw),
             (A + 1) + s * (A - 1) * cw - sq]
    else:
        raise ValueError(kind)
    b, a = np.array(b, dtype=np.float64), np.array(a, dtype=np.float64)
    return b / a[0], a / a[0]


def freq_response(sections, freqs, rate):
    """Complex response of cascaded biquads at `freqs` (Hz)."""
    z = np.exp(-1j * 2 * np.pi * np.asarray(freqs, dtype=np.float64) / rate)
    h = np.ones(len(z), dtype=np.complex128)
    for b, a in sections:
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return h


def apply_biquads(x, sections, rate=48000):
    """Causal IIR filtering of x by cascaded biquads, computed as a product of
    the exact frequency responses on an FFT grid long enough for the impulse
    response to decay below -160 dB, so it equals direct-form filtering to
    within float rounding without a Python loop over samples."""
    x = np.asarray(x, dtype=np.float64)
    tail = 0
    for _, a in sections:
        r = float(np.max(np.abs(np.roots(a)))) if np.any(a[1:]) else 0.0
        if r >= 1.0:
            raise ValueError("unstable biquad")
        if r > 0:
            tail += int(np.ceil(np.log(1e-8) / np.log(r)))
    nfft = 1 << (len(x) + tail + 8).bit_length()
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    y = np.fft.irfft(np.fft.rfft(x, nfft) * freq_response(sections, freqs, rate), nfft)
    return y[:len(x)]


def random_eq(rng, rate, n_lo=1, n_hi=4):
    """1-4 random sections: peaks/shelves of +-10 dB, sometimes a high-pass
    (cheap microphone) or low-pass (muffled)."""
    secs = []
    for _ in range(int(rng.integers(n_lo, n_hi + 1))):
        k = ["peak", "peak", "lowshelf", "highshelf", "highpass", "lowpass"][int(rng.integers(6))]
        if k == "peak":
            secs.append(biquad(k, float(np.exp(rng.uniform(np.log(100), np.log(8000)))), rate,
                               q=float(rng.uniform(0.5, 4)), gain_db=float(rng.uniform(-10, 10))))
        elif k == "lowshelf":
            secs.append(biquad(k, float(rng.uniform(80, 500)), rate, gain_db=float(rng.uniform(-10, 10))))
        elif k == "highshelf":
            secs.append(biquad(k, float(rng.uniform(2000, 10000)), rate,
                               gain_db=float(rng.uniform(-10, 10))))
        elif k == "highpass":
            secs.append(biquad(k, float(rng.uniform(50, 300)), rate, q=float(rng.uniform(0.5, 1))))
        else:
            secs.append(biquad(k, float(rng.uniform(3000, min(16000, rate * 0.45))), rate,
                               q=float(rng.uniform(0.5, 1))))
    return secs


def band_limit(x, rate, cutoff_hz, transition_hz=None, highpass_hz=0.0):
    """Zero-phase low-pass (and optional high-pass) with a raised-cosine edge,
    as a codec or a narrowband call would leave the speech: e.g. cutoff 4000
    for 8 kHz telephone speech, 8000 for 16 kHz wideband."""
    x = np.asarray(x, dtype=np.float64)
    if transition_hz is None:
        transition_hz = 0.05 * cutoff_hz
    nfft = 1 << (len(x) + int(rate * 0.05)).bit_length()
    f = np.fft.rfftfreq(nfft, 1.0 / rate)
    lo_edge = cutoff_hz - transition_hz
    g = np.clip((cutoff_hz - f) / transition_hz, 0, 1)
    g = np.where(f <= lo_edge, 1.0, 0.5 - 0.5 * np.cos(np.pi * g))
    if highpass_hz > 0:
        t = 0.5 * highpass_hz
        h = np.clip((f - (highpass_hz - t)) / t, 0, 1)
        g = g * (0.5 - 0.5 * np.cos(np.pi * h))
    return np.fft.irfft(np.fft.rfft(x, nfft) * g, nfft)[:len(x)]

# --------------------------------------------------------- reverberation


def synth_rir(rng, rate, rt60, drr_db=None, predelay_s=0.0, length_s=None,
              early_taps=6):
    """Room impulse response: a direct impulse, a few sparse early reflections
    and a Gaussian-noise tail whose envelope decays 60 dB in rt60 seconds.
    drr_db is the direct-to-reverberant energy ratio (random 0..12 dB if None)."""
    if length_s is None:
        length_s = 1.2 * rt60 + predelay_s + 0.02
    n = int(round(length_s * rate))
    t0 = int(round(predelay_s * rate))
    t = np.arange(n - t0) / rate
    env = np.exp(-3 * np.log(10) * t / rt60)  # amplitude: -60 dB at t = rt60
    tail = rng.standard_normal(n - t0) * env
    tail[0] = 0.0
    for _ in range(early_taps):  # discrete reflections ride the same envelope
        k = int(rng.integers(int(0.002 * rate), int(0.05 * rate)))
        if k < len(tail):
            tail[k] += float(rng.choice([-1, 1])) * 3 * env[k]
    if drr_db is None:
        drr_db = float(rng.uniform(0, 12))
    h = np.zeros(n)
    h[t0:] = tail
    h[t0] = np.sqrt(np.sum(tail ** 2) * 10 ** (drr_db / 10))
    return h / np.max(np.abs(h))


def rt60_schroeder(h, rate, lo_db=-5.0, hi_db=-25.0):
    """RT60 from Schroeder backward integration: line fit of the energy decay
    curve between lo_db and hi_db (T20 by default), extrapolated to -60 dB."""
    e = np.cumsum((np.asarray(h, dtype=np.float64) ** 2)[::-1])[::-1]
    edc = 10 * np.log10(e / e[0] + 1e-300)
    i = np.nonzero((edc <= lo_db) & (edc >= hi_db))[0]
    if len(i) < 2:
        raise ValueError("decay does not span %g..%g dB" % (lo_db, hi_db))
    slope, _ = np.polyfit(i / rate, edc[i], 1)
    return -60.0 / slope


def convolve(x, h):
    n = len(x) + len(h) - 1
    nfft = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[:len(x)]


def reverberate(x, h, rate, early_ms=50.0):
    """Returns (reverberant, early): x through the whole RIR, and through its
    direct path + first early_ms only (the usual dereverberation target);
    both aligned to the direct path."""
    d = int(np.argmax(np.abs(h)))
    h = h[d:]
    e = h.copy()
    e[int(early_ms * 1e-3 * rate):] = 0.0
    return convolve(x, h), convolve(x, e)

# -------------------------------------------------------------- clipping


def clip(x, level):
    """Hard clipping at +-level (a saturated ADC or a hot analogue gain)."""
    return np.clip(x, -level, level)


def soft_clip(x, drive_db):
    g = 10 ** (drive_db / 20)
    return np.tanh(g * x) / np.tanh(g)

# ----------------------------------------------------------- packet loss


def random_loss(rng, n, rate):
    """Independent (Bernoulli) loss: True = packet lost."""
    return rng.random(n) < rate


def gilbert_elliott(rng, n, p, r, loss_good=0.0, loss_bad=1.0):
    """Gilbert-Elliott loss trace of n packets. p = P(good -> bad),
    r = P(bad -> good) per packet; a packet is lost with loss_good / loss_bad
    in each state. The first state is drawn from the stationary distribution.
    Sojourns are geometric, so the trace is built from run lengths."""
    if not (0 < p <= 1 and 0 < r <= 1):
        raise ValueError("p and r must be in (0, 1]")
    state = rng.random() < p / (p + r)  # True = bad
    runs, states, total = [], [], 0
    while total < n:
        m = max(16, int(2 * n * min(p, r) + 16))
        good = rng.geometric(p, m)
        bad = rng.geometric(r, m)
        seq = np.empty(2 * m, dtype=np.int64)
        first, second = (bad, good) if state else (good, bad)
        seq[0::2], seq[1::2] = first, second
        st = np.empty(2 * m, dtype=bool)
        st[0::2], st[1::2] = state, not state
        runs.append(seq)
        states.append(st)
        total += int(seq.sum())
    bad_mask = np.repeat(np.concatenate(states), np.concatenate(runs))[:n]
    u = rng.random(n)
    return np.where(bad_mask, u < loss_bad, u < loss_good)


def ge_params(loss_rate, mean_burst):
    """(p, r) of the two-state model (loss_bad=1, loss_good=0) with the given
    average loss rate and mean loss-burst length (packets)."""
    if not (0 < loss_rate < 1 and mean_burst >= 1):
        raise ValueError("need 0 < loss_rate < 1 and mean_burst >= 1")
    r = 1.0 / mean_burst
    return loss_rate * r / (1 - loss_rate), r


def ge_loss_rate(p, r, loss_good=0.0, loss_bad=1.0):
    return (p * loss_bad + r * loss_good) / (p + r)


def loss_stats(mask):
    """(loss rate, mean burst length, number of bursts) of a loss mask."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return 0.0, 0.0, 0
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    return float(m.mean()), float(np.mean(ends - starts)), int(len(starts))


def random_loss_trace(rng, n):
    """A loss trace drawn the way the concealment trainer wants them: half
    Bernoulli, half bursty; 1-30 % loss, bursts of 1-6 packets."""
    rate = float(rng.uniform(0.01, 0.3))
    if rng.random() < 0.5:
        return random_loss(rng, n, rate)
    p, r = ge_params(rate, float(rng.uniform(1.0, 6.0)))
    return gilbert_elliott(rng, n, min(p, 1.0), r)

# ------------------------------------------------------------- the chain


def degrade(rng, clean, noise, rate, snr_range=(-5.0, 25.0), p_reverb=0.5,
            rt60_range=(0.15, 1.0), p_eq=0.5, p_bandlimit=0.2, p_clip=0.1,
            gain_range=(-12.0, 6.0)):
    """One noise-suppression training example. Returns a dict with
    'target' (what the model should output: the clean speech, through the
    early part of the room and the EQ, at the final gain), 'noisy' (its input)
    and the parameters drawn, so a trainer can log them."""
    x = np.asarray(clean, dtype=np.float64)
    info = {}
    if rng.random() < p_eq:
        secs = random_eq(rng, rate)
        x = apply_biquads(x, secs, rate)
        info["eq_sections"] = len(secs)
    target = x
    wet = x
    if rng.random() < p_reverb:
        rt60 = float(rng.uniform(*rt60_range))
        wet, target = reverberate(x, synth_rir(rng, rate, rt60), rate)
        info["rt60"] = rt60
    snr = float(rng.uniform(*snr_range))
    noisy, _ = mix_at_snr(wet, noise, snr, rate, rng=rng)
    info["snr_db"] = snr
    if rng.random() < p_bandlimit:
        fc = float(rng.choice([4000.0, 8000.0, 12000.0]))
        noisy = band_limit(noisy, rate, fc)
        info["band_limit_hz"] = fc
    g = 10 ** (float(rng.uniform(*gain_range)) / 20)
    noisy, target = noisy * g, target * g
    if rng.random() < p_clip:
        lvl = float(rng.uniform(0.1, 0.6)) * float(np.max(np.abs(noisy)) or 1.0)
        noisy = clip(noisy, lvl)
        info["clip_level"] = lvl
    info["gain_db"] = 20 * np.log10(g)
    return {"clean": np.asarray(clean, dtype=np.float64), "target": target,
            "noisy": noisy, "info": info}
