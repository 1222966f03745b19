"""The noise suppressor's network and its PLMD export.

The network is an ai.train.cells.RecurrentStack (fc_in + PReLU, GRU,
LayerNorm, GRU, fc_out + sigmoid), so pl_nn_seq runs it from the file's
arch lines. Inputs are the C features (ai/denoise/dsp.h) normalised by the
training mean and deviation; the normalisation is folded into fc_in at
export, so C feeds raw features."""
import numpy as np
import torch

from ai.train import plmd
from ai.train.cells import RecurrentStack
from ai.train.export import export_stack

NB = 27
NFEAT = 2 * NB + 2 * 8 + 2  # PL_DN_NFEAT
NOUT = 2 * NB + 1           # PL_DN_NOUT
FORMAT = "1"                # denoise.format, checked by ai/denoise/denoise.c


def make_net(hidden, layers=2):
    return RecurrentStack(NFEAT, NOUT, hidden=hidden, layers=layers, cell="gru", in_act="prelu",
                          between="layernorm", out_act="sigmoid")


def fold_norm(net, mean, std):
    """fc_in(( x - mean) / std) == fc_in'(x): W' = W / std, b' = b - W' mean."""
    with torch.no_grad():
        w = net.fc_in.weight / torch.from_numpy(std.astype(np.float32))[None, :]
        b = net.fc_in.bias - w @ torch.from_numpy(mean.astype(np.float32))
        net.fc_in.weight.copy_(w)
        net.fc_in.bias.copy_(b)


def export(net, mean, std, path, meta, lookahead=0):
    """A copy of net with the input normalisation folded in, written to
    path with the denoise metadata. Returns the exported copy (eval mode)."""
    out = make_net(net.cfg["hidden"], net.cfg["layers"])
    out.load_state_dict(net.state_dict())
    out.eval()
    fold_norm(out, mean, std)
    m = {"denoise.format": FORMAT, "denoise.bands": NB, "denoise.features": NFEAT,
         "denoise.outputs": f"gain[{NB}] comb[{NB}] vad[1]", "denoise.lookahead": str(lookahead)}
    m.update(meta)
    export_stack(out, path, "denoise-gru", "denoise", m)
    return out


def load(path):
    """A PLMD written by export() as a torch RecurrentStack (eval mode)."""
    _name, kind, meta, tensors = plmd.read(path)
    if kind != "denoise" or meta.get("denoise.format") != FORMAT:
        raise ValueError(f"{path}: not a denoise model of format {FORMAT}")
    net = make_net(int(meta["model.hidden"]), int(meta["model.layers"]))
    sd = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in tensors.items()}
    net.load_state_dict(sd)
    net.eval()
    return net, meta
