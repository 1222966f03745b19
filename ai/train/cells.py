"""Recurrent stacks whose every layer has a C twin in ai/nn (docs/ai.md).

RecurrentStack:  fc_in -> act -> [rnn_i -> (LayerNorm | tanh | nothing)
                 between layers] -> fc_out -> output act,
with dropout after the input layer and each recurrent layer while training.
Parameter names are the tensor names the C side reads; arch_lines() writes
the "arch.N" metadata that pl_nn_seq (ai/nn/seq.h) runs."""
import torch
from torch import nn

CELLS = ("gru", "lstm", "sru")


class SRU(nn.Module):
    """A simple-recurrent-unit layer (Lei et al. 2018 style): the only
    recurrence is elementwise, so one matrix product per frame instead of two.
        x~, f~, r~ = W x                  (W: 3H x H, rows in that order)
        f = sig(f~ + v_f*c + b_f), r = sig(r~ + v_r*c + b_r)
        c' = f*c + (1-f)*x~,  h = r*tanh(c') + (1-r)*x
    Input and hidden sizes are equal (the highway term adds x)."""

    def __init__(self, hidden):
        super().__init__()
        self.hidden = hidden
        self.weight = nn.Parameter(torch.empty(3 * hidden, hidden))
        self.v = nn.Parameter(torch.zeros(2 * hidden))
        self.bias = nn.Parameter(torch.zeros(2 * hidden))

    def forward(self, x, c=None):
        B, T, H = x.shape
        if c is None:
            c = x.new_zeros(B, H)
        g = x @ self.weight.t()
        xt, fx, rx = g.split(H, dim=-1)
        vf, vr = self.v[:H], self.v[H:]
        bf, br = self.bias[:H], self.bias[H:]
        out = []
        for t in range(T):
            f = torch.sigmoid(fx[:, t] + vf * c + bf)
            r = torch.sigmoid(rx[:, t] + vr * c + br)
            c = f * c + (1 - f) * xt[:, t]
            out.append(r * torch.tanh(c) + (1 - r) * x[:, t])
        return torch.stack(out, dim=1), c


def make_rnn(cell, n_in, hidden):
    if cell == "gru":
        return nn.GRU(n_in, hidden, batch_first=True)
    if cell == "lstm":
        return nn.LSTM(n_in, hidden, batch_first=True)
    if cell == "sru":
        if n_in != hidden:
            raise ValueError("SRU needs input size == hidden size")
        return SRU(hidden)
    raise ValueError(f"cell must be one of {CELLS}")


def init_recurrent(rnn, hidden):
    """Orthogonal recurrent matrices (per gate block), Xavier input
    matrices, zero biases: keeps early gradients through time well scaled."""
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if name.startswith("weight_hh"):
                for blk in p.split(hidden, dim=0):
                    nn.init.orthogonal_(blk)
            elif name.startswith("weight"):
                for blk in p.split(hidden, dim=0):
                    nn.init.xavier_uniform_(blk)
            else:
                nn.init.zeros_(p)


def mask_state(state, keep):
    """Zero the state of batch rows where keep is 0 (a new stream began)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(mask_state(s, keep) for s in state)
    return state * (keep.view(1, -1, 1) if state.dim() == 3 else keep.view(-1, 1))


def detach_state(state):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


class RecurrentStack(nn.Module):
    def __init__(self, n_in, n_out, hidden=32, layers=2, cell="gru", in_act="prelu",
                 between="layernorm", out_act="none", dropout=0.0):
        super().__init__()
        if in_act not in ("prelu", "relu") or between not in ("layernorm", "tanh", "none") \
                or out_act not in ("none", "sigmoid", "tanh"):
            raise ValueError("bad activation choice")
        self.cfg = dict(n_in=n_in, n_out=n_out, hidden=hidden, layers=layers, cell=cell,
                        in_act=in_act, between=between, out_act=out_act)
        self.fc_in = nn.Linear(n_in, hidden)
        self.in_act = nn.PReLU(hidden, init=0.25) if in_act == "prelu" else nn.ReLU()
        for i in range(layers):
            rnn = make_rnn(cell, hidden, hidden)
            init_recurrent(rnn, hidden)
            setattr(self, f"rnn{i}", rnn)
            if between == "layernorm" and i < layers - 1:
                setattr(self, f"norm{i}", nn.LayerNorm(hidden))
        self.fc_out = nn.Linear(hidden, n_out)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, state=None):
        """x (B, T, n_in) -> y (B, T, n_out), new state (one per layer)."""
        c = self.cfg
        h = self.fc_in(x)
        # nn.PReLU's channels are dim 1; ours are the last (feature) dim.
        h = self.drop(self.in_act(h.reshape(-1, h.shape[-1])).reshape(h.shape))
        state = state or [None] * c["layers"]
        new = []
        for i in range(c["layers"]):
            h, s = getattr(self, f"rnn{i}")(h, state[i])
            new.append(s)
            if i < c["layers"] - 1:
                if c["between"] == "layernorm":
                    h = getattr(self, f"norm{i}")(h)
                elif c["between"] == "tanh":
                    h = torch.tanh(h)
            h = self.drop(h)
        y = self.fc_out(h)
        if c["out_act"] == "sigmoid":
            y = torch.sigmoid(y)
        elif c["out_act"] == "tanh":
            y = torch.tanh(y)
        return y, new

    def arch_lines(self):
        c = self.cfg
        act = "prelu:in_act.weight" if c["in_act"] == "prelu" else "relu"
        lines = [f"op=dense name=fc_in act={act}"]
        for i in range(c["layers"]):
            layer = "" if c["cell"] == "sru" else " layer=0"
            lines.append(f"op={c['cell']} name=rnn{i}{layer}")
            if i < c["layers"] - 1:
                if c["between"] == "layernorm":
                    eps = getattr(self, f"norm{i}").eps
                    lines.append(f"op=layernorm name=norm{i} eps={eps:g}")
                elif c["between"] == "tanh":
                    lines.append("op=act act=tanh")
        lines.append(f"op=dense name=fc_out act={c['out_act']}")
        return lines
