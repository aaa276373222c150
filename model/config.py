"""The simulation request as the engine understands it: one frozen dataclass, commented defaults."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

Cell = Literal["rnn", "lstm", "gru"]
Activation = Literal["tanh", "relu", "sigmoid", "linear"]
RecurrentInit = Literal["orthogonal", "identity", "gaussian"]
InputPattern = Literal["impulse", "constant", "sine", "random"]
Loss = Literal["last", "all"]
Device = Literal["auto", "cpu", "cuda"]
DType = Literal["float64", "float32"]

CELLS: tuple[str, ...] = ("rnn", "lstm", "gru")
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")
RECURRENT_INITS: tuple[str, ...] = ("orthogonal", "identity", "gaussian")
INPUT_PATTERNS: tuple[str, ...] = ("impulse", "constant", "sine", "random")
LOSSES: tuple[str, ...] = ("last", "all")
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
DTYPES: tuple[str, ...] = ("float64", "float32")

SEED_MAX = 2**63 - 1


class ConfigError(ValueError):
    """A request the engine cannot run; `field` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Limits:
    """Upper bounds on a request (the server's settings may lower or raise them)."""

    max_seq_len: int = 2000
    max_hidden_size: int = 512
    max_abs_weight: float = 1000.0  # |w_rec|, |w_in|, |bias|, |forget_bias|
    max_sweep_steps: int = 401
    max_work: int = 262_144  # seq_len * hidden_size * directions
    max_sweep_work: int = 4_000_000  # values * seq_len * hidden_size * directions
    max_input_size: int = 64


@dataclass(frozen=True)
class SimConfig:
    """One simulation request; field names are the API's and the page URL's."""

    cell: Cell = "rnn"  # rnn | lstm | gru
    activation: Activation = "tanh"  # f of the vanilla RNN (LSTM/GRU use PyTorch's fixed ones)
    hidden_size: int = 1  # H
    seq_len: int = 20  # T; taken from `inputs` when those are given
    w_rec: float = 1.0  # W2, the feedback weight = spectral radius of the recurrent matrix
    w_in: float = 1.0  # W1, the input weight
    bias: float = 0.0  # b, goes to bias_ih_l0 (bias_hh_l0 stays zero)
    recurrent_init: RecurrentInit = "orthogonal"  # base matrix Q of W2 = w_rec * Q when H > 1
    inputs: tuple[tuple[float, ...], ...] | None = None  # explicit [T][input_size]
    input_pattern: InputPattern = "impulse"  # used when `inputs` is None
    loss: Loss = "last"  # last: sum of h_T (many-to-one); all: sum over t (many-to-many)
    clip_norm: float | None = None  # clip_grad_norm_ threshold for the parameter gradient
    bidirectional: bool = False
    forget_bias: float = 0.0  # LSTM only: added to the forget gate's bias
    seed: int = 0  # seeds the random input pattern and the recurrent base matrices
    device: Device = "auto"
    dtype: DType = "float64"  # float32 is faster on GPUs, exact only to ~1e-6
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def input_size(self) -> int:
        return len(self.inputs[0]) if self.inputs else 1

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def with_(self, **changes: Any) -> SimConfig:
        return replace(self, **changes)

    def to_params(self) -> dict[str, Any]:
        """The request as understood, defaults filled in, JSON-ready (the result's `params`)."""
        # Every field but `extra` is an immutable scalar (or the inputs tuple, listed below):
        # a plain getattr per field, not asdict's recursive deep copy (~10x slower).
        params = {name: getattr(self, name) for name in PARAM_NAMES}
        params["inputs"] = [list(row) for row in self.inputs] if self.inputs else None
        return params


PARAM_NAMES = tuple(f.name for f in fields(SimConfig) if f.name != "extra")


def is_number(value: Any) -> bool:
    """A real number and not a bool: int, float, or numpy's integer and floating scalars."""
    kind = type(value)
    if kind is float or kind is int:  # the usual case, without the ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def normalise_inputs(raw: Any) -> tuple[tuple[float, ...], ...]:
    """Accept [T] numbers or [T][input_size] numbers (lists, tuples or an array);
    return a rectangular tuple of tuples."""
    if hasattr(raw, "tolist") and not isinstance(raw, list | tuple):
        raw = raw.tolist()  # a numpy array (or a tensor): its rows as plain lists
    if not isinstance(raw, list | tuple) or len(raw) == 0:
        raise ConfigError("inputs", "give a non-empty list of numbers or of equal-length lists")
    if all(is_number(v) for v in raw):
        rows: tuple[tuple[float, ...], ...] = tuple((float(v),) for v in raw)
    elif all(isinstance(r, list | tuple) for r in raw):
        width = len(raw[0])
        if width == 0 or any(len(r) != width for r in raw):
            raise ConfigError("inputs", "every step needs the same number of inputs (at least 1)")
        if not all(is_number(v) for r in raw for v in r):
            raise ConfigError("inputs", "inputs must be numbers")
        rows = tuple(tuple(float(v) for v in r) for r in raw)
    elif any(isinstance(r, list | tuple) for r in raw):
        raise ConfigError("inputs", "mix of numbers and lists; use [T] or [T][input_size]")
    else:
        raise ConfigError("inputs", "inputs must be numbers")
    if not all(math.isfinite(v) for r in rows for v in r):
        raise ConfigError("inputs", "inputs must be finite numbers (no NaN or Infinity)")
    return rows


