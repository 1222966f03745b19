"""Signal processing of the neural packet-loss concealer, the numpy twin of
ai/plc/dsp.c: per-frame band log-energies from a 48 kHz signal (what the
model reads and predicts), the voicing target, and the reference
concealment synthesis (16 kHz LPC + pitch excitation, upsampled) used to
choose the design. Float64; C matches the features to ~1e-5."""
import numpy as np

RATE = 48000
HOP = 480            # 10 ms frame at 48 kHz
WIN = 960            # 20 ms analysis window (the frame and the one before)
NFFT = 1024
NBINS = NFFT // 2 + 1
# Triangular bands centred on these frequencies (Hz); the first 18 follow
# the 0-8 kHz layout of LPCNet/Opus, the last three cover the band above.
BAND_HZ = (0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 2000, 2400, 2800, 3200,
           4000, 4800, 5600, 6800, 8000, 10000, 12000, 16000, 24000)
NB = len(BAND_HZ)
NB_LOW = 18          # bands up to 8 kHz: these drive the 16 kHz synthesis
LOG_FLOOR = 1e-5     # added to band energies before log10 (about -80 dBFS noise)

SR16 = 16000
FRAME16 = 160
LPC_ORDER = 16
PMIN16, PMAX16 = 32, 256   # pitch lags at 16 kHz (62.5 .. 500 Hz)
DEC_TAPS = 145             # 48 -> 16 kHz low-pass (Blackman-windowed sinc)
DEC_CUT = 7400.0


def hann(n):
    """Periodic Hann window: overlapping copies at n/2 sum to one."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def band_weights():
    """[NB, NBINS] triangular weights; every bin's weights sum to one."""
    f = np.arange(NBINS) * RATE / NFFT
    w = np.zeros((NB, NBINS))
    for b, c in enumerate(BAND_HZ):
        if b > 0:
            lo = BAND_HZ[b - 1]
            m = (f >= lo) & (f <= c)
            w[b, m] = (f[m] - lo) / (c - lo)
        if b < NB - 1:
            hi = BAND_HZ[b + 1]
            m = (f >= c) & (f < hi)
            w[b, m] = (hi - f[m]) / (hi - c)
        w[b, f == c] = 1.0
    return w


W_BANDS = band_weights()
WINDOW = hann(WIN)


def frame_energies(x, end):
    """Band energies of the window x[end-WIN:end] (zero before the start)."""
    seg = np.zeros(WIN)
    lo = end - WIN
    s = x[max(lo, 0):end]
    seg[WIN - len(s):] = s
    spec = np.fft.rfft(seg * WINDOW, NFFT)
    return W_BANDS @ (spec.real ** 2 + spec.imag ** 2)


def features(x):
    """Log10 band energies of every 10 ms frame of a 48 kHz signal: row t
    describes the window ending at (t+1)*HOP. [T, NB]."""
    x = np.asarray(x, dtype=np.float64)
    T = len(x) // HOP
    if T == 0:
        return np.zeros((0, NB))
    # All windows at once: [T, WIN] with the first one zero-padded.
    pad = np.concatenate([np.zeros(WIN - HOP), x[:T * HOP]])
    idx = np.arange(T)[:, None] * HOP + np.arange(WIN)[None, :]
    spec = np.fft.rfft(pad[idx] * WINDOW, NFFT, axis=1)
    e = (spec.real ** 2 + spec.imag ** 2) @ W_BANDS.T
    return np.log10(e + LOG_FLOOR)


def power_per_sample(e_total):
    """Mean power per sample of a stationary signal whose window has total
    (half-spectrum) energy e_total, by Parseval."""
    return 2.0 * e_total / (NFFT * np.sum(WINDOW ** 2))


# ---- 16 kHz domain ----------------------------------------------------

def lowpass_taps():
    n = np.arange(DEC_TAPS) - (DEC_TAPS - 1) / 2
    fc = DEC_CUT / RATE
    h = 2 * fc * np.sinc(2 * fc * n)
    win = 0.42 - 0.5 * np.cos(2 * np.pi * np.arange(DEC_TAPS) / (DEC_TAPS - 1)) \
        + 0.08 * np.cos(4 * np.pi * np.arange(DEC_TAPS) / (DEC_TAPS - 1))
    h = h * win
    return h / h.sum()


H_LP = lowpass_taps()
DEC_DELAY = (DEC_TAPS - 1) // 2   # 72 samples at 48 kHz


def decimate(x48):
    """16 kHz sample j sits at 48 kHz sample 3j (zero-phase)."""
    y = np.convolve(np.asarray(x48, np.float64), H_LP)[DEC_DELAY:DEC_DELAY + len(x48)]
    return y[::3]


