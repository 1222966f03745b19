"""Signal processing of the bandwidth extender, the numpy twin of
ai/extend/dsp.c: band log-energies of 20 ms windows (what the model reads
and predicts), the excitation copied up from the existing band, the
synthesis of the added band, and the spectral-folding baseline. Float64;
the C side matches to float precision (tests/extend/test_extend_parity.py).

Framing: 10 ms hop, 20 ms Vorbis power-complementary window (the noise
suppressor's), 960-point FFT, 50 Hz bins. The added band of a frame is
complete once the next window has been overlap-added, so the stage plays
the input and its added band together 10 ms late. The existing band's
samples are never changed (out = in + high band)."""
import numpy as np

RATE = 48000
HOP = 480
WIN = 960
NBIN = WIN // 2 + 1          # 481 bins of 50 Hz
BIN_HZ = RATE // WIN         # 50
BAND_BINS = 10               # triangular bands every 500 Hz, 1 kHz wide
NB = 49                      # centres 0, 500, ..., 24000 Hz
IN_BANDS = 16                # model input: bands centred 0 .. 7500 Hz
OUT_LO = 8                   # model output: bands 8 .. 40 (4 .. 20 kHz)
OUT_HI = 40
OUT_BANDS = OUT_HI - OUT_LO + 1
TOP_BIN = 400                # nothing is generated above 20 kHz
TOP_RAMP = 20                # ... faded out over 19-20 kHz
XOVER_RAMP = 10              # crossover: faded in over fc .. fc + 500 Hz
EXC_MARGIN = 10              # source band ends 500 Hz below the cutoff
E_FLOOR = 1e-12              # added to mean bin power before log10
REL_MAX = 1.0                # predicted band at most 10 dB over the low band's mean
N_IN = IN_BANDS + 2          # + reference level, cutoff/8000
CUTOFFS = (4000, 6000, 8000)


def window():
    n = np.arange(WIN)
    s = np.sin(np.pi * (n + 0.5) / WIN)
    return np.sin(0.5 * np.pi * s * s)


WINDOW = window()


def tri_weights():
    """[NB, NBIN]: triangle of band b is 1 at bin 10 b, 0 at +-10 bins;
    every bin's weights sum to one."""
    k = np.arange(NBIN)
    w = np.zeros((NB, NBIN))
    for b in range(NB):
        w[b] = np.maximum(0.0, 1.0 - np.abs(k - BAND_BINS * b) / BAND_BINS)
    return w


TRI = tri_weights()
TRI_SUM = TRI.sum(1)


