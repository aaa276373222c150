"""GRU with PyTorch's equations (gates r, z, n): forward trace and backward step.

r = sigmoid(.), z = sigmoid(.), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
h_t = (1 - z) * n + z * h_(t-1)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .cancel import Poll
from .lstm import sigmoid_slope, tanh_slope


@dataclass(frozen=True)
class GruTrace:
    """Forward values of every step, for every direction d and batch row n."""

    pre: torch.Tensor  # (T, D, N, 3H) pre-activations [a_r, a_z, a_n]
    gates: torch.Tensor  # (T, D, N, 3H) [r, z, n]
    hh_n: torch.Tensor  # (T, D, N, H) W_hn h_(t-1) + b_hn, the part r gates
    hidden: torch.Tensor  # (T, D, N, H) h_t

    def gate_values(self) -> dict[str, torch.Tensor]:
        """reset, update: each (T, D, N, H)."""
        r, z, _ = self.gates.chunk(3, dim=-1)
        return {"reset": r, "update": z}


def forward(x_proj: torch.Tensor, q: torch.Tensor, w: torch.Tensor, poll: Poll) -> GruTrace:
    """Unroll T steps. x_proj (T, D, 1, 3H) = W_ih x_t + b_ih; q (D, 3H, H); w (N,) w_rec."""
    _, dirs, _, gh = x_proj.shape
    size, rows = gh // 3, w.shape[0]
    qt = q.transpose(1, 2)  # (D, H, 3H)
    wv = w.view(1, rows, 1)
    h = x_proj.new_zeros((dirs, rows, size))  # (D, N, H)
    pres, gates, hh_ns, hiddens = [], [], [], []
    for t, x_t in enumerate(x_proj.unbind(0)):
        poll(t)
        hh = wv * torch.matmul(h, qt)  # (D, N, 3H); b_hh is zero
        x_r, x_z, x_n = x_t.chunk(3, dim=-1)
        h_r, h_z, h_n = hh.chunk(3, dim=-1)
        a_rz = torch.cat([x_r, x_z], dim=-1) + torch.cat([h_r, h_z], dim=-1)  # (D, N, 2H)
        r, z = torch.sigmoid(a_rz).chunk(2, dim=-1)
        a_n = torch.addcmul(x_n, r, h_n)
        n = torch.tanh(a_n)
        h = torch.lerp(n, h, z)  # (1 - z) n + z h
        pres.append(torch.cat([a_rz, a_n], dim=-1))
        gates.append(torch.cat([r, z, n], dim=-1))
        hh_ns.append(h_n)
        hiddens.append(h)
    return GruTrace(
        pre=torch.stack(pres),
        gates=torch.stack(gates),
        hh_n=torch.stack(hh_ns),
        hidden=torch.stack(hiddens),
    )


class GruStep:
    """Backward step: with dh = dL/dh_t,

    da_n = dh (1 - z) tanh'(a_n), da_z = dh (h_(t-1) - n) sigma'(a_z), da_r = da_n hh_n sigma'(a_r);
    the recurrent weights see r * da_n on the n block; dL/dh_(t-1) = z dh + W_hh^T da_hh.
    """

    needs_state = False
    separate_hh = True

    def __init__(self, trace: GruTrace, q: torch.Tensor, w: torch.Tensor):
        self.state_size = trace.hidden.shape[-1]
        self.q = q  # (D, 3H, H)
        self.wv = w.view(1, -1, 1)  # (1, N, 1)
        r, z, n = trace.gates.chunk(3, dim=-1)  # each (T, D, N, H)
        a_r, a_z, a_n = trace.pre.chunk(3, dim=-1)
        h_prev = torch.cat([torch.zeros_like(trace.hidden[:1]), trace.hidden[:-1]])
        self.update = z.unbind(0)  # T x (D, N, H)
        gain_n = (1 - z) * tanh_slope(a_n)
        gain_r = gain_n * trace.hh_n * sigmoid_slope(a_r)
        gain_z = (h_prev - n) * sigmoid_slope(a_z)
        self.gain_ih = torch.stack([gain_r, gain_z, gain_n], dim=-2).unbind(0)  # T x (D, N, 3, H)
        self.gain_hh = torch.stack([gain_r, gain_z, gain_n * r], dim=-2).unbind(0)

    def preact(
        self, t: int, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        dh = v.unsqueeze(-2)  # (D, N, 1, H)
        return (dh * self.gain_ih[t]).flatten(-2), (dh * self.gain_hh[t]).flatten(-2), None

    def carry(
        self, t: int, v: torch.Tensor, da_hh: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        return torch.addcmul(self.wv * torch.matmul(da_hh, self.q), v, self.update[t]), None