def upsample(x16, n48):
    """48 kHz sample 3j + r from the 16 kHz samples around j (zero-phase)."""
    z = np.zeros(len(x16) * 3)
    z[::3] = x16
    y = np.convolve(z, 3 * H_LP)[DEC_DELAY:DEC_DELAY + len(z)]
    return y[:n48]


def pitch_corr(x16, end, win=FRAME16 * 2, pmin=PMIN16, pmax=PMAX16):
    """(lag, normalised correlation) maximising the correlation of
    x16[end-win:end] with itself lag samples earlier."""
    a = x16[end - win:end]
    ea = a @ a
    best, bl = -1.0, pmin
    for lag in range(pmin, pmax + 1):
        b = x16[end - win - lag:end - lag]
        c = (a @ b) / np.sqrt(ea * (b @ b) + 1e-12)
        if c > best:
            best, bl = c, lag
    return bl, best


def voicing(x48, chunk=2048):
    """Voicing target per 10 ms frame: the best normalised pitch correlation
    (clipped to [0, 1]) of the 20 ms window ending with the frame, at 16 kHz
    (pitch_corr, vectorised). Frames without a full look-back are 0. [T]."""
    x16 = decimate(x48)
    T = len(x48) // HOP
    v = np.zeros(T)
    win, lags = 2 * FRAME16, np.arange(PMIN16, PMAX16 + 1)
    span = win + PMAX16
    ts = np.array([t for t in range(T) if (t + 1) * FRAME16 - span >= 0], dtype=np.int64)
    if len(ts) == 0:
        return v
    c2 = np.concatenate([[0.0], np.cumsum(x16 * x16)])
    n = 1024
    for i in range(0, len(ts), chunk):
        tt = ts[i:i + chunk]
        ends = (tt + 1) * FRAME16
        seg = x16[(ends - span)[:, None] + np.arange(span)[None, :]]   # [B, span]
        a = seg[:, PMAX16:]                                           # the window
        # xc[lag] = sum a[n] * seg[PMAX16 - lag + n]
        fa = np.fft.rfft(a, n, axis=1)
        fs = np.fft.rfft(seg, n, axis=1)
        xc = np.fft.irfft(fs * np.conj(fa), n, axis=1)[:, PMAX16 - lags]
        ea = c2[ends[:, None]] - c2[ends[:, None] - win]
        eb = c2[ends[:, None] - lags[None, :]] - c2[ends[:, None] - lags[None, :] - win]
        c = xc / np.sqrt(ea * eb + 1e-12)
        v[tt] = np.clip(c.max(axis=1), 0.0, 1.0)
    return v


def levinson(r, order):
    """LPC a[1..order] (A(z) = 1 + sum a_k z^-k) and the prediction error."""
    a = np.zeros(order + 1)
    a[0] = 1.0
    err = r[0]
    for i in range(1, order + 1):
        if err <= 0:
            break
        k = -(r[i] + a[1:i] @ r[i - 1:0:-1]) / err
        a[1:i] = a[1:i] + k * a[i - 1:0:-1]
        a[i] = k
        err *= 1 - k * k
    return a, err


LAG_WIN = np.exp(-0.5 * (2 * np.pi * 60.0 * np.arange(LPC_ORDER + 1) / SR16) ** 2)


def lpc_from_bands(logE):
    """LPC of the 0-8 kHz envelope given by band log-energies (48 kHz
    analysis), and the per-sample excitation power that reproduces it."""
    e = 10.0 ** np.asarray(logE[:NB_LOW], np.float64) - LOG_FLOOR
    e = np.maximum(e, 0.0)
    # Energy per bin inside 0..8 kHz, spread back over each band's bins.
    wl = W_BANDS[:NB_LOW, :NFFT // 6 + 1]           # bins up to 8 kHz
    dens = (e / np.maximum(W_BANDS[:NB_LOW].sum(1), 1e-9)) @ wl   # per 48k bin
    # On the 16 kHz axis those bins are the whole half spectrum.
    full = np.concatenate([dens, dens[-2:0:-1]])
    r = np.fft.ifft(full).real[:LPC_ORDER + 1]
    # Scale so r[0] is the per-sample power of the 0-8 kHz part.
    r = r * (power_per_sample(dens.sum()) / max(r[0], 1e-30))
    r = r * LAG_WIN
    r[0] *= 1.0001
    r[0] += 1e-12
    return levinson(r, LPC_ORDER)


def lpc_analysis(x):
    """LPC of a 16 kHz segment (Hann-windowed autocorrelation)."""
    w = x * hann(len(x))
    r = np.array([w[:len(w) - k] @ w[k:] for k in range(LPC_ORDER + 1)])
    r = r * LAG_WIN
    r[0] = r[0] * 1.0001 + 1e-12
    return levinson(r, LPC_ORDER)