def usable_bands(fc):
    """Input bands whose whole triangle lies 500 Hz or more under the cutoff
    (a codec's low-pass starts rolling off before its nominal band edge)."""
    return int(min(IN_BANDS, (fc - 1000) // 500 + 1))


def cutoff_bin(fc):
    return int(fc) // BIN_HZ


def stft(x):
    """Windows ending at HOP, 2 HOP, ... (zeros before the start): [T, NBIN]
    complex, T = len(x) // HOP."""
    T = len(x) // HOP
    pad = np.concatenate([np.zeros(HOP), np.asarray(x, np.float64)[:T * HOP]])
    idx = np.arange(T)[:, None] * HOP + np.arange(WIN)[None, :]
    return np.fft.rfft(pad[idx] * WINDOW, axis=1)


def band_energy(X):
    """Mean power per bin of each triangular band: [..., NB]."""
    P = np.abs(X) ** 2
    return P @ TRI.T / TRI_SUM


def log_energy(X):
    return np.log10(band_energy(X) + E_FLOOR)


def features(logE, fc):
    """Model input from the band-limited signal's band log-energies
    [T, >= IN_BANDS]: the usable bands relative to their mean level, the
    level itself, the cutoff. Returns (x [T, N_IN], ref [T])."""
    nu = usable_bands(fc)
    E = 10.0 ** logE[:, :nu] - E_FLOOR
    ref = np.log10(np.maximum(E, 0).mean(1) + E_FLOOR)
    x = np.zeros((len(logE), N_IN))
    x[:, :nu] = logE[:, :nu] - ref[:, None]
    x[:, IN_BANDS] = ref
    x[:, IN_BANDS + 1] = fc / 8000.0
    return x, ref


def excitation(X, fc):
    """The existing band copied up: bin k >= kc gets the bin k - m, with
    m = L + d + j L (source band [kc - d - L, kc - d), L = kc / 2, d = 500 Hz,
    j = 0, 1, ...). m is even, so with a 480-sample hop the copy's phase
    continues from frame to frame (a shift by m bins is a modulation by
    m * 50 Hz, which turns by pi m per hop)."""
    kc = cutoff_bin(fc)
    L = kc // 2
    ks = kc - EXC_MARGIN - L
    E = np.zeros_like(X)
    k = np.arange(kc, TOP_BIN + 1)
    src = ks + (k - kc) % L
    E[..., kc:TOP_BIN + 1] = X[..., src]
    return E


def crossover_ramp(fc):
    """Per-bin weight of the added band: 0 below kc, raised cosine over
    kc .. kc + 10, 1 up to 19 kHz, raised cosine down to 0 at 20 kHz."""
    kc = cutoff_bin(fc)
    r = np.zeros(NBIN)
    k = np.arange(NBIN)
    up = np.clip((k - kc + 0.5) / XOVER_RAMP, 0, 1)
    down = np.clip((TOP_BIN - k) / TOP_RAMP, 0, 1)
    r = (0.5 - 0.5 * np.cos(np.pi * up)) * (0.5 - 0.5 * np.cos(np.pi * down))
    r[:kc] = 0.0
    return r


def shape(E, pred_log, ref, fc):
    """Scales the excitation E [T, NBIN] so that its bands b >= fc/500 (up to
    40) have the predicted mean bin power 10^pred_log [T, OUT_BANDS]; gains
    interpolated between band centres by the triangles."""
    kc = cutoff_bin(fc)
    b0 = kc // BAND_BINS
    P = np.abs(E) ** 2
    k = np.arange(NBIN)
    have = (k >= kc) & (k <= TOP_BIN)
    Wb = TRI * have[None, :]
    Ee = (P @ Wb.T) / np.maximum(Wb.sum(1), 1e-9)            # [T, NB]
    lp = np.minimum(pred_log, ref[:, None] + REL_MAX)
    G = np.zeros_like(P)
    for b in range(b0, OUT_HI + 1):
        g = np.sqrt(10.0 ** lp[:, b - OUT_LO] / (Ee[:, b] + 1e-20))
        g = np.where(Ee[:, b] > 0, g, 0.0)
        G += g[:, None] * TRI[b][None, :]
    return E * G * crossover_ramp(fc)[None, :]


def overlap_add(Y, n):
    """Windowed inverse transforms overlap-added at the input's own time:
    window t spans input [t HOP - HOP, t HOP + HOP). The stage plays the
    input and this band together one frame (10 ms) late, when the overlap
    is complete. Returns n samples."""
    T = Y.shape[0]
    out = np.zeros((T + 2) * HOP)
    y = np.fft.irfft(Y, WIN, axis=1) * WINDOW
    for t in range(T):
        s = t * HOP
        out[s:s + WIN] += y[t]
    return out[HOP:HOP + n]


def fold(x, fc, gain_db):
    """Spectral folding, the baseline: the band under fc mirrored above it by
    modulation, x * 2 cos(2 pi 2 fc n / fs) (the lower image is the mirror
    over fc..2 fc, the upper one the band again over 2 fc..3 fc), then the
    next pair from 4 fc, ..., up to 24 kHz, at a fixed level. Sample by
    sample, no delay. The input must be band-limited to fc."""
    x = np.asarray(x, np.float64)
    n = np.arange(len(x))
    y = np.zeros_like(x)
    j = 1
    while (2 * j - 1) * fc < RATE / 2:
        a = 1.0 if 2 * j * fc == RATE // 2 else 2.0   # at fs/2 both images land on one
        y += a * np.cos(2 * np.pi * (2 * j * fc) * (n % RATE) / RATE) * x
        j += 1
    return x + 10.0 ** (gain_db / 20.0) * y
