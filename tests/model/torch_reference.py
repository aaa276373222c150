"""Independent oracles: the cells unrolled by hand under PyTorch autograd (float64), and mpmath.

Weights and inputs come from a result's to_dict(), so the engine's own arithmetic is never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mpmath
import torch

F64 = torch.float64


@dataclass
class Reference:
    """What autograd says, per step (index 0 = t = 1), for the whole (maybe bidirectional) net."""

    hidden: torch.Tensor  # (T, H*D)
    grad_log10: torch.Tensor  # (T,) log10 ||dL/d[h_fwd, h_bwd]||
    input_grad_log10: torch.Tensor  # (T,)
    param_grad_norm: float
    loss: torch.Tensor  # scalar, still attached to the graph
    params: list[torch.Tensor]
    cell_state: torch.Tensor | None = None  # (T, H*D)
    cell_grad_log10: torch.Tensor | None = None  # (T,)
    gates: dict[str, torch.Tensor] | None = None


def _tensor(value: Any) -> torch.Tensor:
    return torch.tensor(value, dtype=F64)


def _step(cell: str, activation: str, x, h, c, w_ih, w_hh, b_ih, b_hh):  # type: ignore[no-untyped-def]
    """One step of PyTorch's equations: returns (h, c, gates dict)."""
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if cell == "rnn":
        a = gi + gh
        f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}.get(activation)
        return (f(a) if f else a), None, {}
    if cell == "lstm":
        i, f, g, o = (gi + gh).chunk(4)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        gates = {"input": i, "forget": f, "candidate": g, "output": o}
        return o * torch.tanh(c), c, gates
    ir, iz, in_ = gi.chunk(3)
    hr, hz, hn = gh.chunk(3)
    r = torch.sigmoid(ir + hr)
    z = torch.sigmoid(iz + hz)
    n = torch.tanh(in_ + r * hn)
    return (1 - z) * n + z * h, None, {"reset": r, "update": z}


def unrolled(result: dict[str, Any]) -> Reference:
    """Rebuild the network from result['weights'] and ['inputs'] and run autograd through it."""
    p = result["params"]
    cell, activation, loss = p["cell"], p["activation"], p["loss"]
    x = _tensor(result["inputs"]).requires_grad_(True)  # (T, I)
    seq_len = x.shape[0]
    suffixes = ["", "_reverse"] if p["bidirectional"] else [""]
    params: list[torch.Tensor] = []
    chains = []
    for suffix in suffixes:
        names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        w = [_tensor(result["weights"][n + suffix]).requires_grad_(True) for n in names]
        params += w
        size = w[1].shape[1]
        h = torch.zeros(size, dtype=F64)
        c = torch.zeros(size, dtype=F64)
        order = range(seq_len) if suffix == "" else range(seq_len - 1, -1, -1)
        hs: dict[int, torch.Tensor] = {}
        cs: dict[int, torch.Tensor] = {}
        gs: dict[int, dict[str, torch.Tensor]] = {}
        for t in order:
            h, c_new, gates = _step(cell, activation, x[t], h, c, *w)
            h.retain_grad()
            hs[t], gs[t] = h, gates
            if c_new is not None:
                c = c_new
                c.retain_grad()
                cs[t] = c
        chains.append((hs, cs, gs, order))
    total = torch.zeros((), dtype=F64)
    for hs, _, _, order in chains:
        if loss == "last":
            total = total + hs[list(order)[-1]].sum()
        else:
            total = total + sum(hs[t].sum() for t in range(seq_len))
    total.backward(retain_graph=True)
    hidden = torch.stack([torch.cat([ch[0][t] for ch in chains]) for t in range(seq_len)])
    grad = torch.stack(
        [
            torch.linalg.vector_norm(torch.cat([ch[0][t].grad for ch in chains]))
            for t in range(seq_len)
        ]
    )
    ref = Reference(
        hidden=hidden.detach(),
        grad_log10=torch.log10(grad),
        input_grad_log10=torch.log10(torch.linalg.vector_norm(x.grad, dim=-1)),
        param_grad_norm=float(
            torch.linalg.vector_norm(torch.cat([q.grad.flatten() for q in params]))
        ),
        loss=total,
        params=params,
    )
    if cell == "lstm":
        ref.cell_state = torch.stack(
            [torch.cat([ch[1][t] for ch in chains]) for t in range(seq_len)]
        ).detach()
        ref.cell_grad_log10 = torch.log10(
            torch.stack(
                [
                    torch.linalg.vector_norm(torch.cat([ch[1][t].grad for ch in chains]))
                    for t in range(seq_len)
                ]
            )
        )
    if cell != "rnn":
        names = list(chains[0][2][0].keys())
        ref.gates = {
            name: torch.stack(
                [torch.cat([ch[2][t][name] for ch in chains]) for t in range(seq_len)]
            ).detach()
            for name in names
        }
    return ref


