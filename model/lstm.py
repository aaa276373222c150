"""LSTM with PyTorch's equations (gates i, f, g, o): forward trace and backward step.

i, f, o = sigmoid(.), g = tanh(.),  c_t = f * c_(t-1) + i * g,  h_t = o * tanh(c_t)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .cancel import Poll
from .logspace import log10_norm


@dataclass(frozen=True)
class LstmTrace:
    """Forward values of every step, for every direction d and batch row n."""

    pre: torch.Tensor  # (T, D, N, 4H) gate pre-activations [i, f, g, o]
    gates: torch.Tensor  # (T, D, N, 4H) the gates [i, f, g, o]
    cell: torch.Tensor  # (T, D, N, H) c_t
    hidden: torch.Tensor  # (T, D, N, H) h_t

    def gate_values(self) -> dict[str, torch.Tensor]:
        """input, forget, candidate, output: each (T, D, N, H)."""
        i, f, g, o = self.gates.chunk(4, dim=-1)
        return {"input": i, "forget": f, "candidate": g, "output": o}


def forward(x_proj: torch.Tensor, q: torch.Tensor, w: torch.Tensor, poll: Poll) -> LstmTrace:
    """Unroll T steps. x_proj (T, D, 1, 4H) = W_ih x_t + b_ih; q (D, 4H, H); w (N,) w_rec."""
    _, dirs, _, gh = x_proj.shape
    size, rows = gh // 4, w.shape[0]
    qt = q.transpose(1, 2)  # (D, H, 4H)
    wv = w.view(1, rows, 1)
    h = x_proj.new_zeros((dirs, rows, size))  # (D, N, H)
    c = torch.zeros_like(h)
    pres, gates, cells, hiddens = [], [], [], []
    for t, x_t in enumerate(x_proj.unbind(0)):
        poll(t)
        a = torch.addcmul(x_t, wv, torch.matmul(h, qt))  # (D, N, 4H)
        z = torch.sigmoid(a)  # (D, N, 4H)
        z[..., 2 * size : 3 * size] = torch.tanh(a[..., 2 * size : 3 * size])
        i, f, g, o = z.chunk(4, dim=-1)
        c = f * c + i * g  # (D, N, H)
        h = o * torch.tanh(c)
        pres.append(a)
        gates.append(z)
        cells.append(c)
        hiddens.append(h)
    return LstmTrace(
        pre=torch.stack(pres),
        gates=torch.stack(gates),
        cell=torch.stack(cells),
        hidden=torch.stack(hiddens),
    )


def sigmoid_slope(a: torch.Tensor) -> torch.Tensor:
    """sigma'(a) as sigma(a) sigma(-a): no 1 - sigma rounding to 0 at |a| ~ 37."""
    return torch.sigmoid(a) * torch.sigmoid(-a)


def tanh_slope(a: torch.Tensor) -> torch.Tensor:
    """tanh'(a) as 1 / cosh(a)^2: no 1 - tanh^2 rounding to 0 at |a| ~ 19."""
    return torch.cosh(a).pow(-2)


class LstmStep:
    """Backward step. The carried state is [dL/dh_t, f_(t+1) dL/dc_(t+1)], renormalised jointly:

    dL/dc_t = f_(t+1) dL/dc_(t+1) + dL/dh_t o_t tanh'(c_t) (the total a c_t.grad would show);
    dL/da_t = [dc g sigma'(a_i), dc c_(t-1) sigma'(a_f), dc i tanh'(a_g), dh tanh(c_t) sigma'(a_o)].
    """

    needs_state = True
    separate_hh = False

    def __init__(self, trace: LstmTrace, q: torch.Tensor, w: torch.Tensor):
        size = trace.cell.shape[-1]
        self.size = size
        self.state_size = 2 * size
        self.q = q  # (D, 4H, H)
        self.wv = w.view(1, -1, 1)  # (1, N, 1)
        i, f, g, o = trace.gates.chunk(4, dim=-1)  # each (T, D, N, H)
        a_i, a_f, a_g, a_o = trace.pre.chunk(4, dim=-1)
        c_prev = torch.cat([torch.zeros_like(trace.cell[:1]), trace.cell[:-1]])  # (T, D, N, H)
        self.forget = f.unbind(0)  # T x (D, N, H)
        self.to_cell = o * tanh_slope(trace.cell)  # (T, D, N, H) dh_t -> dc_t
        self.to_cell_steps = self.to_cell.unbind(0)
        self.gain = torch.stack(
            [
                g * sigmoid_slope(a_i),
                c_prev * sigmoid_slope(a_f),
                i * tanh_slope(a_g),
                torch.tanh(trace.cell) * sigmoid_slope(a_o),
            ],
            dim=-2,
        ).unbind(0)  # T x (D, N, 4, H)

    def total_cell_grad(self, t: int, v: torch.Tensor) -> torch.Tensor:
        """dL/dc_t from the carried state v (D, N, 2H), in v's scale."""
        return torch.addcmul(v[..., self.size :], v[..., : self.size], self.to_cell_steps[t])

    def preact(
        self, t: int, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        dh = v[..., : self.size]  # (D, N, H)
        dc = self.total_cell_grad(t, v)
        da = (torch.stack([dc, dc, dc, dh], dim=-2) * self.gain[t]).flatten(-2)  # (D, N, 4H)
        return da, da, None

    def carry(
        self, t: int, v: torch.Tensor, da_hh: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        dh_prev = self.wv * torch.matmul(da_hh, self.q)  # (D, N, H)
        dc_prev = self.total_cell_grad(t, v) * self.forget[t]  # (D, N, H)
        return torch.cat([dh_prev, dc_prev], dim=-1), None


def cell_grad_log10(rule: LstmStep, state: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """log10 ||dL/dc_t|| (T, D, N) from the backward trace's states (T, D, N, 2H) and scales."""
    size = rule.size
    return log10_norm(state[..., size:] + state[..., :size] * rule.to_cell) + scale
