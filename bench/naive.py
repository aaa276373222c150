"""The baseline a user would write: an nn.RNNCell loop in float64 with retain_grad on each h_t."""

from __future__ import annotations

import torch


def naive_grad_norms(
    w_rec: float, *, hidden_size: int = 32, seq_len: int = 100, seed: int = 0
) -> list[float]:
    """||dL/dh_t|| for t = 1..T with L = sum of h_T, tanh, impulse input, W2 = w_rec * Q."""
    generator = torch.Generator().manual_seed(seed)
    cell = torch.nn.RNNCell(1, hidden_size, nonlinearity="tanh").double()
    with torch.no_grad():
        gaussian = torch.randn(hidden_size, hidden_size, generator=generator, dtype=torch.float64)
        q, _ = torch.linalg.qr(gaussian)  # (H, H) orthogonal: spectral radius 1
        cell.weight_hh.copy_(w_rec * q)
        cell.weight_ih.fill_(1.0)
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
    inputs = torch.zeros(seq_len, 1, 1, dtype=torch.float64)  # (T, B, 1)
    inputs[0] = 1.0  # the impulse pattern: x_1 = 1, the rest 0
    h = torch.zeros(1, hidden_size, dtype=torch.float64)  # (B, H)
    hidden = []
    for t in range(seq_len):
        h = cell(inputs[t], h)  # (B, H)
        h.retain_grad()
        hidden.append(h)
    h.sum().backward()
    return [float(state.grad.norm()) for state in hidden if state.grad is not None]


def naive_sweep(
    w_rec_values: list[float], *, hidden_size: int = 32, seq_len: int = 200
) -> list[list[float]]:
    """One naive run per value, as a user without a batched engine would do it."""
    return [naive_grad_norms(w, hidden_size=hidden_size, seq_len=seq_len) for w in w_rec_values]
