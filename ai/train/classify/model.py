"""The speech/music/other classifier's network and its PLMD export: an
ai.train.cells.RecurrentStack (fc_in + PReLU, one GRU, fc_out, no output
activation: C applies a softmax to the three logits), over the denoiser's
72 features normalised by the training mean and deviation, folded into
fc_in at export so C feeds raw features."""
import numpy as np
import torch

from ai.train import plmd
from ai.train.cells import RecurrentStack
from ai.train.denoise.model import fold_norm
from ai.train.export import export_stack

NFEAT = 72   # PL_DN_NFEAT
NOUT = 3     # speech, music, other
FORMAT = "1"  # classify.format, checked by ai/classify/classify.c


def make_net(hidden, layers=1):
    return RecurrentStack(NFEAT, NOUT, hidden=hidden, layers=layers, cell="gru", in_act="prelu",
                          between="layernorm", out_act="none")


def export(net, mean, std, path, meta):
    out = make_net(net.cfg["hidden"], net.cfg["layers"])
    out.load_state_dict(net.state_dict())
    out.eval()
    fold_norm(out, mean, std)
    m = {"classify.format": FORMAT, "classify.features": NFEAT,
         "classify.outputs": "logits[speech music other]"}
    m.update(meta)
    export_stack(out, path, "classify-gru", "classify", m)
    return out


def load(path):
    _name, kind, meta, tensors = plmd.read(path)
    if kind != "classify" or meta.get("classify.format") != FORMAT:
        raise ValueError(f"{path}: not a classify model of format {FORMAT}")
    net = make_net(int(meta["model.hidden"]), int(meta["model.layers"]))
    net.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32))
                         for k, v in tensors.items()})
    net.eval()
    return net, meta
