"""The network of one run: seeded recurrent base matrices, input weights, biases and inputs."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from .config import SimConfig

GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # gate blocks per cell, in PyTorch's order
LSTM_FORGET_BLOCK = 1  # i, f, g, o
SINE_PERIOD = 8  # steps per period of the sine input pattern
# The inputs draw from their own stream so changing hidden_size never changes the random inputs.
INPUT_SEED_OFFSET = 0x9E3779B97F4A7C15


@dataclass(frozen=True)
class Network:
    """Weights (w_rec factored out) and inputs, generated on the CPU in float64."""

    q: torch.Tensor  # (D, G*H, H) recurrent base: each (H, H) gate block has spectral radius 1
    w_ih: torch.Tensor  # (D, G*H, I) input weights, w_in * ones / sqrt(I)
    b_ih: torch.Tensor  # (D, G*H) bias (+ forget_bias on the LSTM forget block)
    inputs: torch.Tensor  # (T, I)

    def weight_hh(self, w_rec: float) -> torch.Tensor:
        """W2 = w_rec * Q for every direction."""
        return w_rec * self.q  # (D, G*H, H)


def base_matrix(init: str, hidden_size: int, gen: torch.Generator) -> torch.Tensor:
    """One recurrent base matrix Q (H, H) with spectral radius 1; [[1.0]] for H = 1."""
    h = hidden_size
    if h == 1 or init == "identity":
        return torch.eye(h, dtype=torch.float64)
    a = torch.randn(h, h, generator=gen, dtype=torch.float64)  # (H, H)
    if init == "orthogonal":
        q, r = torch.linalg.qr(a)
        # The sign fix makes the draw a proper Haar sample (and deterministic across LAPACKs).
        return q * torch.sign(torch.diagonal(r))  # (H, H)
    radius = torch.linalg.eigvals(a).abs().max().item()
    return a / radius


def build_inputs(config: SimConfig) -> torch.Tensor:
    """The inputs actually used, (T, I) float64: explicit ones or the seeded pattern."""
    if config.inputs is not None:
        return torch.tensor(config.inputs, dtype=torch.float64)  # (T, I)
    pattern = config.input_pattern
    # impulse and constant are exact whoever builds them; numpy does it in fewer microseconds
    if pattern == "constant":
        return torch.from_numpy(np.ones((config.seq_len, 1)))  # (T, 1)
    if pattern == "impulse":
        x = np.zeros((config.seq_len, 1))  # (T, 1)
        x[0, 0] = 1.0
        return torch.from_numpy(x)
    if pattern == "sine":
        t = torch.arange(1, config.seq_len + 1, dtype=torch.float64)  # (T,)
        return torch.sin(2 * math.pi * t / SINE_PERIOD).unsqueeze(1)  # (T, 1)
    gen = torch.Generator().manual_seed((config.seed + INPUT_SEED_OFFSET) % 2**64)
    return torch.randn(config.seq_len, generator=gen, dtype=torch.float64).unsqueeze(1)


@functools.lru_cache(maxsize=8)
def _base_stack(init: str, hidden_size: int, seed: int, gates: int, dirs: int) -> torch.Tensor:
    """The base matrices of one (init, H, seed, cell, directions): a pure function, memoised
    because a 512 x 512 eigendecomposition takes about a second and a slider only moves w_rec."""
    gen = torch.Generator().manual_seed(seed)
    if gates == 1 and dirs == 1:  # the slider's usual case: skip the stacking ops
        return base_matrix(init, hidden_size, gen).unsqueeze(0)  # (1, H, H)
    return torch.stack(
        [
            torch.cat([base_matrix(init, hidden_size, gen) for _ in range(gates)])
            for _ in range(dirs)
        ]
    )  # (D, G*H, H)


@functools.lru_cache(maxsize=64)
def base_log10_norms(
    init: str, hidden_size: int, seed: int, gates: int, dirs: int
) -> tuple[float, ...]:
    """log10 ||Q||_2 of each direction's (G*H, H) base stack; no SVD where it is known exactly:
    G stacked orthogonal (or identity) blocks have Q^T Q = G I, so ||Q||_2 = sqrt(G)."""
    if hidden_size == 1 or init != "gaussian":
        return (0.5 * math.log10(gates),) * dirs
    q = _base_stack(init, hidden_size, seed, gates, dirs)  # (D, G*H, H)
    return tuple(torch.log10(torch.linalg.matrix_norm(q, ord=2)).tolist())


def build_network(config: SimConfig) -> Network:
    """Seeded weights: one independent base-matrix draw per gate block and per direction."""
    g, h, i = GATES[config.cell], config.hidden_size, config.input_size
    q = _base_stack(config.recurrent_init, h, config.seed, g, config.directions).clone()
    # numpy fills then shares its memory: a few us less per tensor than torch.full
    w_ih = torch.from_numpy(np.full((config.directions, g * h, i), config.w_in / math.sqrt(i)))
    b_ih = torch.from_numpy(np.full((config.directions, g * h), config.bias))
    if config.cell == "lstm":
        b_ih[:, LSTM_FORGET_BLOCK * h : (LSTM_FORGET_BLOCK + 1) * h] += config.forget_bias
    return Network(q=q, w_ih=w_ih, b_ih=b_ih, inputs=build_inputs(config))
