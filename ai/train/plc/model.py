"""The concealment model: a small GRU stack that, run over K frames of
history features, predicts the band log-energies and voicing of the frames
that follow, one 10 ms step at a time; during a loss it is fed the last
observed frame again with a 'lost' flag and the frames since the loss began.

    x (24) = [standardised band log-energies (21), lost, since/10, concealed]
    fc_in (tanh) -> gru1 -> gru2 -> fc_out -> [band deltas (21), voicing logit]
    bands(t+1) = bands_in(t) + delta   (standardised; residual on the input)

Tensor names are the ones ai/plc/plc.c reads."""
import torch
from torch import nn

from ai.train.cells import init_recurrent
from ai.train.plc import dsp

NB = dsp.NB
N_IN = NB + 3
N_OUT = NB + 1


class PlcNet(nn.Module):
    def __init__(self, hidden=128, mean=None, std=None):
        super().__init__()
        self.hidden = hidden
        self.fc_in = nn.Linear(N_IN, hidden)
        self.gru1 = nn.GRU(hidden, hidden, batch_first=True)
        self.gru2 = nn.GRU(hidden, hidden, batch_first=True)
        self.fc_out = nn.Linear(hidden, N_OUT)
        self.register_buffer("feat_mean", torch.zeros(NB) if mean is None else torch.as_tensor(mean).float())
        self.register_buffer("feat_std", torch.ones(NB) if std is None else torch.as_tensor(std).float())
        init_recurrent(self.gru1, hidden)
        init_recurrent(self.gru2, hidden)
        with torch.no_grad():
            self.fc_out.weight.mul_(0.1)
            self.fc_out.bias.zero_()

    def forward(self, x, state=None):
        """x [B, T, N_IN] -> (bands [B, T, NB] standardised, voicing logit
        [B, T], state)."""
        h1, h2 = (None, None) if state is None else state
        h = torch.tanh(self.fc_in(x))
        y1, h1 = self.gru1(h, h1)
        y2, h2 = self.gru2(y1, h2)
        o = self.fc_out(y2)
        return x[..., :NB] + o[..., :NB], o[..., NB], (h1, h2)

    def tensors(self):
        """name -> float32 numpy array, as exported."""
        return {k: v.detach().cpu().float().numpy() for k, v in self.state_dict().items()}