def check_seq_len_agrees(seq_len: Any, steps: int) -> None:
    """A seq_len sent along with explicit inputs of `steps` steps must agree with them: the
    inputs set T, and a different seq_len beside them is a slip in one of the two."""
    if seq_len != steps:
        raise ConfigError(
            "seq_len",
            f"is {seq_len} but inputs has {steps} steps; leave seq_len out (the inputs set it) "
            "or make the two agree",
        )


WHOLE_FIELDS = ("hidden_size", "seq_len", "seed")
NUMBER_FIELDS = ("w_rec", "w_in", "bias", "forget_bias", "clip_norm")


def _typed(config: SimConfig) -> SimConfig:
    """The config with numpy scalars as plain Python numbers (its params must be JSON), or
    ConfigError naming a field whose value is not of its kind at all ("5", 2.5 for a size)."""
    changes: dict[str, Any] = {}
    for name in WHOLE_FIELDS:
        value = getattr(config, name)
        if type(value) is not int:
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ConfigError(name, f"must be a whole number, not {value!r}")
            changes[name] = int(value)
    for name in NUMBER_FIELDS:
        value = getattr(config, name)
        if type(value) is not float and not (value is None and name == "clip_norm"):
            if not is_number(value):
                raise ConfigError(name, f"must be a number, not {value!r}")
            changes[name] = float(value)
    if type(config.bidirectional) is not bool:
        if not isinstance(config.bidirectional, np.bool_):
            raise ConfigError(
                "bidirectional", f"must be True or False, not {config.bidirectional!r}"
            )
        changes["bidirectional"] = bool(config.bidirectional)
    return replace(config, **changes) if changes else config


def validate(config: SimConfig, limits: Limits = Limits()) -> SimConfig:
    """Check a config against the contract and `limits`; return it with seq_len made consistent
    and numbers as plain Python ints and floats."""
    config = _typed(config)

    def choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            raise ConfigError(name, f"{value!r} is not one of {', '.join(allowed)}")

    choice("cell", config.cell, CELLS)
    choice("activation", config.activation, ACTIVATIONS)
    choice("recurrent_init", config.recurrent_init, RECURRENT_INITS)
    choice("input_pattern", config.input_pattern, INPUT_PATTERNS)
    choice("loss", config.loss, LOSSES)
    choice("device", config.device, DEVICES)
    choice("dtype", config.dtype, DTYPES)
    for name in ("w_rec", "w_in", "bias", "forget_bias"):
        value = getattr(config, name)
        if not math.isfinite(value):
            raise ConfigError(name, "must be a finite number")
        if abs(value) > limits.max_abs_weight:
            raise ConfigError(name, f"|{name}| must be at most {limits.max_abs_weight:g}")
    if config.clip_norm is not None and not (
        math.isfinite(config.clip_norm) and config.clip_norm > 0
    ):
        raise ConfigError("clip_norm", "must be a finite number greater than 0 (or null)")
    if not 1 <= config.hidden_size <= limits.max_hidden_size:
        raise ConfigError("hidden_size", f"must be between 1 and {limits.max_hidden_size}")
    if not 0 <= config.seed <= SEED_MAX:
        raise ConfigError("seed", "must be between 0 and 2**63 - 1")
    if config.inputs is not None:
        inputs = normalise_inputs(config.inputs)
        if len(inputs[0]) > limits.max_input_size:
            raise ConfigError("inputs", f"at most {limits.max_input_size} inputs per step")
        config = replace(config, inputs=inputs, seq_len=len(inputs))
    if not 1 <= config.seq_len <= limits.max_seq_len:
        raise ConfigError("seq_len", f"must be between 1 and {limits.max_seq_len}")
    work = config.seq_len * config.hidden_size * config.directions
    if work > limits.max_work:
        raise ConfigError(
            "hidden_size",
            f"seq_len x hidden_size x directions = {work} exceeds the limit {limits.max_work};"
            " lower seq_len or hidden_size",
        )
    return config
