"""The one schema module: requests and responses of the JSON API, the WebSocket and the page."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from model.config import (
    SEED_MAX,
    ConfigError,
    SimConfig,
    check_seq_len_agrees,
    normalise_inputs,
)
from server import examples

# Plain decimal numbers; one beyond float64's range (1e400) is refused later as infinite.
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
INPUTS_QUERY_PATTERN = rf"^{_NUMBER}(?:,{_NUMBER})*$"
_INPUTS_QUERY_RE = re.compile(INPUTS_QUERY_PATTERN)
_EXPONENT_SPACE = re.compile(r"(?<=[0-9.][eE]) (?=[0-9])")


def _not_bool(value: Any) -> Any:
    # Lax mode would read true as 1.0: a boolean where a number belongs is a mistake.
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return value


Float = Annotated[float, BeforeValidator(_not_bool)]
Int = Annotated[int, BeforeValidator(_not_bool)]
# fail_fast and tuple rows keep a megabyte of numbers cheap to validate on the event loop:
# no 100k error objects for a wrong union branch, no 100k lists for the garbage collector.
Numbers = Annotated[list[Float], Field(min_length=1, fail_fast=True)]
Row = Annotated[tuple[Float, ...], Field(min_length=1, fail_fast=True, strict=False)]
Rows = Annotated[list[Row], Field(min_length=1, fail_fast=True)]


def _inputs_shape(value: Any) -> str:
    """Which form a body's `inputs` takes: rows ([T][input_size]) when its first entry is a list."""
    first = value[0] if isinstance(value, list) and value else None
    return "rows" if isinstance(first, list | tuple) else "numbers"


# Validated as the one form its first entry picks: an error then names that form ("numbers",
# "rows") and the position, not every union branch's type signature.
Inputs = Annotated[
    Annotated[Numbers, Tag("numbers")] | Annotated[Rows, Tag("rows")],
    Discriminator(_inputs_shape),
]
# Constraints go inside the Optional: on the union itself pydantic documents them wrongly. The
# bound comes before the validator: on top of the ready-made Float pydantic's schema says "gt"
# where JSON Schema's word is exclusiveMinimum.
PositiveFloat = Annotated[float, Field(gt=0), BeforeValidator(_not_bool)]


class SimulationFields(BaseModel):
    """Every contract field except `inputs`, with its default; shared by body, query and stream."""

    # extra="forbid": a typo ("w_recc") is a 422 that names it instead of a silent default.
    # allow_inf_nan=False: NaN/Infinity literals are rejected at the door.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    cell: Literal["rnn", "lstm", "gru"] = Field("rnn", description="Recurrent cell.")
    activation: Literal["tanh", "relu", "sigmoid", "linear"] = Field(
        "tanh", description="f of the vanilla RNN (LSTM and GRU use PyTorch's fixed ones)."
    )
    hidden_size: Int = Field(1, ge=1, description="H, neurons per direction.")
    seq_len: Int = Field(
        20,
        ge=1,
        description="T, steps; taken from `inputs` when given (if sent too, it must agree).",
    )
    w_rec: Float = Field(
        1.0, description="W2, the feedback weight: spectral radius of the recurrent matrix."
    )
    w_in: Float = Field(1.0, description="W1, the input weight.")
    bias: Float = Field(0.0, description="b, added in bias_ih_l0 (bias_hh_l0 stays zero).")
    recurrent_init: Literal["orthogonal", "identity", "gaussian"] = Field(
        "orthogonal", description="Base matrix Q of W2 = w_rec * Q when hidden_size > 1."
    )
    input_pattern: Literal["impulse", "constant", "sine", "random"] = Field(
        "impulse", description="Inputs used when `inputs` is not given."
    )
    loss: Literal["last", "all"] = Field(
        "last", description="last: sum of h_T (many-to-one); all: sum over every h_t."
    )
    clip_norm: PositiveFloat | None = Field(
        None, description="clip_grad_norm_ threshold for the parameter gradient."
    )
    bidirectional: bool = Field(False, description="Add a chain reading the sequence backwards.")
    forget_bias: Float = Field(0.0, description="LSTM only: added to the forget gate's bias.")
    seed: Int = Field(0, ge=0, le=SEED_MAX, description="Seeds random inputs and base matrices.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where to compute.")
    dtype: Literal["float64", "float32"] = Field(
        "float64", description="float32 is faster on GPUs but exact only to about 1e-6."
    )

    def _config(self, inputs: Any) -> SimConfig:
        fields = {name: getattr(self, name) for name in SimulationFields.model_fields}
        rows = None if inputs is None else normalise_inputs(inputs)
        if rows is not None and "seq_len" in self.model_fields_set:
            check_seq_len_agrees(self.seq_len, len(rows))
        return SimConfig(**fields, inputs=rows)


