"""PyTorch parity of every ai/nn layer type: build the layer in torch with
random weights, export it with ai.train.export, run it in C (nn_run) on the
same input, and compare within 1e-4 * (1 + |expected|), on the scalar and,
where the CPU has it, the AVX2 path.

    /usr/bin/python3 tests/ai/parity.py --nn-run build/tests/nn_run [-k NAME] [--keep DIR]"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch_check  # noqa: F401  (path, torch presence, threads)
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ai.train.cells import SRU, RecurrentStack
from ai.train.export import export, module_tensors

TOL = 1e-4
torch.manual_seed(1234)


def randomise(module, scale=0.5):
    """Non-trivial values for every parameter (biases, gains included)."""
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-scale, scale)
    return module


def t2n(t):
    return t.detach().numpy().astype(np.float32)


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def linear_batch():
    m = randomise(nn.Linear(37, 19))
    x = torch.randn(6, 37)
    return module_tensors(m), {"op": "dense"}, x, m(x), "layer"


@case
def linear_vector_relu():
    m = randomise(nn.Linear(64, 48))
    x = torch.randn(1, 64)
    return module_tensors(m), {"op": "dense", "act": "relu"}, x, F.relu(m(x)), "layer"


@case
def linear_int8():
    m = randomise(nn.Linear(40, 24))
    w = m.weight.detach().numpy()
    mx = np.abs(w).max(axis=1)
    scale = (mx / 127).astype(np.float32)
    deq = (np.clip(np.rint(w / scale[:, None]), -127, 127) * scale[:, None]).astype(np.float32)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(deq))  # torch runs what int8 represents
    x = torch.randn(3, 40)
    return module_tensors(m), {"op": "dense", "int8": "layer.weight"}, x, m(x), "layer"


@case
def gru_two_layers():
    m = randomise(nn.GRU(24, 48, num_layers=2, batch_first=True), 0.3)
    x = torch.randn(1, 30, 24)
    return module_tensors(m), {"op": "rnn", "cell": "gru", "layers": 2}, x[0], m(x)[0][0], "layer"


@case
def lstm():
    m = randomise(nn.LSTM(16, 32, batch_first=True), 0.3)
    x = torch.randn(1, 25, 16)
    return module_tensors(m), {"op": "rnn", "cell": "lstm"}, x[0], m(x)[0][0], "layer"


@case
def sru():
    m = randomise(SRU(20), 0.4)
    x = torch.randn(1, 25, 20)
    return module_tensors(m), {"op": "rnn", "cell": "sru"}, x[0], m(x)[0][0], "layer"


@case
def conv1d_causal_dilated():
    k, d = 3, 2
    m = randomise(nn.Conv1d(8, 12, k, dilation=d))
    x = torch.randn(1, 8, 40)
    y = m(F.pad(x, ((k - 1) * d, 0)))  # causal: pad the past only
    return (module_tensors(m), {"op": "conv1d", "out": 12, "k": k, "dilation": d},
            x[0].t(), y[0].t(), "layer")


@case
def conv1d_causal_grouped_tanh():
    m = randomise(nn.Conv1d(6, 9, 4, groups=3))
    x = torch.randn(1, 6, 20)
    y = torch.tanh(m(F.pad(x, (3, 0))))
    return (module_tensors(m), {"op": "conv1d", "out": 9, "k": 4, "groups": 3, "act": "tanh"},
            x[0].t(), y[0].t(), "layer")


def conv2d_meta(m, transposed=False):
    kh, kw = m.kernel_size
    meta = {"op": "conv2d", "out": m.out_channels, "kh": kh, "kw": kw, "sh": m.stride[0],
            "sw": m.stride[1], "ph": m.padding[0], "pw": m.padding[1], "dh": m.dilation[0],
            "dw": m.dilation[1], "groups": m.groups, "transposed": int(transposed)}
    if transposed:
        meta.update(oph=m.output_padding[0], opw=m.output_padding[1])
    return meta


@case
def conv2d_stride2_pad1():
    m = randomise(nn.Conv2d(6, 10, 3, stride=2, padding=1))
    x = torch.randn(1, 6, 17, 23)
    return module_tensors(m), conv2d_meta(m), x[0], m(x)[0], "layer"


@case
def conv2d_dilated_grouped_rect():
    m = randomise(nn.Conv2d(8, 12, (3, 5), stride=(1, 2), padding=(2, 1), dilation=2, groups=4))
    x = torch.randn(1, 8, 14, 21)
    return module_tensors(m), conv2d_meta(m), x[0], m(x)[0], "layer"


@case
def conv2d_3x3_64x64x16_prelu():
    m = randomise(nn.Conv2d(16, 16, 3, padding=1), 0.2)
    a = nn.PReLU(16, init=0.1)
    with torch.no_grad():
        a.weight.uniform_(0, 0.3)
    x = torch.randn(1, 16, 64, 64)
    t = module_tensors(m)
    t["act.weight"] = t2n(a.weight)
    meta = dict(conv2d_meta(m), act="prelu", slope="layer.act.weight", channels=16)
    return t, meta, x[0], a(m(x))[0], "layer"


@case
def depthwise_conv2d():
    m = randomise(nn.Conv2d(8, 8, 3, padding=1, groups=8))
    x = torch.randn(1, 8, 19, 33)
    return module_tensors(m), conv2d_meta(m), x[0], m(x)[0], "layer"


@case
def conv_transpose2d_upsample2():
    m = randomise(nn.ConvTranspose2d(6, 4, 4, stride=2, padding=1))
    x = torch.randn(1, 6, 9, 13)
    return module_tensors(m), conv2d_meta(m, True), x[0], m(x)[0], "layer"


@case
def conv_transpose2d_stride3_outpad_groups():
    m = randomise(nn.ConvTranspose2d(4, 6, (3, 2), stride=(3, 2), padding=(1, 0),
                                     output_padding=(1, 1), groups=2))
    x = torch.randn(1, 4, 7, 10)
    return module_tensors(m), conv2d_meta(m, True), x[0], m(x)[0], "layer"


@case
def pixel_shuffle():
    x = torch.randn(1, 12, 5, 7)
    y = nn.PixelShuffle(2)(x)
    return {"unused": np.zeros(1, np.float32)}, {"op": "pixel_shuffle", "r": 2}, x[0], y[0], "-"


def act_case(name, module, meta, shape=(5, 40)):
    x = torch.randn(*shape) * 4
    return {"unused": np.zeros(1, np.float32)}, dict(meta, op="act"), x, module(x), "-"


@case
def act_sigmoid():
    return act_case("sigmoid", torch.sigmoid, {"act": "sigmoid"})


@case
def act_tanh():
    return act_case("tanh", torch.tanh, {"act": "tanh"})


@case
def act_relu():
    return act_case("relu", F.relu, {"act": "relu"})


@case
def act_leaky_relu():
    return act_case("leaky", nn.LeakyReLU(0.1), {"act": "leaky_relu", "a": 0.1})


@case
def act_hardtanh():
    return act_case("hardtanh", nn.Hardtanh(-0.5, 0.8), {"act": "hardtanh", "a": -0.5, "b": 0.8})


@case
def act_prelu_per_channel():
    a = nn.PReLU(6)
    with torch.no_grad():
        a.weight.uniform_(-0.5, 0.5)
    x = torch.randn(1, 6, 30) * 3  # torch PReLU: channels are dim 1
    meta = {"op": "act", "act": "prelu", "slope": "act.weight", "channels": 6}
    return {"act.weight": t2n(a.weight)}, meta, x[0], a(x)[0], "-"


@case
def layernorm():
    m = randomise(nn.LayerNorm(33))
    x = torch.randn(7, 33) * 2 + 1
    return module_tensors(m), {"op": "layernorm", "eps": m.eps}, x, m(x), "layer"


def stack_case(**kw):
    m = RecurrentStack(5, 3, hidden=20, layers=2, **kw)
    randomise(m, 0.3).eval()
    x = torch.randn(1, 40, 5)
    with torch.no_grad():
        y, _ = m(x)
    return module_tensors(m), {"arch": m.arch_lines()}, x[0], y[0], None


@case
def stack_gru_layernorm_prelu():
    return stack_case(cell="gru", between="layernorm", in_act="prelu")


@case
def stack_lstm_tanh_relu_sigmoid():
    return stack_case(cell="lstm", between="tanh", in_act="relu", out_act="sigmoid")


@case
def stack_sru():
    return stack_case(cell="sru", between="none")


def run_case(name, nn_run, tmp):
    tensors, meta, x, y, prefix = CASES[name]()
    if prefix not in (None, "-"):
        tensors = {f"{prefix}.{k}": v for k, v in tensors.items()}
    arch = meta.pop("arch", None)
    int8 = [meta.pop("int8")] if "int8" in meta else []
    model = os.path.join(tmp, name + ".plmd")
    io = os.path.join(tmp, name + "_io.plmd")
    export(model, name.replace("_", "-"), "test", tensors,
           {f"test.{k}": v for k, v in meta.items()}, arch, int8)
    x, y = t2n(x), t2n(y)
    export(io, "io", "test", {"x": x})
    worst = []
    for isa in ("scalar", "avx2"):
        out = os.path.join(tmp, f"{name}_{isa}.f32")
        r = subprocess.run([nn_run, "--isa", isa, model, io, out], capture_output=True, text=True)
        if r.returncode == 77:
            print(f"  {name}: {isa} not available on this CPU")
            continue
        if r.returncode:
            return False, f"nn_run failed ({r.returncode}): {r.stderr.strip()}"
        got = np.fromfile(out, dtype="<f4")
        if got.size != y.size:
            return False, f"{isa}: {got.size} outputs, torch has {y.size}"
        got = got.reshape(y.shape)
        err = np.abs(got - y)
        bad = err > TOL * (1 + np.abs(y))
        worst.append(f"{isa} {err.max():.2e}")
        if bad.any():
            i = np.unravel_index(np.argmax(err), y.shape)
            return False, f"{isa}: max error {err.max():.3g} at {i} (got {got[i]}, want {y[i]})"
    return True, "max abs error " + ", ".join(worst) + f" over {y.size} outputs"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nn-run", required=True)
    ap.add_argument("-k", help="only cases containing this")
    ap.add_argument("--keep", help="keep files in this directory")
    a = ap.parse_args()
    names = [n for n in CASES if not a.k or a.k in n]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = a.keep or tmp
        os.makedirs(tmp, exist_ok=True)
        for name in names:
            ok, msg = run_case(name, a.nn_run, tmp)
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {msg}")
            failed += not ok
    print(f"{len(names) - failed}/{len(names)} parity cases passed")
    return 1 if failed or not names else 0


if __name__ == "__main__":
    sys.exit(main())
