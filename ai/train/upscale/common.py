"""What the super-resolution trainer and its C twin (ai/upscale) must agree
on: the bicubic base the network adds its residual to, and the network.

The base is Keys' cubic convolution (a = -0.5, the kernel of libyuv-free
"bicubic" in most image tools), pixel centres aligned (src = (dst + 0.5) /
scale - 0.5), edge pixels repeated. It is written as two small matrices per
size so that the trainer's base is exactly the C code's, up to float
rounding.
"""
import math

import numpy as np
import torch
from torch import nn

A = -0.5


def cubic(t):
    t = abs(t)
    if t <= 1:
        return (A + 2) * t ** 3 - (A + 3) * t ** 2 + 1
    if t < 2:
        return A * t ** 3 - 5 * A * t ** 2 + 8 * A * t - 4 * A
    return 0.0


def taps(n_in, n_out):
    """For each output index: (first source index, 4 weights) as the C code
    computes them (ai/upscale/bicubic.c): indices clamped at the edges."""
    out = []
    for o in range(n_out):
        src = (o + 0.5) * n_in / n_out - 0.5
        i0 = math.floor(src)
        f = src - i0
        w = [cubic(f + 1), cubic(f), cubic(1 - f), cubic(2 - f)]
        out.append((i0 - 1, w))
    return out


def matrix(n_in, n_out):
    m = np.zeros((n_out, n_in), np.float64)
    for o, (first, w) in enumerate(taps(n_in, n_out)):
        for k in range(4):
            m[o, min(max(first + k, 0), n_in - 1)] += w[k]
    return m.astype(np.float32)


def out_size(n, scale):
    """Output size for scale 2 or 1.5 (1.5 needs an even input)."""
    return n * 2 if scale == 2 else n * 3 // 2


_cache = {}


def bicubic_t(x, scale):
    """x [N, 1, h, w] float -> [N, 1, H, W] with the C code's kernel."""
    h, w = x.shape[-2:]
    key = (h, w, scale)
    if key not in _cache:
        _cache[key] = (torch.from_numpy(matrix(h, out_size(h, scale))),
                       torch.from_numpy(matrix(w, out_size(w, scale))))
    my, mx = _cache[key]
    return torch.matmul(torch.matmul(my, x), mx.t())


class UpscaleNet(nn.Module):
    """Luma in [0, 1] at low resolution -> residual at high resolution.
    conv 5x5 1->C, PReLU, depth x (conv 3x3 C->C, PReLU), then for x2 a
    3x3 conv to 4 channels and depth-to-space 2; for x1.5 a 3x3 stride-2
    conv to 9 channels and depth-to-space 3 (every 2x2 low-res block makes
    a 3x3 high-res block). Zero padding everywhere, as in C."""

    def __init__(self, scale=2, channels=16, depth=1):
        super().__init__()
        self.scale, self.channels, self.depth = scale, channels, depth
        self.conv_in = nn.Conv2d(1, channels, 5, padding=2)
        self.act_in = nn.PReLU(channels, 0.1)
        self.body = nn.ModuleList([nn.Conv2d(channels, channels, 3, padding=1)
                                   for _ in range(depth)])
        self.acts = nn.ModuleList([nn.PReLU(channels, 0.1) for _ in range(depth)])
        if scale == 2:
            self.conv_out = nn.Conv2d(channels, 4, 3, padding=1)
            self.shuffle = nn.PixelShuffle(2)
        else:
            self.conv_out = nn.Conv2d(channels, 9, 3, stride=2, padding=1)
            self.shuffle = nn.PixelShuffle(3)
        nn.init.zeros_(self.conv_out.weight)  # start as bicubic
        nn.init.zeros_(self.conv_out.bias)

    def residual(self, x):
        h = self.act_in(self.conv_in(x - 0.5))
        for c, a in zip(self.body, self.acts):
            h = a(c(h))
        return self.shuffle(self.conv_out(h))

    def forward(self, x):
        return bicubic_t(x, self.scale) + self.residual(x)

    def macs_per_pixel(self):
        c = self.channels
        last = 9 * c * 4 if self.scale == 2 else 9 * c * 9 / 4
        return 25 * c + self.depth * 9 * c * c + last


def read_y4m(path):
    """Luma planes of an 8-bit 4:2:0 Y4M file -> [frames, h, w] uint8."""
    with open(path, "rb") as f:
        data = f.read()
    nl = data.index(b"\n")
    head = data[:nl].split()
    w = int([t for t in head if t.startswith(b"W")][0][1:])
    h = int([t for t in head if t.startswith(b"H")][0][1:])
    fb = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    pos, frames = nl + 1, []
    while pos < len(data):
        e = data.index(b"\n", pos)
        pos = e + 1
        frames.append(np.frombuffer(data, np.uint8, w * h, pos).reshape(h, w))
        pos += fb
    return np.stack(frames)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * math.log10(255.0 ** 2 / max(mse, 1e-10))