class SimulateRequest(SimulationFields):
    """Body of POST /api/v1/simulate and `params` of a stream message."""

    # JSON has real types, so take them strictly: "5", 5.0 or 0 where 5 or false belongs is a
    # mistake. (The query string is all text: SimulateQuery stays lax.)
    model_config = ConfigDict(
        strict=True, json_schema_extra={"examples": [examples.SIMULATE_REQUEST]}
    )

    inputs: Inputs | None = Field(
        None,
        description="Explicit inputs, [T] numbers or [T][input_size]; overrides input_pattern.",
    )

    def to_config(self) -> SimConfig:
        """The engine's SimConfig (not yet checked against the server's limits)."""
        return self._config(self.inputs)


class SimulateQuery(SimulationFields):
    """Query string of GET /api/v1/simulate: the same fields, `inputs` comma-separated."""

    inputs: str | None = Field(
        None,
        # Checked by the validator below, whose message a person can act on (pydantic's own
        # would quote the regular expression); server.openapi documents the pattern.
        description="Explicit inputs as comma-separated numbers, one per step (input_size 1).",
        examples=["1,0,0,0,0"],
    )

    @field_validator("inputs", mode="before")
    @classmethod
    def _strip_spaces(cls, value: Any) -> Any:
        # Around the commas only, so "1 0 0" is not read as 100; an unencoded "+" of an
        # exponent arrives as a space ("1e+3" reads "1e 3") and goes back to "+".
        if not isinstance(value, str):
            return value
        return ",".join(_EXPONENT_SPACE.sub("+", part.strip()) for part in value.split(","))

    @field_validator("inputs")
    @classmethod
    def _numbers(cls, value: str | None) -> str | None:
        if value is not None and not _INPUTS_QUERY_RE.match(value):
            raise ValueError("give comma-separated numbers, e.g. 1,0,0,0,0 or 1e-3,-2.5")
        return value

    def to_config(self) -> SimConfig:
        """The engine's SimConfig (not yet checked against the server's limits)."""
        if self.inputs is None:
            return self._config(None)
        return self._config([float(v) for v in self.inputs.split(",")])


class SweepRequest(SimulateRequest):
    """Body of POST /api/v1/sweep: a simulation plus the w_rec values to sweep (w_rec ignored)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.SWEEP_REQUEST]})

    w_rec_values: Numbers | None = Field(
        None, description="Explicit values; or give w_rec_min, w_rec_max, steps."
    )
    w_rec_min: Float = Field(0.0, description="First value of an evenly spaced sweep.")
    w_rec_max: Float = Field(3.0, description="Last value of an evenly spaced sweep (>= min).")
    steps: Int = Field(61, ge=1, description="Number of evenly spaced values.")

    def values(self, max_steps: int) -> list[float]:
        """The w_rec values to sweep; ConfigError when the request mixes, misorders or has
        more than `max_steps` of them (checked before any list is built)."""
        if self.w_rec_values is not None:
            mixed = self.model_fields_set & {"w_rec_min", "w_rec_max", "steps"}
            if mixed:
                raise ConfigError(
                    sorted(mixed)[0], "give either w_rec_values or w_rec_min/w_rec_max/steps"
                )
            if len(self.w_rec_values) > max_steps:
                raise ConfigError("w_rec_values", f"at most {max_steps} values")
            return list(self.w_rec_values)
        if self.steps > max_steps:
            raise ConfigError("steps", f"must be between 1 and {max_steps}")
        if self.w_rec_min > self.w_rec_max:
            raise ConfigError("w_rec_min", "must not exceed w_rec_max")
        if self.steps == 1:
            return [self.w_rec_min]
        span = self.w_rec_max - self.w_rec_min
        return [self.w_rec_min + span * i / (self.steps - 1) for i in range(self.steps)]


# --- Responses (documentation and schemathesis; results are serialised without re-validation)

FloatOrNull = float | None


class LstmGates(BaseModel):
    """LSTM gate activations per step, [T][H * directions]."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.LSTM_GATES]})

    input: list[list[FloatOrNull]]
    forget: list[list[FloatOrNull]]
    candidate: list[list[FloatOrNull]]
    output: list[list[FloatOrNull]]


