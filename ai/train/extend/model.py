"""The extension model: per 10 ms frame, the band-limited signal's usable
band log-energies (relative to their mean level), that level and the
cutoff go through a small causal GRU stack, which predicts the log-energies
of the bands above 4 kHz relative to the same level, for the same window:

    x (18) = [(rel bands (16) | 0 where unusable), ref level] standardised, fc/8000
    fc_in (tanh) -> gru1 -> fc_out -> 33 bands (4..20 kHz), standardised

Tensor names are the ones ai/extend/extend.c reads."""
import torch
from torch import nn

from ai.train.cells import init_recurrent
from ai.train.extend import dsp

N_IN = dsp.N_IN
N_OUT = dsp.OUT_BANDS
N_STD = dsp.IN_BANDS + 1   # standardised inputs (bands + level); the cutoff is raw


class ExtendNet(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.hidden = hidden
        self.fc_in = nn.Linear(N_IN, hidden)
        self.gru1 = nn.GRU(hidden, hidden, batch_first=True)
        self.fc_out = nn.Linear(hidden, N_OUT)
        for name, n in (("feat_mean", N_STD), ("feat_std", N_STD), ("out_mean", N_OUT), ("out_std", N_OUT)):
            self.register_buffer(name, torch.zeros(n) if "mean" in name else torch.ones(n))
        init_recurrent(self.gru1, hidden)
        with torch.no_grad():
            self.fc_out.weight.mul_(0.1)
            self.fc_out.bias.zero_()

    def normalise(self, x, mask):
        """x [B, T, N_IN] raw features, mask [B, T, IN_BANDS] usable bands."""
        z = x.clone()
        z[..., :N_STD] = (x[..., :N_STD] - self.feat_mean) / self.feat_std
        z[..., :dsp.IN_BANDS] = z[..., :dsp.IN_BANDS] * mask
        return z

    def forward(self, z, state=None):
        """z normalised input -> (standardised relative bands [B, T, N_OUT], state)."""
        h = torch.tanh(self.fc_in(z))
        y1, h1 = self.gru1(h, state)
        return self.fc_out(y1), h1

    def tensors(self):
        return {k: v.detach().cpu().float().numpy() for k, v in self.state_dict().items()}