def torch_module_hidden(result: dict[str, Any]) -> torch.Tensor:
    """The same network as torch.nn.RNN/LSTM/GRU with the result's weights: output (T, H*D)."""
    p = result["params"]
    size = len(result["weights"]["weight_hh_l0"][0])
    input_size = len(result["inputs"][0])
    kwargs = {"bidirectional": p["bidirectional"], "dtype": F64}
    module: torch.nn.Module
    if p["cell"] == "rnn":
        module = torch.nn.RNN(input_size, size, nonlinearity=p["activation"], **kwargs)
    elif p["cell"] == "lstm":
        module = torch.nn.LSTM(input_size, size, **kwargs)
    else:
        module = torch.nn.GRU(input_size, size, **kwargs)
    with torch.no_grad():
        for name, value in result["weights"].items():
            getattr(module, name).copy_(_tensor(value))
        out = module(_tensor(result["inputs"]).unsqueeze(1))[0]  # (T, 1, H*D)
    return out[:, 0]


def rnn_closed_form(
    activation: str, w_rec: float, w_in: float, bias: float, xs: list[float], loss: str
) -> tuple[list[float], list[float], list[float]]:
    """H = 1 in mpmath at 60 digits: (hidden, grad_log10, input_grad_log10), exact exponents.

    dL/dh_t = [loss reads h_t] + w_rec f'(a_(t+1)) dL/dh_(t+1): no float range to fall out of.
    """
    mp = mpmath.mp
    mp.dps = 60
    f = {
        "tanh": mpmath.tanh,
        "sigmoid": lambda a: 1 / (1 + mpmath.exp(-a)),
        "relu": lambda a: a if a > 0 else mpmath.mpf(0),
        "linear": lambda a: a,
    }[activation]
    slope = {
        "tanh": lambda a: mpmath.sech(a) ** 2,
        "sigmoid": lambda a: mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2,
        "relu": lambda a: mpmath.mpf(1 if a > 0 else 0),
        "linear": lambda a: mpmath.mpf(1),
    }[activation]
    h = mpmath.mpf(0)
    pres, hidden = [], []
    for x in xs:
        a = mpmath.mpf(w_in) * x + mpmath.mpf(w_rec) * h + bias
        h = f(a)
        pres.append(a)
        hidden.append(h)
    seq_len = len(xs)
    grads = [mpmath.mpf(0)] * seq_len
    grads[-1] = mpmath.mpf(1)
    for t in range(seq_len - 2, -1, -1):
        direct = 1 if loss == "all" else 0
        grads[t] = direct + mpmath.mpf(w_rec) * slope(pres[t + 1]) * grads[t + 1]

    def log10(v: Any) -> float:
        return float(mpmath.log10(abs(v))) if v != 0 else -math.inf

    return (
        [float(v) for v in hidden],
        [log10(g) for g in grads],
        [log10(g * slope(a) * w_in) for g, a in zip(grads, pres, strict=True)],
    )


def rnn_matrix_closed_form(result: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Any H, one direction, in mpmath at 60 digits: (grad_log10, input_grad_log10).

    Unrolls the weights in result['weights'] with exact exponents, so saturation far beyond
    float64 (f' = 1e-400) is still a number to compare with.
    """
    mp = mpmath.mp
    mp.dps = 60
    p = result["params"]
    activation, loss = p["activation"], p["loss"]
    w_ih = mpmath.matrix(result["weights"]["weight_ih_l0"])
    w_hh = mpmath.matrix(result["weights"]["weight_hh_l0"])
    b = mpmath.matrix(result["weights"]["bias_ih_l0"])
    size = w_hh.rows
    f = {"tanh": mpmath.tanh, "sigmoid": lambda a: 1 / (1 + mpmath.exp(-a))}[activation]
    slope = {
        "tanh": lambda a: mpmath.sech(a) ** 2,
        "sigmoid": lambda a: mpmath.exp(-a) / (1 + mpmath.exp(-a)) ** 2,
    }[activation]
    h = mpmath.matrix(size, 1)
    pres = []
    for x in result["inputs"]:
        a = w_ih * mpmath.matrix(x) + w_hh * h + b
        pres.append(a)
        h = a.apply(f)
    seq_len = len(pres)
    grad = mpmath.matrix([1] * size)
    grads, input_grads = [mpmath.mpf(0)] * seq_len, [mpmath.mpf(0)] * seq_len
    for t in range(seq_len - 1, -1, -1):
        if t < seq_len - 1 and loss == "all":
            grad = grad + mpmath.matrix([1] * size)
        grads[t] = mpmath.norm(grad)
        da = mpmath.matrix([grad[i] * slope(pres[t][i]) for i in range(size)])
        input_grads[t] = mpmath.norm(w_ih.T * da)
        grad = w_hh.T * da

    def log10(v: Any) -> float:
        return float(mpmath.log10(v)) if v != 0 else -math.inf

    return [log10(g) for g in grads], [log10(g) for g in input_grads]