class GruGates(BaseModel):
    """GRU gate activations per step, [T][H * directions]."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.GRU_GATES]})

    reset: list[list[FloatOrNull]]
    update: list[list[FloatOrNull]]


class SimulateResponse(BaseModel):
    """One simulation: per-step lists (index 0 is step t = 1) and summary fields."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.SIMULATE_RESPONSE]})

    params: SimulateRequest = Field(description="The request as understood, defaults filled in.")
    hidden: list[list[FloatOrNull]] = Field(description="h_t, [T][H * directions].")
    grad_log10: list[FloatOrNull] = Field(description="log10 ||dL/dh_t||; null if exactly 0.")
    grad_norm: list[FloatOrNull] = Field(description="||dL/dh_t|| where float64 holds it.")
    input_grad_log10: list[FloatOrNull] = Field(description="log10 ||dL/dx_t||.")
    step_bound_log10: list[FloatOrNull] = Field(
        description="log10 of ||W2|| max|f'(a_t)| (vanilla RNN; null at t = 1, LSTM, GRU)."
    )
    growth_per_step: float = Field(description="Geometric-mean gradient factor per step back.")
    regime: Literal["vanishing", "stable", "exploding"]
    weights: dict[str, list[list[float]] | list[float]] = Field(
        description="Every weight and bias under PyTorch's names."
    )
    inputs: list[list[float]] = Field(description="Inputs used, [T][input_size].")
    device: str
    elapsed_ms: float
    param_grad_norm: FloatOrNull = Field(description="Norm of dL/d(all weights and biases).")
    param_grad_log10: FloatOrNull = Field(
        description="log10 of param_grad_norm, finite even where the norm itself overflows "
        "float64; null only when the forward pass overflowed (h_t beyond float64)."
    )
    clipped_param_grad_norm: FloatOrNull = Field(description="After clip_grad_norm_(clip_norm).")
    loss_value: FloatOrNull
    cell_state: list[list[FloatOrNull]] | None = Field(None, description="LSTM only: c_t.")
    cell_grad_log10: list[FloatOrNull] | None = Field(
        None, description="LSTM only: log10 ||dL/dc_t||."
    )
    gates: LstmGates | GruGates | None = Field(None, description="LSTM and GRU only.")


class SweepResponse(BaseModel):
    """Many w_rec values in one batched pass: one row of grad_log10 per value."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.SWEEP_RESPONSE]})

    params: dict[str, Any] = Field(description="The request as understood (w_rec is swept).")
    w_rec_values: list[float]
    grad_log10: list[list[FloatOrNull]] = Field(description="[values][T].")
    growth_per_step: list[float]
    regime: list[Literal["vanishing", "stable", "exploding"]]
    device: str
    elapsed_ms: float


class Preset(BaseModel):
    """A named teaching example: open it with its params."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.PRESET]})

    id: str
    title: str
    caption: str = Field(description="One sentence: what to look at.")
    params: dict[str, Any] = Field(description="SimulateRequest fields (defaults omitted).")


class ErrorDetail(BaseModel):
    """A plain error: what went wrong and what to do."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.ERROR]})

    detail: str
